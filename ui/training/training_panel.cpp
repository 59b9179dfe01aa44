// TrainingPanel: the form becomes an ml::ClipTrainRequest or an ml::DdpmTrainRequest on the
// engine's training lane; the job's "metric", "samples", "sample-grid" and "checkpoint" partials
// feed the status, the plots, the sample grid and the checkpoint list. Other runs come from their
// metrics.jsonl, followed as the file grows.
#include "training/training_panel.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/format.h"
#include "common/panel_widgets.h"
#include "common/qimage_convert.h"
#include "engine/clip_service.h"
#include "engine/train_presets.h"
#include "training/sample_grid.h"
#include "training/training_plot.h"
#include "training/training_status.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStyle>
#include <QTabWidget>
#include <QTemporaryFile>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace {

const QString kKindKey = QStringLiteral("training/model");
const QString kPresetKey = QStringLiteral("training/preset"); // CLIP's
const QString kDdpmPresetKey = QStringLiteral("training/ddpmPreset");
const QString kFashionKey = QStringLiteral("training/fashionDir");
const QString kDtypeKey = QStringLiteral("training/dtype");
const QString kDirKey = QStringLiteral("training/lastDir");
const QString kLogScaleKey = QStringLiteral("training/logScale");
const QString kMetric = QStringLiteral("metric");
const QString kSamples = QStringLiteral("samples");
const QString kCheckpoint = QStringLiteral("checkpoint");
const QString kSampleGrid = QStringLiteral("sample-grid");
const QString kStateFile = QStringLiteral("trainer_state.json");
const QString kMetricsFile = QStringLiteral("metrics.jsonl");
const QString kStateFormat = QStringLiteral("modallens.trainer_state.v1");
const QString kDdpmStateFormat = QStringLiteral("modallens.ddpm_trainer_state.v1");
const QString kClipWeights = QStringLiteral("model.safetensors");
const QString kDdpmWeights = QStringLiteral("diffusion_pytorch_model.safetensors");
constexpr int kFolderRole = Qt::UserRole + 1;
constexpr int kKindRole = Qt::UserRole + 2;
constexpr int kMaxSteps = 10'000'000;

// Distinct on the dark and the light theme (Tableau 10).
const QColor kRunColours[]
    = {QColor(0x4e, 0x9b, 0xe8), QColor(0xf2, 0x8e, 0x2b), QColor(0x59, 0xa1, 0x4f), QColor(0xe1, 0x57, 0x59),
        QColor(0xb0, 0x7a, 0xa1), QColor(0x76, 0xb7, 0xb2), QColor(0xed, 0xc9, 0x48), QColor(0xff, 0x9d, 0xa7)};

QIcon swatch(const QColor &colour)
{
    QPixmap pixmap(12, 12);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    p.drawRoundedRect(QRectF(1, 1, 10, 10), 2, 2);
    return QIcon(pixmap);
}

QString cleanFolder(const QString &path)
{
    QString p = path.trimmed();
    if (p.startsWith(QStringLiteral("~/")))
        p = QDir::homePath() + p.mid(1);
    return p.isEmpty() ? QString() : QDir::cleanPath(QDir(p).absolutePath());
}

QString kindName(TrainingPanel::ModelKind kind)
{
    return kind == TrainingPanel::DdpmModel ? QStringLiteral("ddpm") : QStringLiteral("clip");
}

// The model a run folder's checkpoint holds: CLIP (model.safetensors) or DDPM (diffusers' flat layout).
std::optional<TrainingPanel::ModelKind> checkpointKind(const QString &folder)
{
    const QDir dir(folder);
    if (!dir.exists(QStringLiteral("config.json")))
        return std::nullopt;
    if (dir.exists(kClipWeights))
        return TrainingPanel::ClipModel;
    if (dir.exists(kDdpmWeights))
        return TrainingPanel::DdpmModel;
    return std::nullopt;
}

// Puts a row into a form (at row; -1: at the end) or takes it out, its widgets hidden. Rows come
// and go rather than QFormLayout::setRowVisible(), which in Qt 6.4 mislays the rows of a form that
// holds a word-wrapped label (heightForWidth) once one is hidden.
void setFormRow(QFormLayout *form, int row, QWidget *label, QWidget *field, bool on)
{
    int at = -1;
    QFormLayout::ItemRole role;
    form->getWidgetPosition(field, &at, &role);
    if (on && at < 0) {
        form->insertRow(row, label, field);
        label->show();
        field->show();
    } else if (!on && at >= 0) {
        const QFormLayout::TakeRowResult taken = form->takeRow(at);
        delete taken.labelItem; // the layout items, not the widgets
        delete taken.fieldItem;
        label->hide();
        field->hide();
    }
}

bool holdsCheckpoint(const QString &folder)
{
    return checkpointKind(folder).has_value();
}

// trainer_state.json of a run folder; nullopt (and why) when there is none or it is not ours. kind
// (optional) gets the model the run trains.
std::optional<QJsonObject> readRunState(const QString &folder, QString *error, TrainingPanel::ModelKind *kind = nullptr)
{
    QFile file(QDir(folder).filePath(kStateFile));
    if (!file.exists()) {
        *error = TrainingPanel::tr("%1 holds no training run to continue (no %2).")
                     .arg(QDir::toNativeSeparators(folder), kStateFile);
        return std::nullopt;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        *error = TrainingPanel::tr("Cannot read %1.").arg(QDir::toNativeSeparators(file.fileName()));
        return std::nullopt;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll());
    const QString format = doc.object().value(QStringLiteral("format")).toString();
    if (!doc.isObject() || (format != kStateFormat && format != kDdpmStateFormat)) {
        *error
            = TrainingPanel::tr("%1 is not a ModalLens training state.").arg(QDir::toNativeSeparators(file.fileName()));
        return std::nullopt;
    }
    if (kind)
        *kind = format == kDdpmStateFormat ? TrainingPanel::DdpmModel : TrainingPanel::ClipModel;
    return doc.object();
}

} // namespace

TrainingPanel::TrainingPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_message(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_watcher(new QFileSystemWatcher(this))
{
    setObjectName(QStringLiteral("training"));
    Q_ASSERT(m_bridge);

    m_message->setObjectName(QStringLiteral("trainingMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();

    m_start = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), QString(), this);
    m_pause = new QPushButton(style()->standardIcon(QStyle::SP_MediaPause), QString(), this);
    m_stop = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), QString(), this);
    m_openResult = new QPushButton(this);
    m_openResult->setObjectName(QStringLiteral("openInDiffusion"));
    m_openResult->hide();
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("trainingState"));
    QFont stateFont = m_state->font();
    stateFont.setBold(true);
    m_state->setFont(stateFont);
    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(6);
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_stop);
    buttons->addSpacing(8);
    buttons->addWidget(m_state, 1);
    buttons->addWidget(m_openResult);

    m_tabs->setDocumentMode(true);
    m_tabs->addTab(createSetupPage(), QString());
    m_tabs->addTab(createCurvesPage(), QString());
    m_tabs->addTab(createSamplesPage(), QString());
    m_tabs->addTab(createRunsPage(), QString());

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 4);
    layout->setSpacing(6);
    layout->addLayout(buttons);
    layout->addWidget(createStatusBox());
    layout->addWidget(m_message);
    layout->addWidget(m_tabs, 1);

    connect(m_start, &QPushButton::clicked, this, &TrainingPanel::requestStart);
    connect(m_pause, &QPushButton::clicked, this, &TrainingPanel::togglePause);
    connect(m_stop, &QPushButton::clicked, this, &TrainingPanel::stop);
    connect(m_openResult, &QPushButton::clicked, this, [this] {
        if (checkpointKind(m_runFolder) == DdpmModel)
            Q_EMIT openInDiffusionRequested(m_runFolder);
    });
    connect(m_bridge, &EngineBridge::progress, this, &TrainingPanel::onProgress);
    connect(m_bridge, &EngineBridge::partial, this, &TrainingPanel::onPartial);
    connect(m_bridge, &EngineBridge::finished, this, &TrainingPanel::onFinished);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, [this](const QString &path) {
        for (int row = 0; row < m_runs.size(); ++row) {
            Run &run = m_runs[row];
            if (run.live || run.metricsFile != path)
                continue;
            QString error;
            readMetrics(run, -1, &error);
            updateRunItem(row);
            if (holdsCheckpoint(run.folder))
                addCheckpoint(run.folder);
        }
        if (QFileInfo::exists(path) && !m_watcher->files().contains(path))
            m_watcher->addPath(path); // rewritten as a new file
    });

    retranslate();
    restoreSettings();
    updateButtons();
    updateStatus();
}

TrainingPanel::~TrainingPanel()
{
    saveSettings();
}

// --- pages ---------------------------------------------------------------------------------

