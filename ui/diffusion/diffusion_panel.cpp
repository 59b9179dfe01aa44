// DiffusionPanel: the form opens a DenoiseSession configuration (a job, debounced); Run / Step /
// Branch / Reconstruct submit one job each that may open the form first, creates its run and steps
// it, streaming each step's previews; the view reads stored steps from the session.
#include "diffusion/diffusion_panel.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "common/qimage_convert.h"
#include "diffusion/diffusion_widgets.h"

#include "common/error.h"
#include "io/animation_export.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QMimeData>
#include <QPainter>
#include <QPointer>
#include <QPushButton>
#include <QRandomGenerator>
#include <QResizeEvent>
#include <QScrollArea>
#include <QSettings>
#include <QShowEvent>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStyle>
#include <QThreadPool>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace {

const QString kModelKey = QStringLiteral("diffusion/model");
const QString kSchedulerKey = QStringLiteral("diffusion/scheduler");
const QString kStepsKey = QStringLiteral("diffusion/steps");
const QString kEtaKey = QStringLiteral("diffusion/eta");
const QString kSeedKey = QStringLiteral("diffusion/seed");
constexpr const char *kStepKind = "denoise-session-step";
constexpr const char *kOpenKind = "denoise-session-open";
constexpr const char *kRunKind = "denoise-session-run";
constexpr int kReopenDelayMs = 250;
constexpr int kViewIntervalMs = 33;
constexpr int kDefaultDdpmSteps = 1000; // the model's own chain: see the panel's defaults note
constexpr int kDefaultDdimSteps = 50;
constexpr int kMaxAnimationFrames = 150;
constexpr double kAnimationFps = 15.0;
constexpr int kGridColumns = 10;
constexpr int kGridCell = 96;

QImage toImage(const ml::io::RgbImage &rgb)
{
    if (rgb.empty())
        return {};
    return toQImage(rgb);
}

// The run that a job makes: its id, from the job to the GUI before the first step.
struct RunStarted {
    int id = -1;
};

} // namespace

