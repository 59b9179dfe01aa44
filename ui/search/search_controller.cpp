// SearchController: the engine's index, search and near-duplicate jobs, one of each at a time; their
// results become the state the pages draw. A FolderWatcher re-runs the incremental index when the
// indexed folders change, then the last search; relevance maps come one ticket at a time.
#include "search/search_controller.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "gallery/thumbnail_loader.h"
#include "search/folder_watcher.h"
#include "search/search_results_view.h"

#include "io/media.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QSettings>
#include <QStandardPaths>

#include <algorithm>

namespace {

const QString kFoldersKey = QStringLiteral("search/indexedFolders");

QString cleanPath(const QString &path)
{
    QString p = QDir::fromNativeSeparators(path.trimmed());
    if (p.startsWith(QStringLiteral("~/")))
        p = QDir::homePath() + p.mid(1);
    return p.isEmpty() ? QString() : QDir::cleanPath(QDir(p).absolutePath());
}

bool under(const QString &path, const QString &folder)
{
    return path == folder || path.startsWith(folder.endsWith(QLatin1Char('/')) ? folder : folder + QLatin1Char('/'));
}

} // namespace

SearchController::SearchController(EngineBridge *bridge, const QString &thumbnailCacheDir, QObject *parent)
    : QObject(parent)
    , m_bridge(bridge)
    , m_explain(ExplainClient::of(bridge))
    , m_thumbs(new ThumbnailStore(thumbnailCacheDir.isEmpty() ? ThumbnailLoader::defaultCacheDir() : thumbnailCacheDir,
          SearchResultsView::kThumbBox, this))
    , m_resultsModel(new SearchResultsModel(m_thumbs, this))
    , m_watcher(new FolderWatcher(this))
    , m_library(defaultLibrary())
{
    setObjectName(QStringLiteral("searchController"));
    m_lastFolders = QSettings().value(kFoldersKey).toStringList();
    connect(m_bridge, &EngineBridge::progress, this,
        [this](quint64 id, qint64 done, qint64 total, const QString &stage, double) {
            onProgress(id, done, total, stage);
        });
    connect(m_bridge, &EngineBridge::finished, this, &SearchController::onFinished);
    connect(m_explain, &ExplainClient::finished, this, &SearchController::onWhyFinished);
    connect(m_watcher, &FolderWatcher::changed, this, &SearchController::onFoldersChanged);
    updateWatcher();
}

SearchController::~SearchController()
{
    QSettings().setValue(kFoldersKey, m_lastFolders);
    if (m_whyJob && m_explain)
        m_explain->cancel(m_whyJob);
}

QString SearchController::defaultLibrary()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/ModalLens/library.db");
}

// --- settings ------------------------------------------------------------------------------

void SearchController::setModel(const QString &path, bool refreshing)
{
    m_model = path;
    m_modelRefreshing = refreshing;
}

void SearchController::setLibrary(const QString &path)
{
    const QString clean = cleanPath(path);
    m_library = clean.isEmpty() ? defaultLibrary() : clean;
    updateWatcher();
}

void SearchController::setKeepUpdated(bool on)
{
    m_keepUpdated = on;
    updateWatcher();
}

void SearchController::updateWatcher()
{
    m_watcher->setIgnoredFile(m_library);
    m_watcher->setEnabled(m_keepUpdated);
    m_watcher->setFolders(m_keepUpdated ? m_lastFolders : QStringList());
}

QString SearchController::chosenModel()
{
    if (m_model.isEmpty())
        showMessage(m_modelRefreshing ? tr("The model list is still being searched: try again in a moment.")
                                      : tr("Choose a CLIP model first."),
            true);
    return m_model;
}

// --- messages and state lines --------------------------------------------------------------

void SearchController::showMessage(const QString &text, bool error)
{
    m_message = text;
    m_messageIsError = error;
    Q_EMIT messageChanged();
}

void SearchController::clearMessage()
{
    if (m_message.isEmpty() && !m_messageIsError)
        return;
    showMessage(QString(), false);
}

void SearchController::setIndexState(const QString &text)
{
    m_indexState = text;
    Q_EMIT stateChanged();
}

void SearchController::retranslate()
{
    showIndexSummary();
    showResultsState();
    showDuplicatesState();
    Q_EMIT whyChanged();
}

