// ClassifyPanel: builds the pages around one ClassifyController and wires them. Progress and
// Cancel live in the main window's status bar, which already follows every engine job.
#include "classify/classify_panel.h"

#include "classify/classify_batch_page.h"
#include "classify/classify_controller.h"
#include "classify/classify_evaluation_page.h"
#include "classify/classify_labels_page.h"
#include "classify/classify_prompts_page.h"
#include "classify/classify_result_page.h"
#include "common/feature_layout.h"
#include "common/model_picker.h"

#include <QComboBox>
#include <QEvent>
#include <QFileDialog>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QStyle>
#include <QTabWidget>
#include <QVBoxLayout>

namespace {

const QString kModelKey = QStringLiteral("classify/model");
const QString kTopKKey = QStringLiteral("classify/topK");

} // namespace

ClassifyPanel::ClassifyPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_picker(new ModelPicker(bridge, QStringLiteral("clip"), kModelKey, this))
    , m_controller(new ClassifyController(bridge, m_picker, this))
    , m_layout(new FeatureLayout(this))
{
    setObjectName(QStringLiteral("classify"));
    m_layout->setObjectName(QStringLiteral("classifyLayout"));
    m_layout->setMainView(createMainView());
    m_layout->setSidePanel(createSidePanel());
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_layout);

    connectController();
    m_controller->restoreSettings();
    m_resultPage->setTopK(QSettings().value(kTopKKey, 5).toInt());
    retranslate();
}

ClassifyPanel::~ClassifyPanel()
{
    QSettings().setValue(kTopKKey, m_resultPage->topK());
}

QWidget *ClassifyPanel::createSidePanel()
{
    auto *side = new QWidget(this);
    side->setObjectName(QStringLiteral("classifySide"));
    m_modelLabel = new QLabel(side);
    m_modelLabel->setBuddy(m_picker->combo());
    // A long entry ("clip-mini · clip · 1.5 M params · built in") must not widen the side panel.
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    m_message = new QLabel(side);
    m_message->setObjectName(QStringLiteral("classifyMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    m_setup = new QTabWidget(side);
    m_setup->setObjectName(QStringLiteral("classifySetup"));
    m_setup->setDocumentMode(true);
    m_setup->addTab(new ClassifyLabelsPage(m_controller, m_setup), QString());
    m_setup->addTab(new ClassifyPromptsPage(m_controller, m_setup), QString());

    auto *layout = new QVBoxLayout(side);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(6);
    layout->addWidget(m_modelLabel);
    layout->addWidget(m_picker);
    layout->addWidget(m_message);
    layout->addWidget(m_setup, 1);
    layout->addWidget(createRunBox(side));
    return side;
}

QWidget *ClassifyPanel::createRunBox(QWidget *parent)
{
    auto *box = new QWidget(parent);
    m_runTitle = new QLabel(box);
    QFont bold = m_runTitle->font();
    bold.setBold(true);
    m_runTitle->setFont(bold);
    m_classifySelected = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), QString(), box);
    m_classifySelected->setObjectName(QStringLiteral("classifySelected"));
    m_classifySelected->setDefault(true);
    m_classifyFolder = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), QString(), box);
    m_classifyFolder->setObjectName(QStringLiteral("classifyFolder"));
    m_classifyGallery = new QPushButton(box);
    m_classifyGallery->setObjectName(QStringLiteral("classifyGallery"));
    m_evaluate = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), QString(), box);
    m_evaluate->setObjectName(QStringLiteral("evaluateFolder"));

    auto *grid = new QGridLayout(box);
    grid->setContentsMargins(0, 4, 0, 0);
    grid->setSpacing(6);
    grid->addWidget(m_runTitle, 0, 0, 1, 2);
    grid->addWidget(m_classifySelected, 1, 0, 1, 2);
    grid->addWidget(m_classifyFolder, 2, 0);
    grid->addWidget(m_classifyGallery, 2, 1);
    grid->addWidget(m_evaluate, 3, 0, 1, 2);

    connect(m_classifySelected, &QPushButton::clicked, m_controller, &ClassifyController::classifySelected);
    connect(m_classifyGallery, &QPushButton::clicked, m_controller, &ClassifyController::classifyGallery);
    connect(m_classifyFolder, &QPushButton::clicked, this, [this] {
        if (const QString folder = pickFolder(tr("Classify a Folder")); !folder.isEmpty())
            m_controller->classifyFolder(folder);
    });
    connect(m_evaluate, &QPushButton::clicked, this, [this] {
        if (const QString folder = pickFolder(tr("Evaluate a Labelled Folder")); !folder.isEmpty())
            m_controller->evaluateFolder(folder);
    });
    return box;
}

QWidget *ClassifyPanel::createMainView()
{
    m_views = new QTabWidget(this);
    m_views->setObjectName(QStringLiteral("classifyViews"));
    m_views->setDocumentMode(true);
    m_resultPage = new ClassifyResultPage(m_controller, m_views);
    m_batchPage = new ClassifyBatchPage(m_controller, m_views);
    m_evaluationPage = new ClassifyEvaluationPage(m_controller, m_views);
    m_views->insertTab(ClassifyController::ImageView, m_resultPage, QString());
    m_views->insertTab(ClassifyController::BatchView, m_batchPage, QString());
    m_views->insertTab(ClassifyController::EvaluationView, m_evaluationPage, QString());
    connect(m_resultPage, &ClassifyResultPage::fileActivated, this, &ClassifyPanel::fileActivated);
    connect(m_batchPage, &ClassifyBatchPage::fileActivated, this, &ClassifyPanel::fileActivated);
    connect(m_evaluationPage, &ClassifyEvaluationPage::fileActivated, this, &ClassifyPanel::fileActivated);
    return m_views;
}

