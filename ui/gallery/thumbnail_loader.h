// ThumbnailLoader: makes gallery thumbnails on an ml::ThreadPool, through the on-disk
// ml::io::ThumbnailCache, and hands them back to the GUI thread in coalesced batches.
#pragma once

#include "io/media.h"

#include <QHash>
#include <QImage>
#include <QList>
#include <QObject>
#include <QSet>
#include <QSize>
#include <QString>
#include <QTimer>

#include <memory>

namespace ml {
class ThreadPool;
}

struct ThumbnailResult {
    int key = -1;
    QImage image;           // scaled to fit the tile, premultiplied ARGB; null on error
    QString error;          // the media layer's message when the file cannot be decoded
    double durationS = -1.; // videos
};

class ThumbnailLoader : public QObject {
    Q_OBJECT
public:
    // cacheDir: where ml::io::ThumbnailCache keeps its JPEGs; tile: the largest size shown.
    ThumbnailLoader(const QString &cacheDir, QSize tile, QObject *parent = nullptr);
    ~ThumbnailLoader() override; // drops queued work, waits for the running tasks

    // Asks for one thumbnail; a key already queued or running is not asked for twice.
    // Requests wait on this side of the pool, so stale ones can be dropped cheaply. timeS >= 0:
    // a video's frame at that time instead of its poster frame (cached on disk apart from it).
    void request(int key, const QString &path, ml::io::MediaKind kind, double timeS = -1.0);
    // Drops queued requests whose key is not in keep (what scrolled out of view).
    void retainOnly(const QSet<int> &keep);
    // Drops every queued request (the status bar's Cancel); running tasks still finish.
    void cancelPending();
    // Forgets everything; results of tasks still running are ignored.
    void reset();

    bool isBusy(int key) const { return m_queued.contains(key) || m_running.contains(key); }
    int queuedCount() const { return static_cast<int>(m_queue.size()); }
    int runningCount() const { return static_cast<int>(m_running.size()); }
    QString cacheDir() const { return m_cacheDir; }
    QSize tileSize() const { return m_tile; }

    static QString defaultCacheDir(); // QStandardPaths::CacheLocation + "/thumbnails"

Q_SIGNALS:
    void started(int key); // a request went to the pool
    void ready(const QList<ThumbnailResult> &results);
    // done of total since the loader was last idle; (0, 0) once it is idle again.
    void activityChanged(int done, int total);

private:
    struct Request {
        int key;
        QString path;
        ml::io::MediaKind kind;
        double timeS;
    };

    void pump();
    void onResult(quint64 generation, ThumbnailResult result);
    void flush();
    void reportActivity();

    QString m_cacheDir;
    QSize m_tile;
    QList<Request> m_queue; // front first
    QSet<int> m_queued;
    QSet<int> m_running;
    QList<ThumbnailResult> m_batch;
    QTimer m_flushTimer;
    quint64 m_generation = 0;
    int m_maxRunning = 2;
    int m_done = 0;
    int m_lastDone = -1;
    int m_lastTotal = -1;
    std::unique_ptr<ml::ThreadPool> m_pool; // last: destroyed (joined) first
};