QWidget *TrainingPanel::createSetupPage()
{
    auto *page = new QWidget;
    auto *scroll = verticalScrollArea(page, this);

    // Model and optimiser.
    m_modelGroup = new QGroupBox(page);
    m_kind = new QComboBox(m_modelGroup);
    m_kind->setObjectName(QStringLiteral("trainingModel"));
    m_kind->addItem(QString(), kindName(ClipModel));
    m_kind->addItem(QString(), kindName(DdpmModel));
    m_preset = new QComboBox(m_modelGroup); // filled by applyKind()
    m_presetHint = dimLabel(m_modelGroup);
    m_unet = new QLabel(m_modelGroup);
    m_unet->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_steps = new QSpinBox(m_modelGroup);
    m_steps->setRange(0, kMaxSteps);
    m_steps->setGroupSeparatorShown(true);
    m_batch = new QSpinBox(m_modelGroup);
    m_batch->setRange(2, 4096);
    m_lr = new QLineEdit(m_modelGroup);
    m_lr->setObjectName(QStringLiteral("learningRate"));
    m_seed = new QSpinBox(m_modelGroup);
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_dtype = new QComboBox(m_modelGroup);
    for (const char *d : {"auto", "fp32", "bf16"})
        m_dtype->addItem(QLatin1String(d), QLatin1String(d));
    auto *model = new QFormLayout(m_modelGroup);
    m_modelForm = model;
    model->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_kindLabel = new QLabel(m_modelGroup);
    m_unetLabel = new QLabel(m_modelGroup);
    m_presetLabel = new QLabel(m_modelGroup);
    m_stepsLabel = new QLabel(m_modelGroup);
    m_batchLabel = new QLabel(m_modelGroup);
    m_lrLabel = new QLabel(m_modelGroup);
    m_seedLabel = new QLabel(m_modelGroup);
    m_dtypeLabel = new QLabel(m_modelGroup);
    model->addRow(m_kindLabel, m_kind);
    model->addRow(m_presetLabel, m_preset);
    model->addRow(QString(), m_presetHint);
    model->addRow(m_unetLabel, m_unet);
    model->addRow(m_stepsLabel, m_steps);
    model->addRow(m_batchLabel, m_batch);
    model->addRow(m_lrLabel, m_lr);
    model->addRow(m_seedLabel, m_seed);
    model->addRow(m_dtypeLabel, m_dtype);

    // Data and evaluation.
    m_dataGroup = new QGroupBox(page);
    m_mixBox = new QWidget(m_dataGroup);
    auto *mixRow = new QGridLayout(m_mixBox); // names over their shares
    mixRow->setContentsMargins(0, 0, 0, 0);
    mixRow->setHorizontalSpacing(8);
    mixRow->setVerticalSpacing(2);
    for (int i = 0; i < 3; ++i) {
        m_mix[i] = new QSpinBox(m_dataGroup);
        m_mix[i]->setRange(0, 100);
        m_mix[i]->setSuffix(QStringLiteral(" %"));
        m_mixNames[i] = new QLabel(m_dataGroup);
        m_mixNames[i]->setBuddy(m_mix[i]);
        m_mixNames[i]->setForegroundRole(QPalette::PlaceholderText);
        mixRow->addWidget(m_mixNames[i], 0, i);
        mixRow->addWidget(m_mix[i], 1, i);
    }
    mixRow->setColumnStretch(3, 1);
    m_fashionDir = new QLineEdit(m_dataGroup);
    m_fashionDir->setPlaceholderText(QString::fromStdString(ml::fashionMnistDefaultFolder()));
    m_fashionBrowse = new QToolButton(m_dataGroup);
    m_fashionBrowse->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    auto *fashionRow = new QHBoxLayout;
    fashionRow->addWidget(m_fashionDir, 1);
    fashionRow->addWidget(m_fashionBrowse);
    m_fashionHint = dimLabel(m_dataGroup);
    m_evalEvery = new QSpinBox(m_dataGroup);
    m_evalEvery->setRange(0, kMaxSteps);
    m_evalEvery->setGroupSeparatorShown(true);
    m_checkpointEvery = new QSpinBox(m_dataGroup);
    m_checkpointEvery->setRange(0, kMaxSteps);
    m_checkpointEvery->setGroupSeparatorShown(true);
    auto *data = new QFormLayout(m_dataGroup);
    m_dataForm = data;
    data->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_mixLabel = new QLabel(m_dataGroup);
    m_fashionLabel = new QLabel(m_dataGroup);
    m_evalLabel = new QLabel(m_dataGroup);
    m_checkpointLabel = new QLabel(m_dataGroup);
    data->addRow(m_mixLabel, m_mixBox);
    data->addRow(m_fashionLabel, fashionRow);
    data->addRow(QString(), m_fashionHint);
    data->addRow(m_evalLabel, m_evalEvery);
    data->addRow(m_checkpointLabel, m_checkpointEvery);

    // The run folder.
    m_runGroup = new QGroupBox(page);
    m_folder = new QLineEdit(m_runGroup);
    m_folder->setObjectName(QStringLiteral("runFolder"));
    m_folderBrowse = new QToolButton(m_runGroup);
    m_folderBrowse->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(m_folderBrowse);
    m_resume = new QCheckBox(m_runGroup);
    m_resumeHint = dimLabel(m_runGroup);
    auto *run = new QFormLayout(m_runGroup);
    run->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_folderLabel = new QLabel(m_runGroup);
    run->addRow(m_folderLabel, folderRow);
    run->addRow(QString(), m_resume);
    run->addRow(QString(), m_resumeHint);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 4, 6);
    layout->addWidget(m_modelGroup);
    layout->addWidget(m_dataGroup);
    layout->addWidget(m_runGroup);
    layout->addStretch(1);

    connect(m_kind, &QComboBox::currentIndexChanged, this, [this] { applyKind(modelKind()); });
    connect(m_preset, &QComboBox::currentIndexChanged, this, [this] {
        m_presetOf[modelKind()] = m_preset->currentData().toString();
        applyPreset(m_preset->currentData().toString());
    });
    connect(m_dtype, &QComboBox::currentIndexChanged, this, &TrainingPanel::updateHints);
    connect(m_fashionDir, &QLineEdit::textChanged, this, &TrainingPanel::updateHints);
    connect(m_fashionBrowse, &QToolButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Fashion-MNIST Folder"),
            m_fashionDir->text().isEmpty() ? QString::fromStdString(ml::fashionMnistDefaultFolder())
                                           : m_fashionDir->text());
        if (!dir.isEmpty())
            m_fashionDir->setText(QDir::toNativeSeparators(dir));
    });
    connect(m_folder, &QLineEdit::textEdited, this, [this] { m_folderIsAuto = false; });
    connect(m_folder, &QLineEdit::textChanged, m_folder, &QLineEdit::setToolTip);
    connect(m_folder, &QLineEdit::editingFinished, this, [this] {
        if (m_resume->isChecked() && !isRunning()) {
            QString error;
            if (loadRunState(cleanFolder(m_folder->text()), &error))
                clearMessage();
            else
                showMessage(error, true);
        }
    });
    connect(m_folderBrowse, &QToolButton::clicked, this, [this] {
        const QString start = m_folder->text().isEmpty() ? runsRoot() : QFileInfo(m_folder->text()).absolutePath();
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Run Folder"), start);
        if (dir.isEmpty())
            return;
        m_folder->setText(QDir::toNativeSeparators(dir));
        m_folderIsAuto = false;
        Q_EMIT m_folder->editingFinished();
    });
    connect(m_resume, &QCheckBox::toggled, this, &TrainingPanel::onResumeToggled);
    return scroll;
}

QWidget *TrainingPanel::createStatusBox()
{
    auto *box = new QWidget(this);
    m_progress = new QProgressBar(box);
    m_progress->setTextVisible(true);
    m_progress->setMaximumHeight(18);
    m_statusGrid = new QGridLayout;
    m_statusGrid->setHorizontalSpacing(8);
    m_statusGrid->setVerticalSpacing(2);
    for (int i = 0; i < FieldCount; ++i) {
        m_fieldNames[i] = new QLabel(box);
        m_fieldNames[i]->setForegroundRole(QPalette::PlaceholderText);
        m_fieldValues[i] = new QLabel(box);
        m_fieldValues[i]->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    // Three name / value pairs a row; the accuracies take the rest of the last one.
    const int positions[FieldCount][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}, {0, 2}, {1, 2}};
    for (int i = 0; i < FieldCount; ++i) {
        const auto [row, pair] = std::pair(positions[i][0], positions[i][1]);
        m_statusGrid->addWidget(m_fieldNames[i], row, 2 * pair);
        if (i == AccuracyField)
            m_statusGrid->addWidget(m_fieldValues[i], row, 2 * pair + 1, 2, 1, Qt::AlignTop);
        else
            m_statusGrid->addWidget(m_fieldValues[i], row, 2 * pair + 1);
    }
    m_fieldValues[AccuracyField]->setWordWrap(true);
    m_statusGrid->setColumnStretch(1, 1);
    m_statusGrid->setColumnStretch(3, 1);
    m_statusGrid->setColumnStretch(5, 2);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_progress);
    layout->addLayout(m_statusGrid);
    return box;
}

QWidget *TrainingPanel::createCurvesPage()
{
    auto *page = new QWidget(this);
    m_logScale = new QCheckBox(page);
    m_resetView = new QPushButton(page);
    m_addRunCurves = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), QString(), page);
    m_curvesHint = dimLabel(page);
    m_curvesHint->setWordWrap(false);
    auto *bar = new QHBoxLayout;
    bar->setSpacing(8);
    bar->addWidget(m_logScale);
    bar->addWidget(m_resetView);
    bar->addWidget(m_addRunCurves);
    bar->addWidget(m_curvesHint, 1);

    // Two columns of plots where there is room, else one, scrolled.
    auto *plots = new QWidget;
    m_plotGrid = new QGridLayout(plots);
    m_plotGrid->setContentsMargins(0, 0, 0, 0);
    m_plotGrid->setSpacing(4);
    for (int i = 0; i < 4; ++i)
        m_plots[i] = new TrainingPlot(static_cast<TrainingPlot::Kind>(i), plots);
    m_plotScroll = new QScrollArea(page);
    m_plotScroll->setWidgetResizable(true);
    m_plotScroll->setFrameShape(QFrame::NoFrame);
    m_plotScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_plotScroll->setWidget(plots);
    m_plotScroll->installEventFilter(this);
    layoutPlots();
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(bar);
    layout->addWidget(m_plotScroll, 1);

    connect(m_logScale, &QCheckBox::toggled, this, [this](bool on) { plot(LossPlot)->setLogScale(on); });
    connect(m_resetView, &QPushButton::clicked, this, &TrainingPanel::resetPlotViews);
    connect(m_addRunCurves, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(
            this, tr("Add a Run"), QSettings().value(kDirKey, runsRoot()).toString());
        if (dir.isEmpty())
            return;
        QSettings().setValue(kDirKey, QFileInfo(dir).absolutePath());
        addRun(dir);
    });
    return page;
}

