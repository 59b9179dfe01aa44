// The Search panel in the main window, offscreen: a generated folder of Shapes World images (and,
// with media support, two clips whose object is on screen at known times) is indexed with the
// embedded clip-mini into a library inside that folder; "a red circle" finds a red circle first,
// the hits' tiles get their thumbnails (a video's at its best moment), a video hit draws its
// similarity strip (16 points for a 6 s clip), and clicking hits or the strip plays them in the preview. A dropped
// image and the gallery's "Find Similar" search by image, the filters narrow the hits, a new file in the watched folder
// is indexed (once), near-duplicates are grouped, a model change asks for re-indexing, and a broken model raises the
// health banner. "Why did this match?" draws each hit's relevance map (a red circle's hottest patch on the circle),
// over the tile and in the preview (a video paused at its best moment). Env: MODALLENS_SHOTS_DIR=DIR writes
// search_*.png there.
#include "common/engine_bridge.h"
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
#include "search/search_panel.h"
#include "search/search_results_view.h"
#include "search/similarity_strip.h"
#include "shapes_test_util.h"
#include "tiny_clip.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "io/media.h"
#include "train/shapes_world.h"
#include "train/shapes_world_io.h"

#include <ATen/Parallel.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDateEdit>
#include <QDir>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
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
    void refusesAnEmptyQuery();
    void droppedImageBecomesTheQuery();
    void indexesAndSearches();
    void searchesByTheSelectedImage();
    void findSimilarFromTheGallery();
    void filtersNarrowTheHits();
    void videoHitDrawsItsStrip();
    void whyDidThisMatch();
    void cancelsIndexing();
    void watchedFolderPicksUpANewFile();
    void groupsNearDuplicates();
    void modelChangeAsksForReindexing();
    void brokenModelRaisesTheHealthBanner();

private:
    bool waitFor(quint64 job);
    void clickHit(int row);
    bool selectModel(const QString &dir); // lists m_tmp/models and chooses dir
    void shot(const QString &name);       // the panel's whole page, with MODALLENS_SHOTS_DIR

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
    m_panel->libraryEdit()->setText(m_library);
    m_panel->folderWatcher()->setDebounceMs(300);
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
    const auto running
        = [&] { return m_panel->isIndexing() || m_panel->isSearching() || m_panel->isFindingDuplicates(); };
    while (running() && timer.elapsed() < kJobTimeoutMs)
        finished.wait(200);
    return job != 0 && !running();
}

void TestSearchPanel::clickHit(int row)
{
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    SearchResultsView *view = m_panel->resultsView();
    const QModelIndex index = view->model()->index(row, 0);
    view->scrollTo(index);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(index).center());
    QCOMPARE(view->currentIndex().row(), row);
}

bool TestSearchPanel::selectModel(const QString &dir)
{
    ModelPicker *picker = m_panel->modelPicker();
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
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    QTest::qWait(150);
    // The whole scrolling page, as tall as it lays out at the dock's width.
    auto *scroll = m_panel->findChild<QScrollArea *>();
    QVERIFY(scroll && scroll->widget());
    QWidget *page = scroll->widget();
    const QSize size = page->size();
    page->resize(size.width(), std::max(size.height(), page->sizeHint().height()));
    QVERIFY(page->grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + name));
    page->resize(size);
}

void TestSearchPanel::defaults()
{
    QVERIFY(SearchPanel::defaultLibrary().endsWith(QStringLiteral("/ModalLens/library.db")));
    QCOMPARE(m_panel->kSpin()->value(), 10);
    QCOMPARE(m_panel->videoScoreCombo()->count(), 3);
    QCOMPARE(m_panel->videoScoreCombo()->currentIndex(), int(SearchPanel::BestMoment)); // as the README says
    QVERIFY(m_panel->imageQuery().isEmpty());
    QCOMPARE(m_panel->stripPointCount(), 0);
    QCOMPARE(m_panel->kindCombo()->count(), 3);
    QCOMPARE(m_panel->kindCombo()->currentIndex(), int(SearchPanel::AllKinds));
    QCOMPARE(m_panel->folderCombo()->currentIndex(), 0);
    QVERIFY(m_panel->anyDateCheck()->isChecked());
    QVERIFY(!m_panel->fromDateEdit()->isEnabled());
    QVERIFY(m_panel->filter().empty());
    QVERIFY(m_panel->keepUpdatedCheck()->isChecked());
    QCOMPARE(m_panel->duplicatesThresholdSpin()->value(), 0.95);
    QVERIFY(!m_panel->healthBannerShown());
}