DiffusionPanel::DiffusionPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_session(std::make_shared<ml::DenoiseSession>())
    , m_message(new QLabel(this))
    , m_reopenTimer(new QTimer(this))
    , m_viewTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("diffusion"));
    Q_ASSERT(m_bridge);
    setAcceptDrops(true);
    m_reopenTimer->setSingleShot(true);
    m_reopenTimer->setInterval(kReopenDelayMs);
    m_viewTimer->setSingleShot(true);
    m_viewTimer->setInterval(kViewIntervalMs);

    auto *page = new QWidget;
    auto *scroll = verticalScrollArea(page, this);

    m_message->setObjectName(QStringLiteral("diffusionMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();

    // The model.
    m_modelLabel = new QLabel(page);
    m_picker = new ModelPicker(m_bridge, QStringLiteral("unet2d"), kModelKey, page);
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    m_openFolder = new QPushButton(page);
    auto *modelRow = new QHBoxLayout;
    modelRow->addWidget(m_modelLabel);
    modelRow->addWidget(m_picker, 1);
    modelRow->addWidget(m_openFolder);

    // The sampler.
    m_samplerGroup = new QGroupBox(page);
    m_scheduler = new QComboBox(m_samplerGroup);
    m_scheduler->addItems({QStringLiteral("DDPM"), QStringLiteral("DDIM")});
    m_steps = new QSpinBox(m_samplerGroup);
    m_steps->setRange(1, 1000);
    m_eta = new QDoubleSpinBox(m_samplerGroup);
    m_eta->setRange(0.0, 1.0);
    m_eta->setSingleStep(0.1);
    m_eta->setDecimals(2);
    m_seed = new QSpinBox(m_samplerGroup);
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_newSeed = new QToolButton(m_samplerGroup);
    auto *seedBox = new QWidget(m_samplerGroup);
    auto *seedRow = new QHBoxLayout(seedBox);
    seedRow->setContentsMargins(0, 0, 0, 0);
    seedRow->addWidget(m_seed, 1);
    seedRow->addWidget(m_newSeed);
    // Two columns: the four settings fit in two rows, leaving the height to the pictures.
    auto *samplerGrid = new QGridLayout(m_samplerGroup);
    m_schedulerLabel = new QLabel(m_samplerGroup);
    m_stepsLabel = new QLabel(m_samplerGroup);
    m_etaLabel = new QLabel(m_samplerGroup);
    m_seedLabel = new QLabel(m_samplerGroup);
    samplerGrid->addWidget(m_schedulerLabel, 0, 0);
    samplerGrid->addWidget(m_scheduler, 0, 1);
    samplerGrid->addWidget(m_stepsLabel, 0, 2);
    samplerGrid->addWidget(m_steps, 0, 3);
    samplerGrid->addWidget(m_etaLabel, 1, 0);
    samplerGrid->addWidget(m_eta, 1, 1);
    samplerGrid->addWidget(m_seedLabel, 1, 2);
    samplerGrid->addWidget(seedBox, 1, 3);
    samplerGrid->setColumnStretch(1, 1);
    samplerGrid->setColumnStretch(3, 1);

    // Transport: run / pause, step back / forward, the slider.
    m_runButton = new QPushButton(page);
    m_runButton->setObjectName(QStringLiteral("diffusionRun"));
    m_back = new QToolButton(page);
    m_back->setArrowType(Qt::LeftArrow);
    m_forwardButton = new QToolButton(page);
    m_forwardButton->setArrowType(Qt::RightArrow);
    m_slider = new QSlider(Qt::Horizontal, page);
    m_slider->setObjectName(QStringLiteral("diffusionSlider"));
    m_slider->setRange(0, 0);
    m_slider->setPageStep(10);
    auto *transport = new QHBoxLayout;
    transport->addWidget(m_runButton);
    transport->addWidget(m_back);
    transport->addWidget(m_slider, 1);
    transport->addWidget(m_forwardButton);
    m_stepLabel = new QLabel(page);
    m_stepLabel->setObjectName(QStringLiteral("diffusionStep"));
    QFont bold = font();
    bold.setBold(true);
    m_stepLabel->setFont(bold);
    m_runLabel = new QLabel(page);
    m_runs = new QComboBox(page);
    m_runs->setObjectName(QStringLiteral("diffusionRuns"));
    m_runs->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_runs->setMinimumContentsLength(16);
    auto *runRow = new QHBoxLayout;
    runRow->addWidget(m_runLabel);
    runRow->addWidget(m_runs, 1);

    // The four pictures of the shown step.
    m_xt = new DiffusionTile(page);
    m_eps = new DiffusionTile(page);
    m_x0 = new DiffusionTile(page);
    m_forward = new DiffusionTile(page);
    m_xt->setObjectName(QStringLiteral("diffusionSample"));
    m_eps->setObjectName(QStringLiteral("diffusionNoise"));
    m_x0->setObjectName(QStringLiteral("diffusionPrediction"));
    m_forward->setObjectName(QStringLiteral("diffusionForward"));
    m_tiles = new QGridLayout;
    m_tiles->setSpacing(6);
    arrangeTiles(4);
    m_tilesHint = dimLabel(page);

    // Branching: a new seed from the shown step; both endings.
    m_branchGroup = new QGroupBox(page);
    m_branchSeedLabel = new QLabel(m_branchGroup);
    m_branchSeed = new QSpinBox(m_branchGroup);
    m_branchSeed->setRange(0, std::numeric_limits<int>::max());
    m_branchButton = new QPushButton(m_branchGroup);
    m_branchButton->setObjectName(QStringLiteral("diffusionBranch"));
    auto *branchRow = new QHBoxLayout;
    branchRow->addWidget(m_branchSeedLabel);
    branchRow->addWidget(m_branchSeed, 1);
    branchRow->addWidget(m_branchButton);
    m_endingsGroup = new QGroupBox(m_branchGroup);
    m_originalEnding = new DiffusionTile(m_endingsGroup);
    m_branchEnding = new DiffusionTile(m_endingsGroup);
    // Fixed sizes: a height-for-width tile in a group box is squeezed inside the scroll area.
    for (DiffusionTile *t : {m_originalEnding, m_branchEnding})
        t->setFixedImageSide(180);
    auto *endings = new QHBoxLayout(m_endingsGroup);
    endings->addWidget(m_originalEnding);
    endings->addWidget(m_branchEnding);
    endings->addStretch(1);
    auto *branchLayout = new QVBoxLayout(m_branchGroup);
    branchLayout->addLayout(branchRow);
    branchLayout->addWidget(m_endingsGroup);

    // The forward process.
    m_forwardGroup = new QGroupBox(page);
    m_forwardHint = dimLabel(m_forwardGroup);
    m_chooseImage = new QPushButton(m_forwardGroup);
    m_reconstruct = new QPushButton(m_forwardGroup);
    m_reconstruct->setObjectName(QStringLiteral("diffusionReconstruct"));
    auto *forwardRow = new QHBoxLayout;
    forwardRow->addWidget(m_chooseImage);
    forwardRow->addWidget(m_reconstruct);
    forwardRow->addStretch(1);
    auto *forwardLayout = new QVBoxLayout(m_forwardGroup);
    forwardLayout->addWidget(m_forwardHint);
    forwardLayout->addLayout(forwardRow);

    // The schedule.
    m_scheduleGroup = new QGroupBox(page);
    m_plot = new SchedulePlot(m_scheduleGroup);
    m_plot->setObjectName(QStringLiteral("diffusionPlot"));
    auto *scheduleLayout = new QVBoxLayout(m_scheduleGroup);
    scheduleLayout->addWidget(m_plot);

    m_exportVideo = new QPushButton(page);
    m_exportGrid = new QPushButton(page);
    auto *exportRow = new QHBoxLayout;
    exportRow->addWidget(m_exportVideo);
    exportRow->addWidget(m_exportGrid);
    exportRow->addStretch(1);

    m_info = dimLabel(page);
    m_info->setObjectName(QStringLiteral("diffusionInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status = new QLabel(page);
    m_status->setObjectName(QStringLiteral("diffusionStatus"));
    m_status->setWordWrap(true);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(6);
    layout->addLayout(modelRow);
    layout->addWidget(m_message);
    layout->addWidget(m_samplerGroup);
    layout->addLayout(transport);
    layout->addWidget(m_stepLabel);
    layout->addLayout(m_tiles);
    layout->addWidget(m_tilesHint);
    layout->addWidget(m_status);
    layout->addWidget(m_scheduleGroup);
    layout->addLayout(runRow);
    layout->addWidget(m_branchGroup);
    layout->addWidget(m_forwardGroup);
    layout->addLayout(exportRow);
    layout->addWidget(m_info);
    layout->addStretch(1);

    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    connect(m_reopenTimer, &QTimer::timeout, this, &DiffusionPanel::reopen);
    connect(m_viewTimer, &QTimer::timeout, this, &DiffusionPanel::refreshView);
    connect(m_picker, &ModelPicker::currentChanged, this, &DiffusionPanel::scheduleReopen);
    connect(m_picker, &ModelPicker::refreshed, this, [this] {
        // No choice remembered yet: the embedded ddpm-mini (the picker alone takes the first).
        if (QSettings().contains(kModelKey))
            return;
        for (const ml::ModelEntry &e : m_picker->entries())
            if (e.source == "embedded" && e.name == "ddpm-mini") {
                m_picker->selectPath(QString::fromStdString(e.path));
                break;
            }
    });
    connect(m_openFolder, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Diffusers Checkpoint"));
        if (dir.isEmpty())
            return;
        const QString clean = QDir::cleanPath(QDir(dir).absolutePath());
        connect(
            m_picker, &ModelPicker::refreshed, this,
            [this, clean] {
                if (!m_picker->selectPath(clean))
                    showMessage(tr("%1 is not a diffusers UNet2DModel checkpoint (config.json and "
                                   "diffusion_pytorch_model.safetensors, or a pipeline with unet/).")
                                    .arg(QDir::toNativeSeparators(clean)),
                        true);
            },
            Qt::SingleShotConnection);
        m_picker->addFolder(clean);
    });
    connect(m_scheduler, &QComboBox::currentIndexChanged, this, [this](int i) {
        const QSignalBlocker block(m_steps);
        m_steps->setValue(i == DdpmScheduler ? kDefaultDdpmSteps : kDefaultDdimSteps);
        if (i == DdpmScheduler)
            m_eta->setValue(0.0);
        updateControls();
        scheduleReopen();
    });
    connect(m_steps, &QSpinBox::valueChanged, this, &DiffusionPanel::scheduleReopen);
    connect(m_eta, &QDoubleSpinBox::valueChanged, this, &DiffusionPanel::scheduleReopen);
    connect(m_seed, &QSpinBox::valueChanged, this, [this](int s) {
        m_branchSeed->setValue(s + 1 <= m_branchSeed->maximum() ? s + 1 : 0);
        if (!m_forwardPath.isEmpty())
            submitForward(); // the forward process's noise is the seed's x_T
        updateControls();
    });
    connect(m_newSeed, &QToolButton::clicked, this,
        [this] { m_seed->setValue(static_cast<int>(QRandomGenerator::global()->bounded(1000000))); });
    connect(m_runButton, &QPushButton::clicked, this, [this] {
        if (m_runJob)
            pause();
        else
            run();
    });
    connect(m_back, &QToolButton::clicked, this, &DiffusionPanel::stepBack);
    connect(m_forwardButton, &QToolButton::clicked, this, &DiffusionPanel::stepForward);
    connect(m_slider, &QSlider::valueChanged, this, &DiffusionPanel::setViewStep);
    connect(m_runs, &QComboBox::activated, this, [this](int i) { showRun(m_runs->itemData(i).toInt()); });
    connect(m_branchButton, &QPushButton::clicked, this, &DiffusionPanel::branchFromHere);
    connect(m_originalEnding, &DiffusionTile::clicked, this, [this] { showRun(m_originalRun); });
    connect(m_branchEnding, &DiffusionTile::clicked, this, [this] { showRun(m_branchRun); });
    connect(m_chooseImage, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Choose an Image to Noise"),
            dialogFolder(QStandardPaths::PicturesLocation),
            tr("Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"));
        if (!file.isEmpty())
            showFile(file);
    });
    connect(m_reconstruct, &QPushButton::clicked, this, &DiffusionPanel::reconstructFromHere);
    connect(m_exportVideo, &QPushButton::clicked, this, &DiffusionPanel::exportAnimationDialog);
    connect(m_exportGrid, &QPushButton::clicked, this, &DiffusionPanel::exportGridDialog);
    connect(m_bridge, &EngineBridge::partial, this, &DiffusionPanel::onPartial);
    connect(m_bridge, &EngineBridge::progress, this, &DiffusionPanel::onProgress);
    connect(m_bridge, &EngineBridge::finished, this, &DiffusionPanel::onFinished);

    restoreSettings();
    retranslate();
    updateControls();
}

