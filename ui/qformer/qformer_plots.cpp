// SimilarityPlot: cell (row, col) of the matrix at x = col, y = row, rows top to bottom.
// AblationPlot: bar i is the i-th largest drop; a second QCPBars draws the selected one.
#include "qformer/qformer_plots.h"

#include "common/plot_colors.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace {

QSharedPointer<QCPAxisTickerText> queryTicker(const std::vector<int> &queries, int every)
{
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (std::size_t i = 0; i < queries.size(); i += static_cast<std::size_t>(std::max(1, every)))
        ticker->addTick(static_cast<double>(i), QString::number(queries[i] + 1));
    return ticker;
}

int tickEvery(int n)
{
    return n <= 16 ? 1 : n <= 32 ? 2 : 4;
}

} // namespace

SimilarityPlot::SimilarityPlot(QWidget *parent)
    : QCustomPlot(parent)
    , m_map(new QCPColorMap(xAxis, yAxis))
    , m_scale(new QCPColorScale(this))
{
    plotLayout()->addElement(0, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setBarWidth(10);
    m_map->setColorScale(m_scale);
    m_map->setInterpolate(false);
    m_map->setTightBoundary(false);
    m_map->setDataRange(QCPRange(-1.0, 1.0));
    m_map->setGradient(QCPColorGradient(QCPColorGradient::gpPolar));
    auto *group = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    yAxis->setRangeReversed(true);
    for (QCPAxis *axis : {xAxis, yAxis}) {
        axis->grid()->setVisible(false);
        axis->setSubTicks(false);
        axis->setTickLength(0, 0);
    }
    applyColors();
    retranslate();
    setMatrix({}, 0);
}

void SimilarityPlot::setMatrix(const std::vector<float> &values, int queries)
{
    const bool ok = queries > 0 && values.size() == static_cast<std::size_t>(queries) * queries;
    m_queries = ok ? queries : 0;
    const int n = std::max(m_queries, 1);
    m_map->data()->setSize(n, n);
    m_map->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
    m_map->data()->fill(0);
    for (int r = 0; r < m_queries; ++r)
        for (int c = 0; c < m_queries; ++c)
            m_map->data()->setCell(c, r, values[static_cast<std::size_t>(r) * queries + c]);
    m_map->setVisible(m_queries > 0);
    m_scale->setVisible(m_queries > 0);
    std::vector<int> all(static_cast<std::size_t>(m_queries));
    std::iota(all.begin(), all.end(), 0);
    xAxis->setTicker(queryTicker(all, tickEvery(m_queries)));
    yAxis->setTicker(queryTicker(all, tickEvery(m_queries)));
    xAxis->setRange(-0.5, n - 0.5);
    yAxis->setRange(-0.5, n - 0.5);
    replot(QCustomPlot::rpQueuedReplot);
}

double SimilarityPlot::cell(int row, int col) const
{
    if (row < 0 || col < 0 || row >= m_queries || col >= m_queries)
        return NAN;
    return m_map->data()->cell(col, row);
}

void SimilarityPlot::mousePressEvent(QMouseEvent *event)
{
    QCustomPlot::mousePressEvent(event);
    if (m_queries == 0 || !axisRect()->rect().contains(event->pos()))
        return;
    const int row = qRound(yAxis->pixelToCoord(event->position().y()));
    if (row >= 0 && row < m_queries)
        Q_EMIT queryClicked(row);
}

void SimilarityPlot::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    else if (event->type() == QEvent::PaletteChange)
        applyColors();
    QCustomPlot::changeEvent(event);
}

void SimilarityPlot::applyColors()
{
    const PlotColors c = PlotColors::from(palette());
    setBackground(c.background);
    axisRect()->setBackground(c.background);
    for (QCPAxis *axis : {xAxis, yAxis, m_scale->axis()})
        c.styleAxis(axis, font());
    replot(QCustomPlot::rpQueuedReplot);
}

