// The Search panel in the main window, offscreen: a generated folder of Shapes World images (and,
// with media support, two clips whose object is on screen at known times) is indexed with the
// embedded clip-mini into a library inside that folder; "a red circle" finds a red circle first,
// the hits' tiles get their thumbnails (a video's at its best moment), a video hit draws its
// similarity strip (16 points for a 6 s clip), and clicking hits or the strip plays them in the
// panel's own preview beside the grid, which stays in view. A dropped image and the gallery's "Find
// Similar" search by image, the filters narrow the hits, a new file in the watched folder is indexed
// (once), near-duplicates are grouped, a model change asks for re-indexing, and a broken model raises
// the health banner. "Why did this match?" draws each hit's relevance map (a red circle's hottest
// patch on the circle), over the tile and in the preview (a video paused at its best moment). At
// 1366 x 640 the side panel fits without scrolling and the grid and the preview sit side by side.
// Widgets are found by objectName; jobs and state are the SearchController's. Env:
// MODALLENS_SHOTS_DIR=DIR writes search_*.png there.
#include "built_paths.h"
#include "common/engine_bridge.h"
#include "common/feature_layout.h"
#include "common/model_picker.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "gallery/preview_pane.h"
#include "gallery/video_player.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "search/duplicates_view.h"
#include "search/folder_watcher.h"
#include "search/search_controller.h"
#include "search/search_panel.h"
#include "search/search_results_view.h"
#include "search/search_side_panel.h"
#include "search/similarity_strip.h"
#include "shapes_test_util.h"
#include "tiny_clip.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "index/library.h"
#include "io/media.h"
#include "train/shapes_world.h"
#include "train/shapes_world_io.h"

#include <ATen/Parallel.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDateEdit>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFrame>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QMimeData>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTreeWidget>
#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

namespace fs = std::filesystem;
using namespace ml::train;

namespace {

using shapes_test::clip;
using shapes_test::object;
using shapes_test::render;

constexpr int kJobTimeoutMs = 60000;

bool clipMiniPresent()
{
    try {
        return fs::is_regular_file(fs::path(ml::resolveModelPath("clip-mini")) / "model.safetensors");
    } catch (const ml::Error &) {
        return false;
    }
}

QString canon(const fs::path &p)
{
    return QDir::cleanPath(QString::fromStdString(fs::weakly_canonical(p).string()));
}

// A tiny random CLIP whose vision tower ends in a zeroed LayerNorm: every image gets the same
// vector, the failure the health check exists for.
void writeBrokenClip(const fs::path &dir)
{
    tiny_clip::write(dir, 11);
    auto tensors = ml::io::SafetensorsFile::open(dir / "model.safetensors")->all();
    for (auto &[name, t] : tensors)
        t = name == "vision_model.post_layernorm.weight" ? at::zeros_like(t) : t.clone();
    ml::io::saveSafetensors(dir / "model.safetensors", tensors);
}

} // namespace

class TestSearchPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void defaults();
    void fitsTheWorkspace();
    void refusesAnEmptyQuery();
    void droppedImageBecomesTheQuery();
    void indexesAndSearches();
    void searchesByTheSelectedImage();
    void findSimilarFromTheGallery();
    void filtersNarrowTheHits();
    void videoHitDrawsItsStrip();
    void whyDidThisMatch();
    void cancelsIndexing();
    void panelAndCliShareALibrary();
    void watchedFolderPicksUpANewFile();
    void groupsNearDuplicates();
    void modelChangeAsksForReindexing();
    void brokenModelRaisesTheHealthBanner();

private:
    bool waitFor(quint64 job);
    void clickHit(int row);
    bool selectModel(const QString &dir); // lists m_tmp/models and chooses dir
    void shot(const QString &name);       // the panel, with MODALLENS_SHOTS_DIR
    void raise();                         // the Search module on screen
    void setLibrary(const QString &path); // typed into the library field

    template<class T> T *child(const char *name) const
    {
        T *w = m_panel->findChild<T *>(QLatin1String(name));
        if (!w)
            qFatal("no %s named %s in the Search panel", T::staticMetaObject.className(), name);
        return w;
    }
    SearchController *ctl() const { return m_panel->controller(); }
    SearchSidePanel *side() const { return child<SearchSidePanel>("searchSidePanel"); }
    PreviewPane *preview() const { return child<PreviewPane>("searchPreview"); }
    SimilarityStrip *strip() const { return child<SimilarityStrip>("searchStrip"); }
    SearchResultsView *resultsView() const { return child<SearchResultsView>("searchResults"); }
    DuplicatesView *duplicatesView() const { return child<DuplicatesView>("searchDuplicates"); }
    QLineEdit *queryEdit() const { return child<QLineEdit>("searchQuery"); }
    QLineEdit *libraryEdit() const { return child<QLineEdit>("searchLibrary"); }
    QToolButton *whyButton() const { return child<QToolButton>("searchWhy"); }
    QComboBox *kindCombo() const { return child<QComboBox>("searchKind"); }
    QComboBox *folderCombo() const { return child<QComboBox>("searchFolder"); }
    QComboBox *videoScoreCombo() const { return child<QComboBox>("searchVideoScore"); }
    QSpinBox *kSpin() const { return child<QSpinBox>("searchK"); }
    QSlider *weightSlider() const { return child<QSlider>("searchWeight"); }
    QCheckBox *anyDateCheck() const { return child<QCheckBox>("searchAnyDate"); }
    QDateEdit *fromDateEdit() const { return child<QDateEdit>("searchFrom"); }
    QDateEdit *toDateEdit() const { return child<QDateEdit>("searchTo"); }
    QCheckBox *keepUpdatedCheck() const { return child<QCheckBox>("searchKeepUpdated"); }
    QDoubleSpinBox *duplicatesThresholdSpin() const { return child<QDoubleSpinBox>("searchDuplicateThreshold"); }
    QPushButton *searchButton() const { return child<QPushButton>("searchButton"); }
    QPushButton *indexGalleryButton() const { return child<QPushButton>("searchIndexGallery"); }
    QPushButton *reindexButton() const { return child<QPushButton>("searchReindex"); }
    QToolButton *healthToggle() const { return child<QToolButton>("searchHealthToggle"); }
    QTreeWidget *healthList() const { return child<QTreeWidget>("searchHealthList"); }

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    SearchPanel *m_panel = nullptr;
    QString m_media;
    QString m_library;
    std::set<QString> m_redCircles;
    std::map<QString, ShapeObject> m_circles; // each red circle's object, by file
    bool m_video = false;
};

