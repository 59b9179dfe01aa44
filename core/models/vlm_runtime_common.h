// What the BLIP-2 and LLaVA runtimes share: opening a folder of their family, the load's one error
// listing every problem, the weights bound for inference, ids shown without a tokenizer, and the
// model cache's entry.
#pragma once

#include "engine/model_cache.h"
#include "io/checkpoint.h"

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
} // namespace torch::nn

namespace ml::vlm {

using LoadProgress = std::function<void(std::int64_t, std::int64_t)>;

// The folder's checkpoint; throws "FOLDER: not a NAME checkpoint (config.json says '...')" unless
// it is of family.
io::Checkpoint openCheckpointOf(const std::filesystem::path &folder, const char *family, const char *name);

// "CONFIG: problem" for each of the config's problems.
std::vector<std::string> configProblems(const io::Checkpoint &ckpt, const std::vector<std::string> &problems);

// Throws ml::Error "FOLDER: cannot load NAME:" with the problems, one an indented line.
[[noreturn]] void failLoad(
    const std::filesystem::path &folder, const char *name, const std::vector<std::string> &problems);

// Copies the checkpoint's weights into module (one error naming the folder lists every missing or
// mis-shaped one), then moves it to device in eval mode; returns a warning per unused weight.
std::vector<std::string> bindForInference(torch::nn::Module &module, const io::Checkpoint &ckpt,
    const std::filesystem::path &folder, torch::Device device, const LoadProgress &progress);

// Throws ml::Error naming tokenizerFile when its ids reach past the language model's embedding table.
void checkTokenizerIds(const std::filesystem::path &tokenizerFile, std::int64_t largestId, std::int64_t vocabSize);

std::int64_t parameterBytes(const torch::nn::Module &module); // at their dtype

// Without a tokenizer: a token as its id, "<42>"; a text as its tokens, space-separated.
std::string idText(std::int64_t id);
std::string idsText(const std::vector<std::int64_t> &ids);

// The runtime of folder from the model cache, keyed by kind, dtype ("bf16", "fp16", else float32)
// and device; estimate(folder, scalar type) sizes it before Runtime::load loads it.
template<typename Runtime, typename Estimate>
std::shared_ptr<Runtime> acquireRuntime(ModelCache &cache, const char *kind, const std::filesystem::path &folder,
    const std::string &dtype, const std::string &device, const LoadProgress &progress,
    Estimate (*estimate)(const std::filesystem::path &, torch::ScalarType))
{
    const auto type = dtype == "bf16" ? torch::kBFloat16 : dtype == "fp16" ? torch::kHalf : torch::kFloat;
    const Estimate e = estimate(folder, type);
    return cache.acquire<Runtime>(makeModelKey(kind, folder.string(), dtype, device), e.bytes, e.configFile, [&] {
        auto rt = Runtime::load(folder, type, torch::Device(device), progress);
        const auto bytes = rt->bytes();
        return ModelCache::Loaded {std::move(rt), bytes};
    });
}

} // namespace ml::vlm
