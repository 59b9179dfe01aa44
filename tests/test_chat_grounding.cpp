// Per-word grounding in the Chat panel, offscreen, with a LLaVA folder made from the golden fixture
// (random weights: gibberish answers, but real ones): the picker lists LLaVA beside BLIP-2; after
// an answer the grounding arrives by itself; hovering a word (sentence view or transcript) and the
// method switch change the map on the picture; painting over the picture and Re-ask give a
// second answer shown beside the first, as does hiding a word's top patches; a new question
// cancels a running grounding; clicking a word of an earlier answer grounds that one; exports
// write a PNG and safetensors. Also the crop-to-picture mask mapping and the picker's choice.
// Env: MODALLENS_SHOTS_DIR=DIR writes grounding_*.png there.
#include "chat/chat_controller.h"
#include "chat/chat_grounding_view.h"
#include "chat/chat_panel.h"
#include "chat/chat_transcript.h"
#include "chat/chat_view.h"
#include "chat/grounding_controller.h"
#include "chat/probe_canvas.h"
#include "chat/word_strip.h"
#include "chat_panel_test_util.h"
#include "common/model_picker.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "shapes_test_util.h"

#include "engine/model_discovery.h"
#include "io/media.h"

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace fs = std::filesystem;

namespace {

constexpr int kJobTimeoutMs = 180000;
const fs::path kFixtures = MODALLENS_FIXTURES_DIR;

bool haveFixtures()
{
    return fs::is_regular_file(kFixtures / "llava" / "model.safetensors")
        && fs::is_regular_file(kFixtures / "tokenizers" / "llama" / "tokenizer.model");
}

// The golden LLaVA (2 LLaMA layers of width 16, a 3-layer CLIP tower on a 7 x 7 grid) as a model
// folder the app can pick: the fixture's files and a llava-hf style tokenizer_config.json.
void makeLlavaFolder(const fs::path &dir)
{
    fs::create_directories(dir);
    for (const char *f : {"config.json", "model.safetensors", "preprocessor_config.json", "generation_config.json"})
        fs::copy_file(kFixtures / "llava" / f, dir / f, fs::copy_options::overwrite_existing);
    fs::copy_file(kFixtures / "tokenizers" / "llama" / "tokenizer.model", dir / "tokenizer.model",
        fs::copy_options::overwrite_existing);
    const auto special = [](const char *content) {
        return nlohmann::json {{"content", content}, {"lstrip", false}, {"normalized", false}, {"rstrip", false},
            {"single_word", false}, {"special", true}};
    };
    const nlohmann::json config = {{"legacy", true}, {"add_bos_token", true}, {"add_eos_token", false},
        {"bos_token", "<s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "<pad>"},
        {"tokenizer_class", "LlamaTokenizer"},
        {"added_tokens_decoder",
            {{"0", special("<unk>")}, {"1", special("<s>")}, {"2", special("</s>")}, {"32000", special("<image>")},
                {"32001", special("<pad>")}}}};
    std::ofstream(dir / "tokenizer_config.json") << config.dump(2);
}

ml::ModelEntry entry(const char *name, ml::ModelFamily kind, const char *source)
{
    ml::ModelEntry e;
    e.name = name;
    e.path = std::string("/models/") + name;
    e.kind = kind;
    e.family = ml::familyName(kind);
    e.source = source;
    return e;
}

} // namespace

class TestChatGrounding : public ChatPanelTestBase {
    Q_OBJECT

public:
    TestChatGrounding() : ChatPanelTestBase(kJobTimeoutMs) { }

private Q_SLOTS:
    void pictureMask();
    void pickerFamilies();
    void initTestCase();
    void cleanupTestCase();
    void answerIsGrounded();
    void hoverAndMethod();
    void paintAndReask();
    void topPatchesAndReask();
    void exports();
    void newQuestionCancels();

private:
    bool waitGrounding();

