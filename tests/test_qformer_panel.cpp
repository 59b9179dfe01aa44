// The Q-Former panel, offscreen, with the embedded blip2-mini: for the gallery's current picture
// every learnt query gets a map (non-uniform, different from the next query's), drawn small and,
// clicked, large over the picture; a layer or a head changes the maps; the similarity matrix is
// Q x Q with ones on its diagonal; after an answer in Chat the ablation bars appear (one per
// query, sorted; a click shows that query) and each answer word maps through the queries onto the
// patches; the side panel fits 640 px. Without blip2-mini, the maps are checked on the golden
// fixture's BLIP-2.
// Env: MODALLENS_SHOTS_DIR=DIR writes qformer_*.png there.
#include "chat/chat_controller.h"
#include "chat/chat_panel.h"
#include "common/heatmap_view.h"
#include "common/model_picker.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "qformer/qformer_controller.h"
#include "qformer/qformer_panel.h"
#include "qformer/qformer_settings_page.h"
#include "qformer/qformer_view.h"
#include "shapes_test_util.h"
#include "workspace.h"

#include "common/error.h"
#include "engine/model_discovery.h"
#include "io/media.h"

#include <ATen/Parallel.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace {

constexpr int kJobTimeoutMs = 120000;
const fs::path kFixtureDir = fs::path(MODALLENS_FIXTURES_DIR) / "blip2";

bool blip2MiniPresent()
{
    try {
        return fs::is_regular_file(fs::path(ml::resolveModelPath("blip2-mini")) / "model.safetensors");
    } catch (const ml::Error &) {
        return false;
    }
}

bool nonUniform(const std::vector<float> &map)
{
    if (map.empty())
        return false;
    const auto [lo, hi] = heatmap::range(map);
    return hi - lo > 1e-6f * std::max(1.0f, std::abs(hi));
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

class TestQFormerPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void sidePanelFits();
    void queryMaps();
    void layerAndHead();
    void similarityMatrix();
    void answerQueriesAndWords();

private:
    bool waitIdle(QFormerController *c);
    void shot(const QString &name);
    template<class T> T *child(const char *name) const
    {
        T *w = m_panel->findChild<T *>(QString::fromLatin1(name));
        if (!w)
            qFatal("no %s in the Q-Former panel", name);
        return w;
    }

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    QFormerPanel *m_panel = nullptr;
    QFormerController *m_c = nullptr;
    QString m_image;
    bool m_mini = false; // blip2-mini, else the golden fixture
};

void TestQFormerPanel::initTestCase()
{
    // blip2-mini; without it the golden fixture (a valid tiny BLIP-2 without a tokenizer: the maps
    // only, no chat).
    m_mini = blip2MiniPresent();
    const QString fixture = QString::fromStdString((kFixtureDir).string());
    if (!m_mini && !fs::is_regular_file(kFixtureDir / "model.safetensors"))
        QSKIP("neither blip2-mini nor the BLIP-2 golden fixture is here");
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_qformer_panel"));
    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1366, 768));
    QVERIFY(m_window);
    at::set_num_threads(1);
    m_panel = m_window->qformerPanel();
    QVERIFY(m_panel);
    m_c = m_panel->controller();
    QCOMPARE(m_panel->windowTitle(), QStringLiteral("Q-Former"));

    using namespace ml::train;
    m_image = m_tmp->path() + QStringLiteral("/red-circle.png");
    ml::io::saveImage(
        shapes_test::render(shapes_test::object(Shape::Circle, Colour::Red, 20, 22, 22)), m_image.toStdString());
    m_window->openPaths({m_image});
    GalleryWidget *gallery = m_window->gallery();
    QTRY_VERIFY_WITH_TIMEOUT(gallery->model()->rowCount() > 0, kJobTimeoutMs);
    gallery->view()->setCurrentIndex(gallery->proxy()->mapFromSource(gallery->model()->index(0)));
    QCOMPARE(m_c->currentPath(), m_image);
    m_window->findChild<QAction *>(QStringLiteral("module_qformer"))->trigger();
    QCOMPARE(m_window->workspace()->currentModule(), m_panel);
    ModelPicker *picker = m_panel->modelPicker();
    if (!m_mini) {
        QTRY_VERIFY_WITH_TIMEOUT(!picker->isRefreshing(), kJobTimeoutMs);
        picker->addFolder(fixture);
        QTRY_VERIFY_WITH_TIMEOUT(!picker->isRefreshing(), kJobTimeoutMs);
        QVERIFY(picker->selectPath(fixture));
    }
    QTRY_VERIFY_WITH_TIMEOUT(!m_c->model().isEmpty(), kJobTimeoutMs);
    QVERIFY(waitIdle(m_c));
    QVERIFY2(!m_c->messageIsError(), qPrintable(m_c->message()));
    QVERIFY(m_c->result().has_value());
}

