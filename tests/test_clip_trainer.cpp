// CLIP training: the pieces (CRC32C and TFRecord framing, schedule, weight-decay groups, the
// soft-target loss, the truth matrix), then a short "tiny" run that lowers the loss and leaves a
// loadable checkpoint, resume, and pause + cancel. (Steps/s of the presets: `modallens-cli bench train`.)
#include "cli_common.h"
#include "common/error.h"
#include "engine/clip_train_service.h"
#include "engine/zero_shot_eval_service.h"
#include "models/clip/clip_loader.h"
#include "models/clip/clip_runtime.h"
#include "train/clip_trainer.h"
#include "train/tensorboard_writer.h"

#include "train_recorder.h"

#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace ml::cli {
std::vector<Command> trainCommands(); // app/cli_train.cpp
} // namespace ml::cli

namespace fs = std::filesystem;
using namespace ml::train;

namespace {

using Recorder = TrainRecorder;

// Runs a job on this thread, as the engine's training worker would.
ml::ClipTrainResult train(const ml::ClipTrainRequest &request, Recorder &recorder)
{
    ml::JobContext ctx(1, &recorder, recorder.cancel);
    ml::Job job = ml::makeClipTrainJob(request);
    return std::any_cast<ml::ClipTrainResult>(job.run(ctx));
}

ml::ClipTrainRequest tinyRequest(const fs::path &out)
{
    ml::ClipTrainRequest r;
    r.preset = "tiny";
    r.outDir = out.string();
    r.dtype = "fp32";
    return r;
}

std::vector<nlohmann::json> readMetrics(const fs::path &run)
{
    std::vector<nlohmann::json> lines;
    std::ifstream in(run / "metrics.jsonl");
    for (std::string line; std::getline(in, line);)
        lines.push_back(nlohmann::json::parse(line)); // throws on a malformed line
    return lines;
}

std::vector<double> losses(const std::vector<nlohmann::json> &lines)
{
    std::vector<double> out;
    for (const auto &l : lines)
        if (l.contains("loss"))
            out.push_back(l["loss"].get<double>());
    return out;
}

double mean(const std::vector<double> &v, std::size_t from, std::size_t count)
{
    double s = 0;
    for (std::size_t i = from; i < from + count; ++i)
        s += v.at(i);
    return s / static_cast<double>(count);
}

// An independent bitwise CRC-32C, to check the writer's table-driven one.
std::uint32_t referenceCrc32c(const std::string &bytes)
{
    std::uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char c : bytes) {
        crc ^= c;
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

std::uint32_t referenceMasked(const std::string &bytes)
{
    const std::uint32_t crc = referenceCrc32c(bytes);
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

// Every record of a TFRecord file, each CRC verified; QFAIL-style messages through `error`.
std::vector<std::string> readRecords(const fs::path &file, std::string &error)
{
    std::ifstream in(file, std::ios::binary);
    const std::string all {std::istreambuf_iterator<char>(in), {}};
    std::vector<std::string> records;
    std::size_t at = 0;
    auto u32 = [&](std::size_t p) {
        std::uint32_t v;
        std::memcpy(&v, all.data() + p, 4);
        return v;
    };
    while (at < all.size()) {
        if (all.size() - at < 12) {
            error = "truncated header at byte " + std::to_string(at);
            return records;
        }
        std::uint64_t length;
        std::memcpy(&length, all.data() + at, 8);
        if (u32(at + 8) != referenceMasked(all.substr(at, 8))) {
            error = "bad length CRC at byte " + std::to_string(at);
            return records;
        }
        if (all.size() - at - 12 < length + 4) {
            error = "truncated record at byte " + std::to_string(at);
            return records;
        }
        std::string data = all.substr(at + 12, length);
        if (u32(at + 12 + length) != referenceMasked(data)) {
            error = "bad data CRC at byte " + std::to_string(at);
            return records;
        }
        records.push_back(std::move(data));
        at += 12 + length + 4;
    }
    return records;
}

fs::path eventFile(const fs::path &run)
{
    for (const auto &e : fs::directory_iterator(run))
        if (e.path().filename().string().starts_with("events.out.tfevents."))
            return e.path();
    return {};
}

// Runs `train clip` with these options (--json --quiet), returning its exit status and stdout.
std::pair<int, std::string> runTrainCli(const std::multimap<std::string, std::string> &options,
    const std::vector<std::string> &flags, const fs::path &capture)
{
    std::vector<ml::cli::Command> commands;
    for (auto &c : ml::cli::trainCommands())
        if (c.name == "train clip")
            commands.push_back(c);
    if (commands.size() != 1)
        throw std::runtime_error("no 'train clip' command");
    ml::cli::Context ctx {{}, ml::cli::Args({}, options, flags)};
    ctx.global.json = true;
    ctx.global.quiet = true;
    ctx.global.threads = 1; // a shared 2-core machine: two OpenMP threads stall on each other's barriers
    std::cout.flush();
    std::fflush(stdout);
    const int saved = dup(STDOUT_FILENO);
    const int fd = open(capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    int status = -1;
    std::exception_ptr error;
    try {
        status = commands.front().run(ctx);
    } catch (...) {
        error = std::current_exception();
    }
    std::cout.flush();
    std::fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    if (error)
        std::rethrow_exception(error);
    std::ifstream in(capture);
    return {status, std::string {std::istreambuf_iterator<char>(in), {}}};
}

} // namespace

class TestClipTrainer : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    fs::path m_run;
    std::vector<double> m_firstLosses;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_run = fs::path(m_tmp.path().toStdString()) / "run";
    }

    void crc32cAndFraming()
    {
        QCOMPARE(crc32c("123456789", 9), 0xE3069283u);
        const std::string text = "The quick brown fox jumps over the lazy dog";
        QCOMPARE(crc32c(text.data(), text.size()), referenceCrc32c(text));
        const std::string record = frameRecord("abc");
        QCOMPARE(record.size(), std::size_t(8 + 4 + 3 + 4));
        std::uint64_t length;
        std::memcpy(&length, record.data(), 8);
        QCOMPARE(length, std::uint64_t(3));
        // Event{wall_time: 1.5, file_version: "brain.Event:2"}: 0x09 + 8 bytes, 0x1a + length + text.
        const std::string e = encodeFileVersionEvent(1.5);
        QCOMPARE(static_cast<unsigned char>(e[0]), 0x09);
        QCOMPARE(static_cast<unsigned char>(e[9]), 0x1a);
        QCOMPARE(e.substr(11), std::string("brain.Event:2"));
        // Event{wall_time, step: 300, summary {value {tag: "a", simple_value: 2}}}.
        const std::string s = encodeScalarEvent(0.0, 300, {{"a", 2.0f}});
        const std::string expected("\x09\0\0\0\0\0\0\0\0"
                                   "\x10\xac\x02" // step 300
                                   "\x2a\x0a"     // summary, 10 bytes
                                   "\x0a\x08"     // value, 8 bytes
                                   "\x0a\x01"
                                   "a"               // tag
                                   "\x15\0\0\0\x40", // simple_value 2.0f
            24);
        QCOMPARE(s, expected);
    }

    void learningRateSchedule()
    {
        ClipTrainConfig c = ClipTrainConfig::fromPreset("tiny");
        c.steps = 200;
        c.lr = 1e-3;
        QCOMPARE(c.warmupSteps(), std::int64_t(10));
        QVERIFY(std::abs(learningRate(c, 0) - 1e-4) < 1e-12);
        QVERIFY(std::abs(learningRate(c, 9) - 1e-3) < 1e-12);
        QVERIFY(std::abs(learningRate(c, 10) - 1e-3) < 1e-12);
        QVERIFY(std::abs(learningRate(c, 105) - 0.5e-3) < 1e-9); // half way down the cosine
        QVERIFY(learningRate(c, 199) < 1e-6);
        for (std::int64_t s = 11; s < 200; ++s)
            QVERIFY(learningRate(c, s) <= learningRate(c, s - 1));
    }

    void weightDecayGroups()
    {
        QVERIFY(decaysWeight("vision_model.encoder.layers.0.self_attn.q_proj.weight"));
        QVERIFY(decaysWeight("vision_model.embeddings.patch_embedding.weight"));
        QVERIFY(decaysWeight("text_projection.weight"));
        QVERIFY(!decaysWeight("vision_model.encoder.layers.0.self_attn.q_proj.bias"));
        QVERIFY(!decaysWeight("vision_model.pre_layrnorm.weight"));
        QVERIFY(!decaysWeight("text_model.final_layer_norm.weight"));
        QVERIFY(!decaysWeight("text_model.encoder.layers.1.layer_norm2.weight"));
        QVERIFY(!decaysWeight("text_model.embeddings.token_embedding.weight"));
        QVERIFY(!decaysWeight("vision_model.embeddings.position_embedding.weight"));
        QVERIFY(!decaysWeight("vision_model.embeddings.class_embedding"));
        QVERIFY(!decaysWeight("logit_scale"));

        ml::clip::ClipModel model(ClipTrainConfig::fromPreset("tiny").modelConfig(600, 598, 599));
        initialiseClip(*model, 0.07);
        QVERIFY(std::abs(model->logitScale().item<double>() - std::log(1 / 0.07)) < 1e-6);
        auto groups = parameterGroups(*model, 1e-3, 0.1);
        QCOMPARE(groups.size(), std::size_t(2));
        std::size_t total = 0;
        for (auto &g : groups)
            total += g.params().size();
        QCOMPARE(total, model->parameters().size());
        const auto &decayed = static_cast<const torch::optim::AdamWOptions &>(groups[0].options());
        const auto &plain = static_cast<const torch::optim::AdamWOptions &>(groups[1].options());
        QCOMPARE(decayed.weight_decay(), 0.1);
        QCOMPARE(plain.weight_decay(), 0.0);
    }

    void softLoss()
    {
        at::manual_seed(3);
        auto img = at::randn({6, 8});
        auto txt = at::randn({6, 8});
        img = img / img.norm(2, -1, true);
        txt = txt / txt.norm(2, -1, true);
        const auto scale = torch::tensor(std::log(1 / 0.07));
        // Identity truth: CLIP's loss, the mean of the two cross-entropies.
        const auto logits = scale.exp() * img.matmul(txt.t());
        const auto labels = at::arange(6);
        const auto clip = 0.5 * (at::cross_entropy_loss(logits, labels) + at::cross_entropy_loss(logits.t(), labels));
        QVERIFY(at::allclose(softClipLoss(img, txt, scale, at::eye(6)), clip, 1e-5, 1e-6));
        // Captions 0 and 1 both describe images 0 and 1: targets split between them.
        auto truth = at::eye(6);
        truth[0][1] = 1;
        truth[1][0] = 1;
        const auto t = truth / truth.sum(1, true);
        const auto expected = 0.5
            * (-(t * at::log_softmax(logits, 1)).sum(1).mean() - (t * at::log_softmax(logits.t(), 1)).sum(1).mean());
        QVERIFY(at::allclose(softClipLoss(img, txt, scale, truth), expected, 1e-5, 1e-6));
    }

    void truthMatrixOfABatch()
    {
        const ClipDataSource source(5, {0.0, 0.5, 0.5}, nullptr);
        const auto items = source.batch(0, 64);
        const auto truth = truthMatrix(items);
        QCOMPARE(truth.sizes(), torch::IntArrayRef({64, 64}));
        for (std::int64_t i = 0; i < 64; ++i) {
            QCOMPARE(truth[i][i].item<float>(), 1.0f);
            for (std::int64_t j = 0; j < 64; ++j)
                QCOMPARE(truth[i][j].item<float>() > 0, i == j || describes(items[j].mentions, items[i].scene));
        }
        // Deterministic per batch index.
        QCOMPARE(source.batch(0, 64)[17].caption, items[17].caption);
        QVERIFY(source.batch(1, 64)[17].caption != items[17].caption
            || source.batch(1, 64)[18].caption != items[18].caption);
    }

    void trainLowersLoss()
    {
        Recorder rec;
        auto req = tinyRequest(m_run);
        req.steps = 300;
        req.evalEvery = 150;
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = train(req, rec);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        qInfo("tiny: %lld steps in %.1f s (%.1f steps/s training only), loss %.3f, shapes %.2f, held-out %.2f, "
              "fashion %.2f",
            static_cast<long long>(r.steps), seconds, r.stepsPerS, r.finalLoss, r.evaluation.shapes,
            r.evaluation.shapesHeldOut, r.evaluation.fashion);
        QCOMPARE(r.steps, std::int64_t(300));
        QCOMPARE(r.startStep, std::int64_t(0));
        QVERIFY(!r.stopped);

        // metrics.jsonl: every line parses; the loss falls.
        const auto lines = readMetrics(m_run);
        m_firstLosses = losses(lines);
        QCOMPARE(m_firstLosses.size(), std::size_t(60));
        const double first = mean(m_firstLosses, 0, 5), last = mean(m_firstLosses, m_firstLosses.size() - 5, 5);
        qInfo("mean loss of the first 5 logs %.3f, of the last 5 %.3f", first, last);
        QVERIFY2(last < first - 0.1, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
        std::int64_t previous = 0;
        for (const auto &l : lines) {
            QVERIFY(l["step"].get<std::int64_t>() > previous);
            previous = l["step"].get<std::int64_t>();
        }
        QVERIFY(lines.back().contains("shapes_acc") && lines.back().contains("shapes_held_out_acc"));
        // Each accuracy with the images behind it: enough held-out ones for a steady figure (a few
        // per pair made it swing 60 points between evaluations).
        QCOMPARE(lines.back()["shapes_images"].get<double>(), 600.0);
        QCOMPARE(lines.back()["shapes_held_out_images"].get<double>(), 100.0);
        QCOMPARE(r.evaluation.shapesImages, std::int64_t(600));
        QCOMPARE(r.evaluation.shapesHeldOutImages, std::int64_t(100));
        QCOMPARE(rec.metrics.back().evaluation.shapesHeldOutImages, std::int64_t(100));
        if (r.evaluation.fashion >= 0) {
            QCOMPARE(r.evaluation.fashionImages, std::int64_t(500));
            QCOMPARE(lines.back()["fashion_images"].get<double>(), 500.0);
        }
        QCOMPARE(rec.metrics.size(), lines.size());
        QCOMPARE(rec.samples.size(), std::size_t(2)); // steps 150 and 300
        QVERIFY(!rec.samples.back().samples.empty());
        QCOMPARE(rec.samples.back().samples.front().image.width, 64);

        // The checkpoint: HF CLIP layout, no pickles.
        for (const char *name : {"config.json", "model.safetensors", "vocab.json", "merges.txt",
                 "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json",
                 "trainer_state.safetensors", "trainer_state.json"})
            QVERIFY2(fs::is_regular_file(m_run / name), name);
        for (const auto &e : fs::directory_iterator(m_run))
            QVERIFY(e.path().extension() != ".bin" && e.path().extension() != ".pt");
        std::ifstream stateIn(m_run / "trainer_state.json");
        const auto state = nlohmann::json::parse(stateIn);
        QCOMPARE(state["step"].get<std::int64_t>(), std::int64_t(300));
        QCOMPARE(state["config"]["preset"].get<std::string>(), std::string("tiny"));

        const auto loaded = ml::clip::loadClip(m_run);
        QVERIFY(loaded.warnings.empty());
        const auto &cfg = loaded.model->config();
        QCOMPARE(cfg.vision_config.image_size, std::int64_t(64));
        QCOMPARE(cfg.text_config.max_position_embeddings, std::int64_t(32));
        QCOMPARE(cfg.text_config.eos_token_id, cfg.text_config.vocab_size - 1); // <|endoftext|>, not the legacy 2
        QCOMPARE(loaded.processor.crop_height, 64);

        // Embeddings through the service's runtime (its tokenizer, its preprocessing).
        const auto rt = ml::clip::ClipRuntime::load(m_run, torch::kFloat, torch::kCPU);
        QCOMPARE(static_cast<std::int64_t>(rt->tokenizer().eosId()), cfg.text_config.eos_token_id);
        const auto text = rt->embedTexts(
            {"a red circle", "two shapes: a blue square and a small white circle", "a photo of an ankle boot"});
        const auto image = rt->embedPixels(at::randn({2, 3, 64, 64}));
        for (const auto &e : {text, image}) {
            QVERIFY(at::isfinite(e).all().item<bool>());
            QVERIFY(at::allclose(e.norm(2, -1), at::ones({e.size(0)}), 1e-4, 1e-5));
        }

        // The TensorBoard file: valid framing and CRCs, file_version first, one loss scalar per log.
        const fs::path events = eventFile(m_run);
        QVERIFY(!events.empty());
        std::string error;
        const auto records = readRecords(events, error);
        QVERIFY2(error.empty(), error.c_str());
        QCOMPARE(records.size(), lines.size() + 1);
        QVERIFY(records.front().find("brain.Event:2") != std::string::npos);
        int lossEvents = 0;
        for (std::size_t i = 1; i < records.size(); ++i)
            lossEvents += records[i].find("train/loss") != std::string::npos;
        QCOMPARE(lossEvents, 60);
    }

    void resumeContinues()
    {
        QVERIFY(!m_firstLosses.empty());
        Recorder rec;
        // A fresh run into a run folder, and a resume that changes the run's settings, are refused.
        QVERIFY_THROWS_EXCEPTION(ml::Error, train(tinyRequest(m_run), rec));
        auto conflicting = tinyRequest(m_run);
        conflicting.resume = true;
        conflicting.steps = 340;
        conflicting.batch = 16;
        QVERIFY_THROWS_EXCEPTION(ml::Error, train(conflicting, rec));

        auto req = tinyRequest(m_run);
        req.resume = true;
        req.steps = 340;
        const auto r = train(req, rec);
        QCOMPARE(r.startStep, std::int64_t(300));
        QCOMPARE(r.steps, std::int64_t(340));
        QCOMPARE(rec.metrics.front().step, std::int64_t(305));

        const auto lines = readMetrics(m_run);
        std::int64_t previous = 0;
        for (const auto &l : lines) {
            QVERIFY(l["step"].get<std::int64_t>() > previous);
            previous = l["step"].get<std::int64_t>();
        }
        QCOMPARE(previous, std::int64_t(340));
        const auto all = losses(lines);
        QCOMPARE(all.size(), std::size_t(68));
        const double initial = mean(m_firstLosses, 0, 5);
        const double before = mean(m_firstLosses, m_firstLosses.size() - 5, 5);
        const double after = mean(all, 60, 5);
        qInfo("loss: initial %.3f, before the resume %.3f, first 5 logs after %.3f", initial, before, after);
        QVERIFY2(after < before + 0.5 * (initial - before), "the loss jumped back towards its initial level");
        std::ifstream stateIn(m_run / "trainer_state.json");
        QCOMPARE(nlohmann::json::parse(stateIn)["step"].get<std::int64_t>(), std::int64_t(340));
        QVERIFY(ml::clip::loadClip(m_run).model);
    }

    // evaluateZeroShot() on the run's checkpoint, through the CLIP runtime, agrees with the
    // trainer's own last evaluation of the same held-out Shapes set.
    void evaluateCheckpoint()
    {
        std::ifstream stateIn(m_run / "trainer_state.json");
        const auto state = nlohmann::json::parse(stateIn);
        const double trainerShapes = state["evaluation"]["shapes"].get<double>();
        QCOMPARE(state["evaluation"]["shapes_images"].get<std::int64_t>(), std::int64_t(600));
        QCOMPARE(state["evaluation"]["shapes_held_out_images"].get<std::int64_t>(), std::int64_t(100));
        ml::ZeroShotEvalRequest req;
        req.model = m_run.string();
        req.dataset = "shapes";
        req.seed = kHeldOutShapesSeed;
        req.limit = 600; // the tiny preset's 25 per pair
        req.dtype = "fp32";
        const auto shapes = ml::evaluateZeroShot(req);
        QCOMPARE(shapes.images, std::int64_t(600));
        QCOMPARE(shapes.heldOutImages, std::int64_t(100));
        QCOMPARE(shapes.classes.size(), std::size_t(24));
        QVERIFY2(std::abs(shapes.accuracy - trainerShapes) <= 2.0 / 600 + 1e-9,
            qPrintable(QString("runtime %1, trainer %2").arg(shapes.accuracy).arg(trainerShapes)));

        req.dataset = "fashion-mnist";
        req.limit = 50;
        if (!FashionMnist::available(FashionSplit::Test))
            QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
        const auto fashion = ml::evaluateZeroShot(req);
        QCOMPARE(fashion.images, std::int64_t(50));
        QCOMPARE(fashion.classes.size(), std::size_t(10));
        QVERIFY(fashion.accuracy >= 0 && fashion.accuracy <= 1);
        QCOMPARE(fashion.heldOutAccuracy, -1.0);

        req.dataset = "cifar";
        QVERIFY_THROWS_EXCEPTION(ml::Error, ml::evaluateZeroShot(req));
    }

    void pauseThenCancel()
    {
        const fs::path run = fs::path(m_tmp.path().toStdString()) / "cancelled";
        Recorder rec;
        auto req = tinyRequest(run);
        req.steps = 1000;
        req.evalEvery = 0;
        req.control = std::make_shared<ml::TrainControl>();
        rec.onMetric = [control = req.control](const ml::TrainMetric &m) {
            if (m.step == 10)
                control->pause();
        };
        bool idleWhilePaused = false;
        std::thread driver([&] {
            for (int i = 0; i < 12000 && !req.control->isPaused(); ++i) // up to two minutes
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            const std::size_t before = rec.metricCount();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            idleWhilePaused = rec.metricCount() == before;
            rec.cancel->store(true); // cancel while paused: checkpoint, then stop
        });
        QVERIFY_THROWS_EXCEPTION(ml::Cancelled, train(req, rec));
        driver.join();
        QVERIFY(idleWhilePaused);
        QCOMPARE(rec.checkpoints.size(), std::size_t(1));
        std::ifstream stateIn(run / "trainer_state.json");
        QCOMPARE(nlohmann::json::parse(stateIn)["step"].get<std::int64_t>(), std::int64_t(10));
        QVERIFY(ml::clip::loadClip(run).model);
    }

    void stopEndsNormally()
    {
        const fs::path run = fs::path(m_tmp.path().toStdString()) / "stopped";
        Recorder rec;
        auto req = tinyRequest(run);
        req.steps = 1000;
        req.evalEvery = 0;
        req.control = std::make_shared<ml::TrainControl>();
        rec.onMetric = [control = req.control](const ml::TrainMetric &m) {
            if (m.step == 10)
                control->stop();
        };
        const auto r = train(req, rec);
        QVERIFY(r.stopped);
        QCOMPARE(r.steps, std::int64_t(10));
        QVERIFY(r.evaluation.shapes >= 0); // evaluated on the way out
        QCOMPARE(rec.samples.size(), std::size_t(1));
        std::ifstream stateIn(run / "trainer_state.json");
        QCOMPARE(nlohmann::json::parse(stateIn)["step"].get<std::int64_t>(), std::int64_t(10));
    }

    // Forced bf16 autocast (emulated where the CPU has no native bf16, so only a few steps).
    void bf16Autocast()
    {
        const fs::path run = fs::path(m_tmp.path().toStdString()) / "bf16";
        Recorder rec;
        auto req = tinyRequest(run);
        req.dtype = "bf16";
        req.steps = 6;
        req.evalEvery = 0;
        req.evalShapesPerClass = 1;
        req.evalFashion = 10;
        const auto r = train(req, rec);
        QCOMPARE(r.dtype, std::string("bf16"));
        QVERIFY(std::isfinite(r.finalLoss));
        QVERIFY(r.evaluation.shapes >= 0);
        const auto loaded = ml::clip::loadClip(run);
        for (const auto &p : loaded.model->parameters())
            QCOMPARE(p.scalar_type(), torch::kFloat); // autocast keeps fp32 master weights
    }

    void cliTrainClip()
    {
        const fs::path tmp = m_tmp.path().toStdString();
        const fs::path run = tmp / "cli-run";
        const auto [status, out] = runTrainCli(
            {{"preset", "tiny"}, {"out", run.string()}, {"steps", "20"}, {"eval-every", "0"}, {"seed", "7"}}, {},
            tmp / "stdout.txt");
        QCOMPARE(status, 0);
        const auto j = nlohmann::json::parse(out); // exactly one document
        QCOMPARE(j["steps"].get<std::int64_t>(), std::int64_t(20));
        QCOMPARE(j["preset"].get<std::string>(), std::string("tiny"));
        QVERIFY(j["evaluation"].contains("shapes"));
        QVERIFY(ml::clip::loadClip(run).model);
        std::ifstream stateIn(run / "trainer_state.json");
        QCOMPARE(nlohmann::json::parse(stateIn)["config"]["seed"].get<std::uint64_t>(), std::uint64_t(7));

        // Resume to 30 steps; bad usage; resuming nothing.
        const auto [status2, out2] = runTrainCli(
            {{"out", run.string()}, {"steps", "30"}, {"eval-every", "0"}}, {"resume"}, tmp / "stdout.txt");
        QCOMPARE(status2, 0);
        QCOMPARE(nlohmann::json::parse(out2)["start_step"].get<std::int64_t>(), std::int64_t(20));
        QVERIFY_THROWS_EXCEPTION(ml::cli::UsageError, runTrainCli({{"preset", "tiny"}}, {}, tmp / "stdout.txt"));
        QVERIFY_THROWS_EXCEPTION(ml::cli::UsageError,
            runTrainCli({{"preset", "huge"}, {"out", (tmp / "x").string()}}, {}, tmp / "stdout.txt"));
        QVERIFY_THROWS_EXCEPTION(
            ml::Error, runTrainCli({{"out", (tmp / "empty").string()}}, {"resume"}, tmp / "stdout.txt"));
    }
};

QTEST_GUILESS_MAIN(TestClipTrainer)
#include "test_clip_trainer.moc"
