// Display formatters: plain functions, translated through the "Format" context.
#include "format.h"

#include <QCoreApplication>
#include <QLocale>

#include <cmath>

QString formatDuration(double seconds)
{
    if (!(seconds >= 0.0))
        return QStringLiteral("–");
    const auto total = static_cast<qint64>(std::floor(seconds));
    const qint64 h = total / 3600, m = (total / 60) % 60, s = total % 60;
    if (h > 0)
        return QStringLiteral("%1:%2:%3").arg(h).arg(m, 2, 10, QLatin1Char('0')).arg(s, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(m).arg(s, 2, 10, QLatin1Char('0'));
}

QString formatBytes(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QString formatEta(double seconds)
{
    if (seconds < 0.0)
        return {};
    if (seconds < 90.0) {
        const int s = static_cast<int>(std::ceil(seconds));
        return QCoreApplication::translate("Format", "about %n s left", nullptr, s);
    }
    const int minutes = static_cast<int>(std::ceil(seconds / 60.0));
    return QCoreApplication::translate("Format", "about %n min left", nullptr, minutes);
}