void TestSearchPanel::initTestCase()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_search_panel"));

    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1400, 900));
    QVERIFY(m_window);
    at::set_num_threads(1); // the engine takes every core; see test_training_panel
    m_panel = m_window->searchPanel();
    QVERIFY(m_panel);
    QCOMPARE(m_panel->windowTitle(), QStringLiteral("Search"));
    QVERIFY(m_panel->visibleRegion().isEmpty()); // Classify stays on top

    // 6 red circles among 18 other single objects.
    const fs::path media = fs::path(m_tmp->path().toStdString()) / "media";
    fs::create_directories(media / "images");
    int n = 0;
    for (int i = 0; i < 6; ++i) {
        const auto file = media / "images" / ("img_" + std::to_string(n++) + ".png");
        const ShapeObject o = object(Shape::Circle, Colour::Red, 14 + 3 * (i % 4), 12 + 4 * (i / 4), 24 - (i % 3) * 2);
        ml::io::saveImage(render(o), file);
        m_redCircles.insert(canon(file));
        m_circles[canon(file)] = o;
    }
    const Shape shapes[] = {Shape::Circle, Shape::Square, Shape::Triangle, Shape::Diamond};
    const Colour colours[] = {Colour::Red, Colour::Green, Colour::Blue, Colour::Yellow, Colour::Purple, Colour::White};
    int other = 0;
    for (int k = 0; other < 18; ++k) {
        const Shape s = shapes[k % 4];
        const Colour c = colours[(k / 4) % 6];
        if (s == Shape::Circle && c == Colour::Red)
            continue;
        const auto file = media / "images" / ("img_" + std::to_string(n++) + ".png");
        ml::io::saveImage(render(object(s, c, 12 + 5 * (k % 3), 14 + 4 * (k % 4), 22 - (k % 2) * 4)), file);
        ++other;
    }
#ifdef MODALLENS_HAVE_MEDIA
    fs::create_directories(media / "clips");
    writeVideoMp4(clip(object(Shape::Circle, Colour::Red, 20, 20, 24), 36, 71), media / "clips" / "a.mp4");
    writeVideoMp4(clip(object(Shape::Square, Colour::Blue, 20, 20, 24), 0, 35), media / "clips" / "b.mp4");
    m_video = true;
#endif
    m_media = QString::fromStdString(media.string());
    // Inside the watched folder: its own writes must not trigger re-indexing.
    m_library = m_media + QStringLiteral("/images/library.db");
    setLibrary(m_library);
    ctl()->folderWatcher()->setDebounceMs(300);
}

void TestSearchPanel::cleanupTestCase()
{
    m_window.reset();
}

bool TestSearchPanel::waitFor(quint64 job)
{
    QSignalSpy finished(m_window->bridge(), &EngineBridge::finished);
    QElapsedTimer timer;
    timer.start();
    const auto running = [&] { return ctl()->isIndexing() || ctl()->isSearching() || ctl()->isFindingDuplicates(); };
    while (running() && timer.elapsed() < kJobTimeoutMs)
        finished.wait(200);
    return job != 0 && !running();
}

void TestSearchPanel::raise()
{
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
}

void TestSearchPanel::setLibrary(const QString &path)
{
    libraryEdit()->setText(path);
    Q_EMIT libraryEdit()->editingFinished();
    QCOMPARE(ctl()->libraryPath(), QDir::cleanPath(path));
}

void TestSearchPanel::clickHit(int row)
{
    raise();
    SearchResultsView *view = resultsView();
    const QModelIndex index = view->model()->index(row, 0);
    view->scrollTo(index);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(index).center());
    QCOMPARE(view->currentIndex().row(), row);
}

bool TestSearchPanel::selectModel(const QString &dir)
{
    ModelPicker *picker = side()->modelPicker();
    QSignalSpy refreshed(picker, &ModelPicker::refreshed);
    picker->addFolder(m_tmp->path() + QStringLiteral("/models"));
    QElapsedTimer timer;
    timer.start();
    while ((refreshed.isEmpty() || picker->isRefreshing()) && timer.elapsed() < kJobTimeoutMs)
        QTest::qWait(50);
    for (const ml::ModelEntry &e : picker->entries())
        if (QDir::cleanPath(QString::fromStdString(e.path)) == QDir::cleanPath(dir))
            return picker->selectPath(QString::fromStdString(e.path));
    return false;
}

void TestSearchPanel::shot(const QString &name)
{
    const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR");
    if (dir.isEmpty())
        return;
    raise();
    QTest::qWait(150);
    QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + name));
}

void TestSearchPanel::defaults()
{
    QVERIFY(SearchController::defaultLibrary().endsWith(QStringLiteral("/ModalLens/library.db")));
    QCOMPARE(kSpin()->value(), 10);
    QCOMPARE(videoScoreCombo()->count(), 3);
    QCOMPARE(videoScoreCombo()->currentIndex(), int(SearchSidePanel::BestMoment)); // as the README says
    QVERIFY(side()->imageQuery().isEmpty());
    QCOMPARE(strip()->pointCount(), 0);
    QCOMPARE(kindCombo()->count(), 3);
    QCOMPARE(kindCombo()->currentIndex(), int(SearchSidePanel::AllKinds));
    QCOMPARE(folderCombo()->currentIndex(), 0);
    QVERIFY(anyDateCheck()->isChecked());
    QVERIFY(!fromDateEdit()->isEnabled());
    QVERIFY(side()->filter().empty());
    QVERIFY(keepUpdatedCheck()->isChecked());
    QCOMPARE(duplicatesThresholdSpin()->value(), 0.95);
    QVERIFY(child<QFrame>("searchHealthBanner")->isHidden());
    // The workspace's layout: the settings in the side panel, the hits, the near-duplicates and
    // the preview in the main view; no scroll area around the whole panel.
    auto *layout = child<FeatureLayout>("searchLayout");
    QCOMPARE(layout->sidePanel(), static_cast<QWidget *>(side()));
    for (QWidget *w : {static_cast<QWidget *>(resultsView()), static_cast<QWidget *>(duplicatesView()),
             static_cast<QWidget *>(preview()), static_cast<QWidget *>(strip())})
        QVERIFY2(layout->mainView()->isAncestorOf(w), qPrintable(w->objectName()));
    QVERIFY(side()->isAncestorOf(queryEdit()));
    QCOMPARE(m_panel->layout()->count(), 1);
}

// At the workspace's sizes the side panel needs no scrolling, and the grid and the preview share
// the main view side by side: opening a hit never covers the hits.
void TestSearchPanel::fitsTheWorkspace()
{
    for (const QSize size : {QSize(1366, 640), QSize(1920, 960)}) {
        SearchPanel panel(m_window->bridge());
        panel.resize(size);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        auto *sidePanel = panel.findChild<SearchSidePanel *>(QStringLiteral("searchSidePanel"));
        QVERIFY(sidePanel);
        QVERIFY2(sidePanel->sizeHint().height() <= 640, qPrintable(QString::number(sidePanel->sizeHint().height())));
        for (int tab = 0; tab < sidePanel->tabs()->count(); ++tab) {
            sidePanel->tabs()->setCurrentIndex(tab);
            QVERIFY2(sidePanel->sizeHint().height() <= 640,
                qPrintable(QStringLiteral("tab %1: %2").arg(tab).arg(sidePanel->sizeHint().height())));
        }
        auto *grid = panel.findChild<SearchResultsView *>(QStringLiteral("searchResults"));
        auto *pane = panel.findChild<PreviewPane *>(QStringLiteral("searchPreview"));
        QVERIFY(grid && pane);
        QTRY_VERIFY(grid->isVisible() && pane->isVisible());
        const QRect gridRect(grid->mapTo(&panel, QPoint(0, 0)), grid->size());
        const QRect paneRect(pane->mapTo(&panel, QPoint(0, 0)), pane->size());
        QVERIFY(!gridRect.intersects(paneRect));
        QVERIFY2(gridRect.width() >= size.width() / 3, qPrintable(QString::number(gridRect.width())));
        QVERIFY(gridRect.height() >= size.height() / 2);
        // Tiles half again as large as the old dock's three columns, and more of them on a wide screen.
        const int columns = grid->viewport()->width() / std::max(1, grid->gridSize().width());
        QVERIFY2(columns >= (size.width() >= 1920 ? 5 : 3), qPrintable(QString::number(columns)));
        QVERIFY(grid->gridSize().width() >= SearchResultsView::kThumbBox.width());
    }
}

