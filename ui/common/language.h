// Language: which translation the UI uses. "" follows the system locale, "en" is the source
// language, "zh_CN" Simplified Chinese; kept in QSettings and applied at once.
#pragma once

#include <QString>
#include <QStringList>

class Language {
public:
    static QStringList codes();                     // "", "en", "zh_CN"
    static QString nativeName(const QString &code); // "English", "简体中文"; "" -> empty
    static QString saved();                         // from QSettings, "" when unset
    static void save(const QString &code);
    // Installs (or removes) the app's translator and Qt's own (its dialogs and buttons), and sets
    // the default QLocale to match (dates, numbers); every widget then gets LanguageChange.
    // Returns the language in effect ("en" or "zh_CN").
    static QString apply(const QString &code);
    static QString current();                    // what apply() last put in effect
    static bool qtTranslationLoaded();           // Qt's own translation for current() is installed
    static QString resolve(const QString &code); // "" -> the system's, else code
};
