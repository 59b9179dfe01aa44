// ChatView: redrawn from the controller; the buttons and the question line call its actions.
#include "chat/chat_view.h"

#include "chat/chat_controller.h"
#include "chat/chat_transcript.h"
#include "common/panel_widgets.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace {

constexpr int kPictureWidth = 280; // the picture's column

} // namespace

ChatView::ChatView(ChatController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("chatMain"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(buildPicture());
    layout->addWidget(buildTalk(), 1);

    ChatController *c = m_controller;
    connect(c, &ChatController::pictureChanged, this, &ChatView::showPicture);
    connect(c, &ChatController::transcriptChanged, m_transcript, &ChatTranscript::rebuild);
    connect(c, &ChatController::tokenStreamed, m_transcript, &ChatTranscript::rebuild);
    connect(c, &ChatController::busyChanged, this, &ChatView::showBusy);
    connect(c, &ChatController::transcriptChanged, this, &ChatView::showBusy);
    connect(c, &ChatController::messageChanged, this, &ChatView::showMessage);
    connect(m_transcript, &ChatTranscript::tokenHovered, this, &ChatView::showTokenInfo);
    connect(m_send, &QPushButton::clicked, this, &ChatView::send);
    connect(m_question, &QLineEdit::returnPressed, this, &ChatView::send);
    connect(m_stop, &QPushButton::clicked, c, &ChatController::stop);
    connect(m_regenerate, &QPushButton::clicked, c, [c] { c->regenerate(); });
    connect(m_copy, &QPushButton::clicked, this,
        [this] { QApplication::clipboard()->setText(m_controller->transcriptText()); });
    connect(m_pick, &QPushButton::clicked, this, &ChatView::pickFile);
    connect(m_question, &QLineEdit::textChanged, this, &ChatView::showBusy);
    retranslate();
    showBusy();
    showMessage();
}

QWidget *ChatView::buildPicture()
{
    auto *box = new QWidget(this);
    m_pictureBox = box;
    box->setFixedWidth(kPictureWidth);
    m_title = new QLabel(box);
    m_title->setObjectName(QStringLiteral("chatTitle"));
    m_title->setWordWrap(true);
    QFont bold = font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_picture = new QLabel(box);
    m_picture->setObjectName(QStringLiteral("chatPicture"));
    m_picture->setAlignment(Qt::AlignCenter);
    m_picture->setMinimumHeight(160);
    m_picture->setFrameShape(QFrame::StyledPanel);
    m_pictureHint = dimLabel(box);
    m_pick = new QPushButton(style()->standardIcon(QStyle::SP_DialogOpenButton), QString(), box);
    m_pick->setObjectName(QStringLiteral("chatPick"));
    auto *layout = new QVBoxLayout(box);
    m_pictureLayout = layout;
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_picture);
    layout->addWidget(m_pictureHint);
    layout->addWidget(m_pick, 0, Qt::AlignLeft);
    layout->addStretch(1);
    return box;
}

QWidget *ChatView::buildTalk()
{
    auto *box = new QWidget(this);
    m_message = new QLabel(box);
    m_message->setObjectName(QStringLiteral("chatMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    m_transcript = new ChatTranscript(m_controller, box);
    m_transcript->setObjectName(QStringLiteral("chatTranscript"));
    m_tokenInfo = dimLabel(box);
    m_tokenInfo->setObjectName(QStringLiteral("chatTokenInfo"));
    m_tokenInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_tokenInfo->setMinimumHeight(fontMetrics().lineSpacing() * 2);
    m_question = new QLineEdit(box);
    m_question->setObjectName(QStringLiteral("chatQuestion"));
    m_question->setClearButtonEnabled(true);
    m_send = new QPushButton(box);
    m_send->setObjectName(QStringLiteral("chatSend"));
    m_send->setDefault(true);
    m_stop = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), QString(), box);
    m_stop->setObjectName(QStringLiteral("chatStop"));
    m_regenerate = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), QString(), box);
    m_regenerate->setObjectName(QStringLiteral("chatRegenerate"));
    m_copy = new QPushButton(box);
    m_copy->setObjectName(QStringLiteral("chatCopy"));
    m_state = dimLabel(box);
    m_state->setObjectName(QStringLiteral("chatState"));
    m_progress = new QProgressBar(box);
    m_progress->setObjectName(QStringLiteral("chatProgress"));
    m_progress->setMaximumWidth(200);
    m_progress->setTextVisible(false);
    m_progress->hide();

    auto *ask = new QHBoxLayout;
    ask->addWidget(m_question, 1);
    ask->addWidget(m_send);
    ask->addWidget(m_stop);
    auto *actions = new QHBoxLayout;
    m_actions = actions;
    actions->addWidget(m_regenerate);
    actions->addWidget(m_copy);
    actions->addStretch(1);
    actions->addWidget(m_state);
    actions->addWidget(m_progress);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_message);
    layout->addWidget(m_transcript, 1);
    layout->addWidget(m_tokenInfo);
    layout->addLayout(ask);
    layout->addLayout(actions);
    return box;
}

