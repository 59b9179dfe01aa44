// DDPM training: the schedule, the EMA decay, the batched forward process against the scheduler's,
// the configs' round trip; then short "tiny" runs on Fashion-MNIST that lower the loss and leave
// a checkpoint the diffusion loader and `denoise` take, resume at the right step, stop and cancel.
#include "common/error.h"
#include "engine/ddpm_train_service.h"
#include "engine/diffusion_service.h"
#include "engine/train_presets.h"
#include "io/safetensors.h"
#include "models/diffusion/diffusion_loader.h"
#include "models/diffusion/scheduler.h"
#include "train/ddpm_trainer.h"
#include "train/fashion_mnist.h"

#include "train_recorder.h"

#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;
using namespace ml::train;

namespace {

using Recorder = TrainRecorder;

ml::DdpmTrainResult train(const ml::DdpmTrainRequest &request, Recorder &recorder)
{
    ml::JobContext ctx(1, &recorder, recorder.cancel);
    ml::Job job = ml::makeDdpmTrainJob(request);
    return std::any_cast<ml::DdpmTrainResult>(job.run(ctx));
}

ml::DdpmTrainRequest tinyRequest(const fs::path &out, std::int64_t steps)
{
    ml::DdpmTrainRequest r;
    r.preset = "tiny";
    r.outDir = out.string();
    r.steps = steps;
    r.logEvery = 1;
    return r;
}

std::vector<nlohmann::json> readMetrics(const fs::path &run)
{
    std::vector<nlohmann::json> lines;
    std::ifstream in(run / "metrics.jsonl");
    for (std::string line; std::getline(in, line);)
        lines.push_back(nlohmann::json::parse(line));
    return lines;
}

double meanLoss(const std::vector<ml::TrainMetric> &m, std::size_t from, std::size_t count)
{
    double s = 0;
    for (std::size_t i = from; i < from + count; ++i)
        s += m.at(i).loss;
    return s / static_cast<double>(count);
}

std::int64_t stateStep(const fs::path &run)
{
    std::ifstream in(run / "trainer_state.json");
    return nlohmann::json::parse(in)["step"].get<std::int64_t>();
}

} // namespace

class TestDdpmTrainer : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    double m_firstLoss = 0.0; // mean loss of the fresh run's first steps

    static bool haveData() { return FashionMnist::available(FashionSplit::Train); }

