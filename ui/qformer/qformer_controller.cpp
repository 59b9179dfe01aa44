// QFormerController: one Q-Former job per picture and model (the maps of every query, every layer
// and head come from it, so the form only redraws), one ablation job per answer.
#include "qformer/qformer_controller.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/item_picture.h"

#include <QFileInfo>
#include <QLocale>
#include <QSettings>
#include <QTimer>

#include <algorithm>
#include <numeric>

namespace {

const QString kColoursKey = QStringLiteral("qformer/colourMap");
const QString kOpacityKey = QStringLiteral("qformer/opacity");
const QString kGridKey = QStringLiteral("qformer/grid");
constexpr int kDelayMs = 150;
constexpr int kPictureSide = 448; // the picture under the maps (squared, as BLIP-2 resizes)

} // namespace

QFormerController::QFormerController(EngineBridge *bridge, QObject *parent)
    : QObject(parent)
    , m_bridge(bridge)
    , m_timer(new QTimer(this))
{
    Q_ASSERT(m_bridge);
    m_timer->setSingleShot(true);
    m_timer->setInterval(kDelayMs);
    connect(m_timer, &QTimer::timeout, this, &QFormerController::recompute);
    connect(m_bridge, &EngineBridge::progress, this,
        [this](quint64 id, qint64 done, qint64 total, const QString &stage, double) {
            onProgress(id, done, total, stage);
        });
    connect(m_bridge, &EngineBridge::finished, this, &QFormerController::onFinished);
    restoreSettings();
}

QFormerController::~QFormerController()
{
    saveSettings();
}

void QFormerController::restoreSettings()
{
    const QSettings s;
    m_form.colours = static_cast<heatmap::ColourMap>(std::clamp(s.value(kColoursKey, 0).toInt(), 0, 3));
    m_form.opacity = std::clamp(s.value(kOpacityKey, 55).toInt(), 0, 100);
    m_form.grid = s.value(kGridKey, true).toBool();
}

void QFormerController::saveSettings() const
{
    QSettings s;
    s.setValue(kColoursKey, static_cast<int>(m_form.colours));
    s.setValue(kOpacityKey, m_form.opacity);
    s.setValue(kGridKey, m_form.grid);
}

// --- the form ------------------------------------------------------------------------------

void QFormerController::setModel(const QString &path)
{
    if (path == m_model)
        return;
    m_model = path;
    Q_EMIT answerChanged(); // the answer may match now, or no longer
    scheduleRecompute();
}

void QFormerController::setCrossLayer(int layer)
{
    if (layer == m_form.crossLayer)
        return;
    m_form.crossLayer = layer;
    Q_EMIT formChanged();
    Q_EMIT mapsChanged();
    redrawLarge();
}

void QFormerController::setHead(int head)
{
    const int heads = m_result ? m_result->heads : 0;
    head = std::clamp(head, 0, FirstHead + std::max(0, heads - 1));
    if (head == m_form.head)
        return;
    m_form.head = head;
    Q_EMIT formChanged();
    Q_EMIT mapsChanged();
    redrawLarge();
}

void QFormerController::setLmLayer(int layer)
{
    if (layer == m_form.lmLayer)
        return;
    m_form.lmLayer = layer;
    Q_EMIT formChanged();
    if (m_large == WordMap)
        redrawLarge();
}

void QFormerController::setThroughVision(bool on)
{
    if (on == m_form.throughVision)
        return;
    m_form.throughVision = on;
    Q_EMIT formChanged();
    Q_EMIT mapsChanged();
    redrawLarge();
}

void QFormerController::setColourMap(heatmap::ColourMap colours)
{
    m_form.colours = colours;
    Q_EMIT formChanged();
    Q_EMIT mapsChanged();
    Q_EMIT largeChanged();
}

