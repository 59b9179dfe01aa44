// Search hits as tiles: the model never touches the disk; thumbnails come from the store, which
// asks a ThumbnailLoader (its own pool and the on-disk cache) and keeps what came back.
#include "search/search_results_view.h"

#include "gallery/gallery_delegate.h"

#include "gallery/thumbnail_loader.h"

#include <QAction>
#include <QContextMenuEvent>
#include <QKeyEvent>
#include <QLocale>
#include <QMenu>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QStyle>

#include <algorithm>

namespace {

constexpr int kMargin = 4;

// name on up to maxLines lines of width pixels: broken after a separator ("_", "-", ".", " ") where
// one fits, else anywhere; what the last line cannot hold is elided in its middle.
QStringList wrapName(const QFontMetrics &fm, const QString &name, int width, int maxLines)
{
    QStringList lines;
    QString rest = name;
    while (lines.size() < maxLines - 1 && fm.horizontalAdvance(rest) > width) {
        int fit = 1;
        while (fit < rest.size() && fm.horizontalAdvance(rest.left(fit + 1)) <= width)
            ++fit;
        int cut = fit;
        for (int i = fit; i > fit / 2; --i)
            if (QStringLiteral("_-. ").contains(rest.at(i - 1))) {
                cut = i;
                break;
            }
        lines << rest.left(cut);
        rest = rest.mid(cut);
    }
    lines << fm.elidedText(rest, Qt::ElideMiddle, width);
    return lines;
}

} // namespace

QString formatMoment(double s)
{
    s = std::round(std::max(0.0, s) * 10.0) / 10.0; // 59.96 s is "1:00.0", not "60.0 s"
    if (s < 60.0)
        return SearchResultsView::tr("%1 s", "seconds").arg(QLocale().toString(s, 'f', 1));
    const int minutes = static_cast<int>(s / 60.0);
    return QStringLiteral("%1:%2").arg(minutes).arg(
        QLocale().toString(s - 60.0 * minutes, 'f', 1).rightJustified(4, QLatin1Char('0')));
}

// --- ThumbnailStore ----------------------------------------------------------------------------

ThumbnailStore::ThumbnailStore(const QString &cacheDir, QSize tile, QObject *parent)
    : QObject(parent)
    , m_loader(new ThumbnailLoader(cacheDir, tile, this))
{
    connect(m_loader, &ThumbnailLoader::ready, this, &ThumbnailStore::onReady);
}

ThumbnailStore::~ThumbnailStore() = default;

QString ThumbnailStore::keyOf(const QString &path, double timeS)
{
    return timeS >= 0.0 ? path + QStringLiteral("\n@%1").arg(std::llround(timeS * 1000.0)) : path;
}

void ThumbnailStore::request(const QString &path, bool video, double timeS)
{
    if (!video)
        timeS = -1.0;
    const QString key = keyOf(path, timeS);
    if (m_images.contains(key) || m_failed.contains(key))
        return;
    auto it = m_keys.find(key);
    if (it == m_keys.end()) {
        it = m_keys.insert(key, static_cast<int>(m_paths.size()));
        m_paths.append(path);
        m_keyNames.append(key);
    }
    m_loader->request(*it, path, video ? ml::io::MediaKind::Video : ml::io::MediaKind::Image, timeS);
}

QImage ThumbnailStore::image(const QString &path, double timeS) const
{
    return m_images.value(keyOf(path, timeS));
}

bool ThumbnailStore::isLoading(const QString &path, double timeS) const
{
    const auto it = m_keys.constFind(keyOf(path, timeS));
    return it != m_keys.constEnd() && m_loader->isBusy(*it);
}

int ThumbnailStore::pendingCount() const
{
    return m_loader->queuedCount() + m_loader->runningCount();
}

void ThumbnailStore::onReady(const QList<ThumbnailResult> &results)
{
    for (const ThumbnailResult &r : results) {
        if (r.key < 0 || r.key >= m_paths.size())
            continue;
        const QString &key = m_keyNames[r.key];
        if (r.image.isNull())
            m_failed.insert(key);
        else
            m_images.insert(key, r.image);
        Q_EMIT updated(m_paths[r.key]);
    }
}

// --- SearchResultsModel ------------------------------------------------------------------------

