// SearchController: the Search feature's jobs and state. It indexes folders into a library, searches
// it, groups near-duplicates (ml::Index/Search/DuplicatesRequest on the engine's inference lane),
// re-indexes the watched folders when they change, explains the hits ("Why did this match?")
// through the shared ExplainClient, and holds what the pages show: the hits (SearchResultsModel),
// the index run's summary and health, the duplicate groups, the state lines. Pages push the form's
// settings and call the actions; tests drive it directly.
#pragma once

#include "engine/index_service.h"
#include "explain/explain_client.h"

#include <QImage>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include <functional>
#include <optional>

class EngineBridge;
class FolderWatcher;
class SearchResultsModel;
class ThumbnailStore;

class SearchController : public QObject {
    Q_OBJECT
public:
    // thumbnailCacheDir empty: the thumbnail cache under QStandardPaths::CacheLocation.
    SearchController(EngineBridge *bridge, const QString &thumbnailCacheDir, QObject *parent = nullptr);
    ~SearchController() override; // keeps the indexed folders in QSettings

    // QStandardPaths::GenericDataLocation + "/ModalLens/library.db".
    static QString defaultLibrary();

    // --- settings (the side panel's) ---
    // The CLIP model's folder; empty: none (refreshing: the list is still being searched).
    void setModel(const QString &path, bool refreshing = false);
    QString model() const { return m_model; }
    void setLibrary(const QString &path); // as typed (native separators, "~/"); empty: the default
    QString libraryPath() const { return m_library; }
    void setKeepUpdated(bool on);
    bool keepUpdated() const { return m_keepUpdated; }
    FolderWatcher *folderWatcher() const { return m_watcher; }

    // --- jobs: their id, or 0 (and message() says why) ---
    quint64 indexFolders(const QStringList &folders);
    // The folders of the last index run again (e.g. after a model change); none yet: fallback.
    quint64 reindex(const QStringList &fallback);
    // request's text, image, weight, k, aggregate and filter; the library and model are added here.
    quint64 search(ml::SearchRequest request);
    quint64 findDuplicates(double threshold, const ml::SearchFilter &filter);
    void cancel(); // every running job of the feature
    bool isIndexing() const { return m_indexJob != 0; }
    bool isSearching() const { return m_searchJob != 0; }
    bool isFindingDuplicates() const { return m_dupJob != 0; }
    bool isAutoIndexing() const { return m_autoIndex; }
    QStringList indexedFolders() const { return m_lastFolders; }

    const std::optional<ml::IndexResult> &indexResult() const { return m_indexResult; }
    const std::optional<ml::SearchResult> &result() const { return m_result; }
    const std::optional<ml::SearchRequest> &lastRequest() const { return m_lastRequest; }
    const std::optional<ml::DuplicatesResult> &duplicates() const { return m_duplicates; }
    const ml::SearchResultItem *hitAt(int row) const; // null when row is not a hit
    SearchResultsModel *resultsModel() const { return m_resultsModel; }
    ThumbnailStore *thumbnails() const { return m_thumbs; }

    // The state lines, in the language of now.
    QString message() const { return m_message; }
    bool messageIsError() const { return m_messageIsError; }
    QString indexState() const { return m_indexState; }
    QString resultsState() const { return m_resultsState; }
    QString duplicatesState() const { return m_dupState; }
    bool reindexSuggested() const { return m_reindexSuggested; }
    void showMessage(const QString &text, bool error);
    void clearMessage();
    void retranslate(); // the lines made from results again

    // --- hits ---
    // Opens hit row: openRequested (a video at its best moment) and, with "Why" on, its map first.
    void openHit(int row);
    // The strip of the current hit clicked at timeS: openRequested there.
    void openMoment(int row, double timeS);

    // --- "Why did this match?": the text query's relevance map over each hit, one job at a time,
    // the opened hit first, then the visible ones; a video hit at its best moment. Maps live in
    // the ExplainClient's cache (per file, moment, text, model).
    void setWhyEnabled(bool on);
    bool whyEnabled() const { return m_whyEnabled; }
    bool whyAvailable() const; // the shown hits answer a text query
    bool isExplaining() const { return m_whyJob != 0; }
    QString whyState() const;
    void setVisibleRows(std::function<QList<int>()> rows) { m_visibleRows = std::move(rows); }
    void setCurrentRow(int row) { m_currentRow = row; }

Q_SIGNALS:
    void messageChanged();
    void stateChanged();   // jobs started or ended, index progress, the re-index hint
    void resultsChanged(); // new hits (or none)
    void resultsShown();   // a search's hits were shown
    void indexFinished(bool ok);
    void healthChanged();
    void foldersChanged(); // the indexed folders
    void duplicatesChanged();
    void whyChanged(); // the toggle, its state line or a map
    // A hit to show; timeS >= 0: a video to play from that moment.
    void openRequested(const QString &path, double timeS);
    // path's relevance map, for a preview that shows it (timeS: a video's moment, else -1).
    void overlayReady(const QString &path, double timeS, const QImage &heat);
    void overlaysCleared();

private:
    QString chosenModel(); // m_model, or "" after saying why there is none
    void setIndexState(const QString &text);
    void showIndexSummary();
    void showResultsState();
    void showResults();
    void showDuplicatesState();
    void showJobError(const QString &error, const QString &failed);
    void updateWatcher();
    void onFoldersChanged();
    quint64 submitSearch(ml::SearchRequest request);
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void onIndexFinished(bool ok, const QString &error, bool cancelled, const QVariant &value);
    void onSearchFinished(bool ok, const QString &error, bool cancelled, const QVariant &value);
    void onDuplicatesFinished(bool ok, const QString &error, bool cancelled, const QVariant &value);

    ml::ExplainRequest whyRequest(int row) const;
    QString whyKey(int row) const;
    bool whyDone(int row) const; // its map is cached, or explaining it failed
    // The map (the cached one when null) onto the tile, and to the preview when row is opened.
    void applyWhy(int row, ExplainClient::Result map = {});
    void nextWhy();
    void stopWhy();
    void onWhyFinished(quint64 ticket, const ExplainClient::Result &result, const QString &error, bool cancelled);

    EngineBridge *m_bridge;
    QPointer<ExplainClient> m_explain; // the bridge's: it may go first when the window closes
    ThumbnailStore *m_thumbs;
    SearchResultsModel *m_resultsModel;
    FolderWatcher *m_watcher;

    QString m_model;
    bool m_modelRefreshing = false;
    QString m_library;
    bool m_keepUpdated = true;
    QStringList m_lastFolders;

    QString m_message;
    bool m_messageIsError = false;
    QString m_indexState, m_resultsState, m_dupState;
    bool m_reindexSuggested = false;

    quint64 m_indexJob = 0, m_searchJob = 0, m_dupJob = 0;
    bool m_autoIndex = false;  // the running index job was started by a folder change
    bool m_indexAgain = false; // folders changed while an index job ran
    QString m_stage;
    qint64 m_done = 0, m_total = 0;
    std::optional<ml::SearchRequest> m_lastRequest; // what the shown hits answer
    std::optional<ml::IndexResult> m_indexResult;
    std::optional<ml::SearchResult> m_result;
    std::optional<ml::DuplicatesResult> m_duplicates;

    bool m_whyEnabled = false;
    quint64 m_whyJob = 0; // m_explain's ticket
    QString m_whyJobKey;
    QHash<QString, QString> m_whyErrors; // by whyKey(): failed, not asked again
    int m_whyOpened = -1;                // the hit opened last
    int m_currentRow = -1;
    std::function<QList<int>()> m_visibleRows;
};
