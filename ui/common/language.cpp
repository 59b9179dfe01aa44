// Language: one QTranslator for ModalLens (embedded under :/i18n by qt_add_translations), one
// for Qt's own dialogs (qt6-translations-l10n), and the default QLocale for dates and numbers.
#include "common/language.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTranslator>

#include <memory>

namespace {

const QString kKey = QStringLiteral("ui/language");

struct Installed {
    QTranslator *app = nullptr;
    QTranslator *qt = nullptr;
    QString current = QStringLiteral("en");
};

Installed &installed()
{
    static Installed state;
    return state;
}

// Dates and numbers as the chosen language writes them: the system's own locale when it speaks
// that language (en_GB stays en_GB), else the language's usual one.
QLocale localeFor(const QString &code, const QString &lang)
{
    const QLocale system = QLocale::system();
    if (code.isEmpty())
        return system;
    if (lang == QLatin1String("zh_CN"))
        return system.language() == QLocale::Chinese && system.script() != QLocale::TraditionalHanScript
            ? system
            : QLocale(QLocale::Chinese, QLocale::SimplifiedHanScript, QLocale::China);
    return system.language() == QLocale::English ? system : QLocale(QLocale::English, QLocale::UnitedStates);
}

void remove(QTranslator *&t)
{
    if (!t)
        return;
    QCoreApplication::removeTranslator(t);
    delete t;
    t = nullptr;
}

} // namespace

QStringList Language::codes()
{
    return {QString(), QStringLiteral("en"), QStringLiteral("zh_CN")};
}

QString Language::nativeName(const QString &code)
{
    if (code == QLatin1String("en"))
        return QStringLiteral("English");
    if (code == QLatin1String("zh_CN"))
        return QStringLiteral("简体中文");
    return {};
}

QString Language::saved()
{
    return QSettings().value(kKey).toString();
}

void Language::save(const QString &code)
{
    QSettings().setValue(kKey, code);
}

QString Language::resolve(const QString &code)
{
    if (!code.isEmpty())
        return code;
    for (const QString &ui : QLocale::system().uiLanguages()) {
        if (ui.startsWith(QLatin1String("zh")))
            return QStringLiteral("zh_CN");
        if (ui.startsWith(QLatin1String("en")))
            return QStringLiteral("en");
    }
    return QStringLiteral("en");
}

QString Language::apply(const QString &code)
{
    Installed &s = installed();
    const QString lang = resolve(code);
    remove(s.app);
    remove(s.qt);
    s.current = QStringLiteral("en");
    QLocale::setDefault(localeFor(code, QStringLiteral("en")));
    if (lang == QLatin1String("en"))
        return s.current; // the source strings; removing the translators was the change

    auto app = std::make_unique<QTranslator>();
    if (!app->load(QStringLiteral(":/i18n/modallens_%1.qm").arg(lang)))
        return s.current;
    QLocale::setDefault(localeFor(code, lang));
    auto qt = std::make_unique<QTranslator>();
    const QString qtDir = QLibraryInfo::path(QLibraryInfo::TranslationsPath);
    if (qt->load(QStringLiteral("qtbase_") + lang, qtDir))
        QCoreApplication::installTranslator(s.qt = qt.release());
    else // the dialogs and buttons Qt draws itself stay English
        qWarning("Qt's own translation qtbase_%s.qm is not in %s (Debian: qt6-translations-l10n)", qPrintable(lang),
            qPrintable(qtDir));
    QCoreApplication::installTranslator(s.app = app.release());
    s.current = lang;
    return s.current;
}

QString Language::current()
{
    return installed().current;
}

bool Language::qtTranslationLoaded()
{
    return installed().qt != nullptr;
}
