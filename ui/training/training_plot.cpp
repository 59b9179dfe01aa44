// TrainingPlot: one QCPGraph per run and series on a shared axis rect. The view follows the data
// (fitted after each point) until the user zooms or drags; a double-click fits it again.
#include "training/training_plot.h"

#include "common/format.h"
#include "common/plot_colors.h"

#include <QLocale>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace {

const Qt::PenStyle kSeriesStyles[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine};
constexpr int kPickRadius = 12; // pixels: how near the mouse a point must be for its tooltip

// Steps are whole numbers: no tick at 2.5.
class StepTicker : public QCPAxisTicker {
protected:
    double getTickStep(const QCPRange &range) override { return std::max(1.0, QCPAxisTicker::getTickStep(range)); }
};

class PercentTicker : public QCPAxisTicker {
protected:
    QString getTickLabel(double tick, const QLocale &locale, QChar, int) override
    {
        return QStringLiteral("%1 %").arg(locale.toString(100.0 * tick, 'f', 0));
    }
};

// Ticks at 1, 2 and 5 times each power of ten (only the powers over a wide range, more within a
// decade), sub-ticks at the other integers: QCPAxisTickerLog labels only whole powers, which is
// often a single tick for a loss.
class LogTicker : public QCPAxisTicker {
protected:
    QVector<double> createTickVector(double, const QCPRange &range) override
    {
        QVector<double> ticks;
        if (range.lower <= 0.0 || range.upper <= range.lower)
            return ticks;
        const int lo = static_cast<int>(std::floor(std::log10(range.lower)));
        const int hi = static_cast<int>(std::ceil(std::log10(range.upper)));
        const double decades = std::log10(range.upper / range.lower);
        const QVector<double> mantissas = decades < 0.7 ? QVector<double> {1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9}
            : decades <= 2.5                            ? QVector<double> {1, 2, 5}
                                                        : QVector<double> {1};
        for (int e = lo - 1; e <= hi; ++e)
            for (double m : mantissas)
                ticks << m * std::pow(10.0, e);
        return ticks;
    }
    QVector<double> createSubTickVector(int, const QVector<double> &ticks) override
    {
        QVector<double> subTicks;
        if (ticks.size() < 2)
            return subTicks;
        const int lo = static_cast<int>(std::floor(std::log10(ticks.first())));
        const int hi = static_cast<int>(std::ceil(std::log10(ticks.last())));
        for (int e = lo; e <= hi; ++e)
            for (int m = 1; m <= 9; ++m) {
                const double v = m * std::pow(10.0, e);
                if (v > ticks.first() && v < ticks.last()
                    && std::none_of(ticks.begin(), ticks.end(), [v](double t) { return std::abs(t - v) < 1e-9 * v; }))
                    subTicks << v;
            }
        return subTicks;
    }
};

} // namespace

TrainingPlot::TrainingPlot(Kind kind, QWidget *parent)
    : QCustomPlot(parent)
    , m_kind(kind)
    , m_title(new QCPTextElement(this))
    , m_linearTicker(kind == Accuracy ? QSharedPointer<QCPAxisTicker>(new PercentTicker)
                                      : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker))
    , m_logTicker(new LogTicker)
{
    static const char *const kNames[] = {"lossPlot", "accuracyPlot", "learningRatePlot", "temperaturePlot"};
    setObjectName(QLatin1String(kNames[kind]));
    setMouseTracking(true);
    setNoAntialiasingOnDrag(true);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    setMinimumSize(220, 170);

    plotLayout()->insertRow(0);
    plotLayout()->addElement(0, 0, m_title);
    QFont titleFont = font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setMargins(QMargins(0, 4, 0, 0));

    xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new StepTicker));
    xAxis->ticker()->setTickCount(4);
    yAxis->setTicker(m_linearTicker);
    yAxis->ticker()->setTickCount(4);
    yAxis->setNumberFormat(kind == LearningRate ? QStringLiteral("gbc") : QStringLiteral("g"));
    yAxis->setNumberPrecision(kind == LearningRate ? 2 : 3);
    xAxis->setRange(0, 10);
    yAxis->setRange(kind == Accuracy ? QCPRange(-0.02, 1.02) : QCPRange(0, 1));

    legend->setVisible(false);
    QFont legendFont = font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
    legend->setFont(legendFont);
    legend->setRowSpacing(0);
    legend->setIconSize(18, 8);
    // Where the curves usually are not: losses, temperatures and (after the warm-up) learning rates
    // fall; accuracies rise.
    axisRect()->insetLayout()->setInsetAlignment(
        0, kind == Accuracy ? Qt::AlignBottom | Qt::AlignRight : Qt::AlignTop | Qt::AlignRight);
    if (kind == Accuracy)
        for (int series = 0; series < seriesCount(); ++series) {
            QCPGraph *key = addGraph(xAxis, yAxis);
            key->removeFromLegend(); // until a run has points in this series
            m_seriesKeys << key;
        }

    applyColors();
    retranslate();
}

