// ProbeCanvas: the grounding page's picture, a HeatmapView (the model's input crop with a word's
// map over it) on which the probe's hidden region is drawn, hatched and semi-transparent; in paint
// mode a drag with the left button paints it (the right button erases) instead of picking a patch.
#pragma once

#include "common/heatmap_view.h"

class ProbeCanvas : public HeatmapView {
    Q_OBJECT
public:
    explicit ProbeCanvas(QWidget *parent = nullptr);

    // mask: Grayscale8 over the crop (any size; non-zero = hidden); null: nothing hidden.
    void setMask(const QImage &mask);
    void setPaintMode(bool on);
    bool paintMode() const { return m_paintMode; }
    // A point of the crop in its normalised coordinates ([0, 1] x [0, 1]) in widget coordinates.
    QPoint widgetPoint(const QPointF &point) const;

Q_SIGNALS:
    // A brush stroke from `from` to `to` in the crop's normalised coordinates ([0, 1] x [0, 1]).
    void stroked(const QPointF &from, const QPointF &to, bool erase);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override; // no taller than wide: the colour bar stays below

private:
    QPointF normalised(const QPointF &pos) const;

    QImage m_mask;        // as given
    QImage m_maskOverlay; // ARGB: hatched where hidden
    bool m_paintMode = false;
    bool m_dragging = false;
    bool m_erasing = false;
    QPointF m_last;
};
