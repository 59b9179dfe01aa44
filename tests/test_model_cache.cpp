// The engine's model cache: LRU eviction by bytes, models in use kept, one load shared by
// concurrent callers, failures not cached, refusals from config.json before any allocation, and
// the config estimates against the real bytes of clip-mini, ddpm-mini and the golden fixtures.
#include "common/error.h"
#include "engine/clip_service.h"
#include "engine/engine.h"
#include "engine/model_cache.h"
#include "models/clip/clip_loader.h"
#include "models/clip/clip_runtime.h"
#include "models/diffusion/diffusion_loader.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using ml::ModelCache;

namespace {

const fs::path kFixtures = MODALLENS_FIXTURES_DIR;

// A fake model of `bytes` bytes; counts its loads.
ModelCache::Loader fake(std::atomic<int> &loads, std::int64_t bytes, int value = 0)
{
    return [&loads, bytes, value] {
        ++loads;
        return ModelCache::Loaded {std::make_shared<int>(value), bytes};
    };
}

ml::ModelKey key(const std::string &name)
{
    return {"fake", "/models/" + name, "1", "fp32", "cpu"};
}

std::vector<std::string> loadedNames(const ModelCache &cache)
{
    std::vector<std::string> names;
    for (const auto &m : cache.status().models)
        names.push_back(m.name);
    return names;
}

std::int64_t residentKb() // VmRSS of this process
{
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoll(line.substr(6));
    return -1;
}

void copyFolder(const fs::path &from, const fs::path &to)
{
    fs::create_directories(to);
    for (const auto &e : fs::directory_iterator(from))
        if (e.is_regular_file())
            fs::copy_file(e.path(), to / e.path().filename());
}

void editJson(const fs::path &file, const std::function<void(nlohmann::json &)> &edit)
{
    nlohmann::json j;
    {
        std::ifstream in(file);
        in >> j;
    }
    edit(j);
    std::ofstream(file) << j.dump(2);
}

double ratio(std::int64_t estimate, std::int64_t real)
{
    return static_cast<double>(estimate) / static_cast<double>(real);
}

} // namespace

