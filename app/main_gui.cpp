// modallens: the desktop GUI. Sets up the application (names, theme, translation) and opens
// the main window, with any files or folders given on the command line already dropped in.
#include "language.h"
#include "main_window.h"
#include "theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

int main(int argc, char *argv[])
{
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
    parser.process(app);

    MainWindow window;
    window.show();
    window.openPaths(parser.positionalArguments());
    return QApplication::exec();
}