void TestSearchPanel::droppedImageBecomesTheQuery()
{
    const QString image = *m_redCircles.rbegin();
    const auto send = [&](const QUrl &url) {
        QMimeData mime;
        mime.setUrls({url});
        const QPoint pos = m_panel->queryEdit()->rect().center();
        QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(m_panel->queryEdit(), &enter);
        QDropEvent drop(QPointF(pos), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(m_panel->queryEdit(), &drop);
        return enter.isAccepted();
    };
    // Not a local image: left to others, the query stays as it was.
    send(QUrl(QStringLiteral("https://example.com/a.png")));
    QVERIFY(m_panel->imageQuery().isEmpty());
    QVERIFY(send(QUrl::fromLocalFile(image)));
    QCOMPARE(m_panel->imageQuery(), image);
    QVERIFY(!m_panel->isSearching()); // no library yet: nothing to search
    QVERIFY(SearchPanel::droppedImage(nullptr).isEmpty());
    m_panel->setImageQuery({});
}

void TestSearchPanel::refusesAnEmptyQuery()
{
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);
    m_panel->queryEdit()->clear();
    QCOMPARE(m_panel->search(), quint64(0));
    QVERIFY(m_panel->messageIsError());
    QVERIFY(!m_panel->message().isEmpty());
    QCOMPARE(m_panel->indexFolders({m_tmp->path() + QStringLiteral("/no-such-folder")}), quint64(0));
    QVERIFY(m_panel->message().contains(QStringLiteral("no-such-folder")));
    QCoreApplication::processEvents();
    // Only the panel's own jobs count: the model pickers search on the I/O lane meanwhile.
    for (const QList<QVariant> &args : std::as_const(started)) {
        const QString name = args.at(1).toString();
        QVERIFY2(!name.contains(QStringLiteral("ndex")) && !name.contains(QStringLiteral("earch")), qPrintable(name));
    }
    QVERIFY(!m_panel->isIndexing());
    QVERIFY(!m_panel->isSearching());
}

void TestSearchPanel::indexesAndSearches()
{
    if (!clipMiniPresent())
        QSKIP("clip-mini is not in resources/models: nothing to index with");
    ModelPicker *picker = m_panel->modelPicker();
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
    QVERIFY2(job != 0, qPrintable(m_panel->message()));
    QVERIFY(m_panel->isIndexing());
    QVERIFY(waitFor(job));
    QVERIFY2(m_panel->indexResult().has_value(), qPrintable(m_panel->message()));
    QCOMPARE(m_panel->indexResult()->embedded(), 24 + (m_video ? 2 : 0));
    QVERIFY(m_panel->indexResult()->failed.empty());

    // Enter searches.
    m_panel->queryEdit()->setText(QStringLiteral("a red circle"));
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);
    QTest::keyClick(m_panel->queryEdit(), Qt::Key_Return);
    QTRY_VERIFY(m_panel->isSearching() || m_panel->result().has_value());
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isSearching(), kJobTimeoutMs);
    QVERIFY2(m_panel->result().has_value(), qPrintable(m_panel->message()));
    const auto &hits = m_panel->result()->results;
    QVERIFY(!hits.empty());
    SearchResultsModel *tiles = m_panel->resultsModel();
    QCOMPARE(tiles->rowCount(), static_cast<int>(hits.size()));
    QVERIFY(m_panel->resultsState().contains(QLocale().toString(qint64(hits.size()))));
    // Every tile gets its thumbnail from the loader's pool.
    QTRY_COMPARE_WITH_TIMEOUT(tiles->thumbnailsShown(), tiles->rowCount(), 30000);
    for (int row = 0; row < tiles->rowCount(); ++row) {
        const QImage thumb = tiles->index(row).data(SearchResultsModel::ThumbnailRole).value<QImage>();
        QVERIFY(!thumb.isNull());
        QVERIFY(thumb.width() <= SearchResultsView::kThumbBox.width());
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

    // Clicking an image hit shows it in the preview, and the Preview tab comes on top.
    clickHit(firstImage);
    QTRY_COMPARE(QDir::cleanPath(m_window->preview()->currentPath()), top);
    QTRY_VERIFY(!m_window->preview()->visibleRegion().isEmpty());
    QVERIFY(m_panel->visibleRegion().isEmpty());
    QCOMPARE(m_panel->stripPointCount(), 0);
    // The indexed folder is offered as a filter and watched.
    QVERIFY(m_panel->folderCombo()->findData(canon((m_media + QStringLiteral("/images")).toStdString())) > 0);
    QTRY_VERIFY(m_panel->folderWatcher()->watchedFolderCount() >= 2);
}

