// ChatPanel: creates the controller and the two pages and lays them out in the workspace.
#include "chat/chat_panel.h"

#include "chat/chat_controller.h"
#include "chat/chat_settings_page.h"
#include "chat/chat_view.h"
#include "common/feature_layout.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QEvent>
#include <QFileInfo>
#include <QMimeData>
#include <QVBoxLayout>

ChatPanel::ChatPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_controller(new ChatController(bridge, this))
    , m_layout(new FeatureLayout(this))
    , m_view(new ChatView(m_controller, m_layout))
    , m_settings(new ChatSettingsPage(bridge, m_controller, m_layout))
{
    setObjectName(QStringLiteral("chat"));
    setAcceptDrops(true);
    m_layout->setObjectName(QStringLiteral("chatLayout"));
    m_layout->setMainView(m_view);
    m_layout->setSidePanel(m_settings);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_layout);
    connect(m_view, &ChatView::fileChosen, this, &ChatPanel::showFile);
    setWindowTitle(tr("Chat"));
}

ModelPicker *ChatPanel::modelPicker() const
{
    return m_settings->modelPicker();
}

void ChatPanel::showFile(const QString &path)
{
    m_controller->showFile(path);
}

void ChatPanel::setVideoTime(const QString &path, double timeS)
{
    m_controller->setVideoTime(path, timeS);
}

void ChatPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        setWindowTitle(tr("Chat"));
    QWidget::changeEvent(event);
}

void ChatPanel::dragEnterEvent(QDragEnterEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.first().isLocalFile() && QFileInfo(urls.first().toLocalFile()).isFile())
        event->acceptProposedAction();
}

void ChatPanel::dropEvent(QDropEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    showFile(urls.first().toLocalFile());
}
