// The Diffusion side panel: widgets for the controller's form and actions, built one group per
// function; every change goes to the controller, which tells back what to show.
#include "diffusion/diffusion_settings_page.h"

#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "diffusion/diffusion_controller.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <limits>

namespace {

const QString kModelKey = QStringLiteral("diffusion/model");

} // namespace

DiffusionSettingsPage::DiffusionSettingsPage(EngineBridge *bridge, DiffusionController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_picker(new ModelPicker(bridge, QStringLiteral("unet2d"), kModelKey, this))
{
    setObjectName(QStringLiteral("diffusionSettings"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(6);
    layout->addWidget(buildModel());
    layout->addWidget(buildSampler());
    layout->addWidget(buildTransport());
    layout->addWidget(buildBranch());
    layout->addWidget(buildForward());
    layout->addWidget(buildExport());
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("diffusionStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    m_info = dimLabel(this);
    m_info->setObjectName(QStringLiteral("diffusionInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_info);
    layout->addStretch(1);

    connectForm();
    connectActions();
    retranslate();
    showForm();
    showMessages();
}

QWidget *DiffusionSettingsPage::buildModel()
{
    auto *box = new QWidget(this);
    m_modelLabel = new QLabel(box);
    m_picker->setParent(box);
    m_picker->setObjectName(QStringLiteral("diffusionModel"));
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    m_openFolder = new QPushButton(box);
    auto *layout = new QGridLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_modelLabel, 0, 0);
    layout->addWidget(m_picker, 0, 1);
    layout->addWidget(m_openFolder, 1, 1, Qt::AlignLeft);
    layout->setColumnStretch(1, 1);
    return box;
}

QGroupBox *DiffusionSettingsPage::buildSampler()
{
    m_samplerGroup = new QGroupBox(this);
    m_scheduler = new QComboBox(m_samplerGroup);
    m_scheduler->setObjectName(QStringLiteral("diffusionScheduler"));
    m_scheduler->addItems({QStringLiteral("DDPM"), QStringLiteral("DDIM")});
    m_steps = new QSpinBox(m_samplerGroup);
    m_steps->setObjectName(QStringLiteral("diffusionSteps"));
    m_steps->setRange(1, DiffusionController::kDefaultDdpmSteps);
    m_eta = new QDoubleSpinBox(m_samplerGroup);
    m_eta->setObjectName(QStringLiteral("diffusionEta"));
    m_eta->setRange(0.0, 1.0);
    m_eta->setSingleStep(0.1);
    m_eta->setDecimals(2);
    m_seed = new QSpinBox(m_samplerGroup);
    m_seed->setObjectName(QStringLiteral("diffusionSeed"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_newSeed = new QToolButton(m_samplerGroup);
    auto *seedRow = new QHBoxLayout;
    seedRow->addWidget(m_seed, 1);
    seedRow->addWidget(m_newSeed);
    m_schedulerLabel = new QLabel(m_samplerGroup);
    m_stepsLabel = new QLabel(m_samplerGroup);
    m_etaLabel = new QLabel(m_samplerGroup);
    m_seedLabel = new QLabel(m_samplerGroup);
    auto *form = new QFormLayout(m_samplerGroup);
    form->addRow(m_schedulerLabel, m_scheduler);
    form->addRow(m_stepsLabel, m_steps);
    form->addRow(m_etaLabel, m_eta);
    form->addRow(m_seedLabel, seedRow);
    return m_samplerGroup;
}

QWidget *DiffusionSettingsPage::buildTransport()
{
    auto *box = new QWidget(this);
    m_runButton = new QPushButton(box);
    m_runButton->setObjectName(QStringLiteral("diffusionRun"));
    m_back = new QToolButton(box);
    m_back->setObjectName(QStringLiteral("diffusionStepBack"));
    m_back->setArrowType(Qt::LeftArrow);
    m_forwardButton = new QToolButton(box);
    m_forwardButton->setObjectName(QStringLiteral("diffusionStepForward"));
    m_forwardButton->setArrowType(Qt::RightArrow);
    auto *row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_runButton, 1);
    row->addWidget(m_back);
    row->addWidget(m_forwardButton);
    return box;
}

QGroupBox *DiffusionSettingsPage::buildBranch()
{
    m_branchGroup = new QGroupBox(this);
    m_branchSeedLabel = new QLabel(m_branchGroup);
    m_branchSeed = new QSpinBox(m_branchGroup);
    m_branchSeed->setObjectName(QStringLiteral("diffusionBranchSeed"));
    m_branchSeed->setRange(0, std::numeric_limits<int>::max());
    m_branchButton = new QPushButton(m_branchGroup);
    m_branchButton->setObjectName(QStringLiteral("diffusionBranch"));
    auto *row = new QHBoxLayout(m_branchGroup);
    row->addWidget(m_branchSeedLabel);
    row->addWidget(m_branchSeed, 1);
    row->addWidget(m_branchButton);
    return m_branchGroup;
}

QGroupBox *DiffusionSettingsPage::buildForward()
{
    m_forwardGroup = new QGroupBox(this);
    m_forwardHint = dimLabel(m_forwardGroup);
    m_chooseImage = new QPushButton(m_forwardGroup);
    m_reconstruct = new QPushButton(m_forwardGroup);
    m_reconstruct->setObjectName(QStringLiteral("diffusionReconstruct"));
    auto *row = new QHBoxLayout;
    row->addWidget(m_chooseImage);
    row->addWidget(m_reconstruct);
    auto *layout = new QVBoxLayout(m_forwardGroup);
    layout->addWidget(m_forwardHint);
    layout->addLayout(row);
    return m_forwardGroup;
}

QWidget *DiffusionSettingsPage::buildExport()
{
    auto *box = new QWidget(this);
    m_exportVideo = new QPushButton(box);
    m_exportGrid = new QPushButton(box);
    auto *row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_exportVideo);
    row->addWidget(m_exportGrid);
    return box;
}

void DiffusionSettingsPage::connectForm()
{
    DiffusionController *c = m_controller;
    c->setModelsPending(true);
    connect(m_picker, &ModelPicker::currentChanged, c, &DiffusionController::setModel);
    connect(m_picker, &ModelPicker::refreshed, this, [this, c] {
        c->setModelsPending(false);
        // No choice remembered yet: the embedded ddpm-mini (the picker alone takes the first).
        if (!QSettings().contains(kModelKey))
            for (const ml::ModelEntry &e : m_picker->entries())
                if (e.source == "embedded" && e.name == "ddpm-mini") {
                    m_picker->selectPath(QString::fromStdString(e.path));
                    break;
                }
        c->setModel(m_picker->currentPath());
    });
    connect(m_scheduler, &QComboBox::currentIndexChanged, c, &DiffusionController::setScheduler);
    connect(m_steps, &QSpinBox::valueChanged, c, &DiffusionController::setSteps);
    connect(m_eta, &QDoubleSpinBox::valueChanged, c, &DiffusionController::setEta);
    connect(m_seed, &QSpinBox::valueChanged, c, &DiffusionController::setSeed);
    connect(m_branchSeed, &QSpinBox::valueChanged, c, &DiffusionController::setBranchSeed);
    connect(m_newSeed, &QToolButton::clicked, this,
        [c] { c->setSeed(static_cast<int>(QRandomGenerator::global()->bounded(1000000))); });
    connect(c, &DiffusionController::formChanged, this, &DiffusionSettingsPage::showForm);
    connect(c, &DiffusionController::viewChanged, this, &DiffusionSettingsPage::updateState);
    connect(c, &DiffusionController::messageChanged, this, &DiffusionSettingsPage::showMessages);
    connect(c, &DiffusionController::runsChanged, this, &DiffusionSettingsPage::showMessages);
}

void DiffusionSettingsPage::connectActions()
{
    DiffusionController *c = m_controller;
    connect(m_openFolder, &QPushButton::clicked, this, &DiffusionSettingsPage::openFolderDialog);
    connect(m_runButton, &QPushButton::clicked, c, [c] {
        if (c->isRunning())
            c->pause();
        else
            c->run();
    });
    connect(m_back, &QToolButton::clicked, c, &DiffusionController::stepBack);
    connect(m_forwardButton, &QToolButton::clicked, c, &DiffusionController::stepForward);
    connect(m_branchButton, &QPushButton::clicked, c, &DiffusionController::branchFromHere);
    connect(m_chooseImage, &QPushButton::clicked, this, &DiffusionSettingsPage::chooseImageDialog);
    connect(m_reconstruct, &QPushButton::clicked, c, &DiffusionController::reconstructFromHere);
    connect(m_exportVideo, &QPushButton::clicked, this, &DiffusionSettingsPage::exportAnimationDialog);
    connect(m_exportGrid, &QPushButton::clicked, this, &DiffusionSettingsPage::exportGridDialog);
}

void DiffusionSettingsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void DiffusionSettingsPage::retranslate()
{
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
    m_branchGroup->setTitle(tr("Branch"));
    m_branchSeedLabel->setText(tr("Branch seed:"));
    m_branchButton->setText(tr("Branch from Here"));
    m_branchButton->setToolTip(
        tr("Run again from the shown step with the branch seed's noise; the original run is kept"));
    m_forwardGroup->setTitle(tr("Forward process"));
    m_chooseImage->setText(tr("Choose Image…"));
    m_reconstruct->setText(tr("Reconstruct from Here"));
    m_reconstruct->setToolTip(tr("Let the model denoise the image's x_t from the shown step to the end"));
    m_exportVideo->setText(tr("Export Video…"));
    m_exportVideo->setToolTip(tr("The shown trajectory (x_t and the predicted x₀ side by side) as MP4 or GIF"));
    m_exportGrid->setText(tr("Export Grid…"));
    m_exportGrid->setToolTip(tr("x_t and the predicted x₀ at up to 10 steps with their t, as PNG"));
    updateState();
    showMessages();
}

void DiffusionSettingsPage::showForm()
{
    const DiffusionController::Form &f = m_controller->form();
    const QSignalBlocker b1(m_scheduler), b2(m_steps), b3(m_eta), b4(m_seed), b5(m_branchSeed);
    m_scheduler->setCurrentIndex(f.scheduler);
    m_steps->setMaximum(m_controller->maxSteps());
    m_steps->setValue(f.steps);
    m_eta->setValue(f.eta);
    m_seed->setValue(f.seed);
    m_branchSeed->setValue(f.branchSeed);
    updateState();
}

void DiffusionSettingsPage::updateState()
{
    const DiffusionController *c = m_controller;
    const bool ddim = c->form().scheduler == DiffusionController::DdimScheduler;
    m_eta->setEnabled(ddim);
    m_etaLabel->setEnabled(ddim);
    const auto info = c->currentRun() >= 0 ? c->session()->run(c->currentRun()) : std::nullopt;
    const bool running = c->isRunning();
    const bool open = c->formIsOpen();
    m_runButton->setText(running ? tr("Pause") : tr("Run"));
    m_runButton->setIcon(style()->standardIcon(running ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_runButton->setEnabled(c->hasModel());
    m_runButton->setToolTip(running           ? tr("Stop after this step; Run continues from there")
            : info && !info->finished && open ? tr("Continue the shown run to the end")
                                              : tr("A new run with the seed, to the end"));
    m_back->setEnabled(info && c->viewStep() > c->minView());
    m_forwardButton->setEnabled(
        c->hasModel() && (!info || c->viewStep() < c->maxView() || (!running && !info->finished)));
    const int steps = static_cast<int>(c->timesteps().size());
    m_branchButton->setEnabled(!running && info && open && c->viewStep() < steps);
    m_reconstruct->setEnabled(!running && open && c->isForwardReady() && steps > 0);
    m_forwardHint->setText(c->forwardPath().isEmpty()
            ? tr("Select an image in the gallery or drop one here: it is noised to the shown step's t with the "
                 "seed's noise.")
            : tr("%1 is noised to the shown step's t; Reconstruct lets the model denoise it from there.")
                  .arg(QFileInfo(c->forwardPath()).fileName()));
    const bool computed = info && info->stepsDone > info->firstStep;
    m_exportVideo->setEnabled(computed && !c->isExporting());
    m_exportGrid->setEnabled(computed);
}

void DiffusionSettingsPage::showMessages()
{
    m_status->setText(m_controller->status());
    m_info->setText(m_controller->infoText());
}

void DiffusionSettingsPage::openFolderDialog()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Diffusers Checkpoint"));
    if (dir.isEmpty())
        return;
    const QString clean = QDir::cleanPath(QDir(dir).absolutePath());
    connect(
        m_picker, &ModelPicker::refreshed, this,
        [this, clean] {
            if (!m_picker->selectPath(clean))
                m_controller->showMessage(tr("%1 is not a diffusers UNet2DModel checkpoint (config.json and "
                                             "diffusion_pytorch_model.safetensors, or a pipeline with unet/).")
                                              .arg(QDir::toNativeSeparators(clean)),
                    true);
        },
        Qt::SingleShotConnection);
    m_picker->addFolder(clean);
}

void DiffusionSettingsPage::chooseImageDialog()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Choose an Image to Noise"),
        dialogFolder(QStandardPaths::PicturesLocation), tr("Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"));
    if (!file.isEmpty())
        m_controller->setForwardFile(file);
}

void DiffusionSettingsPage::exportAnimationDialog()
{
    const QString start = dialogFolder(QStandardPaths::MoviesLocation) + QLatin1Char('/')
        + m_controller->defaultExportName(QStringLiteral(".mp4"));
    QString selected;
    QString file = QFileDialog::getSaveFileName(
        this, tr("Export the Trajectory"), start, tr("MP4 video (*.mp4);;Animated GIF (*.gif)"), &selected);
    if (file.isEmpty())
        return;
    const QString suffix = QFileInfo(file).suffix().toLower();
    if (suffix != QLatin1String("mp4") && suffix != QLatin1String("gif"))
        file += selected.contains(QLatin1String("gif")) ? QStringLiteral(".gif") : QStringLiteral(".mp4");
    m_controller->exportAnimation(file);
}

void DiffusionSettingsPage::exportGridDialog()
{
    const QString start = dialogFolder(QStandardPaths::PicturesLocation) + QLatin1Char('/')
        + m_controller->defaultExportName(QStringLiteral("-grid.png"));
    QString file = QFileDialog::getSaveFileName(this, tr("Export the Grid"), start, tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    if (!file.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive))
        file += QStringLiteral(".png");
    m_controller->exportGrid(file);
}
