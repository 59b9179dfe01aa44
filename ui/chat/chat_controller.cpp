// ChatController: one ml::makeChatJob per answer; its token partials grow streamed() and the
// finished result becomes a turn of the conversation, which is saved at once.
#include "chat/chat_controller.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/item_picture.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QPointer>
#include <QSettings>
#include <QStandardPaths>
#include <QThreadPool>

#include <algorithm>

namespace {

const QString kGreedyKey = QStringLiteral("chat/greedy");
const QString kTemperatureKey = QStringLiteral("chat/temperature");
const QString kTopKKey = QStringLiteral("chat/topK");
const QString kTopPKey = QStringLiteral("chat/topP");
const QString kPenaltyKey = QStringLiteral("chat/repetitionPenalty");
const QString kSeedKey = QStringLiteral("chat/seed");
const QString kMaxTokensKey = QStringLiteral("chat/maxNewTokens");
constexpr int kMaxNewTokens = 512;

QString percent(float p)
{
    if (p > 0.0f && p < 0.0001f)
        return QStringLiteral("< ") + QLocale().toString(0.01, 'f', 2) + QStringLiteral(" %");
    return QLocale().toString(100.0 * p, 'f', p >= 0.1f ? 1 : 2) + QStringLiteral(" %");
}

QString shown(const std::string &text)
{
    return QStringLiteral("“%1”").arg(QString::fromStdString(text));
}

std::string joined(const std::vector<ml::ChatToken> &tokens)
{
    std::string text;
    for (const ml::ChatToken &t : tokens)
        text += t.text;
    return QString::fromStdString(text).trimmed().toStdString();
}

} // namespace

ChatController::ChatController(EngineBridge *bridge, QObject *parent) : QObject(parent), m_bridge(bridge)
{
    Q_ASSERT(m_bridge);
    connect(m_bridge, &EngineBridge::partial, this, &ChatController::onPartial);
    connect(m_bridge, &EngineBridge::progress, this,
        [this](quint64 id, qint64 done, qint64 total, const QString &stage, double) {
            onProgress(id, done, total, stage);
        });
    connect(m_bridge, &EngineBridge::finished, this, &ChatController::onFinished);
    restoreSettings();
}

ChatController::~ChatController()
{
    saveSettings();
}

void ChatController::restoreSettings()
{
    const QSettings s;
    m_sampling.greedy = s.value(kGreedyKey, true).toBool();
    m_sampling.temperature = std::clamp(s.value(kTemperatureKey, 1.0).toDouble(), 0.01, 5.0);
    m_sampling.topK = std::clamp(s.value(kTopKKey, 0).toInt(), 0, 1000);
    m_sampling.topP = std::clamp(s.value(kTopPKey, 1.0).toDouble(), 0.01, 1.0);
    m_sampling.repetitionPenalty = std::clamp(s.value(kPenaltyKey, 1.0).toDouble(), 1.0, 3.0);
    m_sampling.seed = s.value(kSeedKey, 0).toULongLong();
    m_sampling.maxNewTokens = std::clamp(s.value(kMaxTokensKey, 32).toInt(), 1, kMaxNewTokens);
}

void ChatController::saveSettings() const
{
    QSettings s;
    s.setValue(kGreedyKey, m_sampling.greedy);
    s.setValue(kTemperatureKey, m_sampling.temperature);
    s.setValue(kTopKKey, m_sampling.topK);
    s.setValue(kTopPKey, m_sampling.topP);
    s.setValue(kPenaltyKey, m_sampling.repetitionPenalty);
    s.setValue(kSeedKey, static_cast<qulonglong>(m_sampling.seed));
    s.setValue(kMaxTokensKey, m_sampling.maxNewTokens);
}

// --- the form ------------------------------------------------------------------------------

void ChatController::setModel(const QString &path)
{
    if (path == m_model)
        return;
    m_model = path;
    if (m_messageIsError)
        showMessage(QString(), false);
}

void ChatController::setSampling(const ml::SamplingSettings &sampling)
{
    m_sampling = sampling;
    m_sampling.maxNewTokens = std::clamp(m_sampling.maxNewTokens, 1, kMaxNewTokens);
    saveSettings();
    Q_EMIT samplingChanged();
}

// --- the picture ---------------------------------------------------------------------------