void SearchController::showIndexSummary()
{
    if (!m_indexResult)
        return;
    const ml::IndexResult &r = *m_indexResult;
    const QLocale locale;
    QString text = tr("Indexed in %1 s: %2 embedded, %3 unchanged, %4 moved, %5 removed, %6 failed.")
                       .arg(locale.toString(r.seconds, 'f', 1), locale.toString(r.embedded()),
                           locale.toString(r.unchanged + r.touched), locale.toString(r.moved),
                           locale.toString(r.removed), locale.toString(qint64(r.failed.size())));
    if (r.frames > 0)
        text += QLatin1Char(' ')
            + tr("%n video frame(s), %1 at scene changes.", nullptr, static_cast<int>(r.frames))
                  .arg(locale.toString(r.sceneFrames));
    setIndexState(text);
    Q_EMIT healthChanged();
}

void SearchController::showResultsState()
{
    if (!m_result)
        return;
    const QLocale locale;
    const int vectors = static_cast<int>(m_result->vectors);
    QString text = m_result->results.empty()
        ? tr("No match in %n vector(s).", nullptr, vectors)
        : tr("%1 best of %n vector(s)", nullptr, vectors).arg(locale.toString(qint64(m_result->results.size())));
    if (m_result->approximate) {
        const QString kind = m_result->approxKind.empty() ? tr("index") : QString::fromStdString(m_result->approxKind);
        text += QStringLiteral(" · ")
            + (m_result->recallAt10 >= 0.0
                    ? tr("approximate (%1, recall@10 %2)").arg(kind, locale.toString(m_result->recallAt10, 'f', 2))
                    : tr("approximate (%1)").arg(kind));
    }
    if (m_result->indexBuilding)
        text += QLatin1Char('\n') + tr("Building the fast index in the background; exact search meanwhile.");
    m_resultsState = text;
    Q_EMIT stateChanged();
}

void SearchController::showDuplicatesState()
{
    if (!m_duplicates)
        return;
    const int n = static_cast<int>(m_duplicates->groups.size());
    QString state = n == 0
        ? tr("No near-duplicates among %n file(s).", nullptr, static_cast<int>(m_duplicates->files))
        : tr("%1 group(s) among %n file(s): click one to open it.", nullptr, static_cast<int>(m_duplicates->files))
              .arg(QLocale().toString(n));
    // Why a look-alike is missing: its picture differs, or could not be read.
    if (m_duplicates->rejectedPairs > 0)
        state += QLatin1Char(' ')
            + tr("%n pair(s) with similar vectors but different pictures were left apart.", nullptr,
                static_cast<int>(m_duplicates->rejectedPairs));
    if (!m_duplicates->unreadable.empty())
        state += QLatin1Char(' ')
            + tr("%n file(s) could not be read to compare: %1", nullptr,
                static_cast<int>(m_duplicates->unreadable.size()))
                  .arg(QString::fromStdString(m_duplicates->unreadable.front().error));
    m_dupState = state;
    Q_EMIT stateChanged();
}

void SearchController::showJobError(const QString &error, const QString &failed)
{
    // A library made with another model, or one whose model changed, needs indexing again.
    const bool stale = error.contains(QStringLiteral("re-index"), Qt::CaseInsensitive);
    m_reindexSuggested = stale;
    showMessage(
        stale ? error + QLatin1Char('\n') + tr("Re-index the library with this model to search it.") : failed, true);
    Q_EMIT stateChanged();
}

// --- indexing ------------------------------------------------------------------------------

quint64 SearchController::reindex(const QStringList &fallback)
{
    return indexFolders(m_lastFolders.isEmpty() ? fallback : m_lastFolders);
}

quint64 SearchController::indexFolders(const QStringList &folders)
{
    if (isIndexing())
        return 0;
    QStringList clean;
    for (const QString &folder : folders) {
        const QString path = cleanPath(folder);
        if (path.isEmpty() || !QFileInfo::exists(path)) {
            showMessage(tr("Not found: %1").arg(QDir::toNativeSeparators(folder)), true);
            return 0;
        }
        clean << path;
    }
    // Folders are indexed recursively: a folder inside another listed one adds nothing.
    clean.removeDuplicates();
    std::sort(clean.begin(), clean.end());
    QStringList roots;
    for (const QString &dir : std::as_const(clean))
        if (roots.isEmpty() || !under(dir, roots.last()))
            roots << dir;
    if (roots.isEmpty()) {
        showMessage(tr("No folder to index."), true);
        return 0;
    }
    const QString model = chosenModel();
    if (model.isEmpty())
        return 0;
    if (!QDir().mkpath(QFileInfo(m_library).absolutePath())) {
        showMessage(tr("Cannot create the library's folder: %1").arg(QFileInfo(m_library).absolutePath()), true);
        return 0;
    }
    ml::IndexRequest request;
    request.library = m_library.toStdString();
    request.model = model.toStdString();
    for (const QString &root : std::as_const(roots))
        request.folders.push_back(root.toStdString());
    if (!m_autoIndex)
        clearMessage();
    m_lastFolders = roots;
    m_reindexSuggested = false;
    m_stage.clear();
    m_done = m_total = 0;
    m_indexJob = m_bridge->submit(ml::makeIndexJob(std::move(request)));
    setIndexState(m_autoIndex ? tr("Updating the library: %1").arg(QStringLiteral("…"))
                              : tr("Indexing: %1").arg(QStringLiteral("…")));
    updateWatcher();
    Q_EMIT foldersChanged();
    return m_indexJob;
}

