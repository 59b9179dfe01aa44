// BPE trainer: CLIP's file layout (checked against the real CLIP vocabulary), the merge order on
// a hand-counted corpus, determinism, and a tokenizer trained on Shapes World + Fashion-MNIST
// captions that ClipTokenizer loads and that round-trips text; the GPT-2 layout with OPT's
// conventions that Gpt2Tokenizer loads (the blip2-mini vocabulary).
#include "common/error.h"
#include "text/clip_tokenizer.h"
#include "text/gpt2_tokenizer.h"
#include "train/bpe_trainer.h"
#include "train/fashion_mnist.h"
#include "train/shapes_world.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

using namespace ml::train;
namespace fs = std::filesystem;

Q_DECLARE_METATYPE(std::string)

namespace {

const fs::path kClipFixture = fs::path(MODALLENS_FIXTURES_DIR) / "tokenizers" / "clip";

std::string readAll(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<std::string> captionCorpus()
{
    std::vector<std::string> corpus;
    const ShapesWorld world(2024);
    for (std::uint64_t i = 0; i < 2000; ++i) {
        const ShapesSample s = world.sample(i);
        corpus.push_back(s.caption.text);
        for (const QuestionAnswer &qa : s.questions)
            corpus.push_back(qa.question + " " + qa.answer);
    }
    for (int label = 0; label < FashionMnist::kClassCount; ++label)
        for (std::size_t t = 0; t < FashionMnist::captionTemplates().size(); ++t)
            for (int repeat = 0; repeat < 20; ++repeat) // as often as a 2,400-image sample would say it
                corpus.push_back(FashionMnist::caption(label, t));
    return corpus;
}

} // namespace

class TestBpeTrainer : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    fs::path m_trained;
    BpeModel m_model;

    fs::path path(const QString &name) const { return fs::path(m_tmp.filePath(name).toStdString()); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        BpeTrainer trainer({1000, 2});
        trainer.add(captionCorpus());
        m_model = trainer.train();
        m_trained = path("trained");
        m_model.save(m_trained);
        qInfo("%zu distinct words, %zu merges, vocabulary %zu", trainer.distinctWords(), m_model.merges.size(),
            m_model.vocab.size());
    }

    void mergeOrder()
    {
        // Sennrich et al.'s example, with CLIP's </w>: (e, s) and (s, t</w>) both occur 9 times;
        // the tie goes to the pair that sorts first.
        BpeTrainer trainer({514 + 4, 1});
        trainer.add("low low low low low lower lower");
        trainer.add("newest newest newest newest newest newest widest widest widest");
        const BpeModel model = trainer.train();
        QCOMPARE(model.merges.size(), std::size_t(4));
        QCOMPARE(model.merges[0], (std::pair<std::string, std::string> {"e", "s"}));
        QCOMPARE(model.merges[1], (std::pair<std::string, std::string> {"es", "t</w>"}));
        QCOMPARE(model.merges[2], (std::pair<std::string, std::string> {"l", "o"}));
        // (e, w), (n, e) and (w, est</w>): 6 each, more than (lo, w</w>): 5.
        QCOMPARE(model.merges[3], (std::pair<std::string, std::string> {"e", "w"}));
        QCOMPARE(model.vocab[512], std::string("es"));
        QCOMPARE(model.vocab[515], std::string("ew"));
        QCOMPARE(model.vocab[516], std::string("<|startoftext|>"));
        QCOMPARE(model.vocab[517], std::string("<|endoftext|>"));

        // minFrequency stops training before the vocabulary is full.
        BpeTrainer rare({2000, 2});
        rare.add("ab ab cd");
        const BpeModel few = rare.train();
        QCOMPARE(few.merges.size(), std::size_t(1));
        QCOMPARE(few.merges[0], (std::pair<std::string, std::string> {"a", "b</w>"}));
        QVERIFY_THROWS_EXCEPTION(ml::Error, BpeTrainer({513, 2}));
    }

