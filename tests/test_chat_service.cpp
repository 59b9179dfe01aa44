// The chat runtime over the golden BLIP-2 fixture (ids fed directly: it has no tokenizer files):
// streaming order, cancel between tokens, seeded sampling, stop rules, the repetition penalty;
// the Q-Former job and its maps; query ablation; the CLI's chat / qformer / bench lm.
#include "cli_run.h"

#include "common/error.h"
#include "engine/chat_service.h"
#include "engine/engine.h"
#include "engine/model_discovery.h"
#include "io/safetensors.h"
#include "models/blip2/opt_model.h"
#include "models/lm/generate.h"
#include "models/lm/huge_pages.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <numeric>

namespace fs = std::filesystem;
using namespace ml;

namespace {

const fs::path kDir = fs::path(MODALLENS_FIXTURES_DIR) / "blip2";
const std::string kImage = (kDir / "image_coffee_390x260.png").string();
const std::vector<std::int64_t> kPrompt {2, 24361, 25, 644, 318, 287, 262, 4286, 30, 23998, 25};

struct Recorder : EngineListener {
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    int cancelAfter = -1; // cancel once this many tokens arrived
    std::vector<ChatToken> tokens;
    void onProgress(JobId, const Progress &) override { }
    void onPartial(JobId, const PartialResult &r) override
    {
        if (r.kind != kChatTokenPartial)
            return;
        tokens.push_back(std::any_cast<ChatToken>(r.value));
        if (cancelAfter >= 0 && static_cast<int>(tokens.size()) >= cancelAfter)
            cancel->store(true);
    }
    void onFinished(JobId, const JobResult &) override { }
};

EngineState &state()
{
    static EngineState s;
    return s;
}

template<class T> T run(Job job, Recorder &r)
{
    JobContext ctx(1, &r, r.cancel, &state());
    return std::any_cast<T>(job.run(ctx));
}

ChatRequest request(int maxTokens = 8)
{
    ChatRequest req;
    req.model = kDir.string();
    req.image = kImage;
    req.promptIds = kPrompt;
    req.sampling.maxNewTokens = maxTokens;
    req.compute.dtype = "fp32";
    return req;
}

std::vector<std::int64_t> idsOf(const std::vector<ChatToken> &tokens)
{
    std::vector<std::int64_t> ids;
    for (const auto &t : tokens)
        ids.push_back(t.id);
    return ids;
}

} // namespace

