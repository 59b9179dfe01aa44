// SearchPanel: the form becomes an ml::IndexRequest, ml::SearchRequest or ml::DuplicatesRequest on
// the engine's inference lane; a search's ml::SearchResult fills the tile grid (thumbnails from the
// pool, never read here), a video hit's frame similarities the strip. A FolderWatcher re-runs the
// incremental index when the indexed folders change, then the last search.
#include "search/search_panel.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/format.h"
#include "common/heatmap_view.h"
#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "explain/explain_client.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "gallery/preview_pane.h"
#include "gallery/thumbnail_loader.h"
#include "search/duplicates_view.h"
#include "search/folder_watcher.h"
#include "search/search_results_view.h"
#include "search/similarity_strip.h"

#include "engine/explain_service.h"
#include "io/media.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateEdit>
#include <QDir>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMimeData>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStyle>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace {

const QString kModelKey = QStringLiteral("search/model");
const QString kLibraryKey = QStringLiteral("search/library");
const QString kKKey = QStringLiteral("search/k");
// By name: "mean", "max" or "best". (search/videoScore held the combo's index, and every panel
// saved the old default, the mean, whether chosen or not: it is dropped, not read.)
const QString kAggregateKey = QStringLiteral("search/videoAggregate");
const QString kOldAggregateKey = QStringLiteral("search/videoScore");
const char *const kAggregateNames[] = {"mean", "max", "best"}; // by SearchPanel::VideoScores
const QString kWeightKey = QStringLiteral("search/textWeight");
const QString kKindKey = QStringLiteral("search/filterKind");
const QString kFolderKey = QStringLiteral("search/filterFolder");
const QString kAnyDateKey = QStringLiteral("search/filterAnyDate");
const QString kFromKey = QStringLiteral("search/filterFrom");
const QString kToKey = QStringLiteral("search/filterTo");
const QString kFoldersKey = QStringLiteral("search/indexedFolders");
const QString kKeepUpdatedKey = QStringLiteral("search/keepUpdated");
const QString kThresholdKey = QStringLiteral("search/duplicateThreshold");
constexpr int kMaxFolderChoices = 200;

QString cleanPath(const QString &path)
{
    QString p = path.trimmed();
    if (p.startsWith(QStringLiteral("~/")))
        p = QDir::homePath() + p.mid(1);
    return p.isEmpty() ? QString() : QDir::cleanPath(QDir(p).absolutePath());
}

bool under(const QString &path, const QString &folder)
{
    return path == folder || path.startsWith(folder.endsWith(QLatin1Char('/')) ? folder : folder + QLatin1Char('/'));
}

} // namespace

