// ClassifyPanel: builds the requests from the model picker, the label editor and the prompt
// list, submits them through EngineBridge and shows what streams back. Progress and Cancel
// live in the main window's status bar, which already follows every engine job.
#include "classify/classify_panel.h"

#include "classify/classify_chart.h"
#include "classify/classify_table_model.h"
#include "classify/confusion_cell_dialog.h"
#include "classify/confusion_matrix_view.h"
#include "classify/label_sets.h"
#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/format.h"
#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "gallery/thumbnail_loader.h"
#include "io/media.h"

#include <QAction>
#include <QComboBox>
#include <QDirIterator>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QResizeEvent>
#include <QScrollArea>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace {

const QString kModelKey = QStringLiteral("classify/model");
const QString kLabelsKey = QStringLiteral("classify/labels");
const QString kLabelSetKey = QStringLiteral("classify/labelSet");
const QString kTemplatesKey = QStringLiteral("classify/templates");
const QString kLearntPromptKey = QStringLiteral("classify/learntPrompt");
const QString kTopKKey = QStringLiteral("classify/topK");
const QString kDirKey = QStringLiteral("classify/lastDir");
const QString kSplitterKey = QStringLiteral("classify/splitter");
const QString kImageScores = QStringLiteral("image-scores");
constexpr int kPathRole = Qt::UserRole + 1;
constexpr int kPromptRole = Qt::UserRole + 2; // the last accepted text of a prompt
constexpr int kSortRole = Qt::UserRole + 3;
constexpr QSize kListThumb {40, 30};
constexpr QSize kHeaderThumb {112, 84};

// Where the panel's file dialogs start: the folder they last used, else `fallback` as
// dialogFolder() finds it (a fresh profile's empty setting opened them at "/").
QString lastFolder(const QSettings &settings, QStandardPaths::StandardLocation fallback)
{
    const QString dir = settings.value(kDirKey).toString();
    return !dir.isEmpty() && QFileInfo(dir).isDir() ? dir : dialogFolder(fallback);
}

// Photos and videos are classified (a video on the frame at its middle).
bool isClassifiable(ml::io::MediaKind kind)
{
    return kind == ml::io::MediaKind::Image || kind == ml::io::MediaKind::Video;
}

QStringList toQStringList(const std::vector<std::string> &v)
{
    QStringList out;
    for (const std::string &s : v)
        out << QString::fromStdString(s);
    return out;
}

std::vector<std::string> toStd(const QStringList &list)
{
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(list.size()));
    for (const QString &s : list)
        out.push_back(s.toStdString());
    return out;
}

QFrame *separator(QWidget *parent)
{
    auto *line = new QFrame(parent);
    line->setFrameShape(QFrame::VLine);
    line->setFrameShadow(QFrame::Sunken);
    return line;
}

QStandardItem *numberItem(const QString &text, double sortValue)
{
    auto *item = new QStandardItem(text);
    item->setData(sortValue, kSortRole);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    item->setEditable(false);
    return item;
}

} // namespace

ClassifyPanel::ClassifyPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_picker(new ModelPicker(bridge, QStringLiteral("clip"), kModelKey, this))
    , m_modelLabel(new QLabel(this))
    , m_message(new QLabel(this))
    , m_splitter(new QSplitter(Qt::Vertical, this))
    , m_setup(new QTabWidget(this))
    , m_results(new QTabWidget(this))
    , m_batch(new ClassifyTableModel(this))
    , m_batchProxy(new QSortFilterProxyModel(this))
    , m_perClass(new QStandardItemModel(this))
    , m_thumbs(new ThumbnailLoader(ThumbnailLoader::defaultCacheDir(), kHeaderThumb, this))
{
    setObjectName(QStringLiteral("classify"));
    Q_ASSERT(m_bridge);

    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setObjectName(QStringLiteral("classifyMessage"));
    m_message->hide();

    m_setup->setDocumentMode(true);
    m_setup->addTab(createLabelsPage(), QString());
    m_setup->addTab(createPromptsPage(), QString());
    m_results->setDocumentMode(true);
    m_results->addTab(createImagePage(), QString());
    m_results->addTab(createBatchPage(), QString());
    m_results->addTab(createEvaluationPage(), QString());

    auto *modelRow = new QHBoxLayout;
    modelRow->setSpacing(6);
    modelRow->addWidget(m_modelLabel);
    modelRow->addWidget(m_picker, 1);

    m_splitter->addWidget(m_setup);
    m_splitter->addWidget(m_results);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setChildrenCollapsible(false);
    m_splitter->setSizes({180, 560});

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 4);
    layout->setSpacing(6);
    layout->addLayout(modelRow);
    layout->addWidget(m_message);
    layout->addWidget(m_splitter, 1);

    connect(m_bridge, &EngineBridge::partial, this, &ClassifyPanel::onPartial);
    connect(m_bridge, &EngineBridge::finished, this, &ClassifyPanel::onFinished);
    connect(m_picker, &ModelPicker::failed, this, [this](const QString &text) { showMessage(text, true); });
    connect(m_picker, &ModelPicker::refreshed, this, [this](int usable) {
        if (usable == 0)
            showMessage(tr("No CLIP model found. Use “Add folder…” to point at a folder holding one (Hugging Face "
                           "layout: config.json, model.safetensors, vocab.json, merges.txt)."),
                false);
        else if (!m_messageIsError)
            clearMessage();
    });
    connect(m_thumbs, &ThumbnailLoader::ready, this, [this](const QList<ThumbnailResult> &results) {
        for (const ThumbnailResult &r : results) {
            // Keys are generation-tagged result indices: results of an older run are dropped.
            if (static_cast<quint64>(r.key) >> 20 != (m_thumbGeneration & 0x7ff) || r.image.isNull())
                continue;
            const int i = r.key & 0xfffff;
            m_thumbCache.insert(i, QPixmap::fromImage(r.image));
            updateImageItem(i);
            if (i == m_current)
                updateHeader();
        }
    });

    retranslate();
    restoreSettings();
}

ClassifyPanel::~ClassifyPanel()
{
    saveSettings();
}

// --- pages ---------------------------------------------------------------------------------

