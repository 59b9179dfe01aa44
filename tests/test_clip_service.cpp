// The CLIP service on a tiny random CLIP built in code: classification, prompt ensembling, a
// corrupt image among good ones, cancel, the caches, bad folders, bf16 against fp32, discovery.
#include "tiny_clip.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "engine/engine.h"
#include "models/clip/clip_runtime.h"

#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <atomic>
#include <cmath>
#include <fstream>

namespace fs = std::filesystem;

namespace {

// Collects partial results; can cancel its job after the first one.
struct Recorder : ml::EngineListener {
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    bool cancelAfterFirstPartial = false;
    int partials = 0;
    void onProgress(ml::JobId, const ml::Progress &) override { }
    void onPartial(ml::JobId, const ml::PartialResult &r) override
    {
        if (r.kind == ml::kImageScoresPartial)
            ++partials;
        if (cancelAfterFirstPartial)
            cancel->store(true);
    }
    void onFinished(ml::JobId, const ml::JobResult &) override { }
};

// The caches an engine would own, shared by this test's jobs.
ml::EngineState &engineState()
{
    static ml::EngineState state;
    return state;
}

ml::ClipCacheStats cacheStats()
{
    return ml::clipCacheStats(engineState().models());
}

// Runs a job on this thread, as an engine worker would; exceptions come straight out.
template<class T> T run(ml::Job job, Recorder *recorder = nullptr)
{
    Recorder local;
    Recorder &r = recorder ? *recorder : local;
    ml::JobContext ctx(1, &r, r.cancel, &engineState());
    return std::any_cast<T>(job.run(ctx));
}

std::vector<float> normalised(std::vector<float> v)
{
    double n = 0.0;
    for (float x : v)
        n += static_cast<double>(x) * x;
    for (float &x : v)
        x = static_cast<float>(x / std::sqrt(n));
    return v;
}

double dot(const std::vector<float> &a, const std::vector<float> &b)
{
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        s += static_cast<double>(a[i]) * b[i];
    return s;
}

std::string loadError(const fs::path &folder)
{
    try {
        ml::clip::ClipRuntime::load(folder, torch::kFloat, torch::kCPU);
    } catch (const ml::Error &e) {
        return e.what();
    }
    return {};
}

} // namespace

class TestClipService : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!tiny_clip::tokenizerFixturesPresent())
            QSKIP("CLIP tokenizer fixtures not found at " MODALLENS_FIXTURES_DIR "/tokenizers/clip");
#ifndef MODALLENS_HAVE_MEDIA
        QSKIP("built without media I/O: the service tests need image decoding");
#else
        QVERIFY(m_tmp.isValid());
        m_root = fs::path(m_tmp.path().toStdString());
        m_model = (m_root / "tiny-clip").string();
        tiny_clip::write(m_model);
        const std::pair<int, int> sizes[] = {{40, 32}, {64, 48}, {32, 70}, {50, 50}};
        for (std::uint32_t i = 0; i < 4; ++i) {
            const auto path = m_root / ("image_" + std::to_string(i) + ".png");
            tiny_clip::writeImage(path, sizes[i].first, sizes[i].second, i + 1);
            m_images.push_back(path.string());
        }
