// modallens: the desktop GUI. Sets up the application (names, theme, translation) and opens
// the main window, with any files or folders given on the command line already dropped in.
#include "common/language.h"
#include "common/theme.h"
#include "main_window.h"
#include "modallens_version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QIcon>
#include <QTimer>

#include <cstdio>

int main(int argc, char *argv[])
{
    QElapsedTimer sinceMain;
    sinceMain.start();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("ModalLens"));
    QApplication::setApplicationName(QStringLiteral("ModalLens"));
    QApplication::setApplicationDisplayName(QStringLiteral("ModalLens"));
    QApplication::setApplicationVersion(QStringLiteral(MODALLENS_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("io.modallens.ModalLens"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/modallens.svg")));

    Theme::apply(Theme::saved());
    Language::apply(Language::saved());

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QCoreApplication::translate("main", "Look inside multimodal models on your own machine."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("paths"),
        QCoreApplication::translate("main", "Photos, videos or folders to open."), QStringLiteral("[paths...]"));
    const QCommandLineOption startupOption(QStringLiteral("quit-after-startup"),
        QCoreApplication::translate("main", "Print the start-up time once the window is shown, then quit."));
    parser.addOption(startupOption);
    parser.process(app);

    MainWindow window;
    window.show();
    window.openPaths(parser.positionalArguments());
    if (parser.isSet(startupOption)) {
        // Queued behind the first expose and paint of the window.
        QTimer::singleShot(0, &app, [&] {
            std::printf("startup_ms %lld\n", static_cast<long long>(sinceMain.elapsed()));
            QApplication::quit();
        });
    }
    return QApplication::exec();
}