SearchPanel::SearchPanel(EngineBridge *bridge, QWidget *parent, const QString &thumbnailCacheDir)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_explain(ExplainClient::of(bridge))
    , m_message(new QLabel(this))
    , m_watcher(new FolderWatcher(this))
{
    setObjectName(QStringLiteral("search"));
    setAcceptDrops(true);
    Q_ASSERT(m_bridge);

    m_message->setObjectName(QStringLiteral("searchMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();

    auto *page = new QWidget;
    auto *scroll = verticalScrollArea(page, this);

    // The library and its model.
    m_libraryGroup = new QGroupBox(page);
    m_picker = new ModelPicker(m_bridge, QStringLiteral("clip"), kModelKey, m_libraryGroup);
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    m_library = new QLineEdit(m_libraryGroup);
    m_library->setObjectName(QStringLiteral("searchLibrary"));
    m_library->setText(QDir::toNativeSeparators(defaultLibrary()));
    m_libraryBrowse = new QToolButton(m_libraryGroup);
    m_libraryBrowse->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    auto *libraryRow = new QHBoxLayout;
    libraryRow->addWidget(m_library, 1);
    libraryRow->addWidget(m_libraryBrowse);
    m_indexGallery = new QPushButton(m_libraryGroup);
    m_indexGallery->setObjectName(QStringLiteral("searchIndexGallery"));
    m_addFolder = new QPushButton(m_libraryGroup);
    m_reindex = new QPushButton(m_libraryGroup);
    m_reindex->setObjectName(QStringLiteral("searchReindex"));
    m_reindex->hide();
    m_cancel = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), QString(), m_libraryGroup);
    auto *indexRow = new QHBoxLayout;
    indexRow->addWidget(m_indexGallery);
    indexRow->addWidget(m_addFolder);
    indexRow->addWidget(m_reindex);
    indexRow->addWidget(m_cancel);
    indexRow->addStretch(1);
    m_keepUpdated = new QCheckBox(m_libraryGroup);
    m_keepUpdated->setObjectName(QStringLiteral("searchKeepUpdated"));
    m_keepUpdated->setChecked(true);
    m_indexState = dimLabel(m_libraryGroup);
    m_indexState->setObjectName(QStringLiteral("searchIndexState"));
    m_indexState->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // The embedding-health banner: files whose vectors cannot be right.
    m_healthBanner = new QFrame(m_libraryGroup);
    m_healthBanner->setObjectName(QStringLiteral("searchHealthBanner"));
    m_healthBanner->setStyleSheet(QStringLiteral("QFrame#searchHealthBanner { background: rgba(255, 167, 38, 0.18); "
                                                 "border: 1px solid rgba(255, 167, 38, 0.8); border-radius: 4px; }"));
    m_healthText = new QLabel(m_healthBanner);
    m_healthText->setWordWrap(true);
    m_healthToggle = new QToolButton(m_healthBanner);
    m_healthToggle->setObjectName(QStringLiteral("searchHealthToggle"));
    m_healthToggle->setCheckable(true);
    m_healthToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_healthToggle->setArrowType(Qt::RightArrow);
    m_healthToggle->setAutoRaise(true);
    m_healthList = new QTreeWidget(m_healthBanner);
    m_healthList->setObjectName(QStringLiteral("searchHealthList"));
    m_healthList->setColumnCount(2);
    m_healthList->setRootIsDecorated(false);
    m_healthList->setUniformRowHeights(true);
    m_healthList->setMaximumHeight(160);
    m_healthList->header()->setStretchLastSection(true);
    m_healthList->header()->setSectionResizeMode(0, QHeaderView::Interactive);
    m_healthList->hide();
    auto *warning = new QLabel(m_healthBanner);
    warning->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(20, 20));
    warning->setAlignment(Qt::AlignTop);
    auto *bannerTop = new QHBoxLayout;
    bannerTop->addWidget(warning);
    bannerTop->addWidget(m_healthText, 1);
    auto *banner = new QVBoxLayout(m_healthBanner);
    banner->setContentsMargins(6, 6, 6, 6);
    banner->setSpacing(4);
    banner->addLayout(bannerTop);
    banner->addWidget(m_healthToggle, 0, Qt::AlignLeft);
    banner->addWidget(m_healthList);
    m_healthBanner->hide();

    m_modelLabel = new QLabel(m_libraryGroup);
    m_libraryLabel = new QLabel(m_libraryGroup);
    auto *library = new QFormLayout(m_libraryGroup);
    library->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    library->addRow(m_modelLabel, m_picker);
    library->addRow(m_libraryLabel, libraryRow);
    library->addRow(indexRow);
    library->addRow(m_keepUpdated);
    library->addRow(m_indexState);
    library->addRow(m_healthBanner);

    // The query.
    m_queryGroup = new QGroupBox(page);
    m_query = new QLineEdit(m_queryGroup);
    m_query->setObjectName(QStringLiteral("searchQuery"));
    m_query->setClearButtonEnabled(true);
    m_query->installEventFilter(this); // an image dropped on it becomes the image query
    m_search = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogContentsView), QString(), m_queryGroup);
    m_search->setObjectName(QStringLiteral("searchButton"));
    auto *queryRow = new QHBoxLayout;
    queryRow->addWidget(m_query, 1);
    queryRow->addWidget(m_search);
    m_k = new QSpinBox(m_queryGroup);
    m_k->setRange(1, 1000);
    m_k->setValue(10);
    m_aggregate = new QComboBox(m_queryGroup);
    for (int i = 0; i < 3; ++i)
        m_aggregate->addItem(QString());
    m_useImage = new QPushButton(m_queryGroup);
    m_useImage->setObjectName(QStringLiteral("searchUseImage"));
    m_clearImage = new QToolButton(m_queryGroup);
    m_clearImage->setIcon(style()->standardIcon(QStyle::SP_DialogCloseButton));
    m_imageName = dimLabel(m_queryGroup);
    m_imageName->setWordWrap(false);
    m_imageName->setMinimumWidth(40);
    m_imageName->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto *imageRow = new QHBoxLayout;
    imageRow->addWidget(m_useImage);
    imageRow->addWidget(m_clearImage);
    imageRow->addWidget(m_imageName, 1);
    m_weight = new QSlider(Qt::Horizontal, m_queryGroup);
    m_weight->setRange(0, 100);
    m_weight->setValue(50);
    m_weightValue = new QLabel(m_queryGroup);
    m_weightValue->setMinimumWidth(m_weightValue->fontMetrics().horizontalAdvance(QStringLiteral("100 %")));
    auto *weightRow = new QHBoxLayout;
    weightRow->addWidget(m_weight, 1);
    weightRow->addWidget(m_weightValue);
    m_queryLabel = new QLabel(m_queryGroup);
    m_kLabel = new QLabel(m_queryGroup);
    m_aggregateLabel = new QLabel(m_queryGroup);
    m_imageLabel = new QLabel(m_queryGroup);
    m_weightLabel = new QLabel(m_queryGroup);
    auto *query = new QFormLayout(m_queryGroup);
    query->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    query->addRow(m_queryLabel, queryRow);
    query->addRow(m_imageLabel, imageRow);
    query->addRow(m_weightLabel, weightRow);
    query->addRow(m_kLabel, m_k);
    query->addRow(m_aggregateLabel, m_aggregate);

    // Filters: kind, folder, modification date.
    m_filterGroup = new QGroupBox(page);
    m_kind = new QComboBox(m_filterGroup);
    m_kind->setObjectName(QStringLiteral("searchKind"));
    for (int i = 0; i < 3; ++i)
        m_kind->addItem(QString());
    m_folder = new QComboBox(m_filterGroup);
    m_folder->setObjectName(QStringLiteral("searchFolder"));
    m_folder->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_folder->setMinimumContentsLength(12);
    m_folder->addItem(QString()); // any folder
    m_anyDate = new QCheckBox(m_filterGroup);
    m_anyDate->setObjectName(QStringLiteral("searchAnyDate"));
    m_anyDate->setChecked(true);
    const QString dateFormat = QLocale().dateFormat(QLocale::ShortFormat);
    m_from = new QDateEdit(QDate::currentDate().addMonths(-1), m_filterGroup);
    m_to = new QDateEdit(QDate::currentDate(), m_filterGroup);
    for (QDateEdit *edit : {m_from, m_to}) {
        edit->setCalendarPopup(true);
        edit->setDisplayFormat(dateFormat.contains(QStringLiteral("yyyy")) ? dateFormat : QStringLiteral("yyyy-MM-dd"));
        edit->setEnabled(false);
    }
    m_dateDash = new QLabel(QStringLiteral("–"), m_filterGroup);
    auto *dateRow = new QHBoxLayout;
    dateRow->addWidget(m_from, 1);
    dateRow->addWidget(m_dateDash);
    dateRow->addWidget(m_to, 1);
    m_kindLabel = new QLabel(m_filterGroup);
    m_folderLabel = new QLabel(m_filterGroup);
    m_dateLabel = new QLabel(m_filterGroup);
    auto *filters = new QFormLayout(m_filterGroup);
    filters->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    filters->addRow(m_kindLabel, m_kind);
    filters->addRow(m_folderLabel, m_folder);
    filters->addRow(m_dateLabel, m_anyDate);
    filters->addRow(QString(), dateRow);

    // The hits and a video hit's similarity over time.
    m_thumbs = new ThumbnailStore(thumbnailCacheDir.isEmpty() ? ThumbnailLoader::defaultCacheDir() : thumbnailCacheDir,
        SearchResultsView::kThumbBox, this);
    m_resultsModel = new SearchResultsModel(m_thumbs, this);
    m_resultsLabel = dimLabel(page);
    m_resultsLabel->setObjectName(QStringLiteral("searchResultsState"));
    m_results = new SearchResultsView(page);
    m_results->setObjectName(QStringLiteral("searchResults"));
    m_results->setModel(m_resultsModel);
    m_results->setMinimumHeight(320);
    m_whyButton = new QToolButton(page);
    m_whyButton->setObjectName(QStringLiteral("searchWhy"));
    m_whyButton->setDefaultAction(m_results->whyAction());
    m_whyButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_whyState = dimLabel(page);
    m_whyState->setObjectName(QStringLiteral("searchWhyState"));
    m_strip = new SimilarityStrip(page);
    m_strip->setObjectName(QStringLiteral("searchStrip"));

    // Near-duplicates.
    m_dupGroup = new QGroupBox(page);
    m_dupThreshold = new QDoubleSpinBox(m_dupGroup);
    m_dupThreshold->setObjectName(QStringLiteral("searchDuplicateThreshold"));
    m_dupThreshold->setRange(0.5, 1.0);
    m_dupThreshold->setDecimals(3);
    m_dupThreshold->setSingleStep(0.005);
    m_dupThreshold->setValue(0.95);
    m_dupFind = new QPushButton(m_dupGroup);
    m_dupFind->setObjectName(QStringLiteral("searchFindDuplicates"));
    m_thresholdLabel = new QLabel(m_dupGroup);
    auto *dupRow = new QHBoxLayout;
    dupRow->addWidget(m_thresholdLabel);
    dupRow->addWidget(m_dupThreshold);
    dupRow->addWidget(m_dupFind);
    dupRow->addStretch(1);
    m_dupState = dimLabel(m_dupGroup);
    m_dupState->setObjectName(QStringLiteral("searchDuplicateState"));
    m_dupView = new DuplicatesView(m_thumbs, m_dupGroup);
    m_dupView->setMinimumHeight(220);
    m_dupView->hide();
    auto *dup = new QVBoxLayout(m_dupGroup);
    dup->addLayout(dupRow);
    dup->addWidget(m_dupState);
    dup->addWidget(m_dupView, 1);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 4, 6);
    layout->addWidget(m_libraryGroup);
    layout->addWidget(m_queryGroup);
    layout->addWidget(m_filterGroup);
    auto *resultsRow = new QHBoxLayout;
    resultsRow->addWidget(m_resultsLabel, 1);
    resultsRow->addWidget(m_whyButton);
    layout->addLayout(resultsRow);
    layout->addWidget(m_whyState);
    layout->addWidget(m_results, 1);
    layout->addWidget(m_strip);
    layout->addWidget(m_dupGroup);

    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(8, 8, 8, 4);
    outer->setSpacing(6);
    outer->addWidget(m_message);
    outer->addWidget(scroll, 1);

    connect(m_libraryBrowse, &QToolButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Library File"), libraryPath(),
            tr("Libraries (*.db)"), nullptr, QFileDialog::DontConfirmOverwrite);
        if (!file.isEmpty()) {
            m_library->setText(QDir::toNativeSeparators(file));
            updateWatcher();
        }
    });
    connect(m_library, &QLineEdit::editingFinished, this, &SearchPanel::updateWatcher);
    connect(m_indexGallery, &QPushButton::clicked, this, [this] { indexGalleryFolders(); });
    connect(m_addFolder, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a Folder to the Library"));
        if (!dir.isEmpty())
            indexFolders(QStringList(m_lastFolders) << dir);
    });
    connect(m_reindex, &QPushButton::clicked, this, [this] { reindex(); });
    connect(m_cancel, &QPushButton::clicked, this, &SearchPanel::cancel);
    connect(m_keepUpdated, &QCheckBox::toggled, this, &SearchPanel::updateWatcher);
    connect(m_watcher, &FolderWatcher::changed, this, &SearchPanel::onFoldersChanged);
    connect(m_healthToggle, &QToolButton::toggled, this, [this](bool on) {
        m_healthList->setVisible(on);
        m_healthToggle->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
        m_healthToggle->setText(on ? tr("Hide files") : tr("Show files"));
    });
    connect(m_query, &QLineEdit::returnPressed, this, [this] { search(); });
    connect(m_search, &QPushButton::clicked, this, [this] { search(); });
    connect(m_useImage, &QPushButton::clicked, this, [this] {
        if (!useSelectedImage())
            showMessage(tr("Select a photo in the gallery first."), false);
    });
    connect(m_clearImage, &QToolButton::clicked, this, [this] { setImageQuery({}); });
    connect(m_weight, &QSlider::valueChanged, this,
        [this](int v) { m_weightValue->setText(QStringLiteral("%1 %").arg(v)); });
    connect(m_query, &QLineEdit::textChanged, this, &SearchPanel::updateState);
    connect(m_results->selectionModel(), &QItemSelectionModel::currentChanged, this,
        [this](const QModelIndex &current) { m_strip->setHit(hitAt(current.isValid() ? current.row() : -1)); });
    // Moving through the hits draws their strips; a click (or Enter) opens one in the preview.
    connect(m_results, &SearchResultsView::openRequested, this, &SearchPanel::openHit);
    connect(m_results, &SearchResultsView::findSimilarRequested, this, &SearchPanel::findSimilar);
    connect(m_results->whyAction(), &QAction::toggled, this, &SearchPanel::onWhyToggled);
    connect(m_strip, &SimilarityStrip::clicked, this, &SearchPanel::clickStrip);
    connect(m_dupFind, &QPushButton::clicked, this, [this] { findDuplicates(); });
    connect(m_dupView, &DuplicatesView::openRequested, this, [this](const QString &path) {
        Q_EMIT openRequested(path, ml::io::guessMediaKind(path.toStdString()) == ml::io::MediaKind::Video ? 0.0 : -1.0);
    });
    connect(m_bridge, &EngineBridge::progress, this, &SearchPanel::onProgress);
    connect(m_bridge, &EngineBridge::finished, this, &SearchPanel::onFinished);
    connect(m_explain, &ExplainClient::finished, this, &SearchPanel::onWhyFinished);

    retranslate();
    restoreSettings();
    m_weightValue->setText(QStringLiteral("%1 %").arg(m_weight->value()));
    updateFolderChoices();
    updateImageLabel();
    updateState();
    updateWatcher();

    // A changed filter answers the shown query again.
    const auto refilter = [this] {
        if (m_lastRequest && !isIndexing())
            search();
    };
    connect(m_kind, &QComboBox::currentIndexChanged, this, refilter);
    connect(m_folder, &QComboBox::currentIndexChanged, this, refilter);
    connect(m_anyDate, &QCheckBox::toggled, this, [this, refilter](bool any) {
        m_from->setEnabled(!any);
        m_to->setEnabled(!any);
        refilter();
    });
    connect(m_from, &QDateEdit::dateChanged, this, [this, refilter] {
        if (!m_anyDate->isChecked())
            refilter();
    });
    connect(m_to, &QDateEdit::dateChanged, this, [this, refilter] {
        if (!m_anyDate->isChecked())
            refilter();
    });
}

