// What the BLIP-2 and LLaVA trainers share: a run's configuration from the request, the result's
// start, Hugging Face's initialisation, resumed weights, AdamW's groups, the learning rate of two
// stages, the loop over a session, and its VQA evaluation, metrics, checkpoints and state.
#pragma once

#include "engine/vlm_train_types.h"
#include "train/blip2_data.h"
#include "train/train_log.h"
#include "train/train_loop.h"
#include "train/trainer_common.h"

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace ml::io {
class SafetensorsFile;
} // namespace ml::io

namespace ml::train {

// A run's configuration: a new run's preset with the request's overrides, or a resumed run's own
// (a differing override is refused), then the loop's fields and the held-in VQA set's size.
template<typename Config, typename Request> Config resolveVlmConfig(const Request &r, const nlohmann::json *stored)
{
    Config c;
    if (stored) {
        c = Config::fromJson(stored->at("config"));
        std::vector<std::string> conflicts;
        checkCommonOverrides(conflicts, r, c);
        checkOverride(conflicts, "--stage1-steps", r.stage1Steps.has_value(), r.stage1Steps != c.stage1Steps,
            std::to_string(c.stage1Steps));
        throwIfConflicts(r.outDir, conflicts);
    } else {
        c = Config::fromPreset(r.preset.empty() ? "mini" : r.preset);
        applyCommonOverrides(r, c);
        c.stage1Steps = r.stage1Steps.value_or(c.stage1Steps);
        if (!r.visionFrom.empty())
            c.visionFrom = r.visionFrom;
    }
    applyLoopOverrides(r, c);
    c.evalShapes = r.evalShapes.value_or(c.evalShapes);
    return c;
}

// Throws unless there is a step and stage 2 has some, and the learning rate and the log interval
// are positive.
void checkVlmSteps(std::int64_t steps, std::int64_t stage1Steps, double lr, std::int64_t logEvery);
// A lower bound of one training item's activations (a 32 x 32 picture through even the tiny
// towers), for checkBatchFits: it catches a batch of 1e9, never a batch that would fit.
inline constexpr double kVlmItemBytes = 3.0 * 32 * 32 * 4 * 16;

// What the result knows before training: the folder, preset, steps and dtype. Throws when a
// resumed run has no step left or the dtype is not one the CPU trains in.
template<typename Config>
void startVlmResult(VlmTrainResult &result, const TrainerState &run, const Config &c, const std::string &dtype)
{
    run.checkStepsLeft(c.steps);
    result.outDir = run.dir().string();
    result.preset = c.preset;
    result.startStep = run.startStep();
    result.totalSteps = c.steps;
    result.stage1Steps = c.stage1Steps;
    result.dtype = resolveTrainDtype(dtype);
}

// The resumed run's last evaluation; an empty object on a new run or before any.
nlohmann::json storedEvaluation(const TrainerState &run);

// Hugging Face's _init_weights (Blip2PreTrainedModel, LlavaPreTrainedModel): normal(0, 0.02) for
// matrices and embeddings, zero biases, norms at one.
void initialiseLikeHf(torch::nn::Module &module);

// A resume: checks that dir's trainer_state.safetensors holds startStep, copies every parameter of
// module from its model.safetensors (throws naming the first one missing); returns the state file.
std::shared_ptr<io::SafetensorsFile> loadResumedWeights(
    torch::nn::Module &module, const std::filesystem::path &dir, std::int64_t startStep);

// AdamW's four parameter groups: the vision tower's decayed / not, then the rest's decayed / not
// (as blip2DecaysWeight says).
struct VlmParamGroups {
    std::array<std::vector<torch::Tensor>, 4> groups;
    void add(const std::string &name, const torch::Tensor &value, bool vision);
};

// AdamW (betas 0.9 / 0.98, eps 1e-6) over the groups at lr, weight decay on the decayed ones;
// appends each group's learning-rate scale (visionLrScale for the vision tower's, 1 for the rest)
// to groupScale and its parameters to params. skipEmpty leaves out an empty group (a frozen vision
// tower's); without it the groups keep their places, the vision tower's at 0 and 1.
std::unique_ptr<torch::optim::AdamW> makeVlmAdamW(const VlmParamGroups &g, double lr, double weightDecay,
    double visionLrScale, bool skipEmpty, std::vector<double> &groupScale, std::vector<torch::Tensor> &params);

// The learning rate at 0-based step, each stage with its own warm-up and cosine decay.
double vlmStageLr(double lr, double warmupFraction, std::int64_t steps, std::int64_t stage1Steps, std::int64_t step);

// Gradients of loss, clipped to clipNorm over params, then the optimiser's update.
void optimiserStep(torch::optim::Optimizer &optimizer, const torch::Tensor &loss,
    const std::vector<torch::Tensor> &params, double clipNorm);

// A session's last evaluation's held-in accuracy per question type ("per_type"); its accuracies
// are accuracyFromJson(lastEval).
std::map<std::string, double> vlmPerType(const nlohmann::json &lastEval);

// The held-in Shapes World VQA set of count items and a fifth as many (at least one) of held-out
// pairs, drawn with kVqaEvalSeed.
std::vector<VqaItem> vlmShapesEvalSet(std::int64_t count);

template<typename Answers> std::vector<std::string> answerTexts(const Answers &answers)
{
    std::vector<std::string> texts;
    for (const auto &a : answers)
        texts.push_back(a.text);
    return texts;
}

// The Shapes World scores into a session's evaluation: "shapes", "shapes_held_out", their
// "..._images" and "per_type".
void putShapesScores(nlohmann::json &eval, const VqaScores &s);

// The metric of a logged interval: the loop's figures, the session's learning rate and images per
// step, and the last evaluation's accuracies where this step evaluated from stage 2 on.
TrainMetric vlmMetric(
    const LoopMetric &lm, double lr, std::int64_t batch, std::int64_t stage1Steps, const nlohmann::json &lastEval);

// Its metrics.jsonl and TensorBoard values: after steps, the loss, again on its stage's own curve
// (stage1Loss / stage1Tag, "lm_loss" in stage 2), lr, stage and speed; evaluated, the accuracies.
std::vector<LogValue> vlmLogValues(const TrainMetric &m, const LoopMetric &lm, std::int64_t stage1Steps,
    const char *stage1Loss, const char *stage1Tag, const nlohmann::json &lastEval);

// The metric to the run's log, the job's "metric" partial and the request's onMetric.
void publishMetric(TrainLog &log, JobContext &ctx, const VlmTrainRequest &r, const TrainMetric &m,
    const std::vector<LogValue> &values);

// A checkpoint at step: model's weights in model.safetensors; state (the trainer's AdamW state and
// whatever else it keeps) with the step and seed in trainer_state.safetensors of format.
void saveVlmCheckpoint(const TrainerState &run, torch::nn::Module &model, std::map<std::string, torch::Tensor> state,
    std::int64_t step, std::uint64_t seed, const char *format);

// trainer_state.json's fields: dtype, the last evaluation, parameters and the config.
nlohmann::json vlmStateFields(const VlmTrainResult &r, const nlohmann::json &lastEval, const nlohmann::json &config);

// The loop of a session (Blip2Session, LlavaSession: they befriend it) at its config's cadences,
// through its step, evaluateAt, writeMetric, save and stateFields, with metrics.jsonl and events in
// the run folder; then the result's outcome, last evaluation and weights' size, and the README of
// a finished run.
template<typename Session> void runVlmLoop(Session &s)
{
    const auto &c = s.m_cfg;
    TrainLog log(s.m_run.dir(), s.m_run.resumeStep());
    s.m_log = &log;
    const TrainLoopSettings settings {
        c.steps, c.logEvery, c.evalEvery, c.checkpointEvery, s.m_r.control.get(), &s.m_run, 0.0};
    TrainHooks hooks;
    hooks.step = [&s](std::int64_t step) { return s.step(step); };
    hooks.evaluate = [&s](std::int64_t step) { return s.evaluateAt(step); };
    hooks.log = [&s](const LoopMetric &m) { s.writeMetric(m); };
    hooks.saveCheckpoint = [&s](std::int64_t step) { s.save(step); };
    hooks.stateFields = [&s] { return s.stateFields(); };
    const TrainLoopOutcome out = runTrainLoop(settings, hooks, s.m_ctx);
    setRunOutcome(s.m_result, out, c.batch);
    s.m_result.evaluation = accuracyFromJson(s.m_lastEval);
    s.m_result.perType = vlmPerType(s.m_lastEval);
    std::error_code ec;
    s.m_result.weightBytes
        = static_cast<std::int64_t>(std::filesystem::file_size(s.m_run.dir() / "model.safetensors", ec));
    if (out.step == c.steps)
        s.writeReadme(out);
}

} // namespace ml::train
