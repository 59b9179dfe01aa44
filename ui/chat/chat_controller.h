// ChatController: the Chat feature's state and jobs. It keeps the picture being talked about
// (the gallery's current item, a dropped or picked file, or a video's frame), the conversation
// (ml::io::Conversation: saved as JSON under $XDG_DATA_HOME/ModalLens/conversations after every answer,
// reopened from the history list), the sampling settings (remembered in QSettings) and the
// answer being generated: each token arrives as a partial result of ml::makeChatJob and is shown
// at once; Stop cancels between tokens and keeps what came. Every request asks for the language
// model's attention to the image (explain = true), so the Q-Former panel can map each answer word
// to the patches without running the chat again; a LLaVA answer is grounded word by word by
// GroundingController after answerFinished(). The pages show its state and call its actions.
#pragma once

#include "engine/chat_service.h"
#include "io/conversation.h"

#include <QImage>
#include <QObject>
#include <QString>

#include <optional>
#include <vector>

class EngineBridge;

class ChatController : public QObject {
    Q_OBJECT
public:
    static constexpr int kPictureSide = 512; // the shown picture's longer side at most

    explicit ChatController(EngineBridge *bridge, QObject *parent = nullptr);
    ~ChatController() override; // keeps the sampling settings in QSettings

    // --- the form
    void setModel(const QString &path); // a ModelPicker path; empty: none
    QString model() const { return m_model; }
    void setModelsPending(bool pending) { m_modelsPending = pending; } // the picker still searches
    const ml::SamplingSettings &sampling() const { return m_sampling; }
    void setSampling(const ml::SamplingSettings &sampling);

    // --- the picture. Another picture than the conversation's starts a new conversation (the
    // old one is saved already). A video is talked about at the frame setVideoTime() names (its
    // first until then).
    void showFile(const QString &path);
    void setVideoTime(const QString &path, double timeS); // ignored unless path is the shown video
    QString imagePath() const { return m_path; }
    bool isVideo() const { return m_isVideo; }
    double videoTime() const { return m_videoTime; }
    QImage picture() const { return m_picture; } // decoded off the GUI thread; null meanwhile
    QString title() const;                       // "file" or "file · frame at 1.5 s"

    // --- actions. Each returns false, with message(), when it cannot start.
    bool send(const QString &prompt);
    void stop();       // cancels the answer between tokens; the tokens so far stay as the answer
    bool regenerate(); // the last question again with the current sampling settings
    void newConversation();
    bool openConversation(const QString &file);
    bool deleteConversation(const QString &file);
    void refreshHistory(); // reads the conversations folder on a pool thread; historyChanged() follows

    // --- state
    const ml::io::Conversation &conversation() const { return m_conversation; }
    QString conversationFile() const; // where the current conversation is (or will be) saved
    static QString conversationsDir();
    const std::vector<ml::io::ConversationSummary> &history() const { return m_history; }
    bool isBusy() const { return m_job != 0; }
    QString pendingQuestion() const { return m_pendingQuestion; }             // while busy
    const std::vector<ml::ChatToken> &streamed() const { return m_streamed; } // while busy
    // The last answer that finished (not cancelled) and the request that produced it: what the
    // Q-Former panel inspects.
    const std::optional<ml::ChatRequest> &lastRequest() const { return m_lastRequest; }
    const std::optional<ml::ChatResult> &lastResult() const { return m_lastResult; }
    // "“ red” 87.5 %" and the alternatives, one per line: the hover text of an answer's token.
    // turn: index in conversation().turns, or turns.size() for the answer being generated.
    QString tokenInfo(int turn, int token) const;
    const std::vector<ml::ChatToken> *tokensOf(int turn) const;
    QString transcriptText() const; // the conversation as plain text (Copy)

    QString message() const { return m_message; }
    bool messageIsError() const { return m_messageIsError; }
    QString state() const { return m_state; } // "Loading the model…", "Generating: 3 of 32 tokens"
    qint64 progressDone() const { return m_done; }
    qint64 progressTotal() const { return m_total; }

Q_SIGNALS:
    void samplingChanged();
    void pictureChanged();         // another file or frame, or its picture decoded
    void transcriptChanged();      // a turn added, replaced or removed; another conversation
    void tokenStreamed(int index); // a token of the answer being generated arrived
    void busyChanged();
    void answerFinished(); // lastRequest() / lastResult() hold a new answer
    void historyChanged();
    void modelRequested(const QString &path); // an opened conversation's model
    void messageChanged();                    // message(), state() or the progress

private:
    void restoreSettings();
    void saveSettings() const;
    bool startAnswer(const QString &prompt, std::vector<ml::ChatTurn> history);
    void loadPicture();
    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void keepTurn(const QString &user, const std::vector<ml::ChatToken> &tokens, const QString &answer,
        const std::string &stopReason);
    void save();
    void showMessage(const QString &text, bool error);
    void setState(const QString &text, qint64 done = 0, qint64 total = 0);

    EngineBridge *m_bridge;
    QString m_model;
    bool m_modelsPending = true;
    ml::SamplingSettings m_sampling;

    QString m_path;
    bool m_isVideo = false;
    double m_videoTime = 0.0;
    QImage m_picture;
    quint64 m_pictureTicket = 0;

    ml::io::Conversation m_conversation;
    std::vector<ml::io::ConversationSummary> m_history;
    quint64 m_historyTicket = 0;

    quint64 m_job = 0;
    ml::ChatRequest m_jobRequest;
    QString m_pendingQuestion;
    std::vector<ml::ChatToken> m_streamed;
    std::optional<ml::ChatRequest> m_lastRequest;
    std::optional<ml::ChatResult> m_lastResult;

    QString m_message;
    bool m_messageIsError = false;
    QString m_state;
    qint64 m_done = 0, m_total = 0;
};