void ChatController::showFile(const QString &path)
{
    if (path == m_path)
        return;
    if (m_job) {
        m_bridge->cancel(m_job); // an answer about the old picture must not land in the new conversation
        m_job = 0;
        m_streamed.clear();
        m_pendingQuestion.clear();
        setState(QString());
        Q_EMIT busyChanged();
    }
    m_path = path;
    m_isVideo = isVideoFile(path);
    m_videoTime = 0.0;
    if (!m_conversation.turns.empty() && m_conversation.image != path.toStdString())
        newConversation();
    showMessage(QString(), false);
    loadPicture();
}

void ChatController::setVideoTime(const QString &path, double timeS)
{
    // The frame of a conversation stays its first question's: a playing preview moves only a
    // conversation that has not started.
    if (path != m_path || !m_isVideo || !m_conversation.turns.empty() || m_job || timeS == m_videoTime)
        return;
    m_videoTime = std::max(0.0, timeS);
    loadPicture();
}

void ChatController::loadPicture()
{
    const quint64 ticket = ++m_pictureTicket;
    m_picture = QImage();
    Q_EMIT pictureChanged();
    if (m_path.isEmpty())
        return;
    loadItemPicture(this, m_path, m_isVideo ? std::optional<double>(m_videoTime) : std::nullopt, kPictureSide,
        [this, ticket](const QImage &image, const QString &error) {
            if (ticket != m_pictureTicket)
                return;
            m_picture = image;
            if (!error.isEmpty())
                showMessage(error, true);
            Q_EMIT pictureChanged();
        });
}

QString ChatController::title() const
{
    if (m_path.isEmpty())
        return {};
    const QString name = QFileInfo(m_path).fileName();
    return m_isVideo ? tr("%1 · frame at %2 s").arg(name, QLocale().toString(m_videoTime, 'f', 1)) : name;
}

// --- actions -------------------------------------------------------------------------------

bool ChatController::send(const QString &prompt)
{
    const QString text = prompt.trimmed();
    if (text.isEmpty())
        return false;
    return startAnswer(text, m_conversation.history());
}

bool ChatController::regenerate()
{
    if (m_job || m_conversation.turns.empty())
        return false;
    const ml::io::ConversationTurn last = m_conversation.turns.back();
    std::vector<ml::ChatTurn> history = m_conversation.history();
    history.pop_back();
    m_conversation.turns.pop_back();
    if (startAnswer(QString::fromStdString(last.user), std::move(history)))
        return true;
    m_conversation.turns.push_back(last); // nothing started: the answer stays
    return false;
}

bool ChatController::startAnswer(const QString &prompt, std::vector<ml::ChatTurn> history)
{
    if (m_job) {
        showMessage(tr("An answer is still being written: stop it first."), true);
        return false;
    }
    if (m_path.isEmpty()) {
        showMessage(tr("Choose a picture first: select one in the gallery, drop one here or pick a file."), true);
        return false;
    }
    if (m_model.isEmpty()) {
        showMessage(
            m_modelsPending ? tr("The model list is still being searched…") : tr("Choose a LLaVA or BLIP-2 model."),
            !m_modelsPending);
        return false;
    }
    ml::ChatRequest r;
    r.model = m_model.toStdString();
    r.image = m_path.toStdString();
    if (m_isVideo)
        r.videoTimeS = m_videoTime;
    r.history = std::move(history);
    r.prompt = prompt.toStdString();
    r.sampling = m_sampling;
    r.explain = true; // the Q-Former panel's "answer word -> queries -> patches"
    m_jobRequest = r;
    m_pendingQuestion = prompt;
    m_streamed.clear();
    showMessage(QString(), false);
    m_job = m_bridge->submit(ml::makeChatJob(std::move(r)));
    setState(tr("Starting…"));
    Q_EMIT busyChanged();
    Q_EMIT transcriptChanged();
    return true;
}

void ChatController::stop()
{
    if (m_job)
        m_bridge->cancel(m_job); // finished() comes, cancelled, between two tokens
}

void ChatController::newConversation()
{
    if (m_job) {
        m_bridge->cancel(m_job);
        m_job = 0;
        m_streamed.clear();
        m_pendingQuestion.clear();
        setState(QString());
        Q_EMIT busyChanged();
    }
    m_conversation = ml::io::Conversation();
    Q_EMIT transcriptChanged();
}

