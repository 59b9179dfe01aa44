// ExplainController: the form and the current item become an ml::ExplainRequest for the shared
// ExplainClient; its result and the map drawn from it (a head, a word or the fused map) are what
// the pages show. Attention asks for every head of the layer at once, so picking one head
// redraws from the same result.
#include "explain/explain_controller.h"

#include "io/media.h"

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QPointer>
#include <QSettings>
#include <QThreadPool>
#include <QTimer>

#include <algorithm>

namespace {

const QString kMethodKey = QStringLiteral("attention/method");
const QString kColoursKey = QStringLiteral("attention/colourMap");
const QString kOpacityKey = QStringLiteral("attention/opacity");
const QString kGridKey = QStringLiteral("attention/grid");
const QString kTextKey = QStringLiteral("attention/text");
const QString kDiscardKey = QStringLiteral("attention/discardRatio");
constexpr int kDelayMs = 150; // settings changing quickly make one job

} // namespace

const char *ExplainController::headFusionName(int head)
{
    switch (head) {
    case MaxHeads:
        return "max";
    case MinHeads:
        return "min";
    default:
        return "mean";
    }
}

ExplainController::ExplainController(EngineBridge *bridge, QObject *parent)
    : QObject(parent)
    , m_explain(ExplainClient::of(bridge))
    , m_timer(new QTimer(this))
{
    m_timer->setSingleShot(true);
    m_timer->setInterval(kDelayMs);
    connect(m_timer, &QTimer::timeout, this, &ExplainController::recompute);
    connect(m_explain, &ExplainClient::progress, this, &ExplainController::onProgress);
    connect(m_explain, &ExplainClient::finished, this, &ExplainController::onFinished);
    restoreSettings();
}

ExplainController::~ExplainController()
{
    saveSettings();
}

void ExplainController::restoreSettings()
{
    const QSettings s;
    m_form.method = std::clamp(s.value(kMethodKey, 0).toInt(), 0, 2);
    m_form.text = s.value(kTextKey).toString();
    m_form.discard = std::clamp(s.value(kDiscardKey, 0.0).toDouble(), 0.0, 0.99);
    m_form.colours = static_cast<heatmap::ColourMap>(std::clamp(s.value(kColoursKey, 0).toInt(), 0, 3));
    m_form.opacity = std::clamp(s.value(kOpacityKey, 50).toInt(), 0, 100);
    m_form.grid = s.value(kGridKey, true).toBool();
}

void ExplainController::saveSettings() const
{
    QSettings s;
    s.setValue(kMethodKey, m_form.method);
    s.setValue(kTextKey, m_form.text.trimmed());
    s.setValue(kDiscardKey, m_form.discard);
    s.setValue(kColoursKey, static_cast<int>(m_form.colours));
    s.setValue(kOpacityKey, m_form.opacity);
    s.setValue(kGridKey, m_form.grid);
}

// --- the form ------------------------------------------------------------------------------

void ExplainController::setModel(const QString &path)
{
    if (path == m_model)
        return;
    m_model = path;
    m_layers = 0; // another model: its layers come with its first result
    m_form.layer = -1;
    scheduleRecompute();
}

void ExplainController::setMethod(int method)
{
    method = std::clamp(method, 0, 2);
    if (method == m_form.method)
        return;
    m_form.method = method;
    if (method == RolloutMethod && m_form.head >= FirstHead)
        m_form.head = MeanHeads; // rollout fuses the heads: single heads are for raw attention
    Q_EMIT formChanged();
    scheduleRecompute();
}

void ExplainController::setLayer(int layer)
{
    if (layer == m_form.layer)
        return;
    m_form.layer = layer;
    Q_EMIT formChanged();
    scheduleRecompute();
}

void ExplainController::setHead(int head)
{
    head = std::clamp(head, 0, FirstHead + std::max(0, m_headCount - 1));
    if (head == m_form.head)
        return;
    m_form.head = head;
    Q_EMIT formChanged();
    redrawMap(); // a single head: drawn from the same result at once
    scheduleRecompute();
}

void ExplainController::setQueryToken(int token)
{
    m_form.query = std::max(0, token);
    m_form.method = AttentionMethod;
    Q_EMIT formChanged();
    scheduleRecompute();
}

void ExplainController::setDiscard(double ratio)
{
    if (ratio == m_form.discard)
        return;
    m_form.discard = ratio;
    Q_EMIT formChanged();
    scheduleRecompute();
}

void ExplainController::setText(const QString &text)
{
    if (text == m_form.text)
        return;
    m_form.text = text;
    m_form.word = 0;
    Q_EMIT formChanged();
    scheduleRecompute();
}

