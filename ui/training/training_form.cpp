// The Training panel's settings: built in three parts (model, run folder, advanced), filled from
// a preset or from the run being continued, kept in QSettings between sessions.
#include "training/training_form.h"

#include "common/format.h"
#include "common/panel_widgets.h"
#include "engine/engine.h"
#include "engine/train_presets.h"
#include "training/training_status.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

using ml::train::RunKind;

namespace {

const QString kKindKey = QStringLiteral("training/model");
const QString kPresetKey = QStringLiteral("training/preset"); // CLIP's
const QString kDdpmPresetKey = QStringLiteral("training/ddpmPreset");
const QString kBlip2PresetKey = QStringLiteral("training/blip2Preset");
const QString kLlavaPresetKey = QStringLiteral("training/llavaPreset");
const QString kFashionKey = QStringLiteral("training/fashionDir");
const QString kDtypeKey = QStringLiteral("training/dtype");
const QString kAdvancedKey = QStringLiteral("training/advancedShown");
constexpr int kMaxSteps = 10'000'000;

int kindIndex(RunKind kind)
{
    return static_cast<int>(kind); // the combo's rows: CLIP, DDPM, BLIP-2, LLaVA
}

QSpinBox *stepsSpin(QWidget *parent, const char *name)
{
    auto *spin = new QSpinBox(parent);
    spin->setObjectName(QLatin1String(name));
    spin->setRange(0, kMaxSteps);
    spin->setGroupSeparatorShown(true);
    return spin;
}

QToolButton *browseButton(QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setIcon(parent->style()->standardIcon(QStyle::SP_DirOpenIcon));
    return button;
}

QHBoxLayout *row(QWidget *field, QWidget *button)
{
    auto *layout = new QHBoxLayout;
    layout->addWidget(field, 1);
    layout->addWidget(button);
    return layout;
}

} // namespace

