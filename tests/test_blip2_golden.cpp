// BLIP-2 parity with the reference (transformers 4.40 Blip2ForConditionalGeneration with OPT,
// eager attention) on the golden fixtures: preprocessing, the vision tower, the Q-Former's
// outputs and attentions, the projected queries, OPT's hidden states and logits, and greedy
// generation through the shared decode loop (ids exactly). Also: a sharded copy of the fixture
// loads to the same weights, and a budget too small is refused before anything is allocated.
#include "engine/chat_service.h"
#include "engine/engine.h"
#include "engine/model_cache.h"
#include "golden_test_util.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/blip2/blip2_runtime.h"
#include "models/lm/generate.h"

#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(MODALLENS_FIXTURES_DIR) / "blip2";

void expectClose(const torch::Tensor &actual, const torch::Tensor &expected, const std::string &name)
{
    static const nlohmann::json m = readGoldenManifest(kDir);
    expectGoldenClose(m, actual, expected, name);
}

} // namespace

class TestBlip2Golden : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!fs::exists(kDir / "expected.safetensors"))
            QSKIP("golden fixtures not found at " MODALLENS_FIXTURES_DIR "/blip2 (set MODALLENS_FIXTURES_DIR)");
        m_expected = ml::io::SafetensorsFile::open(kDir / "expected.safetensors");
        m_rt = ml::blip2::Blip2Runtime::load(kDir, torch::kFloat, torch::kCPU);
    }

    void preprocessing()
    {
        cv::Mat bgr = cv::imread((kDir / "image_coffee_390x260.png").string(), cv::IMREAD_COLOR), rgb;
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        const auto pixels = m_rt->processor()(rgb.data, rgb.rows, rgb.cols);
        expectClose(pixels, m_expected->tensor("pixel_values"), "pixel_values");
    }

    void visionAndQFormer()
    {
        torch::NoGradGuard g;
        auto &model = m_rt->model();
        const auto v = model->vision(m_expected->tensor("pixel_values"), true);
        expectClose(v.lastHiddenState, m_expected->tensor("vision_last_hidden_state"), "vision_last_hidden_state");
        expectClose(v.pooled, m_expected->tensor("vision_pooled_output"), "vision_pooled_output");
        expectClose(torch::stack(v.attentions, 1), m_expected->tensor("vision_attentions"), "vision_attentions");
        const auto q = model->queryOutputs(v.lastHiddenState, true);
        expectClose(q.lastHiddenState, m_expected->tensor("qformer_last_hidden_state"), "qformer_last_hidden_state");
        expectClose(torch::stack(q.selfAttentions, 1), m_expected->tensor("qformer_self_attentions"),
            "qformer_self_attentions");
        QCOMPARE(model->qformerModel()->crossLayers(), (std::vector<int> {0, 2}));
        expectClose(torch::stack(q.crossAttentions, 1), m_expected->tensor("qformer_cross_attentions"),
            "qformer_cross_attentions");
        expectClose(model->projectQueries(q.lastHiddenState), m_expected->tensor("language_projection_output"),
            "language_projection_output");
    }

    void languageModel()
    {
        torch::NoGradGuard g;
        auto &model = m_rt->model();
        const auto queries = m_rt->queryEmbeds(m_expected->tensor("pixel_values"));
        const auto embeds = m_rt->promptEmbeds(queries, tensorIds(m_expected->tensor("input_ids")));
        ml::lm::LmRequest request;
        request.hiddenStates = true;
        const auto out = model->languageModel()->forward(embeds, nullptr, {}, request);
        expectLmOutputsClose(expectClose, *m_expected, out);
    }

    // Greedy through the KV-cache loop equals the reference's generate(), step scores included.
    void greedyGeneration()
    {
        const auto queries = m_rt->queryEmbeds(m_expected->tensor("pixel_values"));
        const auto embeds = m_rt->promptEmbeds(queries, tensorIds(m_expected->tensor("input_ids")));
        const auto g = ml::lm::generate(*m_rt->model()->languageModel(), embeds, goldenGreedyOptions());
        auto expected = tensorIds(m_expected->tensor("generated_ids"));
        QCOMPARE(expected.front(), std::int64_t(2)); // 4.40 returns [bos] + the new tokens
        expected.erase(expected.begin());
        QCOMPARE(g.ids, expected);
        expectStepTopIds(g, tensorIds(m_expected->tensor("generate_step_topk_indices")));
        QCOMPARE(g.stopReason, std::string("max-tokens"));
    }

    // The ten cached positions of a KV-cache step give the logits of a full forward.
    void cacheEqualsFullForward()
    {
        torch::NoGradGuard g;
        const auto queries = m_rt->queryEmbeds(m_expected->tensor("pixel_values"));
        const auto embeds = m_rt->promptEmbeds(queries, tensorIds(m_expected->tensor("input_ids")));
        expectCacheEqualsFullForward(*m_rt->model()->languageModel(), embeds);
    }

    // A copy split into two shards with an index loads to the same weights and the same logits.
    void shardedCheckpoint()
    {
        const fs::path dir = fs::temp_directory_path() / ("ml-blip2-shards-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        for (const char *f : {"config.json", "preprocessor_config.json", "generation_config.json"})
            fs::copy_file(kDir / f, dir / f);
        const auto all = ml::io::SafetensorsFile::open(kDir / "model.safetensors")->all();
        std::map<std::string, torch::Tensor> a, b;
        nlohmann::json map = nlohmann::json::object();
        for (const auto &[name, t] : all) {
            const bool first = name.rfind("language_model", 0) == 0;
            (first ? a : b)[name] = t;
            map[name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
        }
        ml::io::saveSafetensors(dir / "model-00001-of-00002.safetensors", a);
        ml::io::saveSafetensors(dir / "model-00002-of-00002.safetensors", b);
        std::ofstream(dir / "model.safetensors.index.json") << nlohmann::json {{"metadata", {}}, {"weight_map", map}};
        const auto sharded = ml::blip2::Blip2Runtime::load(dir, torch::kFloat, torch::kCPU);
        const auto one = m_rt->model()->named_parameters(), two = sharded->model()->named_parameters();
        QCOMPARE(one.size(), two.size());
        for (const auto &p : one)
            QVERIFY2(torch::equal(p.value(), two[p.key()]), p.key().c_str());
        fs::remove_all(dir);
    }

    // The cache refuses a model its config says cannot fit, naming config.json and the figures,
    // before the loader runs.
    void budgetRefusal()
    {
        // 64 KiB: the fixture needs ~2 MB in fp32
        expectBudgetRefusal([](ml::ModelCache &cache) { ml::blip2::acquireBlip2Runtime(cache, kDir, "fp32", "cpu"); });
        const auto estimate = ml::blip2::estimateBlip2(kDir, torch::kFloat);
        QVERIFY(estimate.bytes > 1000000 && estimate.bytes < 4000000);
    }

private:
    std::shared_ptr<ml::io::SafetensorsFile> m_expected;
    std::shared_ptr<ml::blip2::Blip2Runtime> m_rt;
};

QTEST_GUILESS_MAIN(TestBlip2Golden)
#include "test_blip2_golden.moc"
