// Thumbnails off the GUI thread: a bounded number of tasks in the pool, the rest queued here
// in visibility order; results batched by a short timer into one update per batch.
#include "gallery/thumbnail_loader.h"

#include "common/qimage_convert.h"
#include "engine/thread_pool.h"

#include <QDir>
#include <QStandardPaths>

#include <algorithm>
#include <exception>
#include <filesystem>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace {

constexpr int kFlushMs = 30; // coalesce results: at most ~30 model updates a second

// Thumbnail threads yield to the GUI thread when the cores are busy: a niced thread keeps
// scrolling smooth on a 2-core machine while the pool decodes.
void lowerThreadPriority()
{
#ifdef Q_OS_LINUX
    thread_local bool lowered = false;
    if (!lowered) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
        lowered = true;
    }
#endif
}

ThumbnailResult renderThumbnail(
    int key, const QString &path, ml::io::MediaKind kind, double timeS, const QString &cacheDir, QSize tile)
{
    ThumbnailResult r;
    r.key = key;
    try {
        const std::filesystem::path file = path.toStdString();
        if (kind == ml::io::MediaKind::Video)
            r.durationS = ml::io::probeMedia(file).durationS;
        ml::io::ThumbnailCache cache(cacheDir.toStdString(), std::max(256, std::max(tile.width(), tile.height())));
        QImage image = toQImage(cache.get(file, kind == ml::io::MediaKind::Video ? timeS : -1.0));
        if (image.width() > tile.width() || image.height() > tile.height())
            image = image.scaled(tile, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        r.image = image.convertToFormat(QImage::Format_ARGB32_Premultiplied);
    } catch (const std::exception &e) {
        r.error = QString::fromUtf8(e.what());
    }
    if (r.image.isNull() && r.error.isEmpty())
        r.error = ThumbnailLoader::tr("empty image");
    return r;
}

} // namespace

ThumbnailLoader::ThumbnailLoader(const QString &cacheDir, QSize tile, QObject *parent)
    : QObject(parent)
    , m_cacheDir(cacheDir)
    , m_tile(tile)
    , m_pool(std::make_unique<ml::ThreadPool>())
{
    QDir().mkpath(m_cacheDir); // once here, not racing in the workers
    m_maxRunning = m_pool->size() * 2;
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(kFlushMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &ThumbnailLoader::flush);
}

ThumbnailLoader::~ThumbnailLoader()
{
    m_pool.reset();
}

QString ThumbnailLoader::defaultCacheDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/thumbnails");
}

void ThumbnailLoader::request(int key, const QString &path, ml::io::MediaKind kind, double timeS)
{
    if (isBusy(key))
        return;
    m_queue.append({key, path, kind, timeS});
    m_queued.insert(key);
    pump();
    reportActivity();
}

void ThumbnailLoader::retainOnly(const QSet<int> &keep)
{
    const auto removed = m_queue.removeIf([&](const Request &r) { return !keep.contains(r.key); });
    if (removed == 0)
        return;
    m_queued.clear();
    for (const Request &r : std::as_const(m_queue))
        m_queued.insert(r.key);
    reportActivity();
}

void ThumbnailLoader::cancelPending()
{
    m_queue.clear();
    m_queued.clear();
    reportActivity();
}

void ThumbnailLoader::reset()
{
    ++m_generation;
    m_queue.clear();
    m_queued.clear();
    m_running.clear();
    m_batch.clear();
    m_done = 0;
    reportActivity();
}

void ThumbnailLoader::pump()
{
    while (m_running.size() < m_maxRunning && !m_queue.isEmpty()) {
        Request r = m_queue.takeFirst();
        m_queued.remove(r.key);
        m_running.insert(r.key);
        Q_EMIT started(r.key);
        m_pool->post([this, r, generation = m_generation, dir = m_cacheDir, tile = m_tile] {
            lowerThreadPriority();
            ThumbnailResult result = renderThumbnail(r.key, r.path, r.kind, r.timeS, dir, tile);
            QMetaObject::invokeMethod(
                this, [this, generation, result = std::move(result)] { onResult(generation, result); },
                Qt::QueuedConnection);
        });
    }
}

void ThumbnailLoader::onResult(quint64 generation, ThumbnailResult result)
{
    if (generation != m_generation)
        return;
    m_running.remove(result.key);
    ++m_done;
    m_batch.append(std::move(result));
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
    pump();
}

void ThumbnailLoader::flush()
{
    if (!m_batch.isEmpty()) {
        const QList<ThumbnailResult> batch = std::exchange(m_batch, {});
        Q_EMIT ready(batch);
    }
    reportActivity();
}

void ThumbnailLoader::reportActivity()
{
    const int outstanding = static_cast<int>(m_queue.size() + m_running.size());
    if (outstanding == 0)
        m_done = 0;
    const int total = m_done + outstanding;
    if (m_done == m_lastDone && total == m_lastTotal)
        return;
    m_lastDone = m_done;
    m_lastTotal = total;
    Q_EMIT activityChanged(m_done, total);
}