void TestSearchPanel::searchesByTheSelectedImage()
{
    if (!m_panel->result())
        QSKIP("no library (clip-mini missing)");
    GalleryWidget *gallery = m_window->gallery();
    QVERIFY(!m_panel->useSelectedImage() || !m_panel->imageQuery().isEmpty());
    const QString probe = *m_redCircles.begin();
    const int row = gallery->model()->rowOf(probe);
    QVERIFY(row >= 0);
    gallery->view()->setCurrentIndex(gallery->proxy()->mapFromSource(gallery->model()->index(row)));
    QVERIFY(m_panel->useSelectedImage());
    QCOMPARE(QDir::cleanPath(m_panel->imageQuery()), probe);
    const QString text = m_panel->queryEdit()->text();
    m_panel->queryEdit()->clear();
    QVERIFY(!m_panel->weightSlider()->isEnabled()); // one query: nothing to weigh
    const quint64 job = m_panel->search();
    QVERIFY2(job != 0, qPrintable(m_panel->message()));
    QVERIFY(waitFor(job));
    QVERIFY(m_panel->result() && !m_panel->result()->results.empty());
    QCOMPARE(QDir::cleanPath(QString::fromStdString(m_panel->result()->results[0].file)), probe);

    // Text and image together, then back to the text query for the video checks.
    m_panel->queryEdit()->setText(text);
    QVERIFY(m_panel->weightSlider()->isEnabled());
    m_panel->setImageQuery({});
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(m_panel->result() && !m_panel->result()->results.empty());
}

void TestSearchPanel::findSimilarFromTheGallery()
{
    if (!m_panel->result())
        QSKIP("no library (clip-mini missing)");
    const QString text = m_panel->queryEdit()->text();
    // The gallery's context menu action: the Search dock comes up and searches by that image.
    const QString probe = *std::next(m_redCircles.begin(), 2);
    m_window->showModule(m_window->library());
    QTRY_VERIFY(m_panel->visibleRegion().isEmpty());
    QSignalSpy shown(m_panel, &SearchPanel::resultsShown);
    Q_EMIT m_window->gallery()->view()->findSimilarRequested(probe);
    QVERIFY(m_panel->isSearching());
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    QVERIFY(shown.wait(kJobTimeoutMs));
    QCOMPARE(m_panel->imageQuery(), probe);
    QVERIFY(m_panel->queryEdit()->text().isEmpty());
    QCOMPARE(QDir::cleanPath(QString::fromStdString(m_panel->result()->results[0].file)), probe);

    // The same from a result tile.
    const QString other = QDir::cleanPath(QString::fromStdString(m_panel->result()->results[1].file));
    Q_EMIT m_panel->resultsView()->findSimilarRequested(other);
    QVERIFY(shown.wait(kJobTimeoutMs));
    QCOMPARE(QDir::cleanPath(QString::fromStdString(m_panel->result()->results[0].file)), other);
    // A video cannot be the query.
    if (m_video)
        QCOMPARE(m_panel->findSimilar(m_media + QStringLiteral("/clips/a.mp4")), quint64(0));

    m_panel->setImageQuery({});
    m_panel->queryEdit()->setText(text);
    QVERIFY(waitFor(m_panel->search()));
}