QWidget *ClassifyPanel::createLabelsPage()
{
    auto *page = new QWidget(this);
    m_setLabel = new QLabel(page);
    m_labelSet = new QComboBox(page);
    m_labelSet->addItem(QString(), QString()); // "Custom"
    for (const QString &id : LabelSets::ids())
        m_labelSet->addItem(LabelSets::displayName(id), id);
    m_loadLabels = new QToolButton(page);
    m_saveLabels = new QToolButton(page);
    m_loadLabels->setIcon(style()->standardIcon(QStyle::SP_DialogOpenButton));
    m_saveLabels->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    for (QToolButton *b : {m_loadLabels, m_saveLabels}) {
        b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        b->setAutoRaise(true);
    }
    m_labels = new QPlainTextEdit(page);
    m_labels->setObjectName(QStringLiteral("labelEdit"));
    m_labels->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_labels->setTabChangesFocus(true);
    m_labelStatus = dimLabel(page);

    auto *row = new QHBoxLayout;
    row->addWidget(m_setLabel);
    row->addWidget(m_labelSet, 1);
    row->addWidget(m_loadLabels);
    row->addWidget(m_saveLabels);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->setSpacing(4);
    layout->addLayout(row);
    layout->addWidget(m_labels, 1);
    layout->addWidget(m_labelStatus);

    connect(m_labelSet, &QComboBox::activated, this, [this](int index) {
        const QString id = m_labelSet->itemData(index).toString();
        if (!id.isEmpty())
            useLabelSet(id);
    });
    connect(m_labels, &QPlainTextEdit::textChanged, this, [this] {
        // Editing a built-in set makes it the user's own.
        const QString id = m_labelSet->currentData().toString();
        if (!id.isEmpty() && LabelSets::parse(m_labels->toPlainText()) != LabelSets::labels(id))
            m_labelSet->setCurrentIndex(0);
        updateLabelStatus();
    });
    connect(m_loadLabels, &QToolButton::clicked, this, [this] {
        QSettings settings;
        const QString path = QFileDialog::getOpenFileName(this, tr("Load Labels"),
            lastFolder(settings, QStandardPaths::DocumentsLocation), tr("Text files (*.txt);;All files (*)"));
        if (path.isEmpty())
            return;
        settings.setValue(kDirKey, QFileInfo(path).absolutePath());
        QStringList labels;
        QString error;
        if (!LabelSets::read(path, &labels, &error))
            return showMessage(error, true);
        setLabels(labels);
        if (const QString problem = LabelSets::problem(labels); !problem.isEmpty())
            showMessage(tr("%1: %2").arg(QFileInfo(path).fileName(), problem), true);
        else
            clearMessage();
    });
    connect(m_saveLabels, &QToolButton::clicked, this, [this] {
        QSettings settings;
        QString path = QFileDialog::getSaveFileName(this, tr("Save Labels"),
            lastFolder(settings, QStandardPaths::DocumentsLocation) + QStringLiteral("/labels.txt"),
            tr("Text files (*.txt)"));
        if (path.isEmpty())
            return;
        if (QFileInfo(path).suffix().isEmpty())
            path += QStringLiteral(".txt");
        settings.setValue(kDirKey, QFileInfo(path).absolutePath());
        QString error;
        if (!LabelSets::write(path, labels(), &error))
            showMessage(error, true);
    });
    return page;
}

QWidget *ClassifyPanel::createPromptsPage()
{
    auto *page = new QWidget(this);
    m_templates = new QListWidget(page);
    m_templates->setObjectName(QStringLiteral("templateList"));
    m_templates->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_newTemplate = new QLineEdit(page);
    m_newTemplate->setClearButtonEnabled(true);
    m_addTemplate = new QToolButton(page);
    m_removeTemplate = new QToolButton(page);
    m_resetTemplates = new QToolButton(page);
    for (QToolButton *b : {m_addTemplate, m_removeTemplate, m_resetTemplates})
        b->setAutoRaise(true);
    m_templateHint = dimLabel(page);
    m_useLearnt = new QToolButton(page);
    m_useLearnt->setObjectName(QStringLiteral("useLearntPrompt"));
    m_useLearnt->setAutoRaise(true);
    m_useLearnt->setIcon(style()->standardIcon(QStyle::SP_DialogOpenButton));
    m_useLearnt->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_learntBox = new QWidget(page);
    m_learntInfo = new QLabel(m_learntBox);
    m_learntInfo->setObjectName(QStringLiteral("learntPromptInfo"));
    m_learntInfo->setWordWrap(true);
    m_learntInfo->setTextFormat(Qt::RichText);
    m_learntInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_useTemplates = new QPushButton(m_learntBox);
    m_useTemplates->setObjectName(QStringLiteral("useTemplates"));
    auto *learntRow = new QHBoxLayout(m_learntBox);
    learntRow->setContentsMargins(0, 0, 0, 0);
    learntRow->addWidget(m_learntInfo, 1);
    learntRow->addWidget(m_useTemplates, 0, Qt::AlignTop);
    m_learntBox->hide();

    auto *row = new QHBoxLayout;
    row->addWidget(m_newTemplate, 1);
    row->addWidget(m_addTemplate);
    row->addWidget(separator(page));
    row->addWidget(m_removeTemplate);
    row->addWidget(m_resetTemplates);
    row->addWidget(separator(page));
    row->addWidget(m_useLearnt);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(m_learntBox);
    layout->addWidget(m_templates, 1);
    layout->addLayout(row);
    layout->addWidget(m_templateHint);

    connect(m_useLearnt, &QToolButton::clicked, this, [this] {
        QSettings settings;
        const QString start
            = m_learntPrompt.isEmpty() ? lastFolder(settings, QStandardPaths::DocumentsLocation) : m_learntPrompt;
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Use Learnt Prompt"), start, tr("Learnt prompts (*.safetensors);;All files (*)"));
        if (path.isEmpty())
            return;
        settings.setValue(kDirKey, QFileInfo(path).absolutePath());
        if (useLearntPrompt(path))
            clearMessage();
    });
    connect(m_useTemplates, &QPushButton::clicked, this, [this] {
        useTemplates();
        clearMessage();
    });

    const auto add = [this] {
        if (addTemplate(m_newTemplate->text()))
            m_newTemplate->clear();
    };
    connect(m_addTemplate, &QToolButton::clicked, this, add);
    connect(m_newTemplate, &QLineEdit::returnPressed, this, add);
    connect(m_removeTemplate, &QToolButton::clicked, this, [this] {
        delete m_templates->currentItem();
        updateTemplateStatus();
    });
    connect(m_resetTemplates, &QToolButton::clicked, this, [this] { setTemplates({LabelSets::defaultTemplate()}); });
    connect(m_templates, &QListWidget::itemChanged, this, [this](QListWidgetItem *item) {
        // An edit that loses the "{}" is put back, and the user is told why.
        const QString text = item->text().trimmed();
        const QString accepted = item->data(kPromptRole).toString();
        if (text == accepted)
            return;
        const QSignalBlocker block(m_templates);
        if (const QString problem = LabelSets::templateProblem(text); !problem.isEmpty()) {
            item->setText(accepted);
            showMessage(problem, true);
            return;
        }
        item->setText(text);
        item->setData(kPromptRole, text);
        clearMessage();
        updateTemplateStatus();
    });
    connect(m_templates, &QListWidget::currentRowChanged, this, [this] { updateTemplateStatus(); });
    return page;
}

