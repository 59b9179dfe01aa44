// Engine: ordering, progress, cancel within one step, errors as values, clean shutdown.
#include "common/error.h"
#include "engine/engine.h"
#include "engine/thread_pool.h"

#include <QtTest>

#include <ATen/ATen.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#ifdef __linux__
#include <sched.h>
#endif

using namespace std::chrono_literals;

namespace {

struct Recorder : ml::EngineListener {
    std::mutex mutex;
    std::vector<ml::JobId> started;
    std::vector<ml::JobId> finishedOrder;
    std::map<ml::JobId, ml::JobResult> finished;
    std::map<ml::JobId, std::vector<ml::Progress>> progress;
    std::vector<std::string> partials;

    void onStarted(ml::JobId id, const std::string &) override
    {
        std::lock_guard lock(mutex);
        started.push_back(id);
    }
    void onProgress(ml::JobId id, const ml::Progress &p) override
    {
        std::lock_guard lock(mutex);
        progress[id].push_back(p);
    }
    void onPartial(ml::JobId, const ml::PartialResult &r) override
    {
        std::lock_guard lock(mutex);
        if (const auto *text = std::any_cast<std::string>(&r.value))
            partials.push_back(r.kind + "=" + *text);
        else
            partials.push_back(r.kind + "=" + std::to_string(std::any_cast<int>(r.value)));
    }
    void onFinished(ml::JobId id, const ml::JobResult &r) override
    {
        std::lock_guard lock(mutex);
        finishedOrder.push_back(id);
        finished[id] = r;
    }
    bool isFinished(ml::JobId id)
    {
        std::lock_guard lock(mutex);
        return finished.count(id) > 0;
    }
};

ml::Job valueJob(int value, std::atomic<int> *counter = nullptr)
{
    return {"value", ml::Lane::Inference, [=](ml::JobContext &) -> std::any {
                if (counter)
                    counter->fetch_add(1);
                return value;
            }};
}

// Runs `steps` steps of `stepTime` each, checking cancel between steps; records the last step.
ml::Job longJob(int steps, std::chrono::milliseconds stepTime, std::atomic<int> *lastStep)
{
    return {"long", ml::Lane::Inference, [=](ml::JobContext &ctx) -> std::any {
                for (int i = 0; i < steps; ++i) {
                    ctx.throwIfCancelled();
                    std::this_thread::sleep_for(stepTime);
                    lastStep->store(i);
                    ctx.report(i + 1, steps, "working");
                }
                return steps;
            }};
}

} // namespace