void TestSearchPanel::filtersNarrowTheHits()
{
    if (!m_panel->result())
        QSKIP("no library (clip-mini missing)");
    QSignalSpy shown(m_panel, &SearchPanel::resultsShown);
    const auto hitsAll = [&](const std::function<bool(const ml::SearchResultItem &)> &ok) {
        for (const ml::SearchResultItem &hit : m_panel->result()->results)
            if (!ok(hit))
                return false;
        return true;
    };
    const int everything = static_cast<int>(m_panel->result()->results.size());
    // A changed filter searches again by itself.
    m_panel->kindCombo()->setCurrentIndex(SearchPanel::ImagesOnly);
    QVERIFY(m_panel->isSearching());
    QVERIFY(shown.wait(kJobTimeoutMs));
    QVERIFY(!m_panel->result()->results.empty());
    QVERIFY(hitsAll([](const ml::SearchResultItem &h) { return h.kind == "image"; }));
    if (m_video) {
        m_panel->kindCombo()->setCurrentIndex(SearchPanel::VideosOnly);
        QVERIFY(shown.wait(kJobTimeoutMs));
        QCOMPARE(m_panel->result()->results.size(), std::size_t(2));
        QVERIFY(hitsAll([](const ml::SearchResultItem &h) { return h.kind == "video"; }));
        QCOMPARE(m_panel->resultsModel()->rowCount(), 2);
    }
    m_panel->kindCombo()->setCurrentIndex(SearchPanel::AllKinds);
    QVERIFY(shown.wait(kJobTimeoutMs));

    // A folder: the clips' (the gallery's folders are offered too).
    if (m_video) {
        const QString clips = canon((m_media + QStringLiteral("/clips")).toStdString());
        const int choice = m_panel->folderCombo()->findData(clips);
        QVERIFY(choice > 0);
        m_panel->folderCombo()->setCurrentIndex(choice);
        QVERIFY(shown.wait(kJobTimeoutMs));
        QCOMPARE(m_panel->result()->results.size(), std::size_t(2));
        QVERIFY(hitsAll([&](const ml::SearchResultItem &h) {
            return QString::fromStdString(h.file).startsWith(clips + QLatin1Char('/'));
        }));
        m_panel->folderCombo()->setCurrentIndex(0);
        QVERIFY(shown.wait(kJobTimeoutMs));
    }

    // Dates: the files were written today; a range in 2001 holds none of them.
    m_panel->fromDateEdit()->setDate(QDate(2001, 1, 1));
    m_panel->toDateEdit()->setDate(QDate(2001, 12, 31));
    m_panel->anyDateCheck()->setChecked(false);
    QVERIFY(shown.wait(kJobTimeoutMs));
    QVERIFY(m_panel->result()->results.empty());
    QCOMPARE(m_panel->resultsModel()->rowCount(), 0);
    m_panel->toDateEdit()->setDate(QDate::currentDate().addDays(1));
    QVERIFY(shown.wait(kJobTimeoutMs));
    QCOMPARE(static_cast<int>(m_panel->result()->results.size()), everything);
    // A range that ends before it starts is refused with a message.
    m_panel->fromDateEdit()->setDate(QDate::currentDate().addDays(3));
    QVERIFY(!m_panel->isSearching());
    QVERIFY(m_panel->messageIsError());
    m_panel->anyDateCheck()->setChecked(true);
    QVERIFY(shown.wait(kJobTimeoutMs));
    QCOMPARE(static_cast<int>(m_panel->result()->results.size()), everything);
    QVERIFY(m_panel->filter().empty());
    // The choices are kept (a panel saves them when it goes).
    {
        SearchPanel a(m_window->bridge());
        a.kindCombo()->setCurrentIndex(SearchPanel::VideosOnly);
        a.anyDateCheck()->setChecked(false);
        a.fromDateEdit()->setDate(QDate(2020, 2, 3));
    }
    {
        SearchPanel b(m_window->bridge());
        QCOMPARE(b.kindCombo()->currentIndex(), int(SearchPanel::VideosOnly));
        QVERIFY(!b.anyDateCheck()->isChecked());
        QVERIFY(b.fromDateEdit()->isEnabled());
        QCOMPARE(b.fromDateEdit()->date(), QDate(2020, 2, 3));
        QVERIFY(b.filter().videos && !b.filter().images);
        b.kindCombo()->setCurrentIndex(SearchPanel::AllKinds);
        b.anyDateCheck()->setChecked(true);
    }
}