QWidget *ClassifyPanel::createImagePage()
{
    auto *page = new QWidget(this);
    m_classifySelected = new QPushButton(page);
    m_classifySelected->setObjectName(QStringLiteral("classifySelected"));
    m_classifySelected->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    m_classifySelected->setDefault(true);
    m_topKLabel = new QLabel(page);
    m_topK = new QSpinBox(page);
    m_topK->setRange(1, 100);
    m_topK->setValue(5);
    m_topKLabel->setBuddy(m_topK);

    m_imageList = new QListWidget(page);
    m_imageList->setObjectName(QStringLiteral("imageResults"));
    m_imageList->setIconSize(kListThumb);
    m_imageList->setUniformItemSizes(true);
    m_imageList->setTextElideMode(Qt::ElideRight);
    m_imageList->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_imageList->setMinimumWidth(120);

    m_imageStack = new QStackedWidget(page);
    m_imagePlaceholder = dimLabel(page);
    m_imagePlaceholder->setAlignment(Qt::AlignCenter);
    m_imagePlaceholder->setMargin(16);

    auto *result = new QWidget(page);
    m_thumb = new QLabel(result);
    m_thumb->setFixedSize(kHeaderThumb);
    m_thumb->setAlignment(Qt::AlignCenter);
    m_thumb->setAutoFillBackground(true);
    m_thumb->setBackgroundRole(QPalette::AlternateBase);
    m_fileName = new QLabel(result);
    QFont bold = m_fileName->font();
    bold.setBold(true);
    m_fileName->setFont(bold);
    m_fileName->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_prediction = new QLabel(result);
    QFont big = m_prediction->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    m_prediction->setFont(big);
    m_prediction->setForegroundRole(QPalette::Highlight);
    m_prediction->setWordWrap(true);
    m_info = dimLabel(result);
    m_info->setObjectName(QStringLiteral("runInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_imageError = new QLabel(result);
    m_imageError->setWordWrap(true);
    m_imageError->setStyleSheet(QStringLiteral("color: #f06a6a;"));
    m_imageError->hide();

    m_chart = new ClassifyChart(result);
    m_chartScroll = new QScrollArea(result);
    m_chartScroll->setWidget(m_chart);
    m_chartScroll->setWidgetResizable(true);
    m_chartScroll->setFrameShape(QFrame::NoFrame);
    m_chartScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    auto *text = new QVBoxLayout;
    text->setSpacing(2);
    text->addWidget(m_fileName);
    text->addWidget(m_prediction);
    text->addWidget(m_info);
    text->addStretch(1);
    auto *header = new QHBoxLayout;
    header->setSpacing(10);
    header->addWidget(m_thumb, 0, Qt::AlignTop);
    header->addLayout(text, 1);
    auto *resultLayout = new QVBoxLayout(result);
    resultLayout->setContentsMargins(6, 4, 0, 0);
    resultLayout->setSpacing(6);
    resultLayout->addLayout(header);
    resultLayout->addWidget(m_imageError);
    resultLayout->addWidget(m_chartScroll, 1);

    m_imageStack->addWidget(m_imagePlaceholder);
    m_imageStack->addWidget(result);

    // The list beside the chart when the dock is wide, above it when narrow (eventFilter).
    m_imageSplit = new QSplitter(Qt::Horizontal, page);
    m_imageSplit->addWidget(m_imageList);
    m_imageSplit->addWidget(m_imageStack);
    m_imageSplit->setStretchFactor(0, 0);
    m_imageSplit->setStretchFactor(1, 1);
    m_imageSplit->setSizes({200, 400});
    m_imageSplit->setChildrenCollapsible(false);
    page->installEventFilter(this);

    auto *row = new QHBoxLayout;
    row->addWidget(m_classifySelected);
    row->addStretch(1);
    row->addWidget(m_topKLabel);
    row->addWidget(m_topK);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->setSpacing(6);
    layout->addLayout(row);
    layout->addWidget(m_imageSplit, 1);

    connect(m_classifySelected, &QPushButton::clicked, this, &ClassifyPanel::classifySelected);
    connect(m_topK, &QSpinBox::valueChanged, m_chart, &ClassifyChart::setTopK);
    connect(m_imageList, &QListWidget::currentRowChanged, this, &ClassifyPanel::showImageResult);
    connect(m_imageList, &QListWidget::itemDoubleClicked, this,
        [this](QListWidgetItem *item) { Q_EMIT fileActivated(item->data(kPathRole).toString()); });
    return page;
}

QWidget *ClassifyPanel::createBatchPage()
{
    auto *page = new QWidget(this);
    m_classifyFolder = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), QString(), page);
    m_classifyGallery = new QPushButton(page);
    m_export = new QToolButton(page);
    m_export->setPopupMode(QToolButton::InstantPopup);
    m_export->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_export->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    auto *menu = new QMenu(m_export);
    m_exportCsv = menu->addAction(QString());
    m_exportJson = menu->addAction(QString());
    m_export->setMenu(menu);
    m_batchSummary = dimLabel(page);

    m_batchProxy->setSourceModel(m_batch);
    m_batchProxy->setSortRole(ClassifyTableModel::SortRole);
    m_batchProxy->setDynamicSortFilter(true);
    m_batchView = new QTableView(page);
    m_batchView->setObjectName(QStringLiteral("batchTable"));
    m_batchView->setModel(m_batchProxy);
    m_batchView->setSortingEnabled(true);
    m_batchView->sortByColumn(-1, Qt::AscendingOrder); // arrival order until the user sorts
    m_batchView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_batchView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_batchView->setAlternatingRowColors(true);
    m_batchView->setWordWrap(false);
    m_batchView->setTextElideMode(Qt::ElideMiddle);
    m_batchView->verticalHeader()->hide();
    m_batchView->verticalHeader()->setDefaultSectionSize(m_batchView->fontMetrics().height() + 8);
    m_batchView->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_batchView->horizontalHeader()->setSectionResizeMode(ClassifyTableModel::FileColumn, QHeaderView::Stretch);
    m_batchView->horizontalHeader()->setHighlightSections(false);
    for (int c : {ClassifyTableModel::TopProbColumn, ClassifyTableModel::SecondProbColumn})
        m_batchView->setColumnWidth(c, 64);
    for (int c : {ClassifyTableModel::TopLabelColumn, ClassifyTableModel::SecondLabelColumn})
        m_batchView->setColumnWidth(c, 110);

    auto *row = new QHBoxLayout;
    row->addWidget(m_classifyFolder);
    row->addWidget(m_classifyGallery);
    row->addStretch(1);
    row->addWidget(m_export);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->setSpacing(6);
    layout->addLayout(row);
    layout->addWidget(m_batchView, 1);
    layout->addWidget(m_batchSummary);

    connect(m_classifyFolder, &QPushButton::clicked, this, [this] {
        const QString folder = pickFolder(tr("Classify a Folder"));
        if (!folder.isEmpty())
            classifyFolder(folder);
    });
    connect(m_classifyGallery, &QPushButton::clicked, this, &ClassifyPanel::classifyGallery);
    connect(m_exportCsv, &QAction::triggered, this, [this] { exportDialog(false); });
    connect(m_exportJson, &QAction::triggered, this, [this] { exportDialog(true); });
    connect(m_batchView, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        Q_EMIT fileActivated(index.data(ClassifyTableModel::PathRole).toString());
    });
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_batch, signal, this, &ClassifyPanel::updateBatchSummary);
    connect(m_batch, &QAbstractItemModel::modelReset, this, &ClassifyPanel::updateBatchSummary);
    return page;
}

QWidget *ClassifyPanel::createEvaluationPage()
{
    auto *page = new QWidget(this);
    m_evaluate = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), QString(), page);
    m_evaluate->setObjectName(QStringLiteral("evaluateFolder"));
    m_evalSummary = new QLabel(page);
    m_evalSummary->setWordWrap(true);
    m_evalSummary->setTextFormat(Qt::RichText);
    m_confusion = new ConfusionMatrixView(page);
    m_confusion->setMinimumHeight(220);
    m_perClass->setSortRole(kSortRole);
    m_perClassView = new QTableView(page);
    m_perClassView->setObjectName(QStringLiteral("perClassTable"));
    m_perClassView->setModel(m_perClass);
    m_perClassView->setSortingEnabled(true);
    m_perClassView->sortByColumn(-1, Qt::AscendingOrder);
    m_perClassView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_perClassView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_perClassView->setAlternatingRowColors(true);
    m_perClassView->verticalHeader()->hide();
    m_perClassView->verticalHeader()->setDefaultSectionSize(m_perClassView->fontMetrics().height() + 8);
    m_perClassView->horizontalHeader()->setHighlightSections(false);

    auto *split = new QSplitter(Qt::Vertical, page);
    split->addWidget(m_confusion);
    split->addWidget(m_perClassView);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    split->setSizes({400, 150});

    auto *row = new QHBoxLayout;
    row->addWidget(m_evaluate);
    row->addStretch(1);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->setSpacing(6);
    layout->addLayout(row);
    layout->addWidget(m_evalSummary);
    layout->addWidget(split, 1);

    connect(m_evaluate, &QPushButton::clicked, this, [this] {
        const QString folder = pickFolder(tr("Evaluate a Labelled Folder"));
        if (!folder.isEmpty())
            evaluateFolder(folder);
    });
    connect(m_confusion, &ConfusionMatrixView::cellClicked, this, &ClassifyPanel::openConfusionCell);
    return page;
}