    GroundingController *m_g = nullptr;
    QString m_llava;
    QString m_image;
};

void TestChatGrounding::pictureMask()
{
    // A 4 x 4 crop whose top-left cell is hidden, carried onto an 8 x 4 picture: the short side
    // becomes 4, the long one 8, the crop starts 2 columns in.
    QImage crop(4, 4, QImage::Format_Grayscale8);
    crop.fill(0);
    crop.setPixel(0, 0, qRgb(255, 255, 255));
    const auto wide = GroundingController::pictureMask(crop, 8, 4);
    QCOMPARE(wide.size(), std::size_t(32));
    for (int i = 0; i < 32; ++i)
        QCOMPARE(wide[static_cast<std::size_t>(i)], std::uint8_t(i == 2 ? 255 : 0));
    // Twice the size, upright (4 x 8): rows 2.. carry the crop, each crop pixel a 1 x 1 block.
    const auto tall = GroundingController::pictureMask(crop, 4, 8);
    for (int i = 0; i < 32; ++i)
        QCOMPARE(tall[static_cast<std::size_t>(i)], std::uint8_t(i == 2 * 4 ? 255 : 0));
    // A bigger picture than the crop: the block grows with it.
    const auto big = GroundingController::pictureMask(crop, 16, 8);
    int hidden = 0;
    for (std::uint8_t v : big)
        hidden += v ? 1 : 0;
    QCOMPARE(hidden, 4);
    QCOMPARE(big[4], std::uint8_t(255));
}

void TestChatGrounding::pickerFamilies()
{
    using ml::ModelFamily;
    const QString chat = QStringLiteral("llava,blip-2");
    std::vector<ml::ModelEntry> entries {entry("blip2-mini", ModelFamily::Blip2, "embedded"),
        entry("clip-mini", ModelFamily::Clip, "embedded"), entry("llava-mini", ModelFamily::Llava, "embedded"),
        entry("my-llava", ModelFamily::Llava, "user")};
    QVERIFY(ModelPicker::isUsable(entries[0], chat));
    QVERIFY(ModelPicker::isUsable(entries[3], chat));
    QVERIFY(!ModelPicker::isUsable(entries[1], chat));
    QVERIFY(!ModelPicker::isUsable(entries[0], QStringLiteral("llava")));
    QCOMPARE(ModelPicker::embeddedDefault(QStringLiteral("llava")), QStringLiteral("llava-mini"));
    QCOMPARE(ModelPicker::embeddedDefault(QStringLiteral("blip-2")), QStringLiteral("blip2-mini"));
    QCOMPARE(ModelPicker::chooseEntry(entries, chat, {}, {}), 2);                                   // llava-mini
    QCOMPARE(ModelPicker::chooseEntry(entries, chat, QStringLiteral("/models/blip2-mini"), {}), 0); // remembered
    QCOMPARE(ModelPicker::chooseEntry(entries, QStringLiteral("blip-2"), {}, {}), 0);
    entries.erase(entries.begin() + 2);                                 // no llava-mini
    QCOMPARE(ModelPicker::chooseEntry(entries, chat, {}, {}), 0);       // blip2-mini
    QCOMPARE(ModelPicker::chooseEntry({entries[2]}, chat, {}, {}), 0);  // the first usable
    QCOMPARE(ModelPicker::chooseEntry({entries[1]}, chat, {}, {}), -1); // CLIP only
}

void TestChatGrounding::initTestCase()
{
    if (!haveFixtures())
        QSKIP("the LLaVA and LLaMA tokenizer fixtures are not in MODALLENS_FIXTURES_DIR");
#ifndef MODALLENS_HAVE_SENTENCEPIECE
    QSKIP("this build has no SentencePiece: the LLaMA tokenizer cannot load");
#endif
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_chat_grounding"));
    QDir(ChatController::conversationsDir()).removeRecursively();
    m_llava = m_tmp->path() + QStringLiteral("/models/llava-golden");
    makeLlavaFolder(m_llava.toStdString());
    using namespace ml::train;
    m_image = m_tmp->path() + QStringLiteral("/red-circle.png");
    ml::io::saveImage(
        shapes_test::render(shapes_test::object(Shape::Circle, Colour::Red, 20, 22, 22)), m_image.toStdString());

    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1366, 768));
    QVERIFY(m_window);
    at::set_num_threads(1); // the engine takes every core; see test_training_panel
    m_panel = m_window->chatPanel();
    m_c = m_panel->controller();
    m_g = m_panel->grounding();
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());

    // The Chat picker lists LLaVA folders beside BLIP-2 ones.
    ModelPicker *picker = m_panel->modelPicker();
    picker->addFolder(QFileInfo(m_llava).absolutePath());
    QTRY_VERIFY_WITH_TIMEOUT(!picker->isRefreshing() && picker->selectPath(m_llava), kJobTimeoutMs);
    QCOMPARE(picker->currentEntry()->kind, ml::ModelFamily::Llava);
    QCOMPARE(m_c->model(), m_llava);
    QVERIFY(m_panel->groundingView()->isVisible()); // a LLaVA is chosen

    m_panel->showFile(m_image);
    QTRY_VERIFY_WITH_TIMEOUT(!m_c->picture().isNull(), kJobTimeoutMs);
    ml::SamplingSettings s = m_c->sampling();
    s.greedy = true;
    s.maxNewTokens = 6;
    m_c->setSampling(s);
}

