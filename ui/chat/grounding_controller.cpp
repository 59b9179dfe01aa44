// GroundingController: one ml::makeGroundingJob per grounded answer and one ml::makeChatJob per
// probe; the maps are cut from the result on the GUI thread (a few thousand floats a word).
#include "chat/grounding_controller.h"

#include "chat/chat_controller.h"
#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/error.h"
#include "engine/model_discovery.h"

#include <QSettings>

#include <algorithm>

namespace {

const QString kMethodKey = QStringLiteral("chat/groundingMethod");
const QString kColoursKey = QStringLiteral("chat/groundingColours");
const QString kOpacityKey = QStringLiteral("chat/groundingOpacity");

std::vector<std::int64_t> idsOf(const std::vector<ml::ChatToken> &tokens)
{
    std::vector<std::int64_t> ids;
    ids.reserve(tokens.size());
    for (const ml::ChatToken &t : tokens)
        ids.push_back(t.id);
    return ids;
}

} // namespace

GroundingController::GroundingController(EngineBridge *bridge, ChatController *chat, QObject *parent)
    : QObject(parent)
    , m_bridge(bridge)
    , m_chat(chat)
{
    Q_ASSERT(m_bridge && m_chat);
    connect(m_bridge, &EngineBridge::partial, this, &GroundingController::onPartial);
    connect(m_bridge, &EngineBridge::progress, this,
        [this](quint64 id, qint64 done, qint64 total, const QString &stage, double) {
            onProgress(id, done, total, stage);
        });
    connect(m_bridge, &EngineBridge::finished, this, &GroundingController::onFinished);
    connect(m_chat, &ChatController::answerFinished, this, &GroundingController::onAnswerFinished);
    connect(m_chat, &ChatController::busyChanged, this, [this] {
        if (m_chat->isBusy()) // a new question: what runs here is about the old answer
            cancel();
    });
    connect(m_chat, &ChatController::transcriptChanged, this, &GroundingController::onTranscriptChanged);
    connect(m_chat, &ChatController::pictureChanged, this, &GroundingController::pictureChanged);
    restoreSettings();
}

GroundingController::~GroundingController()
{
    saveSettings();
}

void GroundingController::restoreSettings()
{
    const QSettings s;
    m_method = ml::groundingMethodFromName(s.value(kMethodKey).toString().toStdString())
                   .value_or(ml::GroundingMethod::Relevancy);
    m_colours = static_cast<heatmap::ColourMap>(
        std::clamp(s.value(kColoursKey, 0).toInt(), 0, static_cast<int>(heatmap::ColourMap::Grey)));
    m_opacity = std::clamp(s.value(kOpacityKey, 55).toInt(), 0, 100);
}

void GroundingController::saveSettings() const
{
    QSettings s;
    s.setValue(kMethodKey, QString::fromLatin1(ml::groundingMethodName(m_method)));
    s.setValue(kColoursKey, static_cast<int>(m_colours));
    s.setValue(kOpacityKey, m_opacity);
}

// --- display -------------------------------------------------------------------------------

void GroundingController::setMethod(ml::GroundingMethod method)
{
    if (method == m_method)
        return;
    m_method = method;
    saveSettings();
    Q_EMIT formChanged();
    redrawMap();
}

QString GroundingController::methodText(ml::GroundingMethod method)
{
    switch (method) {
    case ml::GroundingMethod::Attention:
        return tr("Attention");
    case ml::GroundingMethod::Relevancy:
        return tr("Relevancy");
    case ml::GroundingMethod::Corrected:
        return tr("Context-corrected");
    }
    return {};
}

void GroundingController::setLayer(int layer)
{
    layer = std::clamp(layer, -1, std::max(-1, layers() - 1));
    if (layer == m_layer)
        return;
    m_layer = layer;
    Q_EMIT formChanged();
    redrawMap();
}

