// The Attention panel, offscreen: it follows the gallery's current image; raw attention, rollout
// and relevance each draw a map of the model's patch grid (clip-mini, and the golden fixture
// checkpoint when present); a layer or a head changes the map; clicking a patch makes it the
// query; a two-word text gives one map per word; the overlay exports as PNG and the raw map as
// safetensors (tensor "map", gridH x gridW); a file that fails leaves no earlier map behind.
// Env: MODALLENS_SHOTS_DIR=DIR writes attention_*.png there (the panel in a 420 px dock).
#include "common/engine_bridge.h"
#include "common/feature_layout.h"
#include "common/heatmap_view.h"
#include "common/model_picker.h"
#include "explain/attention_panel.h"
#include "explain/explain_controller.h"
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
    void workspaceLayout();
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

    template<class T> T *child(const char *name) const
    {
        T *w = m_panel->findChild<T *>(QString::fromLatin1(name));
        if (!w)
            qFatal("no %s in the Attention panel", name);
        return w;
    }
    QComboBox *methodCombo() const { return child<QComboBox>("attentionMethod"); }
    QComboBox *headCombo() const { return child<QComboBox>("attentionHead"); }
    QSlider *layerSlider() const { return child<QSlider>("attentionLayer"); }
    QLineEdit *textEdit() const { return child<QLineEdit>("attentionText"); }
    HeatmapView *heatmapView() const { return child<HeatmapView>("attentionView"); }
    MapGrid *headsGrid() const { return child<MapGrid>("attentionHeads"); }
    MapGrid *wordsGrid() const { return child<MapGrid>("attentionWords"); }

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    AttentionPanel *m_panel = nullptr;
    ExplainController *m_c = nullptr;
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
    m_c = m_panel->controller();
    QVERIFY(m_c);
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
    while ((shown.isEmpty() || m_c->isBusy()) && timer.elapsed() < kJobTimeoutMs) {
        if (m_c->messageIsError())
            return false;
        QTest::qWait(20);
    }
    return !shown.isEmpty() && !m_c->isBusy();
}

void TestAttentionPanel::shot(const QString &name)
{
    const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR");
    if (dir.isEmpty())
        return;
    QTest::qWait(100);
    QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + name));
}

