// The heat map views; their colours are core/explain/heatmap's, so the panel and the CLI's
// --png overlays agree.
#include "common/heatmap_view.h"

#include "explain/heatmap.h"

#include <QLocale>
#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <array>
#include <cmath>

namespace heatmap {

namespace {

ml::explain::ColourMap coreMap(ColourMap map)
{
    switch (map) {
    case ColourMap::Jet:
        return ml::explain::ColourMap::Jet;
    case ColourMap::Inferno:
        return ml::explain::ColourMap::Inferno;
    case ColourMap::Viridis:
        return ml::explain::ColourMap::Viridis;
    case ColourMap::Grey:
        return ml::explain::ColourMap::Gray;
    }
    return ml::explain::ColourMap::Jet;
}

} // namespace

QRgb colourAt(ColourMap map, double t)
{
    const auto c = ml::explain::colourAt(coreMap(map), std::isfinite(t) ? t : 0.0);
    return qRgb(c[0], c[1], c[2]);
}

const QVector<QRgb> &table(ColourMap map)
{
    static const std::array<QVector<QRgb>, 4> tables = [] {
        std::array<QVector<QRgb>, 4> t;
        for (int m = 0; m < 4; ++m)
            for (int i = 0; i < 256; ++i)
                t[static_cast<std::size_t>(m)].append(colourAt(static_cast<ColourMap>(m), i / 255.0));
        return t;
    }();
    return tables[static_cast<std::size_t>(map)];
}

std::pair<float, float> range(const std::vector<float> &values)
{
    if (values.empty())
        return {0.0f, 0.0f};
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    return {*lo, *hi};
}

QImage colourise(const std::vector<float> &values, int gridH, int gridW, int size, ColourMap map)
{
    if (gridH <= 0 || gridW <= 0 || size <= 0 || values.size() != static_cast<std::size_t>(gridH) * gridW)
        return {};
    const auto [lo, hi] = range(values);
    const float span = hi - lo;
    const QVector<QRgb> &lut = table(map);
    QImage out(size, size, QImage::Format_RGB32);
    // Patch centres sit at (i + 0.5) * size / grid; outside the outer centres the edge value holds.
    std::vector<int> x0(static_cast<std::size_t>(size)), x1(x0.size());
    std::vector<float> fx(x0.size());
    for (int x = 0; x < size; ++x) {
        const double g = std::clamp((x + 0.5) * gridW / size - 0.5, 0.0, gridW - 1.0);
        const auto i = static_cast<std::size_t>(x);
        x0[i] = static_cast<int>(g);
        x1[i] = std::min(gridW - 1, x0[i] + 1);
        fx[i] = static_cast<float>(g - x0[i]);
    }
    for (int y = 0; y < size; ++y) {
        const double g = std::clamp((y + 0.5) * gridH / size - 0.5, 0.0, gridH - 1.0);
        const int y0 = static_cast<int>(g);
        const int y1 = std::min(gridH - 1, y0 + 1);
        const auto fy = static_cast<float>(g - y0);
        const float *r0 = values.data() + static_cast<std::size_t>(y0) * gridW;
        const float *r1 = values.data() + static_cast<std::size_t>(y1) * gridW;
        auto *line = reinterpret_cast<QRgb *>(out.scanLine(y));
        for (int x = 0; x < size; ++x) {
            const auto i = static_cast<std::size_t>(x);
            const float top = r0[x0[i]] + fx[i] * (r0[x1[i]] - r0[x0[i]]);
            const float bottom = r1[x0[i]] + fx[i] * (r1[x1[i]] - r1[x0[i]]);
            const float v = top + fy * (bottom - top);
            const float t = span > 0.0f ? (v - lo) / span : 0.0f;
            line[x] = lut[std::clamp(static_cast<int>(t * 255.0f + 0.5f), 0, 255)];
        }
    }
    return out;
}

QImage overlay(
    const QImage &base, const std::vector<float> &values, int gridH, int gridW, ColourMap map, double opacity)
{
    if (base.isNull())
        return {};
    QImage out = base.convertToFormat(QImage::Format_RGB32);
    const QImage heat = colourise(values, gridH, gridW, out.width(), map);
    if (heat.isNull() || out.width() != out.height())
        return out;
    const double a = std::clamp(opacity, 0.0, 1.0);
    for (int y = 0; y < out.height(); ++y) {
        auto *dst = reinterpret_cast<QRgb *>(out.scanLine(y));
        const auto *src = reinterpret_cast<const QRgb *>(heat.constScanLine(y));
        for (int x = 0; x < out.width(); ++x) {
            const auto blend = [&](int b, int h) { return static_cast<int>(std::lround((1.0 - a) * b + a * h)); };
            dst[x] = qRgb(blend(qRed(dst[x]), qRed(src[x])), blend(qGreen(dst[x]), qGreen(src[x])),
                blend(qBlue(dst[x]), qBlue(src[x])));
        }
    }
    return out;
}

} // namespace heatmap

