// SearchPanel: a FeatureLayout whose main view is a splitter of the pages (hits, near-duplicates)
// and the preview column (the opened hit, a video's similarity strip), beside the side panel. The
// pages and the side panel show the SearchController's state; their requests go to it here.
#include "search/search_panel.h"

#include "common/feature_layout.h"
#include "common/model_picker.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "gallery/preview_pane.h"
#include "search/search_controller.h"
#include "search/search_duplicates_page.h"
#include "search/search_results_page.h"
#include "search/search_results_view.h"
#include "search/search_side_panel.h"
#include "search/similarity_strip.h"

#include "io/media.h"

#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QEvent>
#include <QFileInfo>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace {

constexpr int kMaxFolderChoices = 200;

bool isVideo(const QString &path)
{
    return ml::io::guessMediaKind(path.toStdString()) == ml::io::MediaKind::Video;
}

} // namespace

SearchPanel::SearchPanel(EngineBridge *bridge, QWidget *parent, const QString &thumbnailCacheDir)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_controller(new SearchController(bridge, thumbnailCacheDir, this))
    , m_layout(new FeatureLayout(this))
    , m_side(new SearchSidePanel(bridge, m_controller, this))
{
    setObjectName(QStringLiteral("search"));
    setAcceptDrops(true);
    Q_ASSERT(m_bridge);
    m_layout->setObjectName(QStringLiteral("searchLayout"));
    m_layout->setMainView(buildMainView());
    m_layout->setSidePanel(m_side);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_layout);

    m_controller->setLibrary(m_side->libraryText());
    m_controller->setKeepUpdated(m_side->keepUpdated());
    m_controller->setModel(m_side->modelPicker()->currentPath(), m_side->modelPicker()->isRefreshing());
    connectSidePanel();
    connectController();
    retranslate();
    updateFolderChoices();
}

SearchPanel::~SearchPanel() = default;

QWidget *SearchPanel::buildMainView()
{
    m_results = new SearchResultsPage(m_controller);
    m_duplicates = new SearchDuplicatesPage(m_controller);
    m_pages = new QTabWidget;
    m_pages->setObjectName(QStringLiteral("searchPages"));
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_results, QString());
    m_pages->addTab(m_duplicates, QString());
    m_mainSplitter = new QSplitter(Qt::Horizontal);
    m_mainSplitter->setObjectName(QStringLiteral("searchMainSplitter"));
    m_mainSplitter->setChildrenCollapsible(false);
    m_mainSplitter->addWidget(m_pages);
    m_mainSplitter->addWidget(buildPreviewColumn());
    m_mainSplitter->setStretchFactor(0, 3);
    m_mainSplitter->setStretchFactor(1, 2);
    return m_mainSplitter;
}

QWidget *SearchPanel::buildPreviewColumn()
{
    auto *column = new QWidget;
    column->setObjectName(QStringLiteral("searchPreviewColumn"));
    column->setMinimumWidth(280);
    m_preview = new PreviewPane(column);
    m_preview->setObjectName(QStringLiteral("searchPreview"));
    m_strip = new SimilarityStrip(column);
    m_strip->setObjectName(QStringLiteral("searchStrip"));
    auto *layout = new QVBoxLayout(column);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_preview, 1);
    layout->addWidget(m_strip);
    return column;
}