TrainingForm::TrainingForm(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("trainingForm"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    layout->addWidget(createModelGroup());
    layout->addWidget(createRunGroup());
    layout->addWidget(createAdvanced());
    connectFields();
    retranslate();
    restoreSettings();
}

TrainingForm::~TrainingForm()
{
    saveSettings();
}

// --- building ------------------------------------------------------------------------------

QWidget *TrainingForm::createModelGroup()
{
    m_modelGroup = new QGroupBox(this);
    m_kind = new QComboBox(m_modelGroup);
    m_kind->setObjectName(QStringLiteral("trainingModel"));
    m_kind->addItem(QString(), QLatin1String(ml::train::runKindName(RunKind::Clip)));
    m_kind->addItem(QString(), QLatin1String(ml::train::runKindName(RunKind::Ddpm)));
    m_kind->addItem(QString(), QLatin1String(ml::train::runKindName(RunKind::Blip2)));
    m_kind->addItem(QString(), QLatin1String(ml::train::runKindName(RunKind::Llava)));
    m_preset = new QComboBox(m_modelGroup); // filled by applyKind()
    m_preset->setObjectName(QStringLiteral("trainingPreset"));
    m_presetHint = dimLabel(m_modelGroup);
    m_unet = new QLabel(m_modelGroup);
    m_unet->setWordWrap(true);
    m_unet->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_steps = stepsSpin(m_modelGroup, "trainingSteps");
    m_kindLabel = new QLabel(m_modelGroup);
    m_presetLabel = new QLabel(m_modelGroup);
    m_unetLabel = new QLabel(m_modelGroup);
    m_stepsLabel = new QLabel(m_modelGroup);
    m_modelForm = new QFormLayout(m_modelGroup);
    m_modelForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_modelForm->addRow(m_kindLabel, m_kind);
    m_modelForm->addRow(m_presetLabel, m_preset);
    m_modelForm->addRow(QString(), m_presetHint);
    m_modelForm->addRow(m_unetLabel, m_unet);
    m_modelForm->addRow(m_stepsLabel, m_steps);
    return m_modelGroup;
}

QWidget *TrainingForm::createRunGroup()
{
    m_runGroup = new QGroupBox(this);
    m_folder = new QLineEdit(m_runGroup);
    m_folder->setObjectName(QStringLiteral("runFolder"));
    m_folderBrowse = browseButton(m_runGroup);
    m_resume = new QCheckBox(m_runGroup);
    m_resume->setObjectName(QStringLiteral("resumeRun"));
    m_resumeHint = dimLabel(m_runGroup);
    m_folderLabel = new QLabel(m_runGroup);
    auto *form = new QFormLayout(m_runGroup);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(m_folderLabel, row(m_folder, m_folderBrowse));
    form->addRow(QString(), m_resume);
    form->addRow(QString(), m_resumeHint);
    return m_runGroup;
}

QWidget *TrainingForm::createMixBox(QWidget *parent)
{
    auto *box = new QWidget(parent);
    auto *grid = new QGridLayout(box); // names over their shares
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(2);
    const char *names[3] = {"mixFashion", "mixSingle", "mixMulti"};
    for (int i = 0; i < 3; ++i) {
        m_mix[i] = new QSpinBox(box);
        m_mix[i]->setObjectName(QLatin1String(names[i]));
        m_mix[i]->setRange(0, 100);
        m_mix[i]->setSuffix(QStringLiteral(" %"));
        m_mixNames[i] = new QLabel(box);
        m_mixNames[i]->setBuddy(m_mix[i]);
        m_mixNames[i]->setForegroundRole(QPalette::PlaceholderText);
        grid->addWidget(m_mixNames[i], 0, i);
        grid->addWidget(m_mix[i], 1, i);
    }
    return box;
}

QWidget *TrainingForm::createAdvanced()
{
    auto *section = new QWidget(this);
    m_advancedToggle = new QToolButton(section);
    m_advancedToggle->setObjectName(QStringLiteral("advancedToggle"));
    m_advancedToggle->setCheckable(true);
    m_advancedToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_advancedToggle->setAutoRaise(true);
    m_advanced = new QWidget(section);
    m_advanced->setObjectName(QStringLiteral("advancedSettings"));
    m_batch = new QSpinBox(m_advanced);
    m_batch->setObjectName(QStringLiteral("trainingBatch"));
    m_batch->setRange(2, 4096);
    m_lr = new QLineEdit(m_advanced);
    m_lr->setObjectName(QStringLiteral("learningRate"));
    m_seed = new QSpinBox(m_advanced);
    m_seed->setObjectName(QStringLiteral("trainingSeed"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_dtype = new QComboBox(m_advanced);
    m_dtype->setObjectName(QStringLiteral("trainingDtype"));
    for (const char *d : {"auto", "fp32", "bf16"})
        m_dtype->addItem(QLatin1String(d), QLatin1String(d));
    m_mixBox = createMixBox(m_advanced);
    m_fashionDir = new QLineEdit(m_advanced);
    m_fashionDir->setObjectName(QStringLiteral("fashionFolder"));
    m_fashionDir->setPlaceholderText(QString::fromStdString(ml::fashionMnistDefaultFolder()));
    m_fashionBrowse = browseButton(m_advanced);
    m_fashionHint = dimLabel(m_advanced);
    m_evalEvery = stepsSpin(m_advanced, "evalEvery");
    m_checkpointEvery = stepsSpin(m_advanced, "checkpointEvery");
    for (QLabel **label : {&m_batchLabel, &m_lrLabel, &m_seedLabel, &m_dtypeLabel, &m_mixLabel, &m_fashionLabel,
             &m_evalLabel, &m_checkpointLabel})
        *label = new QLabel(m_advanced);
    m_advancedForm = new QFormLayout(m_advanced);
    m_advancedForm->setContentsMargins(0, 0, 0, 0);
    m_advancedForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_advancedForm->addRow(m_batchLabel, m_batch);
    m_advancedForm->addRow(m_lrLabel, m_lr);
    m_advancedForm->addRow(m_seedLabel, m_seed);
    m_advancedForm->addRow(m_dtypeLabel, m_dtype);
    m_advancedForm->addRow(m_mixLabel, m_mixBox);
    m_advancedForm->addRow(m_fashionLabel, row(m_fashionDir, m_fashionBrowse));
    m_advancedForm->addRow(QString(), m_fashionHint);
    m_advancedForm->addRow(m_evalLabel, m_evalEvery);
    m_advancedForm->addRow(m_checkpointLabel, m_checkpointEvery);
    auto *layout = new QVBoxLayout(section);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_advancedToggle);
    layout->addWidget(m_advanced);
    connect(m_advancedToggle, &QToolButton::toggled, this, &TrainingForm::setAdvancedShown);
    return section;
}

void TrainingForm::setAdvancedShown(bool shown)
{
    m_advancedToggle->setChecked(shown);
    m_advancedToggle->setArrowType(shown ? Qt::DownArrow : Qt::RightArrow);
    m_advanced->setVisible(shown);
}

void TrainingForm::connectFields()
{
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this] { applyKind(kind()); });
    connect(m_preset, &QComboBox::currentIndexChanged, this, [this] {
        m_presetOf[kindIndex(kind())] = preset();
        applyPreset(preset());
    });
    connect(m_dtype, &QComboBox::currentIndexChanged, this, &TrainingForm::updateHints);
    connect(m_fashionDir, &QLineEdit::textChanged, this, &TrainingForm::updateHints);
    connect(m_fashionBrowse, &QToolButton::clicked, this, [this] {
        const QString dir
            = QFileDialog::getExistingDirectory(this, tr("Fashion-MNIST Folder"), fashionFolder(m_fashionDir->text()));
        if (!dir.isEmpty())
            m_fashionDir->setText(QDir::toNativeSeparators(dir));
    });
    connect(m_folder, &QLineEdit::textEdited, this, [this] { m_folderIsAuto = false; });
    connect(m_folder, &QLineEdit::textChanged, m_folder, &QLineEdit::setToolTip);
    connect(m_folder, &QLineEdit::editingFinished, this, [this] {
        if (m_resume->isChecked() && !m_running)
            loadRunState(cleanFolder(m_folder->text()));
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
    connect(m_resume, &QCheckBox::toggled, this, &TrainingForm::onResumeToggled);
}

// --- values --------------------------------------------------------------------------------

TrainingFormValues TrainingForm::values() const
{
    TrainingFormValues v;
    v.kind = kind();
    v.preset = preset();
    v.folder = m_folder->text();
    v.resume = m_resume->isChecked();
    v.steps = m_steps->value();
    v.batch = m_batch->value();
    v.seed = m_seed->value();
    v.evalEvery = m_evalEvery->value();
    v.checkpointEvery = m_checkpointEvery->value();
    v.lr = m_lr->text();
    for (int i = 0; i < 3; ++i)
        v.mix[i] = m_mix[i]->value();
    v.dtype = m_dtype->currentData().toString();
    v.fashionDir = m_fashionDir->text();
    return v;
}

RunKind TrainingForm::kind() const
{
    return static_cast<RunKind>(std::clamp(m_kind->currentIndex(), 0, static_cast<int>(RunKind::Llava)));
}

void TrainingForm::setKind(RunKind kind)
{
    if (kind != this->kind())
        m_kind->setCurrentIndex(kindIndex(kind)); // applyKind() through the signal
}

bool TrainingForm::isResume() const
{
    return m_resume->isChecked();
}

QString TrainingForm::preset() const
{
    return m_preset->currentData().toString();
}

int TrainingForm::steps() const
{
    return m_steps->value();
}

double TrainingForm::estimatedSeconds() const
{
    return estimateTrainingSeconds(kind(), preset(), m_steps->value(), m_batch->value(), ml::Engine::defaultThreads());
}

QString TrainingForm::runsRoot()
{
    // Beside the app's models and samples ($XDG_DATA_HOME/ModalLens/...), not in Qt's org/app folder.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/ModalLens/runs");
}

QString TrainingForm::newRunFolder(const QString &preset, RunKind kind)
{
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    const QString name = QLatin1String(ml::train::runKindName(kind));
    QString folder = QStringLiteral("%1/%2-%3-%4").arg(runsRoot(), name, preset, stamp);
    for (int n = 2; QFileInfo::exists(folder); ++n) // two runs started within a second
        folder = QStringLiteral("%1/%2-%3-%4-%5").arg(runsRoot(), name, preset, stamp).arg(n);
    return QDir::toNativeSeparators(folder);
}

void TrainingForm::setLocked(bool running)
{
    m_running = running;
    const bool resume = m_resume->isChecked();
    for (QWidget *w :
        std::initializer_list<QWidget *> {m_kind, m_preset, m_batch, m_lr, m_seed, m_mix[0], m_mix[1], m_mix[2]})
        w->setEnabled(!running && !resume);
    for (QWidget *w : std::initializer_list<QWidget *> {m_steps, m_evalEvery, m_checkpointEvery, m_dtype, m_fashionDir,
             m_fashionBrowse, m_folder, m_folderBrowse, m_resume})
        w->setEnabled(!running);
}

void TrainingForm::runEnded(const QString &folder)
{
    m_lastRunFolder = folder;
    if (!m_resume->isChecked() && cleanFolder(m_folder->text()) == folder) {
        m_folderIsAuto = true;
        m_folder->setText(newRunFolder(preset(), kind()));
    }
    setLocked(false);
}

// --- settings and language -----------------------------------------------------------------

void TrainingForm::restoreSettings()
{
    const QSettings settings;
    m_presetOf[0] = settings.value(kPresetKey, QStringLiteral("tiny")).toString();
    m_presetOf[1] = settings.value(kDdpmPresetKey, QStringLiteral("tiny")).toString();
    m_presetOf[2] = settings.value(kBlip2PresetKey, QStringLiteral("tiny")).toString();
    m_presetOf[3] = settings.value(kLlavaPresetKey, QStringLiteral("tiny")).toString();
    RunKind kind = RunKind::Clip;
    for (const RunKind k : {RunKind::Ddpm, RunKind::Blip2, RunKind::Llava})
        if (settings.value(kKindKey).toString() == QLatin1String(ml::train::runKindName(k)))
            kind = k;
    {
        const QSignalBlocker block(m_kind);
        m_kind->setCurrentIndex(kindIndex(kind));
    }
    applyKind(kind);
    m_fashionDir->setText(
        settings.value(kFashionKey, QString::fromStdString(ml::fashionMnistDefaultFolder())).toString());
    m_dtype->setCurrentIndex(std::max(0, m_dtype->findData(settings.value(kDtypeKey, QStringLiteral("auto")))));
    setAdvancedShown(settings.value(kAdvancedKey, false).toBool());
    updateHints();
}

void TrainingForm::saveSettings() const
{
    QSettings settings;
    settings.setValue(kKindKey, QLatin1String(ml::train::runKindName(kind())));
    settings.setValue(kPresetKey, m_presetOf[0]);
    settings.setValue(kDdpmPresetKey, m_presetOf[1]);
    settings.setValue(kBlip2PresetKey, m_presetOf[2]);
    settings.setValue(kLlavaPresetKey, m_presetOf[3]);
    settings.setValue(kFashionKey, m_fashionDir->text());
    settings.setValue(kDtypeKey, m_dtype->currentData().toString());
    settings.setValue(kAdvancedKey, m_advancedToggle->isChecked());
}

void TrainingForm::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void TrainingForm::retranslate()
{
    const bool ddpm = kind() == RunKind::Ddpm;
    const bool blip2 = kind() == RunKind::Blip2, llava = kind() == RunKind::Llava;
    m_modelGroup->setTitle(tr("Model"));
    m_runGroup->setTitle(tr("Run"));
    m_kindLabel->setText(tr("Model:"));
    m_kind->setItemText(0, tr("CLIP"));
    m_kind->setItemText(1, tr("DDPM (diffusion)"));
    m_kind->setItemText(2, tr("BLIP-2 (chat)"));
    m_kind->setItemText(3, tr("LLaVA (chat)"));
    m_kind->setToolTip(tr("CLIP learns to match images and captions; DDPM learns to draw Fashion-MNIST images "
                          "from noise; BLIP-2 and LLaVA learn to answer questions about an image"));
    m_unetLabel->setText(tr("UNet:"));
    m_presetLabel->setText(tr("Preset:"));
    m_preset->setToolTip(ddpm ? tr("mini: the built-in ddpm-mini (about 2 s a step on a CPU core); tiny: a small "
                                   "UNet that trains in seconds, for trying things out")
            : blip2 ? tr("mini: the built-in blip2-mini (about half an hour on a CPU); tiny: a small model that "
                         "trains in seconds, for trying things out")
            : llava ? tr("mini: the built-in llava-mini (about half an hour on a CPU); tiny: a small model that "
                         "trains in seconds, for trying things out")
                    : tr("mini: the built-in clip-mini (about one step a second on a CPU); tiny: a small "
                         "model that trains in seconds, for trying things out"));
    m_stepsLabel->setText(tr("Steps:"));
    m_folderLabel->setText(tr("Folder:"));
    m_folderBrowse->setToolTip(tr("Choose the run folder"));
    m_resume->setText(tr("Continue the run in this folder"));
    if (!m_resume->isChecked()) // a continued run's hint names that run; it is made again when it loads
        m_resumeHint->setText(tr("A fresh run writes its checkpoint, metrics.jsonl and TensorBoard events here."));
    retranslateAdvanced(ddpm);
    updatePresetHint();
    updateHints();
}

void TrainingForm::retranslateAdvanced(bool ddpm)
{
    m_advancedToggle->setText(tr("Advanced: optimiser, data, cadence"));
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
}