class TestChatService : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!fs::exists(kDir / "model.safetensors"))
            QSKIP("golden fixtures not found at " MODALLENS_FIXTURES_DIR "/blip2");
    }

    // Every token arrives as a partial, in order, before the result; the result carries the same.
    void streamsInOrder()
    {
        Recorder r;
        const auto res = run<ChatResult>(makeChatJob(request()), r);
        QCOMPARE(res.tokens.size(), std::size_t(8));
        QCOMPARE(r.tokens.size(), res.tokens.size());
        for (std::size_t i = 0; i < r.tokens.size(); ++i) {
            QCOMPARE(r.tokens[i].index, static_cast<int>(i));
            QCOMPARE(r.tokens[i].id, res.tokens[i].id);
            QCOMPARE(r.tokens[i].top.size(), std::size_t(5));
            QCOMPARE(r.tokens[i].top.front().id, r.tokens[i].id); // greedy: the most likely
            QVERIFY(r.tokens[i].prob > 0.0f && r.tokens[i].prob <= 1.0f);
        }
        const std::vector<std::int64_t> golden {43210, 43210, 43210, 6633, 49569, 49569, 49569, 49569};
        QCOMPARE(idsOf(res.tokens), golden);
        QCOMPARE(res.stopReason, std::string("max-tokens"));
        QCOMPARE(res.imageSha256, std::string("83b8ef0e5236d9540a276e6376ec762d3af1ef85fdd787fb3f3f3969d981d4c2"));
    }

    // Cancel after three tokens: the job stops between tokens (no fourth partial) as cancelled.
    void cancelMidAnswer()
    {
        Recorder r;
        r.cancelAfter = 3;
        bool cancelled = false;
        try {
            run<ChatResult>(makeChatJob(request(30)), r);
        } catch (const Cancelled &) {
            cancelled = true;
        }
        QVERIFY(cancelled);
        QCOMPARE(r.tokens.size(), std::size_t(3));
    }

    // The same seed gives the same sampled answer; other seeds give other answers.
    void seededSampling()
    {
        auto sampled = [](std::uint64_t seed) {
            auto req = request(12);
            req.sampling.greedy = false;
            req.sampling.temperature = 1.5;
            req.sampling.seed = seed;
            Recorder r;
            return idsOf(run<ChatResult>(makeChatJob(req), r).tokens);
        };
        const auto a = sampled(7), b = sampled(7);
        QCOMPARE(a, b);
        bool differs = false;
        for (std::uint64_t s = 8; s < 12 && !differs; ++s)
            differs = sampled(s) != a;
        QVERIFY(differs);
    }

    // TokenSampler: top-k 1 is greedy; top-p keeps the smallest prefix reaching p; the penalty
    // lowers a seen token's logit.
    void samplerRules()
    {
        const auto logits = torch::tensor({1.0f, 3.0f, 2.0f, 0.5f});
        SamplingSettings s;
        s.greedy = false;
        s.topK = 1;
        for (std::uint64_t seed = 0; seed < 5; ++seed) {
            s.seed = seed;
            QCOMPARE(lm::TokenSampler(s).choose(logits, {}).id, std::int64_t(1));
        }
        s.topK = 0;
        s.topP = 0.8; // p = [0.087, 0.64, 0.24, 0.05]: tokens 1 and 2 reach 0.8
        for (std::uint64_t seed = 0; seed < 40; ++seed) {
            s.seed = seed;
            const auto id = lm::TokenSampler(s).choose(logits, {}).id;
            QVERIFY(id == 1 || id == 2);
        }
        SamplingSettings g;
        g.repetitionPenalty = 2.0; // 3.0 / 2 = 1.5 < 2.0: token 2 wins
        QCOMPARE(lm::TokenSampler(g).choose(logits, {1}).id, std::int64_t(2));
    }

    // The decode step (matrix-vector kernels, attention over the float32 cache) gives the logits
    // of the full forward, before and after the weights moved into huge pages; the move keeps
    // every value and leaves the parameters registered, now in one mapping.
    void decodeStepAndHugePages()
    {
        torch::NoGradGuard noGrad;
        blip2::OptConfig cfg;
        cfg.hidden_size = 128; // above the 2 MiB below which nothing is moved, in bf16 too
        cfg.ffn_dim = 512;
        cfg.num_hidden_layers = 2;
        cfg.num_attention_heads = 4;
        cfg.vocab_size = 6000;
        cfg.max_position_embeddings = 32;
        torch::manual_seed(3);
        for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
            auto model = std::make_shared<blip2::OptForCausalLmImpl>(cfg, dtype);
            model->eval();
            const auto ids = torch::randint(4, cfg.vocab_size, {1, 9}, torch::kLong);
            const auto full = model->forward(model->embedTokens(ids), nullptr, {}, {}).logits.to(torch::kFloat);
            const auto decode = [&] {
                auto cache = model->newCache(1, 16);
                model->forward(model->embedTokens(ids.narrow(1, 0, 8)), &cache, {}, {});
                lm::LmRequest last;
                last.lastLogitsOnly = true;
                return model->forward(model->embedTokens(ids.narrow(1, 8, 1)), &cache, {}, last)
                    .logits.to(torch::kFloat)
                    .flatten();
            };
            const auto before = decode();
            // bf16: the full forward rounds every activation to bf16, the decode step keeps fp32.
            const double scale = full[0][8].abs().max().item<double>();
            const double gap = (before - full[0][8]).abs().max().item<double>();
            QVERIFY2(gap <= (dtype == torch::kFloat ? 1e-5 : 1e-2) * scale,
                qPrintable(QStringLiteral("%1 of %2").arg(gap).arg(scale)));

            std::vector<torch::Tensor> values;
            for (const auto &p : model->parameters())
                values.push_back(p.clone());
            const auto moved = lm::moveToHugePages(model->parameters());
            const auto params = model->parameters();
            for (std::size_t i = 0; i < params.size(); ++i)
                QVERIFY(torch::equal(params[i], values[i]));
            if (moved > 0) { // THP offered (not "never"): all of them, back to back in one mapping
                std::int64_t bytes = 0;
                for (const auto &p : params)
                    bytes += static_cast<std::int64_t>(p.nbytes());
                QVERIFY(moved >= bytes);
                const auto *first = static_cast<const char *>(params.front().data_ptr());
                QVERIFY(std::all_of(params.begin(), params.end(), [&](const torch::Tensor &p) {
                    const auto *at = static_cast<const char *>(p.data_ptr());
                    return at >= first && at < first + moved;
                }));
            }
            QVERIFY(torch::equal(decode(), before));
        }
    }

    // A stop string ends the answer and is cut from its text; EOS ends it too.
    void stopRules()
    {
        auto req = request(8);
        req.sampling.stopStrings = {"<6633>"}; // the fixture has no tokenizer: tokens read "<id>"
        Recorder r;
        const auto res = run<ChatResult>(makeChatJob(req), r);
        QCOMPARE(res.stopReason, std::string("stop-string"));
        QCOMPARE(res.tokens.size(), std::size_t(4));
        QVERIFY(res.text.find("6633") == std::string::npos);
    }

    // The Q-Former's cross-attention maps are distributions over the patches that differ
    // between queries; the similarity matrix has ones on its diagonal.
    void qformerMaps()
    {
        QFormerRequest req;
        req.model = kDir.string();
        req.image = kImage;
        req.compute.dtype = "fp32";
        Recorder r;
        const auto q = run<QFormerResult>(makeQFormerJob(req), r);
        QCOMPARE(q.queries, 8);
        QCOMPARE(q.crossLayers, (std::vector<int> {0, 2}));
        QCOMPARE(q.gridH * q.gridW + 1, q.patches);
        QCOMPARE(q.crossAttentions.size(), std::size_t(2 * 4 * 8 * 50));
        for (int k = 0; k < q.queries; ++k)
            QVERIFY(std::abs(q.similarity[static_cast<std::size_t>(k * 8 + k)] - 1.0f) < 1e-5f);
        const auto a = queryPatchMap(q, 0), b = queryPatchMap(q, 1);
        QCOMPARE(a.size(), std::size_t(49));
        QVERIFY(*std::max_element(a.begin(), a.end()) > 1.5f * *std::min_element(a.begin(), a.end()));
        float diff = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            diff += std::abs(a[i] - b[i]);
        QVERIFY(diff > 1e-3f);
        const auto maxFused = queryPatchMap(q, 0, 0, -1, "max");
        const auto head0 = queryPatchMap(q, 0, 0, 0);
        for (std::size_t i = 0; i < head0.size(); ++i)
            QVERIFY(maxFused[i] >= head0[i]);

        // Answer word -> queries -> patches: the weighted sum of the query maps.
        auto chat = request(3);
        chat.explain = true;
        const auto res = run<ChatResult>(makeChatJob(chat), r);
        QCOMPARE(res.imageAttention.tokens, 3);
        QCOMPARE(res.imageAttention.layers, 2);
        QCOMPARE(res.imageAttention.positions, 8);
        const auto word = wordQueryPatchMap(q, res.imageAttention, 0);
        QCOMPARE(word.size(), std::size_t(49));
        float total = 0;
        for (float v : word)
            total += v;
        float queryMass = 0;
        for (int k = 0; k < 8; ++k)
            for (float v : queryPatchMap(q, k))
                queryMass += v / 8.0f;
        QVERIFY(total > 0 && std::abs(total - queryMass) < 0.2f * queryMass + 1e-3f);
    }

    // Zeroing a query changes the answer's log-probability; a group entry is computed too.
    void queryAblation()
    {
        Recorder r;
        const auto res = run<ChatResult>(makeChatJob(request(4)), r);
        QueryAblationRequest req;
        req.model = kDir.string();
        req.image = kImage;
        req.promptIds = kPrompt;
        req.answerIds = idsOf(res.tokens);
        req.groups = {{0, 1, 2, 3, 4, 5, 6, 7}};
        req.compute.dtype = "fp32";
        const auto a = run<QueryAblationResult>(makeQueryAblationJob(req), r);
        QCOMPARE(a.perQuery.size(), std::size_t(8));
        QVERIFY(a.logProb < 0);
        double logp = 0;
        for (const auto &t : res.tokens)
            logp += std::log(static_cast<double>(t.prob));
        QVERIFY(std::abs(a.logProb - logp) < 1e-3);
        QVERIFY(std::any_of(a.perQuery.begin(), a.perQuery.end(), [](double d) { return std::abs(d) > 1e-4; }));
        QCOMPARE(a.perGroup.size(), std::size_t(1));
    }

    // The inspector's faithfulness on blip2-mini (the figures on 100 images are in the README;
    // here 16, with some slack): the colour answered, the answer word's map through the queries
    // peaking on the object (issue 15: >= 80 %), the queries ranked first by ablation mattering
    // more than random ones (issue 15: >= 90 %).
    void faithfulnessOnBlip2Mini()
    {
        const auto mini = resolveModelPath("blip2-mini");
        if (!fs::exists(fs::path(mini) / "config.json"))
            QSKIP("blip2-mini is not in resources/models");
        QFormerFaithfulnessOptions o;
        o.images = 16;
        o.compute.dtype = "fp32";
        Recorder r;
        const auto f = run<QFormerFaithfulnessResult>(makeQFormerFaithfulnessJob(o), r);
        QCOMPARE(f.images, 16);
        QVERIFY2(f.answerAccuracy >= 0.8, qPrintable(QString::number(f.answerAccuracy)));
        QVERIFY2(f.topPatchOnObject >= 0.8, qPrintable(QString::number(f.topPatchOnObject)));
        QVERIFY2(f.topPatchOnObjectThroughVision >= 0.5, qPrintable(QString::number(f.topPatchOnObjectThroughVision)));
        QVERIFY2(f.ablationBeatsRandom >= 0.8, qPrintable(QString::number(f.ablationBeatsRandom)));
        QVERIFY(f.chanceOnObject > 0.05 && f.chanceOnObject < 0.4);
    }

    // A prompt longer than the model reads keeps its head (the image) and its newest tokens.
    void fitPromptKeepsHeadAndTail()
    {
        std::vector<std::int64_t> ids(20);
        std::iota(ids.begin(), ids.end(), 0);
        auto cut = ids;
        QVERIFY(lm::fitPrompt(cut, 3, 0, 20, 24).empty()); // fits: untouched
        QCOMPARE(cut, ids);
        // 20 ids + 10 image rows in 24 positions: the 6 oldest after the head go.
        const auto warning = lm::fitPrompt(cut, 3, 10, 24, 32);
        QVERIFY2(warning.find("the oldest 6 tokens") != std::string::npos, warning.c_str());
        QCOMPARE(cut, (std::vector<std::int64_t> {0, 1, 2, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
        auto tiny = ids;
        QVERIFY_THROWS_EXCEPTION(ml::Error, lm::fitPrompt(tiny, 18, 0, 10, 12)); // the head alone is too long
        QCOMPARE(lm::promptBudget(2048, 32), std::int64_t(2016));
        QCOMPARE(lm::promptBudget(2048, 4096), std::int64_t(1536)); // the answer gets at most a quarter
        QCOMPARE(lm::promptBudget(64, 0), std::int64_t(63));
    }

    // Hostile prompts through the CLI with llava-mini: a 1 MB question (cut to fit, with a warning),
    // invalid UTF-8 and control characters: each answered, none an out-of-range index.
    void hostilePrompts()
    {
        if (!fs::exists(fs::path(resolveModelPath("llava-mini")) / "model.safetensors"))
            QSKIP("llava-mini is not in resources/models");
        const auto image = QString::fromStdString(kImage);
        const auto ask = [&](const QByteArray &prompt) {
            QTemporaryDir dir;
            QFile f(dir.filePath("prompt.txt"));
            f.open(QIODevice::WriteOnly);
            f.write(prompt);
            f.close();
            return runCli({"--json", "chat", "--model", "llava-mini", "--image", image, "--max-new-tokens", "4",
                "--prompt-file", f.fileName()});
        };
        QByteArray huge;
        while (huge.size() < (1 << 20))
            huge += "what colour is the circle, and is it to the left of the square? ";
        const auto big = ask(huge);
        QVERIFY2(big.exitCode == 0, big.err.c_str());
        QVERIFY2(big.err.find("warning: the prompt is ") != std::string::npos, big.err.c_str());
        QVERIFY2(big.err.find("tokens of the conversation were left out") != std::string::npos, big.err.c_str());
        QVERIFY(!big.json()["token_ids"].empty());
        const auto invalid = ask(QByteArray("what \xff\xfe is \xc3 this?\x01\x02\x1b[31m red\x7f"));
        QVERIFY2(invalid.exitCode == 0, invalid.err.c_str());
        QVERIFY(!invalid.json()["token_ids"].empty());
    }

    void cli()
    {
        const auto image = QString::fromStdString(kImage), model = QString::fromStdString(kDir.string());
        const auto chat = runCli({"--json", "--dtype", "fp32", "chat", "--model", model, "--image", image,
            "--prompt-ids", "2,24361,25,644,318,287,262,4286,30,23998,25", "--max-new-tokens", "8"});
        QVERIFY2(chat.exitCode == 0, chat.err.c_str());
        const auto j = chat.json();
        QCOMPARE(j["token_ids"].get<std::vector<std::int64_t>>(),
            (std::vector<std::int64_t> {43210, 43210, 43210, 6633, 49569, 49569, 49569, 49569}));
        QCOMPARE(j["token_probs"].size(), std::size_t(8));
        QTemporaryDir dir;
        const auto out = dir.filePath("maps.safetensors");
        const auto qf = runCli({"--json", "qformer", "--model", model, "--image", image, "--out", out});
        QVERIFY2(qf.exitCode == 0, qf.err.c_str());
        QCOMPARE(qf.json()["queries"].get<int>(), 8);
        const auto maps = io::SafetensorsFile::open(out.toStdString());
        QCOMPARE(maps->info("cross_attentions").shape, (std::vector<std::int64_t> {2, 4, 8, 50}));
        const auto missing = runCli({"chat", "--model", model, "--image", "/nonexistent/cat.png", "--prompt", "hi"});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.find("/nonexistent/cat.png") != std::string::npos, missing.err.c_str());
        const auto noTokenizer = runCli({"chat", "--model", model, "--image", image, "--prompt", "what is it?"});
        QCOMPARE(noTokenizer.exitCode, 1);
        QVERIFY2(noTokenizer.err.find("vocab.json") != std::string::npos, noTokenizer.err.c_str());
        const auto bench
            = runCli({"--json", "bench", "lm", "--model", model, "--prompt-tokens", "4", "--new-tokens", "8"});
        QVERIFY2(bench.exitCode == 0, bench.err.c_str());
        const auto b = bench.json();
        QVERIFY(b["tokens_per_s"].get<double>() > 0);
        // Every weight once per token, the position table's rows aside: between half and all of them.
        const double elem = b["dtype"] == "fp32" ? 4.0 : 2.0;
        const double all = elem * b["parameters"].get<double>();
        const double perToken = b["weight_bytes_per_token"].get<double>();
        QVERIFY2(perToken > 0.5 * all && perToken <= all, b.dump().c_str());
        QVERIFY2(b["read_gb_per_s"].get<double>() > 0.1, b.dump().c_str());
    }
};

QTEST_GUILESS_MAIN(TestChatService)
#include "test_chat_service.moc"
