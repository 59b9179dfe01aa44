// Small display formatters shared by the panels, the gallery, the preview and the status bar.
#pragma once

#include <QString>

QString formatDuration(double seconds); // "0:07", "12:34", "1:02:03"; "–" when unknown
QString formatBytes(qint64 bytes);      // "1.2 MB", in the current locale
QString formatEta(double seconds);      // "about 5 s left", "about 3 min left"; empty if < 0
QString formatProbability(double p);    // "87.3 %", "0.4 %", "< 0.1 %", in the current locale
QString formatParameterCount(qint64 n); // "151 K", "1.2 M", "428 M", "1.0 B"
