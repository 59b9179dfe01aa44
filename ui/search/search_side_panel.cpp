// SearchSidePanel: the model on top (its list loads when it is first seen, so it stays out of the
// tabs), then the Search and Library tabs; each group is built in its own function.
#include "search/search_side_panel.h"

#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "search/search_controller.h"

#include "io/media.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateEdit>
#include <QDir>
#include <QDropEvent>
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
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QTabWidget>
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
const char *const kAggregateNames[] = {"mean", "max", "best"}; // by SearchSidePanel::VideoScores
const QString kWeightKey = QStringLiteral("search/textWeight");
const QString kKindKey = QStringLiteral("search/filterKind");
const QString kFolderKey = QStringLiteral("search/filterFolder");
const QString kAnyDateKey = QStringLiteral("search/filterAnyDate");
const QString kFromKey = QStringLiteral("search/filterFrom");
const QString kToKey = QStringLiteral("search/filterTo");
const QString kKeepUpdatedKey = QStringLiteral("search/keepUpdated");

bool under(const QString &path, const QString &folder)
{
    return path == folder || path.startsWith(folder.endsWith(QLatin1Char('/')) ? folder : folder + QLatin1Char('/'));
}

QFormLayout *compactForm(QWidget *parent)
{
    auto *form = new QFormLayout(parent);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setContentsMargins(6, 6, 6, 6);
    form->setVerticalSpacing(4);
    return form;
}

} // namespace

