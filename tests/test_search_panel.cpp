// The Search panel in the main window, offscreen: a generated folder of Shapes World images (and,
// with media support, two clips whose object is on screen at known times) is indexed with the
// embedded clip-mini into a library in a temporary folder; "a red circle" finds a red circle first,
// a video hit draws its similarity strip, and clicking hits shows them in the preview.
// Env: MODALLENS_SHOTS_DIR=DIR writes search_window.png and search_panel.png there.
#include "engine_bridge.h"
#include "gallery_filter_model.h"
#include "gallery_model.h"
#include "gallery_view.h"
#include "gallery_widget.h"
#include "main_window.h"
#include "model_picker.h"
#include "preview_pane.h"
#include "search_panel.h"
#include "shapes_test_util.h"
#include "video_player.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "io/media.h"
#include "train/shapes_world.h"
#include "train/shapes_world_io.h"

#include <ATen/Parallel.h>

#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QLineEdit>
#include <QListWidget>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <memory>
#include <set>

namespace fs = std::filesystem;
using namespace ml::train;

namespace {

using shapes_test::object;
using shapes_test::render;

constexpr int kJobTimeoutMs = 60000;

#ifdef MODALLENS_HAVE_MEDIA
// A 6 s clip at 12 fps: `o` on screen in frames [first, last], the background elsewhere.
ShapesVideo clip(const ShapeObject &o, int first, int last)
{
    ShapesVideo v;
    v.fps = 12.0;
    const auto empty = renderScene(Scene {});
    const auto full = render(o);
    for (int i = 0; i < 72; ++i)
        v.frames.push_back(i >= first && i <= last ? full : empty);
    VideoTrack t;
    t.start = o;
    t.endX = o.x;
    t.endY = o.y;
    t.firstFrame = first;
    t.lastFrame = last;
    v.tracks.push_back(t);
    return v;
}
#endif

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

} // namespace

class TestSearchPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void defaults();
    void refusesAnEmptyQuery();
    void indexesAndSearches();
    void searchesByTheSelectedImage();
    void videoHitDrawsItsStrip();

private:
    bool waitFor(quint64 job);
    void clickHit(int row);

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    SearchPanel *m_panel = nullptr;
    QString m_media;
    std::set<QString> m_redCircles;
    bool m_video = false;
};

void TestSearchPanel::initTestCase()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    qputenv("XDG_DATA_HOME", QString(m_tmp->path() + QStringLiteral("/data")).toLocal8Bit());
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("ModalLensTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test_search_panel"));
    QSettings().clear();

    m_window = std::make_unique<MainWindow>(nullptr, m_tmp->path() + QStringLiteral("/thumbs"));
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
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
        ml::io::saveImage(
            render(object(Shape::Circle, Colour::Red, 14 + 3 * (i % 4), 12 + 4 * (i / 4), 24 - (i % 3) * 2)), file);
        m_redCircles.insert(canon(file));
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
    m_panel->libraryEdit()->setText(m_tmp->path() + QStringLiteral("/lib/library.db"));
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
    const auto running = [&] { return m_panel->isIndexing() || m_panel->isSearching(); };
    while (running() && timer.elapsed() < kJobTimeoutMs)
        finished.wait(200);
    return job != 0 && !running();
}

void TestSearchPanel::clickHit(int row)
{
    auto *dock = qobject_cast<QDockWidget *>(m_panel->parentWidget());
    QVERIFY(dock);
    dock->raise();
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    QListWidget *list = m_panel->resultsList();
    list->scrollToItem(list->item(row));
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(row)).center());
    QCOMPARE(list->currentRow(), row);
}

void TestSearchPanel::defaults()
{
    QVERIFY(SearchPanel::defaultLibrary().endsWith(QStringLiteral("/ModalLens/library.db")));
    QCOMPARE(m_panel->kSpin()->value(), 10);
    QCOMPARE(m_panel->videoScoreCombo()->count(), 3);
    QVERIFY(m_panel->imageQuery().isEmpty());
    QCOMPARE(m_panel->stripPointCount(), 0);
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
    QListWidget *list = m_panel->resultsList();
    QCOMPARE(list->count(), static_cast<int>(hits.size()));
    // The first image hit is a red circle (the red-circle clip may come first).
    int firstImage = -1;
    for (int i = 0; i < static_cast<int>(hits.size()) && firstImage < 0; ++i)
        if (hits[static_cast<std::size_t>(i)].kind == "image")
            firstImage = i;
    QVERIFY(firstImage >= 0);
    const QString top = QDir::cleanPath(QString::fromStdString(hits[static_cast<std::size_t>(firstImage)].file));
    QVERIFY2(m_redCircles.count(top) == 1, qPrintable(top));
    QVERIFY(firstImage == 0 || hits[0].kind == "video");

    // Clicking an image hit shows it in the preview.
    clickHit(firstImage);
    QTRY_COMPARE(QDir::cleanPath(m_window->preview()->currentPath()), top);
    QCOMPARE(m_panel->stripPointCount(), 0);
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

    auto *dock = qobject_cast<QDockWidget *>(m_panel->parentWidget());
    QVERIFY(dock);
    m_panel->resultsList()->setCurrentRow(row); // selecting draws the strip
    QCOMPARE(m_panel->stripPointCount(), static_cast<int>(hit.times.size()));
    clickHit(row);
    const QString file = QDir::cleanPath(QString::fromStdString(hit.file));
    QTRY_COMPARE(QDir::cleanPath(m_window->preview()->currentPath()), file);
    QCOMPARE(m_window->preview()->page(), PreviewPane::Page::Video);
    // It plays from the best moment.
    VideoPlayer *player = m_window->preview()->videoPlayer();
    QTRY_VERIFY_WITH_TIMEOUT(player->duration() > 0.0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(std::abs(player->position() - hit.bestS) < 0.6, 10000);
    // A click on the strip seeks there.
    m_panel->clickStrip(0.5);
    QTRY_VERIFY_WITH_TIMEOUT(std::abs(player->position() - 0.5) < 0.3, 10000);

    if (const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR"); !dir.isEmpty()) {
        QTest::qWait(200);
        QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/search_preview.png")));
        dock->raise();
        QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
        QTest::qWait(100);
        QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/search_window.png")));
        QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/search_panel.png")));
        m_panel->resultsList()->setCurrentRow(0);
        QCoreApplication::processEvents(); // the hidden strip's room goes to the list
        QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/search_panel_first.png")));
    }
}

QTEST_MAIN(TestSearchPanel)
#include "test_search_panel.moc"
