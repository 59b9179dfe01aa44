// Per-word grounding on a LLaVA (the golden fixture's weights with the LLaMA tokenizer): the chat
// job streams an answer for a LLaVA folder; the grounding job's attention maps equal the ones the
// KV-cache decode recorded while answering (two code paths, one answer); relevancy and the
// context-corrected maps have the documented properties; words group tokens as the UI shows
// them; the probe (hidden patches) changes what the model sees; `ground` writes its files.
#include "cli_run.h"
#include "engine/engine.h"
#include "engine/grounding_service.h"
#include "io/safetensors.h"
#include "models/lm/still_image.h"

#include <QtTest>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <atomic>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(MODALLENS_FIXTURES_DIR);

// A llava-hf folder: the fixture's model and the LLaMA tokenizer with <image> and <pad> added.
fs::path makeLlavaFolder(const fs::path &dir)
{
    fs::create_directories(dir);
    for (const char *f : {"config.json", "model.safetensors", "preprocessor_config.json", "generation_config.json"})
        fs::copy_file(kFixtures / "llava" / f, dir / f, fs::copy_options::overwrite_existing);
    fs::copy_file(kFixtures / "tokenizers" / "llama" / "tokenizer.model", dir / "tokenizer.model",
        fs::copy_options::overwrite_existing);
    const nlohmann::json added
        = {{"32000", {{"content", "<image>"}, {"special", true}, {"lstrip", false}, {"rstrip", false}}},
            {"32001", {{"content", "<pad>"}, {"special", true}, {"lstrip", false}, {"rstrip", false}}}};
    std::ofstream(dir / "tokenizer_config.json") << nlohmann::json {{"legacy", true}, {"add_bos_token", true},
        {"add_eos_token", false}, {"pad_token", "<pad>"}, {"added_tokens_decoder", added}};
    return dir;
}

struct Recorder : ml::EngineListener {
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    int tokens = 0;
    void onProgress(ml::JobId, const ml::Progress &) override { }
    void onPartial(ml::JobId, const ml::PartialResult &r) override { tokens += r.kind == ml::kChatTokenPartial; }
    void onFinished(ml::JobId, const ml::JobResult &) override { }
};

ml::EngineState &state()
{
    static ml::EngineState s;
    return s;
}

template<class T> T run(ml::Job job, Recorder *recorder = nullptr)
{
    Recorder own;
    Recorder &r = recorder ? *recorder : own;
    ml::JobContext ctx(1, &r, r.cancel, &state());
    return std::any_cast<T>(job.run(ctx));
}

ml::ComputeOptions fp32()
{
    ml::ComputeOptions c;
    c.dtype = "fp32";
    c.device = "cpu";
    return c;
}

} // namespace

