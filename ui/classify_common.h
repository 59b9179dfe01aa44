// Small helpers the Classify panel's widgets share: engine values out of a QVariant, and the
// way probabilities, parameter counts and plot colours are shown.
#pragma once

#include <QColor>
#include <QPalette>
#include <QString>
#include <QVariant>

#include <any>
#include <optional>

class QCPAxis;
class QFont;

// An engine job's std::any value or partial, as EngineBridge hands it over (a QVariant
// holding std::any); nullopt when it holds something else.
template<class T> std::optional<T> engineValue(const QVariant &value)
{
    if (value.metaType() != QMetaType::fromType<std::any>())
        return std::nullopt;
    const std::any any = value.value<std::any>();
    if (const T *v = std::any_cast<T>(&any))
        return *v;
    return std::nullopt;
}

QString formatProbability(double p);    // "87.3 %", "0.4 %", "< 0.1 %", in the current locale
QString formatParameterCount(qint64 n); // "151 K", "1.2 M", "428 M", "1.0 B"

// Plot colours from the widget palette, so the plots follow the dark and the system theme.
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
