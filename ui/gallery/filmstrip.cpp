#include "gallery/filmstrip.h"

#include "gallery/gallery_delegate.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"

#include <QContextMenuEvent>
#include <QMenu>
#include <QScrollBar>
#include <QSet>
#include <QWheelEvent>

#include <memory>

Filmstrip::Filmstrip(GalleryView *grid, QWidget *parent)
    : QListView(parent)
    , m_grid(grid)
    , m_proxy(grid->galleryModel())
{
    setObjectName(QStringLiteral("filmstrip"));
    setViewMode(QListView::IconMode);
    setFlow(QListView::LeftToRight);
    setWrapping(false);
    setMovement(QListView::Static);
    setResizeMode(QListView::Adjust);
    setUniformItemSizes(true);
    setGridSize(kCell);
    setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setSelectionMode(grid->selectionMode());
    setItemDelegate(new GalleryDelegate(kCell, kThumbBox, this));
    setModel(m_proxy);
    setSelectionModel(grid->selectionModel()); // one current item for the grid, the strip and every feature
    setFrameShape(QFrame::NoFrame);
    setFixedHeight(sizeHint().height()); // names under the thumbnails never cut off

    m_visibleTimer.setSingleShot(true);
    m_visibleTimer.setInterval(30);
    connect(&m_visibleTimer, &QTimer::timeout, this, &Filmstrip::updateVisible);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_proxy, signal, this, &Filmstrip::scheduleVisibleUpdate);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &Filmstrip::scheduleVisibleUpdate);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &Filmstrip::scheduleVisibleUpdate);
    connect(selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &current) {
        if (current.isValid() && isVisible())
            scrollTo(current);
    });
    connect(this, &QAbstractItemView::activated, grid, [grid](const QModelIndex &index) {
        Q_EMIT grid->activatedPath(index.data(GalleryModel::PathRole).toString());
    });
}

QSize Filmstrip::sizeHint() const
{
    return {4 * kCell.width(), kCell.height() + horizontalScrollBar()->sizeHint().height() + 2 * frameWidth()};
}

void Filmstrip::showEvent(QShowEvent *event)
{
    QListView::showEvent(event);
    if (currentIndex().isValid())
        scrollTo(currentIndex(), QAbstractItemView::PositionAtCenter);
    scheduleVisibleUpdate();
}

void Filmstrip::resizeEvent(QResizeEvent *event)
{
    QListView::resizeEvent(event);
    scheduleVisibleUpdate();
}

void Filmstrip::scrollContentsBy(int dx, int dy)
{
    QListView::scrollContentsBy(dx, dy);
    scheduleVisibleUpdate();
}

void Filmstrip::wheelEvent(QWheelEvent *event)
{
    // A mouse wheel scrolls along the strip (there is nothing to scroll vertically).
    const QPoint delta = event->angleDelta();
    if (delta.x() == 0 && delta.y() != 0) {
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - delta.y());
        event->accept();
        return;
    }
    QListView::wheelEvent(event);
}

void Filmstrip::contextMenuEvent(QContextMenuEvent *event)
{
    const QModelIndex index = indexAt(event->pos());
    if (!index.isValid())
        return;
    const std::unique_ptr<QMenu> menu(m_grid->createContextMenu(index));
    menu->exec(event->globalPos());
}

void Filmstrip::scheduleVisibleUpdate()
{
    if (isVisible())
        m_visibleTimer.start();
}

void Filmstrip::updateVisible()
{
    if (!isVisible() || m_proxy->rowCount() == 0)
        return;
    QList<int> rows;
    QSet<int> seen;
    const QRect area = viewport()->rect();
    const int y = area.center().y();
    for (int x = area.left() + 1; x <= area.right() + kCell.width(); x += kCell.width() / 2) {
        const QModelIndex index = indexAt(QPoint(std::min(x, area.right()), y));
        if (!index.isValid())
            continue;
        const int row = m_proxy->mapToSource(index).row();
        if (!seen.contains(row)) {
            seen.insert(row);
            rows << row;
        }
    }
    m_proxy->galleryModel()->setVisibleRows(rows);
}
