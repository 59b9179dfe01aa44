// FolderWatcher: watches folders and all their sub-folders (QFileSystemWatcher) and says, about
// two seconds after the last change, that their contents changed. Listing the folders happens on
// its own thread; a change that only touches ignored files (the library and its -wal/-shm/-journal
// files, which indexing itself writes) does not count, so re-indexing on a change cannot loop.
#pragma once

#include <QFileSystemWatcher>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QThreadPool>
#include <QTimer>

#include <atomic>
#include <memory>

class FolderWatcher : public QObject {
    Q_OBJECT
public:
    static constexpr int kDebounceMs = 2000;

    explicit FolderWatcher(QObject *parent = nullptr);
    ~FolderWatcher() override; // stops and waits for a listing in progress

    // The folders to watch (recursively); an empty list stops watching.
    void setFolders(const QStringList &folders);
    QStringList folders() const { return m_roots; }
    // Files whose changes do not count: the library; "-wal", "-shm" and "-journal" are added.
    void setIgnoredFile(const QString &file);
    void setDebounceMs(int ms) { m_debounce.setInterval(ms); }
    void setEnabled(bool on);
    bool isEnabled() const { return m_enabled; }
    int watchedFolderCount() const { return static_cast<int>(m_watcher.directories().size()); }
    bool isListing() const { return m_listing; }

Q_SIGNALS:
    void changed();             // debounced; something under the folders was added, removed or modified
    void watching(int folders); // after each listing: how many folders are watched

private:
    // A folder's entries, each "name size mtime", without the ignored files; and its sub-folders.
    struct Listing {
        QHash<QString, QString> signature; // folder -> its entries
        QStringList folders;               // every folder under the roots, the roots included
    };
    static Listing list(const QStringList &roots, const QSet<QString> &ignored, const std::atomic<bool> &stop);
    void relist(bool report);
    void onListed(const Listing &listing, bool report);

    QFileSystemWatcher m_watcher;
    QTimer m_debounce;
    QStringList m_roots;
    QSet<QString> m_ignored;
    QHash<QString, QString> m_signature;
    bool m_enabled = true;
    bool m_listing = false;
    bool m_again = false; // a change arrived while listing
    quint64 m_generation = 0;
    std::shared_ptr<std::atomic<bool>> m_stop = std::make_shared<std::atomic<bool>>(false);
    QThreadPool m_pool; // last: waited for first
};