// --- HeatmapView ---------------------------------------------------------------------------

HeatmapView::HeatmapView(QWidget *parent) : QWidget(parent)
{
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
    setCursor(Qt::CrossCursor);
}

void HeatmapView::setImage(const QImage &image)
{
    m_image = image;
    recompose();
}

void HeatmapView::setMap(const std::vector<float> &values, int gridH, int gridW)
{
    m_values = values;
    m_gridH = gridH;
    m_gridW = gridW;
    recompose();
}

void HeatmapView::clearMap()
{
    m_values.clear();
    recompose();
}

void HeatmapView::setColourMap(heatmap::ColourMap map)
{
    m_colours = map;
    recompose();
}

void HeatmapView::setOpacity(double opacity)
{
    m_opacity = opacity;
    recompose();
}

void HeatmapView::setGridVisible(bool visible)
{
    m_grid = visible;
    update();
}

void HeatmapView::setMarkedPatch(int row, int col)
{
    m_markRow = row;
    m_markCol = col;
    update();
}

void HeatmapView::setHint(const QString &text)
{
    m_hint = text;
    update();
}

void HeatmapView::recompose()
{
    m_composed
        = m_values.empty() ? m_image : heatmap::overlay(m_image, m_values, m_gridH, m_gridW, m_colours, m_opacity);
    update();
}

QRect HeatmapView::imageRect() const
{
    const int side = std::min(width(), height());
    return {(width() - side) / 2, (height() - side) / 2, side, side};
}

QPoint HeatmapView::patchCentre(int row, int col) const
{
    const QRect r = imageRect();
    if (m_gridH <= 0 || m_gridW <= 0)
        return r.center();
    return {r.left() + static_cast<int>((col + 0.5) * r.width() / m_gridW),
        r.top() + static_cast<int>((row + 0.5) * r.height() / m_gridH)};
}

void HeatmapView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QRect r = imageRect();
    if (m_composed.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawRect(r.adjusted(0, 0, -1, -1));
        p.drawText(r.adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap, m_hint);
        return;
    }
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(r, m_composed);
    if (m_grid && m_gridH > 0 && m_gridW > 0) {
        p.setPen(QPen(QColor(255, 255, 255, 70), 1));
        for (int i = 1; i < m_gridW; ++i) {
            const int x = r.left() + i * r.width() / m_gridW;
            p.drawLine(x, r.top(), x, r.bottom());
        }
        for (int i = 1; i < m_gridH; ++i) {
            const int y = r.top() + i * r.height() / m_gridH;
            p.drawLine(r.left(), y, r.right(), y);
        }
    }
    if (m_markRow >= 0 && m_markCol >= 0 && m_gridH > 0 && m_gridW > 0) {
        const QRect cell(r.left() + m_markCol * r.width() / m_gridW, r.top() + m_markRow * r.height() / m_gridH,
            r.width() / m_gridW, r.height() / m_gridH);
        p.setPen(QPen(Qt::black, 3));
        p.drawRect(cell.adjusted(1, 1, -1, -1));
        p.setPen(QPen(Qt::white, 1.5));
        p.drawRect(cell.adjusted(1, 1, -1, -1));
    }
}

void HeatmapView::mousePressEvent(QMouseEvent *event)
{
    const QRect r = imageRect();
    const QPoint pos = event->position().toPoint();
    if (event->button() != Qt::LeftButton || m_image.isNull() || m_gridH <= 0 || m_gridW <= 0 || !r.contains(pos)) {
        QWidget::mousePressEvent(event);
        return;
    }
    const int col = std::clamp((pos.x() - r.left()) * m_gridW / std::max(1, r.width()), 0, m_gridW - 1);
    const int row = std::clamp((pos.y() - r.top()) * m_gridH / std::max(1, r.height()), 0, m_gridH - 1);
    Q_EMIT patchClicked(row, col);
}