// --- gallery ------------------------------------------------------------------------------

void ClassifyPanel::setGallery(GalleryWidget *gallery)
{
    m_gallery = gallery;
    if (m_gallery) {
        QItemSelectionModel *selection = m_gallery->view()->selectionModel();
        connect(selection, &QItemSelectionModel::selectionChanged, this, &ClassifyPanel::updateSelectionCount);
        connect(selection, &QItemSelectionModel::currentChanged, this, &ClassifyPanel::updateSelectionCount);
    }
    updateSelectionCount();
}

QStringList ClassifyPanel::selectedFiles() const
{
    if (!m_gallery)
        return {};
    const auto isImage = [](const QModelIndex &index) {
        return isClassifiable(static_cast<ml::io::MediaKind>(index.data(GalleryModel::KindRole).toInt()));
    };
    QModelIndexList rows = m_gallery->view()->selectionModel()->selectedIndexes();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList files;
    for (const QModelIndex &index : std::as_const(rows))
        if (isImage(index))
            files << index.data(GalleryModel::PathRole).toString();
    if (files.isEmpty() && rows.isEmpty()) { // nothing selected: the previewed photo
        const QModelIndex current = m_gallery->view()->currentIndex();
        if (current.isValid() && isImage(current))
            files << current.data(GalleryModel::PathRole).toString();
    }
    return files;
}

QStringList ClassifyPanel::galleryFiles() const
{
    QStringList files;
    if (!m_gallery)
        return files;
    const GalleryModel *model = m_gallery->model();
    for (int row = 0; row < model->rowCount(); ++row)
        if (isClassifiable(model->item(row).kind))
            files << model->item(row).path;
    return files;
}

void ClassifyPanel::updateSelectionCount()
{
    const int n = static_cast<int>(selectedFiles().size());
    m_classifySelected->setText(n > 0 ? tr("Classify selected (%n)", nullptr, n) : tr("Classify selected"));
}

// --- label set and prompts ----------------------------------------------------------------

void ClassifyPanel::setLabels(const QStringList &labels)
{
    m_labels->setPlainText(labels.join(QLatin1Char('\n')));
}

QStringList ClassifyPanel::labels() const
{
    return LabelSets::parse(m_labels->toPlainText());
}

void ClassifyPanel::useLabelSet(const QString &id)
{
    const QStringList set = LabelSets::labels(id);
    if (set.isEmpty())
        return;
    setLabels(set);
    m_labelSet->setCurrentIndex(std::max(0, m_labelSet->findData(id)));
    updateLabelStatus();
}

void ClassifyPanel::updateLabelStatus()
{
    const QStringList list = labels();
    const QString problem = LabelSets::problem(list);
    m_labelStatus->setText(
        problem.isEmpty() ? tr("%n labels, one per line", nullptr, static_cast<int>(list.size())) : problem);
    m_setup->setTabText(0, tr("Labels (%1)").arg(list.size()));
}

bool ClassifyPanel::addTemplate(const QString &prompt)
{
    const QString text = prompt.trimmed();
    if (const QString problem = LabelSets::templateProblem(text); !problem.isEmpty()) {
        showMessage(problem, true);
        return false;
    }
    if (templates().contains(text)) {
        showMessage(tr("The prompt “%1” is already in the list.").arg(text), true);
        return false;
    }
    auto *item = new QListWidgetItem(text);
    item->setFlags(item->flags() | Qt::ItemIsEditable);
    item->setData(kPromptRole, text);
    {
        const QSignalBlocker block(m_templates);
        m_templates->addItem(item);
    }
    clearMessage();
    updateTemplateStatus();
    return true;
}

void ClassifyPanel::setTemplates(const QStringList &prompts)
{
    {
        const QSignalBlocker block(m_templates);
        m_templates->clear();
    }
    for (const QString &p : prompts)
        if (LabelSets::templateProblem(p).isEmpty() && !templates().contains(p.trimmed()))
            addTemplate(p);
    updateTemplateStatus();
}

QStringList ClassifyPanel::templates() const
{
    QStringList out;
    for (int i = 0; i < m_templates->count(); ++i)
        out << m_templates->item(i)->data(kPromptRole).toString();
    return out;
}

bool ClassifyPanel::useLearntPrompt(const QString &file)
{
    try {
        m_learntPromptInfo = ml::readLearntPromptInfo(file.toStdString());
    } catch (const std::exception &e) {
        showMessage(tr("Cannot use %1 as a learnt prompt: %2")
                        .arg(QDir::toNativeSeparators(file), QString::fromStdString(e.what())),
            true);
        return false;
    }
    m_learntPrompt = file;
    if (m_learntPromptInfo.classSpecific)
        setLabels(toQStringList(m_learntPromptInfo.classes)); // its contexts exist for these classes only
    updateLearntPrompt();
    updateTemplateStatus();
    return true;
}

void ClassifyPanel::useTemplates()
{
    m_learntPrompt.clear();
    m_learntPromptInfo = {};
    updateLearntPrompt();
    updateTemplateStatus();
}

void ClassifyPanel::updateLearntPrompt()
{
    const bool active = !m_learntPrompt.isEmpty();
    m_learntBox->setVisible(active);
    for (QWidget *w : std::initializer_list<QWidget *> {m_templates, m_newTemplate, m_addTemplate, m_resetTemplates})
        w->setEnabled(!active);
    m_useLearnt->setText(active ? tr("Other learnt prompt…") : tr("Use learnt prompt…"));
    if (!active) {
        m_learntInfo->clear();
        return;
    }
    const ml::LearntPromptInfo &info = m_learntPromptInfo;
    const auto percent = [](double v) { return QStringLiteral("%1%").arg(100.0 * v, 0, 'f', 1); };
    QStringList classes = toQStringList(info.classes);
    const int classCount = static_cast<int>(classes.size());
    constexpr int kShownClasses = 8;
    QString classText = classes.mid(0, kShownClasses).join(QStringLiteral(", "));
    if (classCount > kShownClasses)
        classText = tr("%1, … (%n classes)", nullptr, classCount).arg(classText);
    QStringList lines;
    lines << tr("<b>Learnt prompt</b> %1").arg(QFileInfo(m_learntPrompt).fileName().toHtmlEscaped());
    lines << (info.classSpecific ? tr("Class-specific, %n context vectors per class", nullptr, info.contextVectors)
                                 : tr("Unified, %n context vectors", nullptr, info.contextVectors))
            + QStringLiteral(" · ")
            + tr("learnt on %1 with %n shots per class", nullptr, info.shots)
                  .arg(QString::fromStdString(info.model).toHtmlEscaped());
    lines << tr("Classes: %1").arg(classText.toHtmlEscaped());
    if (info.accuracyBefore >= 0 && info.accuracyAfter >= 0)
        lines << tr("Held-out accuracy: %1 with “%2” → %3 learnt")
                     .arg(percent(info.accuracyBefore), QString::fromStdString(info.templ).toHtmlEscaped(),
                         percent(info.accuracyAfter));
    m_learntInfo->setText(lines.join(QStringLiteral("<br>")));
    m_learntInfo->setToolTip(QDir::toNativeSeparators(m_learntPrompt));
}