// What every method must show: a map of the grid's shape over the input crop, its range.
void TestAttentionPanel::checkShown(int method)
{
    QVERIFY2(!m_c->messageIsError(), qPrintable(m_c->message()));
    const auto &r = m_c->result();
    QVERIFY(r.has_value());
    QVERIFY(r->gridH > 0 && r->gridW > 0);
    QCOMPARE(m_c->currentMap().size(), static_cast<std::size_t>(r->gridH * r->gridW));
    for (const float v : m_c->currentMap())
        QVERIFY(std::isfinite(v));
    QCOMPARE(heatmapView()->gridH(), r->gridH);
    QCOMPARE(heatmapView()->image().width(), r->imageSize);
    QVERIFY(!heatmapView()->composed().isNull());
    QVERIFY(heatmapView()->composed() != heatmapView()->image()); // the overlay is on it
    QVERIFY(!child<ColourBar>("attentionColourBar")->maxText().isEmpty());
    QVERIFY(child<QLabel>("attentionInfo")->text().contains(QStringLiteral("fast path max")));
    QVERIFY(r->fastPathMaxAbsDiff < 1e-2);
    if (method == ExplainController::AttentionMethod) {
        QCOMPARE(headsGrid()->count(), r->heads);
        QVERIFY(headsGrid()->isVisibleTo(m_panel));
    } else {
        QVERIFY(!headsGrid()->isVisibleTo(m_panel));
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
    QCOMPARE(QDir::cleanPath(m_c->currentPath()), QDir::cleanPath(m_image));
    QVERIFY(waitForMap());
    QVERIFY(m_c->result().has_value());
}

void TestAttentionPanel::everyMethod()
{
    m_panel->showFile(m_image);
    textEdit()->setText(QStringLiteral("a red circle"));
    for (int method :
        {ExplainController::AttentionMethod, ExplainController::RolloutMethod, ExplainController::RelevanceMethod}) {
        methodCombo()->setCurrentIndex(method);
        QVERIFY2(waitForMap(), qPrintable(m_c->message()));
        checkShown(method);
        if (method == ExplainController::RelevanceMethod) {
            QVERIFY(textEdit()->isVisibleTo(m_panel));
            QVERIFY(textEdit()->height() > 0);
            QVERIFY(m_c->result()->similarity > -1.0 && m_c->result()->similarity < 1.0);
            QVERIFY(!m_c->result()->tokens.empty());
            // The map is a function of the text: "a red circle" and "a blue square" differ.
            const std::vector<float> red = m_c->currentMap();
            textEdit()->setText(QStringLiteral("a blue square"));
            QVERIFY(waitForMap());
            QVERIFY(maxAbsDiff(red, m_c->currentMap()) > 0.0);
            textEdit()->setText(QStringLiteral("a red circle"));
            QVERIFY(waitForMap()); // from the cache
            QCOMPARE(maxAbsDiff(red, m_c->currentMap()), 0.0);
            shot(QStringLiteral("attention_relevance.png"));
        } else if (method == ExplainController::RolloutMethod) {
            const std::vector<float> plain = m_c->currentMap();
            child<QDoubleSpinBox>("attentionDiscard")->setValue(0.9);
            QVERIFY(waitForMap());
            checkShown(method);
            QVERIFY(maxAbsDiff(plain, m_c->currentMap()) > 0.0);
            shot(QStringLiteral("attention_rollout.png"));
            child<QDoubleSpinBox>("attentionDiscard")->setValue(0.0);
            QVERIFY(waitForMap());
        }
    }
}

void TestAttentionPanel::layerAndHead()
{
    m_panel->showFile(m_image);
    methodCombo()->setCurrentIndex(ExplainController::AttentionMethod);
    QVERIFY(waitForMap());
    const int layers = m_c->result()->layers;
    QVERIFY(layers > 1);
    QCOMPARE(layerSlider()->maximum(), layers - 1);
    QCOMPARE(layerSlider()->value(), layers - 1); // the last layer by default
    QCOMPARE(m_c->result()->layer, layers - 1);
    const std::vector<float> last = m_c->currentMap();
    layerSlider()->setValue(0);
    QVERIFY(waitForMap());
    QCOMPARE(m_c->result()->layer, 0);
    QVERIFY(maxAbsDiff(last, m_c->currentMap()) > 0.0);

    // One head: the map is that head's, from the same result; its thumbnail is current.
    const int heads = m_c->result()->heads;
    QCOMPARE(headCombo()->count(), ExplainController::FirstHead + heads);
    headCombo()->setCurrentIndex(ExplainController::FirstHead + heads - 1);
    QVERIFY(waitForMap());
    QCOMPARE(maxAbsDiff(m_c->result()->headMaps.back().values, m_c->currentMap()), 0.0);
    QCOMPARE(headsGrid()->current(), heads - 1);
    // Clicking the first thumbnail shows the first head.
    MapGrid *grid = headsGrid();
    QTest::mouseClick(grid, Qt::LeftButton, {}, grid->itemRect(0).center());
    QCOMPARE(headCombo()->currentIndex(), int(ExplainController::FirstHead));
    QVERIFY(waitForMap());
    QCOMPARE(maxAbsDiff(m_c->result()->headMaps.front().values, m_c->currentMap()), 0.0);
    QVERIFY(headCombo()->height() > 0); // a row shown again gets its height back
    shot(QStringLiteral("attention_heads.png"));
    headCombo()->setCurrentIndex(ExplainController::MeanHeads);
    layerSlider()->setValue(layers - 1);
    QVERIFY(waitForMap());
}

// The workspace: the picture large in the main view with the heads beside it (not below), the
// settings in a side panel that fits a 1366 x 768 screen (a ~640 px central area) unscrolled.
void TestAttentionPanel::workspaceLayout()
{
    auto *layout = m_panel->findChild<FeatureLayout *>(QStringLiteral("attentionLayout"));
    QVERIFY(layout);
    QVERIFY(layout->mainView()->isAncestorOf(heatmapView()));
    QVERIFY(layout->mainView()->isAncestorOf(headsGrid()));
    QVERIFY(layout->sidePanel()->isAncestorOf(methodCombo()));
    QVERIFY(layout->sidePanel()->isAncestorOf(textEdit()));
    QVERIFY(layout->sidePanel()->isAncestorOf(layerSlider()));
    QVERIFY(layout->sidePanel()->isAncestorOf(m_panel->modelPicker()));
    for (int method :
        {ExplainController::AttentionMethod, ExplainController::RolloutMethod, ExplainController::RelevanceMethod}) {
        m_c->setMethod(method);
        QVERIFY2(layout->sidePanel()->sizeHint().height() <= 640,
            qPrintable(QString::number(layout->sidePanel()->sizeHint().height())));
    }
    m_c->setMethod(ExplainController::AttentionMethod);
    m_panel->showFile(m_image);
    QVERIFY(waitForMap());
    QVERIFY(headsGrid()->isVisibleTo(m_panel));
    const QRect view(heatmapView()->mapTo(m_panel, QPoint()), heatmapView()->size());
    const QRect grid(headsGrid()->mapTo(m_panel, QPoint()), headsGrid()->size());
    QVERIFY(grid.left() >= view.right()); // beside the picture
    QVERIFY(grid.top() < view.bottom());
    // No Preview needed: a video has a time slider of its own in the main view.
    auto *time = child<QSlider>("attentionTime");
    QVERIFY(layout->mainView()->isAncestorOf(time));
    QVERIFY(!time->isVisibleTo(m_panel)); // a picture has no time
}

void TestAttentionPanel::clickingAPatchMakesItTheQuery()
{
    m_panel->showFile(m_image);
    methodCombo()->setCurrentIndex(ExplainController::RolloutMethod);
    QVERIFY(waitForMap());
    const std::vector<float> fromCls = [&] {
        m_c->setQueryToken(0); // back to raw attention from CLS
        return waitForMap() ? m_c->currentMap() : std::vector<float> {};
    }();
    QCOMPARE(methodCombo()->currentIndex(), int(ExplainController::AttentionMethod));
    QVERIFY(!fromCls.empty());
    HeatmapView *view = heatmapView();
    const int gridW = m_c->result()->gridW;
    QTest::mouseClick(view, Qt::LeftButton, {}, view->patchCentre(1, 2));
    QCOMPARE(m_c->form().query, 1 + 1 * gridW + 2);
    QVERIFY(waitForMap());
    QVERIFY(maxAbsDiff(fromCls, m_c->currentMap()) > 1e-6);
    // From rollout, a click switches to raw attention from that patch.
    methodCombo()->setCurrentIndex(ExplainController::RolloutMethod);
    QVERIFY(waitForMap());
    QTest::mouseClick(view, Qt::LeftButton, {}, view->patchCentre(0, 0));
    QCOMPARE(methodCombo()->currentIndex(), int(ExplainController::AttentionMethod));
    QCOMPARE(m_c->form().query, 1);
    QVERIFY(waitForMap());
    shot(QStringLiteral("attention_query.png"));
    m_c->setQueryToken(0);
    QVERIFY(waitForMap());
}

void TestAttentionPanel::oneMapPerWord()
{
    m_panel->showFile(m_image);
    methodCombo()->setCurrentIndex(ExplainController::RelevanceMethod);
    textEdit()->setText(QStringLiteral("red circle"));
    QVERIFY(waitForMap());
    MapGrid *words = wordsGrid();
    QVERIFY(words->isVisibleTo(m_panel));
    QCOMPARE(words->count(), 3); // the whole text, then each word
    QCOMPARE(words->labels().mid(1), QStringList({QStringLiteral("“red”"), QStringLiteral("“circle”")}));
    const auto &wordMaps = m_c->result()->wordMaps;
    QCOMPARE(wordMaps.size(), std::size_t(2));
    QTest::mouseClick(words, Qt::LeftButton, {}, words->itemRect(2).center());
    QCOMPARE(words->current(), 2);
    QCOMPARE(maxAbsDiff(wordMaps[1].values, m_c->currentMap()), 0.0);
    QCOMPARE(m_c->currentMapLabel(), QStringLiteral("circle"));
    QTest::mouseClick(words, Qt::LeftButton, {}, words->itemRect(0).center());
    QCOMPARE(maxAbsDiff(m_c->result()->map, m_c->currentMap()), 0.0);
    // One word: no per-word maps.
    textEdit()->setText(QStringLiteral("circle"));
    QVERIFY(waitForMap());
    QCOMPARE(words->count(), 0);
    QVERIFY(!words->isVisibleTo(m_panel));
}

void TestAttentionPanel::exports()
{
    m_panel->showFile(m_image);
    methodCombo()->setCurrentIndex(ExplainController::RolloutMethod);
    QVERIFY(waitForMap());
    const QString png = m_tmp->path() + QStringLiteral("/overlay.png");
    const QString map = m_tmp->path() + QStringLiteral("/map.safetensors");
    QVERIFY2(m_c->exportOverlay(png), qPrintable(m_c->message()));
    // Says what went where.
    QVERIFY(!m_c->messageIsError());
    QVERIFY2(m_c->message().contains(QDir::toNativeSeparators(png)), qPrintable(m_c->message()));
    QVERIFY2(m_c->exportRawMap(map), qPrintable(m_c->message()));
    QVERIFY(!m_c->messageIsError());
    QVERIFY2(m_c->message().contains(QDir::toNativeSeparators(map)), qPrintable(m_c->message()));
    const QImage written(png);
    QVERIFY(!written.isNull());
    QVERIFY(written.width() >= m_c->result()->imageSize && written.width() == written.height());

    const auto file = ml::io::SafetensorsFile::open(map.toStdString());
    QVERIFY(file->contains("map"));
    const auto &r = *m_c->result();
    QCOMPARE(file->info("map").dtype, std::string("F32"));
    QCOMPARE(file->info("map").shape, (std::vector<std::int64_t> {r.gridH, r.gridW}));
    const torch::Tensor t = file->tensor("map").contiguous();
    const std::vector<float> values(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    QCOMPARE(maxAbsDiff(values, m_c->currentMap()), 0.0); // raw, unscaled
    QCOMPARE(file->metadata().at("method"), std::string("rollout"));

    // A folder that does not exist: a message, no crash.
    QVERIFY(!m_c->exportRawMap(m_tmp->path() + QStringLiteral("/no/such/dir/map.safetensors")));
    QVERIFY(m_c->messageIsError());
    QVERIFY(m_c->message().contains(QStringLiteral("map.safetensors")));
    QVERIFY(!m_c->exportOverlay(m_tmp->path() + QStringLiteral("/no/such/dir/overlay.png")));
}

// A file that cannot be explained after one that could: the error, and nothing of the last
// picture or its map under the new name (the gallery filtered down to a corrupt file did that).
void TestAttentionPanel::failureClearsTheView()
{
    QVERIFY(m_c->result().has_value()); // the red circle's map, from exports()
    const QString corrupt = m_tmp->path() + QStringLiteral("/corrupt.jpg");
    QFile file(corrupt);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("hello, I am not a JPEG\n");
    file.close();

    m_panel->showFile(corrupt);
    m_c->recompute(); // submitted now: the view is already empty while it runs
    QVERIFY(!m_c->result().has_value());
    QVERIFY(heatmapView()->image().isNull());
    QVERIFY(m_c->currentMap().empty());
    QTRY_VERIFY_WITH_TIMEOUT(m_c->messageIsError() && !m_c->isBusy(), kJobTimeoutMs);
    QVERIFY2(m_c->message().contains(QStringLiteral("corrupt.jpg")), qPrintable(m_c->message()));
    QVERIFY2(m_c->message().contains(QStringLiteral("not a decodable image")), qPrintable(m_c->message()));
    QVERIFY(!m_c->result().has_value());
    QVERIFY(m_c->currentMap().empty());
    QVERIFY(heatmapView()->image().isNull());
    QVERIFY(child<QLabel>("attentionInfo")->text().isEmpty());
    QVERIFY(!headsGrid()->isVisibleTo(m_panel));
    QCOMPARE(m_panel->findChild<QLabel *>(QStringLiteral("attentionTitle"))->text(), QStringLiteral("corrupt.jpg"));
    QVERIFY(!m_c->exportOverlay(m_tmp->path() + QStringLiteral("/stale.png"))); // nothing to export
    QVERIFY(!QFileInfo::exists(m_tmp->path() + QStringLiteral("/stale.png")));

    // Back to the red circle: its map again, the error gone.
    m_panel->showFile(m_image);
    QVERIFY2(waitForMap(), qPrintable(m_c->message()));
    checkShown(ExplainController::RolloutMethod);
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
    methodCombo()->setCurrentIndex(ExplainController::RolloutMethod);
    m_panel->showFile(clip);
    QVERIFY2(waitForMap(), qPrintable(m_c->message()));
    checkShown(ExplainController::RolloutMethod);
    const std::vector<std::uint8_t> first = m_c->result()->inputRgb;
    const std::vector<float> firstMap = m_c->currentMap();
    m_panel->setVideoTime(clip, 1.5);
    QVERIFY2(waitForMap(), qPrintable(m_c->message()));
    QVERIFY(m_c->result()->inputRgb != first); // the square's frame
    QVERIFY(maxAbsDiff(firstMap, m_c->currentMap()) > 0.0);
    // The main view's own time slider: back to the red circle's frame.
    auto *time = child<QSlider>("attentionTime");
    QVERIFY(time->isVisibleTo(m_panel));
    QTRY_VERIFY_WITH_TIMEOUT(time->maximum() >= 19, kJobTimeoutMs); // the clip's length, 2 s in tenths
    time->setValue(5);
    QCOMPARE(m_c->videoTime(), 0.5);
    QVERIFY2(waitForMap(), qPrintable(m_c->message()));
    QCOMPARE(m_c->result()->inputRgb, first);
    m_panel->setVideoTime(m_image, 0.5); // not the shown video: ignored
    QVERIFY(!m_c->isBusy());
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
    textEdit()->setText(QStringLiteral("an astronaut in space"));
    for (int method :
        {ExplainController::AttentionMethod, ExplainController::RolloutMethod, ExplainController::RelevanceMethod}) {
        methodCombo()->setCurrentIndex(method);
        QVERIFY2(waitForMap(), qPrintable(m_c->message()));
        checkShown(method);
        QCOMPARE(QString::fromStdString(m_c->result()->modelName), QStringLiteral("clip-golden"));
    }
    QCOMPARE(wordsGrid()->count(), 5);
}

QTEST_MAIN(TestAttentionPanel)
#include "test_attention_panel.moc"