void TrainingPanel::layoutPlots()
{
    constexpr int kTwoColumnsFrom = 640; // pixels
    const int columns = m_plotScroll->width() >= kTwoColumnsFrom ? 2 : 1;
    if (columns == m_plotColumns)
        return;
    m_plotColumns = columns;
    int cell = 0; // the shown plots fill the grid in order, with no gaps for hidden ones
    for (int i = 0; i < 4; ++i) {
        m_plotGrid->removeWidget(m_plots[i]);
        if (m_plots[i]->isHidden())
            continue;
        m_plotGrid->addWidget(m_plots[i], cell / columns, cell % columns);
        m_plots[i]->setMinimumHeight(columns == 2 ? 170 : 240);
        ++cell;
    }
}

bool TrainingPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_plotScroll && event->type() == QEvent::Resize)
        layoutPlots();
    return QWidget::eventFilter(watched, event);
}

QWidget *TrainingPanel::createSamplesPage()
{
    auto *content = new QWidget;
    m_samplesHeader = new QLabel(content);
    m_samplesHeader->setWordWrap(true);
    m_samples = new SampleGrid(content);
    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 6, 4, 6);
    layout->addWidget(m_samplesHeader);
    layout->addWidget(m_samples);
    layout->addStretch(1);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    return scroll;
}

QWidget *TrainingPanel::createRunsPage()
{
    auto *page = new QWidget(this);
    m_runsLabel = new QLabel(page);
    m_runList = new QListWidget(page);
    m_runList->setObjectName(QStringLiteral("runList"));
    m_addRun = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), QString(), page);
    m_removeRun = new QPushButton(page);
    m_tensorBoard = dimLabel(page);
    m_tensorBoard->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *runButtons = new QHBoxLayout;
    runButtons->addWidget(m_addRun);
    runButtons->addWidget(m_removeRun);
    runButtons->addStretch(1);

    m_checkpointsLabel = new QLabel(page);
    m_checkpointList = new QListWidget(page);
    m_checkpointList->setObjectName(QStringLiteral("checkpointList"));
    m_openInClassify = new QPushButton(page);
    m_openInDiffusion = new QPushButton(page);
    m_openFolder = new QPushButton(style()->standardIcon(QStyle::SP_DirIcon), QString(), page);
    auto *checkpointButtons = new QHBoxLayout;
    checkpointButtons->addWidget(m_openInClassify);
    checkpointButtons->addWidget(m_openInDiffusion);
    checkpointButtons->addWidget(m_openFolder);
    checkpointButtons->addStretch(1);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 0, 0);
    layout->addWidget(m_runsLabel);
    layout->addWidget(m_runList, 1);
    layout->addLayout(runButtons);
    layout->addWidget(m_tensorBoard);
    layout->addSpacing(6);
    layout->addWidget(m_checkpointsLabel);
    layout->addWidget(m_checkpointList, 1);
    layout->addLayout(checkpointButtons);

    connect(m_addRun, &QPushButton::clicked, m_addRunCurves, &QPushButton::click);
    connect(m_removeRun, &QPushButton::clicked, this, [this] {
        if (m_runList->currentRow() >= 0)
            removeRun(m_runList->currentRow());
    });
    connect(m_runList, &QListWidget::currentRowChanged, this, [this](int row) {
        const Run *run = runAt(row);
        m_tensorBoard->setText(run
                ? tr("In TensorBoard: %1")
                      .arg(QStringLiteral("tensorboard --logdir \"%1\"").arg(QDir::toNativeSeparators(run->folder)))
                : QString());
        updateButtons();
    });
    connect(m_checkpointList, &QListWidget::currentRowChanged, this, &TrainingPanel::updateButtons);
    connect(m_checkpointList, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const int row = m_checkpointList->row(item);
        if (item->data(kKindRole).toInt() == DdpmModel)
            openInDiffusion(row);
        else
            openInClassify(row);
    });
    connect(m_openInClassify, &QPushButton::clicked, this, [this] { openInClassify(m_checkpointList->currentRow()); });
    connect(
        m_openInDiffusion, &QPushButton::clicked, this, [this] { openInDiffusion(m_checkpointList->currentRow()); });
    connect(m_openFolder, &QPushButton::clicked, this, [this] {
        if (const QListWidgetItem *item = m_checkpointList->currentItem())
            QDesktopServices::openUrl(QUrl::fromLocalFile(item->data(kFolderRole).toString()));
    });
    return page;
}

// --- the form ------------------------------------------------------------------------------

QString TrainingPanel::runsRoot()
{
    // Beside the app's models and samples ($XDG_DATA_HOME/ModalLens/...), not in Qt's org/app folder.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/ModalLens/runs");
}

QString TrainingPanel::newRunFolder(const QString &preset, ModelKind kind)
{
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    const QString name = kindName(kind);
    QString folder = QStringLiteral("%1/%2-%3-%4").arg(runsRoot(), name, preset, stamp);
    for (int n = 2; QFileInfo::exists(folder); ++n) // two runs started within a second
        folder = QStringLiteral("%1/%2-%3-%4-%5").arg(runsRoot(), name, preset, stamp).arg(n);
    return QDir::toNativeSeparators(folder);
}

TrainingPanel::ModelKind TrainingPanel::modelKind() const
{
    return m_kind->currentIndex() == DdpmModel ? DdpmModel : ClipModel;
}

void TrainingPanel::setModelKind(ModelKind kind)
{
    if (kind != modelKind())
        m_kind->setCurrentIndex(kind); // applyKind() through the signal
}

TrainingPanel::ModelKind TrainingPanel::shownKind() const
{
    return isRunning() ? m_jobKind : modelKind();
}

void TrainingPanel::applyKind(ModelKind kind)
{
    {
        const QSignalBlocker block(m_preset);
        m_preset->clear();
        const auto names = kind == DdpmModel ? ml::ddpmTrainPresets() : ml::clipTrainPresets();
        for (const std::string &name : names)
            m_preset->addItem(QString::fromStdString(name), QString::fromStdString(name));
        // A newcomer starts on tiny (under a minute); mini's recipe takes hours on a laptop.
        const int remembered = m_preset->findData(m_presetOf[kind]);
        const int tiny = m_preset->findData(QStringLiteral("tiny"));
        m_preset->setCurrentIndex(remembered >= 0 ? remembered : std::max(0, tiny));
    }
    m_presetOf[kind] = m_preset->currentData().toString();
    const bool clip = kind == ClipModel;
    constexpr int kUnetRow = 3; // after the preset's hint
    setFormRow(m_modelForm, -1, m_dtypeLabel, m_dtype, clip);
    setFormRow(m_modelForm, kUnetRow, m_unetLabel, m_unet, !clip);
    setFormRow(m_dataForm, 0, m_mixLabel, m_mixBox, clip);
    m_batch->setMinimum(clip ? 2 : 1);
    applyPreset(m_preset->currentData().toString());
    updatePlotVisibility();
    retranslate(); // the texts that name the model
}

void TrainingPanel::applyPreset(const QString &preset)
{
    if (m_resume->isChecked())
        return; // the run being resumed decides
    if (modelKind() == DdpmModel) {
        ml::DdpmTrainRequest r;
        try {
            r = ml::ddpmTrainPresetRequest(preset.toStdString());
        } catch (const std::exception &e) {
            showMessage(QString::fromStdString(e.what()), true);
            return;
        }
        m_steps->setValue(static_cast<int>(*r.steps));
        m_batch->setValue(static_cast<int>(*r.batch));
        m_lr->setText(QLocale().toString(*r.lr, 'g', 6));
        m_seed->setValue(static_cast<int>(*r.seed));
        m_evalEvery->setValue(static_cast<int>(*r.evalEvery));
        m_checkpointEvery->setValue(static_cast<int>(*r.checkpointEvery));
        QStringList channels;
        for (const std::int64_t c : r.blockOutChannels)
            channels << QString::number(c);
        m_unet->setText(tr("block channels %1 · layers per block %2")
                            .arg(channels.join(QStringLiteral(", ")))
                            .arg(*r.layersPerBlock));
        updatePresetHint();
        if (m_folderIsAuto && !isRunning())
            m_folder->setText(newRunFolder(preset, DdpmModel));
        return;
    }
    ml::ClipTrainRequest r;
    try {
        r = ml::clipTrainPresetRequest(preset.toStdString());
    } catch (const std::exception &e) {
        showMessage(QString::fromStdString(e.what()), true);
        return;
    }
    m_steps->setValue(static_cast<int>(*r.steps));
    m_batch->setValue(static_cast<int>(*r.batch));
    m_lr->setText(QLocale().toString(*r.lr, 'g', 6));
    m_seed->setValue(static_cast<int>(*r.seed));
    m_evalEvery->setValue(static_cast<int>(*r.evalEvery));
    m_checkpointEvery->setValue(static_cast<int>(*r.checkpointEvery));
    const double mix[3] = {*r.fashionFraction, *r.singleFraction, *r.multiFraction};
    for (int i = 0; i < 3; ++i)
        m_mix[i]->setValue(static_cast<int>(std::lround(100.0 * mix[i])));
    updatePresetHint();
    if (m_folderIsAuto && !isRunning())
        m_folder->setText(newRunFolder(preset, ClipModel));
}

