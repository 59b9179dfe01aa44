// The Attention panel, offscreen: it follows the gallery's current image; raw attention, rollout
// and relevance each draw a map of the model's patch grid (clip-mini, and the golden fixture
// checkpoint when present); a layer or a head changes the map; clicking a patch makes it the
// query; a two-word text gives one map per word; the overlay exports as PNG and the raw map as
// safetensors (tensor "map", gridH x gridW); a file that fails leaves no earlier map behind.
// Env: MODALLENS_SHOTS_DIR=DIR writes attention_*.png there (the panel in a 420 px dock).
#include "common/engine_bridge.h"
#include "common/heatmap_view.h"
#include "common/model_picker.h"
#include "explain/attention_panel.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "shapes_test_util.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "io/media.h"
#include "io/media_encode.h"
#include "io/safetensors.h"

#include <ATen/Parallel.h>

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace {

constexpr int kJobTimeoutMs = 120000;
const fs::path kClipDir = fs::path(MODALLENS_FIXTURES_DIR) / "clip";

bool clipMiniPresent()
{
    try {
        return fs::is_regular_file(fs::path(ml::resolveModelPath("clip-mini")) / "model.safetensors");
    } catch (const ml::Error &) {
        return false;
    }
}

double maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b)
{
    if (a.size() != b.size())
        return INFINITY;
    double m = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
    return m;
}

} // namespace

class TestAttentionPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void colourMaps();
    void followsTheGallery();
    void everyMethod();
    void layerAndHead();
    void clickingAPatchMakesItTheQuery();
    void oneMapPerWord();
    void exports();
    void failureClearsTheView();
    void videoFrames();
    void goldenCheckpoint();

private:
    bool waitForMap(); // the next result drawn, with no job left
    void shot(const QString &name);
    void checkShown(int method);

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    AttentionPanel *m_panel = nullptr;
    QString m_image; // a red circle, alone
};

void TestAttentionPanel::initTestCase()
{
    if (!clipMiniPresent())
        QSKIP("clip-mini is not built into this tree");
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_attention_panel"));

    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1400, 900));
    QVERIFY(m_window);
    at::set_num_threads(1); // the engine takes every core; see test_training_panel
    m_panel = m_window->attentionPanel();
    QVERIFY(m_panel);
    QCOMPARE(m_panel->windowTitle(), QStringLiteral("Attention"));
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());

    using namespace ml::train;
    m_image = m_tmp->path() + QStringLiteral("/red-circle.png");
    ml::io::saveImage(
        shapes_test::render(shapes_test::object(Shape::Circle, Colour::Red, 20, 22, 22)), m_image.toStdString());
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->modelPicker()->currentPath().isEmpty(), kJobTimeoutMs);
}

void TestAttentionPanel::cleanupTestCase()
{
    m_window.reset();
}

bool TestAttentionPanel::waitForMap()
{
    QSignalSpy shown(m_panel, &AttentionPanel::mapShown);
    QElapsedTimer timer;
    timer.start();
    while ((shown.isEmpty() || m_panel->isBusy()) && timer.elapsed() < kJobTimeoutMs) {
        if (m_panel->messageIsError())
            return false;
        QTest::qWait(20);
    }
    return !shown.isEmpty() && !m_panel->isBusy();
}

void TestAttentionPanel::shot(const QString &name)
{
    const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR");
    if (dir.isEmpty())
        return;
    QTest::qWait(100);
    auto *scroll = m_panel->findChild<QScrollArea *>();
    QVERIFY(scroll && scroll->widget());
    QWidget *page = scroll->widget();
    const QSize size = page->size();
    page->resize(size.width(), std::max(size.height(), page->heightForWidth(size.width())));
    page->resize(size.width(), std::max(page->height(), page->sizeHint().height()));
    QVERIFY(page->grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + name));
    page->resize(size);
}

