// CoopSetupPanel: the form is read into a CoopForm when Learn is pressed; it is locked while a
// prompt is learnt and remembered in QSettings.
#include "classify/coop_setup_panel.h"

#include "common/model_picker.h"
#include "common/panel_widgets.h"

#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <limits>

namespace {

const QString kModelKey = QStringLiteral("coop/model");
const QString kFolderKey = QStringLiteral("coop/folder");
const QString kShotsKey = QStringLiteral("coop/shots");
const QString kContextKey = QStringLiteral("coop/contextVectors");
const QString kInitKey = QStringLiteral("coop/initWords");
const QString kClassSpecificKey = QStringLiteral("coop/classSpecific");
const QString kStepsKey = QStringLiteral("coop/steps");
const QString kLrKey = QStringLiteral("coop/lr");
const QString kSeedKey = QStringLiteral("coop/seed");
const QString kTemplateKey = QStringLiteral("coop/template");

QFormLayout *compactForm(QWidget *parent)
{
    auto *form = new QFormLayout(parent);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setVerticalSpacing(4);
    form->setContentsMargins(6, 4, 6, 6);
    return form;
}

} // namespace

CoopSetupPanel::CoopSetupPanel(EngineBridge *bridge, CoopController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_bridge(bridge)
{
    setObjectName(QStringLiteral("coopSide"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(6);
    layout->addWidget(createRunRow());
    layout->addWidget(m_message);
    layout->addWidget(createDataGroup());
    layout->addWidget(createPromptGroup());
    layout->addWidget(createTrainGroup());
    layout->addStretch(1);

    connectForm();
    retranslate();
    restoreSettings();
    setFormLocked(false);
    updateState();
}

CoopSetupPanel::~CoopSetupPanel()
{
    saveSettings();
}

QWidget *CoopSetupPanel::createRunRow()
{
    auto *box = new QWidget(this);
    m_start = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), QString(), box);
    m_start->setObjectName(QStringLiteral("coopStart"));
    m_start->setDefault(true);
    m_cancel = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), QString(), box);
    m_cancel->setObjectName(QStringLiteral("coopCancel"));
    m_state = new QLabel(box);
    m_state->setObjectName(QStringLiteral("coopState"));
    m_state->setWordWrap(true);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("coopMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start, 1);
    buttons->addWidget(m_cancel);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(buttons);
    layout->addWidget(m_state);
    return box;
}

QGroupBox *CoopSetupPanel::createDataGroup()
{
    m_dataGroup = new QGroupBox(this);
    m_picker = new ModelPicker(m_bridge, QStringLiteral("clip"), kModelKey, m_dataGroup);
    // A long entry ("clip-mini · clip · 1.5 M parameters · ...") must not widen the side panel.
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    m_folder = new QLineEdit(m_dataGroup);
    m_folder->setObjectName(QStringLiteral("coopFolder"));
    m_folderBrowse = new QToolButton(m_dataGroup);
    m_folderBrowse->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    m_useSamples = new QToolButton(m_dataGroup);
    m_useSamples->setObjectName(QStringLiteral("coopUseSamples"));
    m_useSamples->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(m_folderBrowse);
    folderRow->addWidget(m_useSamples);
    m_folderHint = dimLabel(m_dataGroup);
    m_shots = new QSpinBox(m_dataGroup);
    m_shots->setObjectName(QStringLiteral("coopShots"));
    m_shots->setRange(1, 10000);
    m_shots->setValue(4);
    m_modelLabel = new QLabel(m_dataGroup);
    m_folderLabel = new QLabel(m_dataGroup);
    m_shotsLabel = new QLabel(m_dataGroup);
    auto *form = compactForm(m_dataGroup);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    form->addRow(m_modelLabel, m_picker);
    form->addRow(m_folderLabel, folderRow);
    form->addRow(m_folderHint);
    form->addRow(m_shotsLabel, m_shots);
    return m_dataGroup;
}