void QFormerController::setOpacity(int percent)
{
    m_form.opacity = std::clamp(percent, 0, 100);
    Q_EMIT formChanged();
    Q_EMIT mapsChanged();
    Q_EMIT largeChanged();
}

void QFormerController::setGridVisible(bool visible)
{
    m_form.grid = visible;
    Q_EMIT formChanged();
    Q_EMIT largeChanged();
}

// --- the item ------------------------------------------------------------------------------

void QFormerController::showFile(const QString &path)
{
    if (path == m_path)
        return;
    m_path = path;
    m_isVideo = isVideoFile(path);
    m_videoTime = 0.0;
    loadPicture();
    Q_EMIT answerChanged();
    scheduleRecompute();
}

void QFormerController::setVideoTime(const QString &path, double timeS)
{
    if (path != m_path || !m_isVideo || timeS == m_videoTime)
        return;
    m_videoTime = std::max(0.0, timeS);
    loadPicture();
    Q_EMIT answerChanged();
    scheduleRecompute();
}

void QFormerController::loadPicture()
{
    const quint64 ticket = ++m_pictureTicket;
    m_picture = QImage();
    Q_EMIT itemChanged();
    if (m_path.isEmpty())
        return;
    loadItemPicture(this, m_path, m_isVideo ? std::optional<double>(m_videoTime) : std::nullopt, kPictureSide,
        [this, ticket](const QImage &image, const QString &) {
            if (ticket != m_pictureTicket)
                return; // a failure is the job's to report, with the model's words
            m_picture = image.isNull()
                ? image
                : image.scaled(kPictureSide, kPictureSide, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
            Q_EMIT itemChanged();
            Q_EMIT largeChanged();
        });
}

QString QFormerController::title() const
{
    if (m_path.isEmpty())
        return {};
    const QString name = QFileInfo(m_path).fileName();
    return m_isVideo ? tr("%1 · frame at %2 s").arg(name, QLocale().toString(m_videoTime, 'f', 1)) : name;
}

QString QFormerController::itemKey() const
{
    QString key = m_model + QChar(0x1f) + m_path;
    if (m_isVideo)
        key += QChar(0x1f) + QString::number(m_videoTime, 'g', 10);
    return key;
}

// --- the jobs ------------------------------------------------------------------------------

void QFormerController::setActive(bool active)
{
    m_active = active;
    if (active && m_dirty)
        scheduleRecompute();
}

void QFormerController::scheduleRecompute()
{
    if (m_messageIsError)
        showMessage(QString(), false);
    m_pending = true;
    m_timer->start();
}

void QFormerController::recompute()
{
    m_timer->stop();
    m_pending = false;
    m_dirty = !m_active;
    if (m_dirty)
        return;
    if (m_path.isEmpty() || m_model.isEmpty()) {
        if (m_job)
            m_bridge->cancel(m_job);
        m_job = 0;
        m_result.reset();
        m_resultKey.clear();
        Q_EMIT resultChanged();
        redrawLarge();
        if (m_path.isEmpty())
            showMessage(QString(), false);
        else
            showMessage(m_modelsPending ? tr("The model list is still being searched…") : tr("Choose a BLIP-2 model."),
                !m_modelsPending);
        return;
    }
    const QString key = itemKey();
    if (m_result && key == m_resultKey) {
        runAblation();
        return;
    }
    if (m_job && key == m_jobKey)
        return;
    if (m_job)
        m_bridge->cancel(m_job);
    if (m_result) { // another picture's maps must not stand under this one's name
        m_result.reset();
        m_resultKey.clear();
        Q_EMIT resultChanged();
        redrawLarge();
    }
    ml::QFormerRequest r;
    r.model = m_model.toStdString();
    r.image = m_path.toStdString();
    if (m_isVideo)
        r.videoTimeS = m_videoTime;
    m_jobKey = key;
    m_job = m_bridge->submit(ml::makeQFormerJob(std::move(r)));
    setState(tr("Starting…"));
}

void QFormerController::runAblation()
{
    if (!answerMatches() || m_ablation || m_ablationJob || !m_active)
        return;
    const ml::ChatRequest &chat = *m_answerRequest;
    ml::QueryAblationRequest r;
    r.model = chat.model;
    r.image = chat.image;
    r.videoTimeS = chat.videoTimeS;
    r.promptIds = m_answer->promptIds;
    for (const ml::ChatToken &t : m_answer->tokens)
        r.answerIds.push_back(t.id);
    if (r.answerIds.empty())
        return;
    m_ablationJob = m_bridge->submit(ml::makeQueryAblationJob(std::move(r)));
    setState(tr("Measuring which queries the answer used…"));
}

void QFormerController::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage)
{
    if (id != m_job && id != m_ablationJob)
        return;
    if (stage == QLatin1String(ml::kChatStageLoading))
        setState(tr("Loading the model…"));
    else if (id == m_ablationJob && total > 1)
        setState(tr("Measuring which queries the answer used: %1 of %2").arg(done).arg(total));
    else if (id == m_job)
        setState(tr("Reading the picture…"));
}