void ClassifyPanel::connectController()
{
    connect(m_controller, &ClassifyController::messageChanged, this, &ClassifyPanel::showMessage);
    connect(m_controller, &ClassifyController::viewRequested, m_views, &QTabWidget::setCurrentIndex);
    connect(m_controller, &ClassifyController::setupPageRequested, m_setup, &QTabWidget::setCurrentIndex);
    connect(m_controller, &ClassifyController::selectionCountChanged, this, &ClassifyPanel::updateSelectionCount);
    for (auto signal : {&ClassifyController::labelsChanged, &ClassifyController::templatesChanged,
             &ClassifyController::learntPromptChanged})
        connect(m_controller, signal, this, &ClassifyPanel::updateSetupTabs);
    connect(m_picker, &ModelPicker::failed, m_controller,
        [this](const QString &text) { m_controller->showMessage(text, true); });
    connect(m_picker, &ModelPicker::refreshed, m_controller, [this](int usable) {
        if (usable == 0)
            m_controller->showMessage(
                tr("No CLIP model found. Use “Add folder…” to point at a folder holding one (Hugging Face "
                   "layout: config.json, model.safetensors, vocab.json, merges.txt)."),
                false);
        else if (!m_controller->messageIsError())
            m_controller->clearMessage();
    });
}

void ClassifyPanel::setGallery(GalleryWidget *gallery)
{
    m_controller->setGallery(gallery);
}

quint64 ClassifyPanel::classifyFiles(const QStringList &files)
{
    return m_controller->classifyFiles(files);
}

void ClassifyPanel::setLabels(const QStringList &labels)
{
    m_controller->setLabels(labels);
}

bool ClassifyPanel::useLearntPrompt(const QString &file)
{
    return m_controller->useLearntPrompt(file);
}

QString ClassifyPanel::pickFolder(const QString &title)
{
    const QString folder = QFileDialog::getExistingDirectory(
        this, title, ClassifyController::dialogStart(QStandardPaths::PicturesLocation));
    if (!folder.isEmpty())
        ClassifyController::rememberDialogFolder(folder);
    return folder;
}

void ClassifyPanel::showMessage(const QString &text, bool error)
{
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    const QString colour = error ? (dark ? QStringLiteral("#ff8f8f") : QStringLiteral("#b3261e"))
                                 : palette().color(QPalette::WindowText).name();
    const QString border = error ? QStringLiteral("#e5534b") : palette().color(QPalette::Highlight).name();
    const QString fill = error ? QStringLiteral("rgba(229, 83, 75, 0.14)") : QStringLiteral("rgba(61, 139, 253, 0.12)");
    m_message->setStyleSheet(
        QStringLiteral("QLabel#classifyMessage { color: %1; background: %2; border-left: 3px solid %3; "
                       "padding: 5px 8px; }")
            .arg(colour, fill, border));
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

void ClassifyPanel::updateSetupTabs()
{
    m_setup->setTabText(ClassifyController::LabelsPage, tr("Labels (%1)").arg(m_controller->labels().size()));
    m_setup->setTabText(ClassifyController::PromptsPage,
        m_controller->learntPrompt().isEmpty() ? tr("Prompts (%1)").arg(m_controller->templates().size())
                                               : tr("Prompts (learnt)"));
}

void ClassifyPanel::updateSelectionCount(int files)
{
    m_selected = files;
    m_classifySelected->setText(files > 0 ? tr("Classify selected (%n)", nullptr, files) : tr("Classify selected"));
}

void ClassifyPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ClassifyPanel::retranslate()
{
    setWindowTitle(tr("Classify"));
    m_modelLabel->setText(tr("Model"));
    m_setup->setTabToolTip(ClassifyController::LabelsPage, tr("The classes to choose from"));
    m_setup->setTabToolTip(
        ClassifyController::PromptsPage, tr("How each label is put into words for the text encoder"));
    updateSetupTabs();
    m_runTitle->setText(tr("Run"));
    m_classifySelected->setToolTip(tr("Classify the photos and videos selected in the gallery, or the one in the "
                                      "preview (a video on the frame at its middle)"));
    updateSelectionCount(m_selected);
    m_classifyFolder->setText(tr("Classify folder…"));
    m_classifyFolder->setToolTip(tr("Classify every photo and video in a folder and its sub-folders (a video on the "
                                    "frame at its middle)"));
    m_classifyGallery->setText(tr("Classify whole gallery"));
    m_evaluate->setText(tr("Evaluate folder…"));
    m_evaluate->setToolTip(tr("A folder with one sub-folder of photos per class; the sub-folder names are the labels"));
    m_views->setTabText(ClassifyController::ImageView, tr("Images"));
    m_views->setTabText(ClassifyController::BatchView, tr("Batch"));
    m_views->setTabText(ClassifyController::EvaluationView, tr("Evaluation"));
}