DiffusionPanel::~DiffusionPanel()
{
    // No cancel here: the bridge may be gone already (MainWindow's children go in creation
    // order); its engine cancels every job when it goes, and the jobs own the session.
    saveSettings();
}

void DiffusionPanel::retranslate()
{
    setWindowTitle(tr("Diffusion"));
    m_modelLabel->setText(tr("Model:"));
    m_openFolder->setText(tr("Open Folder…"));
    m_openFolder->setToolTip(tr("A diffusers UNet2DModel checkpoint (flat, or a pipeline with unet/ and scheduler/)"));
    m_samplerGroup->setTitle(tr("Sampler"));
    m_schedulerLabel->setText(tr("Scheduler:"));
    m_stepsLabel->setText(tr("Steps:"));
    m_etaLabel->setText(tr("Eta:"));
    m_eta->setToolTip(tr("DDIM's eta: 0 is deterministic, 1 adds as much noise per step as DDPM"));
    m_seedLabel->setText(tr("Seed:"));
    m_newSeed->setText(tr("New"));
    m_newSeed->setToolTip(tr("A random seed"));
    m_back->setToolTip(tr("Step back (shows the stored step, computes nothing)"));
    m_forwardButton->setToolTip(tr("Step forward (computes one more step at the last)"));
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
    m_branchGroup->setTitle(tr("Branch"));
    m_branchSeedLabel->setText(tr("Branch seed:"));
    m_branchButton->setText(tr("Branch from Here"));
    m_branchButton->setToolTip(
        tr("Run again from the shown step with the branch seed's noise; the original run is kept"));
    m_endingsGroup->setTitle(tr("Endings (click one to show its trajectory)"));
    m_originalEnding->setTitle(tr("original ending"));
    m_branchEnding->setTitle(tr("branch ending"));
    m_forwardGroup->setTitle(tr("Forward process"));
    m_chooseImage->setText(tr("Choose Image…"));
    m_reconstruct->setText(tr("Reconstruct from Here"));
    m_reconstruct->setToolTip(tr("Let the model denoise the image's x_t from the shown step to the end"));
    m_scheduleGroup->setTitle(tr("Noise schedule"));
    m_exportVideo->setText(tr("Export Video…"));
    m_exportVideo->setToolTip(tr("The shown trajectory (x_t and the predicted x₀ side by side) as MP4 or GIF"));
    m_exportGrid->setText(tr("Export Grid…"));
    m_exportGrid->setToolTip(tr("x_t and the predicted x₀ at up to 10 steps with their t, as PNG"));
    m_plot->retranslate();
    updateControls();
    refreshRuns();
    refreshView();
    updateInfo();
}

void DiffusionPanel::arrangeTiles(int columns)
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

void DiffusionPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // Four in a row while each gets ~140 px; two by two in a narrow dock.
    arrangeTiles(width() >= 600 ? 4 : 2);
}

void DiffusionPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void DiffusionPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // A hidden panel loads nothing and decodes nothing: what changed meanwhile is done now.
    if (!formIsOpen() && !m_openJob)
        scheduleReopen();
    else if (!m_forwardPath.isEmpty() && !m_forwardReady && !m_forwardBusy)
        submitForward();
}

void DiffusionPanel::restoreSettings()
{
    const QSettings s;
    const QSignalBlocker b1(m_scheduler), b2(m_steps), b3(m_eta), b4(m_seed);
    // DDPM over the model's 1000 steps: a few ms a step on ddpm-mini, so the sample forms over
    // a few seconds, every step of the chain it was trained on (see the report's note).
    m_scheduler->setCurrentIndex(std::clamp(s.value(kSchedulerKey, DdpmScheduler).toInt(), 0, 1));
    m_steps->setValue(
        s.value(kStepsKey, m_scheduler->currentIndex() == DdpmScheduler ? kDefaultDdpmSteps : kDefaultDdimSteps)
            .toInt());
    m_eta->setValue(s.value(kEtaKey, 0.0).toDouble());
    m_seed->setValue(s.value(kSeedKey, 0).toInt());
    m_branchSeed->setValue(m_seed->value() + 1);
}