// " Takes about 25 min on this computer." for a preset's default run; "" when unknown.
QString TrainingPanel::presetDuration(bool ddpm, const QString &preset, qint64 steps, int batch) const
{
    const double seconds = estimateTrainingSeconds(ddpm, preset, steps, batch, ml::Engine::defaultThreads());
    return seconds < 0 ? QString()
                       : QLatin1Char(' ') + tr("Takes %1 on this computer.").arg(formatRoughDuration(seconds));
}

void TrainingPanel::updatePresetHint()
{
    if (modelKind() == DdpmModel) {
        try {
            const auto r = ml::ddpmTrainPresetRequest(m_preset->currentData().toString().toStdString());
            m_presetHint->setText(tr("A denoising UNet for Fashion-MNIST at 32 × 32; by default %1 steps of %2 "
                                     "images, samples drawn with %3 DDIM steps.")
                                      .arg(QLocale().toString(static_cast<qint64>(*r.steps)))
                                      .arg(*r.batch)
                                      .arg(*r.sampleSteps)
                + presetDuration(true, m_preset->currentData().toString(), *r.steps, static_cast<int>(*r.batch)));
        } catch (const std::exception &) {
            m_presetHint->clear();
        }
        return;
    }
    try {
        const auto r = ml::clipTrainPresetRequest(m_preset->currentData().toString().toStdString());
        m_presetHint->setText(tr("Vision tower %1 wide × %2 layers; by default %3 steps of %4 images.")
                                  .arg(*r.width)
                                  .arg(*r.layers)
                                  .arg(QLocale().toString(static_cast<qint64>(*r.steps)))
                                  .arg(*r.batch)
            + presetDuration(false, m_preset->currentData().toString(), *r.steps, static_cast<int>(*r.batch)));
    } catch (const std::exception &) {
        m_presetHint->clear();
    }
}

void TrainingPanel::onResumeToggled(bool on)
{
    if (on) {
        // Just after a run, "continue" means that run.
        if (!QFileInfo::exists(QDir(cleanFolder(m_folder->text())).filePath(kStateFile)) && !m_runFolder.isEmpty()
            && QFileInfo::exists(QDir(m_runFolder).filePath(kStateFile)))
            m_folder->setText(QDir::toNativeSeparators(m_runFolder));
        m_folderIsAuto = false;
        QString error;
        if (loadRunState(cleanFolder(m_folder->text()), &error))
            clearMessage();
        else
            showMessage(error, true);
    } else {
        m_resumeHint->setText(tr("A fresh run writes its checkpoint, metrics.jsonl and TensorBoard events here."));
        m_folderIsAuto = true;
        applyPreset(m_preset->currentData().toString());
        clearMessage();
    }
    setFormLocked(isRunning());
    updatePlotVisibility();
}

bool TrainingPanel::loadRunState(const QString &folder, QString *error)
{
    ModelKind kind = ClipModel;
    const auto state = readRunState(folder, error, &kind);
    if (!state) {
        m_resumeHint->setText(*error);
        return false;
    }
    setModelKind(kind); // the run decides what it trains; the preset stays as the run has it
    const QJsonObject config = state->value(QStringLiteral("config")).toObject();
    const qint64 step = state->value(QStringLiteral("step")).toInteger();
    const QString preset = config.value(QStringLiteral("preset")).toString();
    {
        const QSignalBlocker block(m_preset);
        m_preset->setCurrentIndex(std::max(0, m_preset->findData(preset)));
    }
    updatePresetHint();
    const qint64 total = config.value(QStringLiteral("steps")).toInteger();
    m_steps->setValue(static_cast<int>(std::max(total, step + 1)));
    m_batch->setValue(config.value(QStringLiteral("batch")).toInt());
    m_lr->setText(QLocale().toString(config.value(QStringLiteral("lr")).toDouble(), 'g', 6));
    m_seed->setValue(static_cast<int>(config.value(QStringLiteral("seed")).toInteger()));
    m_evalEvery->setValue(config.value(QStringLiteral("eval_every")).toInt());
    m_checkpointEvery->setValue(config.value(QStringLiteral("checkpoint_every")).toInt());
    if (kind == DdpmModel) {
        QStringList channels;
        for (const QJsonValue c : config.value(QStringLiteral("block_out_channels")).toArray())
            channels << QString::number(c.toInteger());
        m_unet->setText(tr("block channels %1 · layers per block %2")
                            .arg(channels.join(QStringLiteral(", ")))
                            .arg(config.value(QStringLiteral("layers_per_block")).toInteger()));
    } else {
        const QJsonObject mix = config.value(QStringLiteral("mix")).toObject();
        const char *keys[3] = {"fashion_mnist", "shapes_single", "shapes_multi"};
        for (int i = 0; i < 3; ++i)
            m_mix[i]->setValue(static_cast<int>(std::lround(100.0 * mix.value(QLatin1String(keys[i])).toDouble())));
    }
    m_resumeHint->setText(
        (kind == DdpmModel ? tr("The run (%1) is at step %2 of %3. It continues with its own settings; only the steps "
                                "and the sample-grid and checkpoint cadence can change.")
                           : tr("The run (%1) is at step %2 of %3. It continues with its own settings; only the steps "
                                "and the evaluation and checkpoint cadence can change."))
            .arg(preset, QLocale().toString(step), QLocale().toString(total)));
    return true;
}

void TrainingPanel::setFormLocked(bool running)
{
    const bool resume = m_resume->isChecked();
    for (QWidget *w :
        std::initializer_list<QWidget *> {m_kind, m_preset, m_batch, m_lr, m_seed, m_mix[0], m_mix[1], m_mix[2]})
        w->setEnabled(!running && !resume);
    for (QWidget *w : std::initializer_list<QWidget *> {m_steps, m_evalEvery, m_checkpointEvery, m_dtype, m_fashionDir,
             m_fashionBrowse, m_folder, m_folderBrowse, m_resume})
        w->setEnabled(!running);
}

void TrainingPanel::updateHints()
{
    const QString native = ml::cpuHasNativeBf16() ? QStringLiteral("bf16") : QStringLiteral("fp32");
    m_dtype->setItemText(0, tr("auto (%1 on this processor)").arg(native));
    const QString dir = m_fashionDir->text().trimmed().isEmpty()
        ? QString::fromStdString(ml::fashionMnistDefaultFolder())
        : cleanFolder(m_fashionDir->text());
    const bool found = ml::fashionMnistAvailable(dir.toStdString());
    if (modelKind() == DdpmModel)
        m_fashionHint->setText(found ? tr("Found: the model learns to draw its 60,000 training images.")
                                     : tr("Not found there: DDPM training needs it (Debian's dataset-fashion-mnist "
                                          "package installs it)."));
    else
        m_fashionHint->setText(found
                ? tr("Found: used for training and for the held-out Fashion-MNIST accuracy.")
                : tr("Not found there: the Fashion-MNIST share goes to Shapes World (Debian's dataset-fashion-mnist "
                     "package installs it)."));
}

std::optional<TrainingPanel::FormValues> TrainingPanel::checkForm()
{
    clearMessage();
    const ModelKind kind = modelKind();
    const QString folder = cleanFolder(m_folder->text());
    const bool resume = m_resume->isChecked();
    if (folder.isEmpty()) {
        showMessage(tr("Choose a run folder."), true);
        return std::nullopt;
    }
    if (m_steps->value() < 1) {
        showMessage(tr("Steps must be at least 1."), true);
        return std::nullopt;
    }
    bool ok = false;
    double lr = QLocale().toDouble(m_lr->text().trimmed(), &ok);
    if (!ok)
        lr = QLocale::c().toDouble(m_lr->text().trimmed(), &ok);
    if (!resume && (!ok || !(lr > 0.0) || lr > 1.0)) {
        showMessage(tr("The learning rate must be a number above 0 and at most 1, such as 0.001."), true);
        return std::nullopt;
    }
    if (kind == ClipModel && !resume && m_mix[0]->value() + m_mix[1]->value() + m_mix[2]->value() == 0) {
        showMessage(tr("The data mix needs at least one share above 0 %."), true);
        return std::nullopt;
    }
    if (kind == DdpmModel) {
        const QString fashion = m_fashionDir->text().trimmed().isEmpty()
            ? QString::fromStdString(ml::fashionMnistDefaultFolder())
            : cleanFolder(m_fashionDir->text());
        if (!ml::fashionMnistAvailable(fashion.toStdString())) {
            showMessage(tr("DDPM training needs Fashion-MNIST, which is not in %1: install Debian's "
                           "dataset-fashion-mnist package or choose the folder that holds it.")
                            .arg(QDir::toNativeSeparators(fashion)),
                true);
            return std::nullopt;
        }
    }
    const QString native = QDir::toNativeSeparators(folder);
    if (resume) {
        QString error;
        ModelKind stateKind = ClipModel;
        const auto state = readRunState(folder, &error, &stateKind);
        if (!state) {
            showMessage(error, true);
            return std::nullopt;
        }
        if (stateKind != kind) {
            showMessage(stateKind == DdpmModel
                    ? tr("%1 holds a DDPM run: choose DDPM as the model to continue it.").arg(native)
                    : tr("%1 holds a CLIP run: choose CLIP as the model to continue it.").arg(native),
                true);
            return std::nullopt;
        }
        const qint64 done = state->value(QStringLiteral("step")).toInteger();
        if (m_steps->value() <= done) {
            showMessage(tr("The run in %1 already did %2 steps: set Steps above %2 to train further.")
                            .arg(native, QLocale().toString(done)),
                true);
            return std::nullopt;
        }
        m_startStep = done;
    } else {
        if (QFileInfo::exists(QDir(folder).filePath(kStateFile))) {
            showMessage(tr("%1 already holds a training run. Tick “Continue the run in this folder” to resume it, or "
                           "choose another folder.")
                            .arg(native),
                true);
            return std::nullopt;
        }
        if (QFileInfo::exists(folder) && !QFileInfo(folder).isDir()) {
            showMessage(tr("%1 is a file, not a folder.").arg(native), true);
            return std::nullopt;
        }
        if (!QDir().mkpath(folder)) {
            showMessage(tr("Cannot create the run folder %1.").arg(native), true);
            return std::nullopt;
        }
        m_startStep = 0;
    }
    {
        QTemporaryFile probe(QDir(folder).filePath(QStringLiteral(".write-test-XXXXXX")));
        if (!probe.open()) {
            showMessage(tr("Cannot write to the run folder %1.").arg(native), true);
            return std::nullopt;
        }
    }
    return FormValues {folder, resume, lr};
}