void TestQFormerPanel::cleanupTestCase()
{
    m_window.reset();
}

bool TestQFormerPanel::waitIdle(QFormerController *c)
{
    QElapsedTimer timer;
    timer.start();
    while (c->isBusy() && timer.elapsed() < kJobTimeoutMs)
        QTest::qWait(20);
    return !c->isBusy();
}

void TestQFormerPanel::shot(const QString &name)
{
    const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR");
    if (dir.isEmpty())
        return;
    QTest::qWait(100);
    QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + name));
}

void TestQFormerPanel::sidePanelFits()
{
    auto *side = m_panel->findChild<QFormerSettingsPage *>();
    QVERIFY(side);
    QVERIFY2(side->sizeHint().height() <= 640, qPrintable(QString::number(side->sizeHint().height())));
    if (m_mini)
        QCOMPARE(QFileInfo(m_panel->modelPicker()->currentPath()).fileName(), QStringLiteral("blip2-mini"));
}

void TestQFormerPanel::queryMaps()
{
    const ml::QFormerResult &r = *m_c->result();
    QVERIFY(r.queries >= 2);
    QVERIFY(r.gridH > 0 && r.gridW > 0);
    QCOMPARE(r.crossAttentions.size(), r.crossLayers.size() * r.heads * r.queries * r.patches);
    const auto first = m_c->queryMap(0);
    const auto second = m_c->queryMap(1);
    QCOMPARE(first.size(), static_cast<std::size_t>(r.gridH * r.gridW));
    for (int q = 0; q < r.queries; ++q)
        QVERIFY2(nonUniform(m_c->queryMap(q)), qPrintable(QString::number(q)));
    QVERIFY(maxAbsDiff(first, second) > 1e-6);

    auto *grid = child<MapGrid>("qformerQueries");
    QCOMPARE(grid->count(), r.queries);
    QCOMPARE(grid->labels().first(), QStringLiteral("Query 1"));
    auto *view = child<HeatmapView>("qformerView");
    QVERIFY(!view->image().isNull());
    QCOMPARE(view->gridH(), r.gridH);
    QVERIFY(view->composed() != view->image());
    QVERIFY(!child<ColourBar>("qformerColourBar")->maxText().isEmpty());
    // A click on the second query: it is shown large.
    QTest::mouseClick(grid, Qt::LeftButton, {}, grid->itemRect(1).center());
    QCOMPARE(m_c->selectedQuery(), 1);
    QCOMPARE(grid->current(), 1);
    QVERIFY(maxAbsDiff(m_c->largeMap(), second) < 1e-9);
    QVERIFY(child<QLabel>("qformerLabel")->text().startsWith(QStringLiteral("Query 2")));
    shot(QStringLiteral("qformer_queries.png"));
}

