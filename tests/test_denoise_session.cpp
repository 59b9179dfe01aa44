// The interactive denoising session behind the Diffusion panel, on the embedded ddpm-mini: a run
// equals the plain Sampler's with the same seed, a paused run continues to the same result, a
// branch with the run's seed reproduces its ending and another seed does not, schedule tables,
// the forward process, reconstruction, the tensor memory budget, and bad input.
#include "ddpm_mini_test_util.h"

#include "common/error.h"
#include "engine/denoise_session.h"
#include "models/diffusion/diffusion_loader.h"
#include "models/diffusion/sampler.h"

#include <QtTest>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <any>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>

namespace fs = std::filesystem;

namespace {

ml::DenoiseSessionConfig ddim(int steps, double eta)
{
    ml::DenoiseSessionConfig c;
    c.model = "ddpm-mini";
    c.scheduler = "ddim";
    c.steps = steps;
    c.eta = eta;
    c.compute.dtype = "fp32";
    return c;
}

// Cancels its job after `cancelAfter` denoising steps; records how the job ended.
struct Listener : ml::EngineListener {
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<ml::JobResult> result;
    int steps = 0;
    int cancelAfter = 1 << 30;
    std::vector<std::string> kinds; // the partials' kinds, in order (the first step's only)
    std::optional<int> started;     // kDenoiseSessionRunKind's run id
    ml::Engine *engine = nullptr;
    void onProgress(ml::JobId, const ml::Progress &) override { }
    void onPartial(ml::JobId id, const ml::PartialResult &r) override
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (kinds.empty() || kinds.back() != r.kind)
                kinds.push_back(r.kind);
            if (r.kind == ml::kDenoiseSessionRunKind)
                started = std::any_cast<ml::DenoiseRunStarted>(r.value).run;
        }
        if (r.kind == ml::kDenoiseSessionStepKind && ++steps == cancelAfter)
            engine->cancel(id);
    }
    void onFinished(ml::JobId, const ml::JobResult &r) override
    {
        std::lock_guard<std::mutex> lock(mutex);
        result = r;
        cv.notify_all();
    }
    bool wait()
    {
        std::unique_lock<std::mutex> lock(mutex);
        return cv.wait_for(lock, std::chrono::seconds(120), [this] { return result.has_value(); });
    }
};

} // namespace

class TestDenoiseSession : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void equalsThePlainSampler();
    void samplerStartAt();
    void scheduleTables();
    void pauseAndContinue();
    void runJobOpensAndStarts();
    void branchReproducesOrDiffers();
    void forwardProcessAndReconstruction();
    void memoryBudgetDropsOldestTensors();
    void historyBudgetDropsOldestRuns();
    void trajectoryFrames();
    void badInput();
};

void TestDenoiseSession::initTestCase()
{
    if (!ddpm_mini_test::present())
        QSKIP("ddpm-mini is not in this tree");
    at::set_num_threads(1); // the machine is shared: a second thread only waits at barriers
}