std::optional<ml::ClipTrainRequest> TrainingPanel::prepare()
{
    const auto form = checkForm();
    if (!form)
        return std::nullopt;
    const bool resume = form->resume;
    ml::ClipTrainRequest r;
    r.outDir = form->folder.toStdString();
    r.resume = resume;
    r.steps = m_steps->value();
    r.evalEvery = m_evalEvery->value();
    r.checkpointEvery = m_checkpointEvery->value();
    r.fashionMnistDir = cleanFolder(m_fashionDir->text()).toStdString();
    r.dtype = m_dtype->currentData().toString().toStdString();
    if (!resume) { // a resumed run keeps its own; the trainer refuses others
        r.preset = m_preset->currentData().toString().toStdString();
        r.batch = m_batch->value();
        r.lr = form->lr;
        r.seed = m_seed->value();
        const double sum = m_mix[0]->value() + m_mix[1]->value() + m_mix[2]->value();
        r.fashionFraction = m_mix[0]->value() / sum;
        r.singleFraction = m_mix[1]->value() / sum;
        r.multiFraction = m_mix[2]->value() / sum;
    }
    return r;
}

std::optional<ml::DdpmTrainRequest> TrainingPanel::prepareDdpm()
{
    const auto form = checkForm();
    if (!form)
        return std::nullopt;
    ml::DdpmTrainRequest r;
    r.outDir = form->folder.toStdString();
    r.resume = form->resume;
    r.steps = m_steps->value();
    r.evalEvery = m_evalEvery->value();
    r.checkpointEvery = m_checkpointEvery->value();
    r.fashionMnistDir = cleanFolder(m_fashionDir->text()).toStdString();
    if (!form->resume) { // a resumed run keeps its own; the trainer refuses others
        r.preset = m_preset->currentData().toString().toStdString();
        r.batch = m_batch->value();
        r.lr = form->lr;
        r.seed = m_seed->value();
    }
    return r;
}

void TrainingPanel::showMessage(const QString &text, bool error)
{
    m_messageIsError = error;
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!text.isEmpty());
}

void TrainingPanel::clearMessage()
{
    showMessage(QString(), false);
}

QString TrainingPanel::message() const
{
    return m_message->text();
}

// --- the job -------------------------------------------------------------------------------

quint64 TrainingPanel::start()
{
    if (isRunning()) {
        showMessage(tr("A run is already going: stop it first."), true);
        return 0;
    }
    const ModelKind kind = modelKind();
    std::optional<ml::ClipTrainRequest> clip;
    std::optional<ml::DdpmTrainRequest> ddpm;
    if (kind == DdpmModel)
        ddpm = prepareDdpm();
    else
        clip = prepare();
    if (!clip && !ddpm)
        return 0;
    m_control = std::make_shared<ml::TrainControl>();
    if (clip)
        clip->control = m_control;
    else
        ddpm->control = m_control;
    m_jobKind = kind;
    const bool resume = clip ? clip->resume : ddpm->resume;
    m_runFolder = QString::fromStdString(clip ? clip->outDir : ddpm->outDir);
    m_step = m_startStep;
    m_totalSteps = *(clip ? clip->steps : ddpm->steps); // the form always sets them
    m_lastMetric.reset();
    m_etaSeconds = -1.0;
    m_stepsPerS = m_imagesPerS = 0.0;
    m_lastAccuracy = {};
    m_outcome = Outcome::None;
    m_stopping = false;
    m_sawCheckpoint = false;
    m_stage.clear();
    m_sampleGridFile.clear();
    m_openResult->hide();
    if (clip)
        m_dtypeUsed = clip->dtype == "auto" ? (ml::cpuHasNativeBf16() ? QStringLiteral("bf16") : QStringLiteral("fp32"))
                                            : QString::fromStdString(clip->dtype);
    else
        m_dtypeUsed = QStringLiteral("fp32"); // the DDPM trainer's only precision

    // The live curve: the folder's entry if it is listed (a resumed or a loaded run), else a new one.
    int row = -1;
    for (int i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].folder == m_runFolder)
            row = i;
    if (row < 0)
        row = addRunEntry(QFileInfo(m_runFolder).fileName(), m_runFolder, true);
    Run &run = m_runs[row];
    if (!run.metricsFile.isEmpty())
        m_watcher->removePath(run.metricsFile);
    run.live = true;
    run.metricsFile.clear();
    run.lastStep = m_startStep;
    m_liveRun = run.id;
    for (TrainingPlot *p : m_plots)
        p->clearRun(run.id);
    if (resume) {
        QString error; // the curve so far: what the trainer keeps of metrics.jsonl on resume
        run.metricsFile = QDir(m_runFolder).filePath(kMetricsFile);
        readMetrics(run, m_startStep, &error);
        run.metricsFile.clear();
    }
    updateRunItem(row);
    m_runList->setCurrentRow(row);
    m_samples->clear();
    m_samples->setLabelled(kind == ClipModel);
    m_samplesHeader->setText(
        kind == ClipModel ? tr("Waiting for the first evaluation…") : tr("Waiting for the first sample grid…"));

    if (clip) {
        const bool fashion = ml::fashionMnistAvailable(
            clip->fashionMnistDir.empty() ? ml::fashionMnistDefaultFolder() : clip->fashionMnistDir);
        m_job = m_bridge->submit(ml::makeClipTrainJob(std::move(*clip)));
        if (!fashion)
            showMessage(
                tr("Fashion-MNIST was not found, so this run trains and evaluates on Shapes World only."), false);
    } else {
        m_job = m_bridge->submit(ml::makeDdpmTrainJob(std::move(*ddpm)));
    }
    setFormLocked(true);
    updatePlotVisibility();
    m_tabs->setCurrentIndex(CurvesTab);
    updateButtons();
    updateStatus();
    return m_job;
}

double TrainingPanel::estimatedSeconds() const
{
    return estimateTrainingSeconds(modelKind() == DdpmModel, m_preset->currentData().toString(), m_steps->value(),
        m_batch->value(), ml::Engine::defaultThreads());
}

void TrainingPanel::requestStart()
{
    if (m_longRun)
        return; // already asking
    const double seconds = estimatedSeconds();
    // A resumed run is one the user knows already; start() refuses a second run with a message.
    if (isRunning() || m_resume->isChecked() || seconds < kAskBeforeRunSeconds) {
        start();
        return;
    }
    m_longRun = askBeforeLongRun(
        this, m_preset->currentData().toString(), m_steps->value(), seconds, ml::Engine::defaultThreads());
    connect(m_longRun, &QMessageBox::finished, this, [this](int answer) {
        if (answer == QMessageBox::Yes)
            start();
    });
    m_longRun->open();
}

void TrainingPanel::togglePause()
{
    if (!isRunning() || !m_control || m_stopping)
        return;
    if (m_control->pauseRequested())
        m_control->resume();
    else
        m_control->pause();
    updateButtons();
    updateStatus();
}

void TrainingPanel::stop()
{
    if (!isRunning() || !m_control)
        return;
    m_control->stop();
    m_stopping = true;
    updateButtons();
    updateStatus();
}

bool TrainingPanel::isPaused() const
{
    return m_control && m_control->isPaused();
}

bool TrainingPanel::isPauseRequested() const
{
    return m_control && m_control->pauseRequested();
}

void TrainingPanel::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta)
{
    if (id != m_job)
        return;
    m_stage = stage;
    if (total > 0)
        m_etaSeconds = eta;
    if (total > 0 && stage == QLatin1String("training"))
        m_step = std::max(m_step, m_startStep + done);
    updateButtons();
    updateStatus();
}

void TrainingPanel::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (id != m_job)
        return;
    if (kind == kMetric) {
        if (const auto m = engineValue<ml::TrainMetric>(value))
            addMetric(*m);
    } else if (kind == kSamples) {
        if (const auto s = engineValue<ml::TrainSamples>(value))
            addSamples(*s);
    } else if (kind == kSampleGrid) {
        if (const auto g = engineValue<ml::DdpmSampleGrid>(value))
            addSampleGrid(*g);
    } else if (kind == kCheckpoint) {
        m_sawCheckpoint = true;
        addCheckpoint(value.toString());
    }
}

