// The trainers' shared loop (see train_loop.h): cadences, pause / stop / cancel, metrics timing
// and trainer_state.json.
#include "train/train_loop.h"
#include "engine/train_partials.h"

#include "common/error.h"
#include "engine/train_types.h"
#include "io/checkpoint.h"

#include <cmath>
#include <fstream>
#include <thread>

namespace ml::train {

namespace fs = std::filesystem;

double secondsSince(TrainClock::time_point t)
{
    return std::chrono::duration<double>(TrainClock::now() - t).count();
}

void writeJsonAtomic(const fs::path &path, const nlohmann::json &j)
{
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out || !(out << j.dump(2) << '\n') || !out.flush())
            throw Error(tmp.string() + ": cannot write");
    }
    fs::rename(tmp, path);
}

void checkFiniteLoss(double loss, std::int64_t step)
{
    if (!std::isfinite(loss))
        throw Error(
            "the loss became " + std::to_string(loss) + " at step " + std::to_string(step) + "; try a lower --lr");
}

void waitWhilePaused(TrainControl *control, JobContext &ctx, std::int64_t done, std::int64_t total)
{
    if (!control || !control->pauseRequested())
        return;
    control->setPausedState(true);
    ctx.report(done, total, "paused");
    while (control->pauseRequested() && !ctx.isCancelled() && !control->stopRequested())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    control->setPausedState(false);
    ctx.report(done, total, "training");
}

// --- TrainerState ------------------------------------------------------------------------------------

TrainerState::TrainerState(fs::path dir, bool resume, std::string format, const std::string &what)
    : m_dir(std::move(dir))
    , m_format(std::move(format))
{
    const fs::path statePath = m_dir / "trainer_state.json";
    if (!resume) {
        if (fs::exists(statePath))
            throw Error(
                m_dir.string() + ": already holds a training run; resume it (--resume) or choose another folder");
        return;
    }
    if (!fs::exists(statePath))
        throw Error(m_dir.string() + ": nothing to resume (no trainer_state.json)");
    m_stored = io::readJsonFile(statePath);
    if (m_stored->value("format", "") != m_format)
        throw Error(statePath.string() + ": not a " + what + " (format '" + m_stored->value("format", "") + "')");
    m_startStep = m_stored->at("step").get<std::int64_t>();
    m_elapsedBefore = m_stored->value("elapsed_seconds", 0.0);
}

std::optional<std::int64_t> TrainerState::resumeStep() const
{
    return m_stored ? std::optional<std::int64_t>(m_startStep) : std::nullopt;
}

void TrainerState::checkStepsLeft(std::int64_t totalSteps) const
{
    if (m_stored && m_startStep >= totalSteps)
        throw Error(m_dir.string() + ": the run already did " + std::to_string(m_startStep) + " of "
            + std::to_string(totalSteps) + " steps; raise --steps to train further");
}

void TrainerState::write(std::int64_t step, std::int64_t totalSteps, double elapsedSeconds, double lastLoss,
    const nlohmann::json &fields) const
{
    nlohmann::json j = fields.is_object() ? fields : nlohmann::json::object();
    j["format"] = m_format;
    j["step"] = step;
    j["total_steps"] = totalSteps;
    j["elapsed_seconds"] = elapsedSeconds;
    j["last_loss"] = lastLoss;
    writeJsonAtomic(m_dir / "trainer_state.json", j);
}

// --- StepTimes -----------------------------------------------------------------------------------

void StepTimes::addStep(double seconds, double loss, const std::vector<double> &extras)
{
    trainSeconds += seconds;
    activeSeconds += seconds;
    intervalSeconds += seconds;
    stepSecondsEma = stepSecondsEma <= 0 ? seconds : 0.9 * stepSecondsEma + 0.1 * seconds;
    lossSum += loss;
    if (extraSums.size() < extras.size())
        extraSums.resize(extras.size(), 0.0);
    for (std::size_t i = 0; i < extras.size(); ++i)
        extraSums[i] += extras[i];
    ++intervalSteps;
}

void StepTimes::resetInterval()
{
    lossSum = 0.0;
    extraSums.assign(extraSums.size(), 0.0);
    intervalSteps = 0;
    intervalSeconds = 0.0;
}

double StepTimes::stepsPerSecond() const
{
    return intervalSeconds > 0 ? static_cast<double>(intervalSteps) / intervalSeconds : 0.0;
}

double StepTimes::etaSeconds(std::int64_t remaining, std::int64_t evalEvery) const
{
    if (stepSecondsEma <= 0)
        return -1.0;
    const std::int64_t evalsLeft = evalEvery > 0 ? remaining / evalEvery : 0;
    return static_cast<double>(remaining) * stepSecondsEma + static_cast<double>(evalsLeft + 1) * lastEvalSeconds;
}

// --- the loop ------------------------------------------------------------------------------------

namespace {

class Loop {
public:
    Loop(const TrainLoopSettings &s, const TrainHooks &h, JobContext &ctx)
        : m_s(s)
        , m_h(h)
        , m_ctx(ctx)
        , m_start(s.run ? s.run->startStep() : 0)
        , m_step(m_start)
        , m_savedStep(s.run && s.run->stored() ? m_start : -1)
    {
        m_out.lastLoss = s.lastLoss;
    }

