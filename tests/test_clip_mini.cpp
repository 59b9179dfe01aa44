// The embedded default model: resources/models/clip-mini, trained by `modallens-cli train clip
// --preset mini` (see its README). Inference only: it must meet the zero-shot thresholds
// on the fixed evaluation sets that `modallens-cli eval zero-shot --dataset ...` uses: Shapes World
// 24-way (2,400 augmented images, 100 per colour-shape pair) >= 95 % overall and >= 70 % on the
// four held-out pairs; the whole Fashion-MNIST test split (10,000 images) >= 85 %.
#include "built_paths.h"
#include "common/error.h"
#include "engine/clip_service.h"
#include "engine/zero_shot_eval_service.h"

#include <QProcess>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

class TestClipMini : public QObject {
    Q_OBJECT

private:
    std::string m_model;

private Q_SLOTS:
    void initTestCase()
    {
        try {
            m_model = ml::resolveModelPath("clip-mini");
        } catch (const ml::Error &e) {
            QFAIL(qPrintable(
                QStringLiteral("the embedded clip-mini is missing: %1").arg(QString::fromStdString(e.what()))));
        }
    }

    void folderIsSmallAndComplete()
    {
        std::uintmax_t bytes = 0;
        for (const auto &entry : fs::directory_iterator(m_model))
            if (entry.is_regular_file())
                bytes += entry.file_size();
        std::printf("clip-mini: %s, %.2f MB\n", m_model.c_str(), static_cast<double>(bytes) / 1e6);
        QVERIFY2(bytes <= 20'000'000, "clip-mini must stay at most 20 MB");
        for (const char *name :
            {"config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json", "README.md"})
            QVERIFY2(fs::is_regular_file(fs::path(m_model) / name), name);
        // Training state is not part of the product.
        QVERIFY(!fs::exists(fs::path(m_model) / "trainer_state.safetensors"));
        const auto found = ml::discoverModels({}, true);
        bool listed = false;
        for (const auto &m : found)
            listed = listed || (m.name == "clip-mini" && m.source == "embedded" && m.family == "clip");
        QVERIFY2(listed, "discoverModels() lists clip-mini as an embedded CLIP");
    }

    void shapesWorld()
    {
        ml::ZeroShotEvalRequest req;
        req.model = "clip-mini";
        req.dataset = "shapes";
        const auto r = ml::evaluateZeroShot(req);
        std::printf("Shapes World: %.2f %% of %lld, held-out pairs %.2f %% of %lld\n", 100.0 * r.accuracy,
            static_cast<long long>(r.images), 100.0 * r.heldOutAccuracy, static_cast<long long>(r.heldOutImages));
        QCOMPARE(r.images, 2400);
        QCOMPARE(r.heldOutImages, 400);
        QCOMPARE(r.classes.size(), std::size_t(24));
        QVERIFY2(r.accuracy >= 0.95, qPrintable(QString::number(r.accuracy)));
        QVERIFY2(r.heldOutAccuracy >= 0.70, qPrintable(QString::number(r.heldOutAccuracy)));
    }

    void fashionMnist()
    {
        if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
            && !fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte"))
            QSKIP("Debian's dataset-fashion-mnist is not installed (scripts/deps.sh installs it)");
        ml::ZeroShotEvalRequest req;
        req.model = "clip-mini";
        req.dataset = "fashion-mnist";
        const auto r = ml::evaluateZeroShot(req);
        std::printf("Fashion-MNIST test: %.2f %% of %lld\n", 100.0 * r.accuracy, static_cast<long long>(r.images));
        QCOMPARE(r.images, 10000);
        QCOMPARE(r.classes.size(), std::size_t(10));
        QVERIFY2(r.accuracy >= 0.85, qPrintable(QString::number(r.accuracy)));
    }

    // The command the README and the model's README give.
    void cliEvalDataset()
    {
        QProcess p;
        p.start(cliPath(),
            {"--json", "--quiet", "eval", "zero-shot", "--model", "clip-mini", "--dataset", "shapes", "--limit", "48"});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const auto doc = nlohmann::json::parse(p.readAllStandardOutput().toStdString());
        QCOMPARE(doc.at("dataset").get<std::string>(), std::string("shapes"));
        QCOMPARE(doc.at("images").get<int>(), 48);
        QCOMPARE(doc.at("held_out_images").get<int>(), 8);
        QVERIFY(doc.at("accuracy").get<double>() > 0.5);

        p.start(cliPath(), {"eval", "zero-shot", "--model", "clip-mini", "--dataset", "cifar"});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("--dataset must be shapes or fashion-mnist"));
    }
};

QTEST_GUILESS_MAIN(TestClipMini)
#include "test_clip_mini.moc"