SearchPanel::~SearchPanel()
{
    saveSettings();
}

void SearchPanel::setPreviewPane(PreviewPane *preview)
{
    m_preview = preview;
}

void SearchPanel::setGallery(GalleryWidget *gallery)
{
    m_gallery = gallery;
    if (m_gallery)
        connect(m_gallery, &GalleryWidget::scanFinished, this, &SearchPanel::updateFolderChoices);
    updateFolderChoices();
}

QString SearchPanel::defaultLibrary()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/ModalLens/library.db");
}

QString SearchPanel::chosenModel()
{
    const QString model = m_picker->currentPath();
    if (model.isEmpty())
        showMessage(m_picker->isRefreshing() ? tr("The model list is still being searched: try again in a moment.")
                                             : tr("Choose a CLIP model first."),
            true);
    return model;
}

QString SearchPanel::libraryPath() const
{
    const QString path = cleanPath(QDir::fromNativeSeparators(m_library->text()));
    return path.isEmpty() ? defaultLibrary() : path;
}

void SearchPanel::retranslate()
{
    setWindowTitle(tr("Search"));
    m_libraryGroup->setTitle(tr("Library"));
    m_queryGroup->setTitle(tr("Query"));
    m_filterGroup->setTitle(tr("Filters"));
    m_dupGroup->setTitle(tr("Near-duplicates"));
    m_modelLabel->setText(tr("Model:"));
    m_libraryLabel->setText(tr("Library:"));
    m_libraryBrowse->setToolTip(tr("Choose the library file"));
    m_indexGallery->setText(tr("Index gallery folders"));
    m_indexGallery->setToolTip(tr("Add the gallery's folders to the library, embedding only new or changed files"));
    m_addFolder->setText(tr("Add folder…"));
    m_reindex->setText(tr("Re-index"));
    m_cancel->setText(tr("Cancel"));
    m_results->whyAction()->setText(tr("Why did this match?"));
    m_results->whyAction()->setToolTip(
        tr("Draw the text query's relevance map over each hit: where the model sees the words"));
    updateWhyState();
    m_keepUpdated->setText(tr("Keep folders up to date"));
    m_keepUpdated->setToolTip(
        tr("While ModalLens runs, index new, changed and removed files in the library's folders"));
    m_healthToggle->setText(m_healthToggle->isChecked() ? tr("Hide files") : tr("Show files"));
    m_healthList->setHeaderLabels({tr("File"), tr("Reason")});
    m_queryLabel->setText(tr("Text:"));
    m_query->setPlaceholderText(tr("e.g. a red circle, or drop an image"));
    m_search->setText(tr("Search"));
    m_imageLabel->setText(tr("Image:"));
    m_useImage->setText(tr("Use selected image"));
    m_useImage->setToolTip(tr("Search by the gallery's selected photo (or drop an image file on the panel)"));
    m_clearImage->setToolTip(tr("No image query"));
    m_weightLabel->setText(tr("Text weight:"));
    m_weight->setToolTip(tr("With both a text and an image: how much the text counts"));
    m_kLabel->setText(tr("Results:"));
    m_aggregateLabel->setText(tr("Video score:"));
    m_aggregate->setItemText(MeanOfFrames, tr("Mean of frames"));
    m_aggregate->setItemText(BestFrame, tr("Best frame"));
    m_aggregate->setItemText(BestMoment, tr("Best moment"));
    m_aggregate->setToolTip(
        tr("How a video is ranked against the query. Best moment: the mean similarity of the frames around its "
           "best one, so a clip where the query shows for a second ranks by that second. Best frame: that one "
           "frame alone. Mean of frames: the whole clip, where a brief match is diluted."));
    m_kindLabel->setText(tr("Kind:"));
    m_kind->setItemText(AllKinds, tr("Images and videos"));
    m_kind->setItemText(ImagesOnly, tr("Images"));
    m_kind->setItemText(VideosOnly, tr("Videos"));
    m_folderLabel->setText(tr("Folder:"));
    m_folder->setItemText(0, tr("Any folder"));
    m_dateLabel->setText(tr("Modified:"));
    m_anyDate->setText(tr("Any date"));
    m_from->setToolTip(tr("Modified on or after this day"));
    m_to->setToolTip(tr("Modified on or before this day"));
    m_thresholdLabel->setText(tr("Vector similarity ≥"));
    const QString threshold
        = tr("Files whose CLIP vectors are at least this similar (cosine) are candidates. Each candidate is then "
             "confirmed by its picture: their perceptual hashes may differ in at most %1 of 64 bits (a re-encoded "
             "or resized copy differs in 0 to 2, two different coats in 10 or more), so different pictures that a "
             "small model finds alike are not grouped. Videos are compared at 25, 50 and 75 % of their length.")
              .arg(ml::DuplicatesRequest {}.maxHashDistance);
    m_thresholdLabel->setToolTip(threshold);
    m_dupThreshold->setToolTip(threshold);
    m_dupFind->setText(tr("Find near-duplicates"));
    m_dupFind->setToolTip(
        tr("Group the library's files whose pictures are nearly the same: similar vectors, confirmed by comparing "
           "the pictures (the filters apply)"));
    updateImageLabel();
    updateState();
    if (m_result)
        showResults();
    if (m_indexResult)
        showHealth();
    if (m_duplicates)
        showDuplicates();
}

void SearchPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void SearchPanel::restoreSettings()
{
    QSettings s;
    if (const QString lib = s.value(kLibraryKey).toString(); !lib.isEmpty())
        m_library->setText(lib);
    m_k->setValue(s.value(kKKey, m_k->value()).toInt());
    const QString aggregate = s.value(kAggregateKey).toString();
    m_aggregate->setCurrentIndex(BestMoment);
    for (int i = 0; i < 3; ++i)
        if (aggregate == QLatin1String(kAggregateNames[i]))
            m_aggregate->setCurrentIndex(i);
    m_weight->setValue(s.value(kWeightKey, m_weight->value()).toInt());
    m_kind->setCurrentIndex(std::clamp(s.value(kKindKey, 0).toInt(), 0, 2));
    m_savedFolder = s.value(kFolderKey).toString();
    m_anyDate->setChecked(s.value(kAnyDateKey, true).toBool());
    m_from->setEnabled(!m_anyDate->isChecked());
    m_to->setEnabled(!m_anyDate->isChecked());
    if (const QDate d = s.value(kFromKey).toDate(); d.isValid())
        m_from->setDate(d);
    if (const QDate d = s.value(kToKey).toDate(); d.isValid())
        m_to->setDate(d);
    m_lastFolders = s.value(kFoldersKey).toStringList();
    m_keepUpdated->setChecked(s.value(kKeepUpdatedKey, true).toBool());
    m_dupThreshold->setValue(s.value(kThresholdKey, m_dupThreshold->value()).toDouble());
}

void SearchPanel::saveSettings() const
{
    QSettings s;
    s.setValue(kLibraryKey, m_library->text());
    s.setValue(kKKey, m_k->value());
    s.setValue(kAggregateKey, QLatin1String(kAggregateNames[std::clamp(m_aggregate->currentIndex(), 0, 2)]));
    s.remove(kOldAggregateKey);
    s.setValue(kWeightKey, m_weight->value());
    s.setValue(kKindKey, m_kind->currentIndex());
    s.setValue(kFolderKey, m_folder->currentIndex() > 0 ? m_folder->currentData().toString() : m_savedFolder);
    s.setValue(kAnyDateKey, m_anyDate->isChecked());
    s.setValue(kFromKey, m_from->date());
    s.setValue(kToKey, m_to->date());
    s.setValue(kFoldersKey, m_lastFolders);
    s.setValue(kKeepUpdatedKey, m_keepUpdated->isChecked());
    s.setValue(kThresholdKey, m_dupThreshold->value());
}

// --- messages and state --------------------------------------------------------------------

QString SearchPanel::message() const
{
    return m_message->isHidden() ? QString() : m_message->text();
}

QString SearchPanel::resultsState() const
{
    return m_resultsLabel->text();
}

bool SearchPanel::healthBannerShown() const
{
    return !m_healthBanner->isHidden();
}

void SearchPanel::showMessage(const QString &text, bool error)
{
    m_messageIsError = error;
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
    m_message->show();
}

void SearchPanel::clearMessage()
{
    m_messageIsError = false;
    m_message->clear();
    m_message->hide();
}