bool ChatController::openConversation(const QString &file)
{
    ml::io::Conversation c;
    try {
        c = ml::io::loadConversation(file.toStdString());
    } catch (const std::exception &e) {
        showMessage(tr("Could not open the conversation: %1").arg(QString::fromStdString(e.what())), true);
        return false;
    }
    newConversation();
    c.id = QFileInfo(file).completeBaseName().toStdString(); // saved back where it came from
    m_conversation = c;
    const QString image = QString::fromStdString(c.image);
    m_path = image;
    m_isVideo = isVideoFile(image);
    m_videoTime = c.videoTimeS.value_or(0.0);
    showMessage(QString(), false);
    loadPicture();
    if (!c.model.empty())
        Q_EMIT modelRequested(QString::fromStdString(c.model));
    Q_EMIT transcriptChanged();
    // Whether the picture is still the one the answers were about (hashed on a pool thread).
    if (image.isEmpty() || c.imageSha256.empty())
        return true;
    QPointer<ChatController> self(this);
    const QString id = QString::fromStdString(c.id);
    QThreadPool::globalInstance()->start([self, image, id, sha = QString::fromStdString(c.imageSha256)] {
        QFile f(image);
        QString problem;
        if (!f.open(QIODevice::ReadOnly)) {
            problem = tr("%1 is no longer there: the answers were about it.").arg(QDir::toNativeSeparators(image));
        } else {
            QCryptographicHash hash(QCryptographicHash::Sha256);
            hash.addData(&f);
            if (QString::fromLatin1(hash.result().toHex()) != sha)
                problem = tr("%1 has changed since this conversation: the answers were about the picture as it was.")
                              .arg(QDir::toNativeSeparators(image));
        }
        if (problem.isEmpty())
            return;
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, id, problem] {
                if (self && QString::fromStdString(self->m_conversation.id) == id)
                    self->showMessage(problem, true);
            },
            Qt::QueuedConnection);
    });
    return true;
}

bool ChatController::deleteConversation(const QString &file)
{
    if (QFileInfo(file).completeBaseName().toStdString() == m_conversation.id)
        newConversation();
    const bool ok = QFile::remove(file);
    if (!ok)
        showMessage(tr("Could not delete %1.").arg(QDir::toNativeSeparators(file)), true);
    refreshHistory();
    return ok;
}

void ChatController::refreshHistory()
{
    const quint64 ticket = ++m_historyTicket;
    QPointer<ChatController> self(this);
    QThreadPool::globalInstance()->start([self, ticket, dir = conversationsDir().toStdString()] {
        auto list = ml::io::listConversations(dir);
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, ticket, list = std::move(list)] {
                if (!self || ticket != self->m_historyTicket)
                    return;
                self->m_history = list;
                Q_EMIT self->historyChanged();
            },
            Qt::QueuedConnection);
    });
}

// --- the job -------------------------------------------------------------------------------

void ChatController::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (id != m_job || kind != QLatin1String(ml::kChatTokenPartial))
        return;
    const auto token = engineValue<ml::ChatToken>(value);
    if (!token)
        return;
    m_streamed.push_back(*token);
    Q_EMIT tokenStreamed(static_cast<int>(m_streamed.size()) - 1);
}

void ChatController::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage)
{
    if (id != m_job)
        return;
    if (stage == QLatin1String(ml::kChatStageLoading))
        setState(tr("Loading the model…"), done, total);
    else if (stage == QLatin1String(ml::kChatStageImage))
        setState(tr("Reading the picture…"));
    else if (stage == QLatin1String(ml::kChatStagePrompt))
        setState(tr("Reading the question…"));
    else if (stage == QLatin1String(ml::kChatStageGenerating))
        setState(tr("Generating: %1 of at most %2 tokens").arg(done).arg(total), done, total);
    else
        setState(tr("Working…"), done, total);
}