void TestQFormerPanel::layerAndHead()
{
    const ml::QFormerResult &r = *m_c->result();
    auto *layer = child<QComboBox>("qformerLayer");
    auto *heads = child<QComboBox>("qformerHeads");
    QCOMPARE(layer->count(), 1 + static_cast<int>(r.crossLayers.size()));
    QCOMPARE(heads->count(), 2 + r.heads);
    const auto mean = m_c->largeMap();
    heads->setCurrentIndex(QFormerController::MaxHeads);
    QVERIFY(maxAbsDiff(m_c->largeMap(), mean) > 1e-7);
    heads->setCurrentIndex(QFormerController::FirstHead);
    const auto head0 = m_c->largeMap();
    QCOMPARE(head0, ml::queryPatchMap(r, 1, -1, 0));
    if (r.crossLayers.size() > 1) {
        layer->setCurrentIndex(1);
        QCOMPARE(m_c->largeMap(), ml::queryPatchMap(r, 1, 0, 0));
    }
    layer->setCurrentIndex(0);
    heads->setCurrentIndex(QFormerController::MeanHeads);
    QVERIFY(maxAbsDiff(m_c->largeMap(), mean) < 1e-9);

    // Through the vision tower: the same query's map carried onto the input patches.
    auto *through = child<QCheckBox>("qformerThroughVision");
    QVERIFY(through->isEnabled());
    through->setChecked(true);
    QCOMPARE(m_c->largeMap(), ml::queryPatchMap(r, 1, -1, -1, "mean", ml::PatchSpace::ThroughVision));
    QVERIFY(maxAbsDiff(m_c->largeMap(), mean) > 1e-7);
    through->setChecked(false);
    QVERIFY(maxAbsDiff(m_c->largeMap(), mean) < 1e-9);
}

void TestQFormerPanel::similarityMatrix()
{
    const ml::QFormerResult &r = *m_c->result();
    auto *tabs = child<QTabWidget>("qformerTabs");
    tabs->setCurrentIndex(1);
    QFormerView *view = m_panel->view();
    QCOMPARE(view->similarityQueries(), r.queries);
    const auto cell = [view](int i, int j) { return view->similarityCell(i, j); };
    QCOMPARE(r.similarity.size(), static_cast<std::size_t>(r.queries * r.queries));
    for (int i = 0; i < r.queries; ++i) {
        QVERIFY2(std::abs(cell(i, i) - 1.0) < 1e-3, qPrintable(QString::number(cell(i, i))));
        for (int j = 0; j < r.queries; ++j) {
            QVERIFY(cell(i, j) <= 1.0 + 1e-3 && cell(i, j) >= -1.0 - 1e-3);
            QVERIFY(std::abs(cell(i, j) - cell(j, i)) < 1e-4);
        }
    }
    shot(QStringLiteral("qformer_similarity.png"));
}

