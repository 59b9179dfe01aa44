// The trainers' shared loop with a fake model (a scalar fitted by gradient descent): its log,
// evaluation, sample and checkpoint cadences, stop / cancel and resume continuing the same steps
// and metrics lines as an uninterrupted run, pause reporting, and the run-folder checks.
#include "common/error.h"
#include "engine/train_types.h"
#include "train/train_log.h"
#include "train/train_loop.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;
using namespace ml::train;

namespace {

constexpr const char *kFormat = "modallens.test_loop_state.v1";
constexpr double kTarget = 3.0, kLr = 0.1;

struct ProgressLog : ml::EngineListener {
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    std::mutex mutex;
    std::vector<ml::Progress> progress;
    std::vector<std::string> checkpoints;
    void onProgress(ml::JobId, const ml::Progress &p) override
    {
        std::lock_guard lock(mutex);
        progress.push_back(p);
    }
    void onPartial(ml::JobId, const ml::PartialResult &r) override
    {
        std::lock_guard lock(mutex);
        if (r.kind == "checkpoint")
            checkpoints.push_back(std::any_cast<std::string>(r.value));
    }
    void onFinished(ml::JobId, const ml::JobResult &) override { }
    bool sawStage(const std::string &stage, std::int64_t done)
    {
        std::lock_guard lock(mutex);
        for (const auto &p : progress)
            if (p.stage == stage && p.done == done)
                return true;
        return false;
    }
};

// Fits w to kTarget: loss (w - kTarget)^2, one gradient step per loop step, w starting at 0
// (or where the run's trainer_state.json left it).
struct ScalarTrainer {
    explicit ScalarTrainer(fs::path folder) : dir(std::move(folder)) { }

    fs::path dir;
    double w = 0.0;
    std::vector<std::int64_t> evaluated, sampled, saved, logged;
    std::vector<LoopMetric> metrics;
    std::function<void(std::int64_t)> afterStep; // test hooks: pause, stop, cancel
    std::function<void(const LoopMetric &)> afterLog;
    bool withEvaluate = true, withSample = true;

    TrainLoopOutcome run(bool resume, TrainLoopSettings settings, ProgressLog &listener)
    {
        TrainerState state(dir, resume, kFormat, "test loop state");
        state.checkStepsLeft(settings.totalSteps);
        if (const auto *stored = state.stored())
            w = stored->at("w").get<double>();
        fs::create_directories(dir);
        TrainLog log(dir, state.resumeStep());
        settings.run = &state;
        TrainHooks hooks;
        hooks.step = [this](std::int64_t) {
            const double loss = (w - kTarget) * (w - kTarget);
            w -= kLr * 2.0 * (w - kTarget);
            return StepResult {loss, {w}};
        };
        hooks.log = [this, &log](const LoopMetric &m) {
            metrics.push_back(m);
            logged.push_back(m.step);
            std::vector<LogValue> values {{"loss", "train/loss", m.loss}};
            if (!m.extras.empty())
                values.push_back({"w", "", m.extras[0]});
            log.write(m.step, values);
            if (afterLog)
                afterLog(m);
        };
        if (withEvaluate)
            hooks.evaluate = [this](std::int64_t step) {
                evaluated.push_back(step);
                return true;
            };
        if (withSample)
            hooks.sample = [this](std::int64_t step) {
                sampled.push_back(step);
                return true;
            };
        hooks.saveCheckpoint = [this](std::int64_t step) { saved.push_back(step); };
        hooks.stateFields = [this] { return nlohmann::json {{"w", w}}; };
        auto step = hooks.step;
        hooks.step = [this, step](std::int64_t s) {
            const auto r = step(s);
            if (afterStep)
                afterStep(s + 1);
            return r;
        };
        ml::JobContext ctx(1, &listener, listener.cancel);
        return runTrainLoop(settings, hooks, ctx);
    }
};

TrainLoopSettings settings(std::int64_t total, std::int64_t logEvery, std::int64_t evalEvery, std::int64_t ckptEvery)
{
    TrainLoopSettings s;
    s.totalSteps = total;
    s.logEvery = logEvery;
    s.evalEvery = evalEvery;
    s.checkpointEvery = ckptEvery;
    return s;
}

// metrics.jsonl without its wall times.
std::vector<nlohmann::json> metricsLines(const fs::path &dir)
{
    std::vector<nlohmann::json> lines;
    std::ifstream in(dir / "metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line);
        j.erase("wall_time");
        lines.push_back(j);
    }
    return lines;
}

nlohmann::json stateOf(const fs::path &dir)
{
    std::ifstream in(dir / "trainer_state.json");
    return nlohmann::json::parse(in);
}

} // namespace