void TestSearchPanel::droppedImageBecomesTheQuery()
{
    const QString image = *m_redCircles.rbegin();
    const auto send = [&](const QUrl &url) {
        QMimeData mime;
        mime.setUrls({url});
        const QPoint pos = queryEdit()->rect().center();
        QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(queryEdit(), &enter);
        QDropEvent drop(QPointF(pos), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(queryEdit(), &drop);
        return enter.isAccepted();
    };
    // Not a local image: left to others, the query stays as it was.
    send(QUrl(QStringLiteral("https://example.com/a.png")));
    QVERIFY(side()->imageQuery().isEmpty());
    QVERIFY(send(QUrl::fromLocalFile(image)));
    QCOMPARE(side()->imageQuery(), image);
    QVERIFY(!ctl()->isSearching()); // no library yet: nothing to search
    QCOMPARE(child<QLabel>("searchImageName")->text(), QFileInfo(image).fileName());
    QVERIFY(SearchSidePanel::droppedImage(nullptr).isEmpty());
    side()->setImageQuery({});
}

void TestSearchPanel::refusesAnEmptyQuery()
{
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);
    queryEdit()->clear();
    QCOMPARE(m_panel->search(), quint64(0));
    QVERIFY(ctl()->messageIsError());
    QVERIFY(!ctl()->message().isEmpty());
    QCOMPARE(ctl()->indexFolders({m_tmp->path() + QStringLiteral("/no-such-folder")}), quint64(0));
    QVERIFY(ctl()->message().contains(QStringLiteral("no-such-folder")));
    QCoreApplication::processEvents();
    // Only the panel's own jobs count: the model pickers search on the I/O lane meanwhile.
    for (const QList<QVariant> &args : std::as_const(started)) {
        const QString name = args.at(1).toString();
        QVERIFY2(!name.contains(QStringLiteral("ndex")) && !name.contains(QStringLiteral("earch")), qPrintable(name));
    }
    QVERIFY(!ctl()->isIndexing());
    QVERIFY(!ctl()->isSearching());
}

void TestSearchPanel::indexesAndSearches()
{
    if (!clipMiniPresent())
        QSKIP("clip-mini is not in resources/models: nothing to index with");
    ModelPicker *picker = side()->modelPicker();
    if (picker->currentPath().isEmpty()) {
        QSignalSpy refreshed(picker, &ModelPicker::refreshed);
        picker->refresh();
        QVERIFY(refreshed.wait(kJobTimeoutMs));
    }
    QCOMPARE(QFileInfo(picker->currentPath()).fileName(), QStringLiteral("clip-mini"));

    // Through the gallery, as "Index gallery folders" would.
    QSignalSpy scanned(m_window->gallery(), &GalleryWidget::scanFinished);
    m_window->openPaths({m_media});
    QVERIFY(scanned.wait(kJobTimeoutMs));
    const quint64 job = m_panel->indexGalleryFolders();
    QVERIFY2(job != 0, qPrintable(ctl()->message()));
    QVERIFY(ctl()->isIndexing());
    QVERIFY(waitFor(job));
    QVERIFY2(ctl()->indexResult().has_value(), qPrintable(ctl()->message()));
    QCOMPARE(ctl()->indexResult()->embedded(), 24 + (m_video ? 2 : 0));
    QVERIFY(ctl()->indexResult()->failed.empty());

    // Enter searches.
    queryEdit()->setText(QStringLiteral("a red circle"));
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);
    QTest::keyClick(queryEdit(), Qt::Key_Return);
    QTRY_VERIFY(ctl()->isSearching() || ctl()->result().has_value());
    QTRY_VERIFY_WITH_TIMEOUT(!ctl()->isSearching(), kJobTimeoutMs);
    QVERIFY2(ctl()->result().has_value(), qPrintable(ctl()->message()));
    const auto &hits = ctl()->result()->results;
    QVERIFY(!hits.empty());
    SearchResultsModel *tiles = ctl()->resultsModel();
    QCOMPARE(tiles->rowCount(), static_cast<int>(hits.size()));
    QVERIFY(ctl()->resultsState().contains(QLocale().toString(qint64(hits.size()))));
    // Every tile gets its thumbnail from the loader's pool.
    QTRY_COMPARE_WITH_TIMEOUT(tiles->thumbnailsShown(), tiles->rowCount(), 30000);
    for (int row = 0; row < tiles->rowCount(); ++row) {
        const QImage thumb = tiles->index(row).data(SearchResultsModel::ThumbnailRole).value<QImage>();
        QVERIFY(!thumb.isNull());
        QVERIFY(thumb.width() <= SearchResultsView::kThumbBox.width());
    }
    // The grid fills the columns it made room for (a style's frame must not push one to the next row).
    {
        raise(); // measured as laid out on screen: a module behind another keeps a stale viewport
        SearchResultsView *view = resultsView();
        QTRY_VERIFY(view->isVisible() && view->viewport()->width() >= view->gridSize().width());
        const int columns = std::max(1, view->viewport()->width() / view->gridSize().width());
        int firstRow = 0;
        for (int row = 0; row < tiles->rowCount(); ++row)
            firstRow += view->visualRect(tiles->index(row)).top() == view->visualRect(tiles->index(0)).top() ? 1 : 0;
        QCOMPARE(firstRow, std::min(columns, tiles->rowCount()));
    }
    // The first image hit is a red circle (the red-circle clip may come first).
    int firstImage = -1;
    for (int i = 0; i < static_cast<int>(hits.size()) && firstImage < 0; ++i)
        if (hits[static_cast<std::size_t>(i)].kind == "image")
            firstImage = i;
    QVERIFY(firstImage >= 0);
    const QString top = QDir::cleanPath(QString::fromStdString(hits[static_cast<std::size_t>(firstImage)].file));
    QVERIFY2(m_redCircles.count(top) == 1, qPrintable(top));
    QVERIFY(firstImage == 0 || hits[0].kind == "video");

    // Clicking an image hit shows it in the panel's preview, beside the hits, which stay in view;
    // the main window is told which file (to select it).
    QSignalSpy opened(m_panel, &SearchPanel::openRequested);
    clickHit(firstImage);
    QTRY_COMPARE(QDir::cleanPath(preview()->currentPath()), top);
    QCOMPARE(opened.count(), 1);
    QCOMPARE(QDir::cleanPath(opened.at(0).at(0).toString()), top);
    QCOMPARE(opened.at(0).at(1).toDouble(), -1.0);
    QTRY_VERIFY(!preview()->visibleRegion().isEmpty());
    QVERIFY(!resultsView()->visibleRegion().isEmpty());
    QCOMPARE(strip()->pointCount(), 0);
    // The indexed folder is offered as a filter and watched.
    QVERIFY(folderCombo()->findData(canon((m_media + QStringLiteral("/images")).toStdString())) > 0);
    QTRY_VERIFY(ctl()->folderWatcher()->watchedFolderCount() >= 2);
}