void TestDenoiseSession::equalsThePlainSampler()
{
    // DDPM over 25 steps: noise is added at every step, so the seed's whole stream is checked.
    ml::DenoiseSessionConfig c;
    c.model = "ddpm-mini";
    c.scheduler = "ddpm";
    c.steps = 25;
    c.compute.dtype = "fp32";
    ml::DenoiseSession session;
    const auto info = session.open(c);
    QCOMPARE(info.modelName, std::string("ddpm-mini"));
    QCOMPARE(info.channels, 1);
    QCOMPARE(info.height, 32);
    QCOMPARE(info.steps, 25);
    const int run = session.newRun(7);
    int reported = 0;
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(session.step(run, 1000,
                 [&](const ml::DenoiseSessionStep &s) {
                     if (s.previews.index != reported)
                         return false;
                     ++reported;
                     return true;
                 }),
        25);
    const double sessionMs = timer.nsecsElapsed() / 1e6 / 25;
    QCOMPARE(reported, 25);
    QVERIFY(session.run(run)->finished);

    const auto loaded = ml::diffusion::loadDiffusion(ml::resolveModelPath("ddpm-mini"));
    ml::diffusion::Sampler sampler(
        loaded.unet, ml::diffusion::Scheduler(loaded.scheduler, ml::diffusion::SchedulerKind::Ddpm), 25, 0.0);
    sampler.start(7, 1, 32, 32);
    timer.restart();
    sampler.run();
    // A figure, not an assertion: what the session's previews and bookkeeping add to a step.
    qInfo("ddpm-mini, %d threads: %.2f ms/step in the session (previews, tensors kept), %.2f ms/step plain Sampler",
        at::get_num_threads(), sessionMs, timer.nsecsElapsed() / 1e6 / 25);
    const auto expected = sampler.current()[0].contiguous();
    const std::vector<float> want(expected.data_ptr<float>(), expected.data_ptr<float>() + expected.numel());
    QCOMPARE(ddpm_mini_test::maxAbsDiff(session.current(run).data, want), 0.0);
    // Every step's x_t is the sampler's history.
    const auto &h = sampler.history();
    for (int i : {0, 12, 24}) {
        const auto t = session.tensors(run, i);
        QVERIFY(t);
        QCOMPARE(t->timestep, h[static_cast<std::size_t>(i)].timestep);
        const auto x = h[static_cast<std::size_t>(i)].sample[0].contiguous();
        QCOMPARE(ddpm_mini_test::maxAbsDiff(
                     t->sample.data, std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + x.numel())),
            0.0);
        const auto p = session.previews(run, i);
        QVERIFY(p);
        QCOMPARE(p->sample.width, 32);
        QCOMPARE(p->sample.pixels, ml::toRgbPreview(t->sample).pixels);
        QCOMPARE(p->modelOutput.pixels, ml::toRgbPreview(t->modelOutput, ml::kEpsRange).pixels);
    }
}

// Sampler::startAt: resuming at a stored step with the run's seed continues it exactly; a
// restart after a resume finds its steps by index.
void TestDenoiseSession::samplerStartAt()
{
    using namespace ml::diffusion;
    const auto loaded = loadDiffusion(ml::resolveModelPath("ddpm-mini"));
    Sampler whole(loaded.unet, Scheduler(loaded.scheduler, SchedulerKind::Ddim), 8, 1.0);
    whole.start(21, 1, 32, 32);
    whole.run();
    Sampler resumed(loaded.unet, Scheduler(loaded.scheduler, SchedulerKind::Ddim), 8, 1.0);
    resumed.startAt(whole.history()[3].sample, 3, 21);
    QCOMPARE(resumed.stepIndex(), std::int64_t(3));
    resumed.run();
    QCOMPARE(resumed.history().front().index, std::int64_t(3));
    QVERIFY(torch::equal(resumed.current(), whole.current()));
    resumed.restartFrom(5);
    QCOMPARE(resumed.history().size(), std::size_t(2));
    resumed.run();
    QVERIFY(torch::equal(resumed.current(), whole.current()));
    QVERIFY_THROWS_EXCEPTION(ml::Error, resumed.restartFrom(2)); // before the resume: not stored
    QVERIFY_THROWS_EXCEPTION(ml::Error, resumed.startAt(whole.history()[3].sample, 9, 21));
    QVERIFY_THROWS_EXCEPTION(ml::Error, resumed.startAt(torch::zeros({1, 3, 32, 32}), 0, 21));
}

void TestDenoiseSession::scheduleTables()
{
    ml::DenoiseSession session;
    session.open(ddim(10, 0.0));
    const auto s = session.schedule();
    QCOMPARE(s.trainBeta.size(), std::size_t(1000));
    QCOMPARE(s.timesteps.size(), std::size_t(10));
    QCOMPARE(s.timesteps.front(), std::int64_t(900)); // "leading" spacing: 900, 800, ..., 0
    QCOMPARE(s.timesteps.back(), std::int64_t(0));
    double prod = 1.0;
    for (std::size_t t = 0; t < 1000; ++t) {
        prod *= 1.0 - s.trainBeta[t];
        QVERIFY(std::abs(prod - s.trainAlphaBar[t]) < 1e-4);
        QVERIFY(std::abs(s.trainSnr[t] - s.trainAlphaBar[t] / (1.0 - s.trainAlphaBar[t])) <= 1e-9 * s.trainSnr[t]);
    }
    for (std::size_t i = 0; i < 10; ++i)
        QCOMPARE(s.alphaBar[i], s.trainAlphaBar[static_cast<std::size_t>(s.timesteps[i])]);
    QVERIFY(s.snr.front() < s.snr.back()); // noisier first
}

