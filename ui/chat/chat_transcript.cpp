// ChatTranscript: HTML rebuilt on every change (a conversation is a few hundred tokens at most);
// the hover comes from QTextBrowser's highlighted() on the token links.
#include "chat/chat_transcript.h"

#include "chat/chat_controller.h"

#include <QAbstractTextDocumentLayout>
#include <QEvent>
#include <QScrollBar>
#include <QTextBlock>
#include <QToolTip>

namespace {

constexpr float kUnlikely = 0.5f; // tokens below this probability are tinted

QString escaped(const std::string &text)
{
    return QString::fromStdString(text).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
}

} // namespace

ChatTranscript::ChatTranscript(ChatController *controller, QWidget *parent)
    : QTextBrowser(parent)
    , m_controller(controller)
{
    setOpenLinks(false);
    setOpenExternalLinks(false);
    setMouseTracking(true);
    connect(this, qOverload<const QUrl &>(&QTextBrowser::highlighted), this, &ChatTranscript::onHighlighted);
    connect(this, &QTextBrowser::anchorClicked, this, [this](const QUrl &url) {
        const QStringList parts = url.toString().split(QLatin1Char(':'));
        if (parts.size() == 3 && parts[0] == QLatin1String("tok"))
            Q_EMIT tokenClicked(parts[1].toInt(), parts[2].toInt());
    });
    rebuild();
}

void ChatTranscript::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange || event->type() == QEvent::PaletteChange)
        rebuild();
    QTextBrowser::changeEvent(event);
}

void ChatTranscript::leaveEvent(QEvent *event)
{
    if (m_turn >= 0 || m_token >= 0) {
        m_turn = m_token = -1;
        Q_EMIT tokenHovered(-1, -1);
    }
    QTextBrowser::leaveEvent(event);
}

void ChatTranscript::rebuild()
{
    const QColor text = palette().color(QPalette::Text);
    const QColor dim = palette().color(QPalette::PlaceholderText);
    const QString textName = text.name();
    document()->setDefaultStyleSheet(QStringLiteral("a { color: %1; text-decoration: none; }"
                                                    " .you { color: %2; font-weight: bold; }"
                                                    " .model { color: %2; font-weight: bold; }"
                                                    " .note { color: %2; }")
                                         .arg(textName, dim.name()));
    const auto answer = [](const std::vector<ml::ChatToken> &tokens, int turn) {
        QString html;
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            const ml::ChatToken &t = tokens[i];
            QString piece = escaped(t.text);
            if (piece.isEmpty())
                continue;
            const QString style = t.prob < kUnlikely
                ? QStringLiteral(" style=\"background-color: rgba(240, 160, 40, %1);\"")
                      .arg(static_cast<int>(60 + 120 * (kUnlikely - t.prob) / kUnlikely))
                : QString();
            html += QStringLiteral("<a href=\"tok:%1:%2\"%3>%4</a>").arg(turn).arg(i).arg(style, piece);
        }
        return html;
    };
    QString html;
    const auto &turns = m_controller->conversation().turns;
    const auto addTurn = [&](const QString &user, const QString &model, const QString &note) {
        html += QStringLiteral("<p><span class=\"you\">%1</span> %2</p>").arg(tr("You:"), user.toHtmlEscaped());
        html += QStringLiteral("<p><span class=\"model\">%1</span> %2%3</p>")
                    .arg(tr("Model:"), model,
                        note.isEmpty() ? QString() : QStringLiteral(" <span class=\"note\">%1</span>").arg(note));
    };
    for (std::size_t i = 0; i < turns.size(); ++i) {
        const ml::io::ConversationTurn &t = turns[i];
        const QString body = t.tokens.empty() ? escaped(t.assistant) : answer(t.tokens, static_cast<int>(i));
        QString note;
        if (t.stopReason == "cancelled")
            note = tr("(stopped)");
        else if (t.stopReason == "max-tokens")
            note = tr("(cut at the token limit)");
        addTurn(QString::fromStdString(t.user), body, note);
    }
    if (m_controller->isBusy())
        addTurn(m_controller->pendingQuestion(), answer(m_controller->streamed(), static_cast<int>(turns.size())),
            QStringLiteral("▍"));
    QScrollBar *bar = verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 4;
    setHtml(html);
    if (atEnd || m_controller->isBusy())
        bar->setValue(bar->maximum());
}

void ChatTranscript::onHighlighted(const QUrl &url)
{
    const QStringList parts = url.toString().split(QLatin1Char(':'));
    int turn = -1, token = -1;
    if (parts.size() == 3 && parts[0] == QLatin1String("tok")) {
        turn = parts[1].toInt();
        token = parts[2].toInt();
    }
    if (turn == m_turn && token == m_token)
        return;
    m_turn = turn;
    m_token = token;
    const QString info = turn >= 0 ? m_controller->tokenInfo(turn, token) : QString();
    if (info.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(QCursor::pos(), info, viewport());
    Q_EMIT tokenHovered(turn, token);
}

QRect ChatTranscript::tokenRect(int turn, int token) const
{
    const QString href = QStringLiteral("tok:%1:%2").arg(turn).arg(token);
    for (QTextBlock block = document()->begin(); block.isValid(); block = block.next())
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextFragment f = it.fragment();
            if (!f.isValid() || f.charFormat().anchorHref() != href)
                continue;
            QTextCursor c(document());
            c.setPosition(f.position());
            const QRect start = cursorRect(c);
            c.setPosition(f.position() + f.length());
            const QRect end = cursorRect(c);
            return QRect(start.topLeft(), QPoint(std::max(end.left(), start.left() + 2), start.bottom()));
        }
    return {};
}