void TrainingPanel::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id != m_job)
        return;
    m_job = 0;
    m_control.reset();
    m_stopping = false;
    const QString folder = QDir::toNativeSeparators(m_runFolder);
    // What both trainers' results say about the run.
    struct Outline {
        bool stopped;
        qint64 steps, totalSteps, startStep;
        double seconds;
        std::vector<std::string> warnings;
    };
    std::optional<Outline> outline;
    if (const auto clip = engineValue<ml::ClipTrainResult>(value)) {
        outline
            = Outline {clip->stopped, clip->steps, clip->totalSteps, clip->startStep, clip->seconds, clip->warnings};
        m_dtypeUsed = QString::fromStdString(clip->dtype);
    } else if (const auto ddpm = engineValue<ml::DdpmTrainResult>(value)) {
        outline
            = Outline {ddpm->stopped, ddpm->steps, ddpm->totalSteps, ddpm->startStep, ddpm->seconds, ddpm->warnings};
    }
    if (ok && outline) {
        const Outline &result = *outline;
        m_outcome = result.stopped ? Outcome::Stopped : Outcome::Finished;
        m_step = result.steps;
        m_totalSteps = result.totalSteps;
        QString text = result.stopped
            ? tr("Stopped at step %1 of %2; the checkpoint is in %3.")
                  .arg(QLocale().toString(m_step), QLocale().toString(m_totalSteps), folder)
            : tr("Finished %1 steps in %2; the model is in %3.")
                  .arg(QLocale().toString(m_step - result.startStep), formatDuration(result.seconds), folder);
        for (const std::string &w : result.warnings)
            text += QLatin1Char('\n') + QString::fromStdString(w);
        showMessage(text, false);
    } else if (cancelled) {
        m_outcome = Outcome::Cancelled;
        showMessage(m_sawCheckpoint ? tr("Cancelled at step %1; the checkpoint of that step is in %2.")
                                          .arg(QLocale().toString(m_step), folder)
                                    : tr("Cancelled before the first checkpoint."),
            false);
    } else {
        m_outcome = Outcome::Failed;
        showMessage(tr("Training failed: %1").arg(error), true);
    }
    if (holdsCheckpoint(m_runFolder))
        addCheckpoint(m_runFolder);
    m_openResult->setVisible(m_jobKind == DdpmModel && checkpointKind(m_runFolder) == DdpmModel);

    const int row = rowOfRun(m_liveRun);
    if (Run *run = runAt(row)) {
        run->live = false;
        run->lastStep = std::max(run->lastStep, m_step);
        updateRunItem(row);
    }
    m_liveRun = -1;
    // The folder now holds a run: a fresh start needs a fresh folder (Resume brings this one back).
    if (!m_resume->isChecked() && cleanFolder(m_folder->text()) == m_runFolder) {
        m_folderIsAuto = true;
        m_folder->setText(newRunFolder(m_preset->currentData().toString(), modelKind()));
    }
    setFormLocked(false);
    updatePlotVisibility();
    updateButtons();
    updateStatus();
}

void TrainingPanel::addMetric(const ml::TrainMetric &m)
{
    m_lastMetric = m;
    if (m.stepsPerS > 0.0) {
        m_stepsPerS = m.stepsPerS;
        m_imagesPerS = m.imagesPerS;
    }
    m_step = m.step;
    m_totalSteps = m.totalSteps;
    const int row = rowOfRun(m_liveRun);
    Run *run = runAt(row);
    if (!run)
        return;
    const auto step = static_cast<double>(m.step);
    if (m.stepsPerS > 0.0) { // a metric with training steps since the last one, as metrics.jsonl logs it
        plot(LossPlot)->addPoint(run->id, 0, step, m.loss);
        plot(LearningRatePlot)->addPoint(run->id, 0, step, m.lr);
        if (m_jobKind == ClipModel) // DDPM has no temperature
            plot(TemperaturePlot)->addPoint(run->id, 0, step, m.temperature);
    }
    if (m.evaluated) {
        m_lastAccuracy = m.evaluation;
        if (m_jobKind == ClipModel && m_samples->step() == m.step)
            updateClipSamplesHeader(); // the samples came first; now their step's accuracy
        const double acc[3] = {m.evaluation.shapes, m.evaluation.shapesHeldOut, m.evaluation.fashion};
        for (int s = 0; s < 3; ++s)
            if (acc[s] >= 0.0)
                plot(AccuracyPlot)->addPoint(run->id, s, step, acc[s]);
    }
    run->lastStep = m.step;
    updateRunItem(row);
    updateStatus();
}

void TrainingPanel::addSamples(const ml::TrainSamples &samples)
{
    const QString step = QLocale().toString(static_cast<qint64>(samples.step));
    if (m_jobKind == DdpmModel) { // generated images: nothing to label
        QList<SampleGrid::Sample> cells;
        for (const ml::TrainSample &s : samples.samples)
            cells.append({toQImage(s.image), QString(), QString(), 0.0});
        m_samples->setLabelled(false);
        m_samples->setSamples(samples.step, std::move(cells));
        m_samplesHeader->setText(tr("Samples the model draws at step %1, from the same starting noise at every sample "
                                    "grid so that they can be compared.")
                                     .arg(step));
        return;
    }
    m_samples->setLabelled(true);
    QList<SampleGrid::Sample> cells;
    for (const ml::TrainSample &s : samples.samples)
        cells.append({toQImage(s.image), QString::fromStdString(s.trueLabel), QString::fromStdString(s.predictedLabel),
            static_cast<double>(s.prob)});
    m_samples->setSamples(samples.step, std::move(cells));
    updateClipSamplesHeader();
}

void TrainingPanel::updateClipSamplesHeader()
{
    QString header = tr("Held-out samples at step %1: the model's top guess is right for %2 of these %3.")
                         .arg(QLocale().toString(m_samples->step()))
                         .arg(m_samples->correctCount())
                         .arg(m_samples->samples().size());
    if (const QString acc = formatHeldOutAccuracy(m_lastAccuracy); !acc.isEmpty())
        header += QLatin1Char(' ') + tr("On the whole held-out set: %1.").arg(acc);
    m_samplesHeader->setText(header);
}

void TrainingPanel::addSampleGrid(const ml::DdpmSampleGrid &grid)
{
    if (grid.file.empty())
        return;
    m_sampleGridFile = QString::fromStdString(grid.file);
    m_samplesHeader->setText(m_samplesHeader->text() + QLatin1Char(' ')
        + tr("Saved in the run folder as %1.")
              .arg(QDir::toNativeSeparators(QDir(m_runFolder).relativeFilePath(m_sampleGridFile))));
}

void TrainingPanel::addCheckpoint(const QString &path)
{
    const QString folder = cleanFolder(path);
    QString state;
    const auto json = readRunState(folder, &state);
    const qint64 step = json ? json->value(QStringLiteral("step")).toInteger() : m_step;
    const ModelKind kind = checkpointKind(folder).value_or(ClipModel);
    const QDateTime saved
        = QFileInfo(QDir(folder).filePath(kind == DdpmModel ? kDdpmWeights : kClipWeights)).lastModified();
    const QString text = tr("%1 · step %2 · saved %3")
                             .arg(QFileInfo(folder).fileName(), QLocale().toString(step),
                                 QLocale().toString(saved, QLocale::ShortFormat));
    QListWidgetItem *item = nullptr;
    for (int row = 0; row < m_checkpointList->count(); ++row)
        if (m_checkpointList->item(row)->data(kFolderRole).toString() == folder)
            item = m_checkpointList->item(row);
    if (!item) {
        item = new QListWidgetItem(style()->standardIcon(QStyle::SP_DriveHDIcon), QString(), m_checkpointList);
        item->setData(kFolderRole, folder);
        item->setToolTip(QDir::toNativeSeparators(folder));
    }
    item->setData(kKindRole, int(kind));
    item->setText(text);
    m_checkpointList->setCurrentItem(item);
    updateButtons();
}

QStringList TrainingPanel::checkpoints() const
{
    QStringList folders;
    for (int row = 0; row < m_checkpointList->count(); ++row)
        folders << m_checkpointList->item(row)->data(kFolderRole).toString();
    return folders;
}

bool TrainingPanel::openInClassify(int row)
{
    const QListWidgetItem *item = m_checkpointList->item(row);
    if (!item || item->data(kKindRole).toInt() != ClipModel)
        return false;
    Q_EMIT openInClassifyRequested(item->data(kFolderRole).toString());
    return true;
}

bool TrainingPanel::openInDiffusion(int row)
{
    const QListWidgetItem *item = m_checkpointList->item(row);
    if (!item || item->data(kKindRole).toInt() != DdpmModel)
        return false;
    Q_EMIT openInDiffusionRequested(item->data(kFolderRole).toString());
    return true;
}

// --- runs ----------------------------------------------------------------------------------

QColor TrainingPanel::nextColour() const
{
    for (const QColor &c : kRunColours)
        if (std::none_of(m_runs.begin(), m_runs.end(), [&c](const Run &r) { return r.colour == c; }))
            return c;
    return kRunColours[m_runs.size() % std::size(kRunColours)];
}

int TrainingPanel::addRunEntry(const QString &name, const QString &folder, bool live)
{
    Run run;
    run.id = m_nextRunId++;
    run.name = name;
    run.folder = folder;
    run.colour = nextColour();
    run.live = live;
    for (TrainingPlot *p : m_plots)
        p->setRun(run.id, run.name, run.colour);
    m_runs.append(run);
    new QListWidgetItem(m_runList);
    updateRunItem(static_cast<int>(m_runs.size()) - 1);
    return static_cast<int>(m_runs.size()) - 1;
}

TrainingPanel::Run *TrainingPanel::runAt(int row)
{
    return row >= 0 && row < m_runs.size() ? &m_runs[row] : nullptr;
}

int TrainingPanel::rowOfRun(int id) const
{
    for (int row = 0; row < m_runs.size(); ++row)
        if (m_runs[row].id == id)
            return row;
    return -1;
}

int TrainingPanel::runCount() const
{
    return static_cast<int>(m_runs.size());
}

