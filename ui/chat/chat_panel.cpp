// ChatPanel: creates the controllers and the pages and lays them out in the workspace.
#include "chat/chat_panel.h"

#include "chat/chat_controller.h"
#include "chat/chat_grounding_view.h"
#include "chat/chat_settings_page.h"
#include "chat/chat_transcript.h"
#include "chat/chat_view.h"
#include "chat/grounding_controller.h"
#include "common/feature_layout.h"
#include "common/model_picker.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QEvent>
#include <QFileInfo>
#include <QMimeData>
#include <QSplitter>
#include <QVBoxLayout>

ChatPanel::ChatPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_controller(new ChatController(bridge, this))
    , m_grounding(new GroundingController(bridge, m_controller, this))
    , m_layout(new FeatureLayout(this))
    , m_main(new QSplitter(Qt::Horizontal, m_layout))
    , m_view(new ChatView(m_controller, m_main))
    , m_groundingView(new ChatGroundingView(m_grounding, m_main))
    , m_settings(new ChatSettingsPage(bridge, m_controller, m_layout))
{
    setObjectName(QStringLiteral("chat"));
    setAcceptDrops(true);
    m_layout->setObjectName(QStringLiteral("chatLayout"));
    m_main->setObjectName(QStringLiteral("chatMainSplit"));
    m_main->setChildrenCollapsible(false);
    m_main->addWidget(m_view);
    m_main->addWidget(m_groundingView);
    m_main->setSizes({4000, 5000}); // proportions: the map and its settings get the larger part
    m_layout->setMainView(m_main);
    m_layout->setSidePanel(m_settings);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_layout);
    connect(m_view, &ChatView::fileChosen, this, &ChatPanel::showFile);
    ChatTranscript *transcript = m_view->transcript();
    connect(transcript, &ChatTranscript::tokenHovered, m_grounding, &GroundingController::hoverToken);
    connect(transcript, &ChatTranscript::tokenClicked, m_grounding, &GroundingController::selectToken);
    connect(m_settings->modelPicker(), &ModelPicker::currentChanged, this, &ChatPanel::showGrounding);
    connect(m_grounding, &GroundingController::resultChanged, this, &ChatPanel::showGrounding);
    connect(m_grounding, &GroundingController::busyChanged, this, &ChatPanel::showGrounding);
    showGrounding();
    setWindowTitle(tr("Chat"));
}

void ChatPanel::showGrounding()
{
    const auto entry = m_settings->modelPicker()->currentEntry();
    const bool llava = entry && entry->kind == ml::ModelFamily::Llava;
    const bool shown = llava || m_grounding->result() || m_grounding->isBusy();
    m_groundingView->setVisible(shown);
    m_view->setPictureShown(!shown); // the grounding page shows it
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
