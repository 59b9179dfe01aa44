// ClassifyChart: two QCPBars share the axes (the top-k and the rest) because one QCPBars has
// one brush; labels sit on the y axis through QCPAxisTickerText, rank 0 at the top.
#include "classify/classify_chart.h"

#include "common/format.h"
#include "common/plot_colors.h"

#include <algorithm>

namespace {

constexpr int kRowHeight = 22; // pixels per bar, label included
constexpr int kChrome = 56;    // axis, margins

// Probabilities on the x axis as percentages.
class PercentTicker : public QCPAxisTicker {
protected:
    QString getTickLabel(double tick, const QLocale &locale, QChar, int) override
    {
        return QStringLiteral("%1 %").arg(locale.toString(100.0 * tick, 'f', 0));
    }
};

} // namespace

ClassifyChart::ClassifyChart(QWidget *parent)
    : QCustomPlot(parent)
    , m_top(new QCPBars(yAxis, xAxis2))
    , m_rest(new QCPBars(yAxis, xAxis2))
    , m_labels(new QCPAxisTickerText)
{
    setObjectName(QStringLiteral("classifyChart"));
    setNoAntialiasingOnDrag(true);
    // The value axis on top: a long list scrolls, and the scale stays in view.
    xAxis->setVisible(false);
    xAxis2->setVisible(true);
    xAxis2->setTicker(QSharedPointer<QCPAxisTicker>(new PercentTicker));
    yAxis->setTicker(m_labels);
    yAxis->setRangeReversed(true); // rank 0 at the top
    yAxis->grid()->setVisible(false);
    yAxis->setTickLength(0, 0);
    yAxis->setSubTickLength(0, 0);
    xAxis2->setSubTicks(false);
    xAxis2->grid()->setVisible(true);
    yAxis2->setVisible(false);
    for (QCPBars *bars : {m_top, m_rest}) {
        bars->setWidth(0.72);
        bars->setAntialiased(false);
        bars->setPen(Qt::NoPen);
    }
    axisRect()->setAutoMargins(QCP::msLeft | QCP::msTop);
    axisRect()->setMargins(QMargins(0, 0, 64, 8)); // room on the right for the value labels
    applyColors();
    rebuild();
}

void ClassifyChart::setScores(const std::vector<ml::LabelScore> &scores)
{
    m_scores = scores;
    rebuild();
}

void ClassifyChart::clearScores()
{
    m_scores.clear();
    rebuild();
}

void ClassifyChart::setTopK(int k)
{
    m_topK = std::max(0, k);
    rebuild();
}

int ClassifyChart::barCount() const
{
    return m_top->data()->size() + m_rest->data()->size();
}

int ClassifyChart::highlightedCount() const
{
    return m_top->data()->size();
}

QStringList ClassifyChart::tickLabels() const
{
    return m_labels->ticks().values();
}

int ClassifyChart::preferredHeight() const
{
    return kChrome + kRowHeight * std::max<int>(3, static_cast<int>(m_scores.size()));
}

void ClassifyChart::rebuild()
{
    for (QCPItemText *text : std::as_const(m_values))
        removeItem(text);
    m_values.clear();
    m_labels->clear();
    QVector<double> topKeys, topValues, restKeys, restValues;
    double maxProb = 0.0;
    const PlotColors colors = PlotColors::from(palette());
    QFont valueFont = font();
    valueFont.setPointSizeF(valueFont.pointSizeF() * 0.9);
    for (std::size_t i = 0; i < m_scores.size(); ++i) {
        const ml::LabelScore &s = m_scores[i];
        const double key = static_cast<double>(i);
        const bool top = static_cast<int>(i) < m_topK;
        (top ? topKeys : restKeys) << key;
        (top ? topValues : restValues) << s.prob;
        m_labels->addTick(key, QString::fromStdString(s.label));
        maxProb = std::max(maxProb, static_cast<double>(s.prob));

        auto *text = new QCPItemText(this);
        text->setClipToAxisRect(false);
        text->position->setAxes(xAxis2, yAxis);
        text->position->setCoords(s.prob, key);
        text->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        text->setPadding(QMargins(6, 0, 0, 0));
        text->setText(formatProbability(s.prob));
        text->setFont(valueFont);
        text->setColor(top ? colors.text : colors.dimText);
        m_values << text;
    }
    m_top->setData(topKeys, topValues, true);
    m_rest->setData(restKeys, restValues, true);
    // Probabilities near-uniform over many labels would be slivers on a 0–100 % axis.
    const double upper = m_scores.empty() ? 1.0 : std::min(1.0, std::max(0.05, maxProb * 1.08));
    xAxis2->setRange(0.0, upper);
    yAxis->setRange(-0.6, std::max<double>(0.0, static_cast<double>(m_scores.size()) - 0.4));
    setMinimumHeight(preferredHeight());
    replot(QCustomPlot::rpQueuedReplot);
}

void ClassifyChart::applyColors()
{
    const PlotColors c = PlotColors::from(palette());
    setBackground(c.background);
    axisRect()->setBackground(c.background);
    for (QCPAxis *axis : {xAxis2, yAxis}) {
        c.styleAxis(axis, font());
        axis->setTickLabelColor(c.text);
    }
    xAxis2->setTickLabelColor(c.dimText);
    m_top->setBrush(c.accent);
    m_rest->setBrush(c.muted);
}

void ClassifyChart::resizeEvent(QResizeEvent *event)
{
    // About one percentage label per 100 pixels, so they never run into each other.
    xAxis2->ticker()->setTickCount(std::clamp(event->size().width() / 100, 2, 6));
    QCustomPlot::resizeEvent(event);
}

void ClassifyChart::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange) {
        applyColors();
        rebuild();
    }
    QCustomPlot::changeEvent(event);
}