namespace {

// The time a tile's thumbnail shows: a video hit's best moment; -1 (the poster frame) otherwise.
double momentOf(const SearchTile &t)
{
    return t.video && t.bestS >= 0.0 ? t.bestS : -1.0;
}

} // namespace

SearchResultsModel::SearchResultsModel(ThumbnailStore *store, QObject *parent)
    : QAbstractListModel(parent)
    , m_store(store)
{
    connect(m_store, &ThumbnailStore::updated, this, &SearchResultsModel::onUpdated);
}

void SearchResultsModel::setTiles(std::vector<SearchTile> tiles)
{
    beginResetModel();
    m_tiles = std::move(tiles);
    endResetModel();
    for (const SearchTile &t : m_tiles)
        m_store->request(t.path, t.video, momentOf(t));
}

int SearchResultsModel::thumbnailsShown() const
{
    return static_cast<int>(std::count_if(m_tiles.begin(), m_tiles.end(),
        [this](const SearchTile &t) { return !m_store->image(t.path, momentOf(t)).isNull(); }));
}

void SearchResultsModel::setRelevance(
    int row, std::vector<float> values, int gridH, int gridW, QImage heat, QImage frame)
{
    if (row < 0 || row >= rowCount())
        return;
    SearchTile &t = m_tiles[static_cast<std::size_t>(row)];
    t.relevance = std::move(values);
    t.gridH = gridH;
    t.gridW = gridW;
    t.heat = std::move(heat);
    t.frame = std::move(frame);
    Q_EMIT dataChanged(index(row), index(row), {HeatRole, FrameRole});
}

void SearchResultsModel::clearRelevance()
{
    for (int row = 0; row < rowCount(); ++row) {
        SearchTile &t = m_tiles[static_cast<std::size_t>(row)];
        if (t.heat.isNull() && t.relevance.empty())
            continue;
        t = SearchTile {t.path, t.video, t.score, t.bestS, {}, 0, 0, {}, {}};
        Q_EMIT dataChanged(index(row), index(row), {HeatRole, FrameRole});
    }
}

int SearchResultsModel::overlaysShown() const
{
    return static_cast<int>(
        std::count_if(m_tiles.begin(), m_tiles.end(), [](const SearchTile &t) { return !t.heat.isNull(); }));
}

int SearchResultsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_tiles.size());
}

QVariant SearchResultsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const SearchTile &t = tile(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return t.path.mid(t.path.lastIndexOf(QLatin1Char('/')) + 1);
    case Qt::ToolTipRole:
        return t.video && t.bestS >= 0.0
            ? t.path + QLatin1Char('\n')
                + SearchResultsView::tr("%1, best moment at %2")
                      .arg(SearchTileDelegate::detailText(t.video, t.score), formatMoment(t.bestS))
            : QStringLiteral("%1\n%2").arg(t.path, SearchTileDelegate::detailText(t.video, t.score));
    case PathRole:
        return t.path;
    case ResultRole:
        return index.row();
    case VideoRole:
        return t.video;
    case ScoreRole:
        return static_cast<double>(t.score);
    case BestRole:
        return t.bestS;
    case ThumbnailRole:
        return m_store->image(t.path, momentOf(t));
    case LoadingRole:
        return m_store->image(t.path, momentOf(t)).isNull() && !m_store->failed(t.path, momentOf(t));
    case HeatRole:
        return t.heat;
    case FrameRole:
        return t.frame;
    default:
        return {};
    }
}

void SearchResultsModel::onUpdated(const QString &path)
{
    for (int row = 0; row < rowCount(); ++row)
        if (tile(row).path == path)
            Q_EMIT dataChanged(index(row), index(row), {ThumbnailRole, LoadingRole});
}

// --- SearchTileDelegate ------------------------------------------------------------------------

SearchTileDelegate::SearchTileDelegate(QSize thumbBox, QObject *parent) : QStyledItemDelegate(parent), m_box(thumbBox)
{ }

QString SearchTileDelegate::detailText(bool video, float score)
{
    return QLocale().toString(static_cast<double>(score), 'f', 3) + QStringLiteral(" · ")
        + (video ? SearchResultsView::tr("video") : SearchResultsView::tr("image"));
}