#endif
    }

    void classifyGivesSortedProbabilities()
    {
        ml::ClassifyRequest req;
        req.model = m_model;
        req.labels = {"cat", "dog", "car", "astronaut"};
        req.images = m_images;
        req.compute = {"cpu", "fp32"};
        req.batchSize = 3; // two batches
        const auto r = run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        QCOMPARE(r.images.size(), m_images.size());
        QCOMPARE(r.dtype, std::string("fp32"));
        QCOMPARE(r.device, std::string("cpu"));
        QVERIFY(std::abs(r.logitScale - std::exp(2.6592)) < 1e-3);
        for (std::size_t i = 0; i < r.images.size(); ++i) {
            const auto &img = r.images[i];
            QCOMPARE(img.file, m_images[i]);
            QVERIFY2(img.error.empty(), img.error.c_str());
            QCOMPARE(img.scores.size(), req.labels.size());
            double sum = 0.0;
            for (std::size_t j = 0; j < img.scores.size(); ++j) {
                sum += img.scores[j].prob;
                if (j > 0)
                    QVERIFY(img.scores[j - 1].prob >= img.scores[j].prob);
                // softmax of the logits
                const double ratio = img.scores[j].prob / img.scores[0].prob;
                QVERIFY(std::abs(ratio - std::exp(img.scores[j].logit - img.scores[0].logit)) < 1e-4);
            }
            QVERIFY(std::abs(sum - 1.0) < 1e-5);
        }
    }

    void templateEnsemblingIsTheMeanOfNormalisedEmbeddings()
    {
        const std::vector<std::string> templates {"a photo of a {}.", "a drawing of a {}.", "{} in the wild"};
        const std::vector<std::string> labels {"cat", "red car"};
        ml::ClassifyRequest req;
        req.model = m_model;
        req.labels = labels;
        req.templates = templates;
        req.images = {m_images[0]};
        req.compute = {"cpu", "fp32"};
        const auto r = run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        QVERIFY(r.images[0].error.empty());

        const auto image = run<ml::EmbedResult>(ml::makeEmbedImagesJob(m_model, {m_images[0]}, {"cpu", "fp32"}));
        for (const auto &label : labels) {
            std::vector<std::string> texts;
            for (const auto &t : templates)
                texts.push_back(t.substr(0, t.find("{}")) + label + t.substr(t.find("{}") + 2));
            const auto e = run<ml::EmbedResult>(ml::makeEmbedTextsJob(m_model, texts, {"cpu", "fp32"}));
            std::vector<float> mean(e.embeddings[0].size(), 0.0f);
            for (const auto &row : e.embeddings) {
                QVERIFY(std::abs(dot(row, row) - 1.0) < 1e-5); // each row already unit length
                for (std::size_t k = 0; k < row.size(); ++k)
                    mean[k] += row[k] / static_cast<float>(texts.size());
            }
            const double expected = r.logitScale * dot(image.embeddings[0], normalised(mean));
            const auto it = std::find_if(r.images[0].scores.begin(), r.images[0].scores.end(),
                [&](const ml::LabelScore &s) { return s.label == label; });
            QVERIFY(it != r.images[0].scores.end());
            QVERIFY2(std::abs(it->logit - expected) < 1e-4,
                qPrintable(QString("%1: logit %2, manual %3").arg(label.c_str()).arg(it->logit).arg(expected)));
        }
    }

    void corruptImageFailsAlone()
    {
        const auto corrupt = (m_root / "corrupt.png").string();
        std::ofstream(corrupt) << "\x89PNG\r\n\x1a\n this is not really a PNG";
        ml::ClassifyRequest req;
        req.model = m_model;
        req.labels = {"cat", "dog"};
        req.images = {m_images[0], corrupt, m_images[1]};
        req.compute = {"cpu", "fp32"};
        const auto r = run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        QVERIFY(r.images[0].error.empty());
        QVERIFY(r.images[2].error.empty());
        QCOMPARE(r.images[0].scores.size(), std::size_t(2));
        QVERIFY(!r.images[1].error.empty());
        QVERIFY2(r.images[1].error.find(corrupt) != std::string::npos, r.images[1].error.c_str());
        QVERIFY(r.images[1].scores.empty());
    }

    void cancelStopsWithinABatch()
    {
        ml::ClassifyRequest req;
        req.model = m_model;
        req.labels = {"cat", "dog"};
        req.images = m_images;
        req.compute = {"cpu", "fp32"};
        req.batchSize = 1;
        Recorder recorder;
        recorder.cancelAfterFirstPartial = true;
        QVERIFY_THROWS_EXCEPTION(ml::Cancelled, run<ml::ClassifyResult>(ml::makeClassifyJob(req), &recorder));
        QCOMPARE(recorder.partials, 1);

        // Through the engine: the job ends as cancelled, not as an error.
        struct Waiter : ml::EngineListener {
            std::atomic<bool> done {false}, cancelled {false};
            ml::Engine *engine = nullptr;
            ml::JobId id = 0;
            void onProgress(ml::JobId, const ml::Progress &) override { }
            void onPartial(ml::JobId jobId, const ml::PartialResult &) override { engine->cancel(jobId); }
            void onFinished(ml::JobId, const ml::JobResult &r) override
            {
                cancelled = r.error && r.error->cancelled;
                done = true;
            }
        } waiter;
        ml::Engine engine(&waiter);
        waiter.engine = &engine;
        engine.submit(ml::makeClassifyJob(req));
        QVERIFY(engine.waitIdle(std::chrono::seconds(60)));
        QVERIFY(waiter.done);
        QVERIFY(waiter.cancelled);
    }

    void textEmbeddingCacheIsHit()
    {
        ml::ClassifyRequest req;
        req.model = m_model;
        req.labels = {"zebra", "giraffe", "okapi"};
        req.templates = {"a photo of a {}.", "a sketch of a {}."};
        req.images = {m_images[0]};
        req.compute = {"cpu", "fp32"};
        const auto before = cacheStats();
        const auto first = run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        const auto middle = cacheStats();
        QCOMPARE(middle.textMisses - before.textMisses, std::int64_t(3));
        const auto second = run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        const auto after = cacheStats();
        QCOMPARE(after.textMisses, middle.textMisses);
        QCOMPARE(after.textHits - middle.textHits, std::int64_t(3));
        QVERIFY(after.modelHits > middle.modelHits); // the model, too, came from the cache
        QCOMPARE(after.modelLoads, middle.modelLoads);
        QCOMPARE(second.images[0].scores.front().label, first.images[0].scores.front().label);
        QCOMPARE(second.images[0].scores.front().prob, first.images[0].scores.front().prob);
        // Another template set is another cache entry.
        req.templates = {"a photo of a {}."};
        run<ml::ClassifyResult>(ml::makeClassifyJob(req));
        QCOMPARE(cacheStats().textMisses - after.textMisses, std::int64_t(3));
    }

    void badFolders_data()
    {
        QTest::addColumn<QString>("breakage");
        QTest::addColumn<QStringList>("expected"); // every line must appear in the one message
        QTest::newRow("missing merges.txt") << "no-merges" << QStringList {"merges.txt", "missing tokenizer file"};
        QTest::newRow("wrong family") << "family" << QStringList {"not a CLIP checkpoint", "llava"};
        QTest::newRow("pickle only") << "pickle" << QStringList {"pytorch_model.bin", "pickles", "safetensors"};
        QTest::newRow("unknown hidden_act") << "act" << QStringList {"unknown hidden_act 'swish'", "text_config"};
        QTest::newRow("mis-shaped weights") << "shape" << QStringList {"mismatched", "[64, 32]", "[48, 32]"};
        QTest::newRow("several problems at once")
            << "act+no-merges+no-vocab" << QStringList {"merges.txt", "vocab.json", "unknown hidden_act 'swish'"};
    }

    void badFolders()
    {
        QFETCH(QString, breakage);
        QFETCH(QStringList, expected);
        const fs::path dir = m_root / ("bad-" + std::to_string(m_badCount++));
        tiny_clip::write(dir);
        const auto config = [&](const std::function<void(nlohmann::json &)> &edit) {
            auto j = tiny_clip::configJson();
            edit(j);
            tiny_clip::writeJson(dir / "config.json", j);
        };
        for (const auto &part : breakage.split('+')) {
            if (part == "no-merges")
                fs::remove(dir / "merges.txt");
            else if (part == "no-vocab")
                fs::remove(dir / "vocab.json");
            else if (part == "family")
                config([](nlohmann::json &j) {
                    j["model_type"] = "llava";
                    j["architectures"] = {"LlavaForConditionalGeneration"};
                });
            else if (part == "pickle") {
                fs::remove(dir / "model.safetensors");
                std::ofstream(dir / "pytorch_model.bin") << "PK\x03\x04 pickled";
            } else if (part == "act")
                config([](nlohmann::json &j) { j["text_config"]["hidden_act"] = "swish"; });
            else if (part == "shape")
                config([](nlohmann::json &j) { j["text_config"]["intermediate_size"] = 48; });
        }
        const auto before = cacheStats();
        const std::string message = loadError(dir);
        qInfo("%s", message.c_str());
        QVERIFY2(!message.empty(), "the broken folder loaded");
        QVERIFY(message.find(dir.string()) != std::string::npos);
        for (const auto &e : expected)
            QVERIFY2(message.find(e.toStdString()) != std::string::npos, qPrintable("missing: " + e));

        // The same through a job: one error, and nothing cached.
        ml::ClassifyRequest req;
        req.model = dir.string();
        req.labels = {"cat"};
        req.images = {m_images[0]};
        req.compute = {"cpu", "fp32"};
        try {
            run<ml::ClassifyResult>(ml::makeClassifyJob(req));
            QFAIL("classify with a broken model succeeded");
        } catch (const ml::Error &e) {
            QCOMPARE(std::string(e.what()), message);
        }
        QCOMPARE(cacheStats().modelLoads, before.modelLoads);
    }

    void fp16OnCpuIsRefused()
    {
        try {
            ml::resolveDtype({"cpu", "fp16"});
            QFAIL("fp16 on the CPU was accepted");
        } catch (const ml::Error &e) {
            QVERIFY(std::string(e.what()).find("fp16 needs a CUDA device; use bf16 or fp32") != std::string::npos);
        }
        QCOMPARE(ml::resolveDtype({"cpu", "fp32"}), std::string("fp32"));
        QCOMPARE(ml::resolveDtype({"cpu", "bf16"}), std::string("bf16"));
        QCOMPARE(ml::resolveDtype({"cpu", "auto"}), std::string(ml::cpuHasNativeBf16() ? "bf16" : "fp32"));
        qInfo("this CPU has native bf16: %s", ml::cpuHasNativeBf16() ? "yes" : "no");
    }

    // The policy per CPU kind and workload (compute.h), whatever this machine is.
    void dtypePolicyPerCpuKind()
    {
        using ml::Workload;
        const ml::ComputeOptions autoCpu {"cpu", "auto"};
        for (const char *kind : {"avx2", "avx512"}) {
            const auto cpu = ml::cpuKindFrom(kind);
            QVERIFY(cpu.fromEnvironment && !cpu.nativeBf16 && cpu.warning.empty());
            QCOMPARE(cpu.name, std::string(kind));
            for (const auto w : {Workload::Clip, Workload::Explain, Workload::Diffusion})
                QCOMPARE(ml::resolveDtype(autoCpu, w, cpu), std::string("fp32"));
        }
        for (const char *kind : {"avx512-bf16", "amx"}) {
            const auto cpu = ml::cpuKindFrom(kind);
            QVERIFY(cpu.fromEnvironment && cpu.nativeBf16);
            QCOMPARE(ml::resolveDtype(autoCpu, Workload::Clip, cpu), std::string("bf16"));
            QCOMPARE(ml::resolveDtype(autoCpu, Workload::Explain, cpu), std::string("fp32"));
            QCOMPARE(ml::resolveDtype(autoCpu, Workload::Diffusion, cpu), std::string("fp32"));
        }
        // What the user asks for wins over the policy.
        const auto avx2 = ml::cpuKindFrom("avx2");
        QCOMPARE(ml::resolveDtype({"cpu", "bf16"}, Workload::Diffusion, avx2), std::string("bf16"));
        QCOMPARE(ml::resolveDtype({"cpu", "fp32"}, Workload::Clip, ml::cpuKindFrom("amx")), std::string("fp32"));
        // Unknown or empty: the detection, with a warning for the unknown one.
        const auto detected = ml::detectCpuKind();
        const auto bogus = ml::cpuKindFrom("zen9");
        QVERIFY(!bogus.fromEnvironment);
        QCOMPARE(bogus.name, detected.name);
        QVERIFY(bogus.warning.find("MODALLENS_CPU_KIND='zen9'") != std::string::npos);
        QCOMPARE(ml::cpuKindFrom("").name, detected.name);
        QCOMPARE(ml::cpuKindFrom(nullptr).nativeBf16, detected.nativeBf16);
        qInfo("detected CPU kind: %s; this process believes: %s%s", detected.name.c_str(), ml::cpuKind().name.c_str(),
            ml::cpuKind().fromEnvironment ? " (MODALLENS_CPU_KIND)" : "");
    }

    void bf16MatchesFp32()
    {
        const std::vector<std::string> texts {"a photo of a cat", "an astronaut riding a horse on the moon", "x"};
        const auto t32 = run<ml::EmbedResult>(ml::makeEmbedTextsJob(m_model, texts, {"cpu", "fp32"}));
        const auto t16 = run<ml::EmbedResult>(ml::makeEmbedTextsJob(m_model, texts, {"cpu", "bf16"}));
        const auto i32 = run<ml::EmbedResult>(ml::makeEmbedImagesJob(m_model, m_images, {"cpu", "fp32"}));
        const auto i16 = run<ml::EmbedResult>(ml::makeEmbedImagesJob(m_model, m_images, {"cpu", "bf16"}));
        QCOMPARE(t16.dtype, std::string("bf16"));
        double worst = 1.0;
        for (std::size_t i = 0; i < texts.size(); ++i)
            worst = std::min(worst, dot(t32.embeddings[i], t16.embeddings[i]));
        for (std::size_t i = 0; i < m_images.size(); ++i)
            worst = std::min(worst, dot(i32.embeddings[i], i16.embeddings[i]));
        qInfo("worst cosine bf16 vs fp32: %.6f", worst);
        QVERIFY(worst >= 0.999);
    }

    void evaluateFolder()
    {
        const fs::path data = m_root / "eval";
        for (std::size_t i = 0; i < m_images.size(); ++i) {
            const fs::path cls = data / (i % 2 ? "red_car" : "cat");
            fs::create_directories(cls);
            fs::copy_file(m_images[i], cls / fs::path(m_images[i]).filename());
        }
        fs::create_directories(data / "dog"); // a class without images
        ml::EvaluateRequest req;
        req.model = m_model;
        req.folder = data.string();
        req.compute = {"cpu", "fp32"};
        const auto r = run<ml::EvaluateResult>(ml::makeEvaluateJob(req));
        QCOMPARE(r.classes, (std::vector<std::string> {"cat", "dog", "red car"}));
        QCOMPARE(r.confusion.size(), std::size_t(3));
        int total = 0, correct = 0;
        for (std::size_t t = 0; t < 3; ++t)
            for (std::size_t p = 0; p < 3; ++p) {
                total += r.confusion[t][p];
                correct += t == p ? r.confusion[t][p] : 0;
            }
        QCOMPARE(total, static_cast<int>(m_images.size()));
        QCOMPARE(r.accuracy, static_cast<double>(correct) / total);
        QCOMPARE(r.perClassAccuracy.size(), std::size_t(3));
        QCOMPARE(r.perClassAccuracy[1], 0.0);
        for (const auto &img : r.images)
            QVERIFY(img.truth == 0 || img.truth == 2);
    }

    void discoverFindsHuggingFaceCache()
    {
        const fs::path home = m_root / "home";
        const fs::path hub = home / ".cache" / "huggingface" / "hub";
        const fs::path repo = hub / "models--openai--clip-tiny";
        const fs::path snapshot = repo / "snapshots" / "0123456789abcdef";
        fs::create_directories(repo / "refs");
        fs::create_directories(repo / "blobs");
        fs::create_directories(snapshot);
        std::ofstream(repo / "refs" / "main") << "0123456789abcdef";
        // The hub stores blobs and links them from the snapshot.
        for (const auto &entry : fs::directory_iterator(m_model)) {
            const fs::path blob = repo / "blobs" / entry.path().filename();
            fs::copy_file(entry.path(), blob);
            fs::create_symlink(fs::relative(blob, snapshot), snapshot / entry.path().filename());
        }
        fs::create_directories(hub / "datasets--someone--data" / "snapshots" / "x"); // not a model
        const fs::path user = m_root / "user-models";
        fs::create_directories(user);
        fs::create_directory_symlink(m_model, user / "linked-clip");

        const QByteArray oldHome = qgetenv("HOME");
        qputenv("HOME", QByteArray::fromStdString(home.string()));
        qputenv("XDG_DATA_HOME", QByteArray::fromStdString((m_root / "xdg-data").string()));
        qunsetenv("XDG_CACHE_HOME");
        qunsetenv("HF_HOME");
        qunsetenv("HF_HUB_CACHE");
        const auto entries = ml::discoverModels({user.string()});
        const std::string appDir = ml::appModelDir();
        const std::string resolved = ml::resolveModelPath("openai/clip-tiny");
        qputenv("HOME", oldHome);

        QCOMPARE(appDir, (m_root / "xdg-data" / "ModalLens" / "models").string());
        QVERIFY(fs::is_directory(appDir));
        const auto find = [&](const std::string &name) {
            return std::find_if(
                entries.begin(), entries.end(), [&](const ml::ModelEntry &e) { return e.name == name; });
        };
        const auto hf = find("openai/clip-tiny");
        QVERIFY(hf != entries.end());
        QCOMPARE(hf->family, std::string("clip"));
        QCOMPARE(hf->source, std::string("hf-cache"));
        QCOMPARE(hf->path, snapshot.string());
        QVERIFY2(hf->error.empty(), hf->error.c_str());
        std::int64_t expected = 0;
        const auto weights = ml::io::SafetensorsFile::open(fs::path(m_model) / "model.safetensors");
        for (const auto &t : weights->tensors())
            expected += t.numel();
        QCOMPARE(hf->parameters, expected);
        const auto linked = find("linked-clip");
        QVERIFY(linked != entries.end());
        QCOMPARE(linked->source, std::string("user"));
        QCOMPARE(linked->parameters, expected);
        QCOMPARE(resolved, snapshot.string());
        for (const auto &e : entries)
            QVERIFY(e.name.find("someone") == std::string::npos);
    }

private:
    QTemporaryDir m_tmp;
    fs::path m_root;
    std::string m_model;
    std::vector<std::string> m_images;
    int m_badCount = 0;
};

QTEST_GUILESS_MAIN(TestClipService)
#include "test_clip_service.moc"
