// CoOp: prompt layout vs the text tower, the prompt file, classify with it, the CLI, and the claim:
// 4 shots beat "a photo of a {}." on a hard label set of clip-mini (how many shapes an image holds).
// Env: MODALLENS_COOP_MODEL=DIR instead of clip-mini. Figures on more label sets (Shapes World
// colour, shape, size, position, count; Fashion-MNIST): `modallens-cli bench coop`.
#include "cli_run.h"
#include "dtype_test_util.h"
#include "shapes_test_util.h"
#include "tiny_clip.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "engine/coop_service.h"
#include "engine/thread_pool.h"
#include "io/safetensors.h"
#include "models/clip/clip_loader.h"
#include "models/clip/clip_prompt.h"
#include "models/clip/clip_runtime.h"
#include "train/coop.h"
#include "train/fashion_mnist.h"
#include "train/shapes_world.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

namespace fs = std::filesystem;

namespace {

using shapes_test::writeCountFolder;

struct Recorder : ml::EngineListener {
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    std::vector<ml::CoopMetric> metrics;
    void onProgress(ml::JobId, const ml::Progress &) override { }
    void onPartial(ml::JobId, const ml::PartialResult &r) override
    {
        if (r.kind == ml::kCoopMetricPartial)
            metrics.push_back(std::any_cast<ml::CoopMetric>(r.value));
    }
    void onFinished(ml::JobId, const ml::JobResult &) override { }
};

// Runs a job on this thread, as an engine worker would; exceptions come straight out.
template<class T> T run(ml::Job job, Recorder *recorder = nullptr)
{
    Recorder local;
    Recorder &r = recorder ? *recorder : local;
    ml::JobContext ctx(1, &r, r.cancel);
    return std::any_cast<T>(job.run(ctx));
}

std::string errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const std::exception &e) {
        return e.what();
    }
    return {};
}

// The checkpoint the clip-mini tests use: $MODALLENS_COOP_MODEL, else the embedded clip-mini
// (resources/models/clip-mini); "" when neither is there.
std::string clipMiniPath()
{
    if (const char *env = std::getenv("MODALLENS_COOP_MODEL"); env && *env)
        return env;
    try {
        const auto path = ml::resolveModelPath("clip-mini");
        if (fs::is_regular_file(fs::path(path) / "model.safetensors"))
            return path;
    } catch (const ml::Error &) { }
    return {};
}

CliRun cli(const QStringList &args)
{
    return runCli(args);
}

// --- labelled folders from Shapes World ----------------------------------------------------

// The hard set: how many shapes an image holds, "one", "two" or "three". clip-mini met these
// words only as "two shapes: a red circle and ..." / "three shapes: ..." (and never "one"), so
// the hand-written "a photo of a two." is far from anything it saw: it scores below chance (25%
// here). The image tower does see the count (most training scenes have several objects), and a
// learnt context in front of the number can stand for what the captions put around it: 55% with
// seed 1, 49-69% over seeds 1-5 and two folders. Where the template already matches clip-mini's
// captions (colours, shapes, Fashion-MNIST: 88-100%), 4 shots do not beat it
// (`modallens-cli bench coop`).
const std::vector<std::string> kCountClasses {"one", "three", "two"};

// A labelled folder of tiny random pictures for the tiny model: `classes` x `perClass`.
void writeTinyFolder(const fs::path &dir, const std::vector<std::string> &classes, int perClass)
{
    std::uint32_t seed = 11;
    for (const auto &c : classes) {
        fs::create_directories(dir / c);
        for (int i = 0; i < perClass; ++i)
            tiny_clip::writeImage(dir / c / ("img_" + std::to_string(i) + ".png"), 40, 36, seed++);
    }
}

ml::clip::LearntPrompt randomPrompt(std::vector<std::string> classes, bool classSpecific, std::int64_t width,
    std::int64_t contextVectors = 4, std::uint64_t seed = 3)
{
    ml::clip::LearntPrompt p;
    at::manual_seed(seed);
    p.ctx = classSpecific ? 0.02 * at::randn({static_cast<std::int64_t>(classes.size()), contextVectors, width})
                          : 0.02 * at::randn({contextVectors, width});
    p.classes = std::move(classes);
    p.classSpecific = classSpecific;
    p.model = "tiny-clip";
    p.shots = 4;
    p.seed = seed;
    return p;
}

} // namespace