void TestChatGrounding::cleanupTestCase()
{
    m_window.reset();
}

bool TestChatGrounding::waitGrounding()
{
    return waitWhileBusy(m_g, [this] { return m_g->isBusy() || m_g->isProbing(); });
}

void TestChatGrounding::answerIsGrounded()
{
    send(QStringLiteral("what shape is the red object?"));
    QVERIFY(waitChat());
    QVERIFY2(!m_c->messageIsError(), qPrintable(m_c->message()));
    const ml::ChatResult &answer = *m_c->lastResult();
    QCOMPARE(answer.family, std::string("llava"));
    QVERIFY(!answer.tokens.empty());
    qInfo("golden LLaVA: what shape is the red object? -> %s", answer.text.c_str());
    // The grounding starts by itself and arrives with a map per token.
    QVERIFY(m_g->isBusy() || m_g->result());
    QVERIFY(waitGrounding());
    QVERIFY2(m_g->result().has_value(), qPrintable(m_g->message()));
    const ml::GroundingResult &g = *m_g->result();
    QCOMPARE(m_g->turn(), 0);
    QCOMPARE(g.tokens, static_cast<int>(answer.tokens.size()));
    QCOMPARE(g.gridH, answer.gridH);
    QCOMPARE(g.gridH * g.gridW, 49);
    QCOMPARE(g.chat.promptIds, answer.promptIds);
    QVERIFY(!g.relevancy.empty());
    QVERIFY(!g.words.empty());
    auto *strip = child<WordStrip>("chatGroundingWords");
    QCOMPARE(strip->count(), static_cast<int>(g.words.size()));
    auto *canvas = child<ProbeCanvas>("chatGroundingView");
    QCOMPARE(canvas->image().size(), QSize(g.imageSize, g.imageSize));
    // A word is shown at once: the one that leaned on the picture most.
    QVERIFY(m_g->selectedWord() >= 0);
    QCOMPARE(strip->current(), m_g->selectedWord());
    QCOMPARE(m_g->currentMap().size(), std::size_t(49));
    shot(QStringLiteral("grounding_answer.png"));
}

void TestChatGrounding::hoverAndMethod()
{
    QVERIFY(m_g->result());
    auto *strip = child<WordStrip>("chatGroundingWords");
    auto *canvas = child<ProbeCanvas>("chatGroundingView");
    child<QComboBox>("chatGroundingMethod")->setCurrentIndex(1); // relevancy
    QCOMPARE(m_g->method(), ml::GroundingMethod::Relevancy);

    // Hovering words of the sentence view: each shows its own map.
    const int words = m_g->wordCount();
    QList<QImage> shown;
    for (int w = 0; w < words; ++w) {
        QTest::mouseMove(strip, strip->wordRect(w).center());
        QTRY_COMPARE(m_g->hoveredWord(), w);
        QCOMPARE(m_g->shownWord(), w);
        QCOMPARE(m_g->currentMap(), m_g->wordMap(w));
        shown << canvas->composed();
    }
    bool differ = words < 2;
    for (int w = 1; w < words; ++w)
        differ |= shown[w] != shown[0];
    QVERIFY2(differ, "every word shows the same picture");
    // Leaving the sentence: the clicked word again.
    QTest::mouseClick(strip, Qt::LeftButton, {}, strip->wordRect(words - 1).center());
    QCOMPARE(m_g->selectedWord(), words - 1);
    QTest::mouseMove(child<QLineEdit>("chatQuestion"));
    QTRY_COMPARE(m_g->hoveredWord(), -1);
    QCOMPARE(m_g->shownWord(), words - 1);

    // Hovering a word in the transcript does the same.
    ChatTranscript *transcript = m_panel->view()->transcript();
    int token = 0; // the first drawn (a token of a partial UTF-8 character adds no text)
    while (token < m_g->result()->tokens && !transcript->tokenRect(0, token).isValid())
        ++token;
    QVERIFY(token < m_g->result()->tokens);
    const int word = m_g->wordOfToken(token);
    QTest::mouseMove(transcript->viewport(), transcript->tokenRect(0, token).center());
    QTRY_COMPARE(m_g->hoveredWord(), word);
    QCOMPARE(m_g->currentMap(), m_g->wordMap(word));

    // The method switch changes the map (and the layer choice applies to attention only).
    const std::vector<float> relevancy = m_g->currentMap();
    const QImage relevancyImage = canvas->composed();
    auto *layer = child<QComboBox>("chatGroundingLayer");
    QVERIFY(!layer->isEnabled());
    child<QComboBox>("chatGroundingMethod")->setCurrentIndex(0);
    QCOMPARE(m_g->method(), ml::GroundingMethod::Attention);
    QVERIFY(m_g->currentMap() != relevancy);
    QVERIFY(canvas->composed() != relevancyImage);
    QVERIFY(layer->isEnabled());
    QCOMPARE(layer->count(), m_g->layers() + 1);
    const std::vector<float> allLayers = m_g->currentMap();
    layer->setCurrentIndex(1);
    QCOMPARE(m_g->layer(), 0);
    QVERIFY(m_g->currentMap() != allLayers);
    layer->setCurrentIndex(0);
    child<QComboBox>("chatGroundingMethod")->setCurrentIndex(2);
    QCOMPARE(m_g->method(), ml::GroundingMethod::Corrected);
    QCOMPARE(m_g->currentMap().size(), std::size_t(49));
    child<QComboBox>("chatGroundingMethod")->setCurrentIndex(1);
    // Opacity redraws the same map.
    const QImage before = canvas->composed();
    child<QSlider>("chatGroundingOpacity")->setValue(m_g->opacity() == 90 ? 30 : 90);
    QVERIFY(canvas->composed() != before);
    shot(QStringLiteral("grounding_hover.png"));
}

