// DiffusionTile and SchedulePlot.
#include "diffusion/diffusion_widgets.h"

#include "common/plot_colors.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace {

constexpr int kTileMin = 96;

// Ticks at the powers of ten only, labelled 10^k (the SNR spans many decades).
class PowerTicker : public QCPAxisTickerLog {
protected:
    QString getTickLabel(double tick, const QLocale &, QChar, int) override
    {
        return QStringLiteral("1e%1").arg(static_cast<int>(std::lround(std::log10(tick))));
    }
};

} // namespace

DiffusionTile::DiffusionTile(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    setMinimumWidth(kTileMin);
}

void DiffusionTile::setTitle(const QString &title)
{
    m_title = title;
    setToolTip(QString(title).replace(QLatin1Char('\n'), QStringLiteral(" · ")));
    update();
}

void DiffusionTile::setImage(const QImage &image)
{
    m_image = image;
    update();
}

void DiffusionTile::setPlaceholder(const QString &text)
{
    m_placeholder = text;
    update();
}

void DiffusionTile::setHighlighted(bool on)
{
    m_highlighted = on;
    update();
}

void DiffusionTile::setSquare(bool square)
{
    m_square = square;
    updateGeometry();
}

void DiffusionTile::setFixedImageSide(int side)
{
    setFixedSize(side + 4, side + 4 + titleHeight());
}

int DiffusionTile::titleHeight() const
{
    return fontMetrics().height() * 2 + 6; // two lines, each elided to the width
}

int DiffusionTile::heightForWidth(int width) const
{
    return width + titleHeight();
}

QSize DiffusionTile::sizeHint() const
{
    return {160, 160 + titleHeight()};
}

QSize DiffusionTile::minimumSizeHint() const
{
    return {kTileMin, kTileMin + titleHeight()};
}

QRect DiffusionTile::imageRect() const
{
    const QRect area(0, titleHeight(), width(), std::max(1, height() - titleHeight()));
    const int side = std::min(area.width(), area.height()) - 4;
    if (m_image.isNull() || side <= 0)
        return QRect(area.center() - QPoint(side / 2, side / 2), QSize(std::max(side, 1), std::max(side, 1)));
    // Whole-number zoom when the picture is small, so every pixel is a square of one size.
    const double fit = std::min(static_cast<double>(area.width() - 4) / m_image.width(),
        static_cast<double>(area.height() - 4) / m_image.height());
    const double zoom = fit >= 1.0 ? std::floor(fit) : fit;
    const QSize size(
        std::max(1, static_cast<int>(m_image.width() * zoom)), std::max(1, static_cast<int>(m_image.height() * zoom)));
    return QRect(
        QPoint(area.x() + (area.width() - size.width()) / 2, area.y() + (area.height() - size.height()) / 2), size);
}

void DiffusionTile::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QRect titleRect(0, 0, width(), titleHeight());
    p.setPen(palette().color(QPalette::WindowText));
    const QStringList lines = m_title.split(QLatin1Char('\n'));
    const int lineH = fontMetrics().height();
    for (int i = 0; i < lines.size() && i < 2; ++i) {
        const QRect r(
            0, titleRect.bottom() - 2 - (std::min<int>(2, static_cast<int>(lines.size())) - i) * lineH, width(), lineH);
        p.drawText(
            r, Qt::AlignHCenter | Qt::AlignVCenter, fontMetrics().elidedText(lines[i], Qt::ElideMiddle, width()));
    }
    const QRect r = imageRect();
    if (m_image.isNull()) {
        p.setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DashLine));
        p.drawRect(r.adjusted(0, 0, -1, -1));
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(r.adjusted(6, 6, -6, -6), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
    } else {
        p.setRenderHint(QPainter::SmoothPixmapTransform, false);
        p.drawImage(r, m_image);
    }
    if (m_highlighted) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 3));
        p.drawRect(r.adjusted(-2, -2, 1, 1));
    }
}

void DiffusionTile::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton && rect().contains(event->position().toPoint()))
        Q_EMIT clicked();
    QWidget::mouseReleaseEvent(event);
}

// --- the schedule plot ---------------------------------------------------------------------