void TestSearchPanel::videoHitDrawsItsStrip()
{
    if (!m_panel->result())
        QSKIP("no search result (clip-mini missing)");
    if (!m_video)
        QSKIP("built without media support: no clips");
    const auto &hits = m_panel->result()->results;
    int row = -1;
    for (int i = 0; i < static_cast<int>(hits.size()) && row < 0; ++i)
        if (hits[static_cast<std::size_t>(i)].kind == "video")
            row = i;
    QVERIFY2(row >= 0, "no video among the hits");
    const auto &hit = hits[static_cast<std::size_t>(row)];
    QVERIFY(hit.bestS >= 0.0);
    QVERIFY(!hit.times.empty());

    SearchResultsView *view = m_panel->resultsView();
    view->setCurrentIndex(view->model()->index(row, 0)); // selecting draws the strip
    QCOMPARE(m_panel->stripPointCount(), static_cast<int>(hit.times.size()));
    QCOMPARE(m_panel->stripPointCount(), 16); // a 6 s clip: 16 frames, not 6
    // Its caption and the pointer say when, to a tenth of a second.
    SimilarityStrip *strip = m_panel->strip();
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
    QCOMPARE(thumb, m_panel->thumbnails()->image(QString::fromStdString(hit.file), hit.bestS));
    int red = 0;
    for (int y = 0; y < thumb.height(); ++y)
        for (int x = 0; x < thumb.width(); ++x) {
            const QColor c = thumb.pixelColor(x, y);
            red += c.red() > 150 && c.green() < 90 && c.blue() < 90 ? 1 : 0;
        }
    QVERIFY2(red > thumb.width() * thumb.height() / 40, qPrintable(QString::number(red)));
    clickHit(row);
    const QString file = QDir::cleanPath(QString::fromStdString(hit.file));
    QTRY_COMPARE(QDir::cleanPath(m_window->preview()->currentPath()), file);
    QCOMPARE(m_window->preview()->page(), PreviewPane::Page::Video);
    QTRY_VERIFY(!m_window->preview()->visibleRegion().isEmpty());
    // It plays from the best moment.
    VideoPlayer *player = m_window->preview()->videoPlayer();
    QTRY_VERIFY_WITH_TIMEOUT(player->duration() > 0.0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(player->position() >= hit.bestS - 0.1, 10000);
    QVERIFY(player->isPlaying());
    // Once the clip has ended, a click on the strip seeks there and plays on from that frame.
    QTRY_VERIFY_WITH_TIMEOUT(!player->isPlaying(), 15000);
    QVERIFY(std::abs(player->position() - player->duration()) < 0.2);
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
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
        QTest::qWait(200);
        QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/search_preview.png")));
        m_window->showModule(m_panel);
        QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(
            m_panel->resultsModel()->thumbnailsShown(), m_panel->resultsModel()->rowCount(), 30000);
        QTest::qWait(100);
        QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/search_window.png")));
        // Scrolled to the hits and the strip, as the user sees the narrow dock.
        auto *scroll = m_panel->findChild<QScrollArea *>();
        QVERIFY(scroll);
        scroll->ensureWidgetVisible(m_panel->findChild<QWidget *>(QStringLiteral("searchStrip")));
        QTest::qWait(100);
        QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/search_panel.png")));
        scroll->ensureWidgetVisible(m_panel->queryEdit());
        shot(QStringLiteral("search_page.png"));
    }
}

