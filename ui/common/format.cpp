// Display formatters: plain functions, translated through the "Format" context.
#include "common/format.h"

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

QString formatProbability(double p)
{
    const double percent = 100.0 * p;
    if (percent > 0.0 && percent < 0.05)
        return QStringLiteral("< %1 %").arg(QLocale().toString(0.1, 'f', 1));
    return QStringLiteral("%1 %").arg(QLocale().toString(percent, 'f', 1));
}

QString formatParameterCount(qint64 n)
{
    const QLocale locale;
    const auto scaled = [&](double value, const char *suffix) {
        return QStringLiteral("%1 %2").arg(locale.toString(value, 'f', value < 10.0 ? 1 : 0), QLatin1String(suffix));
    };
    if (n >= 1'000'000'000)
        return scaled(static_cast<double>(n) / 1e9, "B");
    if (n >= 1'000'000)
        return scaled(static_cast<double>(n) / 1e6, "M");
    if (n >= 1'000)
        return scaled(static_cast<double>(n) / 1e3, "K");
    return locale.toString(n);
}