void ClassifyPanel::updateTemplateStatus()
{
    const int n = m_templates->count();
    m_removeTemplate->setEnabled(m_learntPrompt.isEmpty() && m_templates->currentItem() != nullptr);
    if (!m_learntPrompt.isEmpty()) {
        m_setup->setTabText(1, tr("Prompts (learnt)"));
        m_templateHint->setText(m_learntPromptInfo.classSpecific
                ? tr("The learnt prompt replaces the templates. It is class-specific: the labels must be its "
                     "classes.")
                : tr("The learnt prompt replaces the templates; its context goes before any label."));
        return;
    }
    m_setup->setTabText(1, tr("Prompts (%1)").arg(n));
    m_templateHint->setText(n > 1 ? tr("{} stands for each label. The %n prompts are ensembled: their normalised "
                                       "text embeddings are averaged per label.",
                                nullptr, n)
                                  : tr("{} stands for each label. Add more prompts to ensemble them."));
}

// --- jobs ---------------------------------------------------------------------------------

std::optional<ml::ClassifyRequest> ClassifyPanel::prepare(bool needLabels)
{
    ml::ClassifyRequest request;
    const QString model = m_picker->currentPath();
    if (model.isEmpty()) {
        showMessage(m_picker->isRefreshing() ? tr("Still looking for models; try again in a moment.")
                                             : tr("Choose a CLIP model first (Add folder… lists the checkpoints in a "
                                                  "folder)."),
            true);
        return std::nullopt;
    }
    const QStringList labelList = labels();
    if (needLabels) {
        if (const QString problem = LabelSets::problem(labelList); !problem.isEmpty()) {
            m_setup->setCurrentIndex(0);
            showMessage(tr("Label set: %1").arg(problem), true);
            return std::nullopt;
        }
    }
    const QStringList prompts = templates();
    if (!m_learntPrompt.isEmpty() && m_learntPromptInfo.classSpecific) {
        const QStringList classes = toQStringList(m_learntPromptInfo.classes);
        QStringList unknown;
        for (const QString &label : labelList)
            if (!classes.contains(label))
                unknown << label;
        if (needLabels && !unknown.isEmpty()) {
            m_setup->setCurrentIndex(0);
            showMessage(tr("The learnt prompt is class-specific and has no context for: %1. Use its classes (%2) or "
                           "go back to the templates.")
                            .arg(unknown.join(QStringLiteral(", ")), classes.join(QStringLiteral(", "))),
                true);
            return std::nullopt;
        }
    }
    if (m_learntPrompt.isEmpty() && prompts.isEmpty()) {
        m_setup->setCurrentIndex(1);
        showMessage(tr("Add at least one prompt template, such as “%1”.").arg(LabelSets::defaultTemplate()), true);
        return std::nullopt;
    }
    request.model = model.toStdString();
    request.labels = toStd(labelList);
    request.templates = toStd(prompts);
    request.learntPrompt = m_learntPrompt.toStdString();
    saveSettings();
    return request;
}

quint64 ClassifyPanel::classifySelected()
{
    if (!m_gallery || m_gallery->model()->rowCount() == 0) {
        showMessage(tr("The gallery is empty: drop some photos on the window first."), true);
        return 0;
    }
    const QStringList files = selectedFiles();
    if (files.isEmpty()) {
        showMessage(tr("Nothing selected: select one or more photos or videos in the gallery."), true);
        return 0;
    }
    return classifyFiles(files);
}

quint64 ClassifyPanel::classifyFiles(const QStringList &files)
{
    if (files.isEmpty()) {
        showMessage(tr("No photos or videos to classify."), true);
        return 0;
    }
    auto request = prepare(true);
    if (!request)
        return 0;
    request->images = toStd(files);
    if (m_imageJob)
        m_bridge->cancel(m_imageJob);
    clearMessage();
    m_imageResults.clear();
    m_imageRowOf.clear();
    m_thumbCache.clear();
    m_thumbs->reset();
    ++m_thumbGeneration;
    m_current = -1;
    m_imageRun = {};
    {
        const QSignalBlocker block(m_imageList);
        m_imageList->clear();
    }
    m_chart->clearScores();
    m_imagePlaceholder->setText(files.size() == 1
            ? tr("Classifying 1 file…")
            : tr("Classifying %n files…", nullptr, static_cast<int>(files.size())));
    m_imageStack->setCurrentIndex(0);
    m_results->setCurrentIndex(ImageTab);
    m_imageJob = m_bridge->submit(ml::makeClassifyJob(std::move(*request)));
    return m_imageJob;
}

quint64 ClassifyPanel::classifyFolder(const QString &folder)
{
    if (!QFileInfo(folder).isDir()) {
        showMessage(tr("%1 is not a folder.").arg(QDir::toNativeSeparators(folder)), true);
        return 0;
    }
    if (!prepare(true))
        return 0;
    if (m_listJob)
        m_bridge->cancel(m_listJob);
    clearMessage();
    m_listFolder = folder;
    m_results->setCurrentIndex(BatchTab);
    m_listJob = m_bridge->submit(
        tr("Listing %1").arg(QFileInfo(folder).fileName()),
        [folder](ml::JobContext &ctx) -> QVariant {
            QStringList files;
            QDirIterator it(folder, QDir::Files | QDir::Readable, QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString path = it.next();
                if (isClassifiable(ml::io::guessMediaKind(path.toStdString())))
                    files << path;
                if (files.size() % 256 == 0)
                    ctx.throwIfCancelled();
            }
            files.sort();
            return files;
        },
        ml::Lane::Io);
    return m_listJob;
}

quint64 ClassifyPanel::classifyGallery()
{
    const QStringList files = galleryFiles();
    if (files.isEmpty()) {
        showMessage(tr("The gallery holds no photos or videos: drop some on the window first."), true);
        return 0;
    }
    return startBatch(files, tr("the gallery"));
}

quint64 ClassifyPanel::startBatch(const QStringList &files, const QString &what)
{
    auto request = prepare(true);
    if (!request)
        return 0;
    if (files.isEmpty()) {
        showMessage(tr("No photos or videos found in %1.").arg(what), true);
        return 0;
    }
    request->images = toStd(files);
    if (m_batchJob)
        m_bridge->cancel(m_batchJob);
    clearMessage();
    m_batch->clear();
    m_batch->setLabels(toQStringList(request->labels));
    m_batchRun = {};
    m_batchView->sortByColumn(-1, Qt::AscendingOrder);
    m_batchProxy->sort(-1);
    m_results->setCurrentIndex(BatchTab);
    m_batchJob = m_bridge->submit(ml::makeClassifyJob(std::move(*request)));
    m_batchSummary->setText(files.size() == 1
            ? tr("Classifying 1 file from %1…").arg(what)
            : tr("Classifying %n files from %1…", nullptr, static_cast<int>(files.size())).arg(what));
    return m_batchJob;
}

