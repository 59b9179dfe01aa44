// CoopPanel: the form becomes an ml::CoopRequest on the engine's training lane; its "coop-metric"
// partials feed the loss curve and the state line, its ml::CoopResult the results page.
#include "classify/coop_panel.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/format.h"
#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "train/sample_gallery.h"
#include "training/training_plot.h"

#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QShowEvent>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStyle>
#include <QTabWidget>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
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
const QString kMetric = QStringLiteral("coop-metric");
constexpr int kRun = 0; // the plot's only run
constexpr int kSmallClasses = 20;

QString cleanPath(const QString &path)
{
    QString p = path.trimmed();
    if (p.startsWith(QStringLiteral("~/")))
        p = QDir::homePath() + p.mid(1);
    return p.isEmpty() ? QString() : QDir::cleanPath(QDir(p).absolutePath());
}

QString percent(double v)
{
    return QStringLiteral("%1 %").arg(QLocale().toString(100.0 * v, 'f', 1));
}

// Seconds with a decimal below ten minutes (a CoOp run often takes seconds), else h:mm:ss.
QString seconds(double s)
{
    return s < 600.0 ? CoopPanel::tr("%1 s").arg(QLocale().toString(s, 'f', 1)) : formatDuration(s);
}

QTableWidget *resultTable(QWidget *parent)
{
    auto *table = new QTableWidget(parent);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->setWordWrap(false);
    table->setAlternatingRowColors(true);
    return table;
}

QTableWidgetItem *numberItem(double value)
{
    auto *item = new QTableWidgetItem(percent(value));
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

// The table's height follows its rows (up to a limit), so the page scrolls as a whole.
void fitHeight(QTableWidget *table, int maxRows)
{
    const int rows = std::min(table->rowCount(), maxRows);
    table->setFixedHeight(
        table->horizontalHeader()->height() + rows * table->verticalHeader()->defaultSectionSize() + 4);
}

} // namespace

CoopPanel::CoopPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_message(new QLabel(this))
    , m_tabs(new QTabWidget(this))
{
    setObjectName(QStringLiteral("coop"));
    Q_ASSERT(m_bridge);

    m_message->setObjectName(QStringLiteral("coopMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();

    m_start = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), QString(), this);
    m_cancel = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), QString(), this);
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("coopState"));
    m_state->setWordWrap(true);
    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(6);
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);
    buttons->addSpacing(8);
    buttons->addWidget(m_state, 1);

    m_tabs->setDocumentMode(true);
    m_tabs->addTab(createSetupPage(), QString());
    m_tabs->addTab(createLossPage(), QString());
    m_tabs->addTab(createResultsPage(), QString());

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 4);
    layout->setSpacing(6);
    layout->addLayout(buttons);
    layout->addWidget(m_message);
    layout->addWidget(m_tabs, 1);

    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_cancel, &QPushButton::clicked, this, &CoopPanel::cancel);
    connect(m_bridge, &EngineBridge::progress, this, &CoopPanel::onProgress);
    connect(m_bridge, &EngineBridge::partial, this, &CoopPanel::onPartial);
    connect(m_bridge, &EngineBridge::finished, this, &CoopPanel::onFinished);

    retranslate();
    restoreSettings();
    setFormLocked(false);
    updateState();
}

CoopPanel::~CoopPanel()
{
    saveSettings();
}

// --- pages ---------------------------------------------------------------------------------