void SearchPanel::updateState()
{
    const bool indexing = isIndexing();
    for (QWidget *w :
        std::initializer_list<QWidget *> {m_picker, m_library, m_libraryBrowse, m_indexGallery, m_addFolder, m_reindex})
        w->setEnabled(!indexing);
    m_cancel->setVisible(indexing || isSearching() || isFindingDuplicates());
    m_search->setEnabled(!indexing && !isSearching());
    m_dupFind->setEnabled(!indexing && !isFindingDuplicates());
    m_weight->setEnabled(!m_image.isEmpty() && !m_query->text().trimmed().isEmpty());
    m_clearImage->setVisible(!m_image.isEmpty());
    if (indexing) {
        const QString progress = m_total > 0
            ? tr("%1 (%2 of %3)…").arg(m_stage, QLocale().toString(m_done), QLocale().toString(m_total))
            : QStringLiteral("…");
        m_indexState->setText((m_autoIndex ? tr("Updating the library: %1") : tr("Indexing: %1")).arg(progress));
    }
}

void SearchPanel::updateImageLabel()
{
    m_imageName->setText(m_image.isEmpty() ? tr("none") : QFileInfo(m_image).fileName());
    m_imageName->setToolTip(QDir::toNativeSeparators(m_image));
}

void SearchPanel::updateFolderChoices()
{
    // The indexed folders and the gallery's folders (from its model: no disk access here).
    QStringList folders = m_lastFolders;
    if (m_gallery) {
        GalleryModel *model = m_gallery->model();
        for (int row = 0; row < model->rowCount() && folders.size() < 4 * kMaxFolderChoices; ++row)
            folders << QFileInfo(model->index(row).data(GalleryModel::PathRole).toString()).absolutePath();
    }
    for (QString &f : folders)
        f = QDir::cleanPath(f);
    folders.removeDuplicates();
    std::sort(folders.begin(), folders.end());
    if (folders.size() > kMaxFolderChoices)
        folders = folders.mid(0, kMaxFolderChoices);
    const QString current = m_folder->currentIndex() > 0 ? m_folder->currentData().toString() : m_savedFolder;
    const QSignalBlocker blocker(m_folder);
    while (m_folder->count() > 1)
        m_folder->removeItem(1);
    int selected = 0;
    for (const QString &f : std::as_const(folders)) {
        // Under an indexed folder: shown from that folder's name down.
        QString shown = QDir::toNativeSeparators(f);
        for (const QString &root : std::as_const(m_lastFolders))
            if (under(f, root)) {
                shown = QDir::toNativeSeparators(QFileInfo(root).fileName() + f.mid(root.size()));
                break;
            }
        m_folder->addItem(shown, f);
        m_folder->setItemData(m_folder->count() - 1, QDir::toNativeSeparators(f), Qt::ToolTipRole);
        if (f == current)
            selected = m_folder->count() - 1;
    }
    m_folder->setCurrentIndex(selected);
    if (selected > 0)
        m_savedFolder.clear();
}

ml::SearchFilter SearchPanel::filter() const
{
    ml::SearchFilter f;
    f.images = m_kind->currentIndex() != VideosOnly;
    f.videos = m_kind->currentIndex() != ImagesOnly;
    if (m_folder->currentIndex() > 0) {
        const QString folder = m_folder->currentData().toString();
        const QString real = QFileInfo(folder).canonicalFilePath(); // the library keeps canonical paths
        f.folders.push_back((real.isEmpty() ? folder : real).toStdString());
    }
    if (!m_anyDate->isChecked()) {
        f.fromS = QDateTime(m_from->date(), QTime(0, 0)).toSecsSinceEpoch();
        f.toS = QDateTime(m_to->date(), QTime(23, 59, 59)).toSecsSinceEpoch();
    }
    return f;
}

// --- drops ---------------------------------------------------------------------------------

QString SearchPanel::droppedImage(const QMimeData *mime)
{
    if (!mime || !mime->hasUrls())
        return {};
    for (const QUrl &url : mime->urls())
        if (url.isLocalFile() && ml::io::guessMediaKind(url.toLocalFile().toStdString()) == ml::io::MediaKind::Image)
            return QDir::cleanPath(url.toLocalFile());
    return {};
}

void SearchPanel::dragEnterEvent(QDragEnterEvent *event)
{
    if (!droppedImage(event->mimeData()).isEmpty())
        event->acceptProposedAction();
    else
        event->ignore(); // the main window takes files for the gallery
}

void SearchPanel::dragMoveEvent(QDragMoveEvent *event)
{
    if (!droppedImage(event->mimeData()).isEmpty())
        event->acceptProposedAction();
    else
        event->ignore();
}

void SearchPanel::dropEvent(QDropEvent *event)
{
    const QString image = droppedImage(event->mimeData());
    if (image.isEmpty()) {
        event->ignore();
        return;
    }
    event->acceptProposedAction();
    setImageQuery(image);
    if (QFileInfo::exists(libraryPath()))
        search();
}