// What every method must show: a map of the grid's shape over the input crop, its range.
void TestAttentionPanel::checkShown(int method)
{
    QVERIFY2(!m_panel->messageIsError(), qPrintable(m_panel->message()));
    const auto &r = m_panel->result();
    QVERIFY(r.has_value());
    QVERIFY(r->gridH > 0 && r->gridW > 0);
    QCOMPARE(m_panel->currentMap().size(), static_cast<std::size_t>(r->gridH * r->gridW));
    for (const float v : m_panel->currentMap())
        QVERIFY(std::isfinite(v));
    QCOMPARE(m_panel->heatmapView()->gridH(), r->gridH);
    QCOMPARE(m_panel->heatmapView()->image().width(), r->imageSize);
    QVERIFY(!m_panel->heatmapView()->composed().isNull());
    QVERIFY(m_panel->heatmapView()->composed() != m_panel->heatmapView()->image()); // the overlay is on it
    QVERIFY(!m_panel->colourBar()->maxText().isEmpty());
    QVERIFY(m_panel->infoLabel()->text().contains(QStringLiteral("fast path max")));
    QVERIFY(r->fastPathMaxAbsDiff < 1e-2);
    if (method == AttentionPanel::AttentionMethod) {
        QCOMPARE(m_panel->headsGrid()->count(), r->heads);
        QVERIFY(m_panel->headsGrid()->isVisibleTo(m_panel));
    } else {
        QVERIFY(!m_panel->headsGrid()->isVisibleTo(m_panel));
    }
}

void TestAttentionPanel::colourMaps()
{
    using heatmap::ColourMap;
    // The ends of each map, and a map drawn to the requested size from a 2 x 2 grid.
    QCOMPARE(heatmap::colourAt(ColourMap::Grey, 0.0), qRgb(0, 0, 0));
    QCOMPARE(heatmap::colourAt(ColourMap::Grey, 1.0), qRgb(255, 255, 255));
    QCOMPARE(heatmap::colourAt(ColourMap::Viridis, 0.0), qRgb(0x44, 0x01, 0x54));
    QCOMPARE(heatmap::colourAt(ColourMap::Viridis, 1.0), qRgb(0xfd, 0xe7, 0x25));
    QCOMPARE(heatmap::colourAt(ColourMap::Inferno, 0.5), qRgb(0xbc, 0x37, 0x54));
    QCOMPARE(heatmap::colourAt(ColourMap::Jet, 0.0), qRgb(0, 0, 128));
    QCOMPARE(heatmap::colourAt(ColourMap::Jet, 1.0), qRgb(128, 0, 0));
    const QImage img = heatmap::colourise({0.0f, 1.0f, 2.0f, 3.0f}, 2, 2, 8, ColourMap::Grey);
    QCOMPARE(img.size(), QSize(8, 8));
    QCOMPARE(img.pixel(0, 0), qRgb(0, 0, 0));       // the minimum, at its patch
    QCOMPARE(img.pixel(7, 7), qRgb(255, 255, 255)); // the maximum
    QVERIFY(qGray(img.pixel(7, 0)) > qGray(img.pixel(0, 0)) && qGray(img.pixel(0, 7)) > qGray(img.pixel(7, 0)));
    const auto [lo, hi] = heatmap::range({3.0f, -1.0f, 2.0f});
    QCOMPARE(lo, -1.0f);
    QCOMPARE(hi, 3.0f);
}

void TestAttentionPanel::followsTheGallery()
{
    GalleryWidget *gallery = m_window->gallery();
    gallery->addPaths({m_image});
    QTRY_VERIFY_WITH_TIMEOUT(gallery->model()->rowOf(m_image) >= 0, kJobTimeoutMs);
    gallery->view()->setCurrentIndex(
        gallery->proxy()->mapFromSource(gallery->model()->index(gallery->model()->rowOf(m_image))));
    QCOMPARE(QDir::cleanPath(m_panel->currentPath()), QDir::cleanPath(m_image));
    QVERIFY(waitForMap());
    QVERIFY(m_panel->result().has_value());
}