class TestGrounding : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!fs::exists(kFixtures / "llava" / "model.safetensors"))
            QSKIP("golden fixtures not found at " MODALLENS_FIXTURES_DIR);
        m_dir = makeLlavaFolder(fs::temp_directory_path() / ("ml-grounding-" + std::to_string(::getpid())));
        m_image = (kFixtures / "llava" / "image_astronaut_320x320.png").string();
    }

    void cleanupTestCase() { fs::remove_all(m_dir); }

    // The chat job takes a LLaVA folder: formatted prompt, tokens streamed, attention recorded.
    // Then grounding the same answer gives the same attention maps from its full forward.
    void attentionAgreesWithDecode()
    {
        ml::ChatRequest req;
        req.model = m_dir.string();
        req.image = m_image;
        req.prompt = "What is shown in this image?";
        req.sampling.maxNewTokens = 6;
        req.explain = true;
        req.compute = fp32();
        Recorder recorder;
        const auto chat = run<ml::ChatResult>(ml::makeChatJob(req), &recorder);
        const int streamed = recorder.tokens;
        QCOMPARE(chat.family, std::string("llava"));
        QCOMPARE(chat.promptText, std::string("USER: <image>\nWhat is shown in this image? ASSISTANT:"));
        // The fixture's manifest gives these ids for the same prompt.
        const std::vector<std::int64_t> expected {1, 3148, 1001, 29901, 29871, 32000, 29871, 13, 5618, 338, 4318, 297,
            445, 1967, 29973, 319, 1799, 9047, 13566, 29901};
        QCOMPARE(chat.promptIds, expected);
        QCOMPARE(streamed, static_cast<int>(chat.tokens.size()));
        QVERIFY(!chat.tokens.empty());
        QCOMPARE(chat.gridH, 7);
        const auto &ia = chat.imageAttention;
        QCOMPARE(ia.positions, 49);

        ml::GroundingRequest g;
        g.model = m_dir.string();
        g.image = m_image;
        g.promptIds = chat.promptIds;
        for (const auto &t : chat.tokens)
            g.answerIds.push_back(t.id);
        g.compute = fp32();
        m_grounding = run<ml::GroundingResult>(ml::makeGroundingJob(g));
        const auto &r = m_grounding;
        QCOMPARE(r.tokens, static_cast<int>(chat.tokens.size()));
        QCOMPARE(r.layers, ia.layers);
        QCOMPARE(r.heads, ia.heads);
        QCOMPARE(r.attention.size(), ia.values.size());
        double worst = 0;
        for (std::size_t i = 0; i < ia.values.size(); ++i)
            worst = std::max(worst, static_cast<double>(std::abs(ia.values[i] - r.attention[i])));
        qInfo("decode vs full-forward attention: max |diff| %.3g", worst);
        QVERIFY(worst < 1e-5);
        // The given answer's probabilities are the chat's (greedy: the softmax of the same logits).
        for (std::size_t t = 0; t < chat.tokens.size(); ++t)
            QVERIFY(std::abs(r.chat.tokens[t].prob - chat.tokens[t].prob) < 1e-4);
    }

    void mapsHaveTheirProperties()
    {
        const auto &r = m_grounding;
        QVERIFY(r.tokens > 0);
        const std::size_t N = static_cast<std::size_t>(r.gridH) * r.gridW;
        QCOMPARE(r.relevancy.size(), r.tokens * N);
        QCOMPARE(r.corrected.size(), r.tokens * N);
        QCOMPARE(r.inputRgb.size(), static_cast<std::size_t>(r.imageSize) * r.imageSize * 3);
        bool relevancyNonZero = false;
        for (int t = 0; t < r.tokens; ++t) {
            const auto att = ml::tokenMap(r, ml::GroundingMethod::Attention, t);
            const auto cor = ml::tokenMap(r, ml::GroundingMethod::Corrected, t);
            const auto rel = ml::tokenMap(r, ml::GroundingMethod::Relevancy, t);
            for (std::size_t i = 0; i < N; ++i) {
                QVERIFY(cor[i] >= 0 && cor[i] <= rel[i] + 1e-6); // the context only takes away
                QVERIFY(rel[i] >= 0);                            // positive parts only
                QVERIFY(att[i] >= 0);
                if (t == 0) // the first token has no earlier words: nothing to take away
                    QCOMPARE(cor[i], rel[i]);
                relevancyNonZero = relevancyNonZero || rel[i] > 0;
            }
            QVERIFY(r.imageShare[static_cast<std::size_t>(t)] >= 0 && r.imageShare[static_cast<std::size_t>(t)] <= 1);
        }
        QVERIFY(relevancyNonZero);
        // One layer and one head give that slice; the mean over all is their average.
        const auto one = ml::tokenMap(r, ml::GroundingMethod::Attention, 0, 1, 0);
        QCOMPARE(one[3], r.attention[((0 * r.layers + 1) * r.heads + 0) * N + 3]);
    }

    void wordsGroupTokens()
    {
        auto tok = [](const char *text) {
            ml::ChatToken t;
            t.text = text;
            return t;
        };
        const auto words = ml::groupWords({tok(" The"), tok(" cir"), tok("cle"), tok("."), tok(" red")});
        QCOMPARE(words.size(), std::size_t(4));
        QCOMPARE(words[1].text, std::string("circle"));
        QCOMPARE(words[1].firstToken, 1);
        QCOMPARE(words[1].endToken, 3);
        QCOMPARE(words[2].text, std::string("."));
        QCOMPARE(words[3].text, std::string("red"));
    }

    // Hiding patches changes what the model sees: the input crop and the logits move.
    void probeHidesPatches()
    {
        ml::GroundingRequest g;
        g.model = m_dir.string();
        g.image = m_image;
        g.promptIds = m_grounding.chat.promptIds;
        for (const auto &t : m_grounding.chat.tokens)
            g.answerIds.push_back(t.id);
        g.relevancy = false;
        g.hiddenPatches = {0, 1, 2, 3, 4, 5, 6, 24};
        g.compute = fp32();
        const auto hidden = run<ml::GroundingResult>(ml::makeGroundingJob(g));
        QVERIFY(hidden.relevancy.empty());
        // Without relevancy the corrected maps come from the attention maps, and only take away.
        for (int t = 0; t < hidden.tokens; ++t) {
            const auto att = ml::tokenMap(hidden, ml::GroundingMethod::Attention, t);
            const auto cor = ml::tokenMap(hidden, ml::GroundingMethod::Corrected, t);
            for (std::size_t i = 0; i < att.size(); ++i)
                QVERIFY(cor[i] >= 0 && cor[i] <= att[i] + 1e-6);
        }
        double moved = 0;
        for (std::size_t t = 0; t < hidden.chat.tokens.size(); ++t)
            moved += std::abs(hidden.chat.tokens[t].prob - m_grounding.chat.tokens[t].prob);
        QVERIFY(moved > 1e-6);
        g.hiddenPatches = {49};
        QVERIFY_THROWS_EXCEPTION(std::exception, run<ml::GroundingResult>(ml::makeGroundingJob(g)));
    }

    // The probes hide with the picture's background (its border's median), in 8 bits and normalised.
    void hidingTakesTheBackground()
    {
        ml::lm::Still still;
        still.width = 6;
        still.height = 4;
        still.rgb.assign(6 * 4 * 3, 30);
        for (int c = 0; c < 3; ++c)
            still.rgb[(1 * 6 + 2) * 3 + c] = static_cast<std::uint8_t>(200 + c); // an object inside
        still.rgb[0] = 255; // one odd border pixel does not move the median
        std::uint8_t fill[3];
        ml::lm::borderColour(still, fill);
        QCOMPARE(int(fill[0]), 30);
        QCOMPARE(int(fill[2]), 30);
        std::vector<std::uint8_t> mask(6 * 4, 0);
        mask[1 * 6 + 2] = 1;
        ml::lm::hideRegion(still, mask, 6, 4, fill);
        QCOMPARE(int(still.rgb[(1 * 6 + 2) * 3 + 1]), 30);

        auto pixels = torch::full({1, 3, 8, 8}, -1.5f);
        pixels.narrow(2, 4, 4).narrow(3, 0, 4).fill_(0.75f); // patch 2 of a 2 x 2 grid
        ml::lm::hidePatches(pixels, {2}, 4, ml::lm::borderColour(pixels));
        QCOMPARE(pixels.max().item<float>(), -1.5f);
        pixels.narrow(2, 4, 4).narrow(3, 0, 4).fill_(0.75f);
        ml::lm::hidePatches(pixels, {2}, 4); // no fill: zero, the preprocessing's mean colour
        QCOMPARE(pixels.max().item<float>(), 0.0f);
    }

    // The embedded llava-mini's maps are faithful, loosely (200 images give the README's figures):
    // far above chance on the pointing game, and hiding the top patches hurts more than random.
    void evalGroundingOnLlavaMini()
    {
        const auto r
            = runCli({"--json", "--dtype", "fp32", "eval", "grounding", "--images", "12", "--random-draws", "1"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QVERIFY2(j["accuracy"].get<double>() > 0.8, j.dump().c_str());
        QVERIFY(j["single_counted"].get<int>() >= 8 && j["two_counted"].get<int>() >= 8);
        QVERIFY(j["chance_single"].get<double>() < 0.35 && j["chance_two"].get<double>() < 0.35);
        for (const char *m : {"relevancy", "corrected"}) {
            QVERIFY2(j[m]["pointing_single"].get<double>() > 0.75, j.dump().c_str());
            QVERIFY2(j[m]["pointing_two"].get<double>() > 0.6, j.dump().c_str());
            QVERIFY2(j[m]["deletion_beats_random"].get<double>() > 0.6, j.dump().c_str());
            QVERIFY(j[m]["mean_drop"].get<double>() > j[m]["mean_random_drop"].get<double>());
        }
        QVERIFY(j["attention"]["pointing_single"].get<double>() > 0.75);
    }

    void groundCli()
    {
        const fs::path out = m_dir / "maps.safetensors", png = m_dir / "png";
        const auto q = [](const std::string &s) { return QString::fromStdString(s); };
        const auto r = runCli({"--dtype", "fp32", "ground", "--model", q(m_dir.string()), "--image", q(m_image),
            "--prompt", "What is shown in this image?", "--max-new-tokens", "4", "--method", "corrected", "--out",
            q(out.string()), "--png", q(png.string()), "--json"});
        QCOMPARE(r.exitCode, 0);
        const auto j = nlohmann::json::parse(r.out);
        const std::string method = j["method"];
        QCOMPARE(method, std::string("corrected"));
        const auto words = j["words"].size();
        QVERIFY(words > 0);
        const auto maps = ml::io::SafetensorsFile::open(out)->tensor("maps");
        QCOMPARE(maps.size(0), static_cast<std::int64_t>(words));
        QCOMPARE(maps.size(1), std::int64_t(7));
        std::size_t pngs = 0;
        for (const auto &e : fs::directory_iterator(png))
            pngs += e.path().extension() == ".png";
        QCOMPARE(pngs, words);
        const auto bad = runCli(
            {"ground", "--model", q(m_dir.string()), "--image", q(m_image), "--prompt", "x", "--method", "saliency"});
        QCOMPARE(bad.exitCode, 2);
    }

private:
    fs::path m_dir;
    std::string m_image;
    ml::GroundingResult m_grounding;
};

QTEST_GUILESS_MAIN(TestGrounding)
#include "test_grounding.moc"