bool SearchPanel::eventFilter(QObject *watched, QEvent *event)
{
    // An image file dropped on the query box is the image query; anything else is the line
    // edit's (text) or, through the panel, the main window's (files for the gallery).
    const bool drag = event->type() == QEvent::DragEnter || event->type() == QEvent::DragMove;
    if (watched == m_query && (drag || event->type() == QEvent::Drop)) {
        auto *drop = static_cast<QDropEvent *>(event);
        if (droppedImage(drop->mimeData()).isEmpty())
            return false;
        if (drag)
            drop->acceptProposedAction();
        else
            dropEvent(drop);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

// --- indexing ------------------------------------------------------------------------------

quint64 SearchPanel::indexGalleryFolders()
{
    QStringList dirs;
    if (m_gallery) {
        GalleryModel *model = m_gallery->model();
        for (int row = 0; row < model->rowCount(); ++row)
            dirs << QFileInfo(model->index(row).data(GalleryModel::PathRole).toString()).absolutePath();
    }
    if (dirs.isEmpty()) {
        showMessage(tr("The gallery is empty: open a folder first, or add one here."), true);
        return 0;
    }
    return indexFolders(dirs);
}

quint64 SearchPanel::reindex()
{
    if (m_lastFolders.isEmpty())
        return indexGalleryFolders();
    return indexFolders(m_lastFolders);
}

quint64 SearchPanel::indexFolders(const QStringList &folders)
{
    if (isIndexing())
        return 0;
    QStringList clean;
    for (const QString &folder : folders) {
        const QString path = cleanPath(QDir::fromNativeSeparators(folder));
        if (path.isEmpty() || !QFileInfo::exists(path)) {
            showMessage(tr("Not found: %1").arg(QDir::toNativeSeparators(folder)), true);
            return 0;
        }
        clean << path;
    }
    // Folders are indexed recursively: a folder inside another listed one adds nothing.
    clean.removeDuplicates();
    std::sort(clean.begin(), clean.end());
    QStringList roots;
    for (const QString &dir : std::as_const(clean))
        if (roots.isEmpty() || !under(dir, roots.last()))
            roots << dir;
    if (roots.isEmpty()) {
        showMessage(tr("No folder to index."), true);
        return 0;
    }
    const QString model = chosenModel();
    if (model.isEmpty())
        return 0;
    ml::IndexRequest request;
    request.library = libraryPath().toStdString();
    request.model = model.toStdString();
    for (const QString &root : std::as_const(roots))
        request.folders.push_back(root.toStdString());
    if (!QDir().mkpath(QFileInfo(libraryPath()).absolutePath())) {
        showMessage(tr("Cannot create the library's folder: %1").arg(QFileInfo(libraryPath()).absolutePath()), true);
        return 0;
    }
    if (!m_autoIndex)
        clearMessage();
    m_lastFolders = roots;
    m_reindex->hide();
    m_stage.clear();
    m_done = m_total = 0;
    m_indexJob = m_bridge->submit(ml::makeIndexJob(std::move(request)));
    updateState();
    updateWatcher();
    updateFolderChoices();
    return m_indexJob;
}

void SearchPanel::updateWatcher()
{
    m_watcher->setIgnoredFile(libraryPath());
    m_watcher->setEnabled(m_keepUpdated->isChecked());
    m_watcher->setFolders(m_keepUpdated->isChecked() ? m_lastFolders : QStringList());
}

void SearchPanel::onFoldersChanged()
{
    if (!m_keepUpdated->isChecked() || m_lastFolders.isEmpty())
        return;
    if (isIndexing()) {
        m_indexAgain = true; // once the running job is done
        return;
    }
    m_autoIndex = true;
    if (indexFolders(m_lastFolders) == 0)
        m_autoIndex = false;
}

// --- searching -----------------------------------------------------------------------------

bool SearchPanel::useSelectedImage()
{
    if (!m_gallery)
        return false;
    const QModelIndex current = m_gallery->view()->currentIndex();
    if (!current.isValid()
        || current.data(GalleryModel::KindRole).toInt() != static_cast<int>(ml::io::MediaKind::Image))
        return false;
    setImageQuery(current.data(GalleryModel::PathRole).toString());
    return true;
}

void SearchPanel::setImageQuery(const QString &path)
{
    m_image = path;
    updateImageLabel();
    updateState();
}

quint64 SearchPanel::findSimilar(const QString &path)
{
    if (ml::io::guessMediaKind(path.toStdString()) != ml::io::MediaKind::Image) {
        showMessage(tr("Only photos can be searched by: %1").arg(QDir::toNativeSeparators(path)), true);
        return 0;
    }
    m_query->clear();
    setImageQuery(path);
    return search();
}

quint64 SearchPanel::search()
{
    if (isSearching() || isIndexing())
        return 0;
    const QString text = m_query->text().trimmed();
    if (text.isEmpty() && m_image.isEmpty()) {
        showMessage(tr("Type what to find, or use an image."), true);
        return 0;
    }
    const QString model = chosenModel();
    if (model.isEmpty())
        return 0;
    if (!QFileInfo::exists(libraryPath())) {
        showMessage(tr("The library is empty: index the gallery's folders first."), true);
        return 0;
    }
    if (!m_anyDate->isChecked() && m_from->date() > m_to->date()) {
        showMessage(tr("The date range ends (%1) before it starts (%2).")
                        .arg(QLocale().toString(m_to->date(), QLocale::ShortFormat),
                            QLocale().toString(m_from->date(), QLocale::ShortFormat)),
            true);
        return 0;
    }
    ml::SearchRequest request;
    request.library = libraryPath().toStdString();
    request.model = model.toStdString();
    request.text = text.toStdString();
    request.image = m_image.toStdString();
    request.textWeight = m_weight->value() / 100.0;
    request.k = m_k->value();
    const ml::VideoAggregate aggregates[]
        = {ml::VideoAggregate::Mean, ml::VideoAggregate::Max, ml::VideoAggregate::Best};
    request.videoAggregate = aggregates[std::clamp(m_aggregate->currentIndex(), 0, 2)];
    request.filter = filter();
    clearMessage();
    return submitSearch(std::move(request));
}

quint64 SearchPanel::submitSearch(ml::SearchRequest request)
{
    stopWhy(); // the maps answer the shown hits' query
    m_lastRequest = request;
    m_resultsLabel->setText(tr("Searching…"));
    m_searchJob = m_bridge->submit(ml::makeSearchJob(std::move(request)));
    updateState();
    return m_searchJob;
}

quint64 SearchPanel::findDuplicates()
{
    if (isFindingDuplicates() || isIndexing())
        return 0;
    const QString model = chosenModel();
    if (model.isEmpty())
        return 0;
    if (!QFileInfo::exists(libraryPath())) {
        showMessage(tr("The library is empty: index the gallery's folders first."), true);
        return 0;
    }
    ml::DuplicatesRequest request;
    request.library = libraryPath().toStdString();
    request.model = model.toStdString();
    request.threshold = m_dupThreshold->value();
    request.filter = filter();
    clearMessage();
    m_dupState->setText(tr("Comparing the library's files…"));
    m_dupJob = m_bridge->submit(ml::makeDuplicatesJob(std::move(request)));
    updateState();
    return m_dupJob;
}

void SearchPanel::cancel()
{
    for (quint64 id : {m_indexJob, m_searchJob, m_dupJob})
        if (id)
            m_bridge->cancel(id);
    stopWhy();
}

// --- the jobs ------------------------------------------------------------------------------

void SearchPanel::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double)
{
    if (id != m_indexJob)
        return;
    m_stage = stage;
    m_done = done;
    m_total = total;
    updateState();
}

void SearchPanel::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id == 0 || (id != m_indexJob && id != m_searchJob && id != m_dupJob))
        return;
    if (id == m_indexJob) {
        m_indexJob = 0;
        const bool wasAuto = std::exchange(m_autoIndex, false);
        const auto r = engineValue<ml::IndexResult>(value);
        const bool ranOk = ok && r.has_value();
        if (ranOk) {
            m_indexResult = *r;
            showIndexSummary();
            QStringList failures;
            for (const ml::IndexFailure &f : r->failed)
                failures << QStringLiteral("%1: %2").arg(
                    QDir::toNativeSeparators(QString::fromStdString(f.file)), QString::fromStdString(f.error));
            if (r->modelChanged)
                showMessage(
                    tr("The model changed since this library was indexed: its old vectors were replaced."), false);
            else if (!failures.isEmpty())
                showMessage(tr("Could not read %n file(s):", nullptr, static_cast<int>(failures.size()))
                        + QLatin1Char('\n') + failures.mid(0, 5).join(QLatin1Char('\n')),
                    false);
            else if (!wasAuto)
                clearMessage();
        } else if (cancelled) {
            m_indexState->setText(tr("Indexing cancelled: what was embedded is kept."));
        } else {
            m_indexState->setText(tr("Indexing failed."));
            showMessage(tr("Indexing failed: %1").arg(error), true);
            m_reindex->show();
        }
        updateState();
        updateFolderChoices();
        Q_EMIT indexFinished(ranOk);
        if (std::exchange(m_indexAgain, false) && m_keepUpdated->isChecked()) {
            onFoldersChanged(); // the folders changed while this job ran
            if (isIndexing())
                return;
        }
        // The library changed under the shown hits: ask again.
        if (ranOk && wasAuto && m_lastRequest && !isSearching())
            submitSearch(*m_lastRequest);
        return;
    }
    if (id == m_searchJob) {
        m_searchJob = 0;
        if (const auto r = engineValue<ml::SearchResult>(value); ok && r) {
            m_result = *r;
            clearMessage();
            showResults();
            Q_EMIT resultsShown();
        } else if (cancelled) {
            m_resultsLabel->setText(tr("Search cancelled."));
        } else {
            m_resultsLabel->setText(QString());
            showJobError(error, tr("Search failed: %1").arg(error));
        }
        updateState();
        return;
    }
    m_dupJob = 0;
    if (const auto r = engineValue<ml::DuplicatesResult>(value); ok && r) {
        m_duplicates = *r;
        showDuplicates();
    } else if (cancelled) {
        m_dupState->setText(tr("Cancelled."));
    } else {
        m_dupState->setText(QString());
        showJobError(error, tr("Finding near-duplicates failed: %1").arg(error));
    }
    updateState();
}