void TestSearchPanel::searchesByTheSelectedImage()
{
    if (!ctl()->result())
        QSKIP("no library (clip-mini missing)");
    GalleryWidget *gallery = m_window->gallery();
    // No current item, or a video: no image query, and the one there is stays.
    side()->setImageQuery({});
    gallery->view()->setCurrentIndex(QModelIndex());
    QVERIFY(!gallery->view()->currentIndex().isValid());
    QVERIFY(!m_panel->useSelectedImage());
    QVERIFY(side()->imageQuery().isEmpty());
    if (m_video) {
        const int clipRow = gallery->model()->rowOf(canon((m_media + QStringLiteral("/clips/a.mp4")).toStdString()));
        QVERIFY(clipRow >= 0);
        gallery->view()->setCurrentIndex(gallery->proxy()->mapFromSource(gallery->model()->index(clipRow)));
        QVERIFY(gallery->view()->currentIndex().isValid());
        QVERIFY(!m_panel->useSelectedImage());
        QVERIFY(side()->imageQuery().isEmpty());
    }
    const QString probe = *m_redCircles.begin();
    const int row = gallery->model()->rowOf(probe);
    QVERIFY(row >= 0);
    gallery->view()->setCurrentIndex(gallery->proxy()->mapFromSource(gallery->model()->index(row)));
    QVERIFY(m_panel->useSelectedImage());
    QCOMPARE(QDir::cleanPath(side()->imageQuery()), probe);
    const QString text = queryEdit()->text();
    queryEdit()->clear();
    QVERIFY(!weightSlider()->isEnabled()); // one query: nothing to weigh
    const quint64 job = m_panel->search();
    QVERIFY2(job != 0, qPrintable(ctl()->message()));
    QVERIFY(waitFor(job));
    QVERIFY(ctl()->result() && !ctl()->result()->results.empty());
    QCOMPARE(QDir::cleanPath(QString::fromStdString(ctl()->result()->results[0].file)), probe);

    // Text and image together, then back to the text query for the video checks.
    queryEdit()->setText(text);
    QVERIFY(weightSlider()->isEnabled());
    side()->setImageQuery({});
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(ctl()->result() && !ctl()->result()->results.empty());
}

void TestSearchPanel::findSimilarFromTheGallery()
{
    if (!ctl()->result())
        QSKIP("no library (clip-mini missing)");
    const QString text = queryEdit()->text();
    // The gallery's context menu action: the Search dock comes up and searches by that image.
    const QString probe = *std::next(m_redCircles.begin(), 2);
    m_window->showModule(m_window->library());
    QTRY_VERIFY(m_panel->visibleRegion().isEmpty());
    QSignalSpy shown(ctl(), &SearchController::resultsShown);
    Q_EMIT m_window->gallery()->view()->findSimilarRequested(probe);
    QVERIFY(ctl()->isSearching());
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    QVERIFY(shown.wait(kJobTimeoutMs));
    QCOMPARE(side()->imageQuery(), probe);
    QVERIFY(queryEdit()->text().isEmpty());
    QCOMPARE(QDir::cleanPath(QString::fromStdString(ctl()->result()->results[0].file)), probe);

    // The same from a result tile.
    const QString other = QDir::cleanPath(QString::fromStdString(ctl()->result()->results[1].file));
    Q_EMIT resultsView()->findSimilarRequested(other);
    QVERIFY(shown.wait(kJobTimeoutMs));
    QCOMPARE(QDir::cleanPath(QString::fromStdString(ctl()->result()->results[0].file)), other);
    // A video cannot be the query.
    if (m_video)
        QCOMPARE(m_panel->findSimilar(m_media + QStringLiteral("/clips/a.mp4")), quint64(0));

    side()->setImageQuery({});
    queryEdit()->setText(text);
    QVERIFY(waitFor(m_panel->search()));
}