    void clipLayout()
    {
        if (!fs::exists(kClipFixture / "vocab.json"))
            QSKIP("CLIP tokenizer fixture absent (../shared/fixtures/tokenizers/clip)");
        std::ifstream in(kClipFixture / "vocab.json");
        const nlohmann::json clip = nlohmann::json::parse(in);
        std::ifstream mine(m_trained / "vocab.json");
        const nlohmann::ordered_json ours = nlohmann::ordered_json::parse(mine);
        // The first 512 tokens and their ids are CLIP's own.
        std::int64_t id = 0;
        for (const auto &[token, value] : ours.items()) {
            QCOMPARE(value.get<std::int64_t>(), id);
            if (id < 512)
                QVERIFY2(clip.contains(token) && clip[token].get<std::int64_t>() == id, token.c_str());
            ++id;
        }
        QCOMPARE(static_cast<std::size_t>(id), m_model.vocab.size());
        QCOMPARE(ours.begin().key(), std::string("!"));
        // The files look like CLIP's: compact JSON, "#version: 0.2" then "left right" lines.
        const std::string vocabText = readAll(m_trained / "vocab.json");
        QVERIFY(vocabText.starts_with("{\"!\":0,\"\\\"\":1,\"#\":2,"));
        QVERIFY(vocabText.ends_with(
            "\"<|startoftext|>\":" + std::to_string(id - 2) + ",\"<|endoftext|>\":" + std::to_string(id - 1) + "}"));
        const std::string merges = readAll(m_trained / "merges.txt");
        QVERIFY(merges.starts_with("#version: 0.2\n"));
        QVERIFY(merges.ends_with("\n"));
        QCOMPARE(static_cast<std::size_t>(std::count(merges.begin(), merges.end(), '\n')), m_model.merges.size() + 1);
        std::set<std::string> vocab(m_model.vocab.begin(), m_model.vocab.end());
        QCOMPARE(vocab.size(), m_model.vocab.size());
        for (const auto &[left, right] : m_model.merges) {
            QVERIFY(vocab.count(left) && vocab.count(right) && vocab.count(left + right));
            QVERIFY(left.find("</w>") == std::string::npos);
        }
    }

    void trainedTokenizer()
    {
        QVERIFY(m_model.vocab.size() <= 1000);
        QVERIFY2(m_model.vocab.size() > 600, qPrintable(QString::number(m_model.vocab.size())));
        const auto tok = ml::text::ClipTokenizer::fromFolder(m_trained);
        QCOMPARE(tok.vocabSize(), m_model.vocab.size());
        QCOMPARE(tok.bosId(), static_cast<std::int64_t>(m_model.vocab.size() - 2));
        QCOMPARE(tok.eosId(), static_cast<std::int64_t>(m_model.vocab.size() - 1));
        for (const char *word : {"circle", "square", "triangle", "diamond", "red", "purple", "yellow", "small", "large",
                 "photo", "shapes", "sneaker", "ankle", "boot", "pullover", "center"})
            QCOMPARE(tok.tokenize(word), (std::vector<std::string> {std::string(word) + "</w>"}));
        QCOMPARE(tok.tokenize("A Red Circle on the left"),
            (std::vector<std::string> {"a</w>", "red</w>", "circle</w>", "on</w>", "the</w>", "left</w>"}));
        QCOMPARE(tok.tokenize("three shapes:").size(), std::size_t(3));
        const std::vector<std::int64_t> ids = tok.encode("a photo of an ankle boot");
        QCOMPARE(ids.size(), std::size_t(2 + 6));
        QCOMPARE(ids.front(), tok.bosId());
        QCOMPARE(ids.back(), tok.eosId());
    }

    void roundTrip_data()
    {
        QTest::addColumn<std::string>("text");
        QTest::addColumn<std::string>("expected");
        // CLIP's decode puts a space between pre-tokens that clean_up_tokenization does not
        // remove again (" :", " - "); the real CLIP tokenizer decodes the same way.
        QTest::newRow("caption") << std::string("two shapes: a red circle and a small blue square")
                                 << std::string("two shapes : a red circle and a small blue square");
        QTest::newRow("question") << std::string("what color is the triangle?")
                                  << std::string("what color is the triangle?");
        QTest::newRow("fashion") << std::string("a black and white picture of an ankle boot")
                                 << std::string("a black and white picture of an ankle boot");
        QTest::newRow("unseen words") << std::string("Zebra-striped Xylophones, quietly!")
                                      << std::string("zebra - striped xylophones, quietly!");
        QTest::newRow("unicode") << std::string("ein Würfel — 猫 🙂 café")
                                 << std::string("ein würfel — 猫 🙂 café");
        QTest::newRow("spaces") << std::string("  a   red\tsquare \n") << std::string("a red square");
    }

    void roundTrip()
    {
        QFETCH(std::string, text);
        QFETCH(std::string, expected);
        const auto tok = ml::text::ClipTokenizer::fromFolder(m_trained);
        QCOMPARE(tok.decode(tok.encode(text)), expected);
        if (fs::exists(kClipFixture / "vocab.json")) { // the same text as the real CLIP tokenizer gives
            const auto clip = ml::text::ClipTokenizer::fromFolder(kClipFixture);
            QCOMPARE(tok.decode(tok.encode(text)), clip.decode(clip.encode(text)));
        }
    }

