// The language models on CUDA with the golden fixtures (fixtures/llava: LLaVA with LLaMA;
// fixtures/blip2: BLIP-2 with OPT), fed the reference's pixel_values and input_ids: the last
// logits within the manifest's tolerance in float32, greedy decoding through the KV-cache loop
// (8 new tokens) giving the same ids on CUDA as on the CPU and as the fixture's generated_ids,
// with the same top-5 at every step; float16 logits within cosine 0.99 of float32.
#include "golden_lm_util.h"
#include "gpu_check.h"

#include "io/safetensors.h"
#include "models/blip2/blip2_runtime.h"
#include "models/llava/llava_runtime.h"
#include "models/lm/generate.h"

#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using ml::gpucheck::run;

namespace {

const torch::Device kCuda(torch::kCUDA);
constexpr double kFp16LogitsCosine = 0.99; // tests/test_llava_golden.cpp's bound for bf16

struct Fixture {
    fs::path dir;
    nlohmann::json manifest;
    std::shared_ptr<ml::io::SafetensorsFile> expected;
    torch::Tensor tensor(const std::string &name) const { return expected->tensor(name); }
};

std::vector<std::int64_t> stepTopIds(const ml::lm::Generation &g)
{
    std::vector<std::int64_t> out;
    for (const auto &t : g.tokens)
        for (const auto &alt : t.top)
            out.push_back(alt.id);
    return out;
}

// The decoder on CUDA against the CPU and the fixture: the prompt's last logits, greedy ids.
void compareDecoding(const Fixture &f, ml::lm::CausalLm &cpuLm, const torch::Tensor &cpuEmbeds, ml::lm::CausalLm &gpuLm,
    const torch::Tensor &gpuEmbeds, const std::vector<std::int64_t> &expectedNew)
{
    GPU_CHECK_ON_CUDA(gpuEmbeds, "prompt embeddings");
    {
        torch::NoGradGuard noGrad;
        const auto logits = gpuLm.forward(gpuEmbeds, nullptr, {}, {}).logits;
        GPU_CHECK_ON_CUDA(logits, "logits");
        const auto last = logits.select(1, logits.size(1) - 1);
        GPU_CHECK_GOLDEN(f.manifest, last, f.tensor("logits_last"), "logits_last", "logits_last (cuda fp32)");
        GPU_CHECK_EQUAL(std::get<1>(logits.topk(5, -1)), f.tensor("logits_topk_indices"), "every position's top-5 ids");
    }
    const auto a = ml::lm::generate(cpuLm, cpuEmbeds, goldenGreedyOptions());
    const auto b = ml::lm::generate(gpuLm, gpuEmbeds, goldenGreedyOptions());
    std::printf("greedy ids: cpu %s, cuda %s, fixture %s\n", ml::gpucheck::idsText(a.ids).c_str(),
        ml::gpucheck::idsText(b.ids).c_str(), ml::gpucheck::idsText(expectedNew).c_str());
    GPU_CHECK(b.ids == a.ids, "greedy ids on CUDA equal the CPU's");
    GPU_CHECK(b.ids == expectedNew, "greedy ids on CUDA equal the fixture's generated_ids");
    GPU_CHECK(!b.ids.empty(), "tokens were generated");
    GPU_CHECK(stepTopIds(b) == stepTopIds(a), "every step's top-5 ids on CUDA equal the CPU's");
    GPU_CHECK(stepTopIds(b) == tensorIds(f.tensor("generate_step_topk_indices")),
        "every step's top-5 ids on CUDA equal the fixture's");
    std::printf(
        "cuda decoding: first token %.1f ms, %.1f tokens/s (tiny model; not a figure)\n", b.firstTokenMs, b.tokensPerS);
}

void llava(const Fixture &f)
{
    const auto cpu = ml::llava::LlavaRuntime::load(f.dir, torch::kFloat, torch::kCPU);
    const auto gpu = ml::llava::LlavaRuntime::load(f.dir, torch::kFloat, kCuda);
    GPU_CHECK(gpu->device().is_cuda(), "LLaVA runtime on " + gpu->device().str());
    GPU_CHECK_PARAMETERS(gpu->model()->parameters(), torch::kFloat, "LLaVA fp32");
    const auto promptIds = tensorIds(f.tensor("input_ids"));
    const auto pixels = f.tensor("pixel_values");
    torch::Tensor cpuEmbeds, gpuEmbeds;
    {
        torch::NoGradGuard noGrad;
        const auto image = gpu->imageEmbeds(pixels);
        GPU_CHECK_ON_CUDA(image, "LLaVA image features");
        GPU_CHECK_GOLDEN(f.manifest, image, f.tensor("image_features"), "image_features", "image_features (cuda)");
        cpuEmbeds = cpu->model()->merge(promptIds, cpu->imageEmbeds(pixels)).embeds;
        gpuEmbeds = gpu->model()->merge(promptIds, image).embeds;
    }
    auto expected = tensorIds(f.tensor("generated_ids"));
    expected.erase(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(promptIds.size()));
    compareDecoding(f, *cpu->model()->languageModel(), cpuEmbeds, *gpu->model()->languageModel(), gpuEmbeds, expected);

    // float16 on CUDA: the prompt's logits stay close to float32.
    torch::NoGradGuard noGrad;
    const auto half = ml::llava::LlavaRuntime::load(f.dir, torch::kHalf, kCuda);
    const auto merged = half->model()->merge(promptIds, half->imageEmbeds(pixels));
    const auto l16 = half->model()->languageModel()->forward(merged.embeds, nullptr, {}, {}).logits;
    const auto l32 = gpu->model()->languageModel()->forward(gpuEmbeds, nullptr, {}, {}).logits;
    GPU_CHECK_PARAMETERS(half->model()->parameters(), torch::kHalf, "LLaVA fp16");
    GPU_CHECK_COSINE(l16.to(torch::kFloat), l32, kFp16LogitsCosine, "LLaVA fp16 logits vs fp32");
    const auto g16 = ml::lm::generate(*half->model()->languageModel(), merged.embeds, goldenGreedyOptions());
    std::printf("fp16 greedy ids (reported, not asserted): %s\n", ml::gpucheck::idsText(g16.ids).c_str());
}

void blip2(const Fixture &f)
{
    const auto cpu = ml::blip2::Blip2Runtime::load(f.dir, torch::kFloat, torch::kCPU);
    const auto gpu = ml::blip2::Blip2Runtime::load(f.dir, torch::kFloat, kCuda);
    GPU_CHECK(gpu->device().is_cuda(), "BLIP-2 runtime on " + gpu->device().str());
    GPU_CHECK_PARAMETERS(gpu->model()->parameters(), torch::kFloat, "BLIP-2 fp32");
    const auto promptIds = tensorIds(f.tensor("input_ids"));
    const auto pixels = f.tensor("pixel_values");
    torch::Tensor cpuEmbeds, gpuEmbeds;
    {
        torch::NoGradGuard noGrad;
        const auto queries = gpu->queryEmbeds(pixels);
        GPU_CHECK_ON_CUDA(queries, "BLIP-2 query embeddings");
        GPU_CHECK_GOLDEN(f.manifest, queries, f.tensor("language_projection_output"), "language_projection_output",
            "language_projection_output (cuda)");
        cpuEmbeds = cpu->promptEmbeds(cpu->queryEmbeds(pixels), promptIds);
        gpuEmbeds = gpu->promptEmbeds(queries, promptIds);
    }
    auto expected = tensorIds(f.tensor("generated_ids"));
    GPU_CHECK(!expected.empty() && expected.front() == 2, "the fixture's generated_ids start with bos 2");
    if (!expected.empty())
        expected.erase(expected.begin()); // transformers 4.40 returns [bos] + the new tokens
    compareDecoding(f, *cpu->model()->languageModel(), cpuEmbeds, *gpu->model()->languageModel(), gpuEmbeds, expected);

    torch::NoGradGuard noGrad;
    const auto half = ml::blip2::Blip2Runtime::load(f.dir, torch::kHalf, kCuda);
    GPU_CHECK_PARAMETERS(half->model()->parameters(), torch::kHalf, "BLIP-2 fp16");
    const auto embeds = half->promptEmbeds(half->queryEmbeds(pixels), promptIds);
    const auto l16 = half->model()->languageModel()->forward(embeds, nullptr, {}, {}).logits;
    const auto l32 = gpu->model()->languageModel()->forward(gpuEmbeds, nullptr, {}, {}).logits;
    GPU_CHECK_COSINE(l16.to(torch::kFloat), l32, kFp16LogitsCosine, "BLIP-2 fp16 logits vs fp32");
    const auto g16 = ml::lm::generate(*half->model()->languageModel(), embeds, goldenGreedyOptions());
    std::printf("fp16 greedy ids (reported, not asserted): %s\n", ml::gpucheck::idsText(g16.ids).c_str());
}

Fixture openFixture(const std::string &family)
{
    Fixture f;
    f.dir = ml::gpucheck::requireFixture(family);
    f.manifest = ml::gpucheck::readManifest(f.dir);
    f.expected = ml::io::SafetensorsFile::open(f.dir / "expected.safetensors");
    return f;
}

} // namespace

int main()
{
    ml::gpucheck::skipUnlessCuda();
    const auto llavaFixture = openFixture("llava");
    const auto blip2Fixture = openFixture("blip2");
    ml::gpucheck::strictFloat32();
    run("llava", [&] { llava(llavaFixture); });
    run("blip2", [&] { blip2(blip2Fixture); });
    return ml::gpucheck::finish();
}
