// Loads a diffusers UNet2DModel checkpoint, flat (config.json + diffusion_pytorch_model.safetensors
// [+ scheduler_config.json]) or as a pipeline (model_index.json with unet/ and scheduler/).
#pragma once

#include "models/diffusion/diffusion_config.h"
#include "models/diffusion/unet2d.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ml {
class ModelCache;
} // namespace ml

namespace ml::diffusion {

struct LoadedDiffusion {
    UNet2DModel unet {nullptr};
    SchedulerConfig scheduler; // diffusers' DDPMScheduler defaults when the checkpoint has none
    bool hasSchedulerConfig = false;
    std::filesystem::path folder;     // what was given
    std::filesystem::path unetFolder; // where config.json and the weights are
    std::string name;
    std::int64_t parameters = 0;
    std::vector<std::string> warnings; // unused weights, no scheduler config, ...
};

// Every problem (missing or broken file, not a UNet2DModel, config errors, missing or mis-shaped
// weights) is listed in one ml::Error naming the file; nothing is returned half-loaded. The
// model is in eval mode, in `dtype`, on `device`. Old checkpoints' attention names (query, key,
// value, proj_attn) are read as to_q, to_k, to_v, to_out.0.
LoadedDiffusion loadDiffusion(
    const std::filesystem::path &folder, torch::ScalarType dtype = torch::kFloat, torch::Device device = torch::kCPU);

// The parameters of a UNet2DModel of this config, counted from its numbers alone (diffusers'
// block layout: resnets, attentions, resamplers, time embedding), before anything is allocated.
std::int64_t estimateUnetParameters(const UNet2DConfig &config);
struct DiffusionEstimate {
    std::int64_t bytes = 0; // parameters x dtype size; 0 when the config cannot be read (the load says why)
    std::string configFile; // the UNet's config.json (a pipeline's unet/config.json)
};
DiffusionEstimate estimateDiffusion(const std::filesystem::path &folder, torch::ScalarType dtype);

// The UNet of folder from the engine's model cache (dtype / device as resolved names): loaded once,
// shared by every job and denoising session that holds it, refused before any allocation when
// its config says it cannot fit the cache's budget.
std::shared_ptr<const LoadedDiffusion> acquireDiffusion(
    ModelCache &cache, const std::filesystem::path &folder, const std::string &dtype, const std::string &device);

// The tensor type of a resolved compute dtype ("fp32" | "bf16" | "fp16", as resolveDtype gives).
torch::ScalarType scalarTypeOf(const std::string &dtype);

// A UNet2DModel with PyTorch's default initialisation, built from a config (benchmarks, tests).
// whatForErrors names the config in messages.
UNet2DModel buildRandomUNet(const nlohmann::json &config, const std::string &whatForErrors, std::uint64_t seed);

} // namespace ml::diffusion