void TestDenoiseSession::pauseAndContinue()
{
    auto session = std::make_shared<ml::DenoiseSession>();
    session->open(ddim(12, 1.0));
    const int whole = session->newRun(3);
    session->step(whole, 100);

    const int paused = session->newRun(3);
    Listener listener;
    listener.cancelAfter = 4;
    {
        ml::Engine engine(&listener, ml::EngineOptions {1});
        listener.engine = &engine;
        engine.submit(ml::makeDenoiseRunJob(session, paused, 100));
        QVERIFY(listener.wait());
    }
    QVERIFY(listener.result->error);
    QVERIFY(listener.result->error->cancelled);
    QCOMPARE(session->run(paused)->stepsDone, 4); // cancelled between steps: what was computed stays
    QVERIFY(!session->run(paused)->finished);
    session->step(paused, 100);
    QVERIFY(session->run(paused)->finished);
    QCOMPARE(ddpm_mini_test::maxAbsDiff(session->current(paused).data, session->current(whole).data), 0.0);
}

// The job the panel submits: it opens the configuration, makes the run and steps it, saying so
// in that order; a branch job with the run's seed ends as the run.
void TestDenoiseSession::runJobOpensAndStarts()
{
    auto session = std::make_shared<ml::DenoiseSession>();
    Listener listener;
    ml::DenoiseRunRequest request;
    request.kind = ml::DenoiseRunRequest::Kind::New;
    request.seed = 7;
    request.open = ddim(8, 1.0);
    {
        ml::Engine engine(&listener, ml::EngineOptions {1});
        listener.engine = &engine;
        engine.submit(ml::makeDenoiseRunJob(session, request));
        QVERIFY(listener.wait());
    }
    QVERIFY(!listener.result->error);
    QCOMPARE(std::any_cast<int>(listener.result->value), 8);
    const std::vector<std::string> order {
        ml::kDenoiseSessionOpenKind, ml::kDenoiseSessionRunKind, ml::kDenoiseSessionStepKind};
    QVERIFY(listener.kinds == order);
    QVERIFY(listener.started);
    const int run = *listener.started;
    QVERIFY(session->isOpen());
    QCOMPARE(session->info().steps, 8);
    QCOMPARE(session->run(run)->seed, std::uint64_t(7));
    QVERIFY(session->run(run)->finished);

    Listener branchListener;
    ml::DenoiseRunRequest branch;
    branch.kind = ml::DenoiseRunRequest::Kind::Branch;
    branch.run = run;
    branch.index = 3;
    branch.seed = 7;
    {
        ml::Engine engine(&branchListener, ml::EngineOptions {1});
        branchListener.engine = &engine;
        engine.submit(ml::makeDenoiseRunJob(session, branch));
        QVERIFY(branchListener.wait());
    }
    QVERIFY(!branchListener.result->error);
    const std::vector<std::string> noOpen {ml::kDenoiseSessionRunKind, ml::kDenoiseSessionStepKind};
    QVERIFY(branchListener.kinds == noOpen);
    const int b = *branchListener.started;
    QCOMPARE(session->run(b)->origin, ml::DenoiseRunInfo::Origin::Branch);
    QCOMPARE(session->run(b)->firstStep, 3);
    QCOMPARE(ddpm_mini_test::maxAbsDiff(session->current(b).data, session->current(run).data), 0.0);
}

