// ImageView: paints from the smallest pyramid level that is still at least as large as the
// screen size, so a 24 MP photo zoomed out costs what a screen-sized one does.
#include "common/image_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace {

constexpr double kMinScale = 0.02;
constexpr double kMaxScale = 32.0;

} // namespace

ImageView::ImageView(QWidget *parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(120, 90);
    setCursor(Qt::OpenHandCursor);
}

QList<QImage> ImageView::makePyramid(const QImage &image)
{
    QList<QImage> levels {image.convertToFormat(QImage::Format_ARGB32_Premultiplied)};
    while (std::max(levels.last().width(), levels.last().height()) > 512)
        levels.append(levels.last().scaled(levels.last().size() / 2, Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
    return levels;
}

void ImageView::setImage(const QList<QImage> &levels)
{
    m_levels = levels;
    m_fit = true;
    applyFit();
    update();
}

void ImageView::setFrame(const QImage &image)
{
    const bool sameSize = !m_levels.isEmpty() && m_levels.first().size() == image.size();
    m_levels = {image};
    if (!sameSize || m_fit)
        applyFit();
    update();
}

void ImageView::clear()
{
    m_levels.clear();
    update();
}

QRectF ImageView::imageRect() const
{
    return QRectF(m_offset, QSizeF(imageSize()) * m_scale);
}

void ImageView::applyFit()
{
    if (m_levels.isEmpty())
        return;
    const QSizeF img = imageSize();
    const double s = std::min(width() / img.width(), height() / img.height());
    m_scale = std::clamp(s, kMinScale, kMaxScale);
    m_offset = QPointF((width() - img.width() * m_scale) / 2.0, (height() - img.height() * m_scale) / 2.0);
    Q_EMIT zoomChanged(m_scale);
}

void ImageView::fitToWindow()
{
    m_fit = true;
    applyFit();
    update();
}

void ImageView::actualSize()
{
    setZoom(1.0);
}

void ImageView::setZoom(double scale)
{
    zoomBy(scale / m_scale, rect().center());
}

void ImageView::zoomBy(double factor, QPointF anchor)
{
    if (m_levels.isEmpty())
        return;
    const double scale = std::clamp(m_scale * factor, kMinScale, kMaxScale);
    // Keep the image point under the anchor where it is.
    const QPointF imagePoint = (anchor - m_offset) / m_scale;
    m_scale = scale;
    m_offset = anchor - imagePoint * m_scale;
    m_fit = false;
    clampOffset();
    update();
    Q_EMIT zoomChanged(m_scale);
}

void ImageView::clampOffset()
{
    // Never let the picture leave the view: centred when smaller, edges stop at the border.
    const QSizeF s = QSizeF(imageSize()) * m_scale;
    auto clampAxis = [](double offset, double size, double view) {
        if (size <= view)
            return (view - size) / 2.0;
        return std::clamp(offset, view - size, 0.0);
    };
    m_offset = QPointF(clampAxis(m_offset.x(), s.width(), width()), clampAxis(m_offset.y(), s.height(), height()));
}

void ImageView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Window).darker(125));
    if (m_levels.isEmpty())
        return;
    const QRectF target = imageRect();
    // The smallest level still at least as wide as what is drawn.
    const QImage *level = &m_levels.first();
    for (const QImage &l : m_levels)
        if (l.width() >= target.width() * devicePixelRatioF())
            level = &l;
    p.setRenderHint(QPainter::SmoothPixmapTransform, m_scale < 2.0);
    p.drawImage(target, *level);
}

void ImageView::resizeEvent(QResizeEvent *)
{
    if (m_fit)
        applyFit();
    else
        clampOffset();
}

void ImageView::wheelEvent(QWheelEvent *event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps != 0.0)
        zoomBy(std::pow(1.25, steps), event->position());
    event->accept();
}

void ImageView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    m_dragging = true;
    m_dragStart = event->position();
    m_offsetStart = m_offset;
    setCursor(Qt::ClosedHandCursor);
}

void ImageView::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_dragging)
        return QWidget::mouseMoveEvent(event);
    m_offset = m_offsetStart + (event->position() - m_dragStart);
    m_fit = false;
    clampOffset();
    update();
}

void ImageView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton && m_dragging) {
        m_dragging = false;
        setCursor(Qt::OpenHandCursor);
    }
    QWidget::mouseReleaseEvent(event);
}

void ImageView::mouseDoubleClickEvent(QMouseEvent *event)
{
    if (m_fit || std::abs(m_scale - 1.0) > 1e-6)
        zoomBy(1.0 / m_scale, event->position());
    else
        fitToWindow();
}