void TestAttentionPanel::everyMethod()
{
    m_panel->showFile(m_image);
    m_panel->textEdit()->setText(QStringLiteral("a red circle"));
    for (int method :
        {AttentionPanel::AttentionMethod, AttentionPanel::RolloutMethod, AttentionPanel::RelevanceMethod}) {
        m_panel->methodCombo()->setCurrentIndex(method);
        QVERIFY2(waitForMap(), qPrintable(m_panel->message()));
        checkShown(method);
        if (method == AttentionPanel::RelevanceMethod) {
            QVERIFY(m_panel->textEdit()->isVisibleTo(m_panel));
            QVERIFY(m_panel->textEdit()->height() > 0);
            QVERIFY(m_panel->result()->similarity > -1.0 && m_panel->result()->similarity < 1.0);
            QVERIFY(!m_panel->result()->tokens.empty());
            // The map is a function of the text: "a red circle" and "a blue square" differ.
            const std::vector<float> red = m_panel->currentMap();
            m_panel->textEdit()->setText(QStringLiteral("a blue square"));
            QVERIFY(waitForMap());
            QVERIFY(maxAbsDiff(red, m_panel->currentMap()) > 0.0);
            m_panel->textEdit()->setText(QStringLiteral("a red circle"));
            QVERIFY(waitForMap()); // from the cache
            QCOMPARE(maxAbsDiff(red, m_panel->currentMap()), 0.0);
            shot(QStringLiteral("attention_relevance.png"));
        } else if (method == AttentionPanel::RolloutMethod) {
            const std::vector<float> plain = m_panel->currentMap();
            m_panel->discardSpin()->setValue(0.9);
            QVERIFY(waitForMap());
            checkShown(method);
            QVERIFY(maxAbsDiff(plain, m_panel->currentMap()) > 0.0);
            shot(QStringLiteral("attention_rollout.png"));
            m_panel->discardSpin()->setValue(0.0);
            QVERIFY(waitForMap());
        }
    }
}

void TestAttentionPanel::layerAndHead()
{
    m_panel->showFile(m_image);
    m_panel->methodCombo()->setCurrentIndex(AttentionPanel::AttentionMethod);
    QVERIFY(waitForMap());
    const int layers = m_panel->result()->layers;
    QVERIFY(layers > 1);
    QCOMPARE(m_panel->layerSlider()->maximum(), layers - 1);
    QCOMPARE(m_panel->layerSlider()->value(), layers - 1); // the last layer by default
    QCOMPARE(m_panel->result()->layer, layers - 1);
    const std::vector<float> last = m_panel->currentMap();
    m_panel->layerSlider()->setValue(0);
    QVERIFY(waitForMap());
    QCOMPARE(m_panel->result()->layer, 0);
    QVERIFY(maxAbsDiff(last, m_panel->currentMap()) > 0.0);

    // One head: the map is that head's, from the same result; its thumbnail is current.
    const int heads = m_panel->result()->heads;
    QCOMPARE(m_panel->headCombo()->count(), AttentionPanel::FirstHead + heads);
    m_panel->headCombo()->setCurrentIndex(AttentionPanel::FirstHead + heads - 1);
    QVERIFY(waitForMap());
    QCOMPARE(maxAbsDiff(m_panel->result()->headMaps.back().values, m_panel->currentMap()), 0.0);
    QCOMPARE(m_panel->headsGrid()->current(), heads - 1);
    // Clicking the first thumbnail shows the first head.
    MapGrid *grid = m_panel->headsGrid();
    QTest::mouseClick(grid, Qt::LeftButton, {}, grid->itemRect(0).center());
    QCOMPARE(m_panel->headCombo()->currentIndex(), int(AttentionPanel::FirstHead));
    QVERIFY(waitForMap());
    QCOMPARE(maxAbsDiff(m_panel->result()->headMaps.front().values, m_panel->currentMap()), 0.0);
    QVERIFY(m_panel->headCombo()->height() > 0); // a row shown again gets its height back
    shot(QStringLiteral("attention_heads.png"));
    m_panel->headCombo()->setCurrentIndex(AttentionPanel::MeanHeads);
    m_panel->layerSlider()->setValue(layers - 1);
    QVERIFY(waitForMap());
}