QGroupBox *CoopSetupPanel::createPromptGroup()
{
    m_promptGroup = new QGroupBox(this);
    m_context = new QSpinBox(m_promptGroup);
    m_context->setObjectName(QStringLiteral("coopContext"));
    m_context->setRange(1, 64);
    m_context->setValue(16);
    m_initWords = new QLineEdit(m_promptGroup);
    m_initWords->setObjectName(QStringLiteral("coopInitWords"));
    m_initWords->setClearButtonEnabled(true);
    m_contextHint = dimLabel(m_promptGroup);
    m_kind = new QComboBox(m_promptGroup);
    m_kind->setObjectName(QStringLiteral("coopKind"));
    m_kind->addItem(QString());
    m_kind->addItem(QString());
    m_kind->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_kind->setMinimumContentsLength(12);
    m_template = new QLineEdit(m_promptGroup);
    m_template->setObjectName(QStringLiteral("coopTemplate"));
    m_template->setText(QStringLiteral("a photo of a {}."));
    m_contextLabel = new QLabel(m_promptGroup);
    m_initLabel = new QLabel(m_promptGroup);
    m_kindLabel = new QLabel(m_promptGroup);
    m_templateLabel = new QLabel(m_promptGroup);
    auto *form = compactForm(m_promptGroup);
    form->addRow(m_contextLabel, m_context);
    form->addRow(m_initLabel, m_initWords);
    form->addRow(m_contextHint);
    form->addRow(m_kindLabel, m_kind);
    form->addRow(m_templateLabel, m_template);
    return m_promptGroup;
}