void QFormerController::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id == m_job) {
        m_job = 0;
        setState(m_ablationJob ? tr("Measuring which queries the answer used…") : QString());
        const auto result = ok ? engineValue<ml::QFormerResult>(value) : std::nullopt;
        if (result) {
            showMessage(QString(), false);
            m_result = *result;
            m_resultKey = m_jobKey;
            m_query = std::clamp(m_query, 0, std::max(0, result->queries - 1));
            if (m_form.crossLayer >= static_cast<int>(result->crossLayers.size()))
                m_form.crossLayer = -1;
            if (m_form.head >= FirstHead + result->heads)
                m_form.head = MeanHeads;
            Q_EMIT formChanged();
            Q_EMIT resultChanged();
            Q_EMIT answerChanged(); // word maps need the result
            redrawLarge();
            runAblation();
        } else if (!cancelled) {
            showMessage(tr("Could not read the Q-Former for %1: %2").arg(QFileInfo(m_path).fileName(), error), true);
        }
        return;
    }
    if (id == m_ablationJob) {
        m_ablationJob = 0;
        setState(m_job ? tr("Reading the picture…") : QString());
        const auto result = ok ? engineValue<ml::QueryAblationResult>(value) : std::nullopt;
        if (result) {
            m_ablation = *result;
            Q_EMIT ablationChanged();
        } else if (!cancelled) {
            showMessage(tr("Could not measure which queries the answer used: %1").arg(error), true);
        }
    }
}

// --- the queries ---------------------------------------------------------------------------

std::vector<float> QFormerController::queryMap(int query) const
{
    if (!m_result || query < 0 || query >= m_result->queries)
        return {};
    const int head = m_form.head >= FirstHead ? m_form.head - FirstHead : -1;
    const std::string fusion = m_form.head == MaxHeads ? "max" : "mean";
    return ml::queryPatchMap(*m_result, query, m_form.crossLayer, head, fusion, space());
}

void QFormerController::selectQuery(int query)
{
    m_query = std::max(0, query);
    m_large = QueryMap;
    redrawLarge();
}

// --- the answer ----------------------------------------------------------------------------

void QFormerController::setAnswer(const ml::ChatRequest &request, const ml::ChatResult &result)
{
    if (m_ablationJob)
        m_bridge->cancel(m_ablationJob);
    m_ablationJob = 0;
    m_answerRequest = request;
    m_answer = result;
    m_ablation.reset();
    m_word = -1;
    if (m_large == WordMap)
        m_large = QueryMap;
    const QString model = QString::fromStdString(request.model);
    Q_EMIT ablationChanged();
    Q_EMIT answerChanged();
    redrawLarge();
    if (model != m_model)
        Q_EMIT modelRequested(model); // the picker selects it; setModel() follows
    if (answerMatches())
        scheduleRecompute(); // the ablation starts once the picture's result is there
}