QWidget *CoopPanel::createSetupPage()
{
    auto *page = new QWidget;
    auto *scroll = verticalScrollArea(page, this);

    // Model and data.
    m_dataGroup = new QGroupBox(page);
    m_picker = new ModelPicker(m_bridge, QStringLiteral("clip"), kModelKey, m_dataGroup);
    // A long entry ("clip-mini · clip · 1.5 M parameters · ...") must not widen a narrow dock.
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    m_folder = new QLineEdit(m_dataGroup);
    m_folder->setObjectName(QStringLiteral("coopFolder"));
    m_folderBrowse = new QToolButton(m_dataGroup);
    m_folderBrowse->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    auto *folderRow = new QHBoxLayout;
    m_useSamples = new QToolButton(m_dataGroup);
    m_useSamples->setObjectName(QStringLiteral("coopUseSamples"));
    m_useSamples->setToolButtonStyle(Qt::ToolButtonTextOnly);
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(m_folderBrowse);
    folderRow->addWidget(m_useSamples);
    m_folderHint = dimLabel(m_dataGroup);
    m_shots = new QSpinBox(m_dataGroup);
    m_shots->setRange(1, 10000);
    m_shots->setValue(4);
    auto *data = new QFormLayout(m_dataGroup);
    data->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_modelLabel = new QLabel(m_dataGroup);
    m_folderLabel = new QLabel(m_dataGroup);
    m_shotsLabel = new QLabel(m_dataGroup);
    data->addRow(m_modelLabel, m_picker);
    data->addRow(m_folderLabel, folderRow);
    data->addRow(QString(), m_folderHint);
    data->addRow(m_shotsLabel, m_shots);

    // The prompt.
    m_promptGroup = new QGroupBox(page);
    m_context = new QSpinBox(m_promptGroup);
    m_context->setRange(1, 64);
    m_context->setValue(16);
    m_initWords = new QLineEdit(m_promptGroup);
    m_initWords->setObjectName(QStringLiteral("coopInitWords"));
    m_initWords->setClearButtonEnabled(true);
    m_contextHint = dimLabel(m_promptGroup);
    m_kind = new QComboBox(m_promptGroup);
    m_kind->addItem(QString());
    m_kind->addItem(QString());
    m_template = new QLineEdit(m_promptGroup);
    m_template->setObjectName(QStringLiteral("coopTemplate"));
    m_template->setText(QStringLiteral("a photo of a {}."));
    auto *prompt = new QFormLayout(m_promptGroup);
    prompt->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_contextLabel = new QLabel(m_promptGroup);
    m_initLabel = new QLabel(m_promptGroup);
    m_kindLabel = new QLabel(m_promptGroup);
    m_templateLabel = new QLabel(m_promptGroup);
    prompt->addRow(m_contextLabel, m_context);
    prompt->addRow(m_initLabel, m_initWords);
    prompt->addRow(QString(), m_contextHint);
    prompt->addRow(m_kindLabel, m_kind);
    prompt->addRow(m_templateLabel, m_template);

    // Training and the output file.
    m_trainGroup = new QGroupBox(page);
    m_steps = new QSpinBox(m_trainGroup);
    m_steps->setRange(1, 1000000);
    m_steps->setGroupSeparatorShown(true);
    m_steps->setValue(200);
    m_lr = new QLineEdit(m_trainGroup);
    m_lr->setObjectName(QStringLiteral("coopLearningRate"));
    m_lr->setText(QLocale().toString(0.002, 'g', 6));
    m_seed = new QSpinBox(m_trainGroup);
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setValue(1);
    m_output = new QLineEdit(m_trainGroup);
    m_output->setObjectName(QStringLiteral("coopOutput"));
    m_outputBrowse = new QToolButton(m_trainGroup);
    m_outputBrowse->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    auto *outputRow = new QHBoxLayout;
    outputRow->addWidget(m_output, 1);
    outputRow->addWidget(m_outputBrowse);
    auto *train = new QFormLayout(m_trainGroup);
    train->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_stepsLabel = new QLabel(m_trainGroup);
    m_lrLabel = new QLabel(m_trainGroup);
    m_seedLabel = new QLabel(m_trainGroup);
    m_outputLabel = new QLabel(m_trainGroup);
    train->addRow(m_stepsLabel, m_steps);
    train->addRow(m_lrLabel, m_lr);
    train->addRow(m_seedLabel, m_seed);
    train->addRow(m_outputLabel, outputRow);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 4, 6);
    layout->addWidget(m_dataGroup);
    layout->addWidget(m_promptGroup);
    layout->addWidget(m_trainGroup);
    layout->addStretch(1);

    connect(m_folderBrowse, &QToolButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Labelled Folder"), cleanPath(m_folder->text()));
        if (!dir.isEmpty())
            m_folder->setText(QDir::toNativeSeparators(dir));
    });
    connect(m_useSamples, &QToolButton::clicked, this, &CoopPanel::useSampleGallery);
    connect(m_folder, &QLineEdit::textChanged, this, &CoopPanel::followFolder);
    connect(m_initWords, &QLineEdit::textChanged, this, [this] {
        updateContextHint();
        setFormLocked(isRunning());
    });
    connect(m_output, &QLineEdit::textEdited, this, [this] { m_outputIsAuto = false; });
    connect(m_output, &QLineEdit::textChanged, m_output, &QLineEdit::setToolTip);
    connect(m_outputBrowse, &QToolButton::clicked, this, [this] {
        const QString start = m_output->text().isEmpty() ? promptsRoot() : cleanPath(m_output->text());
        QString file = QFileDialog::getSaveFileName(
            this, tr("Save the Learnt Prompt"), start, tr("Learnt prompts (*.safetensors)"));
        if (file.isEmpty())
            return;
        if (!file.endsWith(QStringLiteral(".safetensors"), Qt::CaseInsensitive))
            file += QStringLiteral(".safetensors");
        m_output->setText(QDir::toNativeSeparators(file));
        m_outputIsAuto = false;
    });
    return scroll;
}

