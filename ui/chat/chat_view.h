// The Chat feature's main view: the picture being talked about (the gallery's current item, a
// dropped file or one picked here) beside the transcript, whose answer streams in token by token;
// hovering an answer's word shows its probability and the alternatives in a box below it; the
// question line with Send / Stop, Regenerate and Copy.
#pragma once

#include <QWidget>

class ChatController;
class ChatTranscript;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QVBoxLayout;

class ChatView : public QWidget {
    Q_OBJECT
public:
    explicit ChatView(ChatController *controller, QWidget *parent = nullptr);

    QLineEdit *questionEdit() const { return m_question; }
    // The picture's column; hidden while the grounding page beside shows the picture (Pick a
    // Picture then moves under the question).
    void setPictureShown(bool shown);
    ChatTranscript *transcript() const { return m_transcript; }

Q_SIGNALS:
    void fileChosen(const QString &path); // picked with the button

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    QWidget *buildPicture();
    QWidget *buildTalk();
    void retranslate();
    void showPicture();
    void showBusy();
    void showMessage();
    void showTokenInfo(int turn, int token);
    void pickFile();
    void send();

    ChatController *m_controller;
    QWidget *m_pictureBox;
    QVBoxLayout *m_pictureLayout;
    QHBoxLayout *m_actions;
    QLabel *m_title;
    QLabel *m_picture;
    QLabel *m_pictureHint;
    QPushButton *m_pick;
    ChatTranscript *m_transcript;
    QLabel *m_tokenInfo;
    QLabel *m_message;
    QLineEdit *m_question;
    QPushButton *m_send;
    QPushButton *m_stop;
    QPushButton *m_regenerate;
    QPushButton *m_copy;
    QLabel *m_state;
    QProgressBar *m_progress;
};
