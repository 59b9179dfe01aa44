// No network at run time: the CLI's commands and the GUI run with a socket() shim preloaded
// (tests/no_network/socket_shim.c) that logs every socket's family and refuses IPv4, IPv6 and
// packet sockets. None may be asked for; a local socket (AF_UNIX: X11, D-Bus) is IPC and allowed.
#include "cli_run.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/socket.h>

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

class TestNoNetwork : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_log;
    QStringList m_pictures; // PNGs and an MP4 that `samples` wrote

    QProcessEnvironment shimmed() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LD_PRELOAD"), builtPath("MODALLENS_SOCKET_SHIM", "libmodallens_socket_shim.so"));
        env.insert(QStringLiteral("MODALLENS_SOCKET_LOG"), m_log);
        env.insert(QStringLiteral("HOME"), m_tmp.filePath(QStringLiteral("home")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_tmp.filePath(QStringLiteral("home/data")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_tmp.filePath(QStringLiteral("home/config")));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        return env;
    }

    // The families logged since the last call (the log is emptied).
    std::multiset<int> takeLog() const
    {
        std::multiset<int> out;
        QFile f(m_log);
        if (f.open(QIODevice::ReadOnly))
            for (const QByteArray &line : f.readAll().split('\n'))
                if (!line.trimmed().isEmpty())
                    out.insert(line.trimmed().toInt());
        QFile::remove(m_log);
        return out;
    }

    static bool network(const std::multiset<int> &families)
    {
        return families.count(AF_INET) + families.count(AF_INET6) + families.count(AF_PACKET) > 0;
    }

    int run(const QString &program, const QStringList &args, int timeoutMs = 240000, std::string *err = nullptr)
    {
        QProcess p;
        p.setProcessEnvironment(shimmed());
        p.start(program, args);
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            return -1;
        }
        if (err)
            *err = p.readAllStandardError().toStdString();
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QDir().mkpath(m_tmp.filePath(QStringLiteral("home")));
        m_log = m_tmp.filePath(QStringLiteral("sockets.log"));
    }

    // The shim sees and refuses what it must: a shell opening a TCP connection is logged as AF_INET.
    void shimCatchesANetworkSocket()
    {
        run(QStringLiteral("/bin/bash"), {"-c", "exec 3<>/dev/tcp/127.0.0.1/9"}, 20000);
        const auto families = takeLog();
        QVERIFY2(families.count(AF_INET) == 1, "the shim did not see bash's TCP socket: it is not loaded");
    }

    void cliCommandsOpenNoNetworkSocket()
    {
        const QString cli = cliPath();
        const QString samples = m_tmp.filePath(QStringLiteral("samples"));
        std::string err;
        QVERIFY2(run(cli, {"--quiet", "samples", "--out", samples}, 240000, &err) == 0, err.c_str());
        for (const auto &e : fs::recursive_directory_iterator(samples.toStdString()))
            if (e.path().extension() == ".png" && m_pictures.size() < 3)
                m_pictures << QString::fromStdString(e.path().string());
        QVERIFY(!m_pictures.isEmpty());
        const QString png = m_pictures.first();
        const QString library = m_tmp.filePath(QStringLiteral("library.db"));
        const QList<QStringList> commands {
            {"info", png},
            {"classify", "--model", "clip-mini", "--labels", "circle;square;triangle", png},
            {"index", "--library", library, samples + "/shapes"},
            {"search", "--library", library, "--text", "a red circle", "--k", "3"},
            {"explain", "--model", "clip-mini", "--method", "rollout", "--image", png, "--text", "a red circle",
                "--out", m_tmp.filePath(QStringLiteral("explain"))},
            {"chat", "--model", "llava-mini", "--image", png, "--prompt", "what shape is it?", "--max-new-tokens", "4"},
            {"chat", "--model", "blip2-mini", "--image", png, "--prompt",
                "Question: what colour? Answer:", "--max-new-tokens", "4"},
            {"denoise", "--model", "ddpm-mini", "--steps", "4", "--png", m_tmp.filePath(QStringLiteral("d.png"))},
        };
        takeLog();
        for (const QStringList &args : commands) {
            const int code = run(cli, QStringList {"--quiet", "--threads", "1"} + args, 240000, &err);
            const auto families = takeLog();
            QVERIFY2(!network(families), qPrintable(args.join(' ') + ": opened a network socket"));
            // A command that fails for lack of a file still counts as run; its output says why.
            if (code != 0)
                qWarning("%s: exit %d: %s", qPrintable(args.first()), code, err.c_str());
        }
    }

    // The GUI, started on a fresh profile and left running for a while (models listed, thumbnails
    // of the pictures it is given drawn), then closed.
    void guiOpensNoNetworkSocket()
    {
        const QString program = builtPath("MODALLENS_GUI_PATH", "../app/modallens");
        if (!QFileInfo::exists(program))
            QSKIP("this build has no GUI (modallens)");
        QProcess gui;
        gui.setProcessEnvironment(shimmed());
        gui.start(program, m_pictures);
        QVERIFY(gui.waitForStarted());
        QTest::qWait(8000);
        QVERIFY2(gui.state() == QProcess::Running, gui.readAllStandardError().constData());
        gui.terminate();
        if (!gui.waitForFinished(20000)) {
            gui.kill();
            gui.waitForFinished();
        }
        const auto families = takeLog();
        QVERIFY2(!network(families), "the GUI opened a network socket");
        qInfo("the GUI asked for %d socket(s), none of them network", int(families.size()));
    }
};

QTEST_GUILESS_MAIN(TestNoNetwork)
#include "test_no_network.moc"