QWidget *CoopPanel::createLossPage()
{
    auto *page = new QWidget(this);
    m_plot = new TrainingPlot(TrainingPlot::Loss, page);
    m_plot->setMinimumHeight(200);
    m_lossHint = dimLabel(page);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_lossHint);
    return page;
}

QWidget *CoopPanel::createResultsPage()
{
    auto *page = new QWidget;
    auto *scroll = verticalScrollArea(page, this);

    m_resultsHint = dimLabel(page);
    m_resultsBox = new QWidget(page);

    // The headline: before -> after, large.
    m_before = new QLabel(m_resultsBox);
    m_before->setObjectName(QStringLiteral("coopBefore"));
    m_after = new QLabel(m_resultsBox);
    m_after->setObjectName(QStringLiteral("coopAfter"));
    m_arrow = new QLabel(QStringLiteral("→"), m_resultsBox);
    QFont big = font();
    big.setPointSizeF(big.pointSizeF() * 2.2);
    big.setBold(true);
    for (QLabel *l : {m_before, m_after, m_arrow}) {
        l->setFont(big);
        l->setAlignment(Qt::AlignCenter);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    m_beforeCaption = dimLabel(m_resultsBox);
    m_afterCaption = dimLabel(m_resultsBox);
    m_beforeCaption->setAlignment(Qt::AlignCenter);
    m_afterCaption->setAlignment(Qt::AlignCenter);
    m_delta = new QLabel(m_resultsBox);
    m_delta->setAlignment(Qt::AlignCenter);
    QFont bold = font();
    bold.setBold(true);
    m_delta->setFont(bold);
    auto *headline = new QGridLayout;
    headline->setVerticalSpacing(0);
    headline->addWidget(m_before, 0, 0);
    headline->addWidget(m_arrow, 0, 1);
    headline->addWidget(m_after, 0, 2);
    headline->addWidget(m_beforeCaption, 1, 0);
    headline->addWidget(m_afterCaption, 1, 2);
    headline->addWidget(m_delta, 2, 0, 1, 3);
    headline->setColumnStretch(0, 1);
    headline->setColumnStretch(2, 1);
    m_summary = dimLabel(m_resultsBox);
    m_summary->setAlignment(Qt::AlignCenter);

    m_perClassLabel = new QLabel(m_resultsBox);
    m_perClassLabel->setFont(bold);
    m_perClass = resultTable(m_resultsBox);
    m_perClass->setObjectName(QStringLiteral("coopPerClass"));
    m_perClass->setColumnCount(3);
    m_perClass->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_perClass->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_perClass->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);

    m_wordsLabel = new QLabel(m_resultsBox);
    m_wordsLabel->setFont(bold);
    m_readsAs = new QLabel(m_resultsBox);
    m_readsAs->setWordWrap(true);
    m_readsAs->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_words = resultTable(m_resultsBox);
    m_words->setObjectName(QStringLiteral("coopWords"));
    m_words->setColumnCount(2);
    m_words->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_words->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);

    m_details = dimLabel(m_resultsBox);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_useInClassify = new QPushButton(m_resultsBox);
    m_useInClassify->setObjectName(QStringLiteral("coopUseInClassify"));
    auto *useRow = new QHBoxLayout;
    useRow->addWidget(m_useInClassify);
    useRow->addStretch(1);

    auto *box = new QVBoxLayout(m_resultsBox);
    box->setContentsMargins(0, 0, 0, 0);
    box->setSpacing(4);
    box->addLayout(headline);
    box->addWidget(m_summary);
    box->addLayout(useRow);
    box->addSpacing(6);
    box->addWidget(m_perClassLabel);
    box->addWidget(m_perClass);
    box->addSpacing(6);
    box->addWidget(m_wordsLabel);
    box->addWidget(m_readsAs);
    box->addWidget(m_words);
    box->addSpacing(6);
    box->addWidget(m_details);
    m_resultsBox->hide();

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 4, 6);
    layout->addWidget(m_resultsHint);
    layout->addWidget(m_resultsBox);
    layout->addStretch(1);

    connect(m_useInClassify, &QPushButton::clicked, this, &CoopPanel::useInClassify);
    return scroll;
}