class TestTrainLoop : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    fs::path folder(const char *name) const { return fs::path(m_tmp.path().toStdString()) / name; }

private Q_SLOTS:
    void cadences()
    {
        ProgressLog listener;
        ScalarTrainer t {folder("cadences")};
        const auto out = t.run(false, settings(10, 3, 4, 5), listener);
        QCOMPARE(out.step, std::int64_t(10));
        QVERIFY(!out.stopped);
        QCOMPARE(t.evaluated, (std::vector<std::int64_t> {4, 8, 10}));
        QCOMPARE(t.sampled, (std::vector<std::int64_t> {4, 8, 10}));
        // Every logEvery steps, at each evaluation (it carries the accuracies) and at the end.
        QCOMPARE(t.logged, (std::vector<std::int64_t> {3, 4, 6, 8, 9, 10}));
        QCOMPARE(t.saved, (std::vector<std::int64_t> {5, 10}));
        QCOMPARE(listener.checkpoints.size(), std::size_t(2));
        for (const auto &m : t.metrics)
            QCOMPARE(m.evaluated, m.step == 4 || m.step == 8 || m.step == 10);
        // The first metric: the mean loss of steps 1..3, w after step 3.
        double w = 0.0, sum = 0.0;
        for (int i = 0; i < 3; ++i) {
            sum += (w - kTarget) * (w - kTarget);
            w -= kLr * 2.0 * (w - kTarget);
        }
        QCOMPARE(t.metrics[0].intervalSteps, std::int64_t(3));
        QVERIFY(std::abs(t.metrics[0].loss - sum / 3.0) < 1e-12);
        QCOMPARE(t.metrics[1].intervalSteps, std::int64_t(1));
        QVERIFY(t.metrics.back().etaSeconds >= 0.0);
        QVERIFY(std::abs(out.lastLoss) < 1.0); // converging to kTarget
        // trainer_state.json: the loop's fields and the trainer's.
        const auto state = stateOf(t.dir);
        QCOMPARE(state.at("format").get<std::string>(), std::string(kFormat));
        QCOMPARE(state.at("step").get<std::int64_t>(), std::int64_t(10));
        QCOMPARE(state.at("total_steps").get<std::int64_t>(), std::int64_t(10));
        QCOMPARE(state.at("w").get<double>(), t.w);
        QCOMPARE(state.at("last_loss").get<double>(), out.lastLoss);
        QCOMPARE(metricsLines(t.dir).size(), std::size_t(6));
        // Progress over the session's steps, ending at the total.
        QVERIFY(listener.sawStage("evaluating", 4));
        QVERIFY(listener.sawStage("sampling", 8));
        QVERIFY(listener.sawStage("saving checkpoint", 5));
        QCOMPARE(listener.progress.back().done, std::int64_t(10));
        QCOMPARE(listener.progress.back().total, std::int64_t(10));
    }

    void stopAndResumeMatchUninterrupted()
    {
        ProgressLog whole;
        ScalarTrainer a {folder("whole")};
        a.withEvaluate = false; // an evaluation on the way out would add a metric at the stop
        a.run(false, settings(12, 2, 0, 0), whole);

        ProgressLog first;
        auto control = std::make_shared<ml::TrainControl>();
        ScalarTrainer b {folder("stopped")};
        b.withEvaluate = false;
        b.afterLog = [control](const LoopMetric &m) {
            if (m.step == 6)
                control->stop();
        };
        auto s = settings(12, 2, 0, 0);
        s.control = control.get();
        const auto stopped = b.run(false, s, first);
        QVERIFY(stopped.stopped);
        QCOMPARE(stopped.step, std::int64_t(6));
        QCOMPARE(b.saved, (std::vector<std::int64_t> {6}));
        QCOMPARE(b.sampled, (std::vector<std::int64_t> {6})); // a sample of the model as it stopped
        QCOMPARE(stateOf(b.dir).at("step").get<std::int64_t>(), std::int64_t(6));

        ProgressLog second;
        ScalarTrainer c {folder("stopped")};
        c.withEvaluate = false;
        const auto resumed = c.run(true, settings(12, 2, 0, 0), second);
        QVERIFY(!resumed.stopped);
        QCOMPARE(resumed.step, std::int64_t(12));
        QCOMPARE(c.logged.front(), std::int64_t(8));
        QCOMPARE(c.w, a.w);
        QCOMPARE(metricsLines(c.dir), metricsLines(a.dir));
        // Progress counts this session's steps: 6 of 6.
        QCOMPARE(second.progress.back().done, std::int64_t(6));
        QCOMPARE(second.progress.back().total, std::int64_t(6));
        // Nothing left: resuming again is refused, as is a fresh run into the folder.
        QVERIFY_THROWS_EXCEPTION(ml::Error, c.run(true, settings(12, 2, 0, 0), second));
        QVERIFY_THROWS_EXCEPTION(ml::Error, c.run(false, settings(12, 2, 0, 0), second));
    }

    void cancelSavesAndResumes()
    {
        ProgressLog whole;
        ScalarTrainer a {folder("whole-cancel")};
        a.run(false, settings(10, 2, 5, 0), whole);

        ProgressLog first;
        ScalarTrainer b {folder("cancelled")};
        b.afterStep = [cancel = first.cancel](std::int64_t step) {
            if (step == 4)
                cancel->store(true);
        };
        QVERIFY_THROWS_EXCEPTION(ml::Cancelled, b.run(false, settings(10, 2, 5, 0), first));
        QCOMPARE(b.saved, (std::vector<std::int64_t> {4}));
        QCOMPARE(stateOf(b.dir).at("step").get<std::int64_t>(), std::int64_t(4));

        ProgressLog second;
        ScalarTrainer c {folder("cancelled")};
        const auto out = c.run(true, settings(10, 2, 5, 0), second);
        QCOMPARE(out.step, std::int64_t(10));
        QCOMPARE(c.evaluated, (std::vector<std::int64_t> {5, 10}));
        QCOMPARE(metricsLines(c.dir), metricsLines(a.dir));
    }

    void cancelWithoutRunFolderJustEnds()
    {
        ProgressLog listener;
        TrainLoopSettings s = settings(100, 5, 0, 0);
        int steps = 0, logs = 0;
        TrainHooks hooks;
        hooks.step = [&](std::int64_t) {
            if (++steps == 7)
                listener.cancel->store(true);
            return StepResult {1.0, {}};
        };
        hooks.log = [&](const LoopMetric &) { ++logs; };
        ml::JobContext ctx(1, &listener, listener.cancel);
        QVERIFY_THROWS_EXCEPTION(ml::Cancelled, runTrainLoop(s, hooks, ctx));
        QCOMPARE(steps, 7);
        QCOMPARE(logs, 1); // step 5 only: without a run folder nothing is flushed on cancel
    }

    void pauseReportsAndWaits()
    {
        ProgressLog listener;
        auto control = std::make_shared<ml::TrainControl>();
        ScalarTrainer t {folder("paused")};
        t.afterStep = [control](std::int64_t step) {
            if (step == 3)
                control->pause();
        };
        auto s = settings(6, 1, 0, 0);
        s.control = control.get();
        std::thread runner([&] { t.run(false, s, listener); });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!control->isPaused() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const bool paused = control->isPaused();
        const std::size_t loggedWhilePaused = t.logged.size();
        control->resume();
        runner.join();
        QVERIFY(paused);
        QCOMPARE(loggedWhilePaused, std::size_t(3)); // no step while paused
        QVERIFY(listener.sawStage("paused", 3));
        QVERIFY(!control->isPaused());
        QCOMPARE(t.logged, (std::vector<std::int64_t> {1, 2, 3, 4, 5, 6}));
    }

    void nonFiniteLossNamesTheStep()
    {
        ProgressLog listener;
        TrainHooks hooks;
        hooks.step = [](std::int64_t step) {
            return StepResult {step == 2 ? std::numeric_limits<double>::quiet_NaN() : 1.0, {}};
        };
        hooks.log = [](const LoopMetric &) {};
        ml::JobContext ctx(1, &listener, listener.cancel);
        try {
            runTrainLoop(settings(5, 1, 0, 0), hooks, ctx);
            QFAIL("a NaN loss went through");
        } catch (const ml::Error &e) {
            QVERIFY2(std::string(e.what()).find("at step 3") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestTrainLoop)
#include "test_train_loop.moc"