void ExplainController::setWord(int word)
{
    m_form.word = std::max(0, word);
    redrawMap();
}

void ExplainController::setColourMap(heatmap::ColourMap colours)
{
    m_form.colours = colours;
    Q_EMIT formChanged();
    Q_EMIT mapChanged();
}

void ExplainController::setOpacity(int percent)
{
    m_form.opacity = std::clamp(percent, 0, 100);
    Q_EMIT formChanged();
    Q_EMIT mapChanged();
}

void ExplainController::setGridVisible(bool visible)
{
    m_form.grid = visible;
    Q_EMIT formChanged();
    Q_EMIT mapChanged();
}

// --- the item ------------------------------------------------------------------------------

void ExplainController::showFile(const QString &path)
{
    if (path == m_path)
        return;
    m_path = path;
    m_isVideo = !path.isEmpty() && ml::io::guessMediaKind(path.toStdString()) == ml::io::MediaKind::Video;
    m_videoTime = 0.0;
    m_duration = 0.0;
    m_form.query = 0;
    if (m_isVideo)
        probeVideo();
    Q_EMIT formChanged();
    Q_EMIT itemChanged();
    scheduleRecompute();
}

// The video's length for the time slider, read on a pool thread (it opens the container).
void ExplainController::probeVideo()
{
    const quint64 ticket = ++m_probeTicket;
    QPointer<ExplainController> self(this);
    QThreadPool::globalInstance()->start([self, ticket, path = m_path.toStdString()] {
        double duration = 0.0;
        try {
            duration = ml::io::probeMedia(path).durationS;
        } catch (const std::exception &) {
            // the explain job says what is wrong with the file
        }
        QMetaObject::invokeMethod(
            qApp,
            [self, ticket, duration] {
                if (self && ticket == self->m_probeTicket) {
                    self->m_duration = duration;
                    Q_EMIT self->itemChanged();
                }
            },
            Qt::QueuedConnection);
    });
}

void ExplainController::setVideoTime(const QString &path, double timeS)
{
    if (path == m_path)
        setTime(timeS);
}

void ExplainController::setTime(double timeS)
{
    timeS = std::max(0.0, timeS);
    if (!m_isVideo || timeS == m_videoTime)
        return;
    m_videoTime = timeS;
    Q_EMIT itemChanged();
    scheduleRecompute();
}

QString ExplainController::title() const
{
    if (m_path.isEmpty())
        return {};
    const QString name = QFileInfo(m_path).fileName();
    return m_isVideo ? tr("%1 · frame at %2 s").arg(name, QLocale().toString(m_videoTime, 'f', 1)) : name;
}

QString ExplainController::imageKey() const
{
    return m_isVideo ? m_path + QChar(0x1f) + QString::number(m_videoTime, 'g', 10) : m_path;
}

// --- the jobs ------------------------------------------------------------------------------

void ExplainController::setActive(bool active)
{
    m_active = active;
    if (active && m_dirty)
        scheduleRecompute();
}

void ExplainController::scheduleRecompute()
{
    if (m_messageIsError)
        showMessage(QString(), false); // an old failure does not outlive the change
    m_pending = true;
    m_timer->start();
}

ml::ExplainRequest ExplainController::request() const
{
    ml::ExplainRequest r;
    r.model = m_model.toStdString();
    r.image = m_path.toStdString();
    if (m_isVideo)
        r.videoTimeS = m_videoTime; // the frame is decoded in the job, off the GUI thread
    r.method = static_cast<ml::ExplainMethod>(m_form.method);
    r.headFusion = headFusionName(m_form.head);
    const QString text = m_form.text.simplified();
    switch (m_form.method) {
    case AttentionMethod:
        r.layer = m_layers > 0 ? m_form.layer : -1;
        r.queryToken = m_form.query;
        r.allHeads = true; // the small multiples, and any single head without another job
        break;
    case RolloutMethod:
        r.discardRatio = m_form.discard;
        break;
    default:
        r.text = text.toStdString();
        r.perWord = text.contains(QLatin1Char(' '));
        r.headFusion = "mean";
        break;
    }
    return r;
}