void TrainingPlot::setRun(int run, const QString &name, const QColor &colour)
{
    Run &r = m_runs[run];
    r.name = name;
    r.colour = colour;
    while (r.graphs.size() < seriesCount()) {
        QCPGraph *graph = addGraph(xAxis, yAxis);
        graph->removeFromLegend(); // until it holds a point
        if (m_kind == Accuracy)    // evaluated every N steps: mark the measurements
            graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
        r.graphs << graph;
    }
    for (int s = 0; s < r.graphs.size(); ++s) {
        r.graphs[s]->setPen(QPen(colour, 1.6, kSeriesStyles[s]));
        r.graphs[s]->setScatterStyle(
            m_kind == Accuracy ? QCPScatterStyle(QCPScatterStyle::ssDisc, colour, 4) : QCPScatterStyle());
    }
    updateNames();
    replot(rpQueuedReplot);
}

void TrainingPlot::removeRun(int run)
{
    const auto it = m_runs.find(run);
    if (it == m_runs.end())
        return;
    for (QCPGraph *graph : std::as_const(it->graphs))
        removeGraph(graph);
    m_runs.erase(it);
    updateNames();
    if (m_follow)
        fitView();
    replot(rpQueuedReplot);
}

void TrainingPlot::clearRun(int run)
{
    for (QCPGraph *graph : m_runs.value(run).graphs) {
        graph->data()->clear();
        graph->removeFromLegend();
    }
    updateNames();
    replot(rpQueuedReplot);
}

void TrainingPlot::addPoint(int run, int series, double step, double value)
{
    const auto it = m_runs.constFind(run);
    Q_ASSERT(it != m_runs.constEnd() && series >= 0 && series < it->graphs.size());
    if (it == m_runs.constEnd() || series < 0 || series >= it->graphs.size() || !std::isfinite(value))
        return;
    QCPGraph *graph = it->graphs[series];
    if (graph->data()->isEmpty()) {
        (m_kind == Accuracy ? m_seriesKeys[series] : graph)->addToLegend();
        updateNames();
    }
    graph->addData(step, value);
    if (m_follow)
        fitView();
    replot(rpQueuedReplot);
}

int TrainingPlot::pointCount(int run, int series) const
{
    const auto it = m_runs.constFind(run);
    if (it == m_runs.constEnd() || series < 0 || series >= it->graphs.size())
        return 0;
    return it->graphs[series]->data()->size();
}

int TrainingPlot::visibleGraphCount() const
{
    int n = 0;
    for (const Run &r : m_runs)
        for (const QCPGraph *graph : r.graphs)
            n += graph->data()->isEmpty() ? 0 : 1;
    return n;
}

void TrainingPlot::setLogScale(bool on)
{
    yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    yAxis->setTicker(on ? m_logTicker : m_linearTicker);
    yAxis->setSubTicks(true);
    resetView();
}

bool TrainingPlot::logScale() const
{
    return yAxis->scaleType() == QCPAxis::stLogarithmic;
}

void TrainingPlot::resetView()
{
    m_follow = true;
    fitView();
    replot(rpQueuedReplot);
}

void TrainingPlot::fitView()
{
    bool haveKeys = false, haveValues = false;
    QCPRange keys, values;
    const QCP::SignDomain domain = logScale() ? QCP::sdPositive : QCP::sdBoth;
    for (const Run &r : std::as_const(m_runs))
        for (const QCPGraph *graph : r.graphs) {
            if (graph->data()->isEmpty())
                continue;
            bool found = false;
            const QCPRange k = graph->getKeyRange(found);
            if (found) {
                keys = haveKeys ? QCPRange(std::min(keys.lower, k.lower), std::max(keys.upper, k.upper)) : k;
                haveKeys = true;
            }
            const QCPRange v = graph->getValueRange(found, domain);
            if (found) {
                values = haveValues ? QCPRange(std::min(values.lower, v.lower), std::max(values.upper, v.upper)) : v;
                haveValues = true;
            }
        }
    xAxis->setRange(0.0, haveKeys ? std::max(keys.upper * 1.02, keys.upper + 1.0) : 10.0);
    if (m_kind == Accuracy) {
        yAxis->setRange(-0.02, 1.02);
    } else if (!haveValues) {
        yAxis->setRange(logScale() ? QCPRange(0.1, 10.0) : QCPRange(0.0, 1.0));
    } else if (logScale()) {
        yAxis->setRange(values.lower / 1.15, values.upper * 1.15);
    } else {
        double pad = 0.06 * (values.upper - values.lower);
        if (pad <= 0.0)
            pad = std::max(1e-12, 0.1 * std::abs(values.upper));
        yAxis->setRange(values.lower - pad, values.upper + pad);
    }
}