void ChatView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ChatView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    showPicture();
}

void ChatView::retranslate()
{
    m_pick->setText(tr("Pick a Picture…"));
    m_pick->setToolTip(tr("Talk about a file that is not in the gallery"));
    m_pictureHint->setText(tr("The gallery's current item, or a picture dropped here. For a video, the frame the "
                              "preview shows when the conversation starts."));
    m_question->setPlaceholderText(tr("Ask about the picture, e.g. “what color is the circle?”"));
    m_send->setText(tr("Send"));
    m_stop->setText(tr("Stop"));
    m_stop->setToolTip(tr("Stop the answer after the token being written; what came stays"));
    m_regenerate->setText(tr("Regenerate"));
    m_regenerate->setToolTip(tr("Answer the last question again with the sampling settings now in the side panel"));
    m_copy->setText(tr("Copy"));
    m_copy->setToolTip(tr("Copy the conversation as text"));
    showTokenInfo(-1, -1);
    showPicture();
}

void ChatView::showPicture()
{
    const ChatController *c = m_controller;
    m_title->setText(c->title());
    m_title->setToolTip(QDir::toNativeSeparators(c->imagePath()));
    const QImage image = c->picture();
    if (image.isNull()) {
        m_picture->setPixmap(QPixmap());
        m_picture->setText(c->imagePath().isEmpty() ? tr("No picture") : tr("Loading…"));
        return;
    }
    const int side = kPictureWidth;
    m_picture->setPixmap(QPixmap::fromImage(image.scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
}

void ChatView::setPictureShown(bool shown)
{
    if (shown == m_pictureBox->isVisibleTo(this))
        return;
    m_pictureBox->setVisible(shown);
    if (shown)
        m_pictureLayout->insertWidget(3, m_pick, 0, Qt::AlignLeft);
    else
        m_actions->insertWidget(2, m_pick);
}

void ChatView::showBusy()
{
    const ChatController *c = m_controller;
    const bool busy = c->isBusy();
    m_send->setEnabled(!busy && !m_question->text().trimmed().isEmpty());
    m_stop->setEnabled(busy);
    m_regenerate->setEnabled(!busy && !c->conversation().turns.empty());
    m_copy->setEnabled(!c->conversation().turns.empty() || busy);
}

void ChatView::showMessage()
{
    const ChatController *c = m_controller;
    m_message->setText(c->message());
    m_message->setStyleSheet(c->messageIsError() ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!c->message().isEmpty());
    m_state->setText(c->state());
    const bool bar = c->isBusy() && c->progressTotal() > 0;
    m_progress->setVisible(bar);
    if (bar) {
        m_progress->setMaximum(static_cast<int>(std::min<qint64>(c->progressTotal(), 1 << 30)));
        m_progress->setValue(static_cast<int>(std::min<qint64>(c->progressDone(), 1 << 30)));
    }
}

void ChatView::showTokenInfo(int turn, int token)
{
    const QString info = turn >= 0 ? m_controller->tokenInfo(turn, token) : QString();
    m_tokenInfo->setText(info.isEmpty()
            ? tr("Hover a word of an answer for its probability and the words the model weighed.")
            : QString(info)
                  .replace(QStringLiteral(":\n  "), QStringLiteral(": "))
                  .replace(QStringLiteral("\n  "), QStringLiteral(" · "))
                  .replace(QLatin1Char('\n'), QStringLiteral("   ")));
}

void ChatView::pickFile()
{
    const QString file
        = QFileDialog::getOpenFileName(this, tr("Pick a Picture"), dialogFolder(QStandardPaths::PicturesLocation),
            tr("Pictures and videos (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.mp4 *.mkv *.webm *.mov *.avi)"));
    if (!file.isEmpty())
        Q_EMIT fileChosen(file);
}

void ChatView::send()
{
    if (m_controller->send(m_question->text()))
        m_question->clear();
}
