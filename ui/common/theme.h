// Theme: the application's palette: "dark" (a neutral dark Fusion palette, the default)
// or "system" (the platform's own). Kept in QSettings.
#pragma once

#include <QString>

class Theme {
public:
    static QString saved(); // "dark" unless the user chose "system"
    static void save(const QString &name);
    static void apply(const QString &name);
};
