// Filmstrip: the gallery as one row of small thumbnails along the bottom of the window, so the
// current item can be changed from any feature (Lightroom's filmstrip). It shows the gallery's
// filtered, sorted model and shares the grid's selection model: the current item is one and the
// same everywhere. While it is the view on screen it tells the model which rows to load.
#pragma once

#include <QListView>
#include <QTimer>

class GalleryDelegate;
class GalleryFilterModel;
class GalleryView;

class Filmstrip : public QListView {
    Q_OBJECT
public:
    static constexpr QSize kCell {116, 100};
    static constexpr QSize kThumbBox {108, 72};

    // Shows grid's model and shares its selection; its context menu is the grid's.
    explicit Filmstrip(GalleryView *grid, QWidget *parent = nullptr);

    QSize sizeHint() const override;

protected:
    void showEvent(QShowEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    void wheelEvent(QWheelEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    void scheduleVisibleUpdate();
    void updateVisible();

    GalleryView *m_grid;
    GalleryFilterModel *m_proxy;
    QTimer m_visibleTimer;
};