void TestQFormerPanel::answerQueriesAndWords()
{
    if (!m_mini)
        QSKIP("the golden fixture has no tokenizer: chatting needs blip2-mini");
    // An answer in Chat about the same picture: the Q-Former panel measures which queries it used.
    ChatController *chat = m_window->chatPanel()->controller();
    ModelPicker *picker = m_window->chatPanel()->modelPicker();
    picker->ensureSearched(); // the Chat panel was never on screen
    QTRY_VERIFY_WITH_TIMEOUT(!chat->model().isEmpty() && !picker->isRefreshing(), kJobTimeoutMs);
    // Chat starts on llava-mini when it is there: the Q-Former inspects BLIP-2 answers.
    QVERIFY(picker->selectPath(QString::fromStdString(ml::resolveModelPath("blip2-mini"))));
    QCOMPARE(chat->imagePath(), m_image);
    ml::SamplingSettings s = chat->sampling();
    s.greedy = true;
    s.maxNewTokens = 8;
    chat->setSampling(s);
    QVERIFY(chat->send(QStringLiteral("what color is the circle?")));
    QElapsedTimer timer;
    timer.start();
    while (chat->isBusy() && timer.elapsed() < kJobTimeoutMs)
        QTest::qWait(20);
    QVERIFY2(!chat->messageIsError(), qPrintable(chat->message()));
    QVERIFY(chat->lastResult().has_value());
    QVERIFY(m_c->hasAnswer());
    QVERIFY(m_c->answerMatches());
    QVERIFY(waitIdle(m_c));
    QVERIFY2(!m_c->messageIsError(), qPrintable(m_c->message()));
    const ml::QFormerResult &r = *m_c->result();
    QVERIFY(m_c->ablation().has_value());
    QCOMPARE(m_c->ablation()->perQuery.size(), static_cast<std::size_t>(r.queries));

    auto *tabs = child<QTabWidget>("qformerTabs");
    tabs->setCurrentIndex(2);
    QFormerView *view = m_panel->view();
    QCOMPARE(view->ablationBars(), r.queries);
    const auto order = m_c->queriesByDrop();
    QCOMPARE(view->ablationOrder(), order);
    const auto &drops = m_c->ablation()->perQuery;
    for (std::size_t i = 1; i < order.size(); ++i)
        QVERIFY(drops[static_cast<std::size_t>(order[i - 1])] >= drops[static_cast<std::size_t>(order[i])]);
    QVERIFY(std::isfinite(m_c->ablation()->logProb) && m_c->ablation()->logProb <= 0.0);
    QTest::mouseClick(view->ablationWidget(), Qt::LeftButton, {}, view->ablationBarCentre(0));
    QCOMPARE(m_c->selectedQuery(), order[0]);
    QCOMPARE(m_c->large(), QFormerController::QueryMap);

    // The answer's words: each maps through the queries onto the patches.
    auto *words = child<QListWidget>("qformerWords");
    QCOMPARE(words->count(), static_cast<int>(chat->lastResult()->tokens.size()));
    QVERIFY(m_c->hasWordMaps());
    QVERIFY(words->isEnabled());
    words->setCurrentRow(0);
    QCOMPARE(m_c->large(), QFormerController::WordMap);
    QCOMPARE(m_c->selectedWord(), 0);
    QVERIFY(nonUniform(m_c->largeMap()));
    QCOMPARE(m_c->largeMap(), ml::wordQueryPatchMap(r, chat->lastResult()->imageAttention, 0, -1));
    QVERIFY(child<QLabel>("qformerLabel")->text().contains(QStringLiteral("→ queries → patches")));
    auto *lmLayer = child<QComboBox>("qformerLmLayer");
    QCOMPARE(lmLayer->count(), 1 + chat->lastResult()->imageAttention.layers);
    lmLayer->setCurrentIndex(1);
    QCOMPARE(m_c->largeMap(), ml::wordQueryPatchMap(r, chat->lastResult()->imageAttention, 0, 0));
    lmLayer->setCurrentIndex(0);
    qInfo("answer \"%s\"; top queries by ablation: %d %d %d", chat->lastResult()->text.c_str(), order[0] + 1,
        order.size() > 1 ? order[1] + 1 : 0, order.size() > 2 ? order[2] + 1 : 0);
    shot(QStringLiteral("qformer_answer.png"));

    // Another picture: the answer no longer applies; its picture is one click away.
    const int queries = r.queries; // r goes with the result
    using namespace ml::train;
    const QString other = m_tmp->path() + QStringLiteral("/blue-square.png");
    ml::io::saveImage(
        shapes_test::render(shapes_test::object(Shape::Square, Colour::Blue, 30, 30, 20)), other.toStdString());
    m_panel->showFile(other);
    QVERIFY(!m_c->answerMatches());
    QVERIFY(!child<QListWidget>("qformerWords")->isEnabled());
    QCOMPARE(m_panel->view()->ablationBars(), 0);
    QVERIFY(child<QWidget>("qformerAnswerPicture")->isVisibleTo(m_panel));
    QTest::mouseClick(child<QWidget>("qformerAnswerPicture"), Qt::LeftButton);
    QCOMPARE(m_c->currentPath(), m_image);
    QVERIFY(m_c->answerMatches());
    QVERIFY(waitIdle(m_c));
    QCOMPARE(m_panel->view()->ablationBars(), queries);
}

QTEST_MAIN(TestQFormerPanel)
#include "test_qformer_panel.moc"