void GroundingController::setColourMap(heatmap::ColourMap colours)
{
    if (colours == m_colours)
        return;
    m_colours = colours;
    saveSettings();
    Q_EMIT formChanged();
    Q_EMIT mapChanged();
}

void GroundingController::setOpacity(int percent)
{
    percent = std::clamp(percent, 0, 100);
    if (percent == m_opacity)
        return;
    m_opacity = percent;
    saveSettings();
    Q_EMIT formChanged();
    Q_EMIT mapChanged();
}

// --- the grounding -------------------------------------------------------------------------

void GroundingController::onAnswerFinished()
{
    const auto &r = m_chat->lastResult();
    if (r && r->family == "llava" && !m_chat->conversation().turns.empty()) {
        m_jobSelect = -1;
        groundTurn(static_cast<int>(m_chat->conversation().turns.size()) - 1);
    }
}

bool GroundingController::groundTurn(int turn)
{
    const ml::io::Conversation &c = m_chat->conversation();
    if (turn < 0 || turn >= static_cast<int>(c.turns.size()))
        return false;
    if (m_chat->isBusy()) {
        showMessage(tr("An answer is being written: ground it when it is done."), true);
        return false;
    }
    const ml::io::ConversationTurn &t = c.turns[static_cast<std::size_t>(turn)];
    if (t.tokens.empty()) {
        showMessage(tr("This answer has no tokens to ground."), true);
        return false;
    }
    ml::ChatRequest q;
    ml::ChatResult a;
    const auto &lastResult = m_chat->lastResult();
    if (turn + 1 == static_cast<int>(c.turns.size()) && lastResult && idsOf(lastResult->tokens) == idsOf(t.tokens)) {
        q = *m_chat->lastRequest();
        a = *lastResult;
    } else { // an earlier turn (or a reopened conversation): the question is formatted again
        ml::ModelFamily family = ml::ModelFamily::Unknown;
        try {
            family = ml::familyOfFolder(ml::resolveModelPath(c.model));
        } catch (const ml::Error &) { }
        if (family != ml::ModelFamily::Llava) {
            showMessage(tr("Only a LLaVA model's answers can be grounded."), true);
            return false;
        }
        q.model = c.model;
        q.image = c.image;
        q.videoTimeS = c.videoTimeS;
        for (int i = 0; i < turn; ++i)
            q.history.push_back(
                {c.turns[static_cast<std::size_t>(i)].user, c.turns[static_cast<std::size_t>(i)].assistant});
        q.prompt = t.user;
        q.sampling = t.sampling;
        a.tokens = t.tokens;
        a.text = t.assistant;
        a.family = "llava";
    }
    if (m_job)
        m_bridge->cancel(m_job);
    ml::GroundingRequest g;
    g.model = q.model;
    g.image = q.image;
    g.videoTimeS = q.videoTimeS;
    g.history = q.history;
    g.prompt = q.prompt;
    g.promptIds = a.promptIds; // empty for an earlier turn: history and prompt are formatted
    g.answerIds = idsOf(a.tokens);
    g.relevancy = true;
    g.compute = q.compute;
    m_jobTurn = turn;
    m_jobRequest = std::move(q);
    m_jobAnswer = std::move(a);
    showMessage(QString(), false);
    m_job = m_bridge->submit(ml::makeGroundingJob(std::move(g)));
    setState(tr("Grounding the answer…"));
    Q_EMIT busyChanged();
    return true;
}

void GroundingController::cancel()
{
    const bool busy = m_job || m_probeJob;
    for (quint64 *job : {&m_job, &m_probeJob}) {
        if (*job)
            m_bridge->cancel(*job);
        *job = 0;
    }
    if (busy) {
        setState(QString());
        Q_EMIT busyChanged();
        Q_EMIT probeChanged();
    }
}