void SearchPanel::showJobError(const QString &error, const QString &failed)
{
    // A library made with another model, or one whose model changed, needs indexing again.
    const bool stale = error.contains(QStringLiteral("re-index"), Qt::CaseInsensitive);
    showMessage(
        stale ? error + QLatin1Char('\n') + tr("Re-index the library with this model to search it.") : failed, true);
    m_reindex->setVisible(stale);
}

void SearchPanel::showIndexSummary()
{
    if (!m_indexResult)
        return;
    const ml::IndexResult &r = *m_indexResult;
    const QLocale locale;
    QString text = tr("Indexed in %1 s: %2 embedded, %3 unchanged, %4 moved, %5 removed, %6 failed.")
                       .arg(locale.toString(r.seconds, 'f', 1), locale.toString(r.embedded()),
                           locale.toString(r.unchanged + r.touched), locale.toString(r.moved),
                           locale.toString(r.removed), locale.toString(qint64(r.failed.size())));
    if (r.frames > 0)
        text += QLatin1Char(' ')
            + tr("%n video frame(s), %1 at scene changes.", nullptr, static_cast<int>(r.frames))
                  .arg(locale.toString(r.sceneFrames));
    m_indexState->setText(text);
    showHealth();
}

void SearchPanel::showHealth()
{
    const int n = m_indexResult ? static_cast<int>(m_indexResult->health.size()) : 0;
    m_healthBanner->setVisible(n > 0);
    m_healthList->clear();
    if (n == 0)
        return;
    m_healthText->setText(tr("%n file(s) have suspicious vectors (%1 checked): the model may be broken, or these "
                             "files may be blank or unreadable.",
        nullptr, n)
                              .arg(QLocale().toString(m_indexResult->healthChecked)));
    QList<QTreeWidgetItem *> items;
    for (const ml::IndexHealthIssue &issue : m_indexResult->health) {
        const QString file = QString::fromStdString(issue.file);
        auto *item = new QTreeWidgetItem({QFileInfo(file).fileName(), QString::fromStdString(issue.reason)});
        item->setToolTip(0, QDir::toNativeSeparators(file));
        item->setToolTip(1, QString::fromStdString(issue.reason));
        items << item;
    }
    m_healthList->addTopLevelItems(items);
    m_healthList->resizeColumnToContents(0);
}

void SearchPanel::showResultsState()
{
    if (!m_result)
        return;
    const QLocale locale;
    const int vectors = static_cast<int>(m_result->vectors);
    QString text = m_result->results.empty()
        ? tr("No match in %n vector(s).", nullptr, vectors)
        : tr("%1 best of %n vector(s)", nullptr, vectors).arg(locale.toString(qint64(m_result->results.size())));
    if (m_result->approximate) {
        const QString kind = m_result->approxKind.empty() ? tr("index") : QString::fromStdString(m_result->approxKind);
        text += QStringLiteral(" · ")
            + (m_result->recallAt10 >= 0.0
                    ? tr("approximate (%1, recall@10 %2)").arg(kind, locale.toString(m_result->recallAt10, 'f', 2))
                    : tr("approximate (%1)").arg(kind));
    }
    if (m_result->indexBuilding)
        text += QLatin1Char('\n') + tr("Building the fast index in the background; exact search meanwhile.");
    m_resultsLabel->setText(text);
}

void SearchPanel::showResults()
{
    showResultsState();
    m_strip->setHit(nullptr);
    std::vector<SearchTile> tiles;
    if (m_result)
        for (const ml::SearchResultItem &hit : m_result->results)
            tiles.push_back(
                {QString::fromStdString(hit.file), hit.kind == "video", hit.score, hit.bestS, {}, 0, 0, {}, {}});
    m_resultsModel->setTiles(std::move(tiles));
    m_whyOpened = -1;
    if (whyEnabled() && whyAvailable()) {
        for (int row = 0; row < m_resultsModel->rowCount(); ++row)
            applyWhy(row);
        nextWhy();
    }
    updateWhyState();
}

void SearchPanel::showDuplicates()
{
    if (!m_duplicates)
        return;
    std::vector<std::vector<DuplicateTile>> groups;
    for (const ml::DuplicateGroup &g : m_duplicates->groups) {
        std::vector<DuplicateTile> tiles;
        for (std::size_t i = 0; i < g.files.size(); ++i) {
            const QString path = QString::fromStdString(g.files[i]);
            tiles.push_back({path, ml::io::guessMediaKind(g.files[i]) == ml::io::MediaKind::Video,
                i < g.scores.size() ? g.scores[i] : 1.0f, i < g.hashDistances.size() ? g.hashDistances[i] : -1});
        }
        groups.push_back(std::move(tiles));
    }
    const int n = static_cast<int>(groups.size());
    QString state = n == 0
        ? tr("No near-duplicates among %n file(s).", nullptr, static_cast<int>(m_duplicates->files))
        : tr("%1 group(s) among %n file(s): click one to open it.", nullptr, static_cast<int>(m_duplicates->files))
              .arg(QLocale().toString(n));
    // Why a look-alike is missing: its picture differs, or could not be read.
    if (m_duplicates->rejectedPairs > 0)
        state += QLatin1Char(' ')
            + tr("%n pair(s) with similar vectors but different pictures were left apart.", nullptr,
                static_cast<int>(m_duplicates->rejectedPairs));
    if (!m_duplicates->unreadable.empty())
        state += QLatin1Char(' ')
            + tr("%n file(s) could not be read to compare: %1", nullptr,
                static_cast<int>(m_duplicates->unreadable.size()))
                  .arg(QString::fromStdString(m_duplicates->unreadable.front().error));
    m_dupState->setText(state);
    m_dupView->groupsModel()->setGroups(std::move(groups));
    m_dupView->setVisible(n > 0);
}

int SearchPanel::currentRow() const
{
    const QModelIndex current = m_results->currentIndex();
    return current.isValid() ? current.row() : -1;
}

int SearchPanel::stripPointCount() const
{
    return m_strip->pointCount();
}

const ml::SearchResultItem *SearchPanel::hitAt(int row) const
{
    return m_result && row >= 0 && row < static_cast<int>(m_result->results.size())
        ? &m_result->results[static_cast<std::size_t>(row)]
        : nullptr;
}