void TestDenoiseSession::branchReproducesOrDiffers()
{
    ml::DenoiseSession session;
    session.open(ddim(10, 1.0)); // eta 1: every step adds noise, so the seed matters after the branch
    const int run = session.newRun(11);
    session.step(run, 100);
    const auto ending = session.current(run);

    const int same = session.branch(run, 4, 11);
    QCOMPARE(session.run(same)->firstStep, 4);
    QCOMPARE(session.run(same)->parent, run);
    // Before the branch point the branch shows its parent's steps.
    QCOMPARE(session.previews(same, 2)->sample.pixels, session.previews(run, 2)->sample.pixels);
    QVERIFY(!session.previews(same, 4)); // not computed yet
    QCOMPARE(session.step(same, 100), 6);
    QCOMPARE(ddpm_mini_test::maxAbsDiff(session.current(same).data, ending.data), 0.0);

    const int other = session.branch(run, 4, 12);
    session.step(other, 100);
    const double diff = ddpm_mini_test::maxAbsDiff(session.current(other).data, ending.data);
    QVERIFY2(diff > 0.05, qPrintable(QString::number(diff)));
    // The step at the branch point starts from the same x_t.
    QCOMPARE(
        ddpm_mini_test::maxAbsDiff(session.tensors(other, 4)->sample.data, session.tensors(run, 4)->sample.data), 0.0);

    // A branch of a branch, from a step before its own first one (its parent's).
    const int nested = session.branch(other, 2, 11);
    session.step(nested, 100);
    QCOMPARE(ddpm_mini_test::maxAbsDiff(session.current(nested).data, ending.data), 0.0);
}

void TestDenoiseSession::forwardProcessAndReconstruction()
{
    ml::DenoiseSession session;
    session.open(ddim(10, 0.0));
    QVERIFY(!session.hasForwardImage());
    // A 64 x 48 image: a bright square on black, cropped to 48 x 48 and averaged down to 32 x 32.
    ml::io::RgbImage rgb;
    rgb.width = 64;
    rgb.height = 48;
    rgb.pixels.assign(64 * 48 * 3, 0);
    for (int y = 12; y < 36; ++y)
        for (int x = 20; x < 44; ++x)
            for (int c = 0; c < 3; ++c)
                rgb.row(y)[x * 3 + c] = 255;
    session.setForwardImage(rgb, "square.png", 5);
    QVERIFY(session.hasForwardImage());
    const auto x0 = session.forwardOriginal();
    QCOMPARE(x0.channels, 1);
    QCOMPARE(x0.width, 32);
    QCOMPARE(x0.data.front(), -1.0f);      // black corner
    QCOMPARE(x0.data[16 * 32 + 16], 1.0f); // white centre
    QCOMPARE(*std::max_element(x0.data.begin(), x0.data.end()), 1.0f);

    // ε is x_T of the seed's run.
    const auto eps = session.forwardNoise();
    const int seeded = session.newRun(5);
    QCOMPARE(ddpm_mini_test::maxAbsDiff(session.current(seeded).data, eps.data), 0.0);

    const auto s = session.schedule();
    for (std::int64_t t : {0, 300, 999}) {
        const auto xt = session.forwardSample(t);
        const double a = s.trainAlphaBar[static_cast<std::size_t>(t)];
        std::vector<float> want(xt.data.size());
        for (std::size_t i = 0; i < want.size(); ++i)
            want[i] = static_cast<float>(std::sqrt(a) * x0.data[i] + std::sqrt(1.0 - a) * eps.data[i]);
        QVERIFY(ddpm_mini_test::maxAbsDiff(xt.data, want) < 1e-5);
        // Statistics: x_t - sqrt(ᾱ) x0 is noise of variance 1 - ᾱ.
        double mean = 0.0, sq = 0.0;
        for (std::size_t i = 0; i < want.size(); ++i) {
            const double r = xt.data[i] - std::sqrt(a) * x0.data[i];
            mean += r;
            sq += r * r;
        }
        mean /= static_cast<double>(want.size());
        const double var = sq / static_cast<double>(want.size()) - mean * mean;
        QVERIFY2(std::abs(var - (1.0 - a)) < 0.15 * (1.0 - a) + 1e-6, qPrintable(QString::number(var)));
        QCOMPARE(session.forwardPreview(t).pixels, ml::toRgbPreview(xt).pixels);
    }

    // Reconstruction from step 6 (t = 300) starts at the forward x_t and ends near the image.
    const int rec = session.reconstruct(6, 5);
    QCOMPARE(session.run(rec)->origin, ml::DenoiseRunInfo::Origin::Reconstruction);
    QCOMPARE(session.run(rec)->imageName, std::string("square.png"));
    QCOMPARE(session.step(rec, 100), 4);
    QCOMPARE(ddpm_mini_test::maxAbsDiff(session.tensors(rec, 6)->sample.data, session.forwardSample(300).data), 0.0);
    QVERIFY(!session.previews(rec, 5)); // nothing before its first step
    double err = 0.0;
    const auto out = session.current(rec);
    for (std::size_t i = 0; i < out.data.size(); ++i)
        err += std::abs(out.data[i] - x0.data[i]);
    err /= static_cast<double>(out.data.size());
    QVERIFY2(err < 0.6, qPrintable(QString::number(err))); // pure noise would be ~0.8 away on average
}