void GroundingController::onTranscriptChanged()
{
    const ml::io::Conversation &c = m_chat->conversation();
    const auto stillThere = [&](int turn, const std::vector<ml::ChatToken> &tokens) {
        return turn >= 0 && turn < static_cast<int>(c.turns.size())
            && idsOf(c.turns[static_cast<std::size_t>(turn)].tokens) == idsOf(tokens);
    };
    if (m_job && !stillThere(m_jobTurn, m_jobAnswer.tokens)) {
        m_bridge->cancel(m_job);
        m_job = 0;
        setState(QString());
        Q_EMIT busyChanged();
    }
    if (m_result && (c.id != m_conversationId || !stillThere(m_turn, m_answer.tokens)))
        setResult(std::nullopt);
}

QImage GroundingController::inputImage() const
{
    if (!m_result)
        return {};
    const ml::GroundingResult &r = *m_result;
    if (r.imageSize <= 0 || r.inputRgb.size() != static_cast<std::size_t>(r.imageSize) * r.imageSize * 3)
        return {};
    return QImage(r.inputRgb.data(), r.imageSize, r.imageSize, r.imageSize * 3, QImage::Format_RGB888)
        .convertToFormat(QImage::Format_RGB32);
}

QImage GroundingController::picture() const
{
    return m_chat->picture();
}

QString GroundingController::pictureTitle() const
{
    return m_chat->title();
}

void GroundingController::setResult(std::optional<ml::GroundingResult> result)
{
    if (m_probeJob)
        m_bridge->cancel(m_probeJob);
    m_probeJob = 0;
    m_result = std::move(result);
    m_hovered = m_selected = -1;
    m_layer = -1;
    m_mask = QImage();
    if (m_result) {
        m_mask = QImage(m_result->imageSize, m_result->imageSize, QImage::Format_Grayscale8);
        m_mask.fill(0);
    } else {
        m_turn = -1;
    }
    m_map.clear();
    dropProbe();
    Q_EMIT resultChanged();
    Q_EMIT formChanged();
    Q_EMIT maskChanged();
    Q_EMIT mapChanged();
}

// --- words ---------------------------------------------------------------------------------

QString GroundingController::wordText(int word) const
{
    if (word < 0 || word >= wordCount())
        return {};
    return QString::fromStdString(m_result->words[static_cast<std::size_t>(word)].text);
}

int GroundingController::wordOfToken(int token) const
{
    if (!m_result)
        return -1;
    for (std::size_t i = 0; i < m_result->words.size(); ++i)
        if (token >= m_result->words[i].firstToken && token < m_result->words[i].endToken)
            return static_cast<int>(i);
    return -1;
}

void GroundingController::hoverWord(int word)
{
    word = word >= 0 && word < wordCount() ? word : -1;
    if (word == m_hovered)
        return;
    m_hovered = word;
    redrawMap();
}

void GroundingController::selectWord(int word)
{
    word = word >= 0 && word < wordCount() ? word : -1;
    if (word == m_selected)
        return;
    m_selected = word;
    redrawMap();
}

void GroundingController::hoverToken(int turn, int token)
{
    hoverWord(m_result && turn == m_turn ? wordOfToken(token) : -1);
}

void GroundingController::selectToken(int turn, int token)
{
    if (m_result && turn == m_turn) {
        selectWord(wordOfToken(token));
        return;
    }
    if (m_job && turn == m_jobTurn)
        return; // on its way
    const ml::io::Conversation &c = m_chat->conversation();
    const bool last = turn + 1 == static_cast<int>(c.turns.size()) && m_chat->lastResult();
    if (last && m_chat->lastResult()->family != "llava")
        return; // a BLIP-2 answer: the Q-Former panel explains those
    if (turn >= 0 && turn < static_cast<int>(c.turns.size())) {
        m_jobSelect = token;
        groundTurn(turn);
    }
}

std::vector<float> GroundingController::wordMap(int word) const
{
    if (!m_result || word < 0 || word >= wordCount())
        return {};
    try {
        return ml::wordMap(*m_result, m_method, word, m_method == ml::GroundingMethod::Attention ? m_layer : -1);
    } catch (const ml::Error &) {
        return {};
    }
}