void CoopPanel::retranslate()
{
    setWindowTitle(tr("Prompt Tuning"));
    m_tabs->setTabText(SetupTab, tr("Setup"));
    m_tabs->setTabText(LossTab, tr("Loss"));
    m_tabs->setTabText(ResultsTab, tr("Results"));
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

    m_plot->setRun(kRun, tr("Training loss"), QColor(0x4e, 0x9b, 0xe8));
    m_lossHint->setText(tr("Cross-entropy of the learnt prompt on the shots, averaged between reports."));
    m_resultsHint->setText(tr("Learn a prompt to compare it here with the hand-written template."));
    m_beforeCaption->setText(tr("hand-written template"));
    m_afterCaption->setText(tr("learnt prompt"));
    m_perClassLabel->setText(tr("Per class"));
    m_perClass->setHorizontalHeaderLabels({tr("Class"), tr("Template"), tr("Learnt")});
    m_wordsLabel->setText(tr("Nearest words to each context vector"));
    m_words->setHorizontalHeaderLabels({tr("Context"), tr("Nearest vocabulary words (distance)")});
    m_useInClassify->setText(tr("Use in Classify"));
    m_useInClassify->setToolTip(tr("Classify with this learnt prompt instead of the templates"));
    showResult();
    updateState();
}

QString CoopPanel::sampleGalleryFolder() const
{
    const auto dir = ml::train::sampleGalleryLabelledDir(m_samplesDir.isEmpty()
            ? ml::train::defaultSampleGalleryDir()
            : std::filesystem::path(m_samplesDir.toStdString()));
    return dir.empty() ? QString() : QDir::toNativeSeparators(QString::fromStdString(dir.string()));
}

bool CoopPanel::useSampleGallery()
{
    const QString folder = sampleGalleryFolder();
    if (folder.isEmpty()) {
        showMessage(tr("There is no sample gallery yet: File ▸ Open Sample Gallery writes one, with a labelled folder "
                       "of Fashion-MNIST garments (one sub-folder per class) when Fashion-MNIST is installed."),
            false);
        return false;
    }
    m_folder->setText(folder);
    clearMessage();
    return true;
}

