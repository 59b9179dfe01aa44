// FolderWatcher: QFileSystemWatcher tells which folder changed, not what; so after the debounce
// every watched folder is listed again on the pool and compared with the last listing. Only a
// real difference (outside the ignored files) is a change; new sub-folders get watched.
#include "search/folder_watcher.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

#include <algorithm>

namespace {

constexpr int kMaxFolders = 4096; // inotify watches are a per-user resource

} // namespace

FolderWatcher::FolderWatcher(QObject *parent) : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(kDebounceMs);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, [this] {
        if (m_enabled && !m_roots.isEmpty())
            m_debounce.start(); // restarts: one listing ~2 s after the last change
    });
    connect(&m_debounce, &QTimer::timeout, this, [this] { relist(true); });
}

FolderWatcher::~FolderWatcher()
{
    m_stop->store(true);
    m_pool.waitForDone();
}

void FolderWatcher::setIgnoredFile(const QString &file)
{
    m_ignored.clear();
    if (file.isEmpty())
        return;
    const QString path = QDir::cleanPath(QFileInfo(file).absoluteFilePath());
    for (const char *suffix : {"", "-wal", "-shm", "-journal"})
        m_ignored.insert(path + QLatin1String(suffix));
}

void FolderWatcher::setFolders(const QStringList &folders)
{
    QStringList roots;
    for (const QString &f : folders)
        roots << QDir::cleanPath(QFileInfo(f).absoluteFilePath());
    roots.removeDuplicates();
    roots.sort();
    if (roots == m_roots)
        return;
    m_roots = roots;
    ++m_generation;
    m_signature.clear();
    m_debounce.stop();
    if (const QStringList dirs = m_watcher.directories(); !dirs.isEmpty())
        m_watcher.removePaths(dirs);
    if (m_enabled && !m_roots.isEmpty())
        relist(false); // the baseline, and the sub-folders to watch
    else
        Q_EMIT watching(0);
}

void FolderWatcher::setEnabled(bool on)
{
    if (on == m_enabled)
        return;
    m_enabled = on;
    m_debounce.stop();
    m_signature.clear();
    ++m_generation;
    if (const QStringList dirs = m_watcher.directories(); !dirs.isEmpty())
        m_watcher.removePaths(dirs);
    if (m_enabled && !m_roots.isEmpty())
        relist(false);
    else
        Q_EMIT watching(0);
}

void FolderWatcher::relist(bool report)
{
    if (m_listing) {
        m_again = m_again || report;
        return;
    }
    m_listing = true;
    m_pool.start([this, roots = m_roots, ignored = m_ignored, stop = m_stop, generation = m_generation, report] {
        Listing listing = list(roots, ignored, *stop);
        if (stop->load())
            return;
        QMetaObject::invokeMethod(
            this,
            [this, listing = std::move(listing), generation, report] {
                m_listing = false;
                if (generation != m_generation) { // the folders changed meanwhile
                    m_again = false;
                    if (m_enabled && !m_roots.isEmpty())
                        relist(false);
                    return;
                }
                onListed(listing, report);
            },
            Qt::QueuedConnection);
    });
}

void FolderWatcher::onListed(const Listing &listing, bool report)
{
    const bool differs = listing.signature != m_signature;
    m_signature = listing.signature;
    const QStringList watched = m_watcher.directories();
    const QSet<QString> wanted(listing.folders.begin(), listing.folders.end());
    QStringList gone, added;
    for (const QString &dir : watched)
        if (!wanted.contains(dir))
            gone << dir;
    const QSet<QString> have(watched.begin(), watched.end());
    for (const QString &dir : listing.folders)
        if (!have.contains(dir))
            added << dir;
    if (!gone.isEmpty())
        m_watcher.removePaths(gone);
    if (!added.isEmpty())
        m_watcher.addPaths(added); // the ones that fail (gone meanwhile, no watches left) stay unwatched
    Q_EMIT watching(watchedFolderCount());
    if (report && differs)
        Q_EMIT changed();
    if (m_again) {
        m_again = false;
        relist(true);
    }
}

FolderWatcher::Listing FolderWatcher::list(
    const QStringList &roots, const QSet<QString> &ignored, const std::atomic<bool> &stop)
{
    // The ignored files by their real folder, so a symlinked path to the library matches too.
    QSet<QString> ignoredReal;
    for (const QString &file : ignored) {
        const QFileInfo info(file);
        const QString dir = QFileInfo(info.absolutePath()).canonicalFilePath();
        ignoredReal.insert((dir.isEmpty() ? info.absolutePath() : dir) + QLatin1Char('/') + info.fileName());
    }
    Listing out;
    QStringList folders;
    for (const QString &root : roots) {
        if (!QFileInfo(root).isDir())
            continue;
        folders << root;
        QDirIterator it(root, QDir::Dirs | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (it.hasNext() && !stop.load() && folders.size() < kMaxFolders)
            folders << QDir::cleanPath(it.next());
    }
    folders.removeDuplicates();
    for (const QString &folder : std::as_const(folders)) {
        if (stop.load())
            break;
        const QString real = QFileInfo(folder).canonicalFilePath();
        QStringList entries;
        const QFileInfoList infos = QDir(folder).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot);
        for (const QFileInfo &info : infos) {
            if (ignoredReal.contains((real.isEmpty() ? folder : real) + QLatin1Char('/') + info.fileName()))
                continue;
            entries << (info.isDir() ? QStringLiteral("d %1").arg(info.fileName())
                                     : QStringLiteral("f %1 %2 %3")
                                           .arg(info.fileName())
                                           .arg(info.size())
                                           .arg(info.lastModified().toMSecsSinceEpoch()));
        }
        entries.sort();
        out.signature.insert(folder, entries.join(QLatin1Char('\n')));
    }
    out.folders = folders;
    return out;
}