SearchSidePanel::SearchSidePanel(EngineBridge *bridge, SearchController *controller, QWidget *parent)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_controller(controller)
    , m_message(new QLabel(this))
    , m_tabs(new QTabWidget(this))
{
    setObjectName(QStringLiteral("searchSidePanel"));
    m_message->setObjectName(QStringLiteral("searchMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    m_modelLabel = new QLabel(this);
    m_picker = new ModelPicker(m_bridge, QStringLiteral("clip"), kModelKey, this);
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    auto *modelRow = new QHBoxLayout;
    modelRow->addWidget(m_modelLabel);
    modelRow->addWidget(m_picker, 1);

    m_tabs->setObjectName(QStringLiteral("searchSideTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(buildSearchTab(), QString());
    m_tabs->addTab(buildLibraryTab(), QString());

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(6);
    layout->addWidget(m_message);
    layout->addLayout(modelRow);
    layout->addWidget(m_tabs);
    layout->addStretch(1);

    connectForm();
    restoreSettings();
    retranslate();
    refresh();
}

SearchSidePanel::~SearchSidePanel()
{
    saveSettings();
}

// --- the Search tab ------------------------------------------------------------------------

QWidget *SearchSidePanel::buildSearchTab()
{
    auto *tab = new QWidget;
    auto *layout = new QVBoxLayout(tab);
    layout->setContentsMargins(0, 6, 0, 0);
    layout->addWidget(buildQueryGroup(tab));
    layout->addWidget(buildFilterGroup(tab));
    layout->addStretch(1);
    return tab;
}

QGroupBox *SearchSidePanel::buildQueryGroup(QWidget *parent)
{
    m_queryGroup = new QGroupBox(parent);
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
    m_k->setObjectName(QStringLiteral("searchK"));
    m_k->setRange(1, 1000);
    m_k->setValue(10);
    m_aggregate = new QComboBox(m_queryGroup);
    m_aggregate->setObjectName(QStringLiteral("searchVideoScore"));
    for (int i = 0; i < 3; ++i)
        m_aggregate->addItem(QString());
    m_useImage = new QPushButton(m_queryGroup);
    m_useImage->setObjectName(QStringLiteral("searchUseImage"));
    m_clearImage = new QToolButton(m_queryGroup);
    m_clearImage->setIcon(style()->standardIcon(QStyle::SP_DialogCloseButton));
    m_imageName = dimLabel(m_queryGroup);
    m_imageName->setObjectName(QStringLiteral("searchImageName"));
    m_imageName->setWordWrap(false);
    m_imageName->setMinimumWidth(40);
    m_imageName->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto *imageRow = new QHBoxLayout;
    imageRow->addWidget(m_useImage);
    imageRow->addWidget(m_clearImage);
    imageRow->addWidget(m_imageName, 1);
    m_weight = new QSlider(Qt::Horizontal, m_queryGroup);
    m_weight->setObjectName(QStringLiteral("searchWeight"));
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
    auto *form = compactForm(m_queryGroup);
    form->addRow(m_queryLabel, queryRow);
    form->addRow(m_imageLabel, imageRow);
    form->addRow(m_weightLabel, weightRow);
    form->addRow(m_kLabel, m_k);
    form->addRow(m_aggregateLabel, m_aggregate);
    return m_queryGroup;
}

QGroupBox *SearchSidePanel::buildFilterGroup(QWidget *parent)
{
    m_filterGroup = new QGroupBox(parent);
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
    m_from->setObjectName(QStringLiteral("searchFrom"));
    m_to = new QDateEdit(QDate::currentDate(), m_filterGroup);
    m_to->setObjectName(QStringLiteral("searchTo"));
    for (QDateEdit *edit : {m_from, m_to}) {
        edit->setCalendarPopup(true);
        edit->setDisplayFormat(dateFormat.contains(QStringLiteral("yyyy")) ? dateFormat : QStringLiteral("yyyy-MM-dd"));
        edit->setEnabled(false);
    }
    auto *dateRow = new QHBoxLayout;
    dateRow->addWidget(m_from, 1);
    dateRow->addWidget(new QLabel(QStringLiteral("–"), m_filterGroup));
    dateRow->addWidget(m_to, 1);
    m_kindLabel = new QLabel(m_filterGroup);
    m_folderLabel = new QLabel(m_filterGroup);
    m_dateLabel = new QLabel(m_filterGroup);
    auto *form = compactForm(m_filterGroup);
    form->addRow(m_kindLabel, m_kind);
    form->addRow(m_folderLabel, m_folder);
    form->addRow(m_dateLabel, m_anyDate);
    form->addRow(QString(), dateRow);
    return m_filterGroup;
}

// --- the Library tab -----------------------------------------------------------------------

QWidget *SearchSidePanel::buildLibraryTab()
{
    auto *tab = new QWidget;
    m_library = new QLineEdit(tab);
    m_library->setObjectName(QStringLiteral("searchLibrary"));
    m_library->setText(QDir::toNativeSeparators(SearchController::defaultLibrary()));
    m_libraryBrowse = new QToolButton(tab);
    m_libraryBrowse->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    auto *libraryRow = new QHBoxLayout;
    libraryRow->addWidget(m_library, 1);
    libraryRow->addWidget(m_libraryBrowse);
    m_indexGallery = new QPushButton(tab);
    m_indexGallery->setObjectName(QStringLiteral("searchIndexGallery"));
    m_addFolder = new QPushButton(tab);
    m_addFolder->setObjectName(QStringLiteral("searchAddFolder"));
    m_reindex = new QPushButton(tab);
    m_reindex->setObjectName(QStringLiteral("searchReindex"));
    m_cancel = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), QString(), tab);
    m_cancel->setObjectName(QStringLiteral("searchCancel"));
    auto *indexRow = new QHBoxLayout;
    indexRow->addWidget(m_indexGallery);
    indexRow->addWidget(m_addFolder);
    indexRow->addStretch(1);
    auto *againRow = new QHBoxLayout;
    againRow->addWidget(m_reindex);
    againRow->addWidget(m_cancel);
    againRow->addStretch(1);
    m_keepUpdated = new QCheckBox(tab);
    m_keepUpdated->setObjectName(QStringLiteral("searchKeepUpdated"));
    m_keepUpdated->setChecked(true);
    m_indexState = dimLabel(tab);
    m_indexState->setObjectName(QStringLiteral("searchIndexState"));
    m_indexState->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_libraryLabel = new QLabel(tab);
    m_libraryForm = compactForm(tab);
    m_libraryForm->addRow(m_libraryLabel, libraryRow);
    m_libraryForm->addRow(indexRow);
    m_libraryForm->addRow(againRow);
    m_libraryForm->addRow(m_keepUpdated);
    m_libraryForm->addRow(m_indexState);
    m_libraryForm->addRow(buildHealthBanner(tab));
    return tab;
}

QFrame *SearchSidePanel::buildHealthBanner(QWidget *parent)
{
    // Files whose vectors cannot be right.
    m_healthBanner = new QFrame(parent);
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
    auto *top = new QHBoxLayout;
    top->addWidget(warning);
    top->addWidget(m_healthText, 1);
    auto *banner = new QVBoxLayout(m_healthBanner);
    banner->setContentsMargins(6, 6, 6, 6);
    banner->setSpacing(4);
    banner->addLayout(top);
    banner->addWidget(m_healthToggle, 0, Qt::AlignLeft);
    banner->addWidget(m_healthList);
    m_healthBanner->hide();
    return m_healthBanner;
}

void SearchSidePanel::connectForm()
{
    connect(m_libraryBrowse, &QToolButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Library File"), m_controller->libraryPath(),
            tr("Libraries (*.db)"), nullptr, QFileDialog::DontConfirmOverwrite);
        if (!file.isEmpty()) {
            m_library->setText(QDir::toNativeSeparators(file));
            Q_EMIT libraryChanged();
        }
    });
    connect(m_library, &QLineEdit::editingFinished, this, &SearchSidePanel::libraryChanged);
    connect(m_indexGallery, &QPushButton::clicked, this, &SearchSidePanel::indexGalleryRequested);
    connect(m_addFolder, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a Folder to the Library"));
        if (!dir.isEmpty())
            Q_EMIT addFolderRequested(dir);
    });
    connect(m_reindex, &QPushButton::clicked, this, &SearchSidePanel::reindexRequested);
    connect(m_cancel, &QPushButton::clicked, this, &SearchSidePanel::cancelRequested);
    connect(m_keepUpdated, &QCheckBox::toggled, this, &SearchSidePanel::keepUpdatedChanged);
    connect(m_healthToggle, &QToolButton::toggled, this, [this](bool on) {
        m_healthList->setVisible(on);
        m_healthToggle->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
        m_healthToggle->setText(on ? tr("Hide files") : tr("Show files"));
    });
    connect(m_query, &QLineEdit::returnPressed, this, &SearchSidePanel::searchRequested);
    connect(m_search, &QPushButton::clicked, this, &SearchSidePanel::searchRequested);
    connect(m_useImage, &QPushButton::clicked, this, &SearchSidePanel::useSelectedImageRequested);
    connect(m_clearImage, &QToolButton::clicked, this, [this] { setImageQuery({}); });
    connect(m_weight, &QSlider::valueChanged, this,
        [this](int v) { m_weightValue->setText(QStringLiteral("%1 %").arg(v)); });
    connect(m_query, &QLineEdit::textChanged, this, &SearchSidePanel::refresh);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &SearchSidePanel::filtersChanged);
    connect(m_folder, &QComboBox::currentIndexChanged, this, &SearchSidePanel::filtersChanged);
    connect(m_anyDate, &QCheckBox::toggled, this, [this](bool any) {
        m_from->setEnabled(!any);
        m_to->setEnabled(!any);
        Q_EMIT filtersChanged();
    });
    for (QDateEdit *edit : {m_from, m_to})
        connect(edit, &QDateEdit::dateChanged, this, [this] {
            if (!m_anyDate->isChecked())
                Q_EMIT filtersChanged();
        });
}