void SearchController::onFoldersChanged()
{
    if (!m_keepUpdated || m_lastFolders.isEmpty())
        return;
    if (isIndexing()) {
        m_indexAgain = true; // once the running job is done
        return;
    }
    m_autoIndex = true;
    if (indexFolders(m_lastFolders) == 0)
        m_autoIndex = false;
}

// --- searching -----------------------------------------------------------------------------

quint64 SearchController::search(ml::SearchRequest request)
{
    if (isSearching() || isIndexing())
        return 0;
    if (request.text.empty() && request.image.empty()) {
        showMessage(tr("Type what to find, or use an image."), true);
        return 0;
    }
    const QString model = chosenModel();
    if (model.isEmpty())
        return 0;
    if (!QFileInfo::exists(m_library)) {
        showMessage(tr("The library is empty: index the gallery's folders first."), true);
        return 0;
    }
    if (request.filter.fromS != 0 && request.filter.toS != 0 && request.filter.fromS > request.filter.toS) {
        const auto day = [](std::int64_t s) {
            return QLocale().toString(QDateTime::fromSecsSinceEpoch(s).date(), QLocale::ShortFormat);
        };
        showMessage(tr("The date range ends (%1) before it starts (%2).")
                        .arg(day(request.filter.toS), day(request.filter.fromS)),
            true);
        return 0;
    }
    request.library = m_library.toStdString();
    request.model = model.toStdString();
    clearMessage();
    return submitSearch(std::move(request));
}

quint64 SearchController::submitSearch(ml::SearchRequest request)
{
    stopWhy(); // the maps answer the shown hits' query
    m_lastRequest = request;
    m_resultsState = tr("Searching…");
    m_searchJob = m_bridge->submit(ml::makeSearchJob(std::move(request)));
    Q_EMIT stateChanged();
    return m_searchJob;
}

quint64 SearchController::findDuplicates(double threshold, const ml::SearchFilter &filter)
{
    if (isFindingDuplicates() || isIndexing())
        return 0;
    const QString model = chosenModel();
    if (model.isEmpty())
        return 0;
    if (!QFileInfo::exists(m_library)) {
        showMessage(tr("The library is empty: index the gallery's folders first."), true);
        return 0;
    }
    ml::DuplicatesRequest request;
    request.library = m_library.toStdString();
    request.model = model.toStdString();
    request.threshold = threshold;
    request.filter = filter;
    clearMessage();
    m_dupState = tr("Comparing the library's files…");
    m_dupJob = m_bridge->submit(ml::makeDuplicatesJob(std::move(request)));
    Q_EMIT stateChanged();
    return m_dupJob;
}

void SearchController::cancel()
{
    for (quint64 id : {m_indexJob, m_searchJob, m_dupJob})
        if (id)
            m_bridge->cancel(id);
    stopWhy();
}

// --- the jobs ------------------------------------------------------------------------------

void SearchController::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage)
{
    if (id == 0 || id != m_indexJob)
        return;
    m_stage = stage;
    m_done = done;
    m_total = total;
    const QString progress = total > 0
        ? tr("%1 (%2 of %3)…").arg(stage, QLocale().toString(done), QLocale().toString(total))
        : QStringLiteral("…");
    setIndexState((m_autoIndex ? tr("Updating the library: %1") : tr("Indexing: %1")).arg(progress));
}

void SearchController::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id == 0)
        return;
    if (id == m_indexJob) {
        m_indexJob = 0;
        onIndexFinished(ok, error, cancelled, value);
    } else if (id == m_searchJob) {
        m_searchJob = 0;
        onSearchFinished(ok, error, cancelled, value);
    } else if (id == m_dupJob) {
        m_dupJob = 0;
        onDuplicatesFinished(ok, error, cancelled, value);
    }
}