void TestAttentionPanel::clickingAPatchMakesItTheQuery()
{
    m_panel->showFile(m_image);
    m_panel->methodCombo()->setCurrentIndex(AttentionPanel::RolloutMethod);
    QVERIFY(waitForMap());
    const std::vector<float> fromCls = [&] {
        m_panel->setQueryToken(0); // back to raw attention from CLS
        return waitForMap() ? m_panel->currentMap() : std::vector<float> {};
    }();
    QCOMPARE(m_panel->methodCombo()->currentIndex(), int(AttentionPanel::AttentionMethod));
    QVERIFY(!fromCls.empty());
    HeatmapView *view = m_panel->heatmapView();
    const int gridW = m_panel->result()->gridW;
    QTest::mouseClick(view, Qt::LeftButton, {}, view->patchCentre(1, 2));
    QCOMPARE(m_panel->queryToken(), 1 + 1 * gridW + 2);
    QVERIFY(waitForMap());
    QVERIFY(maxAbsDiff(fromCls, m_panel->currentMap()) > 1e-6);
    // From rollout, a click switches to raw attention from that patch.
    m_panel->methodCombo()->setCurrentIndex(AttentionPanel::RolloutMethod);
    QVERIFY(waitForMap());
    QTest::mouseClick(view, Qt::LeftButton, {}, view->patchCentre(0, 0));
    QCOMPARE(m_panel->methodCombo()->currentIndex(), int(AttentionPanel::AttentionMethod));
    QCOMPARE(m_panel->queryToken(), 1);
    QVERIFY(waitForMap());
    shot(QStringLiteral("attention_query.png"));
    m_panel->setQueryToken(0);
    QVERIFY(waitForMap());
}

void TestAttentionPanel::oneMapPerWord()
{
    m_panel->showFile(m_image);
    m_panel->methodCombo()->setCurrentIndex(AttentionPanel::RelevanceMethod);
    m_panel->textEdit()->setText(QStringLiteral("red circle"));
    QVERIFY(waitForMap());
    MapGrid *words = m_panel->wordsGrid();
    QVERIFY(words->isVisibleTo(m_panel));
    QCOMPARE(words->count(), 3); // the whole text, then each word
    QCOMPARE(words->labels().mid(1), QStringList({QStringLiteral("“red”"), QStringLiteral("“circle”")}));
    const auto &wordMaps = m_panel->result()->wordMaps;
    QCOMPARE(wordMaps.size(), std::size_t(2));
    QTest::mouseClick(words, Qt::LeftButton, {}, words->itemRect(2).center());
    QCOMPARE(words->current(), 2);
    QCOMPARE(maxAbsDiff(wordMaps[1].values, m_panel->currentMap()), 0.0);
    QCOMPARE(m_panel->currentMapLabel(), QStringLiteral("circle"));
    QTest::mouseClick(words, Qt::LeftButton, {}, words->itemRect(0).center());
    QCOMPARE(maxAbsDiff(m_panel->result()->map, m_panel->currentMap()), 0.0);
    // One word: no per-word maps.
    m_panel->textEdit()->setText(QStringLiteral("circle"));
    QVERIFY(waitForMap());
    QCOMPARE(words->count(), 0);
    QVERIFY(!words->isVisibleTo(m_panel));
}

