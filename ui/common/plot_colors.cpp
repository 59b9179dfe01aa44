// PlotColors: the palette's colours for plots, and an axis styled in them.
#include "common/plot_colors.h"

#include <qcustomplot.h>

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