void ChatController::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id != m_job)
        return;
    m_job = 0;
    const QString question = m_pendingQuestion;
    const std::vector<ml::ChatToken> streamed = std::move(m_streamed);
    m_streamed.clear();
    m_pendingQuestion.clear();
    setState(QString());
    const auto result = ok ? engineValue<ml::ChatResult>(value) : std::nullopt;
    if (result) {
        if (!result->imageSha256.empty())
            m_conversation.imageSha256 = result->imageSha256;
        keepTurn(question, result->tokens, QString::fromStdString(result->text), result->stopReason);
        m_lastRequest = m_jobRequest;
        m_lastResult = *result;
        Q_EMIT busyChanged();
        Q_EMIT answerFinished();
        return;
    }
    if (cancelled && !streamed.empty()) {
        keepTurn(question, streamed, QString::fromStdString(joined(streamed)), "cancelled");
        showMessage(tr("Stopped after %n tokens.", nullptr, static_cast<int>(streamed.size())), false);
    } else if (cancelled) {
        showMessage(tr("Stopped before the first token."), false);
    } else if (!m_jobRequest.history.empty()) {
        // A small model reads a few dozen positions: the earlier turns may be what does not fit.
        showMessage(tr("Could not answer: %1").arg(error) + QLatin1Char(' ')
                + tr("New starts a conversation about the same picture without the earlier turns."),
            true);
    } else {
        showMessage(tr("Could not answer: %1").arg(error), true);
    }
    Q_EMIT busyChanged();
    Q_EMIT transcriptChanged();
}

void ChatController::keepTurn(
    const QString &user, const std::vector<ml::ChatToken> &tokens, const QString &answer, const std::string &stopReason)
{
    ml::io::ConversationTurn turn;
    turn.user = user.toStdString();
    turn.assistant = answer.toStdString();
    turn.tokens = tokens;
    turn.sampling = m_jobRequest.sampling;
    turn.stopReason = stopReason;
    turn.time = ml::io::nowIso8601();
    ml::io::Conversation &c = m_conversation;
    if (c.id.empty())
        c.id = ml::io::newConversationId();
    if (c.created.empty())
        c.created = turn.time;
    c.updated = turn.time;
    c.model = m_jobRequest.model;
    c.image = m_jobRequest.image;
    c.videoTimeS = m_jobRequest.videoTimeS;
    c.turns.push_back(std::move(turn));
    save();
    Q_EMIT transcriptChanged();
}

void ChatController::save()
{
    try {
        ml::io::saveConversation(m_conversation, conversationFile().toStdString());
    } catch (const std::exception &e) {
        showMessage(tr("The conversation was not saved: %1").arg(QString::fromStdString(e.what())), true);
    }
    refreshHistory();
}

// --- state ---------------------------------------------------------------------------------

QString ChatController::conversationsDir()
{
    // Beside the app's runs, models and library ($XDG_DATA_HOME/ModalLens/...), as the CLI finds them.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/ModalLens/conversations");
}

QString ChatController::conversationFile() const
{
    if (m_conversation.id.empty())
        return {};
    return conversationsDir() + QLatin1Char('/') + QString::fromStdString(m_conversation.id) + QStringLiteral(".json");
}

const std::vector<ml::ChatToken> *ChatController::tokensOf(int turn) const
{
    const int turns = static_cast<int>(m_conversation.turns.size());
    if (turn >= 0 && turn < turns)
        return &m_conversation.turns[static_cast<std::size_t>(turn)].tokens;
    if (turn == turns && m_job)
        return &m_streamed;
    return nullptr;
}

QString ChatController::tokenInfo(int turn, int token) const
{
    const auto *tokens = tokensOf(turn);
    if (!tokens || token < 0 || token >= static_cast<int>(tokens->size()))
        return {};
    const ml::ChatToken &t = (*tokens)[static_cast<std::size_t>(token)];
    QStringList lines {tr("%1: probability %2").arg(shown(t.text), percent(t.prob))};
    if (!t.top.empty()) {
        lines << tr("Most likely here:");
        for (const ml::TokenAlternative &a : t.top)
            lines << QStringLiteral("  %1  %2").arg(shown(a.text), percent(a.prob));
    }
    return lines.join(QLatin1Char('\n'));
}

QString ChatController::transcriptText() const
{
    QStringList parts;
    for (const ml::io::ConversationTurn &t : m_conversation.turns)
        parts << tr("You: %1").arg(QString::fromStdString(t.user))
              << tr("Model: %1").arg(QString::fromStdString(t.assistant));
    if (m_job)
        parts << tr("You: %1").arg(m_pendingQuestion)
              << tr("Model: %1").arg(QString::fromStdString(joined(m_streamed)));
    return parts.join(QLatin1Char('\n'));
}

void ChatController::showMessage(const QString &text, bool error)
{
    m_message = text;
    m_messageIsError = error;
    Q_EMIT messageChanged();
}

void ChatController::setState(const QString &text, qint64 done, qint64 total)
{
    m_state = text;
    m_done = done;
    m_total = total;
    Q_EMIT messageChanged();
}