void SearchPanel::connectSidePanel()
{
    ModelPicker *picker = m_side->modelPicker();
    const auto modelChanged = [this, picker] { m_controller->setModel(picker->currentPath(), picker->isRefreshing()); };
    connect(picker, &ModelPicker::currentChanged, this, modelChanged);
    connect(picker, &ModelPicker::refreshed, this, modelChanged);
    connect(
        m_side, &SearchSidePanel::libraryChanged, this, [this] { m_controller->setLibrary(m_side->libraryText()); });
    connect(m_side, &SearchSidePanel::keepUpdatedChanged, m_controller, &SearchController::setKeepUpdated);
    connect(m_side, &SearchSidePanel::searchRequested, this, [this] { search(); });
    connect(m_side, &SearchSidePanel::useSelectedImageRequested, this, [this] {
        if (!useSelectedImage())
            m_controller->showMessage(tr("Select a photo in the gallery first."), false);
    });
    connect(m_side, &SearchSidePanel::imageDropped, this, &SearchPanel::setImageQueryAndSearch);
    connect(m_side, &SearchSidePanel::indexGalleryRequested, this, [this] { indexGalleryFolders(); });
    connect(m_side, &SearchSidePanel::addFolderRequested, this,
        [this](const QString &dir) { m_controller->indexFolders(QStringList(m_controller->indexedFolders()) << dir); });
    connect(m_side, &SearchSidePanel::reindexRequested, this, [this] { m_controller->reindex(galleryFolders()); });
    connect(m_side, &SearchSidePanel::cancelRequested, m_controller, &SearchController::cancel);
    // A changed filter answers the shown query again.
    connect(m_side, &SearchSidePanel::filtersChanged, this, [this] {
        if (m_controller->lastRequest() && !m_controller->isIndexing())
            search();
    });
    connect(m_results, &SearchResultsPage::findSimilarRequested, this, &SearchPanel::findSimilar);
    connect(m_results, &SearchResultsPage::currentHitChanged, this,
        [this](int row) { m_strip->setHit(m_controller->hitAt(row)); });
    // The strip belongs to the selected hit: not under a near-duplicate's preview.
    connect(m_pages, &QTabWidget::currentChanged, this, [this](int page) {
        m_strip->setHit(page == ResultsPage ? m_controller->hitAt(m_results->currentRow()) : nullptr);
    });
    connect(m_strip, &SimilarityStrip::clicked, this,
        [this](double timeS) { m_controller->openMoment(m_results->currentRow(), timeS); });
    connect(m_duplicates, &SearchDuplicatesPage::findRequested, this, [this] { findDuplicates(); });
    connect(m_duplicates, &SearchDuplicatesPage::openRequested, this, [this](const QString &path) {
        const double timeS = isVideo(path) ? 0.0 : -1.0;
        showInPreview(path, timeS);
        Q_EMIT openRequested(path, timeS);
    });
}

void SearchPanel::connectController()
{
    connect(m_controller, &SearchController::messageChanged, m_side, &SearchSidePanel::refresh);
    connect(m_controller, &SearchController::stateChanged, this, &SearchPanel::refresh);
    connect(m_controller, &SearchController::whyChanged, m_results, &SearchResultsPage::refresh);
    connect(m_controller, &SearchController::healthChanged, this, [this] {
        m_side->showHealth();
        if (m_controller->indexResult() && !m_controller->indexResult()->health.empty())
            m_side->tabs()->setCurrentIndex(SearchSidePanel::LibraryTab); // where the user looks next
    });
    connect(m_controller, &SearchController::foldersChanged, this, &SearchPanel::updateFolderChoices);
    connect(m_controller, &SearchController::resultsChanged, this, [this] {
        m_strip->setHit(nullptr);
        m_pages->setCurrentIndex(ResultsPage);
    });
    connect(m_controller, &SearchController::duplicatesChanged, this, [this] {
        m_duplicates->showGroups();
        m_pages->setCurrentIndex(DuplicatesPage);
    });
    connect(m_controller, &SearchController::openRequested, this, [this](const QString &path, double timeS) {
        showInPreview(path, timeS);
        Q_EMIT openRequested(path, timeS);
    });
    connect(m_controller, &SearchController::overlayReady, this,
        [this](const QString &path, double timeS, const QImage &heat) {
            m_preview->setOverlay(path, timeS, heat, SearchTileDelegate::kHeatOpacity);
        });
    connect(m_controller, &SearchController::overlaysCleared, m_preview, &PreviewPane::clearOverlay);
}

void SearchPanel::showInPreview(const QString &path, double timeS)
{
    if (timeS >= 0.0)
        m_preview->showVideoAt(path, timeS);
    else
        m_preview->showFile(path);
}

void SearchPanel::refresh()
{
    m_side->refresh();
    m_results->refresh();
    m_duplicates->refresh();
}

