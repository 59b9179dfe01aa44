// A training run folder as the trainers leave it (trainer_state.json, metrics.jsonl, the
// checkpoint's weights), read back for the Training panel and the CLI. No Qt, no LibTorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ml::train {

inline constexpr const char kTrainerStateFile[] = "trainer_state.json";
inline constexpr const char kMetricsFile[] = "metrics.jsonl";
// trainer_state.json's "format": what kind of run the folder holds.
inline constexpr const char kClipStateFormat[] = "modallens.trainer_state.v1";
inline constexpr const char kDdpmStateFormat[] = "modallens.ddpm_trainer_state.v1";
inline constexpr const char kBlip2StateFormat[] = "modallens.blip2_trainer_state.v1";
inline constexpr const char kLlavaStateFormat[] = "modallens.llava_trainer_state.v1";
inline constexpr const char kClipWeightsFile[] = "model.safetensors";
inline constexpr const char kDdpmWeightsFile[] = "diffusion_pytorch_model.safetensors";

enum class RunKind { Clip, Ddpm, Blip2, Llava };
const char *runKindName(RunKind kind); // "clip" | "ddpm" | "blip2" | "llava"

// trainer_state.json: where the run is and the settings it trains with (its "config").
struct RunState {
    RunKind kind = RunKind::Clip;
    std::int64_t step = 0; // optimiser steps done (the checkpoint's)
    std::int64_t totalSteps = 0;
    std::string preset;
    std::int64_t steps = 0, batch = 0, seed = 0, evalEvery = 0, checkpointEvery = 0;
    double lr = 0.0;
    double mixFashion = 0.0, mixSingle = 0.0, mixMulti = 0.0; // CLIP's data mix
    std::vector<std::int64_t> blockOutChannels;               // DDPM's UNet
    std::int64_t layersPerBlock = 0;
    std::int64_t stage1Steps = 0; // BLIP-2's contrastive stage, LLaVA's projector alignment
};

bool holdsRunState(const std::filesystem::path &folder); // trainer_state.json exists
// Throws ml::Error naming the file: none there, unreadable, not JSON, not a ModalLens run.
RunState readRunState(const std::filesystem::path &folder);

// The model a folder's checkpoint holds: CLIP, BLIP-2 or LLaVA (model.safetensors, told apart by
// config.json's model_type) or DDPM (diffusers' flat layout); nullopt when it holds none.
std::optional<RunKind> checkpointKind(const std::filesystem::path &folder);

// One metrics.jsonl line: its step and every number on it ("loss", "lr", "shapes_acc", ...).
struct MetricsPoint {
    std::int64_t step = 0;
    std::map<std::string, double> values;
    std::optional<double> value(const std::string &key) const;
};

struct Metrics {
    std::vector<MetricsPoint> points;  // in file order
    std::vector<std::string> problems; // "FILE:LINE: what is wrong", one per line skipped
    std::int64_t lastStep = 0;         // of the points kept
};

// A run folder's metrics.jsonl, or the file itself when `path` names one.
std::filesystem::path metricsFileOf(const std::filesystem::path &path);

// Every line that parses; a line that does not (not JSON, no step, cut short while being written)
// is skipped and named in `problems`. upToStep: lines after that step are left out (a resumed
// run's curve so far). Throws ml::Error naming the file when it cannot be read, or when it holds
// several lines and none of them has a step (not a metrics file).
Metrics readMetrics(const std::filesystem::path &file, std::optional<std::int64_t> upToStep = std::nullopt);

} // namespace ml::train
