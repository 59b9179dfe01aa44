// What the CLIP and DDPM training loops share: the warm-up + cosine schedule, timing and the
// metric interval, pause/stop handling, the trainer-state files (JSON + AdamW state in
// safetensors) and the checks made when a run is resumed.
#pragma once

#include "engine/engine.h"

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include <any>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ml {
class TrainControl;
namespace io {
class SafetensorsFile;
}
} // namespace ml

namespace ml::train {

using TrainClock = std::chrono::steady_clock;

double secondsSince(TrainClock::time_point t);

// Writes j (indented) to path through a temporary file renamed over it.
void writeJsonAtomic(const std::filesystem::path &path, const nlohmann::json &j);

// max(1, round(fraction * steps)).
std::int64_t warmupStepsFor(double fraction, std::int64_t steps);

// Linear warm-up to lr over `warmup` steps, then cosine decay to 0 at `steps`.
double warmupCosineLr(double lr, std::int64_t warmup, std::int64_t steps, std::int64_t step);

// Sets every parameter group's learning rate.
void setLearningRate(torch::optim::Optimizer &optimizer, double lr);

// Throws naming a non-finite loss at the 1-based step.
void checkFiniteLoss(double loss, std::int64_t step);

// Resume checks: a conflicting override adds a line to conflicts; throwIfConflicts throws them all.
void checkOverride(
    std::vector<std::string> &conflicts, const char *flag, bool given, bool differs, const std::string &run);
void throwIfConflicts(const std::string &outDir, const std::vector<std::string> &conflicts);

// The run's trainer_state.json when resuming (checked to be of `format`; `what` names it in
// errors), nothing on a fresh run; throws when a fresh run would overwrite one.
std::optional<nlohmann::json> openTrainerState(
    const std::filesystem::path &dir, bool resume, const char *format, const std::string &what);

// Throws when a resumed run has nothing left to do.
void checkStepsLeft(const std::filesystem::path &dir, std::int64_t startStep, std::int64_t steps);

// Blocks while control asks for a pause (reporting "paused"); returns at once without one.
void waitWhilePaused(TrainControl *control, JobContext &ctx, std::int64_t done, std::int64_t total);

// AdamW state of module's parameters as exp_avg.NAME, exp_avg_sq.NAME, step.NAME.
void addAdamWState(
    std::map<std::string, torch::Tensor> &state, torch::nn::Module &module, torch::optim::AdamW &optimizer);

// Throws when the state file's trainer.step is not startStep (an interrupted checkpoint).
void checkStateStep(const io::SafetensorsFile &state, std::int64_t startStep);

// Loads what addAdamWState wrote into optimizer; returns the parameters it holds nothing for.
// Throws when a state has the wrong shape.
std::vector<std::string> loadAdamWState(
    const io::SafetensorsFile &state, torch::nn::Module &module, torch::optim::AdamW &optimizer);

// Timing and loss of the steps since the last metric.
struct StepTimes {
    double activeSeconds = 0.0; // training, evaluation and checkpoints of this session
    double trainSeconds = 0.0;  // optimiser steps only
    double lastEvalSeconds = 0.0;
    double intervalSeconds = 0.0;
    double stepSecondsEma = 0.0;
    double lossSum = 0.0;
    std::int64_t intervalSteps = 0;

    void addStep(double seconds, double loss);
    void resetInterval();
    double stepsPerSecond() const;
    // Seconds left for `remaining` steps with an evaluation every evalEvery; -1 before any step.
    double etaSeconds(std::int64_t remaining, std::int64_t evalEvery) const;
};

// Lane::Training job named "Train MODEL (PRESET)" running Trainer(request).run(ctx).
template<typename Trainer, typename Request> Job makeTrainerJob(const char *model, Request request)
{
    Job job;
    job.name
        = std::string("Train ") + model + " (" + (request.preset.empty() ? std::string("mini") : request.preset) + ")";
    job.lane = Lane::Training;
    job.run = [request = std::move(request)](JobContext &ctx) -> std::any { return Trainer(request).run(ctx); };
    return job;
}

// The presets both trainers know.
inline std::vector<std::string> trainerPresetNames()
{
    return {"mini", "tiny"};
}

// The request fields every trainer shares, from a preset's configuration.
template<typename Request, typename Config> void setCommonPresetFields(Request &r, const Config &c)
{
    r.preset = c.preset;
    r.steps = c.steps;
    r.batch = c.batch;
    r.lr = c.lr;
    r.seed = static_cast<std::int64_t>(c.seed);
    r.logEvery = c.logEvery;
    r.evalEvery = c.evalEvery;
    r.checkpointEvery = c.checkpointEvery;
}

// The end of a run in its result: steps done, stop, final loss, this session's speed.
template<typename Result>
void setRunOutcome(
    Result &result, std::int64_t step, bool stopped, double lastLoss, const StepTimes &times, std::int64_t batch)
{
    result.steps = step;
    result.stopped = stopped;
    result.finalLoss = lastLoss;
    result.seconds = times.activeSeconds;
    const std::int64_t done = step - result.startStep;
    result.stepsPerS = times.trainSeconds > 0 ? static_cast<double>(done) / times.trainSeconds : 0.0;
    result.imagesPerS = result.stepsPerS * static_cast<double>(batch);
}

} // namespace ml::train