// --- ColourBar -----------------------------------------------------------------------------

ColourBar::ColourBar(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void ColourBar::setColourMap(heatmap::ColourMap map)
{
    m_colours = map;
    update();
}

void ColourBar::setRange(float min, float max)
{
    m_minText = QLocale().toString(static_cast<double>(min), 'g', 4);
    m_maxText = QLocale().toString(static_cast<double>(max), 'g', 4);
    update();
}

void ColourBar::clearRange()
{
    m_minText.clear();
    m_maxText.clear();
    update();
}

QSize ColourBar::sizeHint() const
{
    return {240, minimumSizeHint().height()};
}

QSize ColourBar::minimumSizeHint() const
{
    return {120, fontMetrics().height() + 16};
}

void ColourBar::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QFontMetrics fm = fontMetrics();
    const int barHeight = 12;
    const QRect bar(0, 0, width(), barHeight);
    QImage strip(256, 1, QImage::Format_RGB32);
    const QVector<QRgb> &lut = heatmap::table(m_colours);
    for (int i = 0; i < 256; ++i)
        strip.setPixel(i, 0, lut[i]);
    p.drawImage(bar, strip);
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    p.setPen(palette().color(QPalette::WindowText));
    const QRect text(0, barHeight + 2, width(), fm.height());
    p.drawText(text, Qt::AlignLeft | Qt::AlignVCenter, m_minText);
    p.drawText(text, Qt::AlignRight | Qt::AlignVCenter, m_maxText);
}

// --- MapGrid -------------------------------------------------------------------------------

MapGrid::MapGrid(QWidget *parent) : QWidget(parent)
{
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

void MapGrid::setItems(const QList<QImage> &images, const QStringList &labels)
{
    m_images = images;
    m_labels = labels;
    if (m_current >= count())
        m_current = -1;
    updateGeometry();
    update();
}

void MapGrid::clear()
{
    setItems({}, {});
}

void MapGrid::setCurrent(int index)
{
    m_current = index >= 0 && index < count() ? index : -1;
    update();
}

void MapGrid::setThumbSize(int side)
{
    m_side = side;
    updateGeometry();
    update();
}

int MapGrid::columns(int width) const
{
    return std::max(1, (width + 4) / (m_side + 4));
}

int MapGrid::cellHeight() const
{
    return m_side + fontMetrics().height() + 2;
}

int MapGrid::heightForWidth(int width) const
{
    const int cols = columns(width);
    const int rows = (count() + cols - 1) / cols;
    return rows * (cellHeight() + 4);
}

QSize MapGrid::sizeHint() const
{
    return {4 * (m_side + 4), heightForWidth(4 * (m_side + 4))};
}

QSize MapGrid::minimumSizeHint() const
{
    return {m_side + 4, count() > 0 ? cellHeight() : 0};
}

QRect MapGrid::itemRect(int index) const
{
    const int cols = columns(width());
    return {(index % cols) * (m_side + 4), (index / cols) * (cellHeight() + 4), m_side, cellHeight()};
}

void MapGrid::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    const QFontMetrics fm = fontMetrics();
    for (int i = 0; i < count(); ++i) {
        const QRect cell = itemRect(i);
        const QRect picture(cell.topLeft(), QSize(m_side, m_side));
        p.drawImage(picture, m_images[i]);
        if (i == m_current) {
            p.setPen(QPen(palette().color(QPalette::Highlight), 3));
            p.drawRect(picture.adjusted(1, 1, -2, -2));
        }
        p.setPen(palette().color(i == m_current ? QPalette::Highlight : QPalette::WindowText));
        const QRect text(cell.left(), picture.bottom() + 1, m_side, fm.height() + 1);
        p.drawText(text, Qt::AlignHCenter | Qt::AlignTop, fm.elidedText(m_labels.value(i), Qt::ElideRight, m_side));
    }
}

void MapGrid::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton)
        for (int i = 0; i < count(); ++i)
            if (itemRect(i).contains(event->position().toPoint())) {
                Q_EMIT clicked(i);
                return;
            }
    QWidget::mousePressEvent(event);
}
