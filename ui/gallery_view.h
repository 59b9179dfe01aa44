// GalleryView: the virtualised thumbnail grid (QListView, icon mode, uniform cells, batched
// layout). It tells the model which rows are on screen, which is all that gets decoded.
#pragma once

#include <QListView>
#include <QTimer>

class GalleryDelegate;
class GalleryFilterModel;

class GalleryView : public QListView {
    Q_OBJECT
public:
    static constexpr QSize kCell {188, 168}; // the narrowest cell; columns widen to fill the row
    static constexpr QSize kThumbBox {172, 128};

    explicit GalleryView(QWidget *parent = nullptr);

    void setGalleryModel(GalleryFilterModel *proxy);
    GalleryFilterModel *galleryModel() const { return m_proxy; }

    // Source rows whose cells intersect the viewport, in reading order.
    QList<int> visibleSourceRows() const;

    void setEmptyText(const QString &title, const QString &hint);

Q_SIGNALS:
    void activatedPath(const QString &path);
    void findSimilarRequested(const QString &path); // the context menu's "Find Similar" on a photo

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    void scheduleVisibleUpdate();
    void updateGrid();
    void updateVisible();

    GalleryFilterModel *m_proxy = nullptr;
    GalleryDelegate *m_delegate;
    QTimer m_visibleTimer;
    QString m_emptyTitle;
    QString m_emptyHint;
};