QString TrainingPanel::runName(int row) const
{
    return row >= 0 && row < m_runs.size() ? m_runs[row].name : QString();
}

void TrainingPanel::updateRunItem(int row)
{
    const Run *run = runAt(row);
    QListWidgetItem *item = m_runList->item(row);
    if (!run || !item)
        return;
    const QString step = QLocale().toString(run->lastStep);
    item->setText(
        run->live ? tr("%1 · step %2 · training").arg(run->name, step) : tr("%1 · step %2").arg(run->name, step));
    item->setIcon(swatch(run->colour));
    item->setToolTip(QDir::toNativeSeparators(run->folder));
    item->setData(kFolderRole, run->folder);
}

bool TrainingPanel::addRun(const QString &path)
{
    clearMessage();
    const QFileInfo info(cleanFolder(path));
    QString folder, file;
    if (info.isDir()) {
        folder = info.absoluteFilePath();
        file = QDir(folder).filePath(kMetricsFile);
    } else if (info.isFile()) {
        folder = info.absolutePath();
        file = info.absoluteFilePath();
    } else {
        showMessage(tr("%1 does not exist.").arg(QDir::toNativeSeparators(path)), true);
        return false;
    }
    if (!QFileInfo(file).isFile()) {
        showMessage(
            tr("%1 holds no %2: not a training run folder.").arg(QDir::toNativeSeparators(folder), kMetricsFile), true);
        return false;
    }
    for (int row = 0; row < m_runs.size(); ++row)
        if (m_runs[row].folder == folder) {
            m_runList->setCurrentRow(row);
            showMessage(tr("%1 is already plotted.").arg(m_runs[row].name), false);
            return true;
        }
    const int row = addRunEntry(QFileInfo(folder).fileName(), folder, false);
    Run &run = m_runs[row];
    run.metricsFile = file;
    QString error;
    if (!readMetrics(run, -1, &error)) {
        removeRun(row);
        showMessage(error, true);
        return false;
    }
    updateRunItem(row);
    m_watcher->addPath(file);
    m_runList->setCurrentRow(row);
    if (holdsCheckpoint(folder))
        addCheckpoint(folder);
    updatePlotVisibility();
    return true;
}

void TrainingPanel::removeRun(int row)
{
    const Run *run = runAt(row);
    if (!run)
        return;
    if (run->live && isRunning()) {
        showMessage(tr("The run being trained stays plotted until it ends."), true);
        return;
    }
    for (TrainingPlot *p : m_plots)
        p->removeRun(run->id);
    if (!run->metricsFile.isEmpty())
        m_watcher->removePath(run->metricsFile);
    m_runs.removeAt(row);
    delete m_runList->takeItem(row);
    updatePlotVisibility();
    updateButtons();
}

bool TrainingPanel::readMetrics(Run &run, qint64 upToStep, QString *error)
{
    QFile file(run.metricsFile);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = tr("Cannot read %1.").arg(QDir::toNativeSeparators(run.metricsFile));
        return false;
    }
    for (TrainingPlot *p : m_plots)
        p->clearRun(run.id);
    int lines = 0, good = 0;
    run.lastStep = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (line.isEmpty())
            continue;
        ++lines;
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        const QJsonObject obj = doc.object();
        if (!doc.isObject() || !obj.value(QStringLiteral("step")).isDouble())
            continue; // a line being written right now, say
        ++good;
        const qint64 step = obj.value(QStringLiteral("step")).toInteger();
        if (upToStep >= 0 && step > upToStep)
            continue;
        addJsonPoints(run, obj);
        run.lastStep = std::max(run.lastStep, step);
    }
    if (lines > 1 && good == 0) {
        *error = tr("%1 is not a metrics file (no line holds a step).").arg(QDir::toNativeSeparators(run.metricsFile));
        return false;
    }
    return true;
}

void TrainingPanel::addJsonPoints(const Run &run, const QJsonObject &line)
{
    const double step = line.value(QStringLiteral("step")).toDouble();
    const struct {
        const char *key;
        Plot plot;
        int series;
    } fields[] = {{"loss", LossPlot, 0}, {"lr", LearningRatePlot, 0}, {"temperature", TemperaturePlot, 0},
        {"shapes_acc", AccuracyPlot, 0}, {"shapes_held_out_acc", AccuracyPlot, 1}, {"fashion_acc", AccuracyPlot, 2}};
    for (const auto &f : fields) {
        const QJsonValue v = line.value(QLatin1String(f.key));
        if (v.isDouble())
            plot(f.plot)->addPoint(run.id, f.series, step, v.toDouble());
    }
}

int TrainingPanel::plotGraphCount(Plot which) const
{
    return plot(which)->visibleGraphCount();
}

int TrainingPanel::plotPointCount(Plot which, int runRow, int series) const
{
    if (runRow < 0 || runRow >= m_runs.size())
        return 0;
    return plot(which)->pointCount(m_runs[runRow].id, series);
}

bool TrainingPanel::plotLogScale(Plot which) const
{
    return plot(which)->logScale();
}

bool TrainingPanel::plotFollowsData(Plot which) const
{
    return plot(which)->followsData();
}

void TrainingPanel::resetPlotViews()
{
    for (TrainingPlot *p : m_plots)
        p->resetView();
}

void TrainingPanel::updatePlotVisibility()
{
    // DDPM logs neither accuracy nor temperature: those plots show only for CLIP, or while a
    // plotted run (a loaded CLIP run, say) has points there.
    const bool clip = shownKind() == ClipModel;
    bool changed = false;
    for (const Plot which : {AccuracyPlot, TemperaturePlot}) {
        const bool show = clip || plot(which)->visibleGraphCount() > 0;
        if (plot(which)->isHidden() == show) {
            plot(which)->setVisible(show);
            changed = true;
        }
    }
    if (changed) {
        m_plotColumns = 0;
        layoutPlots();
    }
}

bool TrainingPanel::isPlotShown(Plot which) const
{
    return !plot(which)->isHidden();
}

// --- status --------------------------------------------------------------------------------

QString TrainingPanel::stateText() const
{
    if (isRunning()) {
        if (m_stopping)
            return m_jobKind == DdpmModel ? tr("Stopping: drawing samples and saving a checkpoint…")
                                          : tr("Stopping: evaluating and saving a checkpoint…");
        if (isPaused())
            return tr("Paused");
        if (isPauseRequested())
            return tr("Pausing after this step…");
        if (m_stage == QLatin1String("loading data"))
            return tr("Loading the data…");
        if (m_stage == QLatin1String("learning the tokenizer"))
            return tr("Learning the tokenizer…");
        if (m_stage == QLatin1String("preparing the evaluation set"))
            return tr("Preparing the held-out set…");
        if (m_stage == QLatin1String("evaluating"))
            return tr("Evaluating on the held-out set…");
        if (m_stage == QLatin1String("sampling"))
            return tr("Drawing the sample grid…");
        if (m_stage == QLatin1String("saving checkpoint"))
            return tr("Saving a checkpoint…");
        if (m_stage == QLatin1String("training"))
            return tr("Training");
        return tr("Starting…");
    }
    switch (m_outcome) {
    case Outcome::Finished:
        return tr("Finished");
    case Outcome::Stopped:
        return tr("Stopped");
    case Outcome::Cancelled:
        return tr("Cancelled");
    case Outcome::Failed:
        return tr("Failed");
    case Outcome::None:
        break;
    }
    return tr("Ready");
}