QGroupBox *CoopSetupPanel::createTrainGroup()
{
    m_trainGroup = new QGroupBox(this);
    m_steps = new QSpinBox(m_trainGroup);
    m_steps->setObjectName(QStringLiteral("coopSteps"));
    m_steps->setRange(1, 1000000);
    m_steps->setGroupSeparatorShown(true);
    m_steps->setValue(200);
    m_lr = new QLineEdit(m_trainGroup);
    m_lr->setObjectName(QStringLiteral("coopLearningRate"));
    m_lr->setText(QLocale().toString(0.002, 'g', 6));
    m_seed = new QSpinBox(m_trainGroup);
    m_seed->setObjectName(QStringLiteral("coopSeed"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setValue(1);
    m_output = new QLineEdit(m_trainGroup);
    m_output->setObjectName(QStringLiteral("coopOutput"));
    m_outputBrowse = new QToolButton(m_trainGroup);
    m_outputBrowse->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    auto *outputRow = new QHBoxLayout;
    outputRow->addWidget(m_output, 1);
    outputRow->addWidget(m_outputBrowse);
    // Steps and learning rate on one row: the side panel fits a 768-pixel screen.
    auto *stepsRow = new QHBoxLayout;
    m_lrLabel = new QLabel(m_trainGroup);
    stepsRow->addWidget(m_steps, 1);
    stepsRow->addWidget(m_lrLabel);
    stepsRow->addWidget(m_lr, 1);
    m_stepsLabel = new QLabel(m_trainGroup);
    m_seedLabel = new QLabel(m_trainGroup);
    m_outputLabel = new QLabel(m_trainGroup);
    auto *form = compactForm(m_trainGroup);
    form->addRow(m_stepsLabel, stepsRow);
    form->addRow(m_seedLabel, m_seed);
    form->addRow(m_outputLabel, outputRow);
    return m_trainGroup;
}

void CoopSetupPanel::connectForm()
{
    connect(m_start, &QPushButton::clicked, this, &CoopSetupPanel::startRequested);
    connect(m_cancel, &QPushButton::clicked, m_controller, &CoopController::cancel);
    connect(m_controller, &CoopController::messageChanged, this, &CoopSetupPanel::showMessage);
    connect(m_controller, &CoopController::stateChanged, this, &CoopSetupPanel::updateState);
    connect(m_controller, &CoopController::finished, this, [this](CoopController::Outcome outcome) {
        if (outcome == CoopController::Outcome::Finished)
            followFolder(); // the next run writes a new file, unless the user chose one
    });
    connect(m_folderBrowse, &QToolButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(
            this, tr("Labelled Folder"), CoopController::cleanPath(m_folder->text()));
        if (!dir.isEmpty())
            m_folder->setText(QDir::toNativeSeparators(dir));
    });
    connect(m_useSamples, &QToolButton::clicked, this, &CoopSetupPanel::useSampleGallery);
    connect(m_folder, &QLineEdit::textChanged, this, &CoopSetupPanel::followFolder);
    connect(m_initWords, &QLineEdit::textChanged, this, [this] {
        updateContextHint();
        setFormLocked(m_controller->isRunning());
    });
    connect(m_output, &QLineEdit::textEdited, this, [this] { m_outputIsAuto = false; });
    connect(m_output, &QLineEdit::textChanged, m_output, &QLineEdit::setToolTip);
    connect(m_outputBrowse, &QToolButton::clicked, this, &CoopSetupPanel::browseOutput);
}

CoopForm CoopSetupPanel::form() const
{
    CoopForm f;
    f.model = m_picker->currentPath();
    f.modelsRefreshing = m_picker->isRefreshing();
    f.folder = m_folder->text();
    f.shots = m_shots->value();
    f.contextVectors = m_context->value();
    f.initWords = m_initWords->text();
    f.classSpecific = m_kind->currentIndex() == 1;
    f.steps = m_steps->value();
    f.learningRate = m_lr->text();
    f.seed = m_seed->value();
    f.templ = m_template->text();
    f.output = m_output->text();
    return f;
}

void CoopSetupPanel::browseOutput()
{
    const QString start
        = m_output->text().isEmpty() ? CoopController::promptsRoot() : CoopController::cleanPath(m_output->text());
    QString file
        = QFileDialog::getSaveFileName(this, tr("Save the Learnt Prompt"), start, tr("Learnt prompts (*.safetensors)"));
    if (file.isEmpty())
        return;
    if (!file.endsWith(QStringLiteral(".safetensors"), Qt::CaseInsensitive))
        file += QStringLiteral(".safetensors");
    m_output->setText(QDir::toNativeSeparators(file));
    m_outputIsAuto = false;
}

bool CoopSetupPanel::useSampleGallery()
{
    const QString folder = m_controller->sampleGalleryFolder();
    if (folder.isEmpty()) {
        m_controller->showMessage(
            tr("There is no sample gallery yet: File ▸ Open Sample Gallery writes one, with a labelled folder "
               "of Fashion-MNIST garments (one sub-folder per class) when Fashion-MNIST is installed."),
            false);
        return false;
    }
    m_folder->setText(folder);
    m_controller->clearMessage();
    return true;
}

void CoopSetupPanel::fillSampleGalleryIfEmpty()
{
    if (m_controller->isRunning() || !m_folder->text().trimmed().isEmpty())
        return;
    if (const QString folder = m_controller->sampleGalleryFolder(); !folder.isEmpty())
        m_folder->setText(folder);
}

void CoopSetupPanel::followFolder()
{
    if (m_outputIsAuto && !m_controller->isRunning())
        m_output->setText(CoopController::defaultOutput(m_folder->text()));
}

void CoopSetupPanel::updateContextHint()
{
    m_contextHint->setText(m_initWords->text().trimmed().isEmpty()
            ? tr("The context starts random. With words, it starts as their token embeddings, one vector per "
                 "token.")
            : tr("One context vector per token of these words, starting as their embeddings."));
}

void CoopSetupPanel::setFormLocked(bool running)
{
    for (QWidget *w : std::initializer_list<QWidget *> {m_picker, m_folder, m_folderBrowse, m_useSamples, m_shots,
             m_initWords, m_kind, m_template, m_steps, m_lr, m_seed, m_output, m_outputBrowse})
        w->setEnabled(!running);
    m_context->setEnabled(!running && m_initWords->text().trimmed().isEmpty());
}

void CoopSetupPanel::updateState()
{
    const bool running = m_controller->isRunning();
    m_start->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_state->setText(m_controller->stateText());
    setFormLocked(running);
}

void CoopSetupPanel::showMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!text.isEmpty());
}