void TestDenoiseSession::memoryBudgetDropsOldestTensors()
{
    ml::DenoiseSession session;
    session.open(ddim(10, 0.0));
    QCOMPARE(session.memoryBudget(), ml::DenoiseSession::kDefaultBudgetBytes);
    const std::int64_t perRun = 10 * 3 * 32 * 32 * 4; // x_t, ε̂, x̂0 per step
    session.setMemoryBudget(2 * perRun + perRun / 2);
    std::vector<int> runs;
    for (std::uint64_t seed = 0; seed < 4; ++seed) {
        runs.push_back(session.newRun(seed));
        session.step(runs.back(), 100);
    }
    QCOMPARE(session.tensorBytes(), 2 * perRun);
    QVERIFY(!session.run(runs[0])->hasTensors);
    QVERIFY(!session.run(runs[1])->hasTensors);
    QVERIFY(session.run(runs[2])->hasTensors);
    QVERIFY(session.run(runs[3])->hasTensors);
    QCOMPARE(session.run(runs[2])->tensorBytes, perRun);
    // Previews stay; tensors go.
    QVERIFY(session.previews(runs[0], 5));
    QVERIFY(!session.tensors(runs[0], 5));
    QVERIFY(session.tensors(runs[3], 5));
    // Branching needs the tensors of its step.
    try {
        session.branch(runs[0], 5, 1);
        QFAIL("branching from dropped tensors worked");
    } catch (const ml::Error &e) {
        QVERIFY2(QString(e.what()).contains(QStringLiteral("memory budget")), e.what());
    }
    // A run's final x stays (its result, and where a paused run continues).
    QCOMPARE(session.current(runs[0]).data.size(), std::size_t(32 * 32));
    // A budget below one run keeps the run being computed.
    session.setMemoryBudget(0);
    QCOMPARE(session.tensorBytes(), 0);
    const int kept = session.newRun(9);
    int withTensors = 0;
    session.step(kept, 3, [&](const ml::DenoiseSessionStep &s) {
        withTensors += session.tensors(kept, s.previews.index).has_value() ? 1 : 0;
        return true;
    });
    QCOMPARE(withTensors, 3);           // kept while it is computed
    QCOMPARE(session.tensorBytes(), 0); // dropped once it stops
    QVERIFY(session.previews(kept, 2));
}