void CoopPanel::fillSampleGalleryIfEmpty()
{
    // A newcomer's first look: the sample gallery's labelled folder, when it exists by now.
    if (isRunning() || !m_folder->text().trimmed().isEmpty())
        return;
    if (const QString folder = sampleGalleryFolder(); !folder.isEmpty())
        m_folder->setText(folder);
}

void CoopPanel::onDockShown(bool visible)
{
    if (visible)
        fillSampleGalleryIfEmpty();
}

void CoopPanel::showEvent(QShowEvent *event)
{
    fillSampleGalleryIfEmpty();
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

void CoopPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void CoopPanel::restoreSettings()
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

void CoopPanel::saveSettings() const
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

// --- the form ------------------------------------------------------------------------------

QString CoopPanel::promptsRoot()
{
    // Beside the app's models and runs ($XDG_DATA_HOME/ModalLens/...), not in Qt's org/app folder.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/ModalLens/prompts");
}

QString CoopPanel::defaultOutput(const QString &folder)
{
    QString name = QFileInfo(cleanPath(folder)).fileName();
    if (name.isEmpty())
        name = QStringLiteral("prompt");
    const QString root = promptsRoot();
    QString file = QStringLiteral("%1/%2-coop.safetensors").arg(root, name);
    for (int n = 2; QFileInfo::exists(file); ++n)
        file = QStringLiteral("%1/%2-coop-%3.safetensors").arg(root, name).arg(n);
    return QDir::toNativeSeparators(file);
}

void CoopPanel::followFolder()
{
    if (m_outputIsAuto && !isRunning())
        m_output->setText(defaultOutput(m_folder->text()));
}

void CoopPanel::updateContextHint()
{
    m_contextHint->setText(m_initWords->text().trimmed().isEmpty()
            ? tr("The context starts random. With words, it starts as their token embeddings, one vector per "
                 "token.")
            : tr("One context vector per token of these words, starting as their embeddings."));
}

void CoopPanel::setFormLocked(bool running)
{
    for (QWidget *w : std::initializer_list<QWidget *> {m_picker, m_folder, m_folderBrowse, m_useSamples, m_shots,
             m_initWords, m_kind, m_template, m_steps, m_lr, m_seed, m_output, m_outputBrowse})
        w->setEnabled(!running);
    m_context->setEnabled(!running && m_initWords->text().trimmed().isEmpty());
}

std::optional<ml::CoopRequest> CoopPanel::prepare()
{
    clearMessage();
    const QString model = m_picker->currentPath();
    if (model.isEmpty()) {
        showMessage(m_picker->isRefreshing() ? tr("The model list is still being searched: try again in a moment.")
                                             : tr("Choose a CLIP model."),
            true);
        return std::nullopt;
    }
    const QString folder = cleanPath(m_folder->text());
    if (folder.isEmpty()) {
        showMessage(tr("Choose a labelled folder: one sub-folder of images per class."), true);
        return std::nullopt;
    }
    const QString native = QDir::toNativeSeparators(folder);
    if (!QFileInfo(folder).isDir()) {
        showMessage(QFileInfo::exists(folder) ? tr("%1 is a file, not a folder.").arg(native)
                                              : tr("The folder %1 does not exist.").arg(native),
            true);
        return std::nullopt;
    }
    const QStringList classes = QDir(folder).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    if (classes.size() < 2) {
        showMessage(
            tr("%1 needs at least 2 class sub-folders of images; it has %n.", nullptr, static_cast<int>(classes.size()))
                .arg(native),
            true);
        return std::nullopt;
    }
    const QString templ = m_template->text().trimmed();
    if (!templ.contains(QStringLiteral("{}"))) {
        showMessage(tr("The hand-written template needs {} where the class name goes, as in “a photo of a {}.”"), true);
        return std::nullopt;
    }
    bool ok = false;
    double lr = QLocale().toDouble(m_lr->text().trimmed(), &ok);
    if (!ok)
        lr = QLocale::c().toDouble(m_lr->text().trimmed(), &ok);
    if (!ok || !(lr > 0.0) || lr > 1.0) {
        showMessage(tr("The learning rate must be a number above 0 and at most 1, such as 0.002."), true);
        return std::nullopt;
    }
    QString out = cleanPath(m_output->text());
    if (out.isEmpty()) {
        showMessage(tr("Choose where to save the learnt prompt."), true);
        return std::nullopt;
    }
    if (!out.endsWith(QStringLiteral(".safetensors"), Qt::CaseInsensitive))
        out += QStringLiteral(".safetensors");
    if (QFileInfo(out).isDir()) {
        showMessage(
            tr("%1 is a folder: the learnt prompt needs a file name.").arg(QDir::toNativeSeparators(out)), true);
        return std::nullopt;
    }
    if (!QDir().mkpath(QFileInfo(out).absolutePath())) {
        showMessage(
            tr("Cannot create the folder %1.").arg(QDir::toNativeSeparators(QFileInfo(out).absolutePath())), true);
        return std::nullopt;
    }

    ml::CoopRequest r;
    r.model = model.toStdString();
    r.folder = folder.toStdString();
    r.out = out.toStdString();
    r.shots = m_shots->value();
    r.initWords = m_initWords->text().simplified().toStdString();
    r.contextVectors = m_context->value();
    r.classSpecific = m_kind->currentIndex() == 1;
    r.steps = m_steps->value();
    r.lr = lr;
    r.seed = static_cast<std::uint64_t>(m_seed->value());
    r.templ = templ.toStdString();
    return r;
}

void CoopPanel::showMessage(const QString &text, bool error)
{
    m_messageIsError = error;
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!text.isEmpty());
}