class TestModelCache : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void leastRecentlyUsedGoesFirst()
    {
        ModelCache cache(100);
        std::atomic<int> loads {0};
        cache.acquire<int>(key("a"), 40, "a/config.json", fake(loads, 40));
        cache.acquire<int>(key("b"), 40, "b/config.json", fake(loads, 40));
        cache.acquire<int>(key("a"), 40, "a/config.json", fake(loads, 40)); // a is now the most recent
        QCOMPARE(loads.load(), 2);
        cache.acquire<int>(key("c"), 40, "c/config.json", fake(loads, 40)); // 120 > 100: b goes
        QCOMPARE(loads.load(), 3);
        QCOMPARE(loadedNames(cache), (std::vector<std::string> {"c", "a"}));
        QCOMPARE(cache.status().bytes, std::int64_t(80));
        QVERIFY(!cache.status().overBudget);
        cache.acquire<int>(key("b"), 40, "b/config.json", fake(loads, 40)); // loaded again; a goes
        QCOMPARE(loads.load(), 4);
        QCOMPARE(loadedNames(cache), (std::vector<std::string> {"b", "c"}));
        // A lower budget evicts at once.
        cache.setBudget(50);
        QCOMPARE(loadedNames(cache), (std::vector<std::string> {"b"}));
    }

    void modelInUseIsNeverEvicted()
    {
        ModelCache cache(100);
        std::vector<std::string> log;
        cache.setLogger([&](const std::string &line) { log.push_back(line); });
        std::atomic<int> loads {0};
        const auto a = cache.acquire<int>(key("a"), 60, "a/config.json", fake(loads, 60, 7)); // held
        cache.acquire<int>(key("b"), 30, "b/config.json", fake(loads, 30));
        // c needs 60: b (unused) goes, a (held) stays; a + c = 120 > 100, everything left in use.
        auto c = cache.acquire<int>(key("c"), 60, "c/config.json", fake(loads, 60));
        QCOMPARE(loadedNames(cache), (std::vector<std::string> {"c", "a"}));
        QCOMPARE(*a, 7);
        const auto s = cache.status();
        QVERIFY(s.overBudget);
        QCOMPARE(s.bytes, std::int64_t(120));
        QVERIFY(s.models[0].inUse && s.models[1].inUse);
        QCOMPARE(log.size(), std::size_t(1));
        QVERIFY2(log[0].find("more than the") != std::string::npos, log[0].c_str());
        // Once c is released, the next load may evict it; a stays as long as it is held.
        c.reset();
        cache.acquire<int>(key("d"), 30, "d/config.json", fake(loads, 30));
        QCOMPARE(loadedNames(cache), (std::vector<std::string> {"d", "a"}));
        QVERIFY(!cache.status().overBudget);
        cache.clear(); // drops d, keeps a (held)
        QCOMPARE(loadedNames(cache), (std::vector<std::string> {"a"}));
    }

    void concurrentRequestsShareOneLoad()
    {
        ModelCache cache(1000);
        std::atomic<int> loads {0};
        std::atomic<bool> started {false};
        const ModelCache::Loader slow = [&] {
            ++loads;
            started = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            return ModelCache::Loaded {std::make_shared<int>(42), 100};
        };
        std::shared_ptr<int> first, second;
        std::thread t1([&] { first = cache.acquire<int>(key("m"), 100, "m/config.json", slow); });
        while (!started)
            std::this_thread::yield();
        std::thread t2([&] { second = cache.acquire<int>(key("m"), 100, "m/config.json", slow); });
        t1.join();
        t2.join();
        QCOMPARE(loads.load(), 1);
        QVERIFY(first && first == second);
        QCOMPARE(cache.status().loads, std::int64_t(1));
        QCOMPARE(cache.status().hits, std::int64_t(1));
    }

    void failedLoadIsNotCached()
    {
        ModelCache cache(1000);
        std::atomic<int> loads {0};
        std::atomic<bool> started {false};
        const ModelCache::Loader failing = [&]() -> ModelCache::Loaded {
            ++loads;
            started = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            throw ml::Error("/models/m: broken weights");
        };
        // Both the loader's caller and the one waiting for it hear the error.
        std::string waiterError;
        std::thread waiter([&] {
            while (!started)
                std::this_thread::yield();
            try {
                cache.acquire<int>(key("m"), 10, "m/config.json", failing);
            } catch (const ml::Error &e) {
                waiterError = e.what();
            }
        });
        QVERIFY_THROWS_EXCEPTION(ml::Error, cache.acquire<int>(key("m"), 10, "m/config.json", failing));
        waiter.join();
        QCOMPARE(waiterError, std::string("/models/m: broken weights"));
        QCOMPARE(loads.load(), 1);
        QVERIFY(cache.status().models.empty());
        QCOMPARE(cache.status().bytes, std::int64_t(0));
        // The next request loads again, and succeeds.
        const auto m = cache.acquire<int>(key("m"), 10, "m/config.json", fake(loads, 10, 5));
        QCOMPARE(*m, 5);
        QCOMPARE(loads.load(), 2);
    }

    void estimateAboveBudgetIsRefusedBeforeLoading()
    {
        ModelCache cache(4LL << 30);
        std::atomic<int> loads {0};
        const std::int64_t needs = 7838315315; // 7.3 GiB
        try {
            cache.acquire<int>(key("big"), needs, "/models/big/config.json", fake(loads, needs));
            QFAIL("a model above the budget was loaded");
        } catch (const ml::Error &e) {
            const std::string m = e.what();
            qInfo("%s", m.c_str());
            QVERIFY2(
                m.find("/models/big/config.json: the model needs about 7.3 GB, more than the 4.0 GB") == 0, m.c_str());
        }
        QCOMPARE(loads.load(), 0);
        QCOMPARE(cache.status().refusals, std::int64_t(1));
    }

    void changedFilesAreAnotherModel()
    {
        const QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        std::ofstream(dir / "config.json") << "{}";
        const auto k1 = ml::makeModelKey("fake", dir.string(), "fp32", "cpu");
        QCOMPARE(ml::makeModelKey("fake", (dir / "." / "").string(), "fp32", "cpu").str(), k1.str());
        std::ofstream(dir / "model.safetensors") << "longer than before";
        const auto k2 = ml::makeModelKey("fake", dir.string(), "fp32", "cpu");
        QVERIFY(k1.str() != k2.str());
        QVERIFY(k1.folder == k2.folder);
        ModelCache cache(1000);
        std::atomic<int> loads {0};
        cache.acquire<int>(k1, 10, "config.json", fake(loads, 10));
        cache.acquire<int>(k2, 10, "config.json", fake(loads, 10));
        QCOMPARE(loads.load(), 2);
        QCOMPARE(cache.status().models.size(), std::size_t(1)); // the old generation went
    }

    void memoryAmounts_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("bytes");
        QTest::newRow("plain MB") << "4096" << qint64(4096) * 1024 * 1024;
        QTest::newRow("MB") << "512MB" << qint64(512) * 1024 * 1024;
        QTest::newRow("MiB") << "512 MiB" << qint64(512) * 1024 * 1024;
        QTest::newRow("G") << "8g" << qint64(8) * 1024 * 1024 * 1024;
        QTest::newRow("GiB") << "1.5GiB" << qint64(3) * 512 * 1024 * 1024;
        QTest::newRow("words") << "lots" << qint64(-1);
        QTest::newRow("TB") << "1TB" << qint64(-1);
        QTest::newRow("zero") << "0" << qint64(-1);
        QTest::newRow("negative") << "-5G" << qint64(-1);
    }

    void memoryAmounts()
    {
        QFETCH(QString, text);
        QFETCH(qint64, bytes);
        const auto parsed = ml::parseMemoryAmount(text.toStdString());
        QCOMPARE(parsed ? qint64(*parsed) : qint64(-1), bytes);
        QCOMPARE(QString::fromStdString(ml::formatMemory(310LL << 20)), QStringLiteral("310 MB"));
        QCOMPARE(QString::fromStdString(ml::formatMemory(8LL << 30)), QStringLiteral("8.0 GB"));
    }

    void defaultBudgetIsHalfTheFreeMemory()
    {
        const auto budget = ml::defaultModelMemory();
        qInfo("default memory for models here: %s", ml::formatMemory(budget).c_str());
        QVERIFY(budget >= 256LL << 20);
        ml::Engine engine(nullptr, {1, 123LL << 20});
        QCOMPARE(engine.models().budget(), 123LL << 20);
    }

    // --- real models --------------------------------------------------------------------------

    void clipEstimates_data()
    {
        QTest::addColumn<QString>("dtype");
        QTest::newRow("fp32") << "fp32";
        QTest::newRow("bf16") << "bf16";
    }

    void clipEstimates()
    {
        QFETCH(QString, dtype);
        const fs::path folder = ml::resolveModelPath("clip-mini");
        if (!fs::is_regular_file(folder / "model.safetensors"))
            QSKIP("clip-mini is not built");
        ModelCache cache;
        const auto rt = ml::clip::acquireClipRuntime(cache, folder, dtype.toStdString(), "cpu");
        const auto real = rt->inference().residentBytes();
        const auto estimate = ml::clip::estimateRuntime(folder, ml::clip::dtypeFromName(dtype.toStdString()));
        qInfo("clip-mini %s: estimate %lld bytes, real %lld bytes (%.3f)", qPrintable(dtype),
            static_cast<long long>(estimate.bytes), static_cast<long long>(real), ratio(estimate.bytes, real));
        QVERIFY(std::abs(ratio(estimate.bytes, real) - 1.0) < 0.2);
        QCOMPARE(estimate.configFile, (folder / "config.json").string());
        QCOMPARE(cache.status().bytes, real); // the cache counts what the runtime holds
        QCOMPARE(cache.status().models.front().kind, std::string("clip"));
    }

    void clipFixtureEstimate()
    {
        const fs::path folder = kFixtures / "clip";
        if (!fs::is_regular_file(folder / "model.safetensors"))
            QSKIP("no CLIP fixture in ../shared/fixtures");
        const auto loaded = ml::clip::loadClip(folder);
        std::int64_t real = 0;
        for (const auto &p : loaded.model->parameters())
            real += static_cast<std::int64_t>(p.nbytes());
        const auto estimate = ml::clip::estimateRuntimeBytes(loaded.model->config(), torch::kFloat);
        qInfo("CLIP fixture fp32: estimate %lld bytes, parameters %lld bytes (%.3f)", static_cast<long long>(estimate),
            static_cast<long long>(real), ratio(estimate, real));
        QVERIFY(std::abs(ratio(estimate, real) - 1.0) < 0.2);
    }

    void unetEstimates_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("dtype");
        QTest::newRow("ddpm-mini fp32") << QString::fromStdString(ml::resolveModelPath("ddpm-mini")) << "fp32";
        QTest::newRow("ddpm-mini bf16") << QString::fromStdString(ml::resolveModelPath("ddpm-mini")) << "bf16";
        QTest::newRow("fixture fp32") << QString::fromStdString((kFixtures / "ddpm").string()) << "fp32";
    }

    void unetEstimates()
    {
        QFETCH(QString, folder);
        QFETCH(QString, dtype);
        const fs::path dir = folder.toStdString();
        if (!fs::is_regular_file(dir / "diffusion_pytorch_model.safetensors"))
            QSKIP("model not there");
        ModelCache cache;
        const auto loaded = ml::diffusion::acquireDiffusion(cache, dir, dtype.toStdString(), "cpu");
        const auto estimate = ml::diffusion::estimateDiffusion(dir, ml::diffusion::scalarTypeOf(dtype.toStdString()));
        const auto real = cache.status().bytes;
        const auto counted = ml::diffusion::estimateUnetParameters(loaded->unet->config());
        qInfo("%s %s: estimate %lld bytes, real %lld bytes (%.3f); parameters counted %lld, loaded %lld",
            qPrintable(folder), qPrintable(dtype), static_cast<long long>(estimate.bytes), static_cast<long long>(real),
            ratio(estimate.bytes, real), static_cast<long long>(counted), static_cast<long long>(loaded->parameters));
        QVERIFY(std::abs(ratio(estimate.bytes, real) - 1.0) < 0.2);
        QCOMPARE(counted, loaded->parameters); // the layout is counted exactly
    }

    // A config.json with a million layers: refused from its numbers, nothing allocated.
    void hostileConfigsAreRefused_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("layers");
        QTest::addColumn<QString>("expected"); // after "<dir>/config.json: "
        QTest::newRow("clip, a million text layers") << "clip-mini" << 1000000 << "the model needs about 7"; // 7xx GB
        QTest::newRow("unet, ten thousand layers per block") << "ddpm-mini" << 10000 << "the model needs about ";
        QTest::newRow("unet, a million layers per block")
            << "ddpm-mini" << 1000000 << "the sizes in this config are absurd";
    }

    void hostileConfigsAreRefused()
    {
        QFETCH(QString, model);
        QFETCH(int, layers);
        QFETCH(QString, expected);
        const fs::path source = ml::resolveModelPath(model.toStdString());
        if (!fs::is_regular_file(source / "config.json"))
            QSKIP("model not there");
        const QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "hostile";
        copyFolder(source, dir);
        editJson(dir / "config.json", [&](nlohmann::json &j) {
            if (model == "clip-mini")
                j["text_config"]["num_hidden_layers"] = layers;
            else
                j["layers_per_block"] = layers;
        });
        ModelCache cache(1LL << 30);
        const auto before = residentKb();
        std::string message;
        try {
            if (model == "clip-mini")
                ml::clip::acquireClipRuntime(cache, dir, "fp32", "cpu");
            else
                ml::diffusion::acquireDiffusion(cache, dir, "fp32", "cpu");
        } catch (const ml::Error &e) {
            message = e.what();
        }
        const auto grew = residentKb() - before;
        qInfo("%s (resident memory grew by %lld KB)", message.c_str(), static_cast<long long>(grew));
        const std::string prefix = (dir / "config.json").string() + ": " + expected.toStdString();
        QVERIFY2(message.rfind(prefix, 0) == 0, message.c_str());
        if (expected.startsWith("the model needs"))
            QVERIFY2(
                message.find("GB, more than the 1.0 GB of memory for models") != std::string::npos, message.c_str());
        QVERIFY2(grew < 64 * 1024, "the refused model allocated memory");
        QCOMPARE(cache.status().refusals, std::int64_t(1));
        QVERIFY(cache.status().models.empty());
    }

    // The same refusal through a job of an engine with a small budget: an error value, no crash.
    void jobReportsTheRefusal()
    {
        const fs::path folder = ml::resolveModelPath("clip-mini");
        if (!fs::is_regular_file(folder / "model.safetensors"))
            QSKIP("clip-mini is not built");
        struct Listener : ml::EngineListener {
            std::atomic<bool> done {false};
            ml::JobResult result;
            void onProgress(ml::JobId, const ml::Progress &) override { }
            void onPartial(ml::JobId, const ml::PartialResult &) override { }
            void onFinished(ml::JobId, const ml::JobResult &r) override
            {
                result = r;
                done = true;
            }
        } listener;
        ml::Engine engine(&listener, {1, 1LL << 20}); // 1 MiB: clip-mini needs about 5 MB
        engine.submit(ml::makeEmbedTextsJob(folder.string(), {"a red circle"}, {"cpu", "fp32"}));
        QVERIFY(engine.waitIdle(std::chrono::seconds(60)));
        QVERIFY(listener.done);
        QVERIFY(!listener.result.ok());
        const auto &m = listener.result.error->message;
        qInfo("%s", m.c_str());
        QVERIFY2(m.find((folder / "config.json").string() + ": the model needs about") == 0, m.c_str());
        QVERIFY2(m.find("more than the 1 MB of memory for models") != std::string::npos, m.c_str());
    }
};

QTEST_GUILESS_MAIN(TestModelCache)
#include "test_model_cache.moc"
