// ProbeCanvas: HeatmapView's drawing, then the mask as a translucent hatched layer on top.
#include "chat/probe_canvas.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>

ProbeCanvas::ProbeCanvas(QWidget *parent) : HeatmapView(parent)
{ }

void ProbeCanvas::setMask(const QImage &mask)
{
    m_mask = mask;
    m_maskOverlay = QImage();
    if (!mask.isNull()) {
        // Hidden pixels: white and magenta stripes at half opacity, readable on any map colour.
        m_maskOverlay = QImage(mask.size(), QImage::Format_ARGB32_Premultiplied);
        for (int y = 0; y < mask.height(); ++y) {
            const uchar *src = mask.constScanLine(y);
            auto *dst = reinterpret_cast<QRgb *>(m_maskOverlay.scanLine(y));
            for (int x = 0; x < mask.width(); ++x) {
                const bool stripe = ((x + y) / 4) % 2 == 0;
                dst[x] = src[x] ? (stripe ? qRgba(128, 128, 128, 128) : qRgba(120, 0, 90, 128)) : 0;
            }
        }
    }
    update();
}

void ProbeCanvas::setPaintMode(bool on)
{
    m_paintMode = on;
    m_dragging = false;
    setCursor(on ? Qt::PointingHandCursor : Qt::CrossCursor);
}

QPoint ProbeCanvas::widgetPoint(const QPointF &point) const
{
    const QRect r = imageRect();
    return {r.left() + static_cast<int>(point.x() * r.width()), r.top() + static_cast<int>(point.y() * r.height())};
}

QPointF ProbeCanvas::normalised(const QPointF &pos) const
{
    const QRectF r = imageRect();
    return {std::clamp((pos.x() - r.left()) / std::max(1.0, r.width()), 0.0, 1.0),
        std::clamp((pos.y() - r.top()) / std::max(1.0, r.height()), 0.0, 1.0)};
}

void ProbeCanvas::paintEvent(QPaintEvent *event)
{
    HeatmapView::paintEvent(event);
    if (m_maskOverlay.isNull() || image().isNull())
        return;
    QPainter p(this);
    p.drawImage(imageRect(), m_maskOverlay);
}

void ProbeCanvas::mousePressEvent(QMouseEvent *event)
{
    const bool button = event->button() == Qt::LeftButton || event->button() == Qt::RightButton;
    if (!m_paintMode || !button || image().isNull() || !imageRect().contains(event->position().toPoint())) {
        HeatmapView::mousePressEvent(event);
        return;
    }
    m_dragging = true;
    m_erasing = event->button() == Qt::RightButton;
    m_last = normalised(event->position());
    Q_EMIT stroked(m_last, m_last, m_erasing);
}

void ProbeCanvas::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_dragging) {
        HeatmapView::mouseMoveEvent(event);
        return;
    }
    const QPointF to = normalised(event->position());
    Q_EMIT stroked(m_last, to, m_erasing);
    m_last = to;
}

void ProbeCanvas::mouseReleaseEvent(QMouseEvent *event)
{
    m_dragging = false;
    HeatmapView::mouseReleaseEvent(event);
}

void ProbeCanvas::resizeEvent(QResizeEvent *event)
{
    setMaximumHeight(std::max(minimumHeight(), width()));
    HeatmapView::resizeEvent(event);
}