QString SearchTileDelegate::badgeText(double bestS)
{
    return bestS >= 0.0 ? QStringLiteral("▶ ") + formatMoment(bestS) : QStringLiteral("▶");
}

QSize SearchTileDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    return {m_box.width() + 4 * kMargin,
        m_box.height() + 3 * kMargin + textLines() * option.fontMetrics.height() + 2 * kMargin};
}

void SearchTileDelegate::paint(QPainter *p, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const bool video = index.data(SearchResultsModel::VideoRole).toBool();
    const QImage heat = index.data(SearchResultsModel::HeatRole).value<QImage>();
    const QImage frame = index.data(SearchResultsModel::FrameRole).value<QImage>();
    // A video's map is over its best moment's frame: that frame is drawn, not the thumbnail.
    const QImage image
        = !heat.isNull() && !frame.isNull() ? frame : index.data(SearchResultsModel::ThumbnailRole).value<QImage>();
    paintTile(p, option.rect, m_box, option.palette, option.font, option.state & QStyle::State_Selected,
        option.state & QStyle::State_MouseOver, image, index.data(SearchResultsModel::LoadingRole).toBool(), video,
        index.data(Qt::DisplayRole).toString(),
        detailText(video, static_cast<float>(index.data(SearchResultsModel::ScoreRole).toDouble())),
        video ? badgeText(index.data(SearchResultsModel::BestRole).toDouble()) : QString(), heat, nameLines());
}

void SearchTileDelegate::paintTile(QPainter *p, const QRectF &rect, QSize boxSize, const QPalette &pal,
    const QFont &font, bool selected, bool hovered, const QImage &image, bool loading, bool video, const QString &name,
    const QString &detail, const QString &badge, const QImage &heat, int nameLines)
{
    const QRectF cell = rect.adjusted(kMargin, kMargin, -kMargin, -kMargin);
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    p->setRenderHint(QPainter::SmoothPixmapTransform);
    if (selected || hovered) {
        QColor fill = pal.color(QPalette::Highlight);
        fill.setAlpha(selected ? 90 : 35);
        p->setPen(selected ? QPen(pal.color(QPalette::Highlight), 1.5) : Qt::NoPen);
        p->setBrush(fill);
        p->drawRoundedRect(cell, 6, 6);
    }
    const QSizeF boxF(std::min<qreal>(boxSize.width(), cell.width() - 2 * kMargin), boxSize.height());
    const QRectF box(
        cell.left() + (cell.width() - boxF.width()) / 2.0, cell.top() + kMargin, boxF.width(), boxF.height());
    QRectF shown = box;
    if (!image.isNull()) {
        const QSizeF size = QSizeF(image.size()).scaled(box.size(), Qt::KeepAspectRatio);
        shown
            = QRectF(box.center().x() - size.width() / 2.0, box.bottom() - size.height(), size.width(), size.height());
        p->drawImage(shown, image);
        if (!heat.isNull()) { // over the centre square: what a CLIP's centre crop sees
            const qreal side = std::min(shown.width(), shown.height());
            p->setOpacity(kHeatOpacity);
            p->drawImage(QRectF(shown.center().x() - side / 2.0, shown.center().y() - side / 2.0, side, side), heat);
            p->setOpacity(1.0);
        }
        p->setPen(QPen(QColor(0, 0, 0, 60), 1.0));
        p->setBrush(Qt::NoBrush);
        p->drawRect(shown.adjusted(0.5, 0.5, -0.5, -0.5));
    } else {
        p->setPen(Qt::NoPen);
        p->setBrush(loading ? pal.color(QPalette::AlternateBase) : QColor::fromRgbF(0.35, 0.16, 0.17, 0.45));
        p->drawRoundedRect(box, 4, 4);
        QColor glyph = pal.color(QPalette::PlaceholderText);
        glyph.setAlpha(140);
        drawPlaceholderGlyph(p, box, video ? ml::io::MediaKind::Video : ml::io::MediaKind::Image, glyph);
    }
    if (video) { // a play badge in the corner, with the best moment when there is one
        const QString text = badge.isEmpty() ? QStringLiteral("▶") : badge;
        drawCornerBadge(p, shown, text, font);
    }
    const QFontMetrics fm(font);
    const QStringList lines = wrapName(fm, name, static_cast<int>(cell.width() - 4), std::max(1, nameLines));
    const QRectF nameRect(cell.left() + 2, box.bottom() + kMargin, cell.width() - 4, fm.height() * lines.size());
    const QRectF detailRect(nameRect.left(), nameRect.bottom(), nameRect.width(), fm.height());
    p->setFont(font);
    p->setPen(pal.color(QPalette::Text));
    for (int i = 0; i < lines.size(); ++i)
        p->drawText(QRectF(nameRect.left(), nameRect.top() + i * fm.height(), nameRect.width(), fm.height()),
            Qt::AlignHCenter | Qt::AlignTop, lines[i]);
    p->setPen(pal.color(QPalette::PlaceholderText));
    p->drawText(detailRect, Qt::AlignHCenter | Qt::AlignTop,
        fm.elidedText(detail, Qt::ElideRight, static_cast<int>(detailRect.width())));
    p->restore();
}