std::vector<float> GroundingController::wordShares() const
{
    std::vector<float> shares;
    if (!m_result)
        return shares;
    const auto &share = m_result->imageShare;
    for (const ml::GroundedWord &w : m_result->words) {
        double sum = 0.0;
        int n = 0;
        for (int t = w.firstToken; t < w.endToken && t < static_cast<int>(share.size()); ++t, ++n)
            sum += share[static_cast<std::size_t>(t)];
        shares.push_back(n > 0 ? static_cast<float>(sum / n) : 0.0f);
    }
    return shares;
}

void GroundingController::redrawMap()
{
    m_map = wordMap(shownWord());
    Q_EMIT mapChanged();
}

// --- the jobs ------------------------------------------------------------------------------

void GroundingController::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (id == 0 || id != m_probeJob || kind != QLatin1String(ml::kChatTokenPartial))
        return;
    if (const auto token = engineValue<ml::ChatToken>(value)) {
        m_probeTokens.push_back(*token);
        Q_EMIT probeChanged();
    }
}

void GroundingController::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage)
{
    if (id == 0 || (id != m_job && id != m_probeJob))
        return;
    const bool probe = id == m_probeJob;
    if (stage == QLatin1String(ml::kChatStageLoading))
        setState(tr("Loading the model…"), done, total);
    else if (stage == QLatin1String(ml::kChatStageImage))
        setState(tr("Reading the picture…"));
    else if (stage == QLatin1String(ml::kChatStagePrompt))
        setState(tr("Reading the question…"));
    else if (probe && stage == QLatin1String(ml::kChatStageGenerating))
        setState(tr("Asking again: %1 of at most %2 tokens").arg(done).arg(total), done, total);
    else if (!probe && total > 0)
        setState(tr("Grounding: %1 of %2 tokens").arg(done).arg(total), done, total);
    else
        setState(probe ? tr("Asking again with the region hidden…") : tr("Grounding the answer…"), done, total);
}

void GroundingController::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id == 0)
        return;
    if (id == m_job) {
        m_job = 0;
        setState(QString());
        const auto result = ok ? engineValue<ml::GroundingResult>(value) : std::nullopt;
        if (result) {
            m_request = m_jobRequest;
            m_answer = m_jobAnswer;
            m_turn = m_jobTurn;
            m_conversationId = m_chat->conversation().id;
            setResult(*result);
            // Show a word at once: the one clicked, else the one that leaned on the picture most.
            int word = wordOfToken(m_jobSelect);
            if (word < 0) {
                const std::vector<float> shares = wordShares();
                if (!shares.empty())
                    word = static_cast<int>(std::max_element(shares.begin(), shares.end()) - shares.begin());
            }
            m_jobSelect = -1;
            selectWord(word);
            if (m_result->words.empty())
                showMessage(tr("The answer is empty: there is no word to ground."), false);
        } else if (!cancelled) {
            showMessage(tr("Could not ground the answer: %1").arg(error), true);
        }
        Q_EMIT busyChanged();
    } else if (id == m_probeJob) {
        m_probeJob = 0;
        setState(QString());
        const auto result = ok ? engineValue<ml::ChatResult>(value) : std::nullopt;
        if (result) {
            m_probeTokens = result->tokens;
            m_probeDone = true;
        } else if (!cancelled) {
            showMessage(tr("Could not ask again: %1").arg(error), true);
        }
        Q_EMIT busyChanged();
        Q_EMIT probeChanged();
    }
}

void GroundingController::showMessage(const QString &text, bool error)
{
    m_message = text;
    m_messageIsError = error;
    Q_EMIT messageChanged();
}

void GroundingController::setState(const QString &text, qint64 done, qint64 total)
{
    m_state = text;
    m_done = done;
    m_total = total;
    Q_EMIT messageChanged();
}