void CoopPanel::clearMessage()
{
    showMessage(QString(), false);
}

QString CoopPanel::message() const
{
    return m_message->text();
}

int CoopPanel::lossPointCount() const
{
    return m_plot->pointCount(kRun);
}

QString CoopPanel::savedPrompt() const
{
    return m_result ? QString::fromStdString(m_result->out) : QString();
}

bool CoopPanel::useInClassify()
{
    const QString file = savedPrompt();
    if (file.isEmpty() || !QFileInfo::exists(file))
        return false;
    Q_EMIT useInClassifyRequested(file, m_resultModel);
    return true;
}

// --- the job -------------------------------------------------------------------------------

quint64 CoopPanel::start()
{
    if (isRunning()) {
        showMessage(tr("A prompt is already being learnt: cancel it first."), true);
        return 0;
    }
    auto request = prepare();
    if (!request)
        return 0;
    m_resultModel = QString::fromStdString(request->model);
    m_stage.clear();
    m_done = m_total = 0;
    m_lastMetric.reset();
    m_outcome = Outcome::None;
    m_plot->clearRun(kRun);
    m_plot->resetView();
    m_job = m_bridge->submit(ml::makeCoopTrainJob(std::move(*request)));
    setFormLocked(true);
    m_tabs->setCurrentIndex(LossTab);
    updateState();
    return m_job;
}

void CoopPanel::cancel()
{
    if (isRunning())
        m_bridge->cancel(m_job);
}

void CoopPanel::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double)
{
    if (id != m_job)
        return;
    m_stage = stage;
    m_done = done;
    m_total = total;
    updateState();
}

void CoopPanel::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (id != m_job || kind != kMetric)
        return;
    if (const auto m = engineValue<ml::CoopMetric>(value)) {
        m_lastMetric = m;
        m_plot->addPoint(kRun, 0, static_cast<double>(m->step), m->loss);
        updateState();
    }
}

void CoopPanel::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id != m_job)
        return;
    m_job = 0;
    if (const auto result = engineValue<ml::CoopResult>(value); ok && result) {
        m_outcome = Outcome::Finished;
        m_result = *result;
        QStringList warnings;
        for (const std::string &w : result->warnings)
            warnings << QString::fromStdString(w);
        if (warnings.isEmpty())
            clearMessage();
        else
            showMessage(warnings.join(QLatin1Char('\n')), false);
        m_tabs->setCurrentIndex(ResultsTab); // first: a hidden scroll area keeps a stale scroll bar
        showResult();
        // The next run writes a new file, unless the user chose one.
        followFolder();
    } else if (cancelled) {
        m_outcome = Outcome::Cancelled;
        showMessage(tr("Cancelled: nothing was saved."), false);
    } else {
        m_outcome = Outcome::Failed;
        showMessage(tr("Prompt tuning failed: %1").arg(error), true);
        m_tabs->setCurrentIndex(SetupTab);
    }
    setFormLocked(false);
    updateState();
}