void DiffusionPanel::saveSettings() const
{
    QSettings s;
    s.setValue(kSchedulerKey, m_scheduler->currentIndex());
    s.setValue(kStepsKey, m_steps->value());
    s.setValue(kEtaKey, m_eta->value());
    s.setValue(kSeedKey, m_seed->value());
}

// --- the configuration ---------------------------------------------------------------------

ml::DenoiseSessionConfig DiffusionPanel::config() const
{
    ml::DenoiseSessionConfig c;
    c.model = m_picker->currentPath().toStdString();
    c.scheduler = m_scheduler->currentIndex() == DdimScheduler ? "ddim" : "ddpm";
    c.steps = m_steps->value();
    c.eta = m_scheduler->currentIndex() == DdimScheduler ? m_eta->value() : 0.0;
    return c;
}

QString DiffusionPanel::configKey() const
{
    const auto c = config();
    if (c.model.empty())
        return {};
    return QStringLiteral("%1|%2|%3|%4")
        .arg(QString::fromStdString(c.model), QString::fromStdString(c.scheduler))
        .arg(c.steps)
        .arg(c.eta, 0, 'g', 6);
}

void DiffusionPanel::scheduleReopen()
{
    if (m_messageIsError)
        showMessage(QString(), false);
    m_reopenTimer->start();
    updateControls();
}

void DiffusionPanel::reopen()
{
    m_reopenTimer->stop();
    if (!isVisible())
        return; // showEvent() opens the form when the panel is shown
    const QString key = configKey();
    if (key.isEmpty()) {
        showMessage(m_picker->isRefreshing() ? tr("The model list is still being searched…")
                                             : tr("Choose a diffusion model (a diffusers UNet2DModel)."),
            !m_picker->isRefreshing());
        return;
    }
    if (key == m_openKey || m_runJob)
        return; // open, or the run job opens the form itself when it starts
    if (m_openJob)
        m_bridge->cancel(m_openJob);
    m_pendingOpenKey = key;
    ml::Job open = ml::makeDenoiseOpenJob(m_session, config());
    open.name = tr("Opening the diffusion model").toStdString();
    m_openJob = m_bridge->submit(std::move(open));
    m_status->setText(tr("Loading the model…"));
}

void DiffusionPanel::setOpened(const ml::DenoiseSessionInfo &info)
{
    m_sessionInfo = info;
    m_openKey = m_pendingOpenKey; // the form as it was when the job was submitted
    m_timesteps = m_session->timesteps();
    m_run = -1;
    m_view = 0;
    m_follow = true;
    m_msPerStep = 0.0;
    m_plot->setTables(m_session->schedule());
    m_steps->setMaximum(static_cast<int>(std::max<std::int64_t>(1, info.trainTimesteps)));
    showMessage(info.warnings.empty() ? QString()
                                      : QString::fromStdString(info.warnings.front())
                + (info.warnings.size() > 1 ? tr(" (and %n more)", nullptr, static_cast<int>(info.warnings.size()) - 1)
                                            : QString()),
        false);
    if (!m_forwardPath.isEmpty())
        submitForward();
    refreshRuns();
    refreshView();
    updateInfo();
    updateControls();
    Q_EMIT opened();
}

// --- jobs ----------------------------------------------------------------------------------

void DiffusionPanel::submitRun(RunKind kind, int count, int index)
{
    const QString key = configKey();
    if (key.isEmpty()) {
        showMessage(tr("Choose a diffusion model (a diffusers UNet2DModel)."), true);
        return;
    }
    if (m_runJob)
        return;
    const bool needOpen = key != m_openKey;
    if (needOpen && kind != RunKind::New) {
        kind = RunKind::New; // the form changed: the old runs go with the old configuration
        index = 0;
    }
    if (m_openJob && needOpen) {
        m_bridge->cancel(m_openJob);
        m_openJob = 0;
    }
    m_reopenTimer->stop();
    if (needOpen)
        m_pendingOpenKey = key;
    const std::uint64_t seed
        = static_cast<std::uint64_t>(kind == RunKind::Branch ? m_branchSeed->value() : m_seed->value());
    const int from = m_run;
    ml::Job job;
    job.name = (kind == RunKind::Branch    ? tr("Denoising a branch")
            : kind == RunKind::Reconstruct ? tr("Reconstructing the image")
                                           : tr("Denoising"))
                   .toStdString();
    job.lane = ml::Lane::Inference;
    job.run = [session = m_session, cfg = needOpen ? std::optional(config()) : std::nullopt, kind, count, index, seed,
                  from](ml::JobContext &ctx) -> std::any {
        if (cfg) {
            ctx.report(0, 0, "loading model");
            ctx.partial(kOpenKind, session->open(*cfg));
        }
        int id = from;
        switch (kind) {
        case RunKind::New:
            id = session->newRun(seed);
            break;
        case RunKind::Branch:
            id = session->branch(from, index, seed);
            break;
        case RunKind::Reconstruct:
            id = session->reconstruct(index, seed);
            break;
        case RunKind::Continue:
            break;
        }
        ctx.partial(kRunKind, RunStarted {id});
        ctx.throwIfCancelled();
        const int done = session->step(
            id, count > 0 ? count : std::numeric_limits<int>::max(), [&ctx](const ml::DenoiseSessionStep &s) {
                ctx.report(s.previews.index + 1, s.total, "denoising");
                ctx.partial(kStepKind, s);
                return !ctx.isCancelled();
            });
        ctx.throwIfCancelled();
        return done;
    };
    m_paused = false;
    m_jobSteps = 0;
    m_runJob = m_bridge->submit(std::move(job));
    m_status->setText(needOpen ? tr("Loading the model…") : tr("Starting…"));
    updateControls();
}