void TestSearchPanel::filtersNarrowTheHits()
{
    if (!ctl()->result())
        QSKIP("no library (clip-mini missing)");
    QSignalSpy shown(ctl(), &SearchController::resultsShown);
    const auto hitsAll = [&](const std::function<bool(const ml::SearchResultItem &)> &ok) {
        for (const ml::SearchResultItem &hit : ctl()->result()->results)
            if (!ok(hit))
                return false;
        return true;
    };
    const int everything = static_cast<int>(ctl()->result()->results.size());
    // A changed filter searches again by itself.
    kindCombo()->setCurrentIndex(SearchSidePanel::ImagesOnly);
    QVERIFY(ctl()->isSearching());
    QVERIFY(shown.wait(kJobTimeoutMs));
    QVERIFY(!ctl()->result()->results.empty());
    QVERIFY(hitsAll([](const ml::SearchResultItem &h) { return h.kind == "image"; }));
    if (m_video) {
        kindCombo()->setCurrentIndex(SearchSidePanel::VideosOnly);
        QVERIFY(shown.wait(kJobTimeoutMs));
        QCOMPARE(ctl()->result()->results.size(), std::size_t(2));
        QVERIFY(hitsAll([](const ml::SearchResultItem &h) { return h.kind == "video"; }));
        QCOMPARE(ctl()->resultsModel()->rowCount(), 2);
    }
    kindCombo()->setCurrentIndex(SearchSidePanel::AllKinds);
    QVERIFY(shown.wait(kJobTimeoutMs));

    // A folder: the clips' (the gallery's folders are offered too).
    if (m_video) {
        const QString clips = canon((m_media + QStringLiteral("/clips")).toStdString());
        const int choice = folderCombo()->findData(clips);
        QVERIFY(choice > 0);
        folderCombo()->setCurrentIndex(choice);
        QVERIFY(shown.wait(kJobTimeoutMs));
        QCOMPARE(ctl()->result()->results.size(), std::size_t(2));
        QVERIFY(hitsAll([&](const ml::SearchResultItem &h) {
            return QString::fromStdString(h.file).startsWith(clips + QLatin1Char('/'));
        }));
        folderCombo()->setCurrentIndex(0);
        QVERIFY(shown.wait(kJobTimeoutMs));
    }

    // Dates: the files were written today; a range in 2001 holds none of them.
    fromDateEdit()->setDate(QDate(2001, 1, 1));
    toDateEdit()->setDate(QDate(2001, 12, 31));
    anyDateCheck()->setChecked(false);
    QVERIFY(shown.wait(kJobTimeoutMs));
    QVERIFY(ctl()->result()->results.empty());
    QCOMPARE(ctl()->resultsModel()->rowCount(), 0);
    toDateEdit()->setDate(QDate::currentDate().addDays(1));
    QVERIFY(shown.wait(kJobTimeoutMs));
    QCOMPARE(static_cast<int>(ctl()->result()->results.size()), everything);
    // A range that ends before it starts is refused with a message.
    fromDateEdit()->setDate(QDate::currentDate().addDays(3));
    QVERIFY(!ctl()->isSearching());
    QVERIFY(ctl()->messageIsError());
    anyDateCheck()->setChecked(true);
    QVERIFY(shown.wait(kJobTimeoutMs));
    QCOMPARE(static_cast<int>(ctl()->result()->results.size()), everything);
    QVERIFY(side()->filter().empty());
    // The choices are kept (a panel saves them when it goes).
    {
        SearchPanel a(m_window->bridge());
        a.findChild<QComboBox *>(QStringLiteral("searchKind"))->setCurrentIndex(SearchSidePanel::VideosOnly);
        a.findChild<QCheckBox *>(QStringLiteral("searchAnyDate"))->setChecked(false);
        a.findChild<QDateEdit *>(QStringLiteral("searchFrom"))->setDate(QDate(2020, 2, 3));
        a.findChild<QDoubleSpinBox *>(QStringLiteral("searchDuplicateThreshold"))->setValue(0.9);
    }
    {
        SearchPanel b(m_window->bridge());
        QCOMPARE(
            b.findChild<QComboBox *>(QStringLiteral("searchKind"))->currentIndex(), int(SearchSidePanel::VideosOnly));
        auto *any = b.findChild<QCheckBox *>(QStringLiteral("searchAnyDate"));
        QVERIFY(!any->isChecked());
        auto *from = b.findChild<QDateEdit *>(QStringLiteral("searchFrom"));
        QVERIFY(from->isEnabled());
        QCOMPARE(from->date(), QDate(2020, 2, 3));
        const ml::SearchFilter f = b.findChild<SearchSidePanel *>()->filter();
        QVERIFY(f.videos && !f.images);
        auto *threshold = b.findChild<QDoubleSpinBox *>(QStringLiteral("searchDuplicateThreshold"));
        QCOMPARE(threshold->value(), 0.9);
        threshold->setValue(0.95);
        b.findChild<QComboBox *>(QStringLiteral("searchKind"))->setCurrentIndex(SearchSidePanel::AllKinds);
        any->setChecked(true);
    }
}