void CoopPanel::updateState()
{
    m_start->setEnabled(!isRunning());
    m_cancel->setEnabled(isRunning());
    QString text;
    if (isRunning()) {
        if (m_stage == QLatin1String("training") && m_total > 0) {
            text = tr("Training: step %1 of %2").arg(QLocale().toString(m_done), QLocale().toString(m_total));
            if (m_lastMetric)
                text += QStringLiteral(" · ")
                    + tr("loss %1, shots accuracy %2")
                          .arg(QLocale().toString(m_lastMetric->loss, 'f', 3), percent(m_lastMetric->trainAccuracy));
        } else if (m_stage == QLatin1String("embedding images") && m_total > 0) {
            text = tr("Embedding images: %1 of %2").arg(QLocale().toString(m_done), QLocale().toString(m_total));
        } else if (m_stage == QLatin1String("listing images")) {
            text = tr("Listing images…");
        } else if (m_stage == QLatin1String("loading model")) {
            text = tr("Loading the model…");
        } else if (m_stage.startsWith(QLatin1String("scoring"))) {
            text = tr("Measuring held-out accuracy…");
        } else {
            text = tr("Starting…");
        }
    } else {
        switch (m_outcome) {
        case Outcome::Finished:
            text = m_result ? tr("Finished in %1").arg(seconds(m_result->seconds)) : QString();
            break;
        case Outcome::Cancelled:
            text = tr("Cancelled");
            break;
        case Outcome::Failed:
            text = tr("Failed");
            break;
        case Outcome::None:
            text = tr("Ready");
            break;
        }
    }
    m_state->setText(text);
}