void SearchSidePanel::retranslate()
{
    m_tabs->setTabText(SearchTab, tr("Search"));
    m_tabs->setTabText(LibraryTab, tr("Library"));
    m_queryGroup->setTitle(tr("Query"));
    m_filterGroup->setTitle(tr("Filters"));
    m_modelLabel->setText(tr("Model:"));
    m_libraryLabel->setText(tr("Library:"));
    m_libraryBrowse->setToolTip(tr("Choose the library file"));
    m_indexGallery->setText(tr("Index gallery folders"));
    m_indexGallery->setToolTip(tr("Add the gallery's folders to the library, embedding only new or changed files"));
    m_addFolder->setText(tr("Add folder…"));
    m_reindex->setText(tr("Re-index"));
    m_cancel->setText(tr("Cancel"));
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
    updateImageLabel();
    showHealth();
}

void SearchSidePanel::restoreSettings()
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
    m_weightValue->setText(QStringLiteral("%1 %").arg(m_weight->value()));
    const QSignalBlocker kind(m_kind), any(m_anyDate), from(m_from), to(m_to);
    m_kind->setCurrentIndex(std::clamp(s.value(kKindKey, 0).toInt(), 0, 2));
    m_savedFolder = s.value(kFolderKey).toString();
    m_anyDate->setChecked(s.value(kAnyDateKey, true).toBool());
    m_from->setEnabled(!m_anyDate->isChecked());
    m_to->setEnabled(!m_anyDate->isChecked());
    if (const QDate d = s.value(kFromKey).toDate(); d.isValid())
        m_from->setDate(d);
    if (const QDate d = s.value(kToKey).toDate(); d.isValid())
        m_to->setDate(d);
    m_keepUpdated->setChecked(s.value(kKeepUpdatedKey, true).toBool());
}

void SearchSidePanel::saveSettings() const
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
    s.setValue(kKeepUpdatedKey, m_keepUpdated->isChecked());
}

// --- the form's values ---------------------------------------------------------------------

QString SearchSidePanel::text() const
{
    return m_query->text().trimmed();
}

void SearchSidePanel::setText(const QString &text)
{
    m_query->setText(text);
}

QString SearchSidePanel::libraryText() const
{
    return m_library->text();
}

bool SearchSidePanel::keepUpdated() const
{
    return m_keepUpdated->isChecked();
}