void ExplainController::recompute()
{
    m_timer->stop();
    m_pending = false;
    m_dirty = !m_active; // a hidden feature does no work until it is shown
    if (m_dirty)
        return;
    if (m_path.isEmpty()) {
        m_explain->cancel(m_job);
        m_job = 0;
        clearResult(false);
        showMessage(QString(), false);
        return;
    }
    if (m_model.isEmpty()) {
        showMessage(m_modelsPending ? tr("The model list is still being searched…") : tr("Choose a CLIP model."),
            !m_modelsPending);
        return;
    }
    if (m_form.method == RelevanceMethod && m_form.text.trimmed().isEmpty()) {
        // No map answers this form: the last one (another method's) must not pass for it.
        m_explain->cancel(m_job);
        m_job = 0;
        clearResult(m_resultImage == imageKey());
        showMessage(tr("Type what the image should be (“a red circle”) to see which patches make it so."), false);
        return;
    }
    const ml::ExplainRequest r = request();
    const QString key = ExplainClient::keyOf(r);
    if (const auto cached = m_explain->cached(r)) {
        m_explain->cancel(m_job);
        m_job = 0;
        showMessage(QString(), false);
        setResult(r.method, *cached, imageKey());
        return;
    }
    if (m_job && key == m_jobKey)
        return;               // already on its way
    m_explain->cancel(m_job); // its finished() is not emitted: m_job moves on
    if (m_resultImage != imageKey())
        clearResult(false); // another picture's map must not stand under this one's name meanwhile
    m_jobKey = key;
    m_jobImage = imageKey();
    m_jobMethod = r.method;
    m_job = m_explain->explain(r, tr("Explaining %1").arg(QFileInfo(m_path).fileName()));
    setState(tr("Starting…"));
}

void ExplainController::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage)
{
    if (id != m_job)
        return;
    if (stage == QLatin1String(ml::kExplainStageLoading))
        setState(tr("Loading the model…"));
    else if (stage == QLatin1String(ml::kExplainStageDecoding))
        setState(tr("Decoding the frame…"));
    else if (total > 1)
        setState(tr("Explaining: %1 of %2 maps").arg(done).arg(total));
    else
        setState(tr("Explaining…"));
}

void ExplainController::onFinished(
    quint64 id, const ExplainClient::Result &result, const QString &error, bool cancelled)
{
    if (id != m_job)
        return;
    m_job = 0;
    setState(QString());
    if (result) {
        showMessage(QString(), false);
        setResult(m_jobMethod, *result, m_jobImage);
    } else if (!cancelled) {
        // Nothing of an earlier result may stay: it would pass for this file's.
        clearResult(false);
        showMessage(tr("Could not explain %1: %2").arg(QFileInfo(m_path).fileName(), error), true);
    }
}

// --- the result ----------------------------------------------------------------------------

void ExplainController::setResult(ml::ExplainMethod method, const ml::ExplainResult &result, const QString &image)
{
    m_resultMethod = method;
    m_result = result;
    m_resultImage = image;
    if (result.layers != m_layers) {
        m_layers = result.layers;
        m_form.layer = result.layer >= 0 ? result.layer : result.layers - 1;
    }
    m_headCount = result.heads;
    if (m_form.head >= FirstHead + m_headCount)
        m_form.head = MeanHeads;
    if (m_form.word > static_cast<int>(result.wordMaps.size()))
        m_form.word = 0;
    Q_EMIT formChanged(); // the layer range, the heads
    Q_EMIT resultChanged();
    redrawMap();
    Q_EMIT mapShown();
}

void ExplainController::clearResult(bool keepImage)
{
    m_result.reset();
    m_map.clear();
    m_mapLabel.clear();
    if (!keepImage)
        m_resultImage.clear();
    Q_EMIT resultChanged();
    Q_EMIT mapChanged();
}

void ExplainController::redrawMap()
{
    if (!m_result) {
        m_map.clear();
        return;
    }
    const ml::ExplainResult &r = *m_result;
    const int head = m_form.head - FirstHead;
    const int word = m_form.word;
    if (m_resultMethod == ml::ExplainMethod::Attention && head >= 0 && head < static_cast<int>(r.headMaps.size())) {
        m_map = r.headMaps[static_cast<std::size_t>(head)].values;
        m_mapLabel = tr("head %1").arg(head + 1);
    } else if (word > 0 && word <= static_cast<int>(r.wordMaps.size())) {
        m_map = r.wordMaps[static_cast<std::size_t>(word - 1)].values;
        m_mapLabel = QString::fromStdString(r.wordMaps[static_cast<std::size_t>(word - 1)].label);
    } else {
        m_map = r.map;
        m_mapLabel.clear();
    }
    Q_EMIT mapChanged();
}

void ExplainController::showMessage(const QString &text, bool error)
{
    m_messageIsError = error;
    m_message = text;
    Q_EMIT messageChanged();
}

void ExplainController::setState(const QString &text)
{
    m_state = text;
    Q_EMIT messageChanged();
}