void TrainingPanel::updateButtons()
{
    const bool running = isRunning();
    m_start->setEnabled(!running);
    m_pause->setEnabled(running && !m_stopping);
    m_stop->setEnabled(running && !m_stopping);
    const bool resumeNext = isPauseRequested();
    m_pause->setText(resumeNext ? tr("Resume") : tr("Pause"));
    m_pause->setIcon(style()->standardIcon(resumeNext ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    const Run *run = runAt(m_runList->currentRow());
    m_removeRun->setEnabled(run && !(run->live && running));
    const QListWidgetItem *checkpoint = m_checkpointList->currentItem();
    const int checkpointKind = checkpoint ? checkpoint->data(kKindRole).toInt() : -1;
    m_openInClassify->setEnabled(checkpointKind == ClipModel);
    m_openInDiffusion->setEnabled(checkpointKind == DdpmModel);
    m_openFolder->setEnabled(checkpoint != nullptr);
}

void TrainingPanel::updateStatus()
{
    const QLocale locale;
    const QString none = QStringLiteral("–");
    const bool running = isRunning();
    m_state->setText(stateText());
    m_progress->setRange(0, static_cast<int>(std::max<qint64>(1, m_totalSteps)));
    m_progress->setValue(static_cast<int>(std::min(m_step, std::max<qint64>(1, m_totalSteps))));
    m_progress->setFormat(m_totalSteps > 0 ? QStringLiteral("%v / %m") : QString());
    m_progress->setEnabled(running || m_totalSteps > 0);

    const ml::TrainMetric *m = m_lastMetric ? &*m_lastMetric : nullptr;
    m_fieldValues[StepField]->setText(m_totalSteps > 0
            ? QStringLiteral("%1 / %2").arg(locale.toString(m_step), locale.toString(m_totalSteps))
            : none);
    m_fieldValues[LossField]->setText(m ? locale.toString(m->loss, 'f', 4) : none);
    m_fieldValues[StepsPerSField]->setText(m_stepsPerS > 0 ? locale.toString(m_stepsPerS, 'f', 1) : none);
    m_fieldValues[ImagesPerSField]->setText(m_imagesPerS > 0 ? locale.toString(m_imagesPerS, 'f', 0) : none);
    m_fieldValues[EtaField]->setText(running && m_etaSeconds >= 0 ? formatDuration(m_etaSeconds) : none);
    m_fieldValues[ElapsedField]->setText(m ? formatDuration(m->elapsedSeconds) : none);
    m_fieldValues[DtypeField]->setText(m_dtypeUsed.isEmpty() ? none : m_dtypeUsed);
    const QString acc = formatHeldOutAccuracy(m_lastAccuracy);
    m_fieldValues[AccuracyField]->setText(acc.isEmpty() ? none : acc);
    const bool clip = shownKind() == ClipModel; // DDPM has no held-out accuracy
    m_fieldNames[AccuracyField]->setVisible(clip);
    m_fieldValues[AccuracyField]->setVisible(clip);
}

QString TrainingPanel::statusSummary() const
{
    QStringList parts {stateText()};
    for (int i = 0; i < FieldCount; ++i)
        if (!m_fieldNames[i]->isHidden())
            parts << QStringLiteral("%1 %2").arg(m_fieldNames[i]->text(), m_fieldValues[i]->text());
    return parts.join(QStringLiteral(" · "));
}

// --- settings and language -----------------------------------------------------------------

void TrainingPanel::restoreSettings()
{
    const QSettings settings;
    m_presetOf[ClipModel] = settings.value(kPresetKey, QStringLiteral("tiny")).toString();
    m_presetOf[DdpmModel] = settings.value(kDdpmPresetKey, QStringLiteral("tiny")).toString();
    const ModelKind kind = settings.value(kKindKey).toString() == kindName(DdpmModel) ? DdpmModel : ClipModel;
    {
        const QSignalBlocker block(m_kind);
        m_kind->setCurrentIndex(kind);
    }
    applyKind(kind);
    m_fashionDir->setText(
        settings.value(kFashionKey, QString::fromStdString(ml::fashionMnistDefaultFolder())).toString());
    m_dtype->setCurrentIndex(std::max(0, m_dtype->findData(settings.value(kDtypeKey, QStringLiteral("auto")))));
    m_logScale->setChecked(settings.value(kLogScaleKey, false).toBool());
    m_resumeHint->setText(tr("A fresh run writes its checkpoint, metrics.jsonl and TensorBoard events here."));
    updateHints();
}

void TrainingPanel::saveSettings() const
{
    QSettings settings;
    settings.setValue(kKindKey, kindName(modelKind()));
    settings.setValue(kPresetKey, m_presetOf[ClipModel]);
    settings.setValue(kDdpmPresetKey, m_presetOf[DdpmModel]);
    settings.setValue(kFashionKey, m_fashionDir->text());
    settings.setValue(kDtypeKey, m_dtype->currentData().toString());
    settings.setValue(kLogScaleKey, m_logScale->isChecked());
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
    m_tabs->setTabText(SetupTab, tr("Setup"));
    m_tabs->setTabText(CurvesTab, tr("Curves"));
    m_tabs->setTabText(SamplesTab, tr("Samples"));
    m_tabs->setTabText(RunsTab, tr("Runs"));

    const bool ddpm = modelKind() == DdpmModel;
    m_start->setText(tr("Start"));
    m_start->setToolTip(
        ddpm ? tr("Train a DDPM diffusion model with these settings") : tr("Train a CLIP model with these settings"));
    m_pause->setToolTip(tr("Pause between two steps, or carry on"));
    m_stop->setText(tr("Stop"));
    m_stop->setToolTip(ddpm
            ? tr("End the run now: draw samples, save a checkpoint, then stop (it can be continued "
                 "later)")
            : tr("End the run now: evaluate, save a checkpoint, then stop (it can be continued later)"));
    m_openResult->setText(tr("Open in Diffusion"));
    m_openResult->setToolTip(tr("Watch this model denoise step by step in the Diffusion panel"));

    m_fieldNames[StepField]->setText(tr("Step"));
    m_fieldNames[LossField]->setText(tr("Loss"));
    m_fieldNames[StepsPerSField]->setText(tr("Steps/s"));
    m_fieldNames[ImagesPerSField]->setText(tr("Images/s"));
    m_fieldNames[EtaField]->setText(tr("Left"));
    m_fieldNames[ElapsedField]->setText(tr("Elapsed"));
    m_fieldNames[DtypeField]->setText(tr("Precision"));
    m_fieldNames[AccuracyField]->setText(tr("Held-out"));
    m_fieldNames[ElapsedField]->setToolTip(tr("Training time of this session, pauses excluded"));
    m_fieldNames[AccuracyField]->setToolTip(
        tr("Zero-shot accuracy at the last evaluation, with the number of held-out images it was measured on"));

    m_modelGroup->setTitle(tr("Model and optimiser"));
    m_dataGroup->setTitle(ddpm ? tr("Data and sampling") : tr("Data and evaluation"));
    m_runGroup->setTitle(tr("Run"));
    if (!m_resume->isChecked()) // a resumed run's hint names that run; it is made again when it loads
        m_resumeHint->setText(tr("A fresh run writes its checkpoint, metrics.jsonl and TensorBoard events here."));
    m_kindLabel->setText(tr("Model:"));
    m_kind->setItemText(ClipModel, tr("CLIP"));
    m_kind->setItemText(DdpmModel, tr("DDPM (diffusion)"));
    m_kind->setToolTip(tr("CLIP learns to match images and captions; DDPM learns to draw Fashion-MNIST images "
                          "from noise"));
    m_unetLabel->setText(tr("UNet:"));
    m_presetLabel->setText(tr("Preset:"));
    m_preset->setToolTip(ddpm ? tr("mini: the built-in ddpm-mini (about 2 s a step on a CPU core); tiny: a small "
                                   "UNet that trains in seconds, for trying things out")
                              : tr("mini: the built-in clip-mini (about one step a second on a CPU); tiny: a small "
                                   "model that trains in seconds, for trying things out"));
    m_stepsLabel->setText(tr("Steps:"));
    m_batchLabel->setText(tr("Batch:"));
    m_batch->setSuffix(tr(" images"));
    m_lrLabel->setText(tr("Learning rate:"));
    m_lr->setToolTip(tr("The peak learning rate: a linear warm-up to it, then a cosine to 0"));
    m_seedLabel->setText(tr("Seed:"));
    m_dtypeLabel->setText(tr("Precision:"));
    m_dtype->setToolTip(tr("bf16 is several times faster where the processor has native bf16 units, and slower "
                           "where it must be emulated"));
    m_mixLabel->setText(tr("Data mix:"));
    m_mixNames[0]->setText(tr("Fashion-MNIST"));
    m_mixNames[1]->setText(tr("Shapes, one object"));
    m_mixNames[2]->setText(tr("Shapes, several"));
    m_mixLabel->setToolTip(tr("Shares of each batch: Fashion-MNIST garments, Shapes World scenes with one object, "
                              "and with two or three (renormalised to 100 %)"));
    m_fashionLabel->setText(tr("Fashion-MNIST:"));
    m_fashionBrowse->setToolTip(tr("Choose the folder holding the Fashion-MNIST files"));
    m_evalLabel->setText(ddpm ? tr("Sample grid every:") : tr("Evaluate every:"));
    m_evalEvery->setSuffix(tr(" steps"));
    m_evalEvery->setSpecialValueText(tr("only at the end"));
    m_evalEvery->setToolTip(ddpm ? tr("The model draws its sample grid this often (and at the end)")
                                 : tr("Held-out accuracy and the sample grid are refreshed this often"));
    m_checkpointLabel->setText(tr("Checkpoint every:"));
    m_checkpointEvery->setSuffix(tr(" steps"));
    m_checkpointEvery->setSpecialValueText(tr("only at the end"));
    m_folderLabel->setText(tr("Folder:"));
    m_folderBrowse->setToolTip(tr("Choose the run folder"));
    m_resume->setText(tr("Continue the run in this folder"));

    m_logScale->setText(tr("Log-scale loss"));
    m_resetView->setText(tr("Fit view"));
    m_resetView->setToolTip(tr("Show every point again and follow new ones (or double-click a plot)"));
    m_addRunCurves->setText(tr("Add run…"));
    m_addRunCurves->setToolTip(tr("Overlay the curves of another run folder (its metrics.jsonl)"));
    m_curvesHint->setText(tr("Wheel: zoom · drag: pan"));

    m_runsLabel->setText(tr("Runs on the plots:"));
    m_addRun->setText(tr("Add run…"));
    m_removeRun->setText(tr("Remove"));
    m_removeRun->setToolTip(tr("Take the run off the plots (its folder stays on disk)"));
    m_checkpointsLabel->setText(tr("Checkpoints:"));
    m_openInClassify->setText(tr("Open in Classify"));
    m_openInClassify->setToolTip(tr("Classify with this checkpoint (double-click does the same)"));
    m_openInDiffusion->setText(tr("Open in Diffusion"));
    m_openInDiffusion->setToolTip(tr("Denoise step by step with this checkpoint (double-click does the same)"));
    m_openFolder->setText(tr("Show folder"));
    updateSamplesHeader();

    updatePresetHint();
    updateHints();
    updateButtons();
    updateStatus();
    for (int row = 0; row < m_runs.size(); ++row)
        updateRunItem(row);
}

void TrainingPanel::updateSamplesHeader()
{
    if (!m_samples->samples().isEmpty() || isRunning())
        return; // the run's own header
    const bool clip = modelKind() == ClipModel;
    m_samples->setLabelled(clip);
    m_samplesHeader->setText(clip ? tr("A fixed set of held-out images: the first of each held-out colour-shape "
                                       "pair, two other pairs and two garments.")
                                  : tr("Images the model draws from the same starting noise at each sample grid "
                                       "and at the end: watch garments form as it learns."));
}
