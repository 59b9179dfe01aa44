// LLaMA's SentencePiece tokenizer: every case of the legacy=True and legacy=False goldens
// (transformers 4.40 LlamaTokenizer, sentencepiece 0.1.97), the LLaVA prompt of the llava
// manifest, tokenizer folders, malformed models, threads, and the SentencePiece trainer.
#include "common/error.h"
#include "text/llama_tokenizer.h"
#include "text/sentencepiece_model.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>

using namespace ml::text;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(MODALLENS_FIXTURES_DIR);
const fs::path kGoldens = kFixtures / "tokenizers" / "llama_goldens.json";
const fs::path kModel = kFixtures / "tokenizers" / "llama" / "tokenizer.model";

#ifdef MODALLENS_HAVE_SENTENCEPIECE
constexpr bool kHaveSentencePiece = true;
#else
constexpr bool kHaveSentencePiece = false;
#endif

nlohmann::json readJson(const fs::path &path)
{
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

std::string readBytes(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path &path, const std::string &bytes)
{
    std::ofstream(path, std::ios::binary) << bytes;
}

QString show(const std::vector<std::int64_t> &ids)
{
    QStringList parts;
    for (auto id : ids)
        parts << QString::number(id);
    return "[" + parts.join(", ") + "]";
}

QByteArray rowName(const std::string &text)
{
    QString name = QString::fromStdString(text).left(32);
    for (QChar &c : name)
        if (c.category() == QChar::Other_Control)
            c = QLatin1Char('.');
    return name.toUtf8();
}

// As the goldens were made: '<image>' added as a special token (32000), then pad '<pad>' (32001).
LlamaTokenizerOptions llavaOptions(bool legacy)
{
    LlamaTokenizerOptions options;
    options.legacy = legacy;
    options.addedTokens = {{"<image>", 32000}, {"<pad>", 32001}};
    options.specialAdded = {"<image>"};
    options.padToken = "<pad>";
    return options;
}

// A message that starts with the file's path and contains `what`.
void expectError(const std::function<void()> &call, const fs::path &file, const std::string &what)
{
    try {
        call();
        QFAIL(qPrintable(QString("no error for %1").arg(QString::fromStdString(file.string()))));
    } catch (const ml::Error &e) {
        const std::string message = e.what();
        QVERIFY2(message.starts_with(file.string()), e.what());
        QVERIFY2(message.find(what) != std::string::npos, e.what());
    }
}

} // namespace

class TestLlamaTokenizer : public QObject {
    Q_OBJECT

private:
    std::optional<LlamaTokenizer> m_legacy, m_new;
    nlohmann::json m_goldens;
    QTemporaryDir m_scratch;

    fs::path scratchFolder(const char *name) const
    {
        const fs::path dir = fs::path(m_scratch.path().toStdString()) / name;
        fs::create_directories(dir);
        return dir;
    }
    static bool haveFixtures() { return fs::exists(kGoldens) && fs::exists(kModel); }
    const LlamaTokenizer &tokenizer(bool legacy) const { return legacy ? *m_legacy : *m_new; }

