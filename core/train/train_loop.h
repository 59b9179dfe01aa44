// The one optimisation loop of every trainer (CLIP, DDPM, CoOp): resume from a run folder's
// trainer_state.json, pause / stop / cancel between steps, log / evaluate / checkpoint cadences,
// speed and the time left to the job. A trainer brings its step, evaluation and checkpoint.
#pragma once

#include "engine/engine.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ml {
class TrainControl;
} // namespace ml

namespace ml::train {

using TrainClock = std::chrono::steady_clock;

double secondsSince(TrainClock::time_point t);

// Writes j (indented) to path through a temporary file renamed over it.
void writeJsonAtomic(const std::filesystem::path &path, const nlohmann::json &j);

// Throws naming a non-finite loss at the 1-based step.
void checkFiniteLoss(double loss, std::int64_t step);

// Blocks while control asks for a pause (reporting "paused"); returns at once without one.
void waitWhilePaused(TrainControl *control, JobContext &ctx, std::int64_t done, std::int64_t total);

// A run folder's trainer_state.json: the step a resume starts from, the time spent before it,
// and the file written last at every checkpoint (so that it names a step everything else holds).
class TrainerState {
public:
    // Fresh run: throws when dir already holds one. Resume: reads the file (of `format`; `what`
    // names it in errors), throws when there is none.
    TrainerState(std::filesystem::path dir, bool resume, std::string format, const std::string &what);

    const std::filesystem::path &dir() const { return m_dir; }
    const std::string &format() const { return m_format; }
    // The stored state when resuming; nullptr on a fresh run.
    const nlohmann::json *stored() const { return m_stored ? &*m_stored : nullptr; }
    std::int64_t startStep() const { return m_startStep; }
    double elapsedBefore() const { return m_elapsedBefore; }
    // What TrainLog keeps of metrics.jsonl: the lines up to startStep on resume, none otherwise.
    std::optional<std::int64_t> resumeStep() const;

    // Throws when a resumed run has nothing left to do.
    void checkStepsLeft(std::int64_t totalSteps) const;

    // {"format", "step", "total_steps", "elapsed_seconds", "last_loss"} and the trainer's fields.
    void write(std::int64_t step, std::int64_t totalSteps, double elapsedSeconds, double lastLoss,
        const nlohmann::json &fields) const;

private:
    std::filesystem::path m_dir;
    std::string m_format;
    std::optional<nlohmann::json> m_stored;
    std::int64_t m_startStep = 0;
    double m_elapsedBefore = 0.0;
};

// Timing and loss of the steps since the last metric.
struct StepTimes {
    double activeSeconds = 0.0; // training, evaluation and checkpoints of this session
    double trainSeconds = 0.0;  // optimiser steps only
    double lastEvalSeconds = 0.0;
    double intervalSeconds = 0.0;
    double stepSecondsEma = 0.0;
    double lossSum = 0.0;
    std::vector<double> extraSums; // StepResult::extras, summed
    std::int64_t intervalSteps = 0;

    void addStep(double seconds, double loss, const std::vector<double> &extras = {});
    void resetInterval();
    double stepsPerSecond() const;
    // Seconds left for `remaining` steps with an evaluation every evalEvery; -1 before any step.
    double etaSeconds(std::int64_t remaining, std::int64_t evalEvery) const;
};

struct StepResult {
    double loss = 0.0;
    std::vector<double> extras; // further figures the metric averages over its interval (CoOp's accuracy)
};

// What the log hook gets: the interval since the previous metric.
struct LoopMetric {
    std::int64_t step = 0; // steps done, counting those before a resume
    std::int64_t totalSteps = 0;
    std::int64_t intervalSteps = 0; // 0: an evaluation's metric with no step since the last one
    double loss = 0.0;              // mean over the interval; the last loss without steps
    std::vector<double> extras;     // means of StepResult::extras over the interval
    double stepsPerS = 0.0;         // optimiser steps only
    double etaSeconds = -1.0;
    double elapsedSeconds = 0.0; // this session, pauses excluded
    bool evaluated = false;      // the evaluate hook ran at this step
};

struct TrainLoopSettings {
    std::int64_t totalSteps = 0;
    std::int64_t logEvery = 1;         // a metric every N steps, and after the last
    std::int64_t evalEvery = 0;        // evaluate / sample every N steps; 0 = after the last only
    std::int64_t checkpointEvery = 0;  // 0 = at the end only (and on stop / cancel)
    TrainControl *control = nullptr;   // pause / stop; none: neither
    const TrainerState *run = nullptr; // none: nothing to resume or save (CoOp), cancel just ends
    double lastLoss = 0.0;             // the last loss before this session's first step
};

// The model's part. step and log are required, the rest optional.
struct TrainHooks {
    // One optimisation step on the batch of 0-based step `step`.
    std::function<StepResult(std::int64_t step)> step;
    // Evaluation at the cadence, before the metric that carries it ("evaluating"); false when
    // cancelled meanwhile.
    std::function<bool(std::int64_t step)> evaluate;
    // A preview at the cadence, after the metric ("sampling"); false when cancelled meanwhile.
    std::function<bool(std::int64_t step)> sample;
    // Writes the metric: files, partials, callbacks.
    std::function<void(const LoopMetric &)> log;
    // Weights and optimiser state at `step` (needs settings.run); trainer_state.json follows.
    std::function<void(std::int64_t step)> saveCheckpoint;
    // The trainer's fields of trainer_state.json (config, dtype, ...).
    std::function<nlohmann::json()> stateFields;
};

struct TrainLoopOutcome {
    std::int64_t step = 0; // steps done in total
    bool stopped = false;  // ended by TrainControl::stop() before the total
    double lastLoss = 0.0;
    StepTimes times;
};

// Runs steps from the run's start step (0 without a run) to settings.totalSteps, reporting
// "training" progress over this session's steps and the trainer's estimate of the time left.
// Stop: the open metric, an evaluation / sample, a checkpoint, then a normal return. Cancel: the
// open metric and a checkpoint when there is a run folder, then ml::Cancelled.
TrainLoopOutcome runTrainLoop(const TrainLoopSettings &settings, const TrainHooks &hooks, JobContext &ctx);

// The end of a run in its result: steps done, stop, final loss, this session's speed.
template<typename Result> void setRunOutcome(Result &result, const TrainLoopOutcome &o, std::int64_t batch)
{
    result.steps = o.step;
    result.stopped = o.stopped;
    result.finalLoss = o.lastLoss;
    result.seconds = o.times.activeSeconds;
    const std::int64_t done = o.step - result.startStep;
    result.stepsPerS = o.times.trainSeconds > 0 ? static_cast<double>(done) / o.times.trainSeconds : 0.0;
    result.imagesPerS = result.stepsPerS * static_cast<double>(batch);
}

} // namespace ml::train