class TestEngine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void runsInSubmissionOrder()
    {
        Recorder rec;
        ml::Engine engine(&rec, {1});
        std::vector<ml::JobId> ids;
        for (int i = 0; i < 20; ++i)
            ids.push_back(engine.submit(valueJob(i)));
        QVERIFY(engine.waitIdle(10s));
        QCOMPARE(rec.finishedOrder, ids);
        QCOMPARE(rec.started, ids);
        for (int i = 0; i < 20; ++i) {
            QVERIFY(rec.finished[ids[i]].ok());
            QCOMPARE(std::any_cast<int>(rec.finished[ids[i]].value), i);
        }
    }

    void progressIsMonotone()
    {
        Recorder rec;
        ml::Engine engine(&rec, {1});
        const auto id = engine.submit({"steps", ml::Lane::Inference, [](ml::JobContext &ctx) -> std::any {
                                           for (int i = 0; i <= 5000; ++i)
                                               ctx.report(i, 5000, i < 2500 ? "first" : "second");
                                           ctx.partial("answer", 42);
                                           return 0;
                                       }});
        QVERIFY(engine.waitIdle(10s));
        const auto &ps = rec.progress[id];
        QVERIFY(ps.size() > 10);
        QVERIFY2(ps.size() <= 1002, "report() must throttle to per-mille changes");
        for (std::size_t i = 1; i < ps.size(); ++i)
            QVERIFY(ps[i].done >= ps[i - 1].done);
        QCOMPARE(ps.back().done, 5000);
        QCOMPARE(ps.back().total, 5000);
        QCOMPARE(ps.back().stage, std::string("second"));
        QCOMPARE(rec.partials, std::vector<std::string> {"answer=42"});
    }

    void cancelStopsWithinOneStep()
    {
        Recorder rec;
        ml::Engine engine(&rec, {1});
        std::atomic<int> lastStep {-1};
        const auto id = engine.submit(longJob(1000, 20ms, &lastStep));
        QTRY_VERIFY_WITH_TIMEOUT(lastStep.load() >= 3, 5000);
        const int atCancel = lastStep.load();
        engine.cancel(id);
        QVERIFY(engine.waitIdle(5s));
        QVERIFY(!rec.finished[id].ok());
        QVERIFY(rec.finished[id].error->cancelled);
        // The step running when cancel was pressed may finish; no further step starts.
        QVERIFY2(lastStep.load() <= atCancel + 1,
            qPrintable(QString("ran to step %1 after cancel at %2").arg(lastStep.load()).arg(atCancel)));
    }

    void cancelQueuedJobNeverRuns()
    {
        Recorder rec;
        ml::Engine engine(&rec, {1});
        std::atomic<int> lastStep {-1};
        std::atomic<int> counter {0};
        const auto blocker = engine.submit(longJob(10, 10ms, &lastStep));
        const auto queued = engine.submit(valueJob(7, &counter));
        engine.cancel(queued);
        QVERIFY(engine.waitIdle(5s));
        QCOMPARE(counter.load(), 0);
        QVERIFY(rec.finished[queued].error && rec.finished[queued].error->cancelled);
        QVERIFY(rec.finished[blocker].ok());
    }

    void exceptionBecomesErrorValue()
    {
        Recorder rec;
        ml::Engine engine(&rec, {1});
        const auto bad = engine.submit({"bad", ml::Lane::Inference,
            [](ml::JobContext &) -> std::any { throw ml::Error("photo.jpg: not a JPEG file"); }});
        const auto worse = engine.submit({"worse", ml::Lane::Inference, [](ml::JobContext &) -> std::any {
                                              throw 17; // not even an exception type
                                          }});
        const auto good = engine.submit(valueJob(3));
        QVERIFY(engine.waitIdle(5s));
        QVERIFY(!rec.finished[bad].ok());
        QCOMPARE(rec.finished[bad].error->message, std::string("photo.jpg: not a JPEG file"));
        QVERIFY(!rec.finished[bad].error->cancelled);
        QVERIFY(!rec.finished[worse].ok());
        QVERIFY(rec.finished[worse].error->message.find("worse") != std::string::npos);
        QVERIFY2(rec.finished[good].ok(), "the engine keeps running after a failed job");
    }

    // An allocation that fails (std::bad_alloc, LibTorch's allocator asked for 128 TB) reads "out of
    // memory" with what to do, LibTorch's C++ backtrace never reaches the user, and the engine goes on.
    void allocationFailuresSayOutOfMemory()
    {
        Recorder rec;
        ml::Engine engine(&rec, {1});
        const auto thrown = engine.submit(
            {"huge", ml::Lane::Inference, [](ml::JobContext &) -> std::any { throw std::bad_alloc(); }});
        const auto torchAlloc = engine.submit({"torch", ml::Lane::Inference,
            [](ml::JobContext &) -> std::any { return at::empty({std::int64_t(1) << 45}).numel(); }});
        const auto traced = engine.submit({"traced", ml::Lane::Inference, [](ml::JobContext &) -> std::any {
                                               throw std::runtime_error("shapes do not match\nException raised from "
                                                                        "f at x.cpp:1 (most recent call first):\n"
                                                                        "frame #0: f() + 0x1");
                                           }});
        const auto warned = engine.submit({"warned", ml::Lane::Inference, [](ml::JobContext &ctx) -> std::any {
                                               ctx.warn("model", {"weight 'w' holds 1 NaN", ""});
                                               return 1;
                                           }});
        QVERIFY(engine.waitIdle(30s));
        const auto &oom = rec.finished[thrown].error->message;
        QVERIFY2(oom.rfind("out of memory: 'huge' asked for more memory", 0) == 0, oom.c_str());
        QVERIFY2(oom.find("smaller batch") != std::string::npos, oom.c_str());
        QVERIFY(!rec.finished[torchAlloc].ok());
        const auto &torchOom = rec.finished[torchAlloc].error->message;
        QVERIFY2(torchOom.rfind("out of memory: 'torch'", 0) == 0, torchOom.c_str());
        QVERIFY2(torchOom.find("frame #") == std::string::npos && torchOom.find('\n') == std::string::npos,
            torchOom.c_str());
        QCOMPARE(rec.finished[traced].error->message, std::string("shapes do not match"));
        QVERIFY(rec.finished[warned].ok());
        QVERIFY(rec.partials == std::vector<std::string> {"warning=model: weight 'w' holds 1 NaN"});
    }

    void lanesRunConcurrently()
    {
        Recorder rec;
        ml::Engine engine(&rec, {1});
        std::atomic<bool> trainingRunning {false};
        std::atomic<bool> release {false};
        engine.submit({"train", ml::Lane::Training, [&](ml::JobContext &ctx) -> std::any {
                           trainingRunning = true;
                           while (!release)
                               ctx.throwIfCancelled(), std::this_thread::sleep_for(1ms);
                           return 0;
                       }});
        QTRY_VERIFY_WITH_TIMEOUT(trainingRunning.load(), 5000);
        const auto infer = engine.submit(valueJob(1));
        QTRY_VERIFY_WITH_TIMEOUT(rec.isFinished(infer), 5000);
        release = true;
        QVERIFY(engine.waitIdle(5s));
    }

    void shutdownWithJobsInFlightIsClean()
    {
        Recorder rec;
        std::atomic<int> lastStep {-1};
        std::vector<ml::JobId> ids;
        {
            ml::Engine engine(&rec, {1});
            ids.push_back(engine.submit(longJob(100000, 5ms, &lastStep)));
            for (int i = 0; i < 5; ++i)
                ids.push_back(engine.submit(longJob(100000, 5ms, &lastStep)));
            ids.push_back(engine.submit({"training", ml::Lane::Training, [](ml::JobContext &ctx) -> std::any {
                                             for (;;) {
                                                 ctx.throwIfCancelled();
                                                 std::this_thread::sleep_for(2ms);
                                             }
                                         }}));
            QTRY_VERIFY_WITH_TIMEOUT(lastStep.load() >= 1, 5000);
        } // destructor: cancel everything, join
        QCOMPARE(rec.finished.size(), ids.size());
        for (auto id : ids)
            QVERIFY(rec.finished[id].error && rec.finished[id].error->cancelled);
    }

    // Compute threads follow the CPUs this process may use (taskset, cpusets), not the machine's.
    void defaultThreadsFollowAffinity()
    {
#ifdef __linux__
        cpu_set_t saved;
        QCOMPARE(sched_getaffinity(0, sizeof saved, &saved), 0);
        QCOMPARE(ml::Engine::defaultThreads(), CPU_COUNT(&saved));
        cpu_set_t one;
        CPU_ZERO(&one);
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
            if (CPU_ISSET(cpu, &saved)) {
                CPU_SET(cpu, &one);
                break;
            }
        QCOMPARE(sched_setaffinity(0, sizeof one, &one), 0);
        const int restricted = ml::Engine::defaultThreads();
        QCOMPARE(sched_setaffinity(0, sizeof saved, &saved), 0);
        QCOMPARE(restricted, 1);
#else
        QVERIFY(ml::Engine::defaultThreads() >= 1);
#endif
    }

    void etaIsReported()
    {
        Recorder rec;
        ml::Engine engine(&rec, {1});
        std::atomic<int> lastStep {-1};
        const auto id = engine.submit(longJob(5, 5ms, &lastStep));
        QVERIFY(engine.waitIdle(5s));
        QVERIFY(rec.progress[id].front().etaSeconds >= 0.0);
    }

    // A job's own estimate (a trainer's: its steps' pace, pauses excluded) is what the listener
    // gets, so the status bar and the job's panel show one figure; < 0 goes back to the linear one.
    void jobsOwnEtaIsReported()
    {
        Recorder rec;
        ml::JobContext ctx(7, &rec, std::make_shared<std::atomic<bool>>(false));
        ctx.setEtaSeconds(42.5);
        ctx.report(1, 10, "training");
        ctx.report(1, 10, "paused");
        ctx.setEtaSeconds(-1.0);
        ctx.report(2, 10, "training");
        const auto &p = rec.progress[7];
        QCOMPARE(p.size(), std::size_t(3));
        QCOMPARE(p[0].etaSeconds, 42.5);
        QCOMPARE(p[1].etaSeconds, 42.5);
        QCOMPARE(p[1].stage, std::string("paused"));
        QVERIFY(p[2].etaSeconds >= 0.0 && p[2].etaSeconds != 42.5); // elapsed x 8 / 2
    }

    void threadPoolRunsEverythingAndClears()
    {
        ml::ThreadPool pool(2);
        std::atomic<int> n {0};
        for (int i = 0; i < 100; ++i)
            pool.post([&] { n.fetch_add(1); }, i % 2 == 0);
        pool.post([] { throw std::runtime_error("a failing task does not kill the pool"); });
        pool.waitIdle();
        QCOMPARE(n.load(), 100);

        std::atomic<bool> release {false};
        for (int i = 0; i < 2; ++i)
            pool.post([&] {
                while (!release)
                    std::this_thread::sleep_for(1ms);
            });
        for (int i = 0; i < 50; ++i)
            pool.post([&] { n.fetch_add(1); });
        std::this_thread::sleep_for(20ms);
        const std::size_t dropped = pool.clear();
        release = true;
        pool.waitIdle();
        QCOMPARE(static_cast<int>(dropped) + (n.load() - 100), 50);
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"
