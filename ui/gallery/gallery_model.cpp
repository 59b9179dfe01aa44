// GalleryModel: items are only ever appended or cleared, so a row is a stable key for the
// thumbnail loader between two clear()s.
#include "gallery/gallery_model.h"

#include "common/engine_text.h"
#include "common/format.h"
#include "gallery/thumbnail_loader.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLocale>

#include <algorithm>
#include <limits>

namespace {

// Thumbnails kept in memory (~80 KB each); older ones out of view go back to "loading" and
// come from the disk cache again when scrolled to.
constexpr std::size_t kMaxResident = 1500;

} // namespace

GalleryModel::GalleryModel(QObject *parent, const QString &cacheDir, QSize tile)
    : QAbstractListModel(parent)
    , m_loader(new ThumbnailLoader(cacheDir.isEmpty() ? ThumbnailLoader::defaultCacheDir() : cacheDir, tile, this))
{
    connect(m_loader, &ThumbnailLoader::ready, this, &GalleryModel::applyThumbnails);
    connect(m_loader, &ThumbnailLoader::started, this, &GalleryModel::thumbnailRequested);
}

GalleryModel::~GalleryModel() = default;

int GalleryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_items.size());
}

QVariant GalleryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return {};
    const Item &it = m_items.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return it.name;
    case Qt::ToolTipRole: {
        QStringList lines {QStringLiteral("<b>%1</b>").arg(it.name.toHtmlEscaped()),
            QDir::toNativeSeparators(it.path).toHtmlEscaped()};
        QString details = formatBytes(it.size) + QStringLiteral(" · ")
            + QLocale().toString(QDateTime::fromMSecsSinceEpoch(it.modifiedMs), QLocale::ShortFormat);
        if (it.kind == ml::io::MediaKind::Video && it.durationS >= 0.0)
            details += QStringLiteral(" · ") + formatDuration(it.durationS);
        lines << details;
        if (it.state == State::Error)
            lines << QStringLiteral("<span style='color:#ff6b6b'>%1<br>%2</span>")
                         .arg(tr("Cannot open this file:"), EngineText::error(it.error).toHtmlEscaped());
        return lines.join(QStringLiteral("<br>"));
    }
    case PathRole:
        return it.path;
    case KindRole:
        return static_cast<int>(it.kind);
    case SizeRole:
        return it.size;
    case ModifiedRole:
        return QDateTime::fromMSecsSinceEpoch(it.modifiedMs);
    case StateRole:
        return static_cast<int>(it.state);
    case ErrorRole:
        return it.error;
    case DurationRole:
        return it.durationS;
    case Qt::DecorationRole:
    case ThumbnailRole:
        return it.thumbnail;
    default:
        return {};
    }
}

int GalleryModel::addEntries(const QList<Entry> &entries)
{
    QList<Item> fresh;
    fresh.reserve(entries.size());
    QSet<QString> seen;
    for (const Entry &e : entries) {
        if (m_rowOf.contains(e.path) || seen.contains(e.path))
            continue;
        seen.insert(e.path);
        Item it;
        it.path = e.path;
        it.name = QFileInfo(e.path).fileName();
        it.kind = e.kind;
        it.size = e.size;
        it.modifiedMs = e.modifiedMs;
        fresh.append(std::move(it));
    }
    if (fresh.isEmpty())
        return 0;
    const int first = static_cast<int>(m_items.size());
    beginInsertRows({}, first, first + static_cast<int>(fresh.size()) - 1);
    for (Item &it : fresh) {
        m_rowOf.insert(it.path, static_cast<int>(m_items.size()));
        m_items.append(std::move(it));
    }
    endInsertRows();
    return static_cast<int>(fresh.size());
}

int GalleryModel::addFiles(const QStringList &paths)
{
    QList<Entry> entries;
    entries.reserve(paths.size());
    for (const QString &p : paths)
        entries.append(entryFor(p));
    return addEntries(entries);
}

GalleryModel::Entry GalleryModel::entryFor(const QString &path)
{
    const QFileInfo info(path);
    Entry e;
    e.path = QDir::cleanPath(info.absoluteFilePath());
    e.kind = ml::io::guessMediaKind(e.path.toStdString());
    e.size = info.size();
    e.modifiedMs = info.exists() ? info.lastModified().toMSecsSinceEpoch() : 0;
    return e;
}

void GalleryModel::clear()
{
    beginResetModel();
    m_loader->reset();
    m_items.clear();
    m_rowOf.clear();
    m_visible.clear();
    m_resident.clear();
    endResetModel();
}

int GalleryModel::countInState(State state) const
{
    return static_cast<int>(
        std::count_if(m_items.cbegin(), m_items.cend(), [state](const Item &it) { return it.state == state; }));
}

void GalleryModel::setVisibleRows(const QList<int> &rows)
{
    m_visible = QSet<int>(rows.cbegin(), rows.cend());
    m_loader->retainOnly(m_visible);
    for (int row : rows)
        requestThumbnail(row);
}

void GalleryModel::requestThumbnail(int row)
{
    if (row < 0 || row >= m_items.size())
        return;
    const Item &it = m_items.at(row);
    if (it.state != State::Loading || m_loader->isBusy(row))
        return;
    m_loader->request(row, it.path, it.kind);
}

void GalleryModel::applyThumbnails(const QList<ThumbnailResult> &results)
{
    int lo = std::numeric_limits<int>::max(), hi = -1;
    for (const ThumbnailResult &r : results) {
        if (r.key < 0 || r.key >= m_items.size())
            continue;
        Item &it = m_items[r.key];
        if (r.image.isNull()) {
            it.state = State::Error;
            it.error = r.error;
        } else {
            it.state = State::Ready;
            it.thumbnail = r.image;
            it.error.clear();
            m_resident.push_back(r.key);
        }
        if (r.durationS >= 0.0)
            it.durationS = r.durationS;
        lo = std::min(lo, r.key);
        hi = std::max(hi, r.key);
    }
    if (hi < 0)
        return;
    // Roles that neither the filter nor the sort read, so the proxy only forwards them.
    Q_EMIT dataChanged(
        index(lo), index(hi), {Qt::DecorationRole, Qt::ToolTipRole, ThumbnailRole, StateRole, ErrorRole, DurationRole});
    evictIfNeeded();
}

void GalleryModel::evictIfNeeded()
{
    std::size_t scanned = 0;
    const std::size_t limit = m_resident.size();
    while (m_resident.size() > kMaxResident && scanned++ < limit) {
        const int row = m_resident.front();
        m_resident.pop_front();
        if (m_visible.contains(row)) {
            m_resident.push_back(row);
            continue;
        }
        Item &it = m_items[row];
        it.thumbnail = QImage();
        it.state = State::Loading;
        Q_EMIT dataChanged(index(row), index(row), {Qt::DecorationRole, ThumbnailRole, StateRole});
    }
}
