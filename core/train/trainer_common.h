// What the CLIP and DDPM trainers share besides the loop (train_loop.h): the warm-up + cosine
// schedule, AdamW state in safetensors, the checks made when a run is resumed, the job and presets.
#pragma once

#include "engine/engine.h"
#include "train/train_loop.h"

#include <ATen/autocast_mode.h>
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include <any>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ml::io {
class SafetensorsFile;
} // namespace ml::io

namespace ml::train {

// bf16 autocast on this thread while alive (autocast state is thread-local): the trainers' mixed
// precision on CPUs with native bf16.
class AutocastScope {
public:
    explicit AutocastScope(bool enable) : m_enabled(enable)
    {
        if (m_enabled) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
            // LibTorch 2.4 made autocast per device type; the CPU-named calls are deprecated.
            at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
            at::autocast::set_autocast_enabled(at::kCPU, true);
#else
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
            at::autocast::set_cpu_enabled(true);
#endif
        }
    }
    ~AutocastScope()
    {
        if (m_enabled) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
            at::autocast::set_autocast_enabled(at::kCPU, false);
#else
            at::autocast::set_cpu_enabled(false);
#endif
            at::autocast::clear_cache();
        }
    }
    AutocastScope(const AutocastScope &) = delete;
    AutocastScope &operator=(const AutocastScope &) = delete;

private:
    bool m_enabled;
};

// max(1, round(fraction * steps)).
std::int64_t warmupStepsFor(double fraction, std::int64_t steps);

// Linear warm-up to lr over `warmup` steps, then cosine decay to 0 at `steps`.
double warmupCosineLr(double lr, std::int64_t warmup, std::int64_t steps, std::int64_t step);

// A trainer's --dtype: "auto" is bf16 where the CPU has native bf16, fp32 elsewhere; returns
// "fp32" or "bf16", throws ml::Error for anything else.
std::string resolveTrainDtype(const std::string &requested);

// The CPU's "model name" from /proc/cpuinfo, for the READMEs written beside trained weights.
std::string cpuModelName();
// "94.9 %" (one decimal), "-" for a negative (unmeasured) figure: the READMEs' accuracies.
std::string readmePercent(double fraction);

// Sets every parameter group's learning rate.
void setLearningRate(torch::optim::Optimizer &optimizer, double lr);

// Resume checks: a conflicting override adds a line to conflicts; throwIfConflicts throws them all.
void checkOverride(
    std::vector<std::string> &conflicts, const char *flag, bool given, bool differs, const std::string &run);
void throwIfConflicts(const std::string &outDir, const std::vector<std::string> &conflicts);
// Refuses, before any item is made, a batch whose activations cannot fit in the memory available:
// bytesPerItem is a lower bound of one item's. The message names where the batch came from: the
// run's trainer_state.json on resume (stored), else --batch.
void checkBatchFits(const std::string &outDir, bool stored, std::int64_t batch, double bytesPerItem);

// AdamW state of module's parameters as exp_avg.NAME, exp_avg_sq.NAME, step.NAME.
void addAdamWState(
    std::map<std::string, torch::Tensor> &state, torch::nn::Module &module, torch::optim::AdamW &optimizer);

// Throws when the state file's trainer.step is not startStep (an interrupted checkpoint).
void checkStateStep(const io::SafetensorsFile &state, std::int64_t startStep);

// Loads what addAdamWState wrote into optimizer; returns the parameters it holds nothing for.
// Throws when a state has the wrong shape.
std::vector<std::string> loadAdamWState(
    const io::SafetensorsFile &state, torch::nn::Module &module, torch::optim::AdamW &optimizer);

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
    r.seed = c.seed;
    r.logEvery = c.logEvery;
    r.evalEvery = c.evalEvery;
    r.checkpointEvery = c.checkpointEvery;
}

// Resume: a conflict for each field every trainer shares that the request sets otherwise than the
// stored run (conflicts as checkOverride adds them).
template<typename Request, typename Config>
void checkCommonOverrides(std::vector<std::string> &conflicts, const Request &r, const Config &c)
{
    checkOverride(conflicts, "--preset", !r.preset.empty(), r.preset != c.preset, c.preset);
    checkOverride(conflicts, "--batch", r.batch.has_value(), r.batch != c.batch, std::to_string(c.batch));
    checkOverride(conflicts, "--lr", r.lr.has_value(), r.lr != c.lr, std::to_string(c.lr));
    checkOverride(conflicts, "--seed", r.seed.has_value(), r.seed != c.seed, std::to_string(c.seed));
}

// A new run: the shared fields the request overrides in its preset's configuration.
template<typename Request, typename Config> void applyCommonOverrides(const Request &r, Config &c)
{
    c.batch = r.batch.value_or(c.batch);
    c.lr = r.lr.value_or(c.lr);
    c.seed = r.seed.value_or(c.seed);
}

// New or resumed (a resume may raise the steps): the training loop's fields.
template<typename Request, typename Config> void applyLoopOverrides(const Request &r, Config &c)
{
    c.steps = r.steps.value_or(c.steps);
    c.logEvery = r.logEvery.value_or(c.logEvery);
    c.evalEvery = r.evalEvery.value_or(c.evalEvery);
    c.checkpointEvery = r.checkpointEvery.value_or(c.checkpointEvery);
}

} // namespace ml::train
