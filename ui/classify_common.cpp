// Formatting and colours for the Classify panel's tables and plots.
#include "classify_common.h"

#include <QLocale>

#include <qcustomplot.h>

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

namespace {

QColor mix(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(static_cast<float>(a.redF() * (1 - t) + b.redF() * t),
        static_cast<float>(a.greenF() * (1 - t) + b.greenF() * t),
        static_cast<float>(a.blueF() * (1 - t) + b.blueF() * t));
}

} // namespace

PlotColors PlotColors::from(const QPalette &palette)
{
    PlotColors c;
    c.background = palette.color(QPalette::Base);
    c.text = palette.color(QPalette::Text);
    c.dimText = mix(c.background, c.text, 0.65);
    c.grid = mix(c.background, c.text, 0.12);
    c.accent = palette.color(QPalette::Highlight);
    c.muted = mix(c.background, c.text, 0.32);
    return c;
}

void PlotColors::styleAxis(QCPAxis *axis, const QFont &font) const
{
    axis->setBasePen(QPen(grid));
    axis->setTickPen(QPen(grid));
    axis->setSubTickPen(QPen(grid));
    axis->setTickLabelColor(dimText);
    axis->setLabelColor(dimText);
    axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    axis->grid()->setZeroLinePen(Qt::NoPen);
    axis->setTickLabelFont(font);
}
