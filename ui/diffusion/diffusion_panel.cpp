// DiffusionPanel: creates the controller and the two pages and lays them out in the workspace.
#include "diffusion/diffusion_panel.h"

#include "common/feature_layout.h"
#include "diffusion/diffusion_controller.h"
#include "diffusion/diffusion_settings_page.h"
#include "diffusion/diffusion_steps_view.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QEvent>
#include <QFileInfo>
#include <QMimeData>
#include <QVBoxLayout>

DiffusionPanel::DiffusionPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_controller(new DiffusionController(bridge, this))
    , m_layout(new FeatureLayout(this))
    , m_steps(new DiffusionStepsView(m_controller, m_layout))
    , m_settings(new DiffusionSettingsPage(bridge, m_controller, m_layout))
{
    setObjectName(QStringLiteral("diffusion"));
    setAcceptDrops(true);
    m_controller->setGridFont(font());
    m_layout->setObjectName(QStringLiteral("diffusionLayout"));
    m_layout->setMainView(m_steps);
    m_layout->setSidePanel(m_settings);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_layout);
    setWindowTitle(tr("Diffusion"));
}

ModelPicker *DiffusionPanel::modelPicker() const
{
    return m_settings->modelPicker();
}

void DiffusionPanel::showFile(const QString &path)
{
    m_controller->setForwardFile(path);
}

void DiffusionPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        setWindowTitle(tr("Diffusion"));
    QWidget::changeEvent(event);
}

void DiffusionPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_controller->setActive(true); // a hidden panel loads and decodes nothing
}

void DiffusionPanel::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_controller->setActive(false);
}

void DiffusionPanel::dragEnterEvent(QDragEnterEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.first().isLocalFile() && QFileInfo(urls.first().toLocalFile()).isFile())
        event->acceptProposedAction();
}

void DiffusionPanel::dropEvent(QDropEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    showFile(urls.first().toLocalFile());
}
