// QFormerPanel: creates the controller and the two pages and lays them out in the workspace.
#include "qformer/qformer_panel.h"

#include "common/feature_layout.h"
#include "qformer/qformer_controller.h"
#include "qformer/qformer_settings_page.h"
#include "qformer/qformer_view.h"

#include <QEvent>
#include <QVBoxLayout>

QFormerPanel::QFormerPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_controller(new QFormerController(bridge, this))
    , m_layout(new FeatureLayout(this))
    , m_view(new QFormerView(m_controller, m_layout))
    , m_settings(new QFormerSettingsPage(bridge, m_controller, m_layout))
{
    setObjectName(QStringLiteral("qformer"));
    m_layout->setObjectName(QStringLiteral("qformerLayout"));
    m_layout->setMainView(m_view);
    m_layout->setSidePanel(m_settings);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_layout);
    setWindowTitle(tr("Q-Former"));
}

ModelPicker *QFormerPanel::modelPicker() const
{
    return m_settings->modelPicker();
}

void QFormerPanel::showFile(const QString &path)
{
    m_controller->showFile(path);
}

void QFormerPanel::setVideoTime(const QString &path, double timeS)
{
    m_controller->setVideoTime(path, timeS);
}

void QFormerPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        setWindowTitle(tr("Q-Former"));
    QWidget::changeEvent(event);
}

void QFormerPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_controller->setActive(true);
}

void QFormerPanel::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_controller->setActive(false);
}