void TestAttentionPanel::exports()
{
    m_panel->showFile(m_image);
    m_panel->methodCombo()->setCurrentIndex(AttentionPanel::RolloutMethod);
    QVERIFY(waitForMap());
    const QString png = m_tmp->path() + QStringLiteral("/overlay.png");
    const QString map = m_tmp->path() + QStringLiteral("/map.safetensors");
    QVERIFY2(m_panel->exportOverlay(png), qPrintable(m_panel->message()));
    // Says what went where.
    QVERIFY(!m_panel->messageIsError());
    QVERIFY2(m_panel->message().contains(QDir::toNativeSeparators(png)), qPrintable(m_panel->message()));
    QVERIFY2(m_panel->exportRawMap(map), qPrintable(m_panel->message()));
    QVERIFY(!m_panel->messageIsError());
    QVERIFY2(m_panel->message().contains(QDir::toNativeSeparators(map)), qPrintable(m_panel->message()));
    const QImage written(png);
    QVERIFY(!written.isNull());
    QVERIFY(written.width() >= m_panel->result()->imageSize && written.width() == written.height());

    const auto file = ml::io::SafetensorsFile::open(map.toStdString());
    QVERIFY(file->contains("map"));
    const auto &r = *m_panel->result();
    QCOMPARE(file->info("map").dtype, std::string("F32"));
    QCOMPARE(file->info("map").shape, (std::vector<std::int64_t> {r.gridH, r.gridW}));
    const torch::Tensor t = file->tensor("map").contiguous();
    const std::vector<float> values(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    QCOMPARE(maxAbsDiff(values, m_panel->currentMap()), 0.0); // raw, unscaled
    QCOMPARE(file->metadata().at("method"), std::string("rollout"));

    // A folder that does not exist: a message, no crash.
    QVERIFY(!m_panel->exportRawMap(m_tmp->path() + QStringLiteral("/no/such/dir/map.safetensors")));
    QVERIFY(m_panel->messageIsError());
    QVERIFY(m_panel->message().contains(QStringLiteral("map.safetensors")));
    QVERIFY(!m_panel->exportOverlay(m_tmp->path() + QStringLiteral("/no/such/dir/overlay.png")));
}

// A file that cannot be explained after one that could: the error, and nothing of the last
// picture or its map under the new name (the gallery filtered down to a corrupt file did that).
void TestAttentionPanel::failureClearsTheView()
{
    QVERIFY(m_panel->result().has_value()); // the red circle's map, from exports()
    const QString corrupt = m_tmp->path() + QStringLiteral("/corrupt.jpg");
    QFile file(corrupt);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("hello, I am not a JPEG\n");
    file.close();

    m_panel->showFile(corrupt);
    m_panel->recompute(); // submitted now: the view is already empty while it runs
    QVERIFY(!m_panel->result().has_value());
    QVERIFY(m_panel->heatmapView()->image().isNull());
    QVERIFY(m_panel->currentMap().empty());
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->messageIsError() && !m_panel->isBusy(), kJobTimeoutMs);
    QVERIFY2(m_panel->message().contains(QStringLiteral("corrupt.jpg")), qPrintable(m_panel->message()));
    QVERIFY2(m_panel->message().contains(QStringLiteral("not a decodable image")), qPrintable(m_panel->message()));
    QVERIFY(!m_panel->result().has_value());
    QVERIFY(m_panel->currentMap().empty());
    QVERIFY(m_panel->heatmapView()->image().isNull());
    QVERIFY(m_panel->infoLabel()->text().isEmpty());
    QVERIFY(!m_panel->headsGrid()->isVisibleTo(m_panel));
    QCOMPARE(m_panel->findChild<QLabel *>(QStringLiteral("attentionTitle"))->text(), QStringLiteral("corrupt.jpg"));
    QVERIFY(!m_panel->exportOverlay(m_tmp->path() + QStringLiteral("/stale.png"))); // nothing to export
    QVERIFY(!QFileInfo::exists(m_tmp->path() + QStringLiteral("/stale.png")));

    // Back to the red circle: its map again, the error gone.
    m_panel->showFile(m_image);
    QVERIFY2(waitForMap(), qPrintable(m_panel->message()));
    checkShown(AttentionPanel::RolloutMethod);
}