quint64 ClassifyPanel::evaluateFolder(const QString &folder)
{
    if (!QFileInfo(folder).isDir()) {
        showMessage(tr("%1 is not a folder.").arg(QDir::toNativeSeparators(folder)), true);
        return 0;
    }
    auto prepared = prepare(false);
    if (!prepared)
        return 0;
    ml::EvaluateRequest request;
    request.model = prepared->model;
    request.templates = prepared->templates;
    request.learntPrompt = prepared->learntPrompt;
    request.folder = folder.toStdString();
    if (m_evalJob)
        m_bridge->cancel(m_evalJob);
    clearMessage();
    m_evaluation.reset();
    m_evalFolder = folder;
    m_evalSeen = 0;
    m_confusion->clearMatrix();
    m_perClass->clear();
    m_results->setCurrentIndex(EvaluationTab);
    m_evalSummary->setText(tr("Evaluating %1…").arg(QFileInfo(folder).fileName().toHtmlEscaped()));
    m_evalJob = m_bridge->submit(ml::makeEvaluateJob(std::move(request)));
    return m_evalJob;
}

bool ClassifyPanel::isRunning() const
{
    return m_imageJob || m_listJob || m_batchJob || m_evalJob;
}

void ClassifyPanel::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (kind != kImageScores || (id != m_imageJob && id != m_batchJob && id != m_evalJob))
        return;
    const auto scores = engineValue<ml::ImageScores>(value);
    if (!scores)
        return;
    if (id == m_imageJob) {
        addImageResult(*scores);
    } else if (id == m_batchJob) {
        m_batch->addResult(*scores);
    } else {
        ++m_evalSeen;
        m_evalSummary->setText(tr("Evaluating %1… %n so far", nullptr, m_evalSeen)
                                   .arg(QFileInfo(m_evalFolder).fileName().toHtmlEscaped()));
    }
}

void ClassifyPanel::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id == 0 || (id != m_imageJob && id != m_listJob && id != m_batchJob && id != m_evalJob))
        return;
    const auto fail = [&](const QString &what) {
        if (cancelled)
            showMessage(tr("%1 cancelled.").arg(what), false);
        else
            showMessage(tr("%1 failed: %2").arg(what, error), true);
    };

    if (id == m_listJob) {
        m_listJob = 0;
        if (!ok)
            return fail(tr("Listing the folder"));
        startBatch(value.toStringList(), QDir::toNativeSeparators(m_listFolder));
        return;
    }

    if (id == m_imageJob) {
        m_imageJob = 0;
        const auto result = engineValue<ml::ClassifyResult>(value);
        if (!ok || !result) {
            if (m_imageResults.empty()) {
                m_imagePlaceholder->setText(cancelled ? tr("Cancelled.") : tr("No results."));
                m_imageStack->setCurrentIndex(0);
            }
            return fail(tr("Classification"));
        }
        m_imageRun = {result->logitScale, QString::fromStdString(result->dtype), QString::fromStdString(result->device),
            QString::fromStdString(result->modelName)};
        for (const ml::ImageScores &s : result->images)
            addImageResult(s);
        const int failed = static_cast<int>(std::count_if(
            result->images.begin(), result->images.end(), [](const auto &s) { return !s.error.empty(); }));
        if (failed > 0)
            showMessage(result->images.size() == 1 ? tr("The file could not be classified (see the list).")
                                                   : tr("%1 of %2 files could not be classified (see the list).")
                                                         .arg(failed)
                                                         .arg(result->images.size()),
                true);
        if (m_current < 0 && !m_imageResults.empty())
            m_imageList->setCurrentRow(0);
        updateHeader();
        return;
    }

    if (id == m_batchJob) {
        m_batchJob = 0;
        const auto result = engineValue<ml::ClassifyResult>(value);
        if (!ok || !result) {
            updateBatchSummary();
            return fail(tr("Batch classification"));
        }
        m_batchRun = {result->logitScale, QString::fromStdString(result->dtype), QString::fromStdString(result->device),
            QString::fromStdString(result->modelName)};
        for (const ml::ImageScores &s : result->images)
            m_batch->addResult(s);
        updateBatchSummary();
        return;
    }

    m_evalJob = 0;
    const auto result = engineValue<ml::EvaluateResult>(value);
    if (!ok || !result) {
        m_evalSummary->setText(QString());
        return fail(tr("Evaluation"));
    }
    showEvaluation(*result);
}

// --- image results ------------------------------------------------------------------------

void ClassifyPanel::addImageResult(const ml::ImageScores &scores)
{
    const QString path = QString::fromStdString(scores.file);
    int i = m_imageRowOf.value(path, -1);
    if (i >= 0) {
        m_imageResults[static_cast<std::size_t>(i)] = scores;
    } else {
        i = static_cast<int>(m_imageResults.size());
        m_imageResults.push_back(scores);
        m_imageRowOf.insert(path, i);
        auto *item = new QListWidgetItem(m_imageList);
        item->setData(kPathRole, path);
        item->setSizeHint(QSize(-1, kListThumb.height() + 10));
        m_thumbs->request(static_cast<int>((m_thumbGeneration & 0x7ff) << 20) | i, path,
            scores.frameS >= 0 ? ml::io::MediaKind::Video : ml::io::MediaKind::Image);
    }
    updateImageItem(i);
    if (m_current < 0)
        m_imageList->setCurrentRow(i);
    else if (i == m_current)
        showImageResult(i);
}