void CoopSetupPanel::restoreSettings()
{
    const QSettings s;
    m_folder->setText(s.value(kFolderKey).toString());
    m_shots->setValue(s.value(kShotsKey, m_shots->value()).toInt());
    m_context->setValue(s.value(kContextKey, m_context->value()).toInt());
    m_initWords->setText(s.value(kInitKey).toString());
    m_kind->setCurrentIndex(s.value(kClassSpecificKey, false).toBool() ? 1 : 0);
    m_steps->setValue(s.value(kStepsKey, m_steps->value()).toInt());
    if (s.contains(kLrKey))
        m_lr->setText(QLocale().toString(s.value(kLrKey).toDouble(), 'g', 6));
    m_seed->setValue(s.value(kSeedKey, m_seed->value()).toInt());
    m_template->setText(s.value(kTemplateKey, m_template->text()).toString());
    followFolder();
}

void CoopSetupPanel::saveSettings() const
{
    QSettings s;
    s.setValue(kFolderKey, m_folder->text().trimmed());
    s.setValue(kShotsKey, m_shots->value());
    s.setValue(kContextKey, m_context->value());
    s.setValue(kInitKey, m_initWords->text().trimmed());
    s.setValue(kClassSpecificKey, m_kind->currentIndex() == 1);
    s.setValue(kStepsKey, m_steps->value());
    bool ok = false;
    const double lr = QLocale().toDouble(m_lr->text().trimmed(), &ok);
    if (ok && lr > 0.0)
        s.setValue(kLrKey, lr);
    s.setValue(kSeedKey, m_seed->value());
    s.setValue(kTemplateKey, m_template->text().trimmed());
}

void CoopSetupPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void CoopSetupPanel::retranslate()
{
    m_start->setText(tr("Learn Prompt"));
    m_start->setToolTip(tr("Learn context vectors for this folder's classes (CoOp) on the frozen model"));
    m_cancel->setText(tr("Cancel"));
    m_dataGroup->setTitle(tr("Model and Data"));
    m_modelLabel->setText(tr("CLIP model:"));
    m_folderLabel->setText(tr("Labelled folder:"));
    m_folder->setPlaceholderText(tr("One sub-folder of images per class"));
    m_folderBrowse->setToolTip(tr("Choose the labelled folder"));
    m_useSamples->setText(tr("Samples"));
    m_useSamples->setToolTip(tr("The sample gallery's Fashion-MNIST garments, one sub-folder per class (File ▸ Open "
                                "Sample Gallery writes them)"));
    m_folderHint->setText(
        tr("Each sub-folder's name is a class. K images per class train the prompt; the rest are held out to "
           "measure accuracy."));
    m_shotsLabel->setText(tr("Shots per class (K):"));
    m_promptGroup->setTitle(tr("Prompt"));
    m_contextLabel->setText(tr("Context vectors (M):"));
    m_initLabel->setText(tr("Or start from words:"));
    m_initWords->setPlaceholderText(tr("e.g. a photo of a"));
    m_kindLabel->setText(tr("Context:"));
    m_kind->setItemText(0, tr("Unified (one context for every class)"));
    m_kind->setItemText(1, tr("Class-specific (one context per class)"));
    m_templateLabel->setText(tr("Hand-written template:"));
    m_template->setToolTip(tr("The prompt the learnt one is measured against; {} stands for the class name"));
    updateContextHint();
    m_trainGroup->setTitle(tr("Training"));
    m_stepsLabel->setText(tr("Steps:"));
    m_lrLabel->setText(tr("Learning rate:"));
    m_seedLabel->setText(tr("Seed:"));
    m_outputLabel->setText(tr("Save as:"));
    m_outputBrowse->setToolTip(tr("Choose where the learnt prompt is saved"));
    updateState();
}
