// What the panel tests share before their first case: a fresh profile inside a temporary folder,
// and the app's main window on screen.
#pragma once

#include "main_window.h"

#include <QCoreApplication>
#include <QSettings>
#include <QSize>
#include <QStandardPaths>
#include <QString>
#include <QtTest>

#include <memory>

namespace main_window_test {

// The app's data folder under dir/data, Qt's test-mode paths, the test's own settings, cleared.
inline void useFreshProfile(const QString &dir, const QString &testName)
{
    qputenv("XDG_DATA_HOME", QString(dir + QStringLiteral("/data")).toLocal8Bit());
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("ModalLensTest"));
    QCoreApplication::setApplicationName(testName);
    QSettings().clear();
}

// A MainWindow with its thumbnail cache under dir/thumbs, resized, shown and exposed; nullptr when
// it was never exposed.
inline std::unique_ptr<MainWindow> showMainWindow(const QString &dir, QSize size)
{
    auto window = std::make_unique<MainWindow>(nullptr, dir + QStringLiteral("/thumbs"));
    window->resize(size);
    window->show();
    if (!QTest::qWaitForWindowExposed(window.get()))
        return nullptr;
    return window;
}

} // namespace main_window_test
