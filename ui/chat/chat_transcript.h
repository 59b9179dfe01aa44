// ChatTranscript: the conversation as text, each answer token a link of its own ("tok:turn:index")
// so hovering a word says its probability and the alternatives the model weighed (a tooltip and
// tokenHovered()) and a click names it (tokenClicked(): the grounding page keeps its map);
// unlikely tokens are tinted. Redrawn from the controller, the answer being
// generated included, and kept scrolled to the end while it streams.
#pragma once

#include <QTextBrowser>

class ChatController;

class ChatTranscript : public QTextBrowser {
    Q_OBJECT
public:
    explicit ChatTranscript(ChatController *controller, QWidget *parent = nullptr);

    void rebuild();
    // Where token `token` of turn `turn` is drawn (widget coordinates); null when it is not.
    QRect tokenRect(int turn, int token) const;
    int hoveredTurn() const { return m_turn; }
    int hoveredToken() const { return m_token; }

Q_SIGNALS:
    void tokenHovered(int turn, int token); // -1 -1: none
    void tokenClicked(int turn, int token);

protected:
    void changeEvent(QEvent *event) override;
    void leaveEvent(QEvent *event) override; // no word is hovered any more

private:
    void onHighlighted(const QUrl &url);

    ChatController *m_controller;
    int m_turn = -1, m_token = -1;
};
