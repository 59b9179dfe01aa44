// ImageView: a zoomable, pannable picture: wheel zooms around the cursor, dragging pans,
// double-click toggles fit / 100 %. Big images come with a mip pyramid so zooming out is cheap.
#pragma once

#include <QImage>
#include <QList>
#include <QWidget>

class ImageView : public QWidget {
    Q_OBJECT
public:
    explicit ImageView(QWidget *parent = nullptr);

    // levels[0] is the full image, each next one half the size (see makePyramid()).
    void setImage(const QList<QImage> &levels);
    void setImage(const QImage &image) { setImage(QList<QImage> {image}); }
    // Replaces the picture but keeps zoom and position (video frames of one clip).
    void setFrame(const QImage &image);
    void clear();
    bool hasImage() const { return !m_levels.isEmpty(); }
    QSize imageSize() const { return m_levels.isEmpty() ? QSize() : m_levels.first().size(); }

    double zoom() const { return m_scale; }
    QRectF imageRect() const; // where the full image lands, widget coordinates
    bool isFitted() const { return m_fit; }
    void zoomBy(double factor, QPointF anchor); // anchor in widget coordinates
    void setZoom(double scale);                 // about the centre

    // Halvings of image down to ~256 px, premultiplied ARGB; call on a worker thread.
    static QList<QImage> makePyramid(const QImage &image);

public Q_SLOTS:
    void fitToWindow();
    void actualSize();

Q_SIGNALS:
    void zoomChanged(double scale);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;

private:
    void applyFit();
    void clampOffset();
    QList<QImage> m_levels;
    double m_scale = 1.0;
    QPointF m_offset; // widget position of the image's top-left corner
    bool m_fit = true;
    bool m_dragging = false;
    QPointF m_dragStart;
    QPointF m_offsetStart;
};