// The image is decoded and noised on a pool thread, not as an engine job: it is small work that
// follows every gallery selection, and must neither queue behind a run nor show in the status bar.
void DiffusionPanel::submitForward()
{
    if (m_forwardPath.isEmpty() || !m_session->isOpen())
        return; // setOpened() calls again
    m_forwardReady = false;
    m_forwardBusy = true;
    const quint64 ticket = ++m_forwardTicket;
    QPointer<DiffusionPanel> self(this);
    QThreadPool::globalInstance()->start([self, ticket, session = m_session, path = m_forwardPath.toStdString(),
                                             seed = static_cast<std::uint64_t>(m_seed->value())] {
        QString error;
        try {
            ml::setForwardImageFromFile(*session, path, seed);
        } catch (const std::exception &e) {
            error = QString::fromUtf8(e.what());
        }
        QMetaObject::invokeMethod(
            qApp,
            [self, ticket, error] {
                if (self)
                    self->onForwardDone(ticket, error);
            },
            Qt::QueuedConnection);
    });
    refreshView();
}

void DiffusionPanel::onForwardDone(quint64 ticket, const QString &error)
{
    if (ticket != m_forwardTicket)
        return; // a newer image or seed is on its way
    m_forwardBusy = false;
    if (error.isEmpty()) {
        m_forwardName = QFileInfo(m_forwardPath).fileName();
        m_forwardReady = true;
        refreshView();
        updateControls();
        Q_EMIT forwardReady();
    } else {
        m_forwardReady = false;
        showMessage(
            tr("Could not use %1 for the forward process: %2").arg(QFileInfo(m_forwardPath).fileName(), error), true);
        refreshView();
        updateControls();
    }
}

void DiffusionPanel::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (id != m_runJob)
        return;
    if (kind == QLatin1String(kOpenKind)) {
        if (const auto info = engineValue<ml::DenoiseSessionInfo>(value))
            setOpened(*info);
    } else if (kind == QLatin1String(kRunKind)) {
        if (const auto r = engineValue<RunStarted>(value)) {
            if (r->id != m_run) {
                m_run = r->id;
                const auto info = m_session->run(m_run);
                m_view = info ? info->firstStep : 0;
            }
            m_follow = true;
            refreshRuns();
            refreshView();
        }
    } else if (kind == QLatin1String(kStepKind)) {
        if (const auto s = engineValue<ml::DenoiseSessionStep>(value); s && s->previews.run == m_run) {
            m_msPerStep = s->msPerStep;
            ++m_jobSteps;
            if (const auto info = m_session->run(m_run); info && m_runs->findData(m_run) >= 0)
                m_runs->setItemText(m_runs->findData(m_run),
                    runLabel(*info) + (info->finished ? QString() : tr(" (at step %1)").arg(info->stepsDone)));
            if (m_follow)
                m_view = s->previews.index;
            if (!m_viewTimer->isActive())
                m_viewTimer->start();
        }
    }
}

void DiffusionPanel::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double)
{
    if (id == m_openJob || (id == m_runJob && stage == QLatin1String("loading model")))
        m_status->setText(tr("Loading the model…"));
    else if (id == m_runJob && total > 0)
        m_status->setText(m_msPerStep > 0.0 ? tr("Denoising: step %1 of %2 · %3 ms/step")
                                                  .arg(done)
                                                  .arg(total)
                                                  .arg(QLocale().toString(m_msPerStep, 'f', 1))
                                            : tr("Denoising: step %1 of %2").arg(done).arg(total));
    else if (id == m_exportJob && total > 0)
        m_status->setText(tr("Exporting: frame %1 of %2").arg(done).arg(total));
}

void DiffusionPanel::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id == 0)
        return;
    if (id == m_openJob) {
        m_openJob = 0;
        m_status->clear();
        if (const auto info = engineValue<ml::DenoiseSessionInfo>(value); ok && info)
            setOpened(*info);
        else if (!cancelled)
            showMessage(tr("Could not open the model: %1").arg(error), true);
        updateControls();
    } else if (id == m_runJob) {
        m_runJob = 0;
        m_viewTimer->stop();
        if (!ok && !cancelled)
            showMessage(error, true);
        m_paused = cancelled;
        if (m_follow)
            m_view = maxView(); // a finished run ends on its result
        refreshRuns();
        refreshView();
        updateStatus();
        updateControls();
        // A form change while the run went on: open it now.
        if (configKey() != m_openKey)
            scheduleReopen();
        Q_EMIT runStopped();
    } else if (id == m_exportJob) {
        m_exportJob = 0;
        if (ok) { // in the message line too: the status line is soon rewritten by the run's state
            m_status->setText(tr("Exported %1.").arg(QDir::toNativeSeparators(m_exportFile)));
            showMessage(tr("Saved the trajectory (x_t beside the predicted x₀) to %1.")
                            .arg(QDir::toNativeSeparators(m_exportFile)),
                false);
        } else if (cancelled)
            m_status->setText(tr("Export cancelled."));
        else
            showMessage(tr("Could not export: %1").arg(error), true);
        updateControls();
        Q_EMIT exported(ok, m_exportFile);
    }
}

// --- actions -------------------------------------------------------------------------------

void DiffusionPanel::run(int count)
{
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    const bool fresh = !formIsOpen() || !info || info->finished
        || (info->origin == ml::DenoiseRunInfo::Origin::Seed
            && info->seed != static_cast<std::uint64_t>(m_seed->value()));
    m_follow = true;
    if (!fresh)
        m_view = maxView();
    submitRun(fresh ? RunKind::New : RunKind::Continue, count);
}

void DiffusionPanel::pause()
{
    if (m_runJob)
        m_bridge->cancel(m_runJob);
}

void DiffusionPanel::stepForward()
{
    if (m_run >= 0 && m_view < maxView()) {
        setViewStep(m_view + 1);
        return;
    }
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (m_runJob || (info && info->finished && formIsOpen()))
        return;
    if (!info || !formIsOpen()) {
        run(1);
        return;
    }
    m_follow = true;
    submitRun(RunKind::Continue, 1);
}

void DiffusionPanel::stepBack()
{
    if (m_view > minView())
        setViewStep(m_view - 1);
}

void DiffusionPanel::setViewStep(int index)
{
    if (m_run < 0)
        return;
    index = std::clamp(index, minView(), maxView());
    m_follow = index == maxView();
    if (index == m_view && m_slider->value() == index)
        return;
    m_view = index;
    refreshView();
}

