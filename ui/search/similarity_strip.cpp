// The similarity strip under the search hits: three graphs on one QCustomPlot (the frames' curve,
// the best moment's stretch filled stronger, the best frame as a dot) and a pointer line with its
// time, moved by the mouse through an event filter on the plot.
#include "search/similarity_strip.h"

#include "common/panel_widgets.h"
#include "common/plot_colors.h"
#include "search/search_results_view.h"

#include <qcustomplot.h>

#include <QEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

SimilarityStrip::SimilarityStrip(QWidget *parent)
    : QWidget(parent)
    , m_caption(dimLabel(this))
    , m_plot(new QCustomPlot(this))
    , m_series(m_plot->addGraph())
    , m_moment(m_plot->addGraph())
    , m_best(m_plot->addGraph())
    , m_pointer(new QCPItemStraightLine(m_plot))
    , m_pointerText(new QCPItemText(m_plot))
{
    m_caption->setObjectName(QStringLiteral("searchStripCaption"));
    m_plot->setObjectName(QStringLiteral("searchStripPlot"));
    m_plot->setFixedHeight(120);
    m_plot->setMouseTracking(true);
    m_plot->setCursor(Qt::PointingHandCursor);
    m_plot->installEventFilter(this);
    m_best->setLineStyle(QCPGraph::lsNone);
    m_plot->xAxis->setNumberFormat(QStringLiteral("f"));
    m_plot->xAxis->setNumberPrecision(1);
    m_plot->yAxis->ticker()->setTickCount(3);
    for (QCPItemPosition *p : {m_pointer->point1, m_pointer->point2})
        p->setType(QCPItemPosition::ptPlotCoords);
    m_pointerText->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_pointerText->setPositionAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_pointerText->setPadding(QMargins(3, 1, 3, 1));
    m_pointer->setVisible(false);
    m_pointerText->setVisible(false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_caption);
    layout->addWidget(m_plot);
    applyColors();
    retranslate();
    setHit(nullptr);
}

void SimilarityStrip::applyColors()
{
    const PlotColors c = PlotColors::from(palette());
    const QColor accent = palette().color(QPalette::Highlight);
    m_series->setPen(QPen(accent, 2));
    QColor fill = accent;
    fill.setAlpha(45);
    m_series->setBrush(fill);
    m_moment->setPen(QPen(accent, 2));
    fill.setAlpha(130);
    m_moment->setBrush(fill);
    m_best->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, Qt::red, Qt::red, 7));
    m_plot->setBackground(c.background);
    m_plot->axisRect()->setBackground(c.background);
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->yAxis})
        c.styleAxis(axis, font());
    m_pointer->setPen(QPen(c.text, 1, Qt::DashLine));
    m_pointerText->setColor(c.text);
    QColor box = c.background;
    box.setAlpha(220);
    m_pointerText->setBrush(box);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void SimilarityStrip::retranslate()
{
    m_plot->xAxis->setLabel(tr("Time (s)"));
    if (m_bestS >= 0.0)
        m_caption->setText(tr("Similarity over time, best at %1 (moment %2–%3): click to play from there")
                               .arg(formatMoment(m_bestS), formatMoment(m_startS), formatMoment(m_endS)));
    else
        m_caption->setText(tr("Similarity over time: click to play from there"));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void SimilarityStrip::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    else if (event->type() == QEvent::PaletteChange)
        applyColors();
    QWidget::changeEvent(event);
}

void SimilarityStrip::setHit(const ml::SearchResultItem *hit)
{
    const bool show = hit && hit->kind == "video" && !hit->times.empty() && hit->times.size() == hit->series.size();
    setVisible(show);
    m_series->data()->clear();
    m_moment->data()->clear();
    m_best->data()->clear();
    showPointer(-1.0);
    m_bestS = m_startS = m_endS = -1.0;
    if (!show) {
        retranslate();
        return;
    }
    QVector<double> x, y, mx, my;
    for (std::size_t i = 0; i < hit->times.size(); ++i) {
        x << hit->times[i];
        y << static_cast<double>(hit->series[i]);
        if (hit->times[i] >= hit->startS && hit->times[i] < hit->endS) {
            mx << x.back();
            my << y.back();
        }
    }
    m_series->setData(x, y, true);
    m_moment->setData(mx, my, true);
    m_firstS = x.front();
    m_lastS = x.back();
    if (hit->bestS >= 0.0) {
        m_bestS = hit->bestS;
        m_startS = hit->startS;
        m_endS = hit->endS;
        const auto best = std::min_element(hit->times.begin(), hit->times.end(),
            [&](double a, double b) { return std::abs(a - hit->bestS) < std::abs(b - hit->bestS); });
        m_best->addData(hit->bestS, static_cast<double>(hit->series[std::size_t(best - hit->times.begin())]));
    }
    m_plot->rescaleAxes();
    const QCPRange yr = m_plot->yAxis->range();
    const double pad = std::max(0.01, 0.1 * yr.size());
    m_plot->yAxis->setRange(yr.lower - pad, yr.upper + pad);
    retranslate();
    m_plot->replot();
}

int SimilarityStrip::pointCount() const
{
    return isHidden() ? 0 : m_series->dataCount();
}

QString SimilarityStrip::caption() const
{
    return m_caption->text();
}

QWidget *SimilarityStrip::plot() const
{
    return m_plot;
}

double SimilarityStrip::xOf(double timeS) const
{
    return m_plot->xAxis->coordToPixel(timeS);
}

double SimilarityStrip::timeAt(double x) const
{
    return std::clamp(m_plot->xAxis->pixelToCoord(x), std::max(0.0, m_firstS), std::max(0.0, m_lastS));
}

void SimilarityStrip::showPointer(double timeS)
{
    const bool show = timeS >= 0.0 && m_series->dataCount() > 0;
    m_pointer->setVisible(show);
    m_pointerText->setVisible(show);
    if (show) {
        m_pointer->point1->setCoords(timeS, 0.0);
        m_pointer->point2->setCoords(timeS, 1.0);
        const QCPRange xr = m_plot->xAxis->range();
        const double ratio = xr.size() > 0.0 ? (timeS - xr.lower) / xr.size() : 0.5;
        m_pointerText->position->setCoords(std::clamp(ratio, 0.08, 0.92), 0.0);
        m_pointerText->setText(formatMoment(timeS));
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QString SimilarityStrip::pointerText() const
{
    return m_pointerText->visible() ? m_pointerText->text() : QString();
}

bool SimilarityStrip::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_plot && m_series->dataCount() > 0) {
        switch (event->type()) {
        case QEvent::MouseMove:
            showPointer(timeAt(static_cast<QMouseEvent *>(event)->position().x()));
            break;
        case QEvent::Leave:
            showPointer(-1.0);
            break;
        case QEvent::MouseButtonPress:
            if (static_cast<QMouseEvent *>(event)->button() == Qt::LeftButton) {
                const double t = timeAt(static_cast<QMouseEvent *>(event)->position().x());
                showPointer(t);
                Q_EMIT clicked(t);
                return true;
            }
            break;
        default:
            break;
        }
    }
    return QWidget::eventFilter(watched, event);
}
