// SearchController's "Why did this match?": the text query's relevance map for each hit, asked of
// the shared ExplainClient one ticket at a time (the opened hit, then the visible ones, then the
// rest); maps go onto the tiles and, for the opened hit, to the preview.
#include "search/search_controller.h"

#include "common/heatmap_view.h"
#include "search/search_results_view.h"

#include <QFileInfo>

#include <algorithm>

namespace {

QImage heatOf(const ml::ExplainResult &r)
{
    return heatmap::colourise(r.map, r.gridH, r.gridW, 128, heatmap::ColourMap::Jet);
}

} // namespace

bool SearchController::whyAvailable() const
{
    return m_result && m_lastRequest && !m_lastRequest->text.empty();
}

void SearchController::setWhyEnabled(bool on)
{
    if (on == m_whyEnabled)
        return;
    m_whyEnabled = on;
    if (on) {
        for (int row = 0; row < m_resultsModel->rowCount(); ++row)
            applyWhy(row);
        if (m_whyOpened < 0 && m_currentRow >= 0)
            m_whyOpened = m_currentRow; // from a tile's context menu: that hit first
        nextWhy();
        Q_EMIT whyChanged();
        return;
    }
    stopWhy();
    m_resultsModel->clearRelevance();
    Q_EMIT overlaysCleared();
    Q_EMIT whyChanged();
}

QString SearchController::whyState() const
{
    if (m_lastRequest && m_lastRequest->text.empty())
        return tr("Relevance maps need a text query: this search is by image only.");
    if (!m_whyEnabled)
        return {};
    if (m_whyJob) {
        int done = 0;
        for (int row = 0; row < m_resultsModel->rowCount(); ++row)
            done += whyDone(row) ? 1 : 0;
        return tr("Explaining the hits: %1 of %2…").arg(done + 1).arg(m_resultsModel->rowCount());
    }
    for (int row = 0; row < m_resultsModel->rowCount(); ++row)
        if (const auto error = m_whyErrors.constFind(whyKey(row)); error != m_whyErrors.cend())
            return tr("Could not explain %1: %2").arg(QFileInfo(m_resultsModel->tile(row).path).fileName(), *error);
    return {};
}

ml::ExplainRequest SearchController::whyRequest(int row) const
{
    ml::ExplainRequest r;
    if (!m_lastRequest || row < 0 || row >= m_resultsModel->rowCount())
        return r;
    const SearchTile &t = m_resultsModel->tile(row);
    r.model = m_lastRequest->model;
    r.image = t.path.toStdString();
    if (t.video)
        r.videoTimeS = std::max(0.0, t.bestS); // the best moment's frame
    r.method = ml::ExplainMethod::Relevance;
    r.text = m_lastRequest->text;
    return r;
}

QString SearchController::whyKey(int row) const
{
    return m_lastRequest && row >= 0 && row < m_resultsModel->rowCount() ? ExplainClient::keyOf(whyRequest(row))
                                                                         : QString();
}

bool SearchController::whyDone(int row) const
{
    return m_whyErrors.contains(whyKey(row)) || m_explain->cached(whyRequest(row));
}

void SearchController::applyWhy(int row, ExplainClient::Result map)
{
    if (!map)
        map = m_explain->cached(whyRequest(row));
    if (!map)
        return;
    const SearchTile &t = m_resultsModel->tile(row);
    const QString path = t.path;
    const double timeS = t.video ? std::max(0.0, t.bestS) : -1.0;
    QImage frame;
    if (t.video && map->imageSize > 0
        && map->inputRgb.size() == std::size_t(map->imageSize) * std::size_t(map->imageSize) * 3)
        frame = QImage(map->inputRgb.data(), map->imageSize, map->imageSize, map->imageSize * 3, QImage::Format_RGB888)
                    .copy();
    const QImage heat = heatOf(*map);
    m_resultsModel->setRelevance(row, map->map, map->gridH, map->gridW, heat, frame);
    if (row == m_whyOpened)
        Q_EMIT overlayReady(path, timeS, heat);
}

void SearchController::nextWhy()
{
    if (m_whyJob || !m_whyEnabled || !whyAvailable() || isSearching()) {
        Q_EMIT whyChanged();
        return;
    }
    // The opened hit, then the hits on screen, then the rest, each in order.
    QList<int> order;
    if (m_whyOpened >= 0)
        order << m_whyOpened;
    if (m_visibleRows)
        order << m_visibleRows();
    for (int row = 0; row < m_resultsModel->rowCount(); ++row)
        order << row;
    for (int row : std::as_const(order))
        if (row < m_resultsModel->rowCount() && !whyDone(row)) {
            m_whyJobKey = whyKey(row);
            m_whyJob = m_explain->explain(whyRequest(row));
            break;
        }
    Q_EMIT whyChanged();
}

void SearchController::stopWhy()
{
    if (m_whyJob)
        m_explain->cancel(m_whyJob); // its finished() is not emitted
    m_whyJob = 0;
    m_whyJobKey.clear();
    Q_EMIT whyChanged();
}

void SearchController::onWhyFinished(
    quint64 ticket, const ExplainClient::Result &result, const QString &error, bool cancelled)
{
    if (ticket == 0 || ticket != m_whyJob)
        return;
    m_whyJob = 0;
    if (!result && cancelled) {
        Q_EMIT whyChanged();
        return;
    }
    if (!result)
        m_whyErrors.insert(m_whyJobKey, error);
    else
        for (int row = 0; row < m_resultsModel->rowCount(); ++row)
            if (whyKey(row) == m_whyJobKey)
                applyWhy(row, result);
    nextWhy();
}
