// Checkpoint folders: single and sharded weights, pipelines, pickles refused with a way out,
// family detection on the real fixtures, and binding weights with a report of every problem.
#include "common/error.h"
#include "io/checkpoint.h"

#include <QtTest>

#include <ATen/Functions.h>
#include <torch/nn/module.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>

namespace fs = std::filesystem;

namespace {

void writeText(const fs::path &path, const std::string &text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// The message of the ml::Error that f throws; "" when it does not throw.
QString errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const ml::Error &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// A two-level module: "weight", "bias", buffer "pos", child "norm" with "weight" and "bias".
struct Norm : torch::nn::Module {
    Norm()
    {
        register_parameter("weight", torch::zeros({3}));
        register_parameter("bias", torch::zeros({3}));
    }
};

struct Tiny : torch::nn::Module {
    Tiny()
    {
        register_parameter("weight", torch::zeros({3, 4}));
        register_parameter("bias", torch::zeros({3}));
        register_buffer("pos", torch::zeros({5}, torch::kInt64));
        register_module("norm", std::make_shared<Norm>());
    }
};

} // namespace

class TestCheckpoint : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    fs::path dir(const char *name) const
    {
        const auto path = fs::path(m_tmp.path().toStdString()) / name;
        fs::create_directories(path);
        return path;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void opensFolderWithConfig()
    {
        const auto folder = dir("single");
        writeText(folder / "config.json", R"({"model_type": "clip", "projection_dim": 32})");
        ml::io::saveSafetensors(folder / "model.safetensors",
            {{"a.weight", torch::ones({2, 3})}, {"b.bias", torch::arange(4, torch::kFloat16)}});
        ml::io::saveSafetensors(folder / "expected.safetensors", {{"golden", torch::ones({1})}}); // not weights
        const auto ckpt = ml::io::Checkpoint::open(folder);
        QCOMPARE(ckpt.family(), std::string("clip"));
        QVERIFY(!ckpt.isOpenClip());
        QCOMPARE(ckpt.config().at("projection_dim").get<int>(), 32);
        QCOMPARE(ckpt.configPath(), folder / "config.json");
        QVERIFY(ckpt.names() == (std::vector<std::string> {"a.weight", "b.bias"}));
        QCOMPARE(ckpt.parameterCount(), 10);
        QVERIFY(torch::equal(ckpt.tensor("b.bias"), torch::arange(4, torch::kFloat16)));
        QCOMPARE(ckpt.info("a.weight").dtype, std::string("F32"));
        QVERIFY(!ckpt.contains("golden"));
        QVERIFY(!ckpt.isPipeline());
        const QString message = errorOf([&] { ckpt.tensor("nope"); });
        QVERIFY2(message.contains("no tensor 'nope'"), qPrintable(message));

        // The same weights opened as a single file, config.json beside it still read.
        const auto file = ml::io::Checkpoint::open(folder / "model.safetensors");
        QCOMPARE(file.family(), std::string("clip"));
        QCOMPARE(file.names().size(), std::size_t(2));
    }

    void opensOnlySafetensorsUnderAnyName()
    {
        const auto folder = dir("anyname");
        ml::io::saveSafetensors(folder / "weights.safetensors", {{"x", torch::ones({2})}});
        const auto ckpt = ml::io::Checkpoint::open(folder);
        QVERIFY(ckpt.contains("x"));
        QCOMPARE(ckpt.family(), std::string());

        ml::io::saveSafetensors(folder / "other.safetensors", {{"y", torch::ones({2})}});
        const QString message = errorOf([&] { ml::io::Checkpoint::open(folder); });
        QVERIFY2(message.contains("several .safetensors files (other.safetensors, weights.safetensors)"),
            qPrintable(message));
    }