void TestSearchPanel::whyDidThisMatch()
{
    if (!m_panel->result())
        QSKIP("no search result (clip-mini missing)");
    SearchResultsModel *tiles = m_panel->resultsModel();
    QToolButton *why = m_panel->whyButton();
    PreviewPane *preview = m_window->preview();

    // An image-only query has no text to explain: the toggle is off limits and says why.
    m_panel->queryEdit()->clear();
    m_panel->setImageQuery(*m_redCircles.begin());
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(!m_panel->whyAvailable());
    QVERIFY(!why->isEnabled());
    QVERIFY(m_panel->whyState().contains(QStringLiteral("text")));

    m_panel->setImageQuery({});
    m_panel->queryEdit()->setText(QStringLiteral("a red circle"));
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(m_panel->whyAvailable());
    QVERIFY(why->isEnabled());
    QVERIFY(!m_panel->whyEnabled());
    QCOMPARE(tiles->overlaysShown(), 0);

    // On: every hit gets its map, one job at a time.
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    why->click();
    QVERIFY(m_panel->whyEnabled());
    QVERIFY(m_panel->isExplaining());
    QTRY_COMPARE_WITH_TIMEOUT(tiles->overlaysShown(), tiles->rowCount(), kJobTimeoutMs);
    QTRY_VERIFY(!m_panel->isExplaining());
    const auto &hits = m_panel->result()->results;
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
        m_panel->resultsView()->scrollToTop();
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
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    why->click();
    QVERIFY(!m_panel->whyEnabled());
    QCOMPARE(tiles->overlaysShown(), 0);
    QVERIFY(preview->overlay().isNull());
    QVERIFY(!preview->overlayShown());
    why->click();
    QVERIFY(!m_panel->isExplaining());
    QCOMPARE(tiles->overlaysShown(), tiles->rowCount());

    // A new search cancels the map on its way; the new hits are explained for the new text.
    m_panel->queryEdit()->setText(QStringLiteral("a blue square"));
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(m_panel->isExplaining()); // not in the cache: another text
    const quint64 again = m_panel->search();
    QVERIFY(again != 0);
    QVERIFY(!m_panel->isExplaining());
    QCOMPARE(tiles->overlaysShown(), 0);
    QVERIFY(waitFor(again));
    QTRY_COMPARE_WITH_TIMEOUT(tiles->overlaysShown(), tiles->rowCount(), kJobTimeoutMs);
    QTRY_VERIFY(!m_panel->isExplaining());

    why->click();
    QCOMPARE(tiles->overlaysShown(), 0);
    // The later tests expect the red circles shown.
    m_panel->queryEdit()->setText(QStringLiteral("a red circle"));
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(!m_panel->isExplaining());
}

void TestSearchPanel::cancelsIndexing()
{
    if (!m_panel->result())
        QSKIP("no library (clip-mini missing)");
    // A second library, so there is work to cancel; the first is kept as it was.
    m_panel->libraryEdit()->setText(m_tmp->path() + QStringLiteral("/other/library.db"));
    const quint64 job = m_panel->indexGalleryFolders();
    QVERIFY2(job != 0, qPrintable(m_panel->message()));
    QVERIFY(m_panel->isIndexing());
    QVERIFY(!m_panel->searchButton()->isEnabled());
    m_panel->cancel();
    QVERIFY(waitFor(job));
    QVERIFY(!m_panel->isIndexing());
    auto *state = m_panel->findChild<QLabel *>(QStringLiteral("searchIndexState"));
    QVERIFY(state);
    QVERIFY2(state->text().contains(QStringLiteral("cancelled")), qPrintable(state->text()));
    QVERIFY(m_panel->searchButton()->isEnabled());
    QVERIFY(m_panel->indexGalleryButton()->isEnabled());
    QVERIFY(!m_panel->messageIsError());
    m_panel->libraryEdit()->setText(m_library);
    QVERIFY(waitFor(m_panel->search())); // the first library still answers
    QVERIFY(!m_panel->result()->results.empty());
}