bool QFormerController::answerMatches() const
{
    if (!m_answerRequest)
        return false;
    const ml::ChatRequest &r = *m_answerRequest;
    if (QString::fromStdString(r.model) != m_model || QString::fromStdString(r.image) != m_path)
        return false;
    return !m_isVideo || (r.videoTimeS && *r.videoTimeS == m_videoTime);
}

void QFormerController::showAnswerPicture()
{
    if (!m_answerRequest)
        return;
    const ml::ChatRequest &r = *m_answerRequest;
    if (QString::fromStdString(r.model) != m_model)
        Q_EMIT modelRequested(QString::fromStdString(r.model));
    showFile(QString::fromStdString(r.image));
    if (r.videoTimeS)
        setVideoTime(m_path, *r.videoTimeS);
}

QString QFormerController::answerText() const
{
    return m_answer ? QString::fromStdString(m_answer->text) : QString();
}

QString QFormerController::answerQuestion() const
{
    return m_answerRequest ? QString::fromStdString(m_answerRequest->prompt) : QString();
}

QStringList QFormerController::answerWords() const
{
    QStringList words;
    if (!m_answer)
        return words;
    for (const ml::ChatToken &t : m_answer->tokens) {
        const QString text = QString::fromStdString(t.text).trimmed();
        words << (text.isEmpty() ? QStringLiteral("⏎") : text);
    }
    return words;
}

bool QFormerController::hasWordMaps() const
{
    if (!m_answer || !m_result)
        return false;
    const ml::ImageAttention &a = m_answer->imageAttention;
    return a.tokens > 0 && a.positions == m_result->queries && answerMatches();
}

ml::PatchSpace QFormerController::space() const
{
    return m_form.throughVision ? ml::PatchSpace::ThroughVision : ml::PatchSpace::Direct;
}

int QFormerController::lmLayers() const
{
    return m_answer ? m_answer->imageAttention.layers : 0;
}

std::vector<float> QFormerController::wordMap(int token) const
{
    if (!hasWordMaps() || token < 0 || token >= m_answer->imageAttention.tokens)
        return {};
    return ml::wordQueryPatchMap(*m_result, m_answer->imageAttention, token, m_form.lmLayer, space());
}

void QFormerController::selectWord(int token)
{
    m_word = token;
    m_large = token >= 0 ? WordMap : QueryMap;
    redrawLarge();
}

std::vector<int> QFormerController::queriesByDrop() const
{
    std::vector<int> order;
    if (!m_ablation)
        return order;
    order.resize(m_ablation->perQuery.size());
    std::iota(order.begin(), order.end(), 0);
    const auto &drop = m_ablation->perQuery;
    std::stable_sort(order.begin(), order.end(),
        [&drop](int a, int b) { return drop[static_cast<std::size_t>(a)] > drop[static_cast<std::size_t>(b)]; });
    return order;
}

// --- the large view ------------------------------------------------------------------------

void QFormerController::redrawLarge()
{
    m_largeMap.clear();
    m_largeLabel.clear();
    if (m_large == WordMap) {
        m_largeMap = wordMap(m_word);
        const QStringList words = answerWords();
        if (!m_largeMap.empty())
            m_largeLabel = tr("“%1” → queries → patches").arg(words.value(m_word));
        else
            m_large = QueryMap;
    }
    if (m_large == QueryMap && m_result) {
        m_largeMap = queryMap(m_query);
        m_largeLabel = tr("Query %1").arg(m_query + 1);
    }
    Q_EMIT largeChanged();
}

void QFormerController::showMessage(const QString &text, bool error)
{
    m_message = text;
    m_messageIsError = error;
    Q_EMIT messageChanged();
}

void QFormerController::setState(const QString &text)
{
    m_state = text;
    Q_EMIT messageChanged();
}
