// GalleryView: visibility is sampled on the uniform grid (a few dozen indexAt() calls) after
// every scroll, resize, layout or model change, debounced to one update per event-loop turn.
#include "gallery/gallery_view.h"

#include "gallery/gallery_delegate.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"

#include <QClipboard>
#include <QContextMenuEvent>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QUrl>

#include <memory>

namespace {

bool isPhoto(const QString &path)
{
    return ml::io::guessMediaKind(path.toStdString()) == ml::io::MediaKind::Image;
}

} // namespace

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

void GalleryView::showEvent(QShowEvent *event)
{
    QListView::showEvent(event);
    scheduleVisibleUpdate();
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
    if (!index.isValid())
        return;
    const std::unique_ptr<QMenu> menu(createContextMenu(index));
    menu->exec(event->globalPos());
}

QStringList GalleryView::contextPaths(const QModelIndex &index) const
{
    if (!index.isValid())
        return {};
    QModelIndexList rows;
    if (selectionModel() && selectionModel()->isSelected(index))
        rows = selectionModel()->selectedIndexes();
    else
        rows = {index};
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList paths;
    for (const QModelIndex &row : std::as_const(rows))
        paths << row.data(GalleryModel::PathRole).toString();
    return paths;
}

QMenu *GalleryView::createContextMenu(const QModelIndex &index)
{
    auto *menu = new QMenu(this);
    menu->setToolTipsVisible(true);
    const QStringList paths = contextPaths(index);
    const QString path = index.data(GalleryModel::PathRole).toString();
    const int n = static_cast<int>(paths.size());
    const auto add = [menu](const QString &name, const QString &text, const QString &tip, auto slot) {
        QAction *action = menu->addAction(text, slot);
        action->setObjectName(name);
        action->setToolTip(tip);
        return action;
    };

    add(QStringLiteral("contextOpen"), n > 1 ? tr("Open %n Files", nullptr, n) : tr("Open"),
        tr("Open with the application the system uses for this kind of file"), [this, paths] { openFiles(paths); });
    add(QStringLiteral("contextShowInFolder"), tr("Show in Folder"), tr("Open the folder that holds it"),
        [this, paths] { showInFolders(paths); });
    add(QStringLiteral("contextCopyPath"), n > 1 ? tr("Copy %n Paths", nullptr, n) : tr("Copy Path"),
        tr("Copy the full path to the clipboard"), [paths] {
            auto *mime = new QMimeData;
            QStringList lines;
            QList<QUrl> urls;
            for (const QString &p : paths) {
                lines << QDir::toNativeSeparators(p);
                urls << QUrl::fromLocalFile(p);
            }
            mime->setText(lines.join(QLatin1Char('\n')));
            mime->setUrls(urls);
            QGuiApplication::clipboard()->setMimeData(mime);
        });
    menu->addSeparator();

    QStringList photos;
    for (const QString &p : paths)
        if (isPhoto(p))
            photos << p;
    const int photoCount = static_cast<int>(photos.size());
    QAction *classify = add(QStringLiteral("contextClassify"),
        photoCount > 1 ? tr("Classify %n Photos", nullptr, photoCount) : tr("Classify"),
        photos.isEmpty() ? tr("Only photos are classified, not videos") : tr("Classify in the Classify panel"),
        [this, photos] { Q_EMIT classifyRequested(photos); });
    classify->setEnabled(!photos.isEmpty());
    add(QStringLiteral("contextExplain"), tr("Explain"), tr("Show what the model looks at in the Attention panel"),
        [this, path] { Q_EMIT explainRequested(path); });
    add(QStringLiteral("contextChat"), tr("Chat about This"), tr("Ask a BLIP-2 about it in the Chat module"),
        [this, path] { Q_EMIT chatRequested(path); });
    QAction *similar = add(QStringLiteral("contextFindSimilar"), tr("Find Similar"),
        isPhoto(path) ? tr("Search the library for pictures like this one") : tr("Only photos can be searched by"),
        [this, path] { Q_EMIT findSimilarRequested(path); });
    similar->setEnabled(isPhoto(path));
    return menu;
}

void GalleryView::openFiles(const QStringList &paths)
{
    if (paths.size() > kOpenWithoutAsking
        && QMessageBox::question(this, tr("Open Files"),
               tr("Open %n files, each in the application the system uses for it?", nullptr,
                   static_cast<int>(paths.size())))
            != QMessageBox::Yes)
        return;
    QStringList failed;
    for (const QString &p : paths)
        if (!QDesktopServices::openUrl(QUrl::fromLocalFile(p)))
            failed << QDir::toNativeSeparators(p);
    if (failed.isEmpty())
        return;
    auto *box = new QMessageBox(
        QMessageBox::Warning, tr("Open"), tr("No application could open these files:"), QMessageBox::Ok, this);
    box->setInformativeText(failed.join(QLatin1Char('\n')));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void GalleryView::showInFolders(const QStringList &paths)
{
    QStringList folders;
    for (const QString &p : paths)
        if (const QString folder = QFileInfo(p).absolutePath(); !folders.contains(folder))
            folders << folder;
    if (folders.size() > kOpenWithoutAsking
        && QMessageBox::question(
               this, tr("Show in Folder"), tr("Open %n folders?", nullptr, static_cast<int>(folders.size())))
            != QMessageBox::Yes)
        return;
    QStringList failed;
    for (const QString &folder : std::as_const(folders))
        if (!QDesktopServices::openUrl(QUrl::fromLocalFile(folder)))
            failed << QDir::toNativeSeparators(folder);
    if (failed.isEmpty())
        return;
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Show in Folder"),
        tr("No file manager could open these folders:"), QMessageBox::Ok, this);
    box->setInformativeText(failed.join(QLatin1Char('\n')));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
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