void TestSearchPanel::watchedFolderPicksUpANewFile()
{
    if (!m_panel->result())
        QSKIP("no library (clip-mini missing)");
    QVERIFY(m_panel->keepUpdatedCheck()->isChecked());
    // The gallery's folders, one of which holds the library: its own writes must not count.
    const QStringList folders {canon((m_media + QStringLiteral("/clips")).toStdString()),
        canon((m_media + QStringLiteral("/images")).toStdString())};
    QCOMPARE(m_panel->indexedFolders(), m_video ? folders : folders.mid(1));
    QVERIFY(waitFor(m_panel->reindex()));
    QVERIFY2(m_panel->indexResult().has_value(), qPrintable(m_panel->message()));
    QCOMPARE(m_panel->indexResult()->embedded(), 0);
    QSignalSpy finished(m_panel, &SearchPanel::indexFinished);
    QSignalSpy shown(m_panel, &SearchPanel::resultsShown);
    QTest::qWait(4 * 300 + 1000);
    QCOMPARE(finished.count(), 0);

    // A copy of a (non red circle) picture appears: indexed in the background, then the shown
    // search runs again.
    const QString copy = m_media + QStringLiteral("/images/zz_copy.png");
    QVERIFY(QFile::copy(m_media + QStringLiteral("/images/img_7.png"), copy));
    QVERIFY(finished.wait(kJobTimeoutMs));
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(m_panel->message()));
    QVERIFY(m_panel->indexResult());
    QCOMPARE(m_panel->indexResult()->added, 1);
    QCOMPARE(m_panel->indexResult()->unchanged, 24 + (m_video ? 2 : 0));
    QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1 && !m_panel->isSearching(), kJobTimeoutMs);
    // The library's own writes (in the watched folder) do not start another run.
    QTest::qWait(4 * 300 + 1000);
    QCOMPARE(finished.count(), 1);

    // Unchecked: changes are left alone.
    m_panel->keepUpdatedCheck()->setChecked(false);
    QCOMPARE(m_panel->folderWatcher()->watchedFolderCount(), 0);
    QVERIFY(
        QFile::copy(m_media + QStringLiteral("/images/img_8.png"), m_media + QStringLiteral("/images/zz_ignored.png")));
    QTest::qWait(1000);
    QCOMPARE(finished.count(), 1);
    QVERIFY(QFile::remove(m_media + QStringLiteral("/images/zz_ignored.png")));
    m_panel->keepUpdatedCheck()->setChecked(true);
    QTRY_VERIFY(m_panel->folderWatcher()->watchedFolderCount() >= 2);
}

void TestSearchPanel::groupsNearDuplicates()
{
    if (!m_panel->result())
        QSKIP("no library (clip-mini missing)");
    const QString copy = canon((m_media + QStringLiteral("/images/zz_copy.png")).toStdString());
    const QString original = canon((m_media + QStringLiteral("/images/img_7.png")).toStdString());
    QCOMPARE(m_panel->duplicatesThresholdSpin()->value(), 0.95);
    const quint64 job = m_panel->findDuplicates();
    QVERIFY2(job != 0, qPrintable(m_panel->message()));
    QVERIFY(waitFor(job));
    QVERIFY2(m_panel->duplicates().has_value(), qPrintable(m_panel->message()));
    const auto &groups = m_panel->duplicates()->groups;
    bool found = false;
    for (const ml::DuplicateGroup &g : groups) {
        std::set<QString> files;
        for (const std::string &f : g.files)
            files.insert(QDir::cleanPath(QString::fromStdString(f)));
        found = found || (files.count(copy) == 1 && files.count(original) == 1);
    }
    QVERIFY2(found, "the copy and its original are not grouped");
    QVERIFY(m_panel->duplicates()->hashed);
    DuplicatesView *view = m_panel->duplicatesView();
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
    QVERIFY(m_panel->duplicatesThresholdSpin()->toolTip().contains(QStringLiteral("perceptual hash")));
    QVERIFY(!view->isHidden());

    // Clicking a tile opens it in the preview.
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    m_panel->findChild<QScrollArea *>()->ensureWidgetVisible(view);
    QTest::qWait(50);
    const QModelIndex first = view->model()->index(0, 0);
    const QRect tile = view->tileRect(view->visualRect(first), 1);
    QCOMPARE(view->tileAt(tile.center()), std::make_pair(0, 1));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, tile.center());
    const QString second = QDir::cleanPath(QString::fromStdString(groups[0].files[1]));
    QTRY_COMPARE(QDir::cleanPath(m_window->preview()->currentPath()), second);

    // A threshold above every pair leaves no groups.
    m_panel->duplicatesThresholdSpin()->setValue(1.0);
    QVERIFY(waitFor(m_panel->findDuplicates()));
    QVERIFY(m_panel->duplicates().has_value());
    for (const ml::DuplicateGroup &g : m_panel->duplicates()->groups)
        for (float score : g.scores)
            QVERIFY(score >= 0.999f);
    m_panel->duplicatesThresholdSpin()->setValue(0.95);
    QVERIFY(waitFor(m_panel->findDuplicates()));
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->thumbnails()->pendingCount() == 0, 30000);
    shot(QStringLiteral("search_duplicates.png"));
}