// A video is explained at the frame the preview shows: two seconds, a red circle then a blue square.
void TestAttentionPanel::videoFrames()
{
    using namespace ml::train;
    const QString clip = m_tmp->path() + QStringLiteral("/two-shapes.mp4");
    {
        const auto red = shapes_test::render(shapes_test::object(Shape::Circle, Colour::Red, 20, 22, 22));
        const auto blue = shapes_test::render(shapes_test::object(Shape::Square, Colour::Blue, 44, 40, 22));
        ml::io::VideoEncoder encoder;
        encoder.open(clip.toStdString(), "h264", red.width, red.height, 10.0);
        for (int i = 0; i < 20; ++i)
            encoder.write(i < 10 ? red : blue);
        encoder.finish();
    }
    m_panel->methodCombo()->setCurrentIndex(AttentionPanel::RolloutMethod);
    m_panel->showFile(clip);
    QVERIFY2(waitForMap(), qPrintable(m_panel->message()));
    checkShown(AttentionPanel::RolloutMethod);
    const std::vector<std::uint8_t> first = m_panel->result()->inputRgb;
    const std::vector<float> firstMap = m_panel->currentMap();
    m_panel->setVideoTime(clip, 1.5);
    QVERIFY2(waitForMap(), qPrintable(m_panel->message()));
    QVERIFY(m_panel->result()->inputRgb != first); // the square's frame
    QVERIFY(maxAbsDiff(firstMap, m_panel->currentMap()) > 0.0);
    m_panel->setVideoTime(m_image, 0.5); // not the shown video: ignored
    QVERIFY(!m_panel->isBusy());
    m_panel->showFile(m_image);
    QVERIFY(waitForMap());
}

void TestAttentionPanel::goldenCheckpoint()
{
    const fs::path tokenizer = fs::path(MODALLENS_FIXTURES_DIR) / "tokenizers" / "clip";
    if (!fs::is_regular_file(kClipDir / "model.safetensors") || !fs::is_regular_file(tokenizer / "vocab.json"))
        QSKIP("golden fixtures not found at " MODALLENS_FIXTURES_DIR "/clip and /tokenizers/clip");
    // The golden checkpoint has no tokenizer of its own: a folder that links it and CLIP's.
    const fs::path dir = fs::path(m_tmp->path().toStdString()) / "models" / "clip-golden";
    fs::create_directories(dir);
    for (const char *file : {"config.json", "preprocessor_config.json", "model.safetensors"})
        fs::create_symlink(kClipDir / file, dir / file);
    for (const char *file : {"vocab.json", "merges.txt"})
        fs::create_symlink(tokenizer / file, dir / file);
    ModelPicker *picker = m_panel->modelPicker();
    QSignalSpy refreshed(picker, &ModelPicker::refreshed);
    picker->addFolder(QString::fromStdString(dir.parent_path().string()));
    QTRY_VERIFY_WITH_TIMEOUT(!refreshed.isEmpty() && !picker->isRefreshing(), kJobTimeoutMs);
    QString golden;
    for (const ml::ModelEntry &e : picker->entries())
        if (fs::path(e.path).lexically_normal() == dir.lexically_normal())
            golden = QString::fromStdString(e.path);
    QVERIFY2(!golden.isEmpty(), "the picker does not list the golden checkpoint");
    QVERIFY(picker->selectPath(golden));
    const QString image = QString::fromStdString((kClipDir / "image_astronaut_320x320.png").string());
    m_panel->showFile(image);
    m_panel->textEdit()->setText(QStringLiteral("an astronaut in space"));
    for (int method :
        {AttentionPanel::AttentionMethod, AttentionPanel::RolloutMethod, AttentionPanel::RelevanceMethod}) {
        m_panel->methodCombo()->setCurrentIndex(method);
        QVERIFY2(waitForMap(), qPrintable(m_panel->message()));
        checkShown(method);
        QCOMPARE(QString::fromStdString(m_panel->result()->modelName), QStringLiteral("clip-golden"));
    }
    QCOMPARE(m_panel->wordsGrid()->count(), 5);
}

QTEST_MAIN(TestAttentionPanel)
#include "test_attention_panel.moc"