    TrainLoopOutcome run()
    {
        m_ctx.report(0, m_s.totalSteps - m_start, "training");
        while (m_step < m_s.totalSteps) {
            waitWhilePaused(m_s.control, m_ctx, m_step - m_start, m_s.totalSteps - m_start);
            if (m_ctx.isCancelled())
                stopOnCancel();
            if (m_s.control && m_s.control->stopRequested()) {
                m_out.stopped = true;
                break;
            }
            oneStep();
        }
        if (m_out.stopped)
            finishStopped();
        if (m_h.saveCheckpoint && m_savedStep != m_step)
            save();
        m_out.step = m_step;
        return m_out;
    }

private:
    void oneStep()
    {
        const auto t0 = TrainClock::now();
        const StepResult r = m_h.step(m_step);
        checkFiniteLoss(r.loss, m_step + 1);
        m_out.lastLoss = r.loss;
        ++m_step;
        m_out.times.addStep(secondsSince(t0), r.loss, r.extras);

        const bool cadence = (m_s.evalEvery > 0 && m_step % m_s.evalEvery == 0) || m_step == m_s.totalSteps;
        const bool evaluated = cadence && m_h.evaluate;
        if (evaluated && !timed(m_h.evaluate, "evaluating"))
            stopOnCancel();
        if (evaluated || m_step % m_s.logEvery == 0 || m_step == m_s.totalSteps)
            writeMetric(evaluated);
        if (cadence && m_h.sample && !timed(m_h.sample, "sampling"))
            stopOnCancel();
        if (m_h.saveCheckpoint && m_s.checkpointEvery > 0 && m_step % m_s.checkpointEvery == 0
            && m_step < m_s.totalSteps)
            save();
        // The one estimate of the time left: the status bar and the panels all show this one.
        m_ctx.setEtaSeconds(m_out.times.etaSeconds(m_s.totalSteps - m_step, m_s.evalEvery));
        m_ctx.report(m_step - m_start, m_s.totalSteps - m_start, "training");
    }

    // An evaluation or sample under its own stage; its time counts towards the ETA.
    bool timed(const std::function<bool(std::int64_t)> &hook, const char *stage)
    {
        const auto t0 = TrainClock::now();
        m_ctx.report(m_step - m_start, m_s.totalSteps - m_start, stage);
        if (!hook(m_step))
            return false;
        m_out.times.lastEvalSeconds = secondsSince(t0);
        m_out.times.activeSeconds += m_out.times.lastEvalSeconds;
        m_ctx.report(m_step - m_start, m_s.totalSteps - m_start, "training");
        return true;
    }

    void writeMetric(bool evaluated)
    {
        StepTimes &t = m_out.times;
        if (t.intervalSteps == 0 && !evaluated)
            return;
        LoopMetric m;
        m.step = m_step;
        m.totalSteps = m_s.totalSteps;
        m.intervalSteps = t.intervalSteps;
        const double n = static_cast<double>(t.intervalSteps);
        m.loss = t.intervalSteps > 0 ? t.lossSum / n : m_out.lastLoss;
        for (const double sum : t.extraSums)
            m.extras.push_back(t.intervalSteps > 0 ? sum / n : 0.0);
        m.stepsPerS = t.stepsPerSecond();
        m.etaSeconds = t.etaSeconds(m_s.totalSteps - m_step, m_s.evalEvery);
        m.elapsedSeconds = t.activeSeconds;
        m.evaluated = evaluated;
        m_h.log(m);
        t.resetInterval();
    }

    void save()
    {
        const auto t0 = TrainClock::now();
        m_ctx.report(m_step - m_start, m_s.totalSteps - m_start, "saving checkpoint");
        m_h.saveCheckpoint(m_step);
        m_out.times.activeSeconds += secondsSince(t0);
        m_s.run->write(m_step, m_s.totalSteps, m_s.run->elapsedBefore() + m_out.times.activeSeconds, m_out.lastLoss,
            m_h.stateFields ? m_h.stateFields() : nlohmann::json::object());
        m_savedStep = m_step;
        m_ctx.partial(kTrainCheckpointPartial, m_s.run->dir().string());
        m_ctx.report(m_step - m_start, m_s.totalSteps - m_start, "training");
    }

    // Stop: the open metric, then an evaluation and a sample of the model as it ended.
    void finishStopped()
    {
        writeMetric(false);
        if (m_step == m_start)
            return;
        if (m_h.evaluate && timed(m_h.evaluate, "evaluating"))
            writeMetric(true);
        if (m_h.sample)
            timed(m_h.sample, "sampling");
    }

    [[noreturn]] void stopOnCancel()
    {
        if (m_h.saveCheckpoint) {
            writeMetric(false);
            if (m_savedStep != m_step)
                save();
        }
        throw Cancelled();
    }

    const TrainLoopSettings &m_s;
    const TrainHooks &m_h;
    JobContext &m_ctx;
    const std::int64_t m_start;
    std::int64_t m_step;
    std::int64_t m_savedStep;
    TrainLoopOutcome m_out;
};

} // namespace

TrainLoopOutcome runTrainLoop(const TrainLoopSettings &settings, const TrainHooks &hooks, JobContext &ctx)
{
    if (!hooks.step || !hooks.log)
        throw Error("runTrainLoop: a trainer needs a step and a log hook");
    if (hooks.saveCheckpoint && !settings.run)
        throw Error("runTrainLoop: saving checkpoints needs a run folder");
    if (settings.logEvery < 1)
        throw Error("log every must be at least 1 step (got " + std::to_string(settings.logEvery) + ")");
    return Loop(settings, hooks, ctx).run();
}

} // namespace ml::train