void TestChatGrounding::paintAndReask()
{
    QVERIFY(m_g->result());
    auto *canvas = child<ProbeCanvas>("chatGroundingView");
    auto *ask = child<QPushButton>("chatProbeAsk");
    QVERIFY(!ask->isEnabled()); // nothing hidden yet
    QTest::mouseClick(child<QPushButton>("chatProbePaint"), Qt::LeftButton);
    QVERIFY(m_g->paintMode());
    QVERIFY(canvas->paintMode());
    // Over the circle (the picture's left half): a drag paints, as a user would.
    QTest::mousePress(canvas, Qt::LeftButton, {}, canvas->widgetPoint({0.25, 0.3}));
    QTest::mouseMove(canvas, canvas->widgetPoint({0.3, 0.45}));
    QTest::mouseMove(canvas, canvas->widgetPoint({0.35, 0.6}));
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, canvas->widgetPoint({0.35, 0.6}));
    QVERIFY(m_g->hasMask());
    const std::vector<int> hidden = m_g->hiddenPatches();
    QVERIFY(!hidden.empty());
    QVERIFY(hidden.size() < 49);
    QVERIFY(ask->isEnabled());
    QVERIFY(child<QPushButton>("chatProbeClear")->isEnabled());

    QTest::mouseClick(ask, Qt::LeftButton);
    QVERIFY2(m_g->isProbing(), qPrintable(m_g->message()));
    QVERIFY(waitGrounding());
    QVERIFY2(m_g->hasProbe(), qPrintable(m_g->message()));
    QCOMPARE(m_g->probeHidden(), static_cast<int>(hidden.size()));
    QVERIFY(!m_g->probeTokens().empty());
    auto *compare = child<QTextBrowser>("chatProbeCompare");
    QVERIFY(compare->isVisible());
    const QString text = compare->toPlainText().simplified();
    QVERIFY2(text.contains(QStringLiteral("%")), qPrintable(text));
    for (const ml::GroundedWord &w : ml::groupWords(m_g->probeTokens()))
        QVERIFY2(text.contains(QString::fromStdString(w.text).simplified()), qPrintable(text));
    for (const ml::GroundedWord &w : m_g->result()->words)
        QVERIFY2(text.contains(QString::fromStdString(w.text).simplified()), qPrintable(text));
    // The conversation is not changed by the probe.
    QCOMPARE(m_c->conversation().turns.size(), std::size_t(1));
    shot(QStringLiteral("grounding_probe.png"));

    QTest::mouseClick(child<QPushButton>("chatProbeClear"), Qt::LeftButton);
    QVERIFY(!m_g->hasMask());
    QTest::mouseClick(child<QPushButton>("chatProbePaint"), Qt::LeftButton);
    QVERIFY(!m_g->paintMode());
}