void CoopPanel::showResult()
{
    const bool has = m_result.has_value();
    m_resultsBox->setVisible(has);
    m_resultsHint->setVisible(!has);
    m_useInClassify->setEnabled(has && !m_result->out.empty());
    if (!has)
        return;
    const ml::CoopResult &r = *m_result;
    m_before->setText(percent(r.accuracyBefore));
    m_after->setText(percent(r.accuracyAfter));
    m_beforeCaption->setText(QStringLiteral("“%1”").arg(QString::fromStdString(r.templ)));
    m_afterCaption->setText(tr("learnt prompt"));
    const double points = 100.0 * (r.accuracyAfter - r.accuracyBefore);
    const QString signedPoints = (points >= 0 ? QStringLiteral("+") : QString()) + QLocale().toString(points, 'f', 1);
    m_delta->setText(
        tr("%1 percentage points on %n held-out images", nullptr, static_cast<int>(r.evalImages)).arg(signedPoints));
    m_delta->setStyleSheet(points > 0 ? QStringLiteral("color: #30a46c;")
            : points < 0              ? QStringLiteral("color: #e5484d;")
                                      : QString());
    m_after->setStyleSheet(points > 0 ? QStringLiteral("color: #30a46c;") : QString());
    const int classCount = static_cast<int>(r.classes.size());
    const QString kind = r.classSpecific ? tr("Class-specific, %n context vectors per class", nullptr, r.contextVectors)
                                         : tr("Unified, %n context vectors", nullptr, r.contextVectors);
    m_summary->setText(kind + QStringLiteral(" · ") + tr("%n classes", nullptr, classCount) + QStringLiteral(" · ")
        + tr("%n shots per class", nullptr, r.shots) + QStringLiteral(" · ") + QString::fromStdString(r.modelName));

    // Per class.
    m_perClass->setRowCount(classCount);
    for (int c = 0; c < classCount; ++c) {
        const auto i = static_cast<std::size_t>(c);
        m_perClass->setItem(c, 0, new QTableWidgetItem(QString::fromStdString(r.classes[i])));
        m_perClass->setItem(c, 1, numberItem(i < r.perClassBefore.size() ? r.perClassBefore[i] : 0.0));
        QTableWidgetItem *after = numberItem(i < r.perClassAfter.size() ? r.perClassAfter[i] : 0.0);
        if (i < r.perClassBefore.size() && i < r.perClassAfter.size() && r.perClassAfter[i] != r.perClassBefore[i])
            after->setForeground(
                r.perClassAfter[i] > r.perClassBefore[i] ? QColor(0x30, 0xa4, 0x6c) : QColor(0xe5, 0x48, 0x4d));
        m_perClass->setItem(c, 2, after);
    }
    fitHeight(m_perClass, kSmallClasses);

    // Nearest words, and the context read as its nearest words.
    m_words->setRowCount(static_cast<int>(r.words.size()));
    QStringList readings;
    QString reading;
    int shownClass = -2;
    for (int row = 0; row < static_cast<int>(r.words.size()); ++row) {
        const ml::CoopContextWords &w = r.words[static_cast<std::size_t>(row)];
        const QString className = w.classIndex >= 0 && w.classIndex < classCount
            ? QString::fromStdString(r.classes[static_cast<std::size_t>(w.classIndex)])
            : QString();
        const QString position = className.isEmpty() ? tr("ctx %1").arg(w.position + 1)
                                                     : tr("%1 · ctx %2").arg(className).arg(w.position + 1);
        QStringList nearest;
        for (const ml::CoopNeighbour &n : w.nearest)
            nearest << QStringLiteral("%1 (%2)").arg(
                QString::fromStdString(n.word), QLocale().toString(n.distance, 'f', 3));
        m_words->setItem(row, 0, new QTableWidgetItem(position));
        m_words->setItem(row, 1, new QTableWidgetItem(nearest.join(QStringLiteral(",  "))));
        if (w.classIndex != shownClass) {
            if (!reading.isEmpty())
                readings << reading.trimmed();
            reading = className.isEmpty() ? QString() : className + QStringLiteral(": ");
            shownClass = w.classIndex;
        }
        if (!w.nearest.empty())
            reading += QString::fromStdString(w.nearest.front().word) + QLatin1Char(' ');
    }
    if (!reading.isEmpty())
        readings << reading.trimmed();
    m_readsAs->setText(readings.isEmpty()
            ? QString()
            : tr("Reads as: %1").arg(QStringLiteral("“%1”").arg(readings.join(QStringLiteral("”, “")))));
    fitHeight(m_words, kSmallClasses);

    m_details->setText(
        tr("%1 steps (%2, learning rate %3), final loss %4, shots accuracy %5.")
            .arg(QLocale().toString(static_cast<qint64>(r.steps)), QString::fromStdString(r.optimizer),
                QLocale().toString(r.lr, 'g', 3), QLocale().toString(r.finalLoss, 'f', 4), percent(r.trainAccuracy))
        + QLatin1Char('\n')
        + tr("Wall time %1: image features %2 (%3 images), training %4 (%5 steps/s); %6 on %7.")
              .arg(seconds(r.seconds), seconds(r.featureSeconds),
                  QLocale().toString(static_cast<qint64>(r.trainImages + r.evalImages)), seconds(r.trainSeconds),
                  QLocale().toString(r.stepsPerS, 'f', 1), QString::fromStdString(r.dtype),
                  QString::fromStdString(r.device))
        + QLatin1Char('\n')
        + (r.out.empty() ? tr("Not saved.")
                         : tr("Saved as %1").arg(QFileInfo(QString::fromStdString(r.out)).fileName())));
    // The full path in the tooltip: a long path does not wrap and would widen the page.
    m_details->setToolTip(QDir::toNativeSeparators(QString::fromStdString(r.out)));
}
