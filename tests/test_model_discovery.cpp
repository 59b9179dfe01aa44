// Model discovery over every family: a folder per family with a minimal config.json (CLIP,
// UNet2D, a DDPM pipeline, BLIP-2, LLaVA) and a few weights, plus an unknown family, a corrupt
// and a family-less config: each listed with its family, the bad ones with their path, none
// crashing. Filtering by family, and the names both ways.
#include "engine/model_discovery.h"
#include "io/safetensors.h"

#include <QTemporaryDir>
#include <QtTest>

#include <ATen/Functions.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace fs = std::filesystem;

namespace {

void writeText(const fs::path &path, const std::string &text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// A folder with `config` as `configName` and `numel` float weights in `weights`.
void writeModel(const fs::path &dir, const nlohmann::json &config, std::int64_t numel,
    const std::string &configName = "config.json", const std::string &weights = "model.safetensors")
{
    writeText(dir / configName, config.dump(2));
    if (numel > 0)
        ml::io::saveSafetensors(dir / weights, {{"w", at::zeros({numel})}});
}

const ml::ModelEntry *find(const std::vector<ml::ModelEntry> &entries, const std::string &name)
{
    const auto it
        = std::find_if(entries.begin(), entries.end(), [&](const ml::ModelEntry &e) { return e.name == name; });
    return it == entries.end() ? nullptr : &*it;
}

} // namespace

class TestModelDiscovery : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_root = fs::path(m_tmp.path().toStdString()) / "models";
        using nlohmann::json;
        writeModel(m_root / "clip",
            {{"model_type", "clip"}, {"architectures", {"CLIPModel"}}, {"vision_config", json::object()},
                {"text_config", json::object()}},
            5);
        writeModel(m_root / "unet", {{"_class_name", "UNet2DModel"}, {"sample_size", 32}}, 7, "config.json",
            "diffusion_pytorch_model.safetensors");
        writeModel(m_root / "pipeline",
            {{"_class_name", "DDPMPipeline"}, {"unet", {"diffusers", "UNet2DModel"}},
                {"scheduler", {"diffusers", "DDPMScheduler"}}},
            0, "model_index.json");
        writeModel(m_root / "pipeline" / "unet", {{"_class_name", "UNet2DModel"}}, 11, "config.json",
            "diffusion_pytorch_model.safetensors");
        writeModel(m_root / "blip2",
            {{"model_type", "blip-2"}, {"architectures", {"Blip2ForConditionalGeneration"}},
                {"vision_config", {{"model_type", "blip_2_vision_model"}}},
                {"qformer_config", {{"model_type", "blip_2_qformer"}}}, {"text_config", {{"model_type", "opt"}}}},
            13);
        writeModel(m_root / "llava",
            {{"model_type", "llava"}, {"architectures", {"LlavaForConditionalGeneration"}},
                {"vision_config", {{"model_type", "clip_vision_model"}}}, {"text_config", {{"model_type", "llama"}}}},
            17);
        writeModel(m_root / "blip2-no-weights", {{"model_type", "blip-2"}}, 0);
        writeModel(m_root / "bert", {{"model_type", "bert"}}, 3);
        writeModel(m_root / "nameless", {{"hidden_size", 8}}, 3);
        writeText(m_root / "corrupt" / "config.json", "{\"model_type\": \"clip\",");
        writeText(m_root / "array" / "config.json", "[1, 2]");
        fs::create_directories(m_root / "not-a-model");
        m_entries = ml::discoverModels({m_root.string()}, false);
    }

    void familyPerFolder_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("family");
        QTest::addColumn<qlonglong>("parameters");
        QTest::newRow("clip") << "clip" << int(ml::ModelFamily::Clip) << "clip" << 5LL;
        QTest::newRow("unet2d") << "unet" << int(ml::ModelFamily::UNet2D) << "unet2d" << 7LL;
        QTest::newRow("ddpm pipeline") << "pipeline" << int(ml::ModelFamily::UNet2D) << "unet2d" << 11LL;
        QTest::newRow("blip-2") << "blip2" << int(ml::ModelFamily::Blip2) << "blip-2" << 13LL;
        QTest::newRow("llava") << "llava" << int(ml::ModelFamily::Llava) << "llava" << 17LL;
    }

    void familyPerFolder()
    {
        QFETCH(QString, name);
        QFETCH(int, kind);
        QFETCH(QString, family);
        QFETCH(qlonglong, parameters);
        const ml::ModelEntry *e = find(m_entries, name.toStdString());
        QVERIFY2(e, qPrintable(name + " not listed"));
        QCOMPARE(int(e->kind), kind);
        QCOMPARE(QString::fromStdString(e->family), family);
        QCOMPARE(e->parameters, static_cast<std::int64_t>(parameters));
        QCOMPARE(QString::fromStdString(e->source), QStringLiteral("user"));
        QCOMPARE(e->path, (m_root / name.toStdString()).string());
        QVERIFY2(e->error.empty(), e->error.c_str());
    }

    // Listed with the family the config names and an error naming the file; nothing thrown.
    void badFoldersNamed_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("family");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("problem");
        const int unknown = int(ml::ModelFamily::Unknown);
        QTest::newRow("no weights") << "blip2-no-weights" << int(ml::ModelFamily::Blip2) << "blip-2"
                                    << "blip2-no-weights"
                                    << "no weights found";
        QTest::newRow("unknown family") << "bert" << unknown << "bert"
                                        << "bert/config.json"
                                        << "family 'bert'";
        QTest::newRow("no family") << "nameless" << unknown << ""
                                   << "nameless/config.json"
                                   << "names no model family";
        QTest::newRow("corrupt json") << "corrupt" << unknown << ""
                                      << "corrupt/config.json"
                                      << "invalid JSON";
        QTest::newRow("json array") << "array" << unknown << ""
                                    << "array/config.json"
                                    << "not a JSON object";
    }

    void badFoldersNamed()
    {
        QFETCH(QString, name);
        QFETCH(int, kind);
        QFETCH(QString, family);
        QFETCH(QString, file);
        QFETCH(QString, problem);
        const ml::ModelEntry *e = find(m_entries, name.toStdString());
        QVERIFY2(e, qPrintable(name + " not listed"));
        QCOMPARE(int(e->kind), kind);
        QCOMPARE(QString::fromStdString(e->family), family);
        const QString error = QString::fromStdString(e->error);
        QVERIFY2(error.contains(QString::fromStdString((m_root / file.toStdString()).string())), qPrintable(error));
        QVERIFY2(error.contains(problem), qPrintable(error));
    }

    void onlyCheckpointFolders()
    {
        QCOMPARE(m_entries.size(), std::size_t(10));
        QVERIFY(!find(m_entries, "not-a-model"));
        for (const auto &e : m_entries) // one level down only: the pipeline's unet is part of it
            QVERIFY(e.path != (m_root / "pipeline" / "unet").string());
    }

    void filterByFamily()
    {
        const auto clip = ml::ofFamily(m_entries, ml::ModelFamily::Clip);
        QCOMPARE(clip.size(), std::size_t(1));
        QCOMPARE(clip.front().name, std::string("clip"));
        const auto unet = ml::ofFamily(m_entries, ml::ModelFamily::UNet2D);
        QCOMPARE(unet.size(), std::size_t(2));
        QCOMPARE(unet[0].name, std::string("pipeline"));
        QCOMPARE(unet[1].name, std::string("unet"));
        QCOMPARE(ml::ofFamily(m_entries, ml::ModelFamily::Blip2).size(), std::size_t(2));
        QCOMPARE(ml::ofFamily(m_entries, ml::ModelFamily::Llava).size(), std::size_t(1));
        QCOMPARE(ml::ofFamily(m_entries, ml::ModelFamily::Unknown).size(), std::size_t(4));
    }

    void familyNames()
    {
        for (const auto f :
            {ml::ModelFamily::Clip, ml::ModelFamily::UNet2D, ml::ModelFamily::Blip2, ml::ModelFamily::Llava})
            QCOMPARE(ml::familyFromName(ml::familyName(f)), f);
        QCOMPARE(ml::familyFromName("BLIP_2"), ml::ModelFamily::Blip2);
        QCOMPARE(ml::familyFromName("CLIP"), ml::ModelFamily::Clip);
        QCOMPARE(ml::familyFromName("clip_vision_model"), ml::ModelFamily::Unknown);
        QCOMPARE(ml::familyFromName(""), ml::ModelFamily::Unknown);
        QCOMPARE(std::string(ml::familyName(ml::ModelFamily::Unknown)), std::string());
    }

    // The embedded defaults: clip-mini a CLIP, ddpm-mini a UNet2D.
    void embeddedDefaults()
    {
        const auto all = ml::discoverModels({}, true);
        const auto embedded = [&](const std::string &name) {
            return std::find_if(all.begin(), all.end(),
                [&](const ml::ModelEntry &e) { return e.name == name && e.source == "embedded"; });
        };
        if (embedded("clip-mini") == all.end() || embedded("ddpm-mini") == all.end())
            QSKIP("clip-mini or ddpm-mini is not in resources/models");
        QCOMPARE(embedded("clip-mini")->kind, ml::ModelFamily::Clip);
        QCOMPARE(embedded("ddpm-mini")->kind, ml::ModelFamily::UNet2D);
    }

private:
    QTemporaryDir m_tmp;
    fs::path m_root;
    std::vector<ml::ModelEntry> m_entries;
};

QTEST_GUILESS_MAIN(TestModelDiscovery)
#include "test_model_discovery.moc"