void TestChatGrounding::topPatchesAndReask()
{
    QVERIFY(m_g->result());
    m_g->selectWord(0);
    QTest::mouseClick(child<QPushButton>("chatProbeTop"), Qt::LeftButton);
    QCOMPARE(m_g->hiddenPatches().size(), std::size_t(5)); // 10 % of 49
    // They are the word's top patches: no other patch weighs more than the least of them.
    const std::vector<float> map = m_g->wordMap(0);
    const std::vector<int> hidden = m_g->hiddenPatches();
    float lowestHidden = map[static_cast<std::size_t>(hidden.front())];
    for (int p : hidden)
        lowestHidden = std::min(lowestHidden, map[static_cast<std::size_t>(p)]);
    int above = 0;
    for (float v : map)
        above += v > lowestHidden ? 1 : 0;
    QVERIFY(above <= 4);
    QTest::mouseClick(child<QPushButton>("chatProbeAsk"), Qt::LeftButton);
    QVERIFY(waitGrounding());
    QVERIFY2(m_g->hasProbe(), qPrintable(m_g->message()));
    QCOMPARE(m_g->probeHidden(), 5);
    m_g->clearMask();
}

void TestChatGrounding::exports()
{
    QVERIFY(m_g->result());
    m_g->selectWord(0);
    const QString png = m_tmp->path() + QStringLiteral("/word.png");
    QVERIFY2(m_g->exportOverlay(png), qPrintable(m_g->message()));
    const QImage image(png);
    QVERIFY(image.width() >= 448 && image.width() == image.height());
    const QString maps = m_tmp->path() + QStringLiteral("/maps.safetensors");
    QVERIFY2(m_g->exportMaps(maps), qPrintable(m_g->message()));
    QFile f(maps);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    quint64 headerSize = 0;
    std::memcpy(&headerSize, bytes.constData(), 8);
    const auto header = nlohmann::json::parse(bytes.mid(8, static_cast<int>(headerSize)).toStdString());
    const int words = m_g->wordCount();
    QVERIFY(header["word_maps"]["shape"] == nlohmann::json::array({words, 7, 7}));
    QVERIFY(header["word_image_share"]["shape"] == nlohmann::json::array({words}));
    QCOMPARE(header["__metadata__"]["method"].get<std::string>(), std::string("relevancy"));
    QCOMPARE(header["__metadata__"]["question"].get<std::string>(), std::string("what shape is the red object?"));
    QCOMPARE(nlohmann::json::parse(header["__metadata__"]["words"].get<std::string>()).size(),
        static_cast<std::size_t>(words));
}

void TestChatGrounding::newQuestionCancels()
{
    // A new question while the last answer is being grounded: the grounding is cancelled; the new
    // answer is grounded in turn.
    QVERIFY(m_g->groundTurn(0));
    QVERIFY(m_g->isBusy());
    send(QStringLiteral("and its colour?"));
    QVERIFY(!m_g->isBusy());
    QVERIFY(waitChat());
    QVERIFY(waitGrounding());
    QVERIFY2(m_g->result().has_value(), qPrintable(m_g->message()));
    QCOMPARE(m_g->turn(), 1);
    // Clicking a word of the first answer grounds that one (its question formatted again).
    ChatTranscript *transcript = m_panel->view()->transcript();
    int token = 0;
    while (token < static_cast<int>(m_c->conversation().turns[0].tokens.size())
        && !transcript->tokenRect(0, token).isValid())
        ++token;
    QVERIFY(transcript->tokenRect(0, token).isValid());
    QTest::mouseClick(transcript->viewport(), Qt::LeftButton, {}, transcript->tokenRect(0, token).center());
    QVERIFY(m_g->isBusy());
    QVERIFY(waitGrounding());
    QVERIFY2(m_g->result().has_value(), qPrintable(m_g->message()));
    QCOMPARE(m_g->turn(), 0);
    QCOMPARE(m_g->selectedWord(), m_g->wordOfToken(token));
    QCOMPARE(m_g->result()->tokens, static_cast<int>(m_c->conversation().turns[0].tokens.size()));
    // A new conversation drops the grounding.
    QTest::mouseClick(child<QPushButton>("chatNew"), Qt::LeftButton);
    QVERIFY(!m_g->result());
    QCOMPARE(child<WordStrip>("chatGroundingWords")->count(), 0);
}

QTEST_MAIN(TestChatGrounding)
#include "test_chat_grounding.moc"