void ClassifyPanel::updateImageItem(int i)
{
    QListWidgetItem *item = m_imageList->item(i);
    if (!item)
        return;
    const ml::ImageScores &s = m_imageResults[static_cast<std::size_t>(i)];
    const QString name = QFileInfo(QString::fromStdString(s.file)).fileName();
    if (!s.error.empty()) {
        item->setText(tr("%1\nfailed").arg(name));
        item->setForeground(QColor(0xf0, 0x6a, 0x6a));
        item->setToolTip(QString::fromStdString(s.error));
    } else if (!s.scores.empty()) {
        item->setText(
            QStringLiteral("%1\n%2 · %3")
                .arg(name, QString::fromStdString(s.scores.front().label), formatProbability(s.scores.front().prob)));
        item->setToolTip(QDir::toNativeSeparators(QString::fromStdString(s.file)));
    } else {
        item->setText(name);
    }
    const QPixmap thumb = m_thumbCache.value(i);
    if (!thumb.isNull())
        item->setIcon(QIcon(thumb.scaled(kListThumb, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
}

void ClassifyPanel::showImageResult(int i)
{
    if (i < 0 || i >= imageResultCount()) {
        m_current = -1;
        m_chart->clearScores();
        m_imageStack->setCurrentIndex(0);
        return;
    }
    m_current = i;
    if (m_imageList->currentRow() != i) {
        const QSignalBlocker block(m_imageList);
        m_imageList->setCurrentRow(i);
    }
    const ml::ImageScores &s = m_imageResults[static_cast<std::size_t>(i)];
    m_chart->setTopK(m_topK->value());
    m_chart->setScores(s.scores);
    m_imageError->setVisible(!s.error.empty());
    m_imageError->setText(QString::fromStdString(s.error));
    m_chartScroll->setVisible(s.error.empty());
    m_imageStack->setCurrentIndex(1);
    updateHeader();
}

void ClassifyPanel::updateHeader()
{
    if (m_current < 0 || m_current >= imageResultCount())
        return;
    const ml::ImageScores &s = m_imageResults[static_cast<std::size_t>(m_current)];
    const QString path = QString::fromStdString(s.file);
    m_fileName->setText(s.frameS >= 0 ? tr("%1 · frame at %2 s (the middle)")
                                            .arg(QFileInfo(path).fileName(), QLocale().toString(s.frameS, 'f', 1))
                                      : QFileInfo(path).fileName());
    m_fileName->setToolTip(QDir::toNativeSeparators(path));
    if (!s.error.empty())
        m_prediction->setText(tr("Could not classify"));
    else if (!s.scores.empty())
        m_prediction->setText(QStringLiteral("%1  %2").arg(
            QString::fromStdString(s.scores.front().label), formatProbability(s.scores.front().prob)));
    else
        m_prediction->clear();
    m_info->setText(runInfo().isEmpty()
            ? tr("%1 of %2").arg(m_current + 1).arg(imageResultCount())
            : tr("%1 of %2").arg(m_current + 1).arg(imageResultCount()) + QStringLiteral(" · ") + runInfo());
    const QPixmap thumb = m_thumbCache.value(m_current);
    if (thumb.isNull())
        m_thumb->clear();
    else
        m_thumb->setPixmap(thumb.scaled(kHeaderThumb, Qt::KeepAspectRatio, Qt::SmoothTransformation));
}

QString ClassifyPanel::runInfo() const
{
    const RunInfo &run = m_imageRun;
    if (run.logitScale <= 0.0)
        return {};
    QStringList parts;
    parts << tr("logit scale %1 (τ = %2)")
                 .arg(QLocale().toString(run.logitScale, 'f', 1), QLocale().toString(1.0 / run.logitScale, 'f', 3));
    if (!run.dtype.isEmpty())
        parts << run.dtype;
    if (!run.device.isEmpty())
        parts << run.device;
    if (!run.model.isEmpty())
        parts << run.model;
    return parts.join(QStringLiteral(" · "));
}

// --- batch --------------------------------------------------------------------------------

void ClassifyPanel::updateBatchSummary()
{
    const int n = m_batch->rowCount(), failed = m_batch->errorCount();
    m_export->setEnabled(n > 0 && !m_batchJob);
    if (m_batchJob) {
        m_batchSummary->setText(tr("Classified so far: %n", nullptr, n));
        return;
    }
    if (n == 0) {
        m_batchSummary->setText(tr("Classify a folder or the whole gallery; double-click a row to preview it."));
        return;
    }
    const int videos = m_batch->videoCount(), photos = n - videos;
    QStringList counts;
    if (photos > 0)
        counts << (photos == 1 ? tr("1 photo") : tr("%n photos", nullptr, photos));
    if (videos > 0) // said, so that nobody wonders which part of a clip the labels are about
        counts << (videos == 1 ? tr("1 video, on the frame at its middle")
                               : tr("%n videos, each on the frame at its middle", nullptr, videos));
    QString text = counts.join(QStringLiteral(" · "));
    if (failed > 0)
        text += QStringLiteral(" · ") + tr("%n could not be read", nullptr, failed);
    if (m_batchRun.logitScale > 0.0)
        text += QStringLiteral(" · ") + m_batchRun.dtype + QStringLiteral(" · ") + m_batchRun.device;
    text += QStringLiteral(" · ") + tr("double-click a row to preview it");
    m_batchSummary->setText(text);
}

bool ClassifyPanel::exportBatch(const QString &path, bool json)
{
    QString error;
    if (!m_batch->exportTo(path, json, &error)) {
        showMessage(error, true);
        return false;
    }
    showMessage(tr("Saved the results to %1.").arg(QDir::toNativeSeparators(path)), false);
    return true;
}

void ClassifyPanel::exportDialog(bool json)
{
    QSettings settings;
    const QString suffix = json ? QStringLiteral("json") : QStringLiteral("csv");
    QString path = QFileDialog::getSaveFileName(this, json ? tr("Export JSON") : tr("Export CSV"),
        lastFolder(settings, QStandardPaths::DocumentsLocation) + QStringLiteral("/classify.") + suffix,
        json ? tr("JSON files (*.json)") : tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    settings.setValue(kDirKey, QFileInfo(path).absolutePath());
    exportBatch(path, json);
}

QString ClassifyPanel::pickFolder(const QString &title)
{
    QSettings settings;
    const QString folder
        = QFileDialog::getExistingDirectory(this, title, lastFolder(settings, QStandardPaths::PicturesLocation));
    if (!folder.isEmpty())
        settings.setValue(kDirKey, folder);
    return folder;
}

// --- evaluation ---------------------------------------------------------------------------

void ClassifyPanel::showEvaluation(const ml::EvaluateResult &result)
{
    m_evaluation = result;
    const QStringList classes = toQStringList(result.classes);
    m_confusion->setMatrix(classes, result.confusion);

    int correct = 0, counted = 0, failed = 0;
    for (std::size_t t = 0; t < result.confusion.size(); ++t)
        for (std::size_t p = 0; p < result.confusion[t].size(); ++p) {
            counted += result.confusion[t][p];
            correct += t == p ? result.confusion[t][p] : 0;
        }
    for (const ml::ImageScores &s : result.images)
        failed += s.error.empty() ? 0 : 1;
    QString summary = tr("Accuracy <b>%1</b> · %2 of %3 images correct · %4 classes")
                          .arg(formatProbability(result.accuracy))
                          .arg(correct)
                          .arg(counted)
                          .arg(classes.size());
    if (failed > 0)
        summary += QStringLiteral(" · <span style=\"color:#f06a6a\">%1</span>")
                       .arg(tr("%n could not be read", nullptr, failed));
    if (result.logitScale > 0.0)
        summary += QStringLiteral(" · ") + tr("logit scale %1").arg(QLocale().toString(result.logitScale, 'f', 1));
    summary += QStringLiteral("<br><span style=\"color:%1\">%2</span>")
                   .arg(palette().color(QPalette::PlaceholderText).name(),
                       tr("Click a cell of the matrix to see its images."));
    m_evalSummary->setText(summary);

    m_perClass->clear();
    m_perClass->setHorizontalHeaderLabels({tr("Class"), tr("Images"), tr("Correct"), tr("Accuracy")});
    for (int t = 0; t < classes.size(); ++t) {
        const auto &row = result.confusion[static_cast<std::size_t>(t)];
        int images = 0;
        for (int v : row)
            images += v;
        const int hits = t < static_cast<int>(row.size()) ? row[static_cast<std::size_t>(t)] : 0;
        const double acc = t < static_cast<int>(result.perClassAccuracy.size())
            ? result.perClassAccuracy[static_cast<std::size_t>(t)]
            : (images > 0 ? static_cast<double>(hits) / images : 0.0);
        auto *name = new QStandardItem(classes.at(t));
        name->setData(classes.at(t).toCaseFolded(), kSortRole);
        name->setEditable(false);
        m_perClass->appendRow({name, numberItem(QString::number(images), images),
            numberItem(QString::number(hits), hits), numberItem(formatProbability(acc), acc)});
    }
    m_perClassView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_perClassView->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
}

std::vector<ml::ImageScores> ClassifyPanel::cellImages(int truth, int predicted) const
{
    std::vector<ml::ImageScores> out;
    if (!m_evaluation)
        return out;
    const auto &classes = m_evaluation->classes;
    for (const ml::ImageScores &s : m_evaluation->images) {
        if (s.truth != truth || s.scores.empty() || !s.error.empty())
            continue;
        const auto it = std::find(classes.begin(), classes.end(), s.scores.front().label);
        if (it != classes.end() && static_cast<int>(it - classes.begin()) == predicted)
            out.push_back(s);
    }
    return out;
}

void ClassifyPanel::openConfusionCell(int truth, int predicted)
{
    if (!m_evaluation || truth < 0 || predicted < 0)
        return;
    const auto &classes = m_evaluation->classes;
    if (truth >= static_cast<int>(classes.size()) || predicted >= static_cast<int>(classes.size()))
        return;
    const std::vector<ml::ImageScores> images = cellImages(truth, predicted);
    const QString t = QString::fromStdString(classes[static_cast<std::size_t>(truth)]);
    const QString p = QString::fromStdString(classes[static_cast<std::size_t>(predicted)]);
    if (images.empty()) {
        showMessage(tr("No image of “%1” was classified as “%2”.").arg(t, p), false);
        return;
    }
    auto *dialog = new ConfusionCellDialog(t, p, images, this);
    connect(dialog, &ConfusionCellDialog::fileActivated, this, &ClassifyPanel::fileActivated);
    dialog->show();
}

// --- messages, settings, language ---------------------------------------------------------

void ClassifyPanel::showMessage(const QString &text, bool error)
{
    m_messageIsError = error;
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

void ClassifyPanel::clearMessage()
{
    m_messageIsError = false;
    m_message->clear();
    m_message->hide();
}

int ClassifyPanel::chartBarCount() const
{
    return m_chart->barCount();
}

int ClassifyPanel::chartHighlightCount() const
{
    return m_chart->highlightedCount();
}

QStringList ClassifyPanel::chartLabels() const
{
    return m_chart->tickLabels();
}

std::vector<std::vector<int>> ClassifyPanel::confusionMatrix() const
{
    return m_confusion->matrix();
}

QPoint ClassifyPanel::confusionCellCenter(int truth, int predicted) const
{
    m_confusion->replot(QCustomPlot::rpImmediateRefresh); // lays the axes out
    return m_confusion->cellCenter(truth, predicted).toPoint();
}

QWidget *ClassifyPanel::confusionWidget() const
{
    return m_confusion;
}

QString ClassifyPanel::message() const
{
    return m_message->text();
}

void ClassifyPanel::restoreSettings()
{
    QSettings settings;
    // The default model is the embedded clip-mini, which knows Shapes World and Fashion-MNIST.
    const QString set = settings.value(kLabelSetKey, QStringLiteral("shapes-world")).toString();
    if (settings.contains(kLabelsKey) && set.isEmpty())
        setLabels(settings.value(kLabelsKey).toStringList());
    else
        useLabelSet(LabelSets::labels(set).isEmpty() ? QStringLiteral("shapes-world") : set);
    const QStringList prompts
        = settings.value(kTemplatesKey, QStringList {LabelSets::defaultTemplate()}).toStringList();
    setTemplates(prompts);
    if (templates().isEmpty())
        setTemplates({LabelSets::defaultTemplate()});
    if (const QString learnt = settings.value(kLearntPromptKey).toString(); !learnt.isEmpty()) {
        if (QFileInfo::exists(learnt))
            useLearntPrompt(learnt);
        else
            showMessage(
                tr("The learnt prompt %1 is gone; using the templates.").arg(QDir::toNativeSeparators(learnt)), false);
    }
    m_topK->setValue(settings.value(kTopKKey, 5).toInt());
    m_splitter->restoreState(settings.value(kSplitterKey).toByteArray());
    updateLabelStatus();
    updateBatchSummary();
}

void ClassifyPanel::saveSettings() const
{
    QSettings settings;
    settings.setValue(kLabelSetKey, m_labelSet->currentData().toString());
    settings.setValue(kLabelsKey, labels());
    settings.setValue(kTemplatesKey, templates());
    settings.setValue(kLearntPromptKey, m_learntPrompt);
    settings.setValue(kTopKKey, m_topK->value());
    settings.setValue(kSplitterKey, m_splitter->saveState());
}

bool ClassifyPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Resize && watched == m_imageSplit->parentWidget()) {
        constexpr int kSideBySide = 560; // below this the chart would be too narrow to read
        const Qt::Orientation want
            = static_cast<QResizeEvent *>(event)->size().width() >= kSideBySide ? Qt::Horizontal : Qt::Vertical;
        if (m_imageSplit->orientation() != want) {
            m_imageSplit->setOrientation(want);
            m_imageSplit->setSizes(want == Qt::Horizontal ? QList<int> {200, 400} : QList<int> {120, 400});
        }
    }
    return QWidget::eventFilter(watched, event);
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
    m_labelSet->setItemText(0, tr("Custom"));
    for (int i = 1; i < m_labelSet->count(); ++i)
        m_labelSet->setItemText(i, LabelSets::displayName(m_labelSet->itemData(i).toString()));
    m_setLabel->setText(tr("Set"));
    m_labelSet->setToolTip(tr("Start from a built-in label set"));
    m_loadLabels->setText(tr("Load…"));
    m_loadLabels->setToolTip(tr("Read labels from a text file, one per line"));
    m_saveLabels->setText(tr("Save…"));
    m_saveLabels->setToolTip(tr("Write these labels to a text file"));
    m_labels->setPlaceholderText(tr("One label per line, e.g.\ncat\ndog\nbird"));
    m_newTemplate->setPlaceholderText(tr("New prompt, e.g. “a blurry photo of a {}.”"));
    m_addTemplate->setText(tr("Add"));
    m_removeTemplate->setText(tr("Remove"));
    m_resetTemplates->setText(tr("Reset"));
    m_resetTemplates->setToolTip(tr("Back to the single prompt “%1”").arg(LabelSets::defaultTemplate()));
    m_templates->setToolTip(tr("Double-click a prompt to edit it"));
    m_useLearnt->setToolTip(tr("Use context vectors learnt with CoOp (modallens-cli train coop) instead of "
                               "the templates"));
    m_useTemplates->setText(tr("Use templates"));
    m_useTemplates->setToolTip(tr("Go back to the prompt templates"));
    updateLearntPrompt();
    m_setup->setTabToolTip(0, tr("The classes to choose from"));
    m_setup->setTabToolTip(1, tr("How each label is put into words for the text encoder"));

    m_results->setTabText(ImageTab, tr("Images"));
    m_results->setTabText(BatchTab, tr("Batch"));
    m_results->setTabText(EvaluationTab, tr("Evaluation"));
    m_classifySelected->setToolTip(tr("Classify the photos and videos selected in the gallery, or the one in the "
                                      "preview (a video on the frame at its middle)"));
    m_topKLabel->setText(tr("Highlight top"));
    m_topK->setToolTip(tr("How many of the most probable labels are drawn in the accent colour"));
    m_imagePlaceholder->setText(tr("Select photos or videos in the gallery and press “Classify selected”."));
    m_chart->xAxis2->setLabel(tr("probability"));
    m_chart->replot(QCustomPlot::rpQueuedReplot);

    m_classifyFolder->setText(tr("Classify folder…"));
    m_classifyFolder->setToolTip(tr("Classify every photo and video in a folder and its sub-folders (a video on the "
                                    "frame at its middle)"));
    m_classifyGallery->setText(tr("Classify whole gallery"));
    m_export->setText(tr("Export"));
    m_exportCsv->setText(tr("Export CSV…"));
    m_exportJson->setText(tr("Export JSON…"));
    m_evaluate->setText(tr("Evaluate folder…"));
    m_evaluate->setToolTip(tr("A folder with one sub-folder of photos per class; the sub-folder names are the labels"));
    if (!m_evaluation && !m_evalJob)
        m_evalSummary->setText(tr("Pick a folder holding one sub-folder per class (e.g. cat/, dog/). Each "
                                  "sub-folder’s name is its label."));
    else if (m_evaluation)
        showEvaluation(*m_evaluation);
    updateSelectionCount();
    updateLabelStatus();
    updateTemplateStatus();
    updateBatchSummary();
    updateHeader();
}
