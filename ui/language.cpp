// Language: one QTranslator for ModalLens (embedded under :/i18n by qt_add_translations)
// and, when Qt ships one, one for Qt's own dialogs.
#include "language.h"

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
    if (lang == QLatin1String("en"))
        return s.current; // the source strings; removing the translators was the change

    auto app = std::make_unique<QTranslator>();
    if (!app->load(QStringLiteral(":/i18n/modallens_%1.qm").arg(lang)))
        return s.current;
    auto qt = std::make_unique<QTranslator>();
    if (qt->load(QStringLiteral("qtbase_") + lang, QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(s.qt = qt.release());
    QCoreApplication::installTranslator(s.app = app.release());
    s.current = lang;
    return s.current;
}

QString Language::current()
{
    return installed().current;
}
