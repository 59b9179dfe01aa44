// The curves: one TrainingPlot per quantity, fed by TrainingRuns' points, laid out in one or two
// columns by the page's width.
#include "training/curves_page.h"

#include "common/panel_widgets.h"
#include "training/training_controller.h"
#include "training/training_form.h"
#include "training/training_plot.h"

#include <QCheckBox>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QStyle>
#include <QVBoxLayout>

namespace {

const QString kDirKey = QStringLiteral("training/lastDir");
const QString kLogScaleKey = QStringLiteral("training/logScale");

} // namespace

CurvesPage::CurvesPage(TrainingController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("trainingCurves"));
    m_logScale = new QCheckBox(this);
    m_logScale->setObjectName(QStringLiteral("logScale"));
    m_resetView = new QPushButton(this);
    m_addRun = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), QString(), this);
    m_hint = dimLabel(this);
    m_hint->setWordWrap(false);
    auto *bar = new QHBoxLayout;
    bar->setSpacing(8);
    bar->addWidget(m_logScale);
    bar->addWidget(m_resetView);
    bar->addWidget(m_addRun);
    bar->addWidget(m_hint, 1);

    auto *plots = new QWidget;
    m_grid = new QGridLayout(plots);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(4);
    const char *names[TrainingRuns::PlotCount] = {"lossPlot", "accuracyPlot", "learningRatePlot", "temperaturePlot"};
    for (int i = 0; i < TrainingRuns::PlotCount; ++i) {
        m_plots[i] = new TrainingPlot(static_cast<TrainingPlot::Kind>(i), plots);
        m_plots[i]->setObjectName(QLatin1String(names[i]));
    }
    m_scroll = new QScrollArea(this); // only when the window is very small
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_scroll->setWidget(plots);
    m_scroll->installEventFilter(this);
    layoutPlots();
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(bar);
    layout->addWidget(m_scroll, 1);

    m_logScale->setChecked(QSettings().value(kLogScaleKey, false).toBool());
    m_plots[TrainingRuns::LossPlot]->setLogScale(m_logScale->isChecked());
    connect(
        m_logScale, &QCheckBox::toggled, this, [this](bool on) { m_plots[TrainingRuns::LossPlot]->setLogScale(on); });
    connect(m_resetView, &QPushButton::clicked, this, &CurvesPage::resetViews);
    connect(m_addRun, &QPushButton::clicked, this, &CurvesPage::chooseRunToAdd);

    const TrainingRuns *runs = m_controller->runs();
    connect(runs, &TrainingRuns::runAdded, this, &CurvesPage::onRunAdded);
    connect(runs, &TrainingRuns::runRemoved, this, [this](int, int id) {
        for (TrainingPlot *p : m_plots)
            p->removeRun(id);
        updateVisibility();
    });
    connect(runs, &TrainingRuns::pointsCleared, this, [this](int id) {
        for (TrainingPlot *p : m_plots)
            p->clearRun(id);
    });
    connect(runs, &TrainingRuns::pointsAdded, this, &CurvesPage::onPointsAdded);
    retranslate();
}

CurvesPage::~CurvesPage()
{
    QSettings().setValue(kLogScaleKey, m_logScale->isChecked());
}

void CurvesPage::onRunAdded(int row)
{
    const TrainingRuns::Run *run = m_controller->runs()->at(row);
    for (TrainingPlot *p : m_plots)
        p->setRun(run->id, run->name, run->colour);
}

void CurvesPage::onPointsAdded(int id, const QList<CurvePoint> &points)
{
    for (const CurvePoint &p : points)
        m_plots[p.plot]->addPoint(id, p.series, p.step, p.value);
    updateVisibility();
}

void CurvesPage::chooseRunToAdd()
{
    const QString dir = QFileDialog::getExistingDirectory(
        this, tr("Add a Run"), QSettings().value(kDirKey, TrainingForm::runsRoot()).toString());
    if (dir.isEmpty())
        return;
    QSettings().setValue(kDirKey, QFileInfo(dir).absolutePath());
    m_controller->addRun(dir);
}

void CurvesPage::resetViews()
{
    for (TrainingPlot *p : m_plots)
        p->resetView();
}

void CurvesPage::setShownKind(ml::train::RunKind kind)
{
    m_shownKind = kind;
    m_plots[TrainingRuns::AccuracyPlot]->setVqa(kind == ml::train::RunKind::Blip2 || kind == ml::train::RunKind::Llava);
    updateVisibility();
}

void CurvesPage::updateVisibility()
{
    // DDPM logs neither accuracy nor temperature, LLaVA no temperature: the accuracy plot shows for
    // CLIP, BLIP-2 and LLaVA (VQA accuracy), the temperature for CLIP and BLIP-2 (its contrastive
    // stage), or either while a plotted run has points there.
    const bool accuracy = m_shownKind != ml::train::RunKind::Ddpm;
    const bool temperature = accuracy && m_shownKind != ml::train::RunKind::Llava;
    bool changed = false;
    for (const int which : {TrainingRuns::AccuracyPlot, TrainingRuns::TemperaturePlot}) {
        const bool wanted = which == TrainingRuns::AccuracyPlot ? accuracy : temperature;
        const bool show = wanted || m_plots[which]->visibleGraphCount() > 0;
        if (m_plots[which]->isHidden() == show) {
            m_plots[which]->setVisible(show);
            changed = true;
        }
    }
    if (changed) {
        m_columns = 0;
        layoutPlots();
    }
}

void CurvesPage::layoutPlots()
{
    constexpr int kTwoColumnsFrom = 640; // pixels
    const int columns = m_scroll->width() >= kTwoColumnsFrom ? 2 : 1;
    if (columns == m_columns)
        return;
    m_columns = columns;
    int cell = 0; // the shown plots fill the grid in order, with no gaps for hidden ones
    for (TrainingPlot *p : m_plots) {
        m_grid->removeWidget(p);
        if (p->isHidden())
            continue;
        m_grid->addWidget(p, cell / columns, cell % columns);
        p->setMinimumHeight(columns == 2 ? 150 : 200);
        ++cell;
    }
}

bool CurvesPage::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_scroll && event->type() == QEvent::Resize)
        layoutPlots();
    return QWidget::eventFilter(watched, event);
}

void CurvesPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void CurvesPage::retranslate()
{
    m_logScale->setText(tr("Log-scale loss"));
    m_resetView->setText(tr("Fit view"));
    m_resetView->setToolTip(tr("Show every point again and follow new ones (or double-click a plot)"));
    m_addRun->setText(tr("Add run…"));
    m_addRun->setToolTip(tr("Overlay the curves of another run folder (its metrics.jsonl)"));
    m_hint->setText(tr("Wheel: zoom · drag: pan"));
}