    void corpusRoundTrips()
    {
        const auto tok = ml::text::ClipTokenizer::fromFolder(m_trained);
        std::optional<ml::text::ClipTokenizer> clip;
        if (fs::exists(kClipFixture / "vocab.json"))
            clip.emplace(ml::text::ClipTokenizer::fromFolder(kClipFixture));
        const auto withoutSpaces = [](std::string s) {
            s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
            return s;
        };
        std::size_t tokens = 0, words = 0;
        for (const std::string &caption : captionCorpus()) {
            const std::vector<std::int64_t> ids = tok.encode(caption);
            const std::string back = tok.decode(ids);
            // Lossless up to CLIP's spaces around punctuation ("shapes :", "t - shirt").
            QCOMPARE(withoutSpaces(back), withoutSpaces(caption));
            if (caption.find_first_of(":-") == std::string::npos)
                QCOMPARE(back, caption);
            if (clip)
                QCOMPARE(back, clip->decode(clip->encode(caption)));
            tokens += ids.size() - 2;
            words += static_cast<std::size_t>(std::count(caption.begin(), caption.end(), ' ') + 1);
        }
        // Whole words: only punctuation adds tokens (":", "?", "-").
        QVERIFY2(tokens < words * 1.2, qPrintable(QString("%1 tokens for %2 words").arg(tokens).arg(words)));
    }

    void gpt2Layout()
    {
        BpeTrainerOptions options;
        options.vocabSize = 400; // the corpus runs out of pairs at about 465
        options.format = BpeFormat::Gpt2;
        BpeTrainer trainer(options);
        for (const std::string &text : captionCorpus()) {
            trainer.add(text);
            trainer.add("Question: " + text + " Answer:");
        }
        const BpeModel model = trainer.train();
        QCOMPARE(model.vocab.size(), std::size_t(400));
        QCOMPARE(model.vocab[0], std::string("<s>"));
        QCOMPARE(model.vocab[1], std::string("<pad>"));
        QCOMPARE(model.vocab[2], std::string("</s>"));
        QCOMPARE(model.vocab[3], std::string("<unk>"));
        for (const std::string &token : model.vocab)
            QVERIFY2(token.find("</w>") == std::string::npos, token.c_str());
        const fs::path dir = path("gpt2");
        model.save(dir);
        writeOptTokenizerConfig(dir, 56);

        const auto tok = ml::text::Gpt2Tokenizer::fromFolder(dir);
        QCOMPARE(tok.vocabSize(), std::size_t(400));
        QCOMPARE(tok.bosId(), std::optional<std::int64_t>(2));
        QCOMPARE(tok.eosId(), std::optional<std::int64_t>(2));
        QCOMPARE(tok.padId(), std::optional<std::int64_t>(1));
        QCOMPARE(tok.options().modelMaxLength, std::optional<std::size_t>(56));
        const std::string prompt = "Question: what color is the circle? Answer:";
        const std::vector<std::int64_t> ids = tok.encode(prompt);
        QCOMPARE(ids.front(), std::int64_t {2}); // OPT's "</s>" prefix
        QCOMPARE(ids.size(), std::size_t(11));   // bos + whole words (a leading space each) and 3 marks
        QCOMPARE(tok.tokenize(" circle"), (std::vector<std::string> {"Ġcircle"}));
        QCOMPARE(tok.decode(ids), prompt);
        QCOMPARE(tok.decode(ids, false), "</s>" + prompt);
        // Unseen text falls back to bytes and still round-trips, case and all.
        const std::string odd = "Zebra-striped Xylophones, 猫 🙂!";
        QCOMPARE(tok.decode(tok.encode(odd)), odd);
    }

    void deterministic()
    {
        std::vector<std::string> corpus = captionCorpus();
        std::reverse(corpus.begin(), corpus.end()); // order does not matter, only counts
        BpeTrainer trainer({1000, 2});
        trainer.add(corpus);
        trainer.train().save(path("again"));
        QCOMPARE(readAll(path("again") / "vocab.json"), readAll(m_trained / "vocab.json"));
        QCOMPARE(readAll(path("again") / "merges.txt"), readAll(m_trained / "merges.txt"));
    }
};

QTEST_GUILESS_MAIN(TestBpeTrainer)
#include "test_bpe_trainer.moc"