QString TrainingPlot::seriesName(int series) const
{
    if (m_kind != Accuracy)
        return {};
    switch (series) {
    case 0:
        return tr("Shapes");
    case 1:
        return tr("Held-out pairs");
    default:
        return tr("Fashion-MNIST");
    }
}

void TrainingPlot::updateNames()
{
    const bool severalRuns = m_runs.size() > 1;
    for (const Run &r : std::as_const(m_runs))
        for (int s = 0; s < r.graphs.size(); ++s) {
            QString name = r.name;
            if (m_kind == Accuracy)
                name = severalRuns ? QStringLiteral("%1 · %2").arg(r.name, seriesName(s)) : seriesName(s);
            r.graphs[s]->setName(name);
        }
    for (int series = 0; series < m_seriesKeys.size(); ++series) {
        m_seriesKeys[series]->setName(seriesName(series));
        const bool used = std::any_of(
            m_runs.begin(), m_runs.end(), [series](const Run &r) { return !r.graphs[series]->data()->isEmpty(); });
        if (used)
            m_seriesKeys[series]->addToLegend();
        else
            m_seriesKeys[series]->removeFromLegend();
    }
    legend->setVisible((m_kind == Accuracy || severalRuns) && legend->itemCount() > 0);
}

void TrainingPlot::showPointAt(const QPointF &pos)
{
    if (!axisRect()->rect().contains(pos.toPoint())) {
        QToolTip::hideText();
        return;
    }
    const double key = xAxis->pixelToCoord(pos.x());
    double best = kPickRadius;
    QString text;
    for (const Run &r : std::as_const(m_runs))
        for (QCPGraph *graph : r.graphs) {
            const auto data = graph->data();
            if (data->isEmpty())
                continue;
            const int i = static_cast<int>(data->findBegin(key) - data->constBegin());
            for (int j = std::max(0, i - 1); j <= std::min(data->size() - 1, i + 1); ++j) {
                const auto p = data->at(j);
                const double d
                    = std::hypot(xAxis->coordToPixel(p->key) - pos.x(), yAxis->coordToPixel(p->value) - pos.y());
                if (d >= best)
                    continue;
                best = d;
                const QLocale locale;
                const QString value = m_kind == Accuracy ? formatProbability(p->value)
                    : m_kind == LearningRate             ? locale.toString(p->value, 'g', 3)
                                                         : locale.toString(p->value, 'f', 4);
                text = graph->name() + QLatin1Char('\n')
                    + tr("step %1: %2").arg(locale.toString(static_cast<qint64>(p->key)), value);
            }
        }
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(mapToGlobal(pos.toPoint()), text, this);
}

void TrainingPlot::mouseDoubleClickEvent(QMouseEvent *event)
{
    QCustomPlot::mouseDoubleClickEvent(event);
    resetView();
}

void TrainingPlot::mouseMoveEvent(QMouseEvent *event)
{
    if (event->buttons() != Qt::NoButton)
        m_follow = false; // the user drags the view
    else
        showPointAt(event->position());
    QCustomPlot::mouseMoveEvent(event);
}

void TrainingPlot::wheelEvent(QWheelEvent *event)
{
    m_follow = false;
    QCustomPlot::wheelEvent(event);
}

void TrainingPlot::applyColors()
{
    const PlotColors c = PlotColors::from(palette());
    setBackground(c.background);
    axisRect()->setBackground(c.background);
    for (QCPAxis *axis : {xAxis, yAxis})
        c.styleAxis(axis, font());
    m_title->setTextColor(c.text);
    for (int series = 0; series < m_seriesKeys.size(); ++series) {
        m_seriesKeys[series]->setPen(QPen(c.text, 1.6, kSeriesStyles[series]));
        m_seriesKeys[series]->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, c.text, 4));
    }
    QColor fill = c.background;
    fill.setAlpha(210);
    legend->setBrush(fill);
    legend->setBorderPen(QPen(c.grid));
    legend->setTextColor(c.text);
}

void TrainingPlot::setVqa(bool on)
{
    m_vqa = on;
    retranslate();
}

void TrainingPlot::retranslate()
{
    switch (m_kind) {
    case Loss:
        m_title->setText(tr("Loss"));
        break;
    case Accuracy:
        m_title->setText(m_vqa ? tr("Held-out VQA accuracy") : tr("Held-out zero-shot accuracy"));
        break;
    case LearningRate:
        m_title->setText(tr("Learning rate"));
        break;
    case Temperature:
        m_title->setText(tr("Temperature"));
        break;
    }
    xAxis->setLabel(tr("step"));
    updateNames();
}

void TrainingPlot::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange)
        applyColors();
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange
        || event->type() == QEvent::LanguageChange)
        replot(rpQueuedReplot);
    QCustomPlot::changeEvent(event);
}