void DiffusionPanel::branchFromHere()
{
    if (m_run < 0 || m_runJob)
        return;
    const auto info = m_session->run(m_run);
    if (!info)
        return;
    const int index = std::min(m_view, static_cast<int>(m_timesteps.size()) - 1);
    if (index < 0 || index >= static_cast<int>(m_timesteps.size()) || !formIsOpen()) {
        showMessage(tr("Nothing to branch from: run the configuration first."), true);
        return;
    }
    const int seed = m_branchSeed->value();
    submitRun(RunKind::Branch, -1, index);
    m_branchSeed->setValue(seed + 1 <= m_branchSeed->maximum() ? seed + 1 : 0);
}

void DiffusionPanel::reconstructFromHere()
{
    if (m_runJob || !m_forwardReady || !formIsOpen())
        return;
    const int index = std::clamp(m_view, 0, static_cast<int>(m_timesteps.size()) - 1);
    submitRun(RunKind::Reconstruct, -1, index);
}

void DiffusionPanel::showRun(int id)
{
    const auto info = m_session->run(id);
    if (!info)
        return;
    m_run = id;
    m_follow = true;
    m_view = maxView();
    refreshRuns();
    refreshView();
    updateControls();
}

void DiffusionPanel::showFile(const QString &path)
{
    if (path == m_forwardPath)
        return;
    m_forwardPath = path;
    m_forwardReady = false;
    m_forwardName.clear();
    if (path.isEmpty()) {
        ++m_forwardTicket; // a decode on its way is dropped
        m_forwardBusy = false;
        refreshView();
        updateControls();
        return;
    }
    if (isVisible()) {
        submitForward();
    } else { // decoded when the panel is shown; a decode on its way is for an older image
        ++m_forwardTicket;
        m_forwardBusy = false;
    }
    refreshView();
    updateControls();
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

// --- the view ------------------------------------------------------------------------------

int DiffusionPanel::minView() const
{
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (!info)
        return 0;
    return info->origin == ml::DenoiseRunInfo::Origin::Reconstruction ? info->firstStep : 0;
}

int DiffusionPanel::maxView() const
{
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (!info)
        return 0;
    if (info->finished)
        return info->stepsDone; // the result
    return std::max(minView(), info->stepsDone - 1);
}

int DiffusionPanel::shownTimestep() const
{
    if (m_view < 0 || m_view >= static_cast<int>(m_timesteps.size()))
        return -1;
    return static_cast<int>(m_timesteps[static_cast<std::size_t>(m_view)]);
}

QString DiffusionPanel::runLabel(const ml::DenoiseRunInfo &r) const
{
    switch (r.origin) {
    case ml::DenoiseRunInfo::Origin::Branch:
        return tr("Run %1: branch of run %2 at step %3, seed %4")
            .arg(r.id)
            .arg(r.parent)
            .arg(r.firstStep + 1)
            .arg(r.seed);
    case ml::DenoiseRunInfo::Origin::Reconstruction:
        return tr("Run %1: %2 reconstructed from step %3, seed %4")
            .arg(r.id)
            .arg(QString::fromStdString(r.imageName))
            .arg(r.firstStep + 1)
            .arg(r.seed);
    case ml::DenoiseRunInfo::Origin::Seed:
        break;
    }
    return tr("Run %1: seed %2").arg(r.id).arg(r.seed);
}

void DiffusionPanel::refreshRuns()
{
    const QSignalBlocker block(m_runs);
    m_runs->clear();
    for (const ml::DenoiseRunInfo &r : m_session->runs()) {
        QString label = runLabel(r);
        if (!r.finished)
            label += tr(" (at step %1)").arg(r.stepsDone);
        if (!r.hasTensors)
            label += tr(" · previews only");
        m_runs->addItem(label, r.id);
    }
    m_runs->setCurrentIndex(m_runs->findData(m_run));
    m_runs->setEnabled(m_runs->count() > 1);
}

void DiffusionPanel::refreshView()
{
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    const int total = static_cast<int>(m_timesteps.size());
    {
        const QSignalBlocker block(m_slider);
        m_slider->setRange(minView(), maxView());
        m_slider->setValue(m_view);
    }
    const QString tLine = QStringLiteral("\n");
    if (!info) {
        for (DiffusionTile *t : {m_xt, m_eps, m_x0})
            t->setImage({});
        m_xt->setTitle(tr("noisy sample x_t"));
        m_eps->setTitle(tr("predicted noise ε̂"));
        m_x0->setTitle(tr("predicted clean x₀"));
        m_stepLabel->setText(m_openKey.isEmpty() ? QString() : tr("%n steps, none computed yet", nullptr, total));
        m_plot->setCursorTimestep(-1);
    } else {
        const bool result = m_view >= info->stepsDone;
        const bool finalView = result && info->finished;
        const std::int64_t t = m_view < total ? m_timesteps[static_cast<std::size_t>(m_view)] : -1;
        // The result shows the last step's ε̂ and x̂0 beside it (the x̂0 the result came from).
        const auto p = m_session->previews(m_run, finalView ? m_view - 1 : m_view);
        if (result) {
            m_xt->setImage(toImage(m_session->currentPreview(m_run)));
            m_eps->setImage(finalView && p ? toImage(p->modelOutput) : QImage());
            m_x0->setImage(finalView && p ? toImage(p->predOriginal) : QImage());
        } else if (p) {
            m_xt->setImage(toImage(p->sample));
            m_eps->setImage(toImage(p->modelOutput));
            m_x0->setImage(toImage(p->predOriginal));
        }
        const QString at
            = t >= 0 ? tr("t = %1").arg(t) : tr("last step, t = %1").arg(p ? p->timestep : std::int64_t(0));
        m_xt->setTitle(
            finalView ? tr("the sample x₀") + tLine + tr("after the last step") : tr("noisy sample x_t") + tLine + at);
        m_eps->setTitle(tr("predicted noise ε̂") + tLine + at);
        m_x0->setTitle(tr("predicted clean x₀") + tLine + at);
        m_stepLabel->setText(finalView ? tr("Result after %n steps", nullptr, total)
                                       : tr("Step %1 of %2 · t = %3").arg(m_view + 1).arg(total).arg(t));
        m_plot->setCursorTimestep(t >= 0 ? static_cast<double>(t) : -1.0);
    }
    // The forward process at the same t.
    const std::int64_t ft = m_view < total ? m_timesteps[static_cast<std::size_t>(m_view)] : -1;
    if (m_forwardReady && m_session->hasForwardImage()) {
        if (ft >= 0) {
            m_forward->setImage(toImage(m_session->forwardPreview(ft)));
            m_forward->setTitle(tr("forward x_t of %1").arg(m_forwardName) + tLine + tr("t = %1").arg(ft));
        } else {
            m_forward->setImage(toImage(ml::toRgbPreview(m_session->forwardOriginal())));
            m_forward->setTitle(tr("%1, as the model sees it").arg(m_forwardName) + tLine + tr("x₀"));
        }
    } else {
        m_forward->setImage({});
        m_forward->setTitle(tr("forward process x_t") + tLine
            + (m_forwardBusy ? tr("preparing…") : (ft >= 0 ? tr("t = %1").arg(ft) : QString())));
    }

    // Both endings, when the shown run is a branch or has one.
    m_originalRun = m_branchRun = -1;
    if (info && info->origin == ml::DenoiseRunInfo::Origin::Branch) {
        m_originalRun = info->parent;
        m_branchRun = m_run;
    } else if (info) {
        for (const ml::DenoiseRunInfo &r : m_session->runs())
            if (r.origin == ml::DenoiseRunInfo::Origin::Branch && r.parent == m_run)
                m_branchRun = r.id; // the newest
        if (m_branchRun >= 0)
            m_originalRun = m_run;
    }
    m_endingsGroup->setVisible(m_originalRun >= 0 && m_branchRun >= 0);
    if (m_originalRun >= 0 && m_branchRun >= 0) {
        const auto orig = m_session->run(m_originalRun), br = m_session->run(m_branchRun);
        m_originalEnding->setImage(
            orig && orig->finished ? toImage(m_session->currentPreview(m_originalRun)) : QImage());
        m_branchEnding->setImage(br && br->finished ? toImage(m_session->currentPreview(m_branchRun)) : QImage());
        m_originalEnding->setPlaceholder(tr("not finished"));
        m_branchEnding->setPlaceholder(tr("not finished"));
        m_originalEnding->setTitle(
            tr("original ending") + tLine + tr("run %1, seed %2").arg(m_originalRun).arg(orig ? orig->seed : 0));
        m_branchEnding->setTitle(tr("branch ending") + tLine
            + tr("run %1, seed %2 from step %3")
                  .arg(m_branchRun)
                  .arg(br ? br->seed : 0)
                  .arg(br ? br->firstStep + 1 : 0));
        m_originalEnding->setHighlighted(m_run == m_originalRun);
        m_branchEnding->setHighlighted(m_run == m_branchRun);
    }
    updateStatus();
    updateControls();
    Q_EMIT stepShown();
}

void DiffusionPanel::updateControls()
{
    const bool ddim = m_scheduler->currentIndex() == DdimScheduler;
    m_eta->setEnabled(ddim);
    m_etaLabel->setEnabled(ddim);
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    const bool running = m_runJob != 0;
    m_runButton->setText(running ? tr("Pause") : tr("Run"));
    m_runButton->setIcon(style()->standardIcon(running ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_runButton->setEnabled(!configKey().isEmpty());
    m_runButton->setToolTip(running                   ? tr("Stop after this step; Run continues from there")
            : info && !info->finished && formIsOpen() ? tr("Continue the shown run to the end")
                                                      : tr("A new run with the seed, to the end"));
    m_back->setEnabled(info && m_view > minView());
    m_forwardButton->setEnabled(
        !configKey().isEmpty() && (!info || m_view < maxView() || (!running && !info->finished)));
    m_slider->setEnabled(info.has_value());
    const bool open = formIsOpen();
    m_branchButton->setEnabled(!running && info && open && m_view < static_cast<int>(m_timesteps.size()));
    m_reconstruct->setEnabled(!running && open && m_forwardReady && !m_timesteps.empty());
    m_forwardHint->setText(m_forwardPath.isEmpty()
            ? tr("Select an image in the gallery or drop one on this panel: it is noised to the shown step's t "
                 "with the seed's noise (x_T of the seed's run).")
            : tr("%1 is noised to the shown step's t: sqrt(ᾱ_t)·x₀ + sqrt(1 − ᾱ_t)·ε, ε the seed's x_T. "
                 "Reconstruct lets the model denoise it from there.")
                  .arg(QFileInfo(m_forwardPath).fileName()));
    const bool computed = info && info->stepsDone > info->firstStep;
    m_exportVideo->setEnabled(computed && !m_exportJob);
    m_exportGrid->setEnabled(computed);
}

void DiffusionPanel::updateStatus()
{
    if (m_runJob)
        return; // progress() writes it
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (!info) {
        if (!m_openJob)
            m_status->clear();
        return;
    }
    const QString speed
        = m_msPerStep > 0.0 ? tr(" · %1 ms/step").arg(QLocale().toString(m_msPerStep, 'f', 1)) : QString();
    if (info->finished)
        m_status->setText(tr("Done: %n steps", nullptr, static_cast<int>(m_timesteps.size())) + speed);
    else if (m_paused)
        m_status->setText(tr("Paused after step %1 of %2").arg(info->stepsDone).arg(m_timesteps.size()) + speed);
    else
        m_status->setText(tr("At step %1 of %2").arg(info->stepsDone).arg(m_timesteps.size()) + speed);
    updateInfo();
}

void DiffusionPanel::updateInfo()
{
    if (m_openKey.isEmpty()) {
        m_info->clear();
        return;
    }
    const auto &i = m_sessionInfo;
    const auto mb
        = [](std::int64_t bytes) { return QLocale().toString(static_cast<double>(bytes) / (1 << 20), 'f', 1); };
    QStringList parts;
    parts << QString::fromStdString(i.modelName);
    parts << tr("%1 M parameters").arg(QLocale().toString(static_cast<double>(i.parameters) / 1e6, 'f', 1));
    parts << tr("%1 × %2 × %3").arg(i.channels).arg(i.height).arg(i.width);
    parts << tr("%1, %n steps", nullptr, i.steps).arg(QString::fromStdString(i.scheduler).toUpper());
    parts << tr("%1 on %2").arg(QString::fromStdString(i.dtype), QString::fromStdString(i.device));
    parts << tr("full tensors %1 MB of a %2 MB budget (newest runs; older runs keep their previews)")
                 .arg(mb(m_session->tensorBytes()), mb(m_session->memoryBudget()));
    m_info->setText(parts.join(QStringLiteral(" · ")));
}

void DiffusionPanel::showMessage(const QString &text, bool error)
{
    m_messageIsError = error && !text.isEmpty();
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!text.isEmpty());
}

QString DiffusionPanel::message() const
{
    return m_message->text();
}

bool DiffusionPanel::isBusy() const
{
    return m_openJob || m_runJob || m_forwardBusy || m_exportJob || m_reopenTimer->isActive();
}

// --- export --------------------------------------------------------------------------------

bool DiffusionPanel::exportAnimation(const QString &file)
{
    auto frames
        = m_run >= 0 ? m_session->trajectoryFrames(m_run, kMaxAnimationFrames) : std::vector<ml::io::RgbImage>();
    if (frames.empty()) {
        showMessage(tr("Nothing to export yet: run the model first."), true);
        return false;
    }
    if (m_exportJob)
        return false;
    // Hold the result for a second.
    const ml::io::RgbImage last = frames.back();
    for (int i = 1; i < static_cast<int>(kAnimationFps); ++i)
        frames.push_back(last);
    m_exportFile = file;
    m_exportJob = m_bridge->submit(
        tr("Export the trajectory"),
        [frames = std::move(frames), path = file.toStdString()](ml::JobContext &ctx) -> QVariant {
            ml::io::writeAnimation(path, frames, kAnimationFps, 256, [&ctx](int done, int total) {
                ctx.report(done, total, "encoding");
                return !ctx.isCancelled();
            });
            return QVariant(QString::fromStdString(path));
        },
        ml::Lane::Io);
    updateControls();
    return true;
}

QImage DiffusionPanel::gridImage() const
{
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (!info)
        return {};
    std::vector<int> computed;
    for (int i = 0; i < info->stepsDone; ++i)
        if (m_session->previews(m_run, i))
            computed.push_back(i);
    if (computed.empty())
        return {};
    const int n = static_cast<int>(computed.size());
    const int shown = std::min(n, kGridColumns);
    std::vector<int> cols;
    for (int k = 0; k < shown; ++k)
        cols.push_back(computed[static_cast<std::size_t>(shown == 1 ? n - 1 : k * (n - 1) / (shown - 1))]);
    const QFontMetrics fm(font());
    const int labelW = fm.horizontalAdvance(QStringLiteral("pred. x₀ ")) + 12, labelH = fm.height() + 8, gap = 4;
    const int numCols = shown + (info->finished ? 1 : 0);
    QImage grid(labelW + numCols * (kGridCell + gap), labelH + 2 * (kGridCell + gap), QImage::Format_RGB32);
    grid.fill(Qt::white);
    QPainter p(&grid);
    p.setFont(font());
    p.setPen(Qt::black);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    const auto cell = [&](int col, int row) {
        return QRect(labelW + col * (kGridCell + gap), labelH + row * (kGridCell + gap), kGridCell, kGridCell);
    };
    p.drawText(QRect(0, labelH, labelW, kGridCell), Qt::AlignCenter, tr("x_t"));
    p.drawText(QRect(0, labelH + kGridCell + gap, labelW, kGridCell), Qt::AlignCenter, tr("pred. x₀"));
    for (int c = 0; c < shown; ++c) {
        const auto pv = m_session->previews(m_run, cols[static_cast<std::size_t>(c)]);
        if (!pv)
            continue;
        p.drawText(QRect(cell(c, 0).x(), 0, kGridCell, labelH), Qt::AlignCenter, tr("t = %1").arg(pv->timestep));
        p.drawImage(cell(c, 0), toImage(pv->sample));
        p.drawImage(cell(c, 1), toImage(pv->predOriginal));
    }
    if (info->finished) {
        const QImage final = toImage(m_session->currentPreview(m_run));
        p.drawText(QRect(cell(shown, 0).x(), 0, kGridCell, labelH), Qt::AlignCenter, tr("result"));
        p.drawImage(cell(shown, 0), final);
        p.drawImage(cell(shown, 1), final);
    }
    p.end();
    return grid;
}

bool DiffusionPanel::exportGrid(const QString &file)
{
    const QImage grid = gridImage();
    if (grid.isNull()) {
        showMessage(tr("Nothing to export yet: run the model first."), true);
        return false;
    }
    if (!grid.save(file, "PNG")) {
        showMessage(tr("Could not write %1.").arg(QDir::toNativeSeparators(file)), true);
        return false;
    }
    m_status->setText(tr("Exported %1.").arg(QDir::toNativeSeparators(file)));
    showMessage(tr("Saved the grid (%1 × %2 px) to %3.")
                    .arg(grid.width())
                    .arg(grid.height())
                    .arg(QDir::toNativeSeparators(file)),
        false);
    return true;
}

void DiffusionPanel::exportAnimationDialog()
{
    const QString start = dialogFolder(QStandardPaths::MoviesLocation) + QLatin1Char('/')
        + QStringLiteral("%1-run%2.mp4").arg(QString::fromStdString(m_sessionInfo.modelName)).arg(m_run);
    QString selected;
    QString file = QFileDialog::getSaveFileName(
        this, tr("Export the Trajectory"), start, tr("MP4 video (*.mp4);;Animated GIF (*.gif)"), &selected);
    if (file.isEmpty())
        return;
    const QString suffix = QFileInfo(file).suffix().toLower();
    if (suffix != QLatin1String("mp4") && suffix != QLatin1String("gif"))
        file += selected.contains(QLatin1String("gif")) ? QStringLiteral(".gif") : QStringLiteral(".mp4");
    exportAnimation(file);
}

void DiffusionPanel::exportGridDialog()
{
    const QString start = dialogFolder(QStandardPaths::PicturesLocation) + QLatin1Char('/')
        + QStringLiteral("%1-run%2-grid.png").arg(QString::fromStdString(m_sessionInfo.modelName)).arg(m_run);
    QString file = QFileDialog::getSaveFileName(this, tr("Export the Grid"), start, tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    if (!file.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive))
        file += QStringLiteral(".png");
    exportGrid(file);
}
