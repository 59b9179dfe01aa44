// GalleryModel: the flat list of photos and videos the user dropped in, with their
// thumbnails made lazily (only for what the view shows) by a ThumbnailLoader.
#pragma once

#include "io/media.h"

#include <QAbstractListModel>
#include <QHash>
#include <QImage>
#include <QList>
#include <QSet>
#include <QSize>
#include <QString>

#include <deque>

class ThumbnailLoader;
struct ThumbnailResult;

class GalleryModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        PathRole = Qt::UserRole + 1,
        NameRole,
        KindRole,     // ml::io::MediaKind as int
        SizeRole,     // bytes
        ModifiedRole, // QDateTime
        StateRole,    // State as int
        ErrorRole,
        DurationRole, // seconds, videos; < 0 when not known yet
        ThumbnailRole // QImage, null while loading
    };
    enum class State { Loading, Ready, Error };

    // What a folder scan yields: enough to list, filter and sort a file before it is decoded.
    struct Entry {
        QString path; // absolute
        ml::io::MediaKind kind = ml::io::MediaKind::Unknown;
        qint64 size = 0;
        qint64 modifiedMs = 0; // since the epoch
    };

    struct Item {
        QString path;
        QString name;
        ml::io::MediaKind kind = ml::io::MediaKind::Unknown;
        qint64 size = 0;
        qint64 modifiedMs = 0;
        State state = State::Loading;
        QImage thumbnail;
        QString error;
        double durationS = -1.0;
    };

    // cacheDir empty: ThumbnailLoader::defaultCacheDir(). tile: the thumbnail box in pixels.
    explicit GalleryModel(QObject *parent = nullptr, const QString &cacheDir = {}, QSize tile = QSize(172, 128));
    ~GalleryModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // Appends the entries not already listed (same absolute path); returns how many.
    int addEntries(const QList<Entry> &entries);
    // Files given one by one (File > Open, tests): stat on this thread, kind from the name.
    int addFiles(const QStringList &paths);
    void clear();

    bool contains(const QString &path) const { return m_rowOf.contains(path); }
    int rowOf(const QString &path) const { return m_rowOf.value(path, -1); }
    const Item &item(int row) const { return m_items.at(row); }
    int countInState(State state) const;

    // The view tells which rows it shows: they are loaded (in this order), queued requests
    // for anything else are dropped, and thumbnails far out of view may be evicted.
    void setVisibleRows(const QList<int> &rows);
    void requestThumbnail(int row);
    ThumbnailLoader *loader() const { return m_loader; }

    static Entry entryFor(const QString &path); // stats the file (worker threads too)

Q_SIGNALS:
    void thumbnailRequested(int row); // the request reached the thread pool

private:
    void applyThumbnails(const QList<ThumbnailResult> &results);
    void evictIfNeeded();

    QList<Item> m_items;
    QHash<QString, int> m_rowOf;
    QSet<int> m_visible;
    std::deque<int> m_resident; // rows holding a thumbnail, oldest first
    ThumbnailLoader *m_loader = nullptr;
};

Q_DECLARE_METATYPE(GalleryModel::Entry)