    static std::vector<std::string> corpus()
    {
        std::vector<std::string> lines;
        const char *subjects[] = {"a red cube", "two blue spheres", "the small cat", "a dog", "three green cones"};
        const char *verbs[] = {"sits on", "is left of", "jumps over", "looks at", "is next to"};
        const char *objects[] = {"the table", "a yellow box", "the large ball", "an old chair", "the window"};
        for (int i = 0; i < 125; ++i)
            lines.push_back(std::string(subjects[i % 5]) + " " + verbs[(i / 5) % 5] + " " + objects[(i / 25) % 5] + " "
                + std::to_string(i * 37) + ".");
        lines.push_back("Numbers 0123456789, tabs\tand\nnew lines.");
        return lines;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!kHaveSentencePiece || !haveFixtures())
            return;
        try {
            m_legacy = LlamaTokenizer::fromModelFile(kModel, llavaOptions(true));
            m_new = LlamaTokenizer::fromModelFile(kModel, llavaOptions(false));
        } catch (const ml::Error &e) { // e.g. the SentencePiece module not found
            QFAIL(e.what());
        }
        m_goldens = readJson(kGoldens);
    }

    void withoutSentencePiece()
    {
        if (kHaveSentencePiece)
            QSKIP("built with SentencePiece");
        for (const auto &call : std::vector<std::function<void()>> {[] { LlamaTokenizer::fromModelFile(kModel, {}); },
                 [] { LlamaTokenizer::fromFolder("."); }, [] { trainSentencePiece({"a b c"}, "x.model", 300); }}) {
            try {
                call();
                QFAIL("no error without SentencePiece");
            } catch (const ml::Error &e) {
                QVERIFY2(std::string(e.what()).find("built without SentencePiece") != std::string::npos, e.what());
            }
        }
    }

    // --- goldens: transformers 4.40 LlamaTokenizer, legacy True and False ------------------
    void golden_data()
    {
        QTest::addColumn<bool>("legacy");
        QTest::addColumn<int>("index");
        if (!kHaveSentencePiece)
            QSKIP("built without SentencePiece");
        if (!haveFixtures())
            QSKIP("llama tokenizer fixtures absent (MODALLENS_FIXTURES_DIR/tokenizers)");
        const auto goldens = readJson(kGoldens);
        for (const bool legacy : {true, false}) {
            const auto &cases = goldens["cases"][legacy ? "legacy_true" : "legacy_false"];
            for (std::size_t i = 0; i < cases.size(); ++i)
                QTest::addRow("%s %02zu %s", legacy ? "legacy" : "new", i, rowName(cases[i]["text"]).constData())
                    << legacy << int(i);
        }
    }
    void golden()
    {
        QFETCH(bool, legacy);
        QFETCH(int, index);
        const nlohmann::json &c = m_goldens["cases"][legacy ? "legacy_true" : "legacy_false"][index];
        QVERIFY2(c["call"].empty(), "a case with call arguments");
        const LlamaTokenizer &tok = tokenizer(legacy);
        const std::string text = c["text"];
        const auto ids = tok.encode(text);
        QCOMPARE(show(ids), show(c["input_ids"].get<std::vector<std::int64_t>>()));
        const auto tokens = c["tokens"].get<std::vector<std::string>>();
        QCOMPARE(tok.tokens(ids), tokens);
        QCOMPARE(tok.tokenize(text), std::vector<std::string>(tokens.begin() + 1, tokens.end())); // no <s>
        QCOMPARE(QString::fromStdString(tok.decode(ids)), QString::fromStdString(c["decoded"].get<std::string>()));
    }

    void llavaManifestPrompt()
    {
        if (!kHaveSentencePiece)
            QSKIP("built without SentencePiece");
        const fs::path manifest = kFixtures / "llava" / "manifest.json";
        if (!haveFixtures() || !fs::exists(manifest))
            QSKIP("llava fixtures absent");
        const nlohmann::json inputs = readJson(manifest)["inputs"];
        const auto ids = m_legacy->encode(inputs["prompt"].get<std::string>());
        QCOMPARE(show(ids), show(inputs["input_ids"].get<std::vector<std::int64_t>>()));
        QCOMPARE(ids[inputs["image_token_position_in_input_ids"].get<std::size_t>()], std::int64_t(32000));
    }

    void vocabularyAndIds()
    {
        if (!kHaveSentencePiece || !haveFixtures())
            QSKIP("needs SentencePiece and the fixtures");
        const LlamaTokenizer &tok = *m_legacy;
        QCOMPARE(tok.bosId(), std::int64_t(1));
        QCOMPARE(tok.eosId(), std::int64_t(2));
        QCOMPARE(tok.unkId(), std::int64_t(0));
        QCOMPARE(tok.padId(), std::optional<std::int64_t>(32001));
        QCOMPARE(tok.pieceCount(), std::int64_t(32000));
        QCOMPARE(tok.vocabSize(), std::int64_t(32002));
        QCOMPARE(tok.tokenId("<image>"), std::optional<std::int64_t>(32000));
        QCOMPARE(tok.tokenId("\xE2\x96\x81Hello"), std::optional<std::int64_t>(15043));
        QCOMPARE(tok.tokenId("<unk>"), std::optional<std::int64_t>(0));
        QVERIFY(!tok.tokenId("no such piece"));
        QVERIFY(tok.isSpecial(1) && tok.isSpecial(32000) && tok.isSpecial(32001) && !tok.isSpecial(15043));
        QCOMPARE(tok.tokenText(15043), std::string(" Hello"));
        QCOMPARE(tok.tokenText(29871), std::string(" "));
        QCOMPARE(tok.tokenText(13), std::string("\n"));    // <0x0A>
        QCOMPARE(tok.tokenText(243), std::string("\xF0")); // <0xF0>: the first byte of an emoji
        QCOMPARE(tok.tokenText(32000), std::string("<image>"));
        QCOMPARE(tok.tokenText(2), std::string("</s>"));
        // Streaming: the pieces' texts, bytes and all, add up to the text (after the prefix space).
        const std::string emoji = "emoji \xF0\x9F\x98\x80\xF0\x9F\x8E\x89 ok";
        std::string streamed;
        for (const std::int64_t id : tok.encode(emoji, false))
            streamed += tok.tokenText(id);
        QCOMPARE(streamed, " " + emoji);
        QVERIFY_THROWS_EXCEPTION(ml::Error, tok.tokenText(40000));
        QVERIFY_THROWS_EXCEPTION(ml::Error, tok.decode({1, -1}));
        QCOMPARE(tok.encode("a cat", false), (std::vector<std::int64_t> {263, 6635}));
        LlamaTokenizerOptions withEos = llavaOptions(true);
        withEos.addEos = true;
        const LlamaTokenizer eos = LlamaTokenizer::fromModelFile(kModel, withEos);
        QCOMPARE(eos.encode("a cat"), (std::vector<std::int64_t> {1, 263, 6635, 2}));
        // Special tokens kept: their text, the pieces around them decoded by SentencePiece.
        const std::string kept = tok.decode(tok.encode("Hello</s>"), false);
        QVERIFY2(
            kept.starts_with("<s>") && kept.ends_with("</s>") && kept.find("Hello") != std::string::npos, kept.c_str());
    }

    // llava-hf style folders: tokenizer_config.json with added_tokens_decoder and legacy.
    void fromFolder()
    {
        if (!kHaveSentencePiece || !haveFixtures())
            QSKIP("needs SentencePiece and the fixtures");
        const auto prompt = std::string("USER: <image>\nWhat is shown in this image? ASSISTANT:");
        const auto decoderEntry = [](const char *content) {
            return nlohmann::json {{"content", content}, {"lstrip", false}, {"normalized", false}, {"rstrip", false},
                {"single_word", false}, {"special", true}};
        };
        for (const bool legacy : {true, false}) {
            const fs::path dir = scratchFolder(legacy ? "llava_legacy" : "llava_new");
            fs::copy_file(kModel, dir / "tokenizer.model", fs::copy_options::overwrite_existing);
            nlohmann::json config = {{"add_bos_token", true}, {"add_eos_token", false}, {"bos_token", "<s>"},
                {"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "<pad>"},
                {"additional_special_tokens", {"<image>"}}, {"tokenizer_class", "LlamaTokenizer"},
                {"added_tokens_decoder",
                    {{"0", decoderEntry("<unk>")}, {"1", decoderEntry("<s>")}, {"2", decoderEntry("</s>")},
                        {"32000", decoderEntry("<image>")}, {"32001", decoderEntry("<pad>")}}}};
            if (!legacy)
                config["legacy"] = false; // absent: legacy
            std::ofstream(dir / "tokenizer_config.json") << config.dump(2);
            const LlamaTokenizer tok = LlamaTokenizer::fromFolder(dir);
            QCOMPARE(tok.options().legacy, legacy);
            const auto &cases = m_goldens["cases"][legacy ? "legacy_true" : "legacy_false"];
            const nlohmann::json &last = cases.back();
            QCOMPARE(last["text"].get<std::string>(), prompt);
            QCOMPARE(show(tok.encode(prompt)), show(last["input_ids"].get<std::vector<std::int64_t>>()));
            QCOMPARE(tok.decode(tok.encode(prompt)), last["decoded"].get<std::string>());
            QCOMPARE(tok.padId(), std::optional<std::int64_t>(32001));
            QCOMPARE(tok.vocabSize(), std::int64_t(32002));
        }
        // The older layout: added_tokens.json and special_tokens_map.json, no config.
        const fs::path old = scratchFolder("llava_old");
        fs::copy_file(kModel, old / "tokenizer.model", fs::copy_options::overwrite_existing);
        std::ofstream(old / "added_tokens.json") << R"({"<image>": 32000, "<pad>": 32001})";
        std::ofstream(old / "special_tokens_map.json")
            << R"({"pad_token": "<pad>", "additional_special_tokens": ["<image>"]})";
        const LlamaTokenizer tok = LlamaTokenizer::fromFolder(old);
        QVERIFY(tok.options().legacy);
        QCOMPARE(show(tok.encode(prompt)), show(m_legacy->encode(prompt)));
        QCOMPARE(tok.padId(), std::optional<std::int64_t>(32001));
    }

    void errorsNameTheFile()
    {
        if (!kHaveSentencePiece)
            QSKIP("built without SentencePiece");
        const fs::path empty = scratchFolder("empty");
        expectError([&] { LlamaTokenizer::fromFolder(empty); }, empty / "tokenizer.model", "not found");
        const fs::path text = scratchFolder("bad") / "tokenizer.model";
        writeBytes(text, "this is not a sentencepiece model\n");
        expectError([&] { LlamaTokenizer::fromModelFile(text, {}); }, text, "not a SentencePiece model");
        writeBytes(text, "");
        expectError([&] { LlamaTokenizer::fromModelFile(text, {}); }, text, "not a SentencePiece model");
        const fs::path config = scratchFolder("bad_config");
        std::ofstream(config / "tokenizer_config.json") << "{ not json";
        expectError([&] { LlamaTokenizer::fromFolder(config); }, config / "tokenizer_config.json", "JSON");
        if (!haveFixtures())
            QSKIP("the truncated-model half needs the fixtures");
        // Truncated or corrupted copies of the real model: an error or a model, never a crash.
        const std::string bytes = readBytes(kModel);
        std::mt19937 rng(7);
        for (int i = 0; i < 24; ++i) {
            std::string broken = bytes.substr(0, std::uniform_int_distribution<std::size_t>(1, bytes.size() - 1)(rng));
            if (i % 3 == 2) // and a length prefix made too long
                broken[std::uniform_int_distribution<std::size_t>(0, broken.size() - 1)(rng)] = '\xFF';
            writeBytes(text, broken);
            for (const bool legacy : {true, false}) {
                LlamaTokenizerOptions options;
                options.legacy = legacy;
                std::optional<LlamaTokenizer> tok;
                try {
                    tok = LlamaTokenizer::fromModelFile(text, options);
                } catch (const ml::Error &e) {
                    QVERIFY2(std::string(e.what()).starts_with(text.string()), e.what());
                    continue;
                }
                try {
                    tok->decode(tok->encode("hello world"));
                } catch (const ml::Error &) { // a model that loads may still lack pieces
                }
            }
        }
        writeBytes(text, bytes.substr(0, 1000));
        expectError([&] { LlamaTokenizer::fromModelFile(text, llavaOptions(false)); }, text, "past the end");
        QVERIFY_THROWS_EXCEPTION(ml::Error, disableDummyPrefix("\x0A\xFF", "x.model"));
    }

    void dummyPrefixRewrite()
    {
        if (!haveFixtures())
            QSKIP("llama tokenizer fixtures absent");
        // NormalizerSpec {name "identity", add_dummy_prefix true, ...} -> add_dummy_prefix false.
        const std::string bytes = readBytes(kModel);
        const std::string rewritten = disableDummyPrefix(bytes, kModel);
        QCOMPARE(rewritten.size(), bytes.size()); // field 3 = 1 replaced by field 3 = 0, same length
        QVERIFY(rewritten != bytes);
        QCOMPARE(disableDummyPrefix(rewritten, kModel), rewritten);
        // A model without a normalizer_spec gets one holding only the flag.
        const std::string minimal = std::string("\x0A\x00", 2);
        QCOMPARE(disableDummyPrefix(minimal, "m.model"), minimal + std::string("\x1A\x02\x18\x00", 4));
    }

    void copiesAndThreads()
    {
        if (!kHaveSentencePiece || !haveFixtures())
            QSKIP("needs SentencePiece and the fixtures");
        const LlamaTokenizer copy = *m_new; // shares the model
        LlamaTokenizer temporary = *m_legacy;
        const LlamaTokenizer moved = std::move(temporary);
        std::vector<std::future<bool>> jobs;
        for (int t = 0; t < 4; ++t) {
            jobs.push_back(std::async(std::launch::async, [&, t] {
                const LlamaTokenizer &tok = t % 2 ? copy : moved;
                const auto &cases = m_goldens["cases"][t % 2 ? "legacy_false" : "legacy_true"];
                for (int round = 0; round < 5; ++round)
                    for (const auto &c : cases)
                        if (tok.encode(c["text"].get<std::string>()) != c["input_ids"].get<std::vector<std::int64_t>>()
                            || tok.decode(c["input_ids"].get<std::vector<std::int64_t>>()) != c["decoded"])
                            return false;
                return true;
            }));
        }
        for (auto &job : jobs)
            QVERIFY(job.get());
    }

    // --- the trainer --------------------------------------------------------------------------
    void trainRoundTrip()
    {
        if (!kHaveSentencePiece)
            QSKIP("built without SentencePiece");
        const fs::path dir = scratchFolder("trained");
        const std::vector<std::string> lines = corpus();
        trainSentencePiece(lines, dir / "a.model", 400);
        trainSentencePiece(lines, dir / "b.model", 400);
        QVERIFY(readBytes(dir / "a.model") == readBytes(dir / "b.model")); // deterministic
        for (const bool legacy : {true, false}) {
            LlamaTokenizerOptions options;
            options.legacy = legacy;
            const LlamaTokenizer tok = LlamaTokenizer::fromModelFile(dir / "a.model", options);
            QCOMPARE(tok.unkId(), std::int64_t(0));
            QCOMPARE(tok.bosId(), std::int64_t(1));
            QCOMPARE(tok.eosId(), std::int64_t(2));
            QVERIFY(!tok.padId());
            QVERIFY(tok.pieceCount() > 259 && tok.pieceCount() <= 400); // 3 specials + 256 bytes + merges
            std::vector<std::string> texts(lines.begin(), lines.begin() + 20);
            texts.push_back(lines.back());
            texts.push_back("unseen words: Zürich, 東京 and 🙂!"); // byte fallback
            for (const std::string &text : texts) {
                const auto ids = tok.encode(text);
                QCOMPARE(ids.front(), std::int64_t(1));
                QCOMPARE(tok.decode(ids), text);
                QVERIFY(std::find(ids.begin(), ids.end(), tok.unkId()) == ids.end());
            }
            const auto digits = tok.tokenize("x 2024");
            QVERIFY(std::find(digits.begin(), digits.end(), "2") != digits.end()); // split_digits
        }
        trainSentencePiece(lines, dir / "u.model", 400, "unigram");
        const LlamaTokenizer unigram = LlamaTokenizer::fromModelFile(dir / "u.model", {});
        QCOMPARE(unigram.decode(unigram.encode(lines.front())), lines.front());
        expectError([&] { trainSentencePiece({}, dir / "c.model", 400); }, dir / "c.model", "empty corpus");
        expectError([&] { trainSentencePiece(lines, dir / "d.model", 400, "no-such-type"); }, dir / "d.model",
            "training failed");
    }
};

QTEST_GUILESS_MAIN(TestLlamaTokenizer)
#include "test_llama_tokenizer.moc"
