// Plot colours from the widget palette, so every QCustomPlot follows the dark and the system theme.
#pragma once

#include <QColor>
#include <QPalette>

class QCPAxis;
class QFont;

struct PlotColors {
    QColor background; // the plot's fill (palette Base)
    QColor text;
    QColor dimText;
    QColor grid;
    QColor accent; // top-k bars, the colour map's high end
    QColor muted;  // the other bars
    static PlotColors from(const QPalette &palette);
    // An axis in these colours: grid-coloured lines and ticks, dim labels, a dotted grid without
    // a zero line, tick labels in the widget's font.
    void styleAxis(QCPAxis *axis, const QFont &font) const;
};