    void followsSymlinksAsInTheHubCache()
    {
        // The Hugging Face cache links snapshots/<rev>/model.safetensors to ../../blobs/<hash>.
        const auto blobs = dir("hub/blobs");
        const auto snapshot = dir("hub/snapshots/rev");
        ml::io::saveSafetensors(blobs / "0123abcd", {{"x", torch::ones({2})}});
        writeText(blobs / "4567ef", R"({"model_type": "clip"})");
        fs::create_symlink("../../blobs/0123abcd", snapshot / "model.safetensors");
        fs::create_symlink("../../blobs/4567ef", snapshot / "config.json");
        const auto ckpt = ml::io::Checkpoint::open(snapshot);
        QCOMPARE(ckpt.family(), std::string("clip"));
        QVERIFY(torch::equal(ckpt.tensor("x"), torch::ones({2})));
    }

    void resolvesShards()
    {
        const auto folder = dir("sharded");
        writeText(folder / "config.json", R"({"architectures": ["LlavaForConditionalGeneration"]})");
        ml::io::saveSafetensors(folder / "model-00001-of-00002.safetensors",
            {{"embed.weight", torch::full({4, 2}, 1.0)}, {"layer.0.weight", torch::full({2, 2}, 2.0)}});
        ml::io::saveSafetensors(folder / "model-00002-of-00002.safetensors",
            {{"layer.1.weight", torch::full({2, 2}, 3.0)}, {"head.weight", torch::full({3, 2}, 4.0)}});
        writeText(folder / "model.safetensors.index.json", R"({"metadata": {"total_size": 184}, "weight_map": {
            "embed.weight": "model-00001-of-00002.safetensors",
            "layer.0.weight": "model-00001-of-00002.safetensors",
            "layer.1.weight": "model-00002-of-00002.safetensors",
            "head.weight": "model-00002-of-00002.safetensors"}})");
        const auto ckpt = ml::io::Checkpoint::open(folder);
        QCOMPARE(ckpt.family(), std::string("llava"));
        QCOMPARE(ckpt.files().size(), std::size_t(2));
        QCOMPARE(ckpt.names().size(), std::size_t(4));
        QCOMPARE(ckpt.tensor("layer.0.weight")[0][0].item<float>(), 2.0f);
        QCOMPARE(ckpt.tensor("head.weight")[2][1].item<float>(), 4.0f);
        QCOMPARE(ckpt.parameterCount(), 8 + 4 + 4 + 6);

        // A shard that is not there, then a tensor its shard lacks.
        fs::remove(folder / "model-00002-of-00002.safetensors");
        QString message = errorOf([&] { ml::io::Checkpoint::open(folder); });
        QVERIFY2(message.startsWith(QString::fromStdString((folder / "model.safetensors.index.json").string())),
            qPrintable(message));
        QVERIFY2(message.contains("missing shard file(s): 'model-00002-of-00002.safetensors' (2 tensors"),
            qPrintable(message));
        ml::io::saveSafetensors(folder / "model-00002-of-00002.safetensors", {{"layer.1.weight", torch::ones({2, 2})}});
        message = errorOf([&] { ml::io::Checkpoint::open(folder); });
        QVERIFY2(
            message.contains(
                "tensors mapped to a shard that lacks them: 'head.weight' (in 'model-00002-of-00002.safetensors')"),
            qPrintable(message));