void SearchSidePanel::setImageQuery(const QString &path)
{
    m_image = path;
    updateImageLabel();
    refresh();
}

void SearchSidePanel::updateImageLabel()
{
    m_imageName->setText(m_image.isEmpty() ? tr("none") : QFileInfo(m_image).fileName());
    m_imageName->setToolTip(QDir::toNativeSeparators(m_image));
}

ml::SearchFilter SearchSidePanel::filter() const
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

ml::SearchRequest SearchSidePanel::request() const
{
    ml::SearchRequest request;
    request.text = text().toStdString();
    request.image = m_image.toStdString();
    request.textWeight = m_weight->value() / 100.0;
    request.k = m_k->value();
    const ml::VideoAggregate aggregates[]
        = {ml::VideoAggregate::Mean, ml::VideoAggregate::Max, ml::VideoAggregate::Best};
    request.videoAggregate = aggregates[std::clamp(m_aggregate->currentIndex(), 0, 2)];
    request.filter = filter();
    return request;
}

void SearchSidePanel::setFolderChoices(QStringList folders, const QStringList &roots)
{
    const QString current = m_folder->currentIndex() > 0 ? m_folder->currentData().toString() : m_savedFolder;
    const QSignalBlocker blocker(m_folder);
    while (m_folder->count() > 1)
        m_folder->removeItem(1);
    int selected = 0;
    for (const QString &f : std::as_const(folders)) {
        // Under an indexed folder: shown from that folder's name down.
        QString shown = QDir::toNativeSeparators(f);
        for (const QString &root : roots)
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

// --- the controller's state ----------------------------------------------------------------

void SearchSidePanel::refresh()
{
    const SearchController &c = *m_controller;
    const bool indexing = c.isIndexing();
    for (QWidget *w :
        std::initializer_list<QWidget *> {m_picker, m_library, m_libraryBrowse, m_indexGallery, m_addFolder, m_reindex})
        w->setEnabled(!indexing);
    m_cancel->setVisible(indexing || c.isSearching() || c.isFindingDuplicates());
    m_reindex->setVisible(c.reindexSuggested());
    m_search->setEnabled(!indexing && !c.isSearching());
    m_weight->setEnabled(!m_image.isEmpty() && !text().isEmpty());
    m_clearImage->setVisible(!m_image.isEmpty());
    m_indexState->setText(c.indexState());
    m_indexState->setVisible(!c.indexState().isEmpty());
    m_message->setText(c.message());
    m_message->setStyleSheet(c.messageIsError() ? QStringLiteral("color: #c62828;") : QString());
    m_message->setVisible(!c.message().isEmpty());
}

void SearchSidePanel::showHealth()
{
    const auto &index = m_controller->indexResult();
    const int n = index ? static_cast<int>(index->health.size()) : 0;
    m_healthBanner->setVisible(n > 0);
    m_healthList->clear();
    if (n == 0)
        return;
    m_healthText->setText(tr("%n file(s) have suspicious vectors (%1 checked): the model may be broken, or these "
                             "files may be blank or unreadable.",
        nullptr, n)
                              .arg(QLocale().toString(index->healthChecked)));
    QList<QTreeWidgetItem *> items;
    for (const ml::IndexHealthIssue &issue : index->health) {
        const QString file = QString::fromStdString(issue.file);
        auto *item = new QTreeWidgetItem({QFileInfo(file).fileName(), QString::fromStdString(issue.reason)});
        item->setToolTip(0, QDir::toNativeSeparators(file));
        item->setToolTip(1, QString::fromStdString(issue.reason));
        items << item;
    }
    m_healthList->addTopLevelItems(items);
    m_healthList->resizeColumnToContents(0);
}

QString SearchSidePanel::droppedImage(const QMimeData *mime)
{
    if (!mime || !mime->hasUrls())
        return {};
    for (const QUrl &url : mime->urls())
        if (url.isLocalFile() && ml::io::guessMediaKind(url.toLocalFile().toStdString()) == ml::io::MediaKind::Image)
            return QDir::cleanPath(url.toLocalFile());
    return {};
}

bool SearchSidePanel::eventFilter(QObject *watched, QEvent *event)
{
    // An image file dropped on the query box is the image query; anything else is the line
    // edit's (text) or, through the panel, the main window's (files for the gallery).
    const bool drag = event->type() == QEvent::DragEnter || event->type() == QEvent::DragMove;
    if (watched == m_query && (drag || event->type() == QEvent::Drop)) {
        auto *drop = static_cast<QDropEvent *>(event);
        const QString image = droppedImage(drop->mimeData());
        if (image.isEmpty())
            return false;
        drop->acceptProposedAction();
        if (!drag)
            Q_EMIT imageDropped(image);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}
