// AttentionPanel: creates the controller and the two pages and lays them out in the workspace.
#include "explain/attention_panel.h"

#include "common/feature_layout.h"
#include "explain/explain_controller.h"
#include "explain/explain_settings_page.h"
#include "explain/explain_view.h"

#include <QEvent>
#include <QVBoxLayout>

AttentionPanel::AttentionPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_controller(new ExplainController(bridge, this))
    , m_layout(new FeatureLayout(this))
    , m_view(new ExplainView(m_controller, m_layout))
    , m_settings(new ExplainSettingsPage(bridge, m_controller, m_layout))
{
    setObjectName(QStringLiteral("attention"));
    m_layout->setObjectName(QStringLiteral("attentionLayout"));
    m_layout->setMainView(m_view);
    m_layout->setSidePanel(m_settings);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_layout);
    connect(m_controller, &ExplainController::mapShown, this, &AttentionPanel::mapShown);
    setWindowTitle(tr("Attention"));
}

ModelPicker *AttentionPanel::modelPicker() const
{
    return m_settings->modelPicker();
}

void AttentionPanel::showFile(const QString &path)
{
    m_controller->showFile(path);
}

void AttentionPanel::setVideoTime(const QString &path, double timeS)
{
    m_controller->setVideoTime(path, timeS);
}

void AttentionPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        setWindowTitle(tr("Attention"));
    QWidget::changeEvent(event);
}

void AttentionPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_controller->setActive(true);
}

void AttentionPanel::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_controller->setActive(false);
}
