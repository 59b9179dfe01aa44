// What the Chat panel tests share: the main window, its Chat panel and controller, a named child
// of the panel, waiting out a controller's job, sending a question, and screenshots on request.
#pragma once

#include "chat/chat_controller.h"
#include "chat/chat_panel.h"
#include "main_window.h"

#include <QElapsedTimer>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

class ChatPanelTestBase : public QObject {
protected:
    explicit ChatPanelTestBase(int jobTimeoutMs) : m_jobTimeoutMs(jobTimeoutMs) { }

    // Spins the event loop (each partial handled as it comes) while busy() and the job timeout
    // allow; whether controller c is idle at the end.
    template<class Controller, class Busy> bool waitWhileBusy(Controller *c, Busy busy) const
    {
        QElapsedTimer timer;
        timer.start();
        while (busy() && timer.elapsed() < m_jobTimeoutMs) {
            QSignalSpy spy(c, &Controller::busyChanged);
            spy.wait(1000);
        }
        return !busy();
    }
    bool waitChat()
    {
        return waitWhileBusy(m_c, [this] { return m_c->isBusy(); });
    }

    // Types the question and clicks Send: the chat job starts.
    void send(const QString &question)
    {
        child<QLineEdit>("chatQuestion")->setText(question);
        auto *sendButton = child<QPushButton>("chatSend");
        QVERIFY(sendButton->isEnabled());
        QTest::mouseClick(sendButton, Qt::LeftButton);
        QVERIFY2(m_c->isBusy(), qPrintable(m_c->message()));
    }

    // Env: MODALLENS_SHOTS_DIR=DIR saves the window there as name.
    void shot(const QString &name)
    {
        const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR");
        if (dir.isEmpty())
            return;
        QTest::qWait(100);
        QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + name));
    }

    template<class T> T *child(const char *name) const
    {
        T *w = m_panel->findChild<T *>(QString::fromLatin1(name));
        if (!w)
            qFatal("no %s in the Chat panel", name);
        return w;
    }

    const int m_jobTimeoutMs;
    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    ChatPanel *m_panel = nullptr;
    ChatController *m_c = nullptr;
};