void TestSearchPanel::videoHitDrawsItsStrip()
{
    if (!ctl()->result())
        QSKIP("no search result (clip-mini missing)");
    if (!m_video)
        QSKIP("built without media support: no clips");
    const auto &hits = ctl()->result()->results;
    int row = -1;
    for (int i = 0; i < static_cast<int>(hits.size()) && row < 0; ++i)
        if (hits[static_cast<std::size_t>(i)].kind == "video")
            row = i;
    QVERIFY2(row >= 0, "no video among the hits");
    const auto &hit = hits[static_cast<std::size_t>(row)];
    QVERIFY(hit.bestS >= 0.0);
    QVERIFY(!hit.times.empty());

    SearchResultsView *view = resultsView();
    view->setCurrentIndex(view->model()->index(row, 0)); // selecting draws the strip
    QCOMPARE(ctl()->hitAt(row), &hit);
    QCOMPARE(strip()->pointCount(), static_cast<int>(hit.times.size()));
    QCOMPARE(strip()->pointCount(), 16); // a 6 s clip: 16 frames, not 6
    // Its caption and the pointer say when, to a tenth of a second.
    SimilarityStrip *const strip = this->strip();
    QVERIFY2(strip->caption().contains(formatMoment(hit.bestS)), qPrintable(strip->caption()));
    QCOMPARE(formatMoment(2.44), QLocale().toString(2.4, 'f', 1) + QStringLiteral(" s"));
    QCOMPARE(formatMoment(62.0), QStringLiteral("1:0") + QLocale().toString(2.0, 'f', 1));
    strip->showPointer(2.44);
    QCOMPARE(strip->pointerText(), formatMoment(2.44));
    strip->showPointer(-1.0);
    // The tile says it is a video and when its best moment is, and shows that moment's frame: the
    // red circle (on screen from 3 s), not the empty background of its poster frame.
    const QModelIndex tile = view->model()->index(row, 0);
    QVERIFY(tile.data(SearchResultsModel::VideoRole).toBool());
    QVERIFY(tile.data(Qt::ToolTipRole).toString().contains(formatMoment(hit.bestS)));
    QVERIFY2(hit.bestS >= 3.0, qPrintable(QString::number(hit.bestS)));
    QTRY_VERIFY_WITH_TIMEOUT(!tile.data(SearchResultsModel::ThumbnailRole).value<QImage>().isNull(), 30000);
    const QImage thumb = tile.data(SearchResultsModel::ThumbnailRole).value<QImage>();
    QCOMPARE(thumb, ctl()->thumbnails()->image(QString::fromStdString(hit.file), hit.bestS));
    int red = 0;
    for (int y = 0; y < thumb.height(); ++y)
        for (int x = 0; x < thumb.width(); ++x) {
            const QColor c = thumb.pixelColor(x, y);
            red += c.red() > 150 && c.green() < 90 && c.blue() < 90 ? 1 : 0;
        }
    QVERIFY2(red > thumb.width() * thumb.height() / 40, qPrintable(QString::number(red)));
    QSignalSpy opened(m_panel, &SearchPanel::openRequested);
    clickHit(row);
    const QString file = QDir::cleanPath(QString::fromStdString(hit.file));
    QTRY_COMPARE(QDir::cleanPath(preview()->currentPath()), file);
    QCOMPARE(preview()->page(), PreviewPane::Page::Video);
    QTRY_VERIFY(!preview()->visibleRegion().isEmpty());
    QVERIFY(!resultsView()->visibleRegion().isEmpty()); // beside the hits, not over them
    QCOMPARE(opened.count(), 1);
    QCOMPARE(opened.at(0).at(1).toDouble(), std::max(0.0, hit.bestS));
    // It plays from the best moment.
    VideoPlayer *player = preview()->videoPlayer();
    QTRY_VERIFY_WITH_TIMEOUT(player->duration() > 0.0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(player->position() >= hit.bestS - 0.1, 10000);
    QVERIFY(player->isPlaying());
    // Once the clip has ended, a click on the strip seeks there and plays on from that frame.
    QTRY_VERIFY_WITH_TIMEOUT(!player->isPlaying(), 15000);
    QVERIFY(std::abs(player->position() - player->duration()) < 0.2);
    raise();
    QTest::qWait(100); // the plot lays out at the size it is shown at
    QWidget *plot = strip->plot();
    const QPoint at(static_cast<int>(strip->xOf(0.5)), plot->height() / 2);
    QVERIFY(std::abs(strip->timeAt(at.x()) - 0.5) < 0.05);
    QTest::mouseClick(plot, Qt::LeftButton, {}, at);
    QTRY_VERIFY_WITH_TIMEOUT(player->isPlaying(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(std::abs(player->position() - 0.5) < 0.3, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(player->position() > 1.0, 10000); // and goes on
    QVERIFY(player->position() < player->duration() - 1.0);

    if (const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR"); !dir.isEmpty()) {
        QTRY_COMPARE_WITH_TIMEOUT(ctl()->resultsModel()->thumbnailsShown(), ctl()->resultsModel()->rowCount(), 30000);
        QTest::qWait(200);
        QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/search_window.png")));
        shot(QStringLiteral("search_panel.png"));
    }
}

void TestSearchPanel::whyDidThisMatch()
{
    if (!ctl()->result())
        QSKIP("no search result (clip-mini missing)");
    SearchResultsModel *tiles = ctl()->resultsModel();
    QToolButton *why = whyButton();
    PreviewPane *const preview = this->preview();

    // An image-only query has no text to explain: the toggle is off limits and says why.
    queryEdit()->clear();
    side()->setImageQuery(*m_redCircles.begin());
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(!ctl()->whyAvailable());
    QVERIFY(!why->isEnabled());
    QVERIFY(ctl()->whyState().contains(QStringLiteral("text")));

    side()->setImageQuery({});
    queryEdit()->setText(QStringLiteral("a red circle"));
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(ctl()->whyAvailable());
    QVERIFY(why->isEnabled());
    QVERIFY(!ctl()->whyEnabled());
    QCOMPARE(tiles->overlaysShown(), 0);

    // On: every hit gets its map, one job at a time.
    raise();
    why->click();
    QVERIFY(ctl()->whyEnabled());
    QVERIFY(ctl()->isExplaining());
    QTRY_COMPARE_WITH_TIMEOUT(tiles->overlaysShown(), tiles->rowCount(), kJobTimeoutMs);
    QTRY_VERIFY(!ctl()->isExplaining());
    const auto &hits = ctl()->result()->results;
    int firstImage = -1, video = -1;
    for (int i = 0; i < static_cast<int>(hits.size()); ++i) {
        const bool isVideo = hits[static_cast<std::size_t>(i)].kind == "video";
        if (!isVideo && firstImage < 0)
            firstImage = i;
        if (isVideo && video < 0)
            video = i;
    }
    QVERIFY(firstImage >= 0);
    for (int row = 0; row < tiles->rowCount(); ++row) {
        const SearchTile &t = tiles->tile(row);
        QVERIFY(!tiles->index(row).data(SearchResultsModel::HeatRole).value<QImage>().isNull());
        QVERIFY(t.gridH > 0 && t.gridW > 0);
        QCOMPARE(t.relevance.size(), std::size_t(t.gridH) * std::size_t(t.gridW));
        const auto [lo, hi] = std::minmax_element(t.relevance.begin(), t.relevance.end());
        QVERIFY2(*hi > *lo, qPrintable(t.path)); // a map, not a wash
        // A video hit is explained at its best moment: that frame is drawn under the map.
        QCOMPARE(!tiles->index(row).data(SearchResultsModel::FrameRole).value<QImage>().isNull(), t.video);
    }
    // The top hit is a single red circle: its hottest patch lies on the circle's box.
    const SearchTile &top = tiles->tile(firstImage);
    const auto circle = m_circles.find(QDir::cleanPath(top.path));
    QVERIFY2(circle != m_circles.end(), qPrintable(top.path));
    const auto hottest
        = static_cast<int>(std::max_element(top.relevance.begin(), top.relevance.end()) - top.relevance.begin());
    const double cellW = double(kCanvasSize) / top.gridW, cellH = double(kCanvasSize) / top.gridH;
    const QRectF cell((hottest % top.gridW) * cellW, (hottest / top.gridW) * cellH, cellW, cellH);
    const ShapeObject &o = circle->second;
    QVERIFY2(cell.intersects(QRectF(o.x, o.y, o.side, o.side)),
        qPrintable(
            QStringLiteral("hottest patch %1 vs circle at %2,%3 side %4").arg(hottest).arg(o.x).arg(o.y).arg(o.side)));
    if (const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR"); !dir.isEmpty()) {
        resultsView()->scrollToTop();
        QTest::qWait(150);
        QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/why_search.png")));
    }

    // Opening a hit shows its map in the preview too.
    clickHit(firstImage);
    QTRY_COMPARE(QDir::cleanPath(preview->currentPath()), QDir::cleanPath(top.path));
    QTRY_VERIFY(preview->overlayShown());
    QCOMPARE(preview->overlay(), top.heat);
    if (const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR"); !dir.isEmpty()) {
        QTest::qWait(150);
        QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/why_preview.png")));
    }
    if (video >= 0) { // paused at the best moment, the map over that frame
        clickHit(video);
        QTRY_COMPARE(QDir::cleanPath(preview->currentPath()), QDir::cleanPath(tiles->tile(video).path));
        QTRY_VERIFY_WITH_TIMEOUT(preview->overlayShown(), 10000);
        QVERIFY(!preview->videoPlayer()->isPlaying());
        QVERIFY(std::abs(preview->videoPlayer()->position() - tiles->tile(video).bestS) < 0.2);
        if (const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR"); !dir.isEmpty()) {
            QTest::qWait(150);
            QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/why_preview_video.png")));
        }
    }

    // Off: the overlays go, from the tiles and the preview; on again, they come from the cache.
    raise();
    why->click();
    QVERIFY(!ctl()->whyEnabled());
    QCOMPARE(tiles->overlaysShown(), 0);
    QVERIFY(preview->overlay().isNull());
    QVERIFY(!preview->overlayShown());
    why->click();
    QVERIFY(!ctl()->isExplaining());
    QCOMPARE(tiles->overlaysShown(), tiles->rowCount());

    // A new search cancels the map on its way; the new hits are explained for the new text.
    queryEdit()->setText(QStringLiteral("a blue square"));
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(ctl()->isExplaining()); // not in the cache: another text
    const quint64 again = m_panel->search();
    QVERIFY(again != 0);
    QVERIFY(!ctl()->isExplaining());
    QCOMPARE(tiles->overlaysShown(), 0);
    QVERIFY(waitFor(again));
    QTRY_COMPARE_WITH_TIMEOUT(tiles->overlaysShown(), tiles->rowCount(), kJobTimeoutMs);
    QTRY_VERIFY(!ctl()->isExplaining());

    why->click();
    QCOMPARE(tiles->overlaysShown(), 0);
    // The later tests expect the red circles shown.
    queryEdit()->setText(QStringLiteral("a red circle"));
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(!ctl()->isExplaining());
}

void TestSearchPanel::cancelsIndexing()
{
    if (!ctl()->result())
        QSKIP("no library (clip-mini missing)");
    // A second library, so there is work to cancel; the first is kept as it was.
    setLibrary(m_tmp->path() + QStringLiteral("/other/library.db"));
    const quint64 job = m_panel->indexGalleryFolders();
    QVERIFY2(job != 0, qPrintable(ctl()->message()));
    QVERIFY(ctl()->isIndexing());
    QVERIFY(!searchButton()->isEnabled());
    ctl()->cancel();
    QVERIFY(waitFor(job));
    QVERIFY(!ctl()->isIndexing());
    auto *state = child<QLabel>("searchIndexState");
    QVERIFY2(state->text().contains(QStringLiteral("cancelled")), qPrintable(state->text()));
    QVERIFY(searchButton()->isEnabled());
    QVERIFY(indexGalleryButton()->isEnabled());
    QVERIFY(!ctl()->messageIsError());
    setLibrary(m_library);
    QVERIFY(waitFor(m_panel->search())); // the first library still answers
    QVERIFY(!ctl()->result()->results.empty());
}

// The panel indexes the gallery's folders into a library while modallens-cli indexes another folder
// into it and searches it, over and over: nobody sees "database is locked", nothing is lost.
void TestSearchPanel::panelAndCliShareALibrary()
{
    if (!ctl()->result())
        QSKIP("no library (clip-mini missing)");
    const fs::path root = fs::path(m_tmp->path().toStdString()) / "shared";
    const fs::path cliFolder = root / "from-cli";
    constexpr int kCliFiles = 150;
    shapes_test::writeWorldPictures(cliFolder, 5, kCliFiles, "c_");
    const QString library = QString::fromStdString((root / "shared.db").string());
    const QString cli = cliPath();
    setLibrary(library);
    QProcess cliIndex;
    cliIndex.start(cli,
        {"--quiet", "--threads", "1", "index", "--batch", "4", "--library", library,
            QString::fromStdString(cliFolder.string())});
    QVERIFY(cliIndex.waitForStarted());
    const quint64 job = m_panel->indexGalleryFolders();
    QVERIFY2(job != 0, qPrintable(ctl()->message()));
    const auto runCliSearch = [&] {
        QProcess s;
        s.start(cli,
            {"--json", "--quiet", "--threads", "1", "search", "--library", library, "--text", "a red circle", "--k",
                "3"});
        while (!s.waitForFinished(20))
            QCoreApplication::processEvents();
        return std::make_pair(s.exitCode(), s.readAllStandardError().toStdString());
    };
    int searches = 0, searchesOk = 0;
    std::string errors;
    while (ctl()->isIndexing() || cliIndex.state() == QProcess::Running) {
        const auto [code, err] = runCliSearch();
        ++searches;
        searchesOk += code == 0;
        errors += err;
        QCoreApplication::processEvents();
    }
    QVERIFY(waitFor(job));
    QVERIFY(cliIndex.state() == QProcess::NotRunning || cliIndex.waitForFinished(120000));
    errors += cliIndex.readAllStandardError().toStdString();
    QVERIFY2(cliIndex.exitCode() == 0, errors.c_str());
    QVERIFY2(ctl()->indexResult().has_value(), qPrintable(ctl()->message()));
    QVERIFY(ctl()->indexResult()->failed.empty());
    QVERIFY2(errors.find("locked") == std::string::npos && errors.find("busy") == std::string::npos, errors.c_str());
    QVERIFY2(!ctl()->message().contains(QStringLiteral("locked")), qPrintable(ctl()->message()));
    const auto [code, err] = runCliSearch();
    QVERIFY2(code == 0, err.c_str());
    qInfo("two writers: %d CLI searches ran while both indexed (%d answered, the rest found nothing indexed yet)",
        searches, searchesOk);

    const auto lib = ml::index::Library::open(library.toStdString(), ml::index::Library::Mode::ReadOnly);
    QCOMPARE(lib->integrityCheck(), std::string("ok"));
    std::set<std::int64_t> withVectors;
    for (const auto &v : lib->vectors("clip-mini"))
        withVectors.insert(v.fileId);
    QCOMPARE(withVectors.size(), std::size_t(kCliFiles + 24 + (m_video ? 2 : 0)));
    QVERIFY(waitFor(m_panel->search())); // the panel searches what both wrote
    QVERIFY(!ctl()->result()->results.empty());
    setLibrary(m_library);
}

void TestSearchPanel::watchedFolderPicksUpANewFile()
{
    if (!ctl()->result())
        QSKIP("no library (clip-mini missing)");
    QVERIFY(keepUpdatedCheck()->isChecked());
    // The gallery's folders, one of which holds the library: its own writes must not count.
    const QStringList folders {canon((m_media + QStringLiteral("/clips")).toStdString()),
        canon((m_media + QStringLiteral("/images")).toStdString())};
    QCOMPARE(ctl()->indexedFolders(), m_video ? folders : folders.mid(1));
    QVERIFY(waitFor(ctl()->reindex({})));
    QVERIFY2(ctl()->indexResult().has_value(), qPrintable(ctl()->message()));
    QCOMPARE(ctl()->indexResult()->embedded(), 0);
    QSignalSpy finished(ctl(), &SearchController::indexFinished);
    QSignalSpy shown(ctl(), &SearchController::resultsShown);
    QTest::qWait(4 * 300 + 1000);
    QCOMPARE(finished.count(), 0);

    // A copy of a (non red circle) picture appears: indexed in the background, then the shown
    // search runs again.
    const QString copy = m_media + QStringLiteral("/images/zz_copy.png");
    QVERIFY(QFile::copy(m_media + QStringLiteral("/images/img_7.png"), copy));
    QVERIFY(finished.wait(kJobTimeoutMs));
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(ctl()->message()));
    QVERIFY(ctl()->indexResult());
    QCOMPARE(ctl()->indexResult()->added, 1);
    QCOMPARE(ctl()->indexResult()->unchanged, 24 + (m_video ? 2 : 0));
    QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1 && !ctl()->isSearching(), kJobTimeoutMs);
    // The library's own writes (in the watched folder) do not start another run.
    QTest::qWait(4 * 300 + 1000);
    QCOMPARE(finished.count(), 1);

    // Unchecked: changes are left alone.
    keepUpdatedCheck()->setChecked(false);
    QCOMPARE(ctl()->folderWatcher()->watchedFolderCount(), 0);
    QVERIFY(
        QFile::copy(m_media + QStringLiteral("/images/img_8.png"), m_media + QStringLiteral("/images/zz_ignored.png")));
    QTest::qWait(1000);
    QCOMPARE(finished.count(), 1);
    QVERIFY(QFile::remove(m_media + QStringLiteral("/images/zz_ignored.png")));
    keepUpdatedCheck()->setChecked(true);
    QTRY_VERIFY(ctl()->folderWatcher()->watchedFolderCount() >= 2);
}

void TestSearchPanel::groupsNearDuplicates()
{
    if (!ctl()->result())
        QSKIP("no library (clip-mini missing)");
    const QString copy = canon((m_media + QStringLiteral("/images/zz_copy.png")).toStdString());
    const QString original = canon((m_media + QStringLiteral("/images/img_7.png")).toStdString());
    QCOMPARE(duplicatesThresholdSpin()->value(), 0.95);
    const quint64 job = m_panel->findDuplicates();
    QVERIFY2(job != 0, qPrintable(ctl()->message()));
    QVERIFY(waitFor(job));
    QVERIFY2(ctl()->duplicates().has_value(), qPrintable(ctl()->message()));
    const auto &groups = ctl()->duplicates()->groups;
    bool found = false;
    for (const ml::DuplicateGroup &g : groups) {
        std::set<QString> files;
        for (const std::string &f : g.files)
            files.insert(QDir::cleanPath(QString::fromStdString(f)));
        found = found || (files.count(copy) == 1 && files.count(original) == 1);
    }
    QVERIFY2(found, "the copy and its original are not grouped");
    QVERIFY(ctl()->duplicates()->hashed);
    DuplicatesView *view = duplicatesView();
    QCOMPARE(view->model()->rowCount(), static_cast<int>(groups.size()));
    // Each group says how far apart its pictures are, each file in its tooltip; the threshold says
    // what it means.
    for (int row = 0; row < view->model()->rowCount(); ++row) {
        const auto &g = groups[static_cast<std::size_t>(row)];
        const int farthest = *std::max_element(g.hashDistances.begin(), g.hashDistances.end());
        QVERIFY(farthest >= 0 && farthest <= ml::DuplicatesRequest {}.maxHashDistance);
        const QModelIndex index = view->model()->index(row, 0);
        QVERIFY2(index.data().toString().contains(QString::number(farthest)), qPrintable(index.data().toString()));
        QVERIFY(index.data(Qt::ToolTipRole).toString().contains(QStringLiteral("perceptual hash")));
    }
    QVERIFY(duplicatesThresholdSpin()->toolTip().contains(QStringLiteral("perceptual hash")));
    QVERIFY(!view->isHidden());

    // The near-duplicates page is on top; clicking a tile opens it in the preview beside it.
    QCOMPARE(child<QTabWidget>("searchPages")->currentIndex(), int(SearchPanel::DuplicatesPage));
    raise();
    QTRY_VERIFY(!view->visibleRegion().isEmpty());
    QTest::qWait(50);
    const QModelIndex first = view->model()->index(0, 0);
    const QRect tile = view->tileRect(view->visualRect(first), 1);
    QCOMPARE(view->tileAt(tile.center()), std::make_pair(0, 1));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, tile.center());
    const QString second = QDir::cleanPath(QString::fromStdString(groups[0].files[1]));
    QTRY_COMPARE(QDir::cleanPath(preview()->currentPath()), second);
    QVERIFY(!view->visibleRegion().isEmpty());

    // A threshold above every pair leaves no groups.
    duplicatesThresholdSpin()->setValue(1.0);
    QVERIFY(waitFor(m_panel->findDuplicates()));
    QVERIFY(ctl()->duplicates().has_value());
    for (const ml::DuplicateGroup &g : ctl()->duplicates()->groups)
        for (float score : g.scores)
            QVERIFY(score >= 0.999f);
    duplicatesThresholdSpin()->setValue(0.95);
    QVERIFY(waitFor(m_panel->findDuplicates()));
    QTRY_VERIFY_WITH_TIMEOUT(ctl()->thumbnails()->pendingCount() == 0, 30000);
    shot(QStringLiteral("search_duplicates.png"));
}

void TestSearchPanel::modelChangeAsksForReindexing()
{
    if (!ctl()->result())
        QSKIP("no library (clip-mini missing)");
    if (!tiny_clip::tokenizerFixturesPresent())
        QSKIP("the tokenizer fixtures are missing: no second model");
    const QString clipMini = side()->modelPicker()->currentPath();
    const fs::path tiny = fs::path(m_tmp->path().toStdString()) / "models" / "tiny-clip";
    tiny_clip::write(tiny);
    QVERIFY(selectModel(QString::fromStdString(tiny.string())));

    // The library's vectors are clip-mini's: searching with another model asks for re-indexing.
    QVERIFY(reindexButton()->isHidden());
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(ctl()->messageIsError());
    QVERIFY2(ctl()->message().contains(QStringLiteral("re-index")), qPrintable(ctl()->message()));
    QVERIFY(!reindexButton()->isHidden());
    const int files = 25 + (m_video ? 2 : 0);
    QVERIFY(waitFor(ctl()->reindex({})));
    QVERIFY2(ctl()->indexResult().has_value(), qPrintable(ctl()->message()));
    QCOMPARE(ctl()->indexResult()->embedded(), files);
    QVERIFY(reindexButton()->isHidden());
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY2(ctl()->result().has_value() && !ctl()->result()->results.empty(), qPrintable(ctl()->message()));
    QVERIFY(QString::fromStdString(ctl()->result()->modelId).contains(QStringLiteral("tiny-clip")));

    QVERIFY(side()->modelPicker()->selectPath(clipMini));
}

void TestSearchPanel::brokenModelRaisesTheHealthBanner()
{
    if (!clipMiniPresent())
        QSKIP("clip-mini missing");
    if (!tiny_clip::tokenizerFixturesPresent())
        QSKIP("the tokenizer fixtures are missing: no broken model to write");
    const fs::path broken = fs::path(m_tmp->path().toStdString()) / "models" / "broken-clip";
    writeBrokenClip(broken);
    QVERIFY(selectModel(QString::fromStdString(broken.string())));
    setLibrary(m_tmp->path() + QStringLiteral("/broken/library.db"));
    QVERIFY(waitFor(ctl()->indexFolders({m_media + QStringLiteral("/images")})));
    QVERIFY2(ctl()->indexResult().has_value(), qPrintable(ctl()->message()));
    const auto &health = ctl()->indexResult()->health;
    QVERIFY2(!health.empty(), "a model that maps every image to one vector passed the health check");
    QVERIFY(!child<QFrame>("searchHealthBanner")->isHidden());
    QCOMPARE(side()->tabs()->currentIndex(), int(SearchSidePanel::LibraryTab)); // where it shows
    QTreeWidget *list = healthList();
    QVERIFY(list->isHidden());
    healthToggle()->click();
    QVERIFY(!list->isHidden());
    QCOMPARE(list->topLevelItemCount(), static_cast<int>(health.size()));
    QCOMPARE(list->topLevelItem(0)->toolTip(0), QDir::toNativeSeparators(QString::fromStdString(health[0].file)));
    QVERIFY(!list->topLevelItem(0)->text(1).isEmpty());
    shot(QStringLiteral("search_health.png"));
    healthToggle()->click();
    QVERIFY(list->isHidden());
}

QTEST_MAIN(TestSearchPanel)
#include "test_search_panel.moc"