void TestSearchPanel::modelChangeAsksForReindexing()
{
    if (!m_panel->result())
        QSKIP("no library (clip-mini missing)");
    if (!tiny_clip::tokenizerFixturesPresent())
        QSKIP("the tokenizer fixtures are missing: no second model");
    const QString clipMini = m_panel->modelPicker()->currentPath();
    const fs::path tiny = fs::path(m_tmp->path().toStdString()) / "models" / "tiny-clip";
    tiny_clip::write(tiny);
    QVERIFY(selectModel(QString::fromStdString(tiny.string())));

    // The library's vectors are clip-mini's: searching with another model asks for re-indexing.
    QVERIFY(!m_panel->reindexButton()->isVisible());
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY(m_panel->messageIsError());
    QVERIFY2(m_panel->message().contains(QStringLiteral("re-index")), qPrintable(m_panel->message()));
    QVERIFY(!m_panel->reindexButton()->isHidden());
    const int files = 25 + (m_video ? 2 : 0);
    QVERIFY(waitFor(m_panel->reindex()));
    QVERIFY2(m_panel->indexResult().has_value(), qPrintable(m_panel->message()));
    QCOMPARE(m_panel->indexResult()->embedded(), files);
    QVERIFY(m_panel->reindexButton()->isHidden());
    QVERIFY(waitFor(m_panel->search()));
    QVERIFY2(m_panel->result().has_value() && !m_panel->result()->results.empty(), qPrintable(m_panel->message()));
    QVERIFY(QString::fromStdString(m_panel->result()->modelId).contains(QStringLiteral("tiny-clip")));

    QVERIFY(m_panel->modelPicker()->selectPath(clipMini));
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
    m_panel->libraryEdit()->setText(m_tmp->path() + QStringLiteral("/broken/library.db"));
    QVERIFY(waitFor(m_panel->indexFolders({m_media + QStringLiteral("/images")})));
    QVERIFY2(m_panel->indexResult().has_value(), qPrintable(m_panel->message()));
    const auto &health = m_panel->indexResult()->health;
    QVERIFY2(!health.empty(), "a model that maps every image to one vector passed the health check");
    QVERIFY(m_panel->healthBannerShown());
    QTreeWidget *list = m_panel->healthList();
    QVERIFY(list->isHidden());
    m_panel->healthToggle()->click();
    QVERIFY(!list->isHidden());
    QCOMPARE(list->topLevelItemCount(), static_cast<int>(health.size()));
    QCOMPARE(list->topLevelItem(0)->toolTip(0), QDir::toNativeSeparators(QString::fromStdString(health[0].file)));
    QVERIFY(!list->topLevelItem(0)->text(1).isEmpty());
    shot(QStringLiteral("search_health.png"));
    m_panel->healthToggle()->click();
    QVERIFY(list->isHidden());
}

QTEST_MAIN(TestSearchPanel)
#include "test_search_panel.moc"