        writeText(folder / "model.safetensors.index.json", R"({"weight_map": {"x": "../elsewhere.safetensors"}})");
        message = errorOf([&] { ml::io::Checkpoint::open(folder); });
        QVERIFY2(message.contains("is not a file name in the folder"), qPrintable(message));
    }

    void refusesPickles()
    {
        const auto folder = dir("pickle");
        writeText(
            folder / "config.json", R"({"model_type": "blip-2", "architectures": ["Blip2ForConditionalGeneration"]})");
        writeText(folder / "pytorch_model.bin", "\x80\x02}q\x00.");
        const QString message = errorOf([&] { ml::io::Checkpoint::open(folder); });
        const QString d = QString::fromStdString(folder.string());
        QVERIFY2(message.startsWith(d + ": the weights here are pickles (pytorch_model.bin)"), qPrintable(message));
        QVERIFY2(message.contains("can run arbitrary code"), qPrintable(message));
        QVERIFY2(message.contains("from transformers import Blip2ForConditionalGeneration as M; M.from_pretrained('" + d
                     + "').save_pretrained('" + d + "', safe_serialization=True)"),
            qPrintable(message));
        QVERIFY2(message.contains("safetensors.torch import save_file"), qPrintable(message));

        // Beside safetensors a pickle is simply ignored.
        ml::io::saveSafetensors(folder / "model.safetensors", {{"x", torch::ones({1})}});
        QVERIFY(ml::io::Checkpoint::open(folder).contains("x"));
    }

    void reportsBrokenConfigAndMissingWeights()
    {
        const auto folder = dir("badconfig");
        writeText(folder / "config.json", "{\n  \"model_type\": \"clip\",\n}\n");
        ml::io::saveSafetensors(folder / "model.safetensors", {{"x", torch::ones({1})}});
        QString message = errorOf([&] { ml::io::Checkpoint::open(folder); });
        QVERIFY2(message.startsWith(QString::fromStdString((folder / "config.json").string())
                     + ": invalid JSON: parse error at line 3"),
            qPrintable(message));

        writeText(folder / "config.json", "[1]");
        message = errorOf([&] { ml::io::Checkpoint::open(folder); });
        QVERIFY2(message.endsWith("config.json: not a JSON object"), qPrintable(message));

        message = errorOf([&] { ml::io::Checkpoint::open(dir("empty")); });
        QVERIFY2(message.contains("empty: no weights found"), qPrintable(message));
        message = errorOf([&] { ml::io::Checkpoint::open(m_tmp.path().toStdString() + "/absent"); });
        QVERIFY2(message.endsWith("absent: no such file or folder"), qPrintable(message));
        message = errorOf([&] { ml::io::readJsonFile(m_tmp.path().toStdString() + "/absent.json"); });
        QVERIFY2(message.endsWith("absent.json: cannot open (no such file)"), qPrintable(message));
    }

    void opensPipelines()
    {
        const auto folder = dir("pipeline");
        writeText(folder / "model_index.json", R"({"_class_name": "DDPMPipeline", "_diffusers_version": "0.27.2",
            "scheduler": ["diffusers", "DDPMScheduler"], "unet": ["diffusers", "UNet2DModel"]})");
        writeText(folder / "unet" / "config.json", R"({"_class_name": "UNet2DModel", "sample_size": 16})");
        ml::io::saveSafetensors(
            folder / "unet" / "diffusion_pytorch_model.safetensors", {{"conv_in.bias", torch::ones({4})}});
        writeText(folder / "scheduler" / "scheduler_config.json", R"({"num_train_timesteps": 1000})");

        const auto pipeline = ml::io::Checkpoint::open(folder);
        QVERIFY(pipeline.isPipeline());
        QCOMPARE(pipeline.family(), std::string("ddpm-pipeline"));
        QCOMPARE(pipeline.components().at("unet"), std::string("UNet2DModel"));
        QCOMPARE(pipeline.components().size(), std::size_t(2));
        QVERIFY(pipeline.names().empty());
        const auto unet = pipeline.subfolder("unet");
        QCOMPARE(unet.family(), std::string("unet2d"));
        QVERIFY(unet.contains("conv_in.bias"));
        QCOMPARE(ml::io::readJsonFile(pipeline.subfolderPath("scheduler") / "scheduler_config.json")
                     .at("num_train_timesteps")
                     .get<int>(),
            1000);
        const QString message = errorOf([&] { pipeline.subfolderPath("vae"); });
        QVERIFY2(message.contains("no pipeline component 'vae' (model_index.json lists: scheduler, unet)"),
            qPrintable(message));
    }

    void detectsFixtureFamilies_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("family");
        QTest::addColumn<bool>("openClip");
        QTest::newRow("clip") << QString("clip") << QString("clip") << false;
        QTest::newRow("clip/openai") << QString("clip/openai") << QString("clip") << true;
        QTest::newRow("ddpm") << QString("ddpm") << QString("unet2d") << false;
        QTest::newRow("blip2") << QString("blip2") << QString("blip-2") << false;
        QTest::newRow("llava") << QString("llava") << QString("llava") << false;
    }

    void detectsFixtureFamilies()
    {
        QFETCH(QString, folder);
        QFETCH(QString, family);
        QFETCH(bool, openClip);
        const fs::path path = fs::path(MODALLENS_FIXTURES_DIR) / folder.toStdString();
        if (!fs::exists(path))
            QSKIP(qPrintable("fixture absent: " + QString::fromStdString(path.string())));
        const auto ckpt = ml::io::Checkpoint::open(path);
        QCOMPARE(QString::fromStdString(ckpt.family()), family);
        QCOMPARE(ckpt.isOpenClip(), openClip);
        QVERIFY(ckpt.parameterCount() > 0);
        QVERIFY(!ckpt.contains("last_hidden_state")); // expected.safetensors is not the model
    }

    void bindsParametersAndReportsEveryProblem()
    {
        const auto folder = dir("bind");
        ml::io::saveSafetensors(folder / "model.safetensors",
            {
                {"weight", torch::arange(12, torch::kFloat16).reshape({3, 4})}, // F16 into an F32 parameter
                {"bias", torch::zeros({4})},                                    // wrong shape
                {"pos", torch::arange(5, torch::kInt32)},                       // buffer, I32 into I64
                {"norm.bias", torch::ones({3}, torch::kFloat64)}, {"extra.scale", torch::ones({1})}, // nothing uses it
            });
        const auto ckpt = ml::io::Checkpoint::open(folder);
        Tiny model;
        ml::io::LoadReport report;
        ml::io::bindParameters(model, ckpt, report);
        QVERIFY(!report.ok());
        QVERIFY(report.missing == std::vector<std::string> {"norm.weight"});
        QCOMPARE(report.mismatched.size(), std::size_t(1));
        QCOMPARE(report.mismatched[0].name, std::string("bias"));
        QVERIFY(report.mismatched[0].model == (std::vector<std::int64_t> {3}));
        QVERIFY(report.mismatched[0].checkpoint == (std::vector<std::int64_t> {4}));
        QVERIFY(report.unexpected == std::vector<std::string> {"extra.scale"});
        QCOMPARE(report.loaded, 3);
        const auto params = model.named_parameters();
        QCOMPARE(params["weight"].scalar_type(), torch::kFloat32);
        QVERIFY(torch::equal(params["weight"], torch::arange(12, torch::kFloat32).reshape({3, 4})));
        QVERIFY(torch::equal(model.named_buffers()["pos"], torch::arange(5, torch::kInt64)));
        QVERIFY(torch::equal(params["norm.bias"], torch::ones({3})));
        QVERIFY(params["weight"].is_leaf() && params["weight"].requires_grad()); // copied without autograd

        const QString message = errorOf([&] { report.throwIfFailed("tiny"); });
        QVERIFY2(
            message.startsWith("tiny: the checkpoint does not fit the model (1 missing, 1 mismatched, 1 unexpected)"),
            qPrintable(message));
        QVERIFY2(message.contains("\n  missing: norm.weight"), qPrintable(message));
        QVERIFY2(message.contains("\n  mismatched: bias: checkpoint [4], model [3]"), qPrintable(message));
        QVERIFY2(message.contains("\n  unexpected: extra.scale"), qPrintable(message));
    }

    void bindsUnderPrefixWithAliasesAndOptionals()
    {
        const auto folder = dir("bindprefix");
        ml::io::saveSafetensors(folder / "model.safetensors",
            {
                {"vision.weight", torch::ones({3, 4})}, {"vision.bias", torch::ones({3})},
                {"vision.ln.weight", torch::ones({3})}, // alias of norm.weight
                {"vision.ln.bias", torch::ones({3})},
                {"text.weight", torch::ones({7})}, // another part: not unexpected here
            });
        const auto ckpt = ml::io::Checkpoint::open(folder);
        Tiny model;
        ml::io::BindOptions options;
        options.prefix = "vision.";
        options.alias = [](const std::string &key) {
            return key.rfind("vision.norm.", 0) == 0 ? "vision.ln." + key.substr(12) : key;
        };
        options.optional = [](const std::string &name) { return name == "pos"; };
        ml::io::LoadReport report;
        ml::io::bindParameters(model, ckpt, options, report);
        QVERIFY2(report.ok(), report.summary("vision").c_str());
        QVERIFY(report.unexpected.empty());
        QCOMPARE(report.loaded, 4);
        report.throwIfFailed("vision"); // does not throw
        QVERIFY(torch::equal(model.named_parameters()["norm.weight"], torch::ones({3})));
    }

    void bindsFromTensorsInMemory()
    {
        Tiny model;
        const std::map<std::string, torch::Tensor> tensors = {{"m.weight", torch::full({3, 4}, 2.0)},
            {"m.bias", torch::ones({2})}, {"m.pos", torch::ones({5})}, {"m.norm.weight", torch::ones({3})},
            {"m.norm.bias", torch::ones({3})}, {"m.extra", torch::ones({1})}, {"other", torch::ones({1})}};
        ml::io::BindOptions options;
        options.prefix = "m.";
        ml::io::LoadReport report;
        ml::io::bindParameters(model, tensors, options, report);
        QVERIFY(report.missing.empty());
        QCOMPARE(report.mismatched.size(), std::size_t(1));
        QCOMPARE(report.mismatched[0].name, std::string("m.bias"));
        QVERIFY(report.unexpected == std::vector<std::string> {"m.extra"});
        QCOMPARE(report.loaded, 4);
        QVERIFY(torch::equal(model.named_parameters()["weight"], torch::full({3, 4}, 2.0)));
    }

    // A damaged checkpoint's NaN and Inf weights load (the user may want to look), each named in a warning.
    void warnsAboutNonFiniteWeights()
    {
        Tiny model;
        auto weight = torch::ones({3, 4});
        weight[0][1] = std::numeric_limits<float>::quiet_NaN();
        weight[2][3] = std::numeric_limits<float>::quiet_NaN();
        weight[1][0] = -std::numeric_limits<float>::infinity();
        auto bias = torch::ones({3}, torch::kFloat16);
        bias[1] = std::numeric_limits<float>::infinity(); // F16 Inf stays Inf in F32
        const std::map<std::string, torch::Tensor> tensors
            = {{"weight", weight}, {"bias", bias}, {"pos", torch::full({5}, 7, torch::kInt32)},
                {"norm.weight", torch::ones({3})}, {"norm.bias", torch::ones({3})}};
        ml::io::LoadReport report;
        ml::io::bindParameters(model, tensors, {}, report);
        QVERIFY2(report.ok(), report.summary("tiny").c_str()); // loaded, not refused
        QCOMPARE(report.loaded, 5);
        QCOMPARE(report.nonFinite.size(), std::size_t(2));
        QCOMPARE(report.nonFinite[0].name, std::string("weight"));
        QCOMPARE(report.nonFinite[0].nan, 2);
        QCOMPARE(report.nonFinite[0].inf, 1);
        QCOMPARE(report.nonFinite[1].name, std::string("bias"));
        QCOMPARE(report.nonFinite[1].nan, 0);
        QCOMPARE(report.nonFinite[1].inf, 1);
        QVERIFY(std::isnan(model.named_parameters()["weight"][0][1].item<float>()));
        const auto warnings = report.nonFiniteWarnings();
        QCOMPARE(warnings.size(), std::size_t(2));
        QVERIFY2(warnings[0].rfind("weight 'weight' holds 2 NaN and 1 infinite value(s)", 0) == 0, warnings[0].c_str());

        ml::io::LoadReport clean; // finite weights: nothing to say
        ml::io::BindOptions options;
        options.reportUnexpected = false;
        ml::io::bindParameters(
            model, std::map<std::string, torch::Tensor> {{"weight", torch::ones({3, 4})}}, options, clean);
        QVERIFY(clean.nonFinite.empty() && clean.nonFiniteWarnings().empty());
    }
};

QTEST_GUILESS_MAIN(TestCheckpoint)
#include "test_checkpoint.moc"
