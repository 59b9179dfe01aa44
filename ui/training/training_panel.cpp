// TrainingPanel: the shell. It lays the pages out in a FeatureLayout and wires them to the
// controller; everything else lives in the pages and the controller.
#include "training/training_panel.h"

#include "common/feature_layout.h"
#include "engine/engine.h"
#include "training/curves_page.h"
#include "training/run_status_box.h"
#include "training/runs_page.h"
#include "training/samples_page.h"
#include "training/training_controller.h"
#include "training/training_form.h"
#include "training/training_status.h"

#include <QEvent>
#include <QFrame>
#include <QMessageBox>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

TrainingPanel::TrainingPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_controller(new TrainingController(bridge, this))
    , m_layout(new FeatureLayout(this))
{
    setObjectName(QStringLiteral("training"));
    m_layout->setObjectName(QStringLiteral("trainingLayout"));
    m_layout->setMainView(createMainView());
    m_layout->setSidePanel(createSidePanel());
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_layout);
    connectPages();
    retranslate();
    updateShownKind();
    m_status->refresh();
}

QWidget *TrainingPanel::createSidePanel()
{
    auto *side = new QWidget;
    side->setObjectName(QStringLiteral("trainingSide"));
    m_status = new RunStatusBox(m_controller, side);
    m_form = new TrainingForm(side);
    auto *line = new QFrame(side);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);
    auto *layout = new QVBoxLayout(side);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(6);
    layout->addWidget(m_status);
    layout->addWidget(line);
    layout->addWidget(m_form);
    layout->addStretch(1);
    return side;
}

QWidget *TrainingPanel::createMainView()
{
    m_curves = new CurvesPage(m_controller);
    m_samples = new SamplesPage(m_controller);
    m_runs = new RunsPage(m_controller);
    m_views = new QTabWidget;
    m_views->setObjectName(QStringLiteral("trainingViews"));
    m_views->setDocumentMode(true);
    m_views->addTab(m_samples, QString());
    m_views->addTab(m_runs, QString());
    // The curves large on top; the samples (or the runs) below, as tall as two rows of cells.
    m_mainSplit = new QSplitter(Qt::Vertical);
    m_mainSplit->setObjectName(QStringLiteral("trainingMainSplit"));
    m_mainSplit->setChildrenCollapsible(false);
    m_mainSplit->addWidget(m_curves);
    m_mainSplit->addWidget(m_views);
    m_mainSplit->setStretchFactor(0, 3);
    m_mainSplit->setStretchFactor(1, 2);
    auto *view = new QWidget;
    auto *layout = new QVBoxLayout(view);
    layout->setContentsMargins(8, 8, 4, 4);
    layout->addWidget(m_mainSplit);
    return view;
}

void TrainingPanel::connectPages()
{
    connect(m_status, &RunStatusBox::startClicked, this, &TrainingPanel::requestStart);
    connect(m_form, &TrainingForm::messageRequested, m_controller, &TrainingController::showMessage);
    connect(m_form, &TrainingForm::kindChanged, this, &TrainingPanel::updateShownKind);
    connect(m_runs, &RunsPage::addRunRequested, m_curves, &CurvesPage::chooseRunToAdd);
    connect(m_controller, &TrainingController::started, this, [this] {
        m_form->setLocked(true);
        m_views->setCurrentWidget(m_samples);
        updateShownKind();
    });
    connect(m_controller, &TrainingController::finished, this, [this] {
        m_form->runEnded(m_controller->runFolder());
        updateShownKind();
    });
    connect(m_controller, &TrainingController::openInClassifyRequested, this, &TrainingPanel::openInClassifyRequested);
    connect(
        m_controller, &TrainingController::openInDiffusionRequested, this, &TrainingPanel::openInDiffusionRequested);
}

void TrainingPanel::updateShownKind()
{
    const ml::train::RunKind kind = m_controller->isRunning() ? m_controller->jobKind() : m_form->kind();
    m_curves->setShownKind(kind);
    m_samples->setShownKind(kind);
    m_status->setShownKind(kind);
}

quint64 TrainingPanel::start()
{
    return m_controller->start(m_form->values());
}

void TrainingPanel::requestStart()
{
    if (m_longRun)
        return; // already asking
    const double seconds = m_form->estimatedSeconds();
    // A continued run is one the user knows already; start() refuses a second run with a message.
    if (m_controller->isRunning() || m_form->isResume() || seconds < kAskBeforeRunSeconds) {
        start();
        return;
    }
    m_longRun = askBeforeLongRun(this, m_form->preset(), m_form->steps(), seconds, ml::Engine::defaultThreads());
    connect(m_longRun, &QMessageBox::finished, this, [this](int answer) {
        if (answer == QMessageBox::Yes)
            start();
    });
    m_longRun->open();
}

QString TrainingPanel::runsRoot()
{
    return TrainingForm::runsRoot();
}

void TrainingPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void TrainingPanel::retranslate()
{
    setWindowTitle(tr("Training"));
    m_views->setTabText(m_views->indexOf(m_samples), tr("Samples"));
    m_views->setTabText(m_views->indexOf(m_runs), tr("Runs and checkpoints"));
}