void SearchController::onIndexFinished(bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    const bool wasAuto = std::exchange(m_autoIndex, false);
    const auto r = engineValue<ml::IndexResult>(value);
    const bool ranOk = ok && r.has_value();
    if (ranOk) {
        m_indexResult = *r;
        showIndexSummary();
        QStringList failures;
        for (const ml::IndexFailure &f : r->failed)
            failures << QStringLiteral("%1: %2").arg(
                QDir::toNativeSeparators(QString::fromStdString(f.file)), QString::fromStdString(f.error));
        if (r->modelChanged)
            showMessage(tr("The model changed since this library was indexed: its old vectors were replaced."), false);
        else if (!failures.isEmpty())
            showMessage(tr("Could not read %n file(s):", nullptr, static_cast<int>(failures.size())) + QLatin1Char('\n')
                    + failures.mid(0, 5).join(QLatin1Char('\n')),
                false);
        else if (!wasAuto)
            clearMessage();
    } else if (cancelled) {
        setIndexState(tr("Indexing cancelled: what was embedded is kept."));
    } else {
        setIndexState(tr("Indexing failed."));
        m_reindexSuggested = true;
        showMessage(tr("Indexing failed: %1").arg(error), true);
    }
    Q_EMIT stateChanged();
    Q_EMIT foldersChanged();
    Q_EMIT indexFinished(ranOk);
    if (std::exchange(m_indexAgain, false) && m_keepUpdated) {
        onFoldersChanged(); // the folders changed while this job ran
        if (isIndexing())
            return;
    }
    // The library changed under the shown hits: ask again.
    if (ranOk && wasAuto && m_lastRequest && !isSearching())
        submitSearch(*m_lastRequest);
}

void SearchController::onSearchFinished(bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (const auto r = engineValue<ml::SearchResult>(value); ok && r) {
        m_result = *r;
        clearMessage();
        showResults();
        Q_EMIT resultsShown();
    } else if (cancelled) {
        m_resultsState = tr("Search cancelled.");
    } else {
        m_resultsState.clear();
        showJobError(error, tr("Search failed: %1").arg(error));
    }
    Q_EMIT stateChanged();
}

void SearchController::onDuplicatesFinished(bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (const auto r = engineValue<ml::DuplicatesResult>(value); ok && r) {
        m_duplicates = *r;
        showDuplicatesState();
        Q_EMIT duplicatesChanged();
    } else if (cancelled) {
        m_dupState = tr("Cancelled.");
    } else {
        m_dupState.clear();
        showJobError(error, tr("Finding near-duplicates failed: %1").arg(error));
    }
    Q_EMIT stateChanged();
}

void SearchController::showResults()
{
    showResultsState();
    std::vector<SearchTile> tiles;
    if (m_result)
        for (const ml::SearchResultItem &hit : m_result->results)
            tiles.push_back(
                {QString::fromStdString(hit.file), hit.kind == "video", hit.score, hit.bestS, {}, 0, 0, {}, {}});
    m_resultsModel->setTiles(std::move(tiles));
    m_whyOpened = -1;
    m_currentRow = -1;
    Q_EMIT resultsChanged();
    if (m_whyEnabled && whyAvailable()) {
        for (int row = 0; row < m_resultsModel->rowCount(); ++row)
            applyWhy(row);
        nextWhy();
    }
    Q_EMIT whyChanged();
}

const ml::SearchResultItem *SearchController::hitAt(int row) const
{
    return m_result && row >= 0 && row < static_cast<int>(m_result->results.size())
        ? &m_result->results[static_cast<std::size_t>(row)]
        : nullptr;
}

// --- hits ----------------------------------------------------------------------------------

void SearchController::openHit(int row)
{
    const ml::SearchResultItem *hit = hitAt(row);
    if (!hit)
        return;
    m_currentRow = row;
    Q_EMIT openRequested(QString::fromStdString(hit->file), hit->kind == "video" ? std::max(0.0, hit->bestS) : -1.0);
    if (!m_whyEnabled || !whyAvailable())
        return;
    m_whyOpened = row; // explained next when its map is not there yet
    applyWhy(row);
    nextWhy();
}

void SearchController::openMoment(int row, double timeS)
{
    const ml::SearchResultItem *hit = hitAt(row);
    if (!hit || hit->kind != "video")
        return;
    const double end = hit->times.empty() ? timeS : hit->times.back();
    Q_EMIT openRequested(QString::fromStdString(hit->file), std::clamp(timeS, 0.0, std::max(0.0, end)));
}
