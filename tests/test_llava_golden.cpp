// LLaVA parity with the reference (transformers 4.40 LlavaForConditionalGeneration with LLaMA,
// eager attention) on the golden fixtures: CLIP preprocessing, the vision tower's hidden states
// and attentions, the selected and projected features, the merged sequence through LLaMA (hidden
// states, logits), and greedy generation through the shared decode loop (ids exactly, step scores
// within tolerance). Also: GQA and the KV cache agree with a full forward; bf16 stays close to
// float32 where the CPU has native bf16; a budget too small is refused before any allocation.
#include "dtype_test_util.h"
#include "engine/model_cache.h"
#include "golden_test_util.h"
#include "io/safetensors.h"
#include "models/llava/llava_runtime.h"
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

const fs::path kDir = fs::path(MODALLENS_FIXTURES_DIR) / "llava";

void expectClose(const torch::Tensor &actual, const torch::Tensor &expected, const std::string &name)
{
    static const nlohmann::json m = readGoldenManifest(kDir);
    expectGoldenClose(m, actual, expected, name);
}

} // namespace

class TestLlavaGolden : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!fs::exists(kDir / "expected.safetensors"))
            QSKIP("golden fixtures not found at " MODALLENS_FIXTURES_DIR "/llava (set MODALLENS_FIXTURES_DIR)");
        m_expected = ml::io::SafetensorsFile::open(kDir / "expected.safetensors");
        m_rt = ml::llava::LlavaRuntime::load(kDir, torch::kFloat, torch::kCPU);
    }

    void preprocessing()
    {
        cv::Mat bgr = cv::imread((kDir / "image_astronaut_320x320.png").string(), cv::IMREAD_COLOR), rgb;
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        expectClose(m_rt->pixels(rgb.data, rgb.rows, rgb.cols), m_expected->tensor("pixel_values"), "pixel_values");
    }

    void visionAndProjector()
    {
        torch::NoGradGuard g;
        const auto f = m_rt->model()->imageFeatures(m_expected->tensor("pixel_values"), true);
        expectClose(torch::stack(f.hidden), m_expected->tensor("vision_hidden_states"), "vision_hidden_states");
        expectClose(
            torch::stack(f.attentions).transpose(0, 1), m_expected->tensor("vision_attentions"), "vision_attentions");
        expectClose(f.selected, m_expected->tensor("selected_image_features"), "selected_image_features");
        expectClose(f.projected, m_expected->tensor("image_features"), "image_features");
    }

    void languageModel()
    {
        torch::NoGradGuard g;
        const auto merged = prompt();
        QCOMPARE(merged.imageBegin, std::int64_t(5));
        QCOMPARE(merged.imageEnd, std::int64_t(54));
        ml::lm::LmRequest request;
        request.hiddenStates = true;
        const auto out = m_rt->model()->languageModel()->forward(merged.embeds, nullptr, {}, request);
        expectLmOutputsClose(expectClose, *m_expected, out);
    }

    // Greedy through the KV-cache loop equals the reference's generate(): ids, and every step's
    // top-5 scores.
    void greedyGeneration()
    {
        const auto merged = prompt();
        auto &lm = *m_rt->model()->languageModel();
        const auto g = ml::lm::generate(lm, merged.embeds, goldenGreedyOptions());
        const auto prompt = tensorIds(m_expected->tensor("input_ids"));
        auto expected = tensorIds(m_expected->tensor("generated_ids"));
        expected.erase(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(prompt.size()));
        QCOMPARE(g.ids, expected);
        expectStepTopIds(g, tensorIds(m_expected->tensor("generate_step_topk_indices")));
        // The step scores: the logits of each cached step.
        torch::NoGradGuard noGrad;
        auto cache = lm.newCache(1, merged.embeds.size(1) + 8);
        auto logits = lm.forward(merged.embeds, &cache, {}, {}).logits.select(1, merged.embeds.size(1) - 1);
        std::vector<torch::Tensor> scores;
        for (std::size_t s = 0; s < g.ids.size(); ++s) {
            scores.push_back(std::get<0>(logits.topk(5, -1)));
            const auto next = torch::tensor({g.ids[s]}, torch::kLong).view({1, 1});
            logits = lm.forward(lm.embedTokens(next), &cache, {}, {}).logits.select(1, 0);
        }
        expectClose(
            torch::stack(scores, 1), m_expected->tensor("generate_step_topk_values"), "generate_step_topk_values");
    }

    // Prefill in two parts and one cached step give the logits of a full forward.
    void cacheEqualsFullForward()
    {
        torch::NoGradGuard g;
        expectCacheEqualsFullForward(*m_rt->model()->languageModel(), prompt().embeds);
    }

    // Grouped-query attention: a model with 2 key-value heads for 4 query heads equals the same
    // model with each key-value head repeated (plain multi-head), with and without the cache.
    void groupedQueryAttention()
    {
        torch::NoGradGuard g;
        ml::llava::LlamaConfig c;
        c.vocab_size = 64;
        c.hidden_size = 32;
        c.intermediate_size = 48;
        c.num_hidden_layers = 2;
        c.num_attention_heads = 4;
        c.num_key_value_heads = 2;
        c.max_position_embeddings = 64;
        torch::manual_seed(7);
        ml::llava::LlamaForCausalLm gqa(c);
        auto full = c;
        full.num_key_value_heads = 4;
        ml::llava::LlamaForCausalLm mha(full);
        auto target = mha->named_parameters();
        for (const auto &p : gqa->named_parameters()) {
            auto value = p.value();
            if (p.key().find("k_proj") != std::string::npos || p.key().find("v_proj") != std::string::npos)
                value = value.view({2, 1, 8, 32}).expand({2, 2, 8, 32}).reshape({32, 32});
            target[p.key()].copy_(value);
        }
        const auto embeds = gqa->embedTokens(torch::randint(0, 64, {1, 9}, torch::kLong));
        const auto a = gqa->forward(embeds, nullptr, {}, {}).logits;
        const auto b = mha->forward(embeds, nullptr, {}, {}).logits;
        QVERIFY(torch::allclose(a, b, 1e-5, 1e-5));
        auto cache = gqa->newCache(1, 9);
        gqa->forward(embeds.narrow(1, 0, 8), &cache, {}, {});
        const auto step = gqa->forward(embeds.narrow(1, 8, 1), &cache, {}, {}).logits;
        QVERIFY(torch::allclose(step[0][0], b[0][8], 1e-5, 1e-5));
    }

    // bf16 weights (where the CPU has native bf16): the greedy answer's first tokens and the last
    // logits stay close to float32.
    void bf16CloseToFloat32()
    {
        MODALLENS_REQUIRE_NATIVE_BF16();
        torch::NoGradGuard g;
        const auto bf = ml::llava::LlavaRuntime::load(kDir, torch::kBFloat16, torch::kCPU);
        const auto ids32 = tensorIds(m_expected->tensor("input_ids"));
        const auto pixels = m_expected->tensor("pixel_values");
        const auto a = bf->model()->merge(ids32, bf->imageEmbeds(pixels));
        const auto la = bf->model()->languageModel()->forward(a.embeds, nullptr, {}, {}).logits.to(torch::kFloat);
        const auto lb = m_rt->model()->languageModel()->forward(prompt().embeds, nullptr, {}, {}).logits;
        const auto cosine = torch::cosine_similarity(la.flatten(), lb.flatten(), 0).item<double>();
        qInfo("bf16 vs fp32 logits cosine %.5f", cosine);
        QVERIFY(cosine > 0.99);
    }

    // The cache refuses a model its config says cannot fit, naming config.json, before loading.
    void budgetRefusal()
    {
        expectBudgetRefusal([](ml::ModelCache &cache) { ml::llava::acquireLlavaRuntime(cache, kDir, "fp32", "cpu"); });
    }

private:
    ml::llava::MergedPrompt prompt()
    {
        torch::NoGradGuard g;
        const auto image = m_rt->imageEmbeds(m_expected->tensor("pixel_values"));
        return m_rt->model()->merge(tensorIds(m_expected->tensor("input_ids")), image);
    }

    std::shared_ptr<ml::io::SafetensorsFile> m_expected;
    std::shared_ptr<ml::llava::LlavaRuntime> m_rt;
};

QTEST_GUILESS_MAIN(TestLlavaGolden)
#include "test_llava_golden.moc"