void SimilarityPlot::retranslate()
{
    xAxis->setLabel(tr("query"));
    yAxis->setLabel(tr("query"));
    m_scale->axis()->setLabel(tr("cosine similarity"));
    replot(QCustomPlot::rpQueuedReplot);
}

// --- AblationPlot --------------------------------------------------------------------------

AblationPlot::AblationPlot(QWidget *parent)
    : QCustomPlot(parent)
    , m_bars(new QCPBars(xAxis, yAxis))
    , m_selected(new QCPBars(xAxis, yAxis))
{
    m_bars->setWidth(0.75);
    m_selected->setWidth(0.75);
    xAxis->grid()->setVisible(false);
    xAxis->setSubTicks(false);
    xAxis->setTickLength(0, 0);
    applyColors();
    retranslate();
    rebuild();
}

void AblationPlot::setDrops(const std::vector<double> &drops)
{
    m_drops = drops;
    m_order.resize(drops.size());
    std::iota(m_order.begin(), m_order.end(), 0);
    std::stable_sort(m_order.begin(), m_order.end(),
        [&drops](int a, int b) { return drops[static_cast<std::size_t>(a)] > drops[static_cast<std::size_t>(b)]; });
    rebuild();
}

void AblationPlot::setSelectedQuery(int query)
{
    m_query = query;
    rebuild();
}

void AblationPlot::rebuild()
{
    QVector<double> keys, values, selKeys, selValues;
    double lo = 0.0, hi = 0.0;
    for (std::size_t i = 0; i < m_order.size(); ++i) {
        const int q = m_order[i];
        const double v = m_drops[static_cast<std::size_t>(q)];
        (q == m_query ? selKeys : keys) << static_cast<double>(i);
        (q == m_query ? selValues : values) << v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    m_bars->setData(keys, values, true);
    m_selected->setData(selKeys, selValues, true);
    xAxis->setTicker(queryTicker(m_order, tickEvery(static_cast<int>(m_order.size()))));
    xAxis->setRange(-0.6, std::max<double>(1.0, static_cast<double>(m_order.size())) - 0.4);
    const double pad = std::max(1e-6, 0.08 * (hi - lo));
    yAxis->setRange(lo - (lo < 0 ? pad : 0), hi + pad);
    replot(QCustomPlot::rpQueuedReplot);
}

QPoint AblationPlot::barCentre(int rank) const
{
    if (rank < 0 || rank >= barCount())
        return {};
    const double v = m_drops[static_cast<std::size_t>(m_order[static_cast<std::size_t>(rank)])];
    return QPoint(qRound(xAxis->coordToPixel(rank)), qRound(yAxis->coordToPixel(v / 2.0)));
}

void AblationPlot::mousePressEvent(QMouseEvent *event)
{
    QCustomPlot::mousePressEvent(event);
    if (m_order.empty() || !axisRect()->rect().contains(event->pos()))
        return;
    const int rank = qRound(xAxis->pixelToCoord(event->position().x()));
    if (rank >= 0 && rank < barCount())
        Q_EMIT queryClicked(m_order[static_cast<std::size_t>(rank)]);
}

void AblationPlot::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    else if (event->type() == QEvent::PaletteChange)
        applyColors();
    QCustomPlot::changeEvent(event);
}

void AblationPlot::applyColors()
{
    const PlotColors c = PlotColors::from(palette());
    setBackground(c.background);
    axisRect()->setBackground(c.background);
    c.styleAxis(xAxis, font());
    c.styleAxis(yAxis, font());
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(c.accent);
    m_selected->setPen(QPen(c.text, 1.5));
    m_selected->setBrush(c.accent.lighter(130));
    replot(QCustomPlot::rpQueuedReplot);
}

void AblationPlot::retranslate()
{
    xAxis->setLabel(tr("query, the largest drop first"));
    yAxis->setLabel(tr("drop in log p(answer)"));
    replot(QCustomPlot::rpQueuedReplot);
}