private Q_SLOTS:
    void schedule()
    {
        auto c = DdpmTrainConfig::fromPreset("mini");
        c.steps = 1000;
        c.lr = 1e-3;
        c.warmupFraction = 0.1;
        QCOMPARE(c.warmupSteps(), std::int64_t(100));
        QVERIFY(std::abs(learningRate(c, 0) - 1e-5) < 1e-12);
        QVERIFY(std::abs(learningRate(c, 99) - 1e-3) < 1e-12);
        QVERIFY(std::abs(learningRate(c, 550) - 0.5e-3) < 1e-9); // half-way through the cosine
        QVERIFY(learningRate(c, 999) < 1e-6);
        QVERIFY(std::abs(emaDecayAt(c, 0) - 0.1) < 1e-12);
        QVERIFY(std::abs(emaDecayAt(c, 90) - 0.91) < 1e-12);
        QCOMPARE(emaDecayAt(c, 100000), 0.999);
        QVERIFY_THROWS_EXCEPTION(ml::Error, DdpmTrainConfig::fromPreset("huge"));
    }

    void configsRoundTrip()
    {
        const auto c = DdpmTrainConfig::fromPreset("mini");
        const auto back = DdpmTrainConfig::fromJson(c.toJson());
        QVERIFY(back.toJson() == c.toJson());
        const auto unet = ml::diffusion::UNet2DConfig::fromJson(c.unetConfigJson());
        QVERIFY(unet.validate().empty());
        QCOMPARE(unet.in_channels, std::int64_t(1));
        QCOMPARE(unet.sample_height, std::int64_t(32));
        QCOMPARE(unet.down_block_types.back(), std::string("AttnDownBlock2D"));
        QCOMPARE(unet.up_block_types.front(), std::string("AttnUpBlock2D"));
        const auto sched = ml::diffusion::SchedulerConfig::fromJson(c.schedulerConfigJson());
        QVERIFY(sched.validate().empty());
        QCOMPARE(sched.beta_schedule, std::string("squaredcos_cap_v2"));
        // The presets as plain requests (the Training panel's form).
        const auto req = ml::ddpmTrainPresetRequest("tiny");
        QCOMPARE(*req.steps, DdpmTrainConfig::fromPreset("tiny").steps);
        QCOMPARE(req.blockOutChannels, DdpmTrainConfig::fromPreset("tiny").blockOutChannels);
    }

    void batchedForwardProcessMatchesScheduler()
    {
        const auto c = DdpmTrainConfig::fromPreset("tiny");
        const ml::diffusion::Scheduler s(
            ml::diffusion::SchedulerConfig::fromJson(c.schedulerConfigJson()), ml::diffusion::SchedulerKind::Ddpm);
        torch::manual_seed(3);
        const auto x0 = torch::rand({4, 1, 8, 8}) * 2 - 1;
        const auto noise = torch::randn({4, 1, 8, 8});
        const auto t = torch::tensor({0, 17, 500, 999}, torch::kLong);
        const auto batched = addNoiseBatch(s.alphasCumprod(), x0, noise, t);
        for (std::int64_t i = 0; i < 4; ++i) {
            const auto one = s.addNoise(x0[i], noise[i], t[i].item<std::int64_t>());
            QVERIFY(torch::allclose(batched[i], one, 1e-6, 1e-6));
        }
        QVERIFY(!torch::allclose(batched[0], batched[3]));
    }

    void tinyRunLowersLossAndLoads()
    {
        if (!haveData())
            QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
        const fs::path run = fs::path(m_tmp.path().toStdString()) / "tiny";
        Recorder rec;
        const auto r = train(tinyRequest(run, 24), rec);
        QCOMPARE(r.steps, std::int64_t(24));
        QCOMPARE(r.startStep, std::int64_t(0));
        QVERIFY(!r.stopped);
        QCOMPARE(rec.metrics.size(), std::size_t(24));
        m_firstLoss = meanLoss(rec.metrics, 0, 4);
        const double last = meanLoss(rec.metrics, 20, 4);
        qInfo("mean loss: first 4 steps %.4f, last 4 steps %.4f", m_firstLoss, last);
        QVERIFY(m_firstLoss > 0.4);
        QVERIFY(last < 0.6 * m_firstLoss);
        QCOMPARE(readMetrics(run).size(), std::size_t(24));

        // diffusers' flat layout with the EMA weights, loadable as a diffusion model.
        for (const char *f : {"config.json", "diffusion_pytorch_model.safetensors", "scheduler_config.json",
                 "trainer_state.json", "trainer_state.safetensors"})
            QVERIFY2(fs::exists(run / f), f);
        const auto loaded = ml::diffusion::loadDiffusion(run);
        QCOMPARE(loaded.parameters, r.parameters);
        QVERIFY(loaded.hasSchedulerConfig);
        QCOMPARE(loaded.scheduler.beta_schedule, std::string("squaredcos_cap_v2"));
        const auto weights = ml::io::SafetensorsFile::open(run / "diffusion_pytorch_model.safetensors");
        const auto state = ml::io::SafetensorsFile::open(run / "trainer_state.safetensors");
        const auto ema = weights->tensor("conv_in.weight"), raw = state->tensor("model.conv_in.weight");
        QVERIFY(!torch::allclose(ema, raw)); // the checkpoint holds the EMA, not the raw weights

        // The end-of-run sample grid: a partial and a PNG.
        QCOMPARE(rec.grids.size(), std::size_t(1));
        QCOMPARE(rec.samples.size(), std::size_t(1));
        QCOMPARE(rec.samples[0].samples.size(), std::size_t(4));
        QCOMPARE(rec.samples[0].samples[0].image.width, 64);
#ifdef MODALLENS_HAVE_MEDIA
        QVERIFY(fs::exists(rec.grids[0].file));
        QVERIFY(fs::exists(run / "samples.png"));
#endif

        // `denoise` runs on it.
        ml::DenoiseRequest d;
        d.model = run.string();
        d.scheduler = "ddim";
        d.steps = 4;
        d.seed = 5;
        ml::JobContext ctx(2, &rec, rec.cancel);
        const auto out = std::any_cast<ml::DenoiseResult>(ml::makeDenoiseJob(d).run(ctx));
        QCOMPARE(out.shape, (std::vector<std::int64_t> {1, 1, 32, 32}));
        QCOMPARE(out.final.size(), std::size_t(1024));
        for (const float v : out.final)
            QVERIFY(std::isfinite(v));
    }

    void resumeContinuesAtTheStep()
    {
        if (!haveData())
            QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
        const fs::path run = fs::path(m_tmp.path().toStdString()) / "tiny";
        QVERIFY(fs::exists(run / "trainer_state.json"));
        Recorder rec;
        auto req = tinyRequest(run, 30);
        // A fresh run into the same folder is refused; a resume with other settings too.
        QVERIFY_THROWS_EXCEPTION(ml::Error, train(req, rec));
        req.resume = true;
        req.batch = 3;
        QVERIFY_THROWS_EXCEPTION(ml::Error, train(req, rec));
        req.batch.reset();
        const auto r = train(req, rec);
        QCOMPARE(r.startStep, std::int64_t(24));
        QCOMPARE(r.steps, std::int64_t(30));
        QCOMPARE(rec.metrics.front().step, std::int64_t(25));
        // The weights and optimiser came back: no restart from a random model's loss.
        QVERIFY(rec.metrics.front().loss < 0.6 * m_firstLoss);
        QCOMPARE(stateStep(run), std::int64_t(30));
        const auto lines = readMetrics(run);
        QCOMPARE(lines.size(), std::size_t(30));
        for (std::size_t i = 0; i < lines.size(); ++i)
            QCOMPARE(lines[i]["step"].get<std::int64_t>(), std::int64_t(i + 1));
        // Nothing left to do at the total: a clear error.
        QVERIFY_THROWS_EXCEPTION(ml::Error, train(req, rec));
    }

    void stopEndsNormally()
    {
        if (!haveData())
            QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
        const fs::path run = fs::path(m_tmp.path().toStdString()) / "stopped";
        Recorder rec;
        auto req = tinyRequest(run, 1000);
        req.randomFlip = true; // the flip path runs too
        req.control = std::make_shared<ml::TrainControl>();
        rec.onMetric = [control = req.control](const ml::TrainMetric &m) {
            if (m.step == 3)
                control->stop();
        };
        const auto r = train(req, rec);
        QVERIFY(r.stopped);
        QCOMPARE(r.steps, std::int64_t(3));
        QCOMPARE(rec.grids.size(), std::size_t(1)); // a sample grid on the way out
        QCOMPARE(stateStep(run), std::int64_t(3));
        QVERIFY(ml::diffusion::loadDiffusion(run).unet);
        std::ifstream stateIn(run / "trainer_state.json");
        QVERIFY(nlohmann::json::parse(stateIn)["config"]["random_flip"].get<bool>());
    }

    void pauseHoldsThenResumes()
    {
        if (!haveData())
            QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
        const fs::path run = fs::path(m_tmp.path().toStdString()) / "paused";
        Recorder rec;
        auto req = tinyRequest(run, 4);
        req.control = std::make_shared<ml::TrainControl>();
        rec.onMetric = [control = req.control](const ml::TrainMetric &m) {
            if (m.step == 2)
                control->pause();
        };
        bool idleWhilePaused = false;
        std::thread driver([&] {
            for (int i = 0; i < 12000 && !req.control->isPaused(); ++i) // up to two minutes
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            std::size_t before = 0;
            {
                std::lock_guard lock(rec.mutex);
                before = rec.metrics.size();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            {
                std::lock_guard lock(rec.mutex);
                idleWhilePaused = req.control->isPaused() && rec.metrics.size() == before;
            }
            req.control->resume();
        });
        const auto r = train(req, rec);
        driver.join();
        QVERIFY(idleWhilePaused);
        QCOMPARE(r.steps, std::int64_t(4));
        QVERIFY(!r.stopped);
    }

    void cancelLeavesALoadableCheckpoint()
    {
        if (!haveData())
            QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
        const fs::path run = fs::path(m_tmp.path().toStdString()) / "cancelled";
        Recorder rec;
        auto req = tinyRequest(run, 1000);
        rec.onMetric = [cancel = rec.cancel](const ml::TrainMetric &m) {
            if (m.step == 4)
                cancel->store(true);
        };
        QVERIFY_THROWS_EXCEPTION(ml::Cancelled, train(req, rec));
        QCOMPARE(rec.checkpoints.size(), std::size_t(1));
        QCOMPARE(stateStep(run), std::int64_t(4));
        const auto loaded = ml::diffusion::loadDiffusion(run);
        QVERIFY(loaded.unet);
        QVERIFY(rec.grids.empty());
    }

    void missingDataIsAClearError()
    {
        const fs::path run = fs::path(m_tmp.path().toStdString()) / "nodata";
        Recorder rec;
        auto req = tinyRequest(run, 5);
        req.fashionMnistDir = (fs::path(m_tmp.path().toStdString()) / "nowhere").string();
        try {
            train(req, rec);
            QFAIL("expected ml::Error");
        } catch (const ml::Error &e) {
            QVERIFY(std::string(e.what()).find("nowhere") != std::string::npos);
        }
    }
};

QTEST_GUILESS_MAIN(TestDdpmTrainer)
#include "test_ddpm_trainer.moc"
