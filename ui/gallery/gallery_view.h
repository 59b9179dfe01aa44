// GalleryView: the virtualised thumbnail grid (QListView, icon mode, uniform cells, batched
// layout). It tells the model which rows are on screen, which is all that gets decoded.
#pragma once

#include <QListView>
#include <QTimer>

class GalleryDelegate;
class GalleryFilterModel;
class QMenu;

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

    // The right-click menu for the item at index: Open (the system's application), Show in Folder,
    // Copy Path, Classify, Explain, Chat about This, Find Similar. When index is part of a larger selection, the
    // first three and Classify act on the whole selection; the others on index.
    // Actions are named context* (objectName); the caller owns the menu.
    QMenu *createContextMenu(const QModelIndex &index);
    // The files the context menu of index acts on: the selection when index is in it, else index.
    QStringList contextPaths(const QModelIndex &index) const;

    static constexpr int kOpenWithoutAsking = 10; // more files than this: Open asks first

Q_SIGNALS:
    void activatedPath(const QString &path);
    void classifyRequested(const QStringList &photos); // the context menu's "Classify"
    void explainRequested(const QString &path);        // "Explain"
    void chatRequested(const QString &path);           // "Chat about This"
    void findSimilarRequested(const QString &path);    // "Find Similar" on a photo

protected:
    void paintEvent(QPaintEvent *event) override;
    void showEvent(QShowEvent *event) override; // back on screen (the filmstrip may have loaded other rows)
    void resizeEvent(QResizeEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    void scheduleVisibleUpdate();
    void updateGrid();
    void updateVisible();
    void openFiles(const QStringList &paths);
    void showInFolders(const QStringList &paths);

    GalleryFilterModel *m_proxy = nullptr;
    GalleryDelegate *m_delegate;
    QTimer m_visibleTimer;
    QString m_emptyTitle;
    QString m_emptyHint;
};
