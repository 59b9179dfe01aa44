// GalleryView: visibility is sampled on the uniform grid (a few dozen indexAt() calls) after
// every scroll, resize, layout or model change, debounced to one update per event-loop turn.
#include "gallery_view.h"

#include "gallery_delegate.h"
#include "gallery_filter_model.h"
#include "gallery_model.h"

#include <QContextMenuEvent>
#include <QMenu>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>

GalleryView::GalleryView(QWidget *parent) : QListView(parent), m_delegate(new GalleryDelegate(kCell, kThumbBox, this))
{
    setViewMode(QListView::IconMode);
    setMovement(QListView::Static);
    setResizeMode(QListView::Adjust);
    setFlow(QListView::LeftToRight);
    setWrapping(true);
    setUniformItemSizes(true);
    setGridSize(kCell);
    setLayoutMode(QListView::Batched);
    setBatchSize(1000);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    verticalScrollBar()->setSingleStep(24);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setDragEnabled(false);
    setMouseTracking(true);
    setFrameShape(QFrame::NoFrame);
    setItemDelegate(m_delegate);
    viewport()->setAttribute(Qt::WA_Hover);

    m_visibleTimer.setSingleShot(true);
    m_visibleTimer.setInterval(0);
    connect(&m_visibleTimer, &QTimer::timeout, this, &GalleryView::updateVisible);
    connect(this, &QAbstractItemView::activated, this,
        [this](const QModelIndex &index) { Q_EMIT activatedPath(index.data(GalleryModel::PathRole).toString()); });
}

void GalleryView::setGalleryModel(GalleryFilterModel *proxy)
{
    m_proxy = proxy;
    setModel(proxy);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(proxy, signal, this, &GalleryView::scheduleVisibleUpdate);
    connect(proxy, &QAbstractItemModel::layoutChanged, this, &GalleryView::scheduleVisibleUpdate);
    connect(proxy, &QAbstractItemModel::modelReset, this, &GalleryView::scheduleVisibleUpdate);
    scheduleVisibleUpdate();
}

void GalleryView::setEmptyText(const QString &title, const QString &hint)
{
    m_emptyTitle = title;
    m_emptyHint = hint;
    viewport()->update();
}

QList<int> GalleryView::visibleSourceRows() const
{
    QList<int> rows;
    if (!m_proxy || m_proxy->rowCount() == 0 || !isVisible())
        return rows;
    const QRect area = viewport()->rect();
    const int stepX = std::max(1, kCell.width() / 2), stepY = std::max(1, kCell.height() / 2);
    QSet<int> seen;
    auto sample = [&](int x, int y) {
        const QModelIndex proxyIndex = indexAt(QPoint(x, y));
        if (!proxyIndex.isValid())
            return;
        const int row = m_proxy->mapToSource(proxyIndex).row();
        if (!seen.contains(row)) {
            seen.insert(row);
            rows.append(row);
        }
    };
    for (int y = area.top() + 1;; y += stepY) {
        y = std::min(y, area.bottom() - 1);
        for (int x = area.left() + 1;; x += stepX) {
            x = std::min(x, area.right() - 1);
            sample(x, y);
            if (x >= area.right() - 1)
                break;
        }
        if (y >= area.bottom() - 1)
            break;
    }
    return rows;
}

void GalleryView::scheduleVisibleUpdate()
{
    if (!m_visibleTimer.isActive())
        m_visibleTimer.start();
}

void GalleryView::updateVisible()
{
    if (m_proxy)
        m_proxy->galleryModel()->setVisibleRows(visibleSourceRows());
}

void GalleryView::resizeEvent(QResizeEvent *event)
{
    updateGrid();
    QListView::resizeEvent(event);
    scheduleVisibleUpdate();
}

void GalleryView::updateGrid()
{
    // Spread the row's spare pixels over its cells. The scroll bar's width is always kept
    // free, so showing or hiding it cannot change the column count and loop.
    const int available = contentsRect().width() - verticalScrollBar()->sizeHint().width();
    const int columns = std::max(1, available / kCell.width());
    const QSize cell(std::max(kCell.width(), available / columns), kCell.height());
    if (cell == gridSize())
        return;
    m_delegate->setCellSize(cell);
    setGridSize(cell);
}

void GalleryView::scrollContentsBy(int dx, int dy)
{
    QListView::scrollContentsBy(dx, dy);
    scheduleVisibleUpdate();
}

void GalleryView::contextMenuEvent(QContextMenuEvent *event)
{
    const QModelIndex index = indexAt(event->pos());
    if (!index.isValid() || index.data(GalleryModel::KindRole).toInt() != static_cast<int>(ml::io::MediaKind::Image))
        return;
    const QString path = index.data(GalleryModel::PathRole).toString();
    QMenu menu(this);
    menu.addAction(tr("Find Similar"), this, [this, path] { Q_EMIT findSimilarRequested(path); });
    menu.exec(event->globalPos());
}

void GalleryView::paintEvent(QPaintEvent *event)
{
    QListView::paintEvent(event);
    // Batched layout places items over several event-loop turns; a paint is the sign that
    // what is on screen may have changed.
    scheduleVisibleUpdate();
    if (!m_proxy || m_proxy->rowCount() > 0)
        return;

    QPainter p(viewport());
    p.setRenderHint(QPainter::Antialiasing);
    const QRectF area = viewport()->rect();
    const bool filteredOut = m_proxy->galleryModel()->rowCount() > 0;
    QColor ink = palette().color(QPalette::PlaceholderText);

    const QPointF c(area.center().x(), area.center().y() - 40);
    if (!filteredOut) {
        // A dashed drop target around an arrow into a tray.
        QRectF target(c.x() - 48, c.y() - 48, 96, 96);
        QPen pen(ink, 2.0, Qt::DashLine);
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        p.drawRoundedRect(target, 14, 14);
        pen.setStyle(Qt::SolidLine);
        pen.setWidthF(3.0);
        pen.setCapStyle(Qt::RoundCap);
        pen.setJoinStyle(Qt::RoundJoin);
        p.setPen(pen);
        p.drawLine(QPointF(c.x(), c.y() - 26), QPointF(c.x(), c.y() + 10));
        QPainterPath head;
        head.moveTo(c.x() - 14, c.y() - 4);
        head.lineTo(c.x(), c.y() + 10);
        head.lineTo(c.x() + 14, c.y() - 4);
        p.drawPath(head);
        QPainterPath tray;
        tray.moveTo(c.x() - 26, c.y() + 14);
        tray.lineTo(c.x() - 26, c.y() + 26);
        tray.lineTo(c.x() + 26, c.y() + 26);
        tray.lineTo(c.x() + 26, c.y() + 14);
        p.drawPath(tray);
    }

    QFont title = font();
    title.setPointSizeF(title.pointSizeF() * 1.5);
    title.setBold(true);
    p.setFont(title);
    p.setPen(palette().color(QPalette::Text));
    const QRectF titleRect(area.left(), c.y() + 64, area.width(), QFontMetricsF(title).height() + 4);
    p.drawText(titleRect, Qt::AlignCenter, filteredOut ? tr("Nothing matches the filter") : m_emptyTitle);
    p.setFont(font());
    p.setPen(ink);
    p.drawText(QRectF(area.left() + 20, titleRect.bottom() + 6, area.width() - 40, 60),
        Qt::AlignHCenter | Qt::TextWordWrap,
        filteredOut ? tr("Clear the name filter or choose another kind.") : m_emptyHint);
}
