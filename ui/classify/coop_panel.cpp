// CoopPanel: builds the side panel and the main view around one CoopController.
#include "classify/coop_panel.h"

#include "classify/coop_controller.h"
#include "classify/coop_result_view.h"
#include "classify/coop_setup_panel.h"
#include "common/feature_layout.h"

#include <QDockWidget>
#include <QEvent>
#include <QVBoxLayout>

CoopPanel::CoopPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_controller(new CoopController(bridge, this))
    , m_layout(new FeatureLayout(this))
{
    setObjectName(QStringLiteral("coop"));
    m_layout->setObjectName(QStringLiteral("coopLayout"));
    m_setup = new CoopSetupPanel(bridge, m_controller, this);
    m_results = new CoopResultView(m_controller, this);
    m_layout->setMainView(m_results);
    m_layout->setSidePanel(m_setup);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_layout);

    connect(m_setup, &CoopSetupPanel::startRequested, this, &CoopPanel::start);
    connect(m_controller, &CoopController::useInClassifyRequested, this, &CoopPanel::useInClassifyRequested);
    setWindowTitle(tr("Prompt Tuning"));
}

quint64 CoopPanel::start()
{
    return m_controller->start(m_setup->form());
}

void CoopPanel::showEvent(QShowEvent *event)
{
    m_setup->fillSampleGalleryIfEmpty();
    QWidget::showEvent(event);
}

bool CoopPanel::event(QEvent *event)
{
    // In a dock tabbed with others the panel stays "visible" under another tab: it is looked at
    // when the dock's tab comes to the front.
    if (event->type() == QEvent::ParentChange) {
        if (auto *dock = qobject_cast<QDockWidget *>(parentWidget()))
            connect(dock, &QDockWidget::visibilityChanged, this, &CoopPanel::onDockShown, Qt::UniqueConnection);
    }
    return QWidget::event(event);
}

void CoopPanel::onDockShown(bool visible)
{
    if (visible)
        m_setup->fillSampleGalleryIfEmpty();
}

void CoopPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        setWindowTitle(tr("Prompt Tuning"));
    QWidget::changeEvent(event);
}
