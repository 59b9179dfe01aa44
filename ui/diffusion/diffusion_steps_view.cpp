// The Diffusion main view: the step's four pictures large, the slider and the trajectory chooser,
// the schedule and the endings below; everything is redrawn from the controller's state.
#include "diffusion/diffusion_steps_view.h"

#include "common/panel_widgets.h"
#include "common/qimage_convert.h"
#include "diffusion/diffusion_controller.h"
#include "diffusion/diffusion_widgets.h"

#include <QComboBox>
#include <QEvent>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QResizeEvent>
#include <QSlider>
#include <QVBoxLayout>

namespace {

constexpr int kBottomHeight = 200; // the schedule plot and the endings
constexpr int kEndingSide = 120;

QImage toImage(const ml::io::RgbImage &rgb)
{
    return rgb.empty() ? QImage() : toQImage(rgb);
}

const QString kNewLine = QStringLiteral("\n");

} // namespace

DiffusionStepsView::DiffusionStepsView(DiffusionController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
{
    setObjectName(QStringLiteral("diffusionSteps"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(6);
    layout->addWidget(buildSteps(), 1);
    layout->addWidget(buildBottom());

    connect(m_controller, &DiffusionController::viewChanged, this, &DiffusionStepsView::refresh);
    connect(m_controller, &DiffusionController::runsChanged, this, &DiffusionStepsView::refreshRuns);
    connect(m_controller, &DiffusionController::messageChanged, this, &DiffusionStepsView::showMessage);
    connect(m_controller, &DiffusionController::opened, this,
        [this] { m_plot->setTables(m_controller->session()->schedule()); });
    connect(m_slider, &QSlider::valueChanged, m_controller, &DiffusionController::setViewStep);
    connect(m_runs, &QComboBox::activated, this, [this](int i) { m_controller->showRun(m_runs->itemData(i).toInt()); });
    connect(m_originalEnding, &DiffusionTile::clicked, this,
        [this] { m_controller->showRun(m_controller->originalEndingRun()); });
    connect(m_branchEnding, &DiffusionTile::clicked, this,
        [this] { m_controller->showRun(m_controller->branchEndingRun()); });
    retranslate();
}

QWidget *DiffusionStepsView::buildSteps()
{
    auto *box = new QWidget(this);
    m_message = new QLabel(box);
    m_message->setObjectName(QStringLiteral("diffusionMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    m_stepLabel = new QLabel(box);
    m_stepLabel->setObjectName(QStringLiteral("diffusionStep"));
    QFont bold = font();
    bold.setBold(true);
    m_stepLabel->setFont(bold);
    m_xt = new DiffusionTile(box);
    m_eps = new DiffusionTile(box);
    m_x0 = new DiffusionTile(box);
    m_forward = new DiffusionTile(box);
    m_xt->setObjectName(QStringLiteral("diffusionSample"));
    m_eps->setObjectName(QStringLiteral("diffusionNoise"));
    m_x0->setObjectName(QStringLiteral("diffusionPrediction"));
    m_forward->setObjectName(QStringLiteral("diffusionForward"));
    for (DiffusionTile *t : {m_xt, m_eps, m_x0, m_forward}) {
        t->setSquare(false);
        t->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }
    m_tiles = new QGridLayout;
    m_tiles->setSpacing(6);
    arrangeTiles(4);
    m_tilesHint = dimLabel(box);
    m_slider = new QSlider(Qt::Horizontal, box);
    m_slider->setObjectName(QStringLiteral("diffusionSlider"));
    m_slider->setRange(0, 0);
    m_slider->setPageStep(10);
    m_runLabel = new QLabel(box);
    m_runs = new QComboBox(box);
    m_runs->setObjectName(QStringLiteral("diffusionRuns"));
    m_runs->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_runs->setMinimumContentsLength(24);
    // The step and the trajectory on one line above the pictures.
    auto *topRow = new QHBoxLayout;
    topRow->addWidget(m_stepLabel, 1);
    topRow->addWidget(m_runLabel);
    topRow->addWidget(m_runs, 1);

    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_message);
    layout->addLayout(topRow);
    layout->addLayout(m_tiles, 1);
    layout->addWidget(m_slider);
    layout->addWidget(m_tilesHint);
    return box;
}

QWidget *DiffusionStepsView::buildBottom()
{
    auto *box = new QWidget(this);
    box->setFixedHeight(kBottomHeight);
    m_scheduleGroup = new QGroupBox(box);
    m_plot = new SchedulePlot(m_scheduleGroup);
    m_plot->setObjectName(QStringLiteral("diffusionPlot"));
    m_plot->setMinimumHeight(120); // below the pictures, in the box's fixed height
    auto *scheduleLayout = new QVBoxLayout(m_scheduleGroup);
    scheduleLayout->setContentsMargins(4, 4, 4, 4);
    scheduleLayout->addWidget(m_plot);

    m_endingsGroup = new QGroupBox(box);
    m_endingsGroup->setObjectName(QStringLiteral("diffusionEndings"));
    m_originalEnding = new DiffusionTile(m_endingsGroup);
    m_branchEnding = new DiffusionTile(m_endingsGroup);
    m_originalEnding->setObjectName(QStringLiteral("diffusionOriginalEnding"));
    m_branchEnding->setObjectName(QStringLiteral("diffusionBranchEnding"));
    for (DiffusionTile *t : {m_originalEnding, m_branchEnding})
        t->setFixedImageSide(kEndingSide);
    auto *endings = new QHBoxLayout(m_endingsGroup);
    endings->setContentsMargins(4, 4, 4, 4);
    endings->addWidget(m_originalEnding);
    endings->addWidget(m_branchEnding);
    m_endingsGroup->hide();

    auto *layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_scheduleGroup, 1);
    layout->addWidget(m_endingsGroup);
    return box;
}

void DiffusionStepsView::arrangeTiles(int columns)
{
    if (columns == m_tileColumns)
        return;
    m_tileColumns = columns;
    DiffusionTile *const order[] = {m_xt, m_eps, m_x0, m_forward};
    for (DiffusionTile *t : order)
        m_tiles->removeWidget(t);
    for (int i = 0; i < 4; ++i)
        m_tiles->addWidget(order[i], i / columns, i % columns);
    for (int c = 0; c < 4; ++c)
        m_tiles->setColumnStretch(c, c < columns ? 1 : 0);
}

void DiffusionStepsView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // Four in a row while each gets ~140 px; two by two when narrow.
    arrangeTiles(width() >= 600 ? 4 : 2);
}

void DiffusionStepsView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void DiffusionStepsView::retranslate()
{
    m_slider->setToolTip(tr("Every computed step of the shown run"));
    m_runLabel->setText(tr("Trajectory:"));
    m_xt->setPlaceholder(tr("Press Run"));
    m_eps->setPlaceholder(tr("not computed yet"));
    m_x0->setPlaceholder(tr("not computed yet"));
    m_forward->setPlaceholder(tr("Select an image in the gallery or drop one here"));
    m_tilesHint->setText(
        tr("x_t and the predicted x₀ are shown from −1 to 1, ε̂ from −%1 to %1; pictures are enlarged without "
           "smoothing.")
            .arg(ml::kEpsRange));
    m_scheduleGroup->setTitle(tr("Noise schedule"));
    m_endingsGroup->setTitle(tr("Endings (click one to show its trajectory)"));
    m_originalEnding->setPlaceholder(tr("not finished"));
    m_branchEnding->setPlaceholder(tr("not finished"));
    m_plot->retranslate();
    refreshRuns();
    refresh();
}

void DiffusionStepsView::refresh()
{
    const DiffusionController *c = m_controller;
    {
        const QSignalBlocker block(m_slider);
        m_slider->setRange(c->minView(), c->maxView());
        m_slider->setValue(c->viewStep());
    }
    m_slider->setEnabled(c->currentRun() >= 0);
    showRunTiles();
    showForward();
    showEndings();
    if (const auto info = c->session()->run(c->currentRun()); info && m_runs->findData(c->currentRun()) >= 0)
        m_runs->setItemText(m_runs->findData(c->currentRun()), runText(*info));
    Q_EMIT stepShown();
}

void DiffusionStepsView::showRunTiles()
{
    const DiffusionController *c = m_controller;
    const auto session = c->session();
    const int run = c->currentRun(), view = c->viewStep();
    const auto info = run >= 0 ? session->run(run) : std::nullopt;
    const int total = static_cast<int>(c->timesteps().size());
    if (!info) {
        for (DiffusionTile *t : {m_xt, m_eps, m_x0})
            t->setImage({});
        m_xt->setTitle(tr("noisy sample x_t"));
        m_eps->setTitle(tr("predicted noise ε̂"));
        m_x0->setTitle(tr("predicted clean x₀"));
        m_stepLabel->setText(c->isOpenConfigured() ? tr("%n steps, none computed yet", nullptr, total) : QString());
        m_plot->setCursorTimestep(-1);
        return;
    }
    const bool result = view >= info->stepsDone;
    const bool finalView = result && info->finished;
    const std::int64_t t = c->shownTimestep();
    // The result shows the last step's ε̂ and x̂0 beside it (the x̂0 the result came from).
    const auto p = session->previews(run, finalView ? view - 1 : view);
    if (result) {
        m_xt->setImage(toImage(session->currentPreview(run)));
        m_eps->setImage(finalView && p ? toImage(p->modelOutput) : QImage());
        m_x0->setImage(finalView && p ? toImage(p->predOriginal) : QImage());
    } else if (p) {
        m_xt->setImage(toImage(p->sample));
        m_eps->setImage(toImage(p->modelOutput));
        m_x0->setImage(toImage(p->predOriginal));
    }
    const QString at = t >= 0 ? tr("t = %1").arg(t) : tr("last step, t = %1").arg(p ? p->timestep : std::int64_t(0));
    m_xt->setTitle(finalView ? tr("the sample x₀") + kNewLine + tr("after the last step")
                             : tr("noisy sample x_t") + kNewLine + at);
    m_eps->setTitle(tr("predicted noise ε̂") + kNewLine + at);
    m_x0->setTitle(tr("predicted clean x₀") + kNewLine + at);
    m_stepLabel->setText(finalView ? tr("Result after %n steps", nullptr, total)
                                   : tr("Step %1 of %2 · t = %3").arg(view + 1).arg(total).arg(t));
    m_plot->setCursorTimestep(t >= 0 ? static_cast<double>(t) : -1.0);
}

void DiffusionStepsView::showForward()
{
    const DiffusionController *c = m_controller;
    const auto session = c->session();
    const int ft = c->shownTimestep();
    if (c->isForwardReady() && session->hasForwardImage()) {
        if (ft >= 0) {
            m_forward->setImage(toImage(session->forwardPreview(ft)));
            m_forward->setTitle(tr("forward x_t of %1").arg(c->forwardName()) + kNewLine + tr("t = %1").arg(ft));
        } else {
            m_forward->setImage(toImage(ml::toRgbPreview(session->forwardOriginal())));
            m_forward->setTitle(tr("%1, as the model sees it").arg(c->forwardName()) + kNewLine + tr("x₀"));
        }
        return;
    }
    m_forward->setImage({});
    m_forward->setTitle(tr("forward process x_t") + kNewLine
        + (c->isForwardBusy() ? tr("preparing…") : (ft >= 0 ? tr("t = %1").arg(ft) : QString())));
}

void DiffusionStepsView::showEndings()
{
    const DiffusionController *c = m_controller;
    const int original = c->originalEndingRun(), branch = c->branchEndingRun();
    m_endingsGroup->setVisible(original >= 0 && branch >= 0);
    if (original < 0 || branch < 0)
        return;
    const auto session = c->session();
    const auto orig = session->run(original), br = session->run(branch);
    m_originalEnding->setImage(orig && orig->finished ? toImage(session->currentPreview(original)) : QImage());
    m_branchEnding->setImage(br && br->finished ? toImage(session->currentPreview(branch)) : QImage());
    m_originalEnding->setTitle(
        tr("original ending") + kNewLine + tr("run %1, seed %2").arg(original).arg(orig ? orig->seed : 0));
    m_branchEnding->setTitle(tr("branch ending") + kNewLine
        + tr("run %1, seed %2 from step %3").arg(branch).arg(br ? br->seed : 0).arg(br ? br->firstStep + 1 : 0));
    m_originalEnding->setHighlighted(c->currentRun() == original);
    m_branchEnding->setHighlighted(c->currentRun() == branch);
}

QString DiffusionStepsView::runText(const ml::DenoiseRunInfo &r) const
{
    QString label = m_controller->runLabel(r);
    if (!r.finished)
        label += tr(" (at step %1)").arg(r.stepsDone);
    if (!r.hasTensors)
        label += tr(" · previews only");
    return label;
}

void DiffusionStepsView::refreshRuns()
{
    const QSignalBlocker block(m_runs);
    m_runs->clear();
    for (const ml::DenoiseRunInfo &r : m_controller->session()->runs())
        m_runs->addItem(runText(r), r.id);
    m_runs->setCurrentIndex(m_runs->findData(m_controller->currentRun()));
    m_runs->setEnabled(m_runs->count() > 1);
}

void DiffusionStepsView::showMessage()
{
    const QString text = m_controller->message();
    const bool error = m_controller->messageIsError();
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!text.isEmpty());
}