// --- SearchResultsView -------------------------------------------------------------------------

SearchResultsView::SearchResultsView(QWidget *parent)
    : QListView(parent)
    , m_delegate(new SearchTileDelegate(kThumbBox, this))
    , m_why(new QAction(this))
{
    m_why->setCheckable(true); // its text comes from the panel (retranslated there)
    setViewMode(QListView::IconMode);
    setMovement(QListView::Static);
    setResizeMode(QListView::Adjust);
    setFlow(QListView::LeftToRight);
    setWrapping(true);
    setUniformItemSizes(true);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    verticalScrollBar()->setSingleStep(24);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setDragEnabled(false);
    setMouseTracking(true);
    setItemDelegate(m_delegate);
    viewport()->setAttribute(Qt::WA_Hover);
    updateGrid();
    connect(this, &QAbstractItemView::clicked, this, [this](const QModelIndex &index) {
        if (index.isValid())
            Q_EMIT openRequested(index.row());
    });
}

void SearchResultsView::keyPressEvent(QKeyEvent *event)
{
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && currentIndex().isValid()) {
        Q_EMIT openRequested(currentIndex().row());
        return;
    }
    QListView::keyPressEvent(event);
}

void SearchResultsView::resizeEvent(QResizeEvent *event)
{
    updateGrid();
    QListView::resizeEvent(event);
}

void SearchResultsView::updateGrid()
{
    // Columns widen to fill the row; the scroll bar's width is always kept free, so showing or
    // hiding it cannot change the column count and loop. QListView lays out in the viewport less
    // the scroll bar's extent and, in styles that frame only the contents, that frame.
    QStyleOptionViewItem option;
    initViewItemOption(&option);
    const QSize tile = m_delegate->sizeHint(option, {});
    const int available = maximumViewportSize().width()
        - style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, verticalScrollBar())
        - 2 * style()->pixelMetric(QStyle::PM_DefaultFrameWidth, nullptr, this) - 1;
    const int columns = std::max(1, available / tile.width());
    const QSize cell(std::max(tile.width(), available / columns), tile.height());
    if (cell != gridSize())
        setGridSize(cell);
}

void SearchResultsView::contextMenuEvent(QContextMenuEvent *event)
{
    const QModelIndex index = indexAt(event->pos());
    if (!index.isValid())
        return;
    setCurrentIndex(index);
    QMenu menu(this);
    const int row = index.row();
    menu.addAction(tr("Open in Preview"), this, [this, row] { Q_EMIT openRequested(row); });
    if (!index.data(SearchResultsModel::VideoRole).toBool()) {
        const QString path = index.data(SearchResultsModel::PathRole).toString();
        menu.addAction(tr("Find Similar"), this, [this, path] { Q_EMIT findSimilarRequested(path); });
    }
    menu.addSeparator();
    menu.addAction(m_why);
    menu.exec(event->globalPos());
}

QList<int> SearchResultsView::visibleRows() const
{
    QList<int> rows;
    if (!model())
        return rows;
    const QRect area = viewport()->rect();
    for (int row = 0; row < model()->rowCount(); ++row)
        if (visualRect(model()->index(row, 0)).intersects(area))
            rows << row;
    return rows;
}