void SearchPanel::retranslate()
{
    setWindowTitle(tr("Search"));
    m_pages->setTabText(ResultsPage, tr("Results"));
    m_pages->setTabText(DuplicatesPage, tr("Near-duplicates"));
    m_side->retranslate();
    m_results->retranslate();
    m_duplicates->retranslate();
    m_controller->retranslate();
    refresh();
}

void SearchPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

// --- the gallery ---------------------------------------------------------------------------

void SearchPanel::setGallery(GalleryWidget *gallery)
{
    m_gallery = gallery;
    if (m_gallery)
        connect(m_gallery, &GalleryWidget::scanFinished, this, &SearchPanel::updateFolderChoices);
    updateFolderChoices();
}

QStringList SearchPanel::galleryFolders() const
{
    QStringList dirs;
    if (m_gallery) {
        GalleryModel *model = m_gallery->model();
        for (int row = 0; row < model->rowCount() && dirs.size() < 4 * kMaxFolderChoices; ++row)
            dirs << QFileInfo(model->index(row).data(GalleryModel::PathRole).toString()).absolutePath();
    }
    return dirs;
}

void SearchPanel::updateFolderChoices()
{
    // The indexed folders and the gallery's folders (from its model: no disk access here).
    QStringList folders = m_controller->indexedFolders() + galleryFolders();
    for (QString &f : folders)
        f = QDir::cleanPath(f);
    folders.removeDuplicates();
    std::sort(folders.begin(), folders.end());
    if (folders.size() > kMaxFolderChoices)
        folders = folders.mid(0, kMaxFolderChoices);
    m_side->setFolderChoices(folders, m_controller->indexedFolders());
}

bool SearchPanel::useSelectedImage()
{
    if (!m_gallery)
        return false;
    const QModelIndex current = m_gallery->view()->currentIndex();
    if (!current.isValid()
        || current.data(GalleryModel::KindRole).toInt() != static_cast<int>(ml::io::MediaKind::Image))
        return false;
    m_side->setImageQuery(current.data(GalleryModel::PathRole).toString());
    return true;
}

// --- actions -------------------------------------------------------------------------------

quint64 SearchPanel::indexGalleryFolders()
{
    const QStringList dirs = galleryFolders();
    if (dirs.isEmpty()) {
        m_controller->showMessage(tr("The gallery is empty: open a folder first, or add one here."), true);
        return 0;
    }
    return m_controller->indexFolders(dirs);
}

quint64 SearchPanel::search()
{
    m_pages->setCurrentIndex(ResultsPage);
    return m_controller->search(m_side->request());
}

quint64 SearchPanel::findSimilar(const QString &path)
{
    if (ml::io::guessMediaKind(path.toStdString()) != ml::io::MediaKind::Image) {
        m_controller->showMessage(tr("Only photos can be searched by: %1").arg(QDir::toNativeSeparators(path)), true);
        return 0;
    }
    m_side->setText(QString());
    m_side->setImageQuery(path);
    return search();
}

quint64 SearchPanel::findDuplicates()
{
    return m_controller->findDuplicates(m_duplicates->threshold(), m_side->filter());
}

void SearchPanel::setImageQueryAndSearch(const QString &path)
{
    m_side->setImageQuery(path);
    if (QFileInfo::exists(m_controller->libraryPath()))
        search();
}

// --- drops ---------------------------------------------------------------------------------

void SearchPanel::dragEnterEvent(QDragEnterEvent *event)
{
    if (!SearchSidePanel::droppedImage(event->mimeData()).isEmpty())
        event->acceptProposedAction();
    else
        event->ignore(); // the main window takes files for the gallery
}

void SearchPanel::dragMoveEvent(QDragMoveEvent *event)
{
    if (!SearchSidePanel::droppedImage(event->mimeData()).isEmpty())
        event->acceptProposedAction();
    else
        event->ignore();
}

void SearchPanel::dropEvent(QDropEvent *event)
{
    const QString image = SearchSidePanel::droppedImage(event->mimeData());
    if (image.isEmpty()) {
        event->ignore();
        return;
    }
    event->acceptProposedAction();
    setImageQueryAndSearch(image);
}