class TestCoop : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_root = fs::path(m_tmp.path().toStdString());
        if (tiny_clip::tokenizerFixturesPresent()) {
            m_tiny = (m_root / "tiny-clip").string();
            tiny_clip::write(m_tiny);
            m_tinyFolder = m_root / "tiny-folder";
            writeTinyFolder(m_tinyFolder, {"cat", "dog", "red_car"}, 6); // "red_car" is the class "red car"
        }
        m_mini = clipMiniPath();
    }

    // [SOT] ctx = the embeddings of "a photo of a" [cat] [.] [EOT] is exactly "a photo of a cat."
    // through the model's own forward, on both the reference module and the fast path.
    void layoutMatchesTheTextTower()
    {
        if (m_tiny.empty())
            QSKIP("CLIP tokenizer fixtures not found at " MODALLENS_FIXTURES_DIR "/tokenizers/clip");
        c10::InferenceMode guard;
        auto loaded = ml::clip::loadClip(m_tiny);
        const auto tokenizer = ml::clip::loadClipTokenizer(m_tiny);
        const auto table = loaded.model->textModel()->tokenTable();
        const auto ids = ml::clip::wordTokenIds(tokenizer, "a photo of a");
        QCOMPARE(ids.size(), std::size_t(4));
        const auto ctx = table.index_select(0, torch::tensor(ids, torch::kLong)); // [4, D]
        const std::vector<std::string> labels {"cat", "red car", "ankle boot"};
        const ml::clip::PromptLayout layout(tokenizer, table, labels, 4, 77);

        const auto enc = tokenizer.encodeBatch(
            {"a photo of a cat.", "a photo of a red car.", "a photo of a ankle boot."}, ml::text::Padding::Longest);
        auto inputIds = torch::empty({3, static_cast<std::int64_t>(enc.inputIds[0].size())}, torch::kLong);
        for (std::int64_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < enc.inputIds[0].size(); ++j)
                inputIds[i][static_cast<std::int64_t>(j)] = enc.inputIds[static_cast<std::size_t>(i)][j];
        QCOMPARE(layout.length(), inputIds.size(1));
        const auto expected = loaded.model->textEmbeddings(inputIds, torch::Tensor());
        const auto fromPrompt = loaded.model->textEmbeddingsFromTokens(layout.embeds(ctx), layout.eosIndex());
        QVERIFY(torch::allclose(fromPrompt, expected, 1e-5, 1e-6));

        const ml::clip::ClipInference fast(*loaded.model, torch::kFloat, torch::kCPU);
        const auto fastPrompt = fast.textEmbeddingsFromTokens(layout.embeds(ctx), layout.eosIndex());
        QVERIFY(torch::allclose(fastPrompt, expected, 1e-4, 1e-5));
        // Class-specific contexts: row i takes context i.
        const auto perClass = ctx.unsqueeze(0).repeat({3, 1, 1});
        QVERIFY(torch::allclose(layout.embeds(perClass), layout.embeds(ctx)));

        // A prompt that cannot fit says so.
        const auto err = errorOf([&] { ml::clip::PromptLayout(tokenizer, table, labels, 75, 77); });
        QVERIFY2(err.find("context length is 77") != std::string::npos, err.c_str());
    }

    void saveLoadRoundTrip()
    {
        if (m_tiny.empty())
            QSKIP("CLIP tokenizer fixtures not found");
        for (const bool csc : {false, true}) {
            auto prompt = randomPrompt({"cat", "dog", "red car"}, csc, 32);
            prompt.accuracyBefore = 0.25;
            prompt.accuracyAfter = 0.75;
            prompt.templ = "a photo of a {}.";
            const auto file = m_root / (csc ? "csc.safetensors" : "unified.safetensors");
            ml::clip::saveLearntPrompt(file, prompt);
            const auto back = ml::clip::loadLearntPrompt(file);
            QVERIFY(torch::equal(back.ctx, prompt.ctx));
            QCOMPARE(back.classes, prompt.classes);
            QCOMPARE(back.classSpecific, csc);
            QCOMPARE(back.accuracyAfter, 0.75);
            QCOMPARE(back.contextVectors(), std::int64_t(4));

            auto rt = ml::clip::ClipRuntime::load(m_tiny, torch::kFloat, torch::kCPU);
            const auto inMemory = rt->promptEmbeddings(prompt.classes, prompt);
            const auto fromFile = rt->promptEmbeddings(prompt.classes, back);
            QVERIFY(torch::equal(inMemory, fromFile));
            // Cached per (file, label): a second call hits the cache and gives the same rows, in any order.
            const auto hits = ml::clip::clipTextCounters().textHits;
            const auto again = rt->promptEmbeddings({"red car", "cat"}, back);
            QCOMPARE(ml::clip::clipTextCounters().textHits, hits + 2);
            QVERIFY(torch::equal(again[0], fromFile[2]));
            QVERIFY(torch::equal(again[1], fromFile[0]));

            const auto info = ml::readLearntPromptInfo(file.string());
            QCOMPARE(info.classes.size(), std::size_t(3));
            QCOMPARE(info.contextVectors, 4);
            QCOMPARE(info.width, std::int64_t(32));
            QCOMPARE(info.accuracyBefore, 0.25);
        }
    }

    void wrongWidthFails()
    {
        if (m_tiny.empty())
            QSKIP("CLIP tokenizer fixtures not found");
        const auto file = m_root / "wide.safetensors";
        auto prompt = randomPrompt({"cat", "dog"}, false, 48);
        prompt.model = "some-wider-clip";
        ml::clip::saveLearntPrompt(file, prompt);
        ml::ClassifyRequest req;
        req.model = m_tiny;
        req.labels = {"cat", "dog"};
        req.learntPrompt = file.string();
        const auto err = errorOf([&] { run<ml::ClassifyResult>(ml::makeClassifyJob(req)); });
        QVERIFY2(err.find(file.string()) != std::string::npos, err.c_str());
        QVERIFY2(err.find("some-wider-clip with text width 48") != std::string::npos, err.c_str());
        QVERIFY2(err.find("tiny-clip has text width 32") != std::string::npos, err.c_str());
    }

    void badFilesFail_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing") << "missing"
                                 << "no such file";
        QTest::newRow("truncated") << "truncated"
                                   << "";
        QTest::newRow("garbage") << "garbage"
                                 << "";
        QTest::newRow("not a prompt") << "embeddings"
                                      << "not a learnt prompt";
        QTest::newRow("shape") << "shape"
                               << "has shape [2, 4, 32] but a unified prompt needs";
    }

    void badFilesFail()
    {
        QFETCH(QString, what);
        QFETCH(QString, expected);
        const auto good = m_root / "good.safetensors";
        ml::clip::saveLearntPrompt(good, randomPrompt({"cat", "dog"}, false, 32));
        const auto file = m_root / ("bad-" + what.toStdString() + ".safetensors");
        if (what == "truncated") {
            const auto size = fs::file_size(good);
            fs::copy_file(good, file, fs::copy_options::overwrite_existing);
            fs::resize_file(file, size - 100);
        } else if (what == "garbage") {
            std::ofstream(file) << "this is not a safetensors file at all";
        } else if (what == "embeddings") {
            ml::io::saveSafetensors(file, {{"embeddings", at::zeros({2, 32})}});
        } else if (what == "shape") {
            auto p = randomPrompt({"cat", "dog"}, true, 32);
            ml::clip::saveLearntPrompt(file, p);
            // The same tensor, metadata edited to say "unified".
            const auto f = ml::io::SafetensorsFile::open(file);
            auto meta = f->metadata();
            meta["class_specific"] = "false";
            ml::io::saveSafetensors(file, {{"ctx", f->tensor("ctx").clone()}}, meta);
        }
        const auto err = errorOf([&] { ml::clip::loadLearntPrompt(file); });
        QVERIFY2(!err.empty(), "loading should fail");
        QVERIFY2(err.rfind(file.string() + ": ", 0) == 0, err.c_str()); // names the file first
        QVERIFY2(err.find(expected.toStdString()) != std::string::npos, err.c_str());
    }

    void classifyWithLearntPrompt()
    {
        if (m_tiny.empty())
            QSKIP("CLIP tokenizer fixtures not found");
        const auto file = m_root / "classify.safetensors";
        const auto prompt = randomPrompt({"cat", "dog", "red car"}, true, 32);
        ml::clip::saveLearntPrompt(file, prompt);
        const std::vector<std::string> images {
            (m_tinyFolder / "cat" / "img_0.png").string(), (m_tinyFolder / "dog" / "img_1.png").string()};

        ml::ClassifyRequest req;
        req.model = m_tiny;
        req.labels = {"dog", "cat"};
        req.images = images;
        req.learntPrompt = file.string();
        req.compute = {"cpu", "fp32"}; // compared with the float32 runtime below
        const auto r = run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        QCOMPARE(r.images.size(), std::size_t(2));
        // The scores are those of the prompt's rows, as the runtime computes them.
        ml::ModelCache models;
        auto rt = ml::clip::acquireClipRuntime(models, m_tiny, "fp32", "cpu");
        const auto text = rt->promptEmbeddings(req.labels, prompt);
        const auto pixels = ml::clip::preprocessFiles(images, rt->preprocess(), rt->imageSize(), *m_pool);
        const auto logits = rt->embedPixels(pixels.pixels).matmul(text.t()) * rt->inference().logitScale();
        for (std::size_t i = 0; i < 2; ++i) {
            QVERIFY(r.images[i].error.empty());
            const auto probs = at::softmax(logits[static_cast<std::int64_t>(i)], 0);
            for (const auto &s : r.images[i].scores) {
                const auto j = s.label == "dog" ? 0 : 1;
                QVERIFY(std::abs(s.prob - probs[j].item<float>()) < 1e-5f);
            }
        }
        // The template is not used: another template gives the same scores.
        req.templates = {"a blurry photo of the {}"};
        const auto same = run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        QCOMPARE(same.images[0].scores.front().prob, r.images[0].scores.front().prob);

        // A class-specific prompt has no context for other labels.
        req.labels = {"cat", "horse", "zebra"};
        const auto err = errorOf([&] { run<ml::ClassifyResult>(ml::makeClassifyJob(req)); });
        QVERIFY2(err.find("no context for 'horse', 'zebra'") != std::string::npos, err.c_str());
        QVERIFY2(err.find("'cat', 'dog', 'red car'") != std::string::npos, err.c_str());

        // Evaluation on a folder takes it too.
        ml::EvaluateRequest eval;
        eval.model = m_tiny;
        eval.folder = m_tinyFolder.string();
        eval.learntPrompt = file.string();
        const auto e = run<ml::EvaluateResult>(ml::makeEvaluateJob(eval));
        QCOMPARE(e.classes.size(), std::size_t(3));
        QCOMPARE(e.images.size(), std::size_t(18));
    }

    // Where auto means bf16, a learnt prompt classifies in bf16 within its tolerance of float32.
    void classifyWithLearntPromptAutoBf16()
    {
        if (m_tiny.empty())
            QSKIP("CLIP tokenizer fixtures not found");
        MODALLENS_REQUIRE_NATIVE_BF16();
        const auto file = m_root / "classify_bf16.safetensors";
        ml::clip::saveLearntPrompt(file, randomPrompt({"cat", "dog", "red car"}, false, 32));
        ml::ClassifyRequest req;
        req.model = m_tiny;
        req.labels = {"dog", "cat", "red car"};
        req.images = {(m_tinyFolder / "cat" / "img_0.png").string(), (m_tinyFolder / "dog" / "img_1.png").string()};
        req.learntPrompt = file.string();
        const auto bf16 = run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        QCOMPARE(bf16.dtype, std::string("bf16"));
        req.compute = {"cpu", "fp32"};
        const auto fp32 = run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        double worst = 0.0;
        for (std::size_t i = 0; i < req.images.size(); ++i)
            for (const auto &s : bf16.images[i].scores)
                for (const auto &t : fp32.images[i].scores)
                    if (s.label == t.label)
                        worst = std::max(worst, static_cast<double>(std::abs(s.prob - t.prob)));
        qInfo("largest probability difference, bf16 vs fp32: %.5f", worst);
        QVERIFY(worst < kBf16ProbTolerance);
    }

    void splitAndBadFolders()
    {
        if (m_tiny.empty())
            QSKIP("CLIP tokenizer fixtures not found");
        const auto folder = ml::train::LabelledFolder::scan(m_tinyFolder);
        const auto a = ml::train::splitFewShot(folder, 4, 7);
        const auto b = ml::train::splitFewShot(folder, 4, 7);
        const auto c = ml::train::splitFewShot(folder, 4, 8);
        QCOMPARE(a.shots, b.shots);
        QVERIFY(a.shots != c.shots);
        QCOMPARE(a.shots.size(), std::size_t(12));
        QCOMPARE(a.heldOut.size(), std::size_t(6));
        QCOMPARE(ml::train::splitFewShot(folder, 4, 7, 1).heldOut.size(), std::size_t(3));

        const auto err = errorOf([&] { ml::train::splitFewShot(folder, 6, 7); });
        QVERIFY2(err.find("at least 7 images") != std::string::npos, err.c_str());
        QVERIFY2(err.find((m_tinyFolder / "red_car").string() + " has 6 images") != std::string::npos, err.c_str());

        const auto one = m_root / "one-class";
        writeTinyFolder(one, {"cat"}, 6);
        const auto err1 = errorOf([&] { ml::train::splitFewShot(ml::train::LabelledFolder::scan(one), 4, 7); });
        QVERIFY2(err1.find("at least 2 classes") != std::string::npos, err1.c_str());
    }

    // The job on the tiny model: metrics stream, the file loads back, cancel stops it.
    void trainJobOnTinyModel()
    {
        if (m_tiny.empty())
            QSKIP("CLIP tokenizer fixtures not found");
        ml::CoopRequest req;
        req.model = m_tiny;
        req.folder = m_tinyFolder.string();
        req.out = (m_root / "tiny-coop.safetensors").string();
        req.steps = 20;
        req.logEvery = 5;
        req.initWords = "a photo of a";
        req.classSpecific = true;
        Recorder rec;
        const auto r = run<ml::CoopResult>(ml::makeCoopTrainJob(req), &rec);
        QCOMPARE(rec.metrics.size(), std::size_t(4));
        QCOMPARE(rec.metrics.back().step, std::int64_t(20));
        QCOMPARE(r.contextVectors, 4);
        QCOMPARE(r.trainImages, std::int64_t(12));
        QCOMPARE(r.evalImages, std::int64_t(6));
        QCOMPARE(r.words.size(), std::size_t(12)); // 3 classes x 4 vectors
        QCOMPARE(r.words.front().nearest.size(), std::size_t(3));
        const auto back = ml::clip::loadLearntPrompt(req.out);
        QVERIFY(back.ctx.sizes() == at::IntArrayRef({3, 4, 32}));
        QCOMPARE(back.accuracyAfter, r.accuracyAfter);
        QCOMPARE(back.init, std::string("a photo of a"));

        // Zero steps of learning from "a photo of a": the learnt prompt is the template, and
        // its nearest words are the words themselves.
        req.classSpecific = false;
        req.lr = 1e-12;
        req.templ = "a photo of a {}.";
        req.out.clear();
        const auto same = run<ml::CoopResult>(ml::makeCoopTrainJob(req));
        QCOMPARE(same.accuracyAfter, same.accuracyBefore);
        QCOMPARE(same.words[1].nearest.front().word, std::string("photo"));
        QVERIFY(same.words[1].nearest.front().distance < 1e-3);

        Recorder cancelled;
        cancelled.cancel->store(true);
        const auto err = errorOf([&] { run<ml::CoopResult>(ml::makeCoopTrainJob(req), &cancelled); });
        QCOMPARE(err, std::string("cancelled"));
    }

    void cliTrainCoop()
    {
        if (m_tiny.empty())
            QSKIP("CLIP tokenizer fixtures not found");
        const auto out = m_root / "cli-coop.safetensors";
        const QString model = QString::fromStdString(m_tiny);
        const QString folder = QString::fromStdString(m_tinyFolder.string());
        const auto r = cli({"--json", "--quiet", "--threads", "1", "train", "coop", "--model", model, "--folder",
            folder, "--out", QString::fromStdString(out.string()), "--steps", "10", "--ctx", "4"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto doc = nlohmann::json::parse(r.out);
        QCOMPARE(doc["n_ctx"].get<int>(), 4);
        QCOMPARE(doc["steps"].get<int>(), 10);
        QCOMPARE(doc["classes"].size(), std::size_t(3));
        QCOMPARE(doc["words"].size(), std::size_t(4));
        QCOMPARE(doc["words"][0]["nearest"].size(), std::size_t(3));
        QVERIFY(doc.contains("accuracy_before") && doc.contains("accuracy_after"));
        QVERIFY(fs::is_regular_file(out));

        // classify and eval with --prompt.
        const auto c = cli({"--json", "--quiet", "classify", "--model", model, "--labels", "cat;dog", "--prompt",
            QString::fromStdString(out.string()),
            QString::fromStdString((m_tinyFolder / "cat" / "img_0.png").string())});
        QVERIFY2(c.exitCode == 0, c.err.c_str());
        QCOMPARE(nlohmann::json::parse(c.out)[0]["scores"].size(), std::size_t(2));
        const auto e = cli({"--json", "--quiet", "eval", "zero-shot", "--model", model, "--folder", folder, "--prompt",
            QString::fromStdString(out.string())});
        QVERIFY2(e.exitCode == 0, e.err.c_str());
        QCOMPARE(nlohmann::json::parse(e.out)["images"].get<int>(), 18);

        // Bad input: exit 1 naming the folder; usage errors: exit 2.
        const auto missing = cli({"--quiet", "train", "coop", "--model", model, "--folder", "/no/such/folder", "--out",
            QString::fromStdString((m_root / "x.safetensors").string())});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.find("/no/such/folder") != std::string::npos, missing.err.c_str());
        const auto few = cli({"--quiet", "train", "coop", "--model", model, "--folder", folder, "--shots", "6", "--out",
            QString::fromStdString((m_root / "x.safetensors").string())});
        QCOMPARE(few.exitCode, 1);
        QVERIFY2(few.err.find("red_car has 6 images") != std::string::npos, few.err.c_str());
        const auto usage = cli({"--quiet", "train", "coop", "--model", model, "--folder", folder});
        QCOMPARE(usage.exitCode, 2);
        const auto badPrompt = cli({"--quiet", "classify", "--model", model, "--labels", "cat;dog", "--prompt",
            QString::fromStdString((m_root / "nope.safetensors").string()),
            QString::fromStdString((m_tinyFolder / "cat" / "img_0.png").string())});
        QCOMPARE(badPrompt.exitCode, 1);
        QVERIFY2(badPrompt.err.find("nope.safetensors: no such file") != std::string::npos, badPrompt.err.c_str());
    }

    // The claim: 4 shots per class, fixed seed, clip-mini; the learnt prompt beats the
    // hand-written "a photo of a {}." on the counting set by a wide margin.
    void fourShotsBeatTheTemplate()
    {
        if (m_mini.empty())
            QSKIP("clip-mini is not in resources/models (nor MODALLENS_COOP_MODEL set): nothing to learn a prompt "
                  "for");
        const auto folder = m_root / "counts";
        writeCountFolder(folder, 104, 2024); // 4 shots + 100 held-out images per class
        ml::CoopRequest req;
        req.model = m_mini;
        req.folder = folder.string();
        req.out = (m_root / "counts.safetensors").string();
        req.shots = 4;
        req.seed = 1;
        req.compute = {"cpu", "fp32"};
        const auto r = run<ml::CoopResult>(ml::makeCoopTrainJob(req));
        qInfo("counts: \"a photo of a {}.\" %.1f%% -> learnt %.1f%% over %lld held-out images (%lld steps, %.1f "
              "steps/s, %.1f s)",
            100.0 * r.accuracyBefore, 100.0 * r.accuracyAfter, static_cast<long long>(r.evalImages),
            static_cast<long long>(r.steps), r.stepsPerS, r.seconds);
        QCOMPARE(r.classes, kCountClasses);
        QCOMPARE(r.evalImages, std::int64_t(3 * 100));
        QVERIFY2(r.accuracyAfter >= r.accuracyBefore + 0.2,
            qPrintable(QStringLiteral("before %1, after %2").arg(r.accuracyBefore).arg(r.accuracyAfter)));

        // What classify computes with the saved prompt is what the trainer measured.
        ml::EvaluateRequest eval;
        eval.model = m_mini;
        eval.folder = folder.string();
        eval.learntPrompt = req.out;
        eval.compute = req.compute;
        const auto e = run<ml::EvaluateResult>(ml::makeEvaluateJob(eval));
        QCOMPARE(e.images.size(), std::size_t(3 * 104)); // shots included
        QVERIFY(e.accuracy > r.accuracyBefore + 0.2);
    }

private:
    QTemporaryDir m_tmp;
    fs::path m_root;
    std::string m_tiny;
    fs::path m_tinyFolder;
    std::string m_mini;
    std::unique_ptr<ml::ThreadPool> m_pool = std::make_unique<ml::ThreadPool>(1);
};

QTEST_GUILESS_MAIN(TestCoop)
#include "test_coop.moc"