void SearchPanel::openHit(int row)
{
    if (!m_result || row < 0 || row >= static_cast<int>(m_result->results.size()))
        return;
    const ml::SearchResultItem &hit = m_result->results[static_cast<std::size_t>(row)];
    Q_EMIT openRequested(QString::fromStdString(hit.file), hit.kind == "video" ? std::max(0.0, hit.bestS) : -1.0);
    if (!whyEnabled() || !whyAvailable())
        return;
    m_whyOpened = row; // explained next when its map is not there yet
    applyWhy(row);
    // The preview may show the file only later (through the gallery): the overlay waits for it.
    if (const auto map = m_explain->cached(whyRequest(row)); map && m_preview)
        m_preview->setOverlay(QString::fromStdString(hit.file), hit.kind == "video" ? std::max(0.0, hit.bestS) : -1.0,
            heatOf(*map), SearchTileDelegate::kHeatOpacity);
    nextWhy();
}

// --- "Why did this match?" -----------------------------------------------------------------

bool SearchPanel::whyEnabled() const
{
    return m_results->whyAction()->isChecked();
}

void SearchPanel::setWhyEnabled(bool on)
{
    m_results->whyAction()->setChecked(on);
}

bool SearchPanel::whyAvailable() const
{
    return m_result && m_lastRequest && !m_lastRequest->text.empty();
}

QString SearchPanel::whyState() const
{
    return m_whyState->text();
}

ml::ExplainRequest SearchPanel::whyRequest(int row) const
{
    ml::ExplainRequest r;
    if (!m_lastRequest || row < 0 || row >= m_resultsModel->rowCount())
        return r;
    const SearchTile &t = m_resultsModel->tile(row);
    r.model = m_lastRequest->model;
    r.image = t.path.toStdString();
    if (t.video)
        r.videoTimeS = std::max(0.0, t.bestS); // the best moment's frame
    r.method = ml::ExplainMethod::Relevance;
    r.text = m_lastRequest->text;
    return r;
}

QString SearchPanel::whyKey(int row) const
{
    return m_lastRequest && row >= 0 && row < m_resultsModel->rowCount() ? ExplainClient::keyOf(whyRequest(row))
                                                                         : QString();
}

bool SearchPanel::whyDone(int row) const
{
    return m_whyErrors.contains(whyKey(row)) || m_explain->cached(whyRequest(row));
}

QImage SearchPanel::heatOf(const ml::ExplainResult &r)
{
    return heatmap::colourise(r.map, r.gridH, r.gridW, 128, heatmap::ColourMap::Jet);
}

void SearchPanel::applyWhy(int row, ExplainClient::Result map)
{
    if (!map)
        map = m_explain->cached(whyRequest(row));
    if (!map)
        return;
    const SearchTile &t = m_resultsModel->tile(row);
    const QString path = t.path;
    const double timeS = t.video ? std::max(0.0, t.bestS) : -1.0;
    QImage frame;
    if (t.video && map->imageSize > 0
        && map->inputRgb.size() == std::size_t(map->imageSize) * std::size_t(map->imageSize) * 3)
        frame = QImage(map->inputRgb.data(), map->imageSize, map->imageSize, map->imageSize * 3, QImage::Format_RGB888)
                    .copy();
    const QImage heat = heatOf(*map);
    m_resultsModel->setRelevance(row, map->map, map->gridH, map->gridW, heat, frame);
    if (m_preview && row == m_whyOpened && m_preview->currentPath() == path)
        m_preview->setOverlay(path, timeS, heat, SearchTileDelegate::kHeatOpacity);
}

void SearchPanel::onWhyFinished(
    quint64 ticket, const ExplainClient::Result &result, const QString &error, bool cancelled)
{
    if (ticket == 0 || ticket != m_whyJob)
        return;
    m_whyJob = 0;
    if (!result && cancelled) {
        updateWhyState();
        return;
    }
    if (!result)
        m_whyErrors.insert(m_whyJobKey, error); // not asked again
    else
        for (int row = 0; row < m_resultsModel->rowCount(); ++row)
            if (whyKey(row) == m_whyJobKey)
                applyWhy(row, result);
    nextWhy();
}

void SearchPanel::nextWhy()
{
    if (m_whyJob || !whyEnabled() || !whyAvailable() || isSearching()) {
        updateWhyState();
        return;
    }
    // The opened hit, then the hits on screen, then the rest, each in order.
    QList<int> order;
    if (m_whyOpened >= 0)
        order << m_whyOpened;
    order << m_results->visibleRows();
    for (int row = 0; row < m_resultsModel->rowCount(); ++row)
        order << row;
    int row = -1;
    for (int r : std::as_const(order))
        if (r < m_resultsModel->rowCount() && !whyDone(r)) {
            row = r;
            break;
        }
    if (row < 0) {
        updateWhyState();
        return;
    }
    m_whyJobKey = whyKey(row);
    m_whyJobRow = row;
    m_whyJob = m_explain->explain(whyRequest(row));
    updateWhyState();
}

void SearchPanel::stopWhy()
{
    if (m_whyJob)
        m_explain->cancel(m_whyJob); // its finished() is not emitted
    m_whyJob = 0;
    m_whyJobKey.clear();
    m_whyJobRow = -1;
    updateWhyState();
}

void SearchPanel::onWhyToggled(bool on)
{
    if (on) {
        for (int row = 0; row < m_resultsModel->rowCount(); ++row)
            applyWhy(row);
        const int current = currentRow();
        if (m_whyOpened < 0 && current >= 0)
            m_whyOpened = current; // from the tile's context menu: that hit first
        nextWhy();
        return;
    }
    stopWhy();
    m_resultsModel->clearRelevance();
    if (m_preview)
        m_preview->clearOverlay();
}

void SearchPanel::updateWhyState()
{
    const bool textQuery = !m_lastRequest || !m_lastRequest->text.empty();
    m_results->whyAction()->setEnabled(textQuery);
    QString text;
    if (!textQuery)
        text = tr("Relevance maps need a text query: this search is by image only.");
    else if (whyEnabled() && m_whyJob) {
        int done = 0;
        for (int row = 0; row < m_resultsModel->rowCount(); ++row)
            done += whyDone(row) ? 1 : 0;
        text = tr("Explaining the hits: %1 of %2…").arg(done + 1).arg(m_resultsModel->rowCount());
    } else if (whyEnabled()) {
        for (int row = 0; row < m_resultsModel->rowCount(); ++row)
            if (const auto error = m_whyErrors.constFind(whyKey(row)); error != m_whyErrors.cend()) {
                text = tr("Could not explain %1: %2")
                           .arg(QFileInfo(m_resultsModel->tile(row).path).fileName(), error.value());
                break;
            }
    }
    m_whyState->setText(text);
    m_whyState->setVisible(!text.isEmpty());
}

void SearchPanel::clickStrip(double timeS)
{
    const ml::SearchResultItem *hit = hitAt(currentRow());
    if (!hit || hit->kind != "video")
        return;
    const double end = hit->times.empty() ? timeS : hit->times.back();
    Q_EMIT openRequested(QString::fromStdString(hit->file), std::clamp(timeS, 0.0, std::max(0.0, end)));
}
