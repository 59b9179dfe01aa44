// ConfusionMatrixView: cell (t, p) is the colour map's data cell (p, t): x is the predicted
// class, y the true one, reversed so the first class is the top row as in every textbook.
#include "classify/confusion_matrix_view.h"

#include "common/plot_colors.h"

#include <algorithm>

namespace {

constexpr int kMaxLabelledCells = 40; // beyond this the counts would not fit in the cells

QSharedPointer<QCPAxisTickerText> classTicker(const QStringList &classes)
{
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int i = 0; i < classes.size(); ++i)
        ticker->addTick(i, classes.at(i));
    return ticker;
}

// Dark (few) to the accent to nearly white (many): readable on the dark and the light theme.
QCPColorGradient countGradient(const PlotColors &c)
{
    QCPColorGradient g;
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setColorStopAt(0.0, c.background.lightness() < 128 ? c.background.lighter(135) : QColor(0xf2, 0xf4, 0xf7));
    g.setColorStopAt(0.55, c.accent);
    g.setColorStopAt(1.0, c.background.lightness() < 128 ? QColor(0xd6, 0xe6, 0xff) : c.accent.darker(170));
    return g;
}

} // namespace

ConfusionMatrixView::ConfusionMatrixView(QWidget *parent)
    : QCustomPlot(parent)
    , m_map(new QCPColorMap(xAxis, yAxis))
    , m_scale(new QCPColorScale(this))
{
    setObjectName(QStringLiteral("confusionMatrix"));
    setMouseTracking(true);
    plotLayout()->addElement(0, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setBarWidth(10);
    QSharedPointer<QCPAxisTickerFixed> whole(new QCPAxisTickerFixed); // counts: no 0.5 ticks
    whole->setTickStep(1.0);
    whole->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_scale->axis()->setTicker(whole);
    m_map->setColorScale(m_scale);
    m_map->setInterpolate(false);
    m_map->setTightBoundary(false);
    auto *group = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    yAxis->setRangeReversed(true);
    xAxis2->setVisible(false);
    yAxis2->setVisible(false);
    for (QCPAxis *axis : {xAxis, yAxis}) {
        axis->grid()->setVisible(false);
        axis->setSubTicks(false);
        axis->setTickLength(0, 0);
    }
    applyColors();
    retranslate();
    rebuild();
}

void ConfusionMatrixView::setMatrix(const QStringList &classes, const std::vector<std::vector<int>> &confusion)
{
    m_classes = classes;
    m_matrix = confusion;
    m_matrix.resize(static_cast<std::size_t>(classes.size()));
    for (auto &row : m_matrix)
        row.resize(static_cast<std::size_t>(classes.size()), 0);
    rebuild();
}

int ConfusionMatrixView::total() const
{
    int sum = 0;
    for (const auto &row : m_matrix)
        for (int v : row)
            sum += v;
    return sum;
}

void ConfusionMatrixView::rebuild()
{
    for (QCPItemText *text : std::as_const(m_counts))
        removeItem(text);
    m_counts.clear();
    const int n = static_cast<int>(m_classes.size());
    const PlotColors colors = PlotColors::from(palette());
    m_map->data()->setSize(std::max(n, 1), std::max(n, 1));
    m_map->data()->setRange(QCPRange(0, std::max(n - 1, 0)), QCPRange(0, std::max(n - 1, 0)));
    int maxCount = 0;
    for (int t = 0; t < n; ++t)
        for (int p = 0; p < n; ++p) {
            const int count = m_matrix[t][p];
            maxCount = std::max(maxCount, count);
            m_map->data()->setCell(p, t, count);
        }
    if (n == 0)
        m_map->data()->fill(0);
    m_map->setDataRange(QCPRange(0, std::max(maxCount, 1)));
    m_map->setGradient(countGradient(colors));
    m_map->setVisible(n > 0);
    m_scale->setVisible(n > 0);

    if (n > 0 && n <= kMaxLabelledCells) {
        QFont cellFont = font();
        cellFont.setPointSizeF(n > 16 ? cellFont.pointSizeF() * 0.75 : cellFont.pointSizeF());
        QCPColorGradient gradient = countGradient(colors); // color() fills a lookup table
        for (int t = 0; t < n; ++t)
            for (int p = 0; p < n; ++p) {
                const int count = m_matrix[t][p];
                auto *text = new QCPItemText(this);
                text->position->setAxes(xAxis, yAxis);
                text->position->setCoords(p, t);
                text->setText(QString::number(count));
                text->setFont(cellFont);
                // Text colour by the cell's lightness so the number stays readable.
                const QRgb rgb = gradient.color(count, QCPRange(0, std::max(maxCount, 1)));
                text->setColor(QColor(rgb).lightness() > 140 ? QColor(0x16, 0x18, 0x1c) : QColor(0xf0, 0xf0, 0xf2));
                if (count == 0)
                    text->setColor(colors.dimText);
                m_counts << text;
            }
    }
    xAxis->setTicker(classTicker(m_classes));
    yAxis->setTicker(classTicker(m_classes));
    const bool longNames
        = std::any_of(m_classes.cbegin(), m_classes.cend(), [](const QString &s) { return s.size() > 6; });
    xAxis->setTickLabelRotation(n > 4 || longNames ? -40 : 0);
    xAxis->setRange(-0.5, std::max(n, 1) - 0.5);
    yAxis->setRange(-0.5, std::max(n, 1) - 0.5);
    replot(QCustomPlot::rpQueuedReplot);
}

QPair<int, int> ConfusionMatrixView::cellAt(const QPointF &pos) const
{
    const int n = static_cast<int>(m_classes.size());
    if (!axisRect()->rect().contains(pos.toPoint()))
        return {-1, -1};
    const int p = qRound(xAxis->pixelToCoord(pos.x()));
    const int t = qRound(yAxis->pixelToCoord(pos.y()));
    if (t < 0 || p < 0 || t >= n || p >= n)
        return {-1, -1};
    return {t, p};
}

QPointF ConfusionMatrixView::cellCenter(int truth, int predicted) const
{
    return {xAxis->coordToPixel(predicted), yAxis->coordToPixel(truth)};
}

void ConfusionMatrixView::mouseReleaseEvent(QMouseEvent *event)
{
    QCustomPlot::mouseReleaseEvent(event);
    if (event->button() != Qt::LeftButton)
        return;
    const auto [t, p] = cellAt(event->position());
    if (t >= 0)
        Q_EMIT cellClicked(t, p);
}

void ConfusionMatrixView::mouseMoveEvent(QMouseEvent *event)
{
    QCustomPlot::mouseMoveEvent(event);
    const QPair<int, int> cell = cellAt(event->position());
    if (cell == m_hover)
        return;
    m_hover = cell;
    if (cell.first < 0) {
        setToolTip(QString());
        unsetCursor();
        return;
    }
    const int count = m_matrix[cell.first][cell.second];
    setToolTip(
        tr("True: %1\nPredicted: %2\nImages: %3").arg(m_classes.at(cell.first), m_classes.at(cell.second)).arg(count));
    setCursor(count > 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
}

void ConfusionMatrixView::applyColors()
{
    const PlotColors c = PlotColors::from(palette());
    setBackground(c.background);
    axisRect()->setBackground(c.background);
    for (QCPAxis *axis : {xAxis, yAxis, m_scale->axis()}) {
        axis->setBasePen(QPen(c.grid));
        axis->setTickPen(QPen(c.grid));
        axis->setSubTickPen(QPen(c.grid));
        axis->setTickLabelColor(c.text);
        axis->setLabelColor(c.dimText);
        axis->setTickLabelFont(font());
    }
    m_scale->axis()->setTickLabelColor(c.dimText);
}

void ConfusionMatrixView::retranslate()
{
    xAxis->setLabel(tr("Predicted"));
    yAxis->setLabel(tr("True class"));
    m_scale->axis()->setLabel(tr("Images"));
}

void ConfusionMatrixView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslate();
        replot(QCustomPlot::rpQueuedReplot);
    } else if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange) {
        applyColors();
        rebuild();
    }
    QCustomPlot::changeEvent(event);
}