void TestDenoiseSession::historyBudgetDropsOldestRuns()
{
    ml::DenoiseSession session;
    session.open(ddim(10, 0.0));
    QCOMPARE(session.historyBudget(), ml::DenoiseSession::kDefaultHistoryBytes);
    // Three 32 × 32 RGB previews a step, and the run's x (1 × 32 × 32 floats).
    const std::int64_t perStep = 3 * 32 * 32 * 3, perRun = 10 * perStep + 32 * 32 * 4;
    session.setHistoryBudget(2 * perRun + perRun / 2);
    std::vector<int> runs;
    for (std::uint64_t seed = 0; seed < 4; ++seed) {
        runs.push_back(session.newRun(seed));
        session.step(runs.back(), 100);
    }
    QCOMPARE(session.run(runs[3])->previewBytes, perRun);
    QCOMPARE(session.historyBytes(), 2 * perRun);
    QCOMPARE(session.droppedRuns(), 2);
    QVERIFY(!session.run(runs[0]) && !session.run(runs[1]));
    QVERIFY(!session.previews(runs[0], 3));
    QVERIFY(session.previews(runs[2], 9) && session.previews(runs[3], 9));
    QCOMPARE(session.runs().size(), std::size_t(2));

    // The pinned (shown) run stays; the oldest other one goes.
    session.pin(runs[2]);
    runs.push_back(session.newRun(7));
    session.step(runs.back(), 100);
    QVERIFY(session.run(runs[2]));
    QVERIFY(!session.run(runs[3]));
    QVERIFY(session.run(runs[4]));

    // A run that a kept run branched from stays while its branch does: the branch shows the parent's
    // steps before it branched. Over budget with nothing droppable, the history stays over it.
    const int branch = session.branch(runs[4], 5, 11);
    session.step(branch, 100);
    QCOMPARE(session.run(branch)->previewBytes, 5 * perStep + 32 * 32 * 4);
    QVERIFY(session.historyBytes() > session.historyBudget());
    QCOMPARE(session.runs().size(), std::size_t(3));
    session.pin(-1);
    session.setHistoryBudget(session.historyBudget());
    QVERIFY(!session.run(runs[2]));
    QVERIFY(session.run(runs[4]));
    QVERIFY(session.previews(branch, 2)); // the parent's step
    QCOMPARE(session.droppedRuns(), 4);

    // Reopening starts a new history.
    session.open(ddim(10, 0.0));
    QCOMPARE(session.droppedRuns(), 0);
    QCOMPARE(session.historyBytes(), 0);
}

void TestDenoiseSession::trajectoryFrames()
{
    ml::DenoiseSession session;
    session.open(ddim(10, 0.0));
    const int run = session.newRun(1);
    QVERIFY(session.trajectoryFrames(run, 50).empty());
    session.step(run, 100);
    const auto frames = session.trajectoryFrames(run, 4);
    QCOMPARE(frames.size(), std::size_t(5)); // 4 steps (the first and the last among them) + the result
    QCOMPARE(frames.front().height, 32);
    QCOMPARE(frames.front().width, 2 * 32 + 2);
    // The left half of frame 0 is step 0's x_t, the right half of the last its final sample.
    const auto p0 = session.previews(run, 0);
    QVERIFY(std::equal(p0->sample.row(7), p0->sample.row(7) + 32 * 3, frames.front().row(7)));
    const auto fin = session.currentPreview(run);
    QVERIFY(std::equal(fin.row(9), fin.row(9) + 32 * 3, frames.back().row(9) + (32 + 2) * 3));
}

void TestDenoiseSession::badInput()
{
    ml::DenoiseSession session;
    QVERIFY(!session.isOpen());
    QVERIFY_THROWS_EXCEPTION(ml::Error, session.newRun(0));
    const QString missing = QDir::tempPath() + QStringLiteral("/no-such-diffusion-model");
    try {
        auto c = ddim(10, 0.0);
        c.model = missing.toStdString();
        session.open(c);
        QFAIL("opened a missing folder");
    } catch (const ml::Error &e) {
        QVERIFY2(QString(e.what()).contains(QStringLiteral("no-such-diffusion-model")), e.what());
    }
    auto c = ddim(10, 0.0);
    c.scheduler = "ddpm";
    c.eta = 0.5;
    QVERIFY_THROWS_EXCEPTION(ml::Error, session.open(c));
    c = ddim(2000, 0.0);
    QVERIFY_THROWS_EXCEPTION(ml::Error, session.open(c));
    session.open(ddim(10, 0.0));
    const int run = session.newRun(0);
    QVERIFY_THROWS_EXCEPTION(ml::Error, session.branch(run, 5, 1)); // not computed
    QVERIFY_THROWS_EXCEPTION(ml::Error, session.branch(run + 100, 0, 1));
    QVERIFY_THROWS_EXCEPTION(ml::Error, session.reconstruct(0, 0)); // no image
    ml::io::RgbImage broken;
    broken.width = 4;
    broken.height = 4;
    QVERIFY_THROWS_EXCEPTION(ml::Error, session.setForwardImage(broken, "broken.png", 0));
}

QTEST_GUILESS_MAIN(TestDenoiseSession)
#include "test_denoise_session.moc"
