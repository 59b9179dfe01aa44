// DDPM training (Ho, Jain, Abbeel 2020) of a diffusers UNet2DModel on Fashion-MNIST padded to
// 32 x 32: ε-prediction MSE at uniform random timesteps of a squaredcos_cap_v2 schedule, AdamW
// with warm-up + cosine, gradient clipping, an EMA of the weights (what the checkpoint holds),
// DDIM sample grids during training; checkpoints in diffusers' flat layout.
#pragma once

#include "engine/ddpm_train_service.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ml::train {

// A run's whole configuration; trainer_state.json keeps it, so a resume trains the same thing.
struct DdpmTrainConfig {
    std::string preset = "mini";
    // mini: 2.24 CPU-s per step at batch 64 on this machine (1 thread, fp32), so 2400 steps (2.6
    // epochs) take ~90 min of one core; (32, 64, 64) costs 1.52 s but has no width at 8 x 8.
    std::int64_t steps = 2400;
    std::int64_t batch = 64;
    double lr = 1e-3;
    double weightDecay = 1e-4;
    double warmupFraction = 0.02;
    double clipNorm = 1.0;
    double emaDecay = 0.999; // reached after warm-up: min(emaDecay, (1 + n) / (10 + n))
    bool randomFlip = false; // Fashion-MNIST's shoes all point left: flipping adds a mode clip-mini never saw
    std::uint64_t seed = 1;

    // The UNet: 32 x 32, one channel; attention only in the last (8 x 8) down / first up block and the mid block.
    std::int64_t imageSize = 32;
    std::vector<std::int64_t> blockOutChannels {32, 64, 128};
    std::int64_t layersPerBlock = 1;
    std::int64_t attentionHeadDim = 32;
    std::int64_t normGroups = 8;

    // The noise schedule (see scheduler_config.json).
    std::int64_t trainTimesteps = 1000;
    std::string betaSchedule = "squaredcos_cap_v2";

    std::int64_t logEvery = 25, evalEvery = 300, checkpointEvery = 300;
    std::int64_t sampleCount = 16, sampleSteps = 25;
    std::uint64_t sampleSeed = 0;

    // "mini" (the embedded ddpm-mini) or "tiny" (tests: seconds). Throws ml::Error.
    static DdpmTrainConfig fromPreset(const std::string &name);
    nlohmann::json toJson() const;
    static DdpmTrainConfig fromJson(const nlohmann::json &j); // a missing key keeps the mini default

    std::int64_t warmupSteps() const;
    // diffusers' UNet2DModel config.json and DDPMScheduler scheduler_config.json of the run.
    nlohmann::json unetConfigJson() const;
    nlohmann::json schedulerConfigJson() const;
};

// The learning rate of optimiser step `step` (0-based): linear warm-up to lr, cosine to 0 at `steps`.
double learningRate(const DdpmTrainConfig &config, std::int64_t step);
// The EMA decay after `updates` updates: min(emaDecay, (1 + updates) / (10 + updates)).
double emaDecayAt(const DdpmTrainConfig &config, std::int64_t updates);

// The forward process for a batch of timesteps: sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) noise, with
// alphasCumprod [T] float32, x0 and noise [B, ...], timesteps [B] int64.
torch::Tensor addNoiseBatch(const torch::Tensor &alphasCumprod, const torch::Tensor &x0, const torch::Tensor &noise,
    const torch::Tensor &timesteps);

// Fashion-MNIST's training images as the model sees them: 28 x 28 zero-padded to side x side, [N, side,
// side] uint8, read-only. Kept in the engine's cache (its bytes count in the memory budget) for the
// next run with the same folder and side: a resumed run or the panel's next one.
std::shared_ptr<const torch::Tensor> paddedFashionImages(
    ModelCache &cache, const std::filesystem::path &dir, std::int64_t side);

class DdpmTrainer {
public:
    explicit DdpmTrainer(DdpmTrainRequest request);
    DdpmTrainResult run(JobContext &ctx);

private:
    DdpmTrainRequest m_request;
};

} // namespace ml::train