SchedulePlot::SchedulePlot(QWidget *parent)
    : QCustomPlot(parent)
    , m_beta(addGraph(xAxis, yAxis))
    , m_alphaBar(addGraph(xAxis, yAxis))
    , m_snr(addGraph(xAxis, yAxis2))
    , m_steps(addGraph(xAxis, yAxis))
    , m_cursor(new QCPItemStraightLine(this))
{
    setMinimumHeight(240);
    m_beta->setPen(QPen(QColor(0xe5, 0x48, 0x4d), 2));
    m_alphaBar->setPen(QPen(QColor(0x2f, 0x80, 0xed), 2));
    m_snr->setPen(QPen(QColor(0x30, 0xa4, 0x6c), 2, Qt::DashLine));
    m_steps->setLineStyle(QCPGraph::lsNone);
    m_steps->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QColor(0x2f, 0x80, 0xed), 4));
    m_steps->removeFromLegend();
    yAxis->setRange(0.0, 1.0);
    yAxis2->setVisible(true);
    yAxis2->setScaleType(QCPAxis::stLogarithmic);
    yAxis2->setTicker(QSharedPointer<QCPAxisTicker>(new PowerTicker));
    yAxis2->setRange(1e-4, 1e4);
    xAxis->setRange(0, 1000);
    m_cursor->point1->setType(QCPItemPosition::ptPlotCoords);
    m_cursor->point2->setType(QCPItemPosition::ptPlotCoords);
    m_cursor->setVisible(false);
    legend->setVisible(true);
    // Bottom left: below ᾱ and the SNR, left of where β rises.
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignLeft);
    applyColors();
    retranslate();
}

void SchedulePlot::applyColors()
{
    const PlotColors c = PlotColors::from(palette());
    setBackground(c.background);
    axisRect()->setBackground(c.background);
    for (QCPAxis *axis : {xAxis, yAxis, yAxis2})
        c.styleAxis(axis, font());
    yAxis2->grid()->setVisible(false);
    m_cursor->setPen(QPen(c.text, 1.5));
    QColor fill = c.background;
    fill.setAlpha(210);
    legend->setBrush(fill);
    legend->setBorderPen(QPen(c.grid));
    legend->setTextColor(c.text);
    legend->setFont(font());
    replot(QCustomPlot::rpQueuedReplot);
}

void SchedulePlot::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange)
        applyColors();
    QCustomPlot::changeEvent(event);
}

void SchedulePlot::wheelEvent(QWheelEvent *event)
{
    event->ignore();
}

void SchedulePlot::retranslate()
{
    m_beta->setName(tr("β_t"));
    m_alphaBar->setName(tr("ᾱ_t"));
    m_snr->setName(tr("SNR (right, log)"));
    xAxis->setLabel(tr("timestep t"));
    yAxis->setLabel(tr("β_t, ᾱ_t"));
    yAxis2->setLabel(tr("SNR = ᾱ / (1 − ᾱ)"));
    replot(QCustomPlot::rpQueuedReplot);
}

void SchedulePlot::setTables(const ml::ScheduleTables &s)
{
    const auto n = static_cast<int>(s.trainBeta.size());
    QVector<double> t(n), beta(n), abar(n), snr(n);
    double lo = INFINITY, hi = 0.0;
    for (int i = 0; i < n; ++i) {
        t[i] = i;
        beta[i] = s.trainBeta[static_cast<std::size_t>(i)];
        abar[i] = s.trainAlphaBar[static_cast<std::size_t>(i)];
        snr[i] = std::max(s.trainSnr[static_cast<std::size_t>(i)], 1e-12);
        lo = std::min(lo, snr[i]);
        hi = std::max(hi, snr[i]);
    }
    m_beta->setData(t, beta, true);
    m_alphaBar->setData(t, abar, true);
    m_snr->setData(t, snr, true);
    QVector<double> st, sa;
    for (std::size_t i = 0; i < s.timesteps.size(); ++i) {
        st << static_cast<double>(s.timesteps[i]);
        sa << s.alphaBar[i];
    }
    m_steps->setData(st, sa);
    xAxis->setRange(0, std::max(1, n - 1));
    if (n > 0)
        yAxis2->setRange(std::pow(10.0, std::floor(std::log10(lo))), std::pow(10.0, std::ceil(std::log10(hi))));
    replot(QCustomPlot::rpQueuedReplot);
}

void SchedulePlot::setCursorTimestep(double t)
{
    m_cursorT = t;
    m_cursor->setVisible(t >= 0);
    m_cursor->point1->setCoords(t, 0.0);
    m_cursor->point2->setCoords(t, 1.0);
    replot(QCustomPlot::rpQueuedReplot);
}

bool SchedulePlot::isCursorVisible() const
{
    return m_cursor->visible();
}
