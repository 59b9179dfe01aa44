// modallens-cli's CLIP commands, run as a user would: tokenize against the golden ids, embed
// (unit rows, --out), classify's JSON shape, exit codes, and image embeddings equal to the
// reference's on the golden fixture model.
#include "cli_run.h"
#include "tiny_clip.h"

#include "io/safetensors.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>

namespace fs = std::filesystem;

namespace {

const fs::path kClipFixture = fs::path(MODALLENS_FIXTURES_DIR) / "clip";

CliRun cli(const QStringList &args)
{
    return runCli(args);
}

QStringList toQt(const std::vector<std::string> &v)
{
    QStringList out;
    for (const auto &s : v)
        out << QString::fromStdString(s);
    return out;
}

const char *const kImages[] = {"image_astronaut_320x320.png", "image_coffee_390x260.png", "image_chelsea_200x300.png"};

} // namespace

class TestClipCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!tiny_clip::tokenizerFixturesPresent())
            QSKIP("CLIP tokenizer fixtures not found at " MODALLENS_FIXTURES_DIR "/tokenizers/clip");
        QVERIFY(m_tmp.isValid());
        m_root = fs::path(m_tmp.path().toStdString());
        m_model = (m_root / "tiny-clip").string();
        tiny_clip::write(m_model);
#ifdef MODALLENS_HAVE_MEDIA
        for (std::uint32_t i = 0; i < 2; ++i) {
            const auto path = m_root / ("image_" + std::to_string(i) + ".png");
            tiny_clip::writeImage(path, 48 + 8 * static_cast<int>(i), 40, i + 3);
            m_images.push_back(path.string());
        }
#endif
        // The golden fixture model with the tokenizer files it leaves out (see its manifest).
        if (fs::is_regular_file(kClipFixture / "expected.safetensors")) {
            m_fixtureModel = m_root / "fixture-clip";
            fs::create_directories(m_fixtureModel);
            for (const char *name : {"config.json", "model.safetensors", "preprocessor_config.json",
                     "special_tokens_map.json", "tokenizer_config.json"})
                fs::copy_file(kClipFixture / name, m_fixtureModel / name);
            for (const char *name : {"vocab.json", "merges.txt"})
                fs::copy_file(tiny_clip::kTokenizerDir / name, m_fixtureModel / name);
        }
    }

    void tokenizeMatchesGoldenIds()
    {
        if (m_fixtureModel.empty())
            QSKIP("golden fixtures not found at " MODALLENS_FIXTURES_DIR "/clip");
        const auto manifest = nlohmann::json::parse(std::ifstream(kClipFixture / "manifest.json"));
        const auto captions = manifest["inputs"]["captions"].get<std::vector<std::string>>();
        const auto r = cli(
            QStringList {"--json", "--quiet", "tokenize", "--model", QString::fromStdString(m_fixtureModel.string())}
            + toQt(captions));
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto doc = r.json();
        const auto expected = ml::io::SafetensorsFile::open(kClipFixture / "expected.safetensors");
        const auto ids = expected->tensor("input_ids");
        const auto mask = expected->tensor("attention_mask");
        QCOMPARE(doc["input_ids"].size(), captions.size());
        for (std::size_t i = 0; i < captions.size(); ++i) {
            const auto row = doc["input_ids"][i].get<std::vector<std::int64_t>>();
            const auto rowMask = doc["attention_mask"][i].get<std::vector<std::int64_t>>();
            QCOMPARE(row.size(), std::size_t(77)); // padded to the context length
            const auto n = mask[static_cast<std::int64_t>(i)].sum().item<std::int64_t>();
            for (std::int64_t j = 0; j < n; ++j)
                QCOMPARE(row[static_cast<std::size_t>(j)], ids[static_cast<std::int64_t>(i)][j].item<std::int64_t>());
            QCOMPARE(row[static_cast<std::size_t>(n - 1)], std::int64_t(49407)); // EOS
            for (std::size_t j = 0; j < 77; ++j) {
                QCOMPARE(rowMask[j], std::int64_t(j < static_cast<std::size_t>(n) ? 1 : 0));
                if (j >= static_cast<std::size_t>(n))
                    QCOMPARE(row[j], std::int64_t(49407)); // the tokenizer's pad token
            }
        }
        // Truncated to the context length with EOS kept.
        std::string longText;
        for (int i = 0; i < 100; ++i)
            longText += "word" + std::to_string(i) + " ";
        const auto t
            = cli({"--json", "tokenize", "--model", QString::fromStdString(m_model), QString::fromStdString(longText)});
        QVERIFY2(t.exitCode == 0, t.err.c_str());
        const auto row = t.json()["input_ids"][0].get<std::vector<std::int64_t>>();
        QCOMPARE(row.size(), std::size_t(77));
        QCOMPARE(row.front(), std::int64_t(49406));
        QCOMPARE(row.back(), std::int64_t(49407));
    }

    void embedTextRowsAreUnitAndWritten()
    {
        const fs::path out = m_root / "text.safetensors";
        const auto r = cli({"--json", "--quiet", "embed", "--model", QString::fromStdString(m_model), "--text",
            "a photo of a cat", "--text", "a diagram", "--text", "ünïcödé and émojis 🙂", "--out",
            QString::fromStdString(out.string())});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto rows = r.json()["embeddings"];
        QCOMPARE(rows.size(), std::size_t(3));
        const auto saved = ml::io::SafetensorsFile::open(out)->tensor("embeddings");
        QCOMPARE(saved.sizes().vec(), (std::vector<std::int64_t> {3, 16}));
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto v = rows[i].get<std::vector<float>>();
            QCOMPARE(v.size(), std::size_t(16));
            double n = 0.0;
            for (std::size_t k = 0; k < v.size(); ++k) {
                n += static_cast<double>(v[k]) * v[k];
                QCOMPARE(saved[static_cast<std::int64_t>(i)][static_cast<std::int64_t>(k)].item<float>(), v[k]);
            }
            QVERIFY(std::abs(std::sqrt(n) - 1.0) < 1e-5);
        }
    }

    // `--text A B C` (README, cli.md) is `--text A --text B --text C`: one row per value, in order;
    // the next --option ends the list; both forms mix.
    void embedTakesSeveralValuesPerOption()
    {
        const QString model = QString::fromStdString(m_model);
        const auto repeated = cli({"--json", "--quiet", "embed", "--model", model, "--text", "a photo of a cat",
            "--text", "a diagram", "--text", "a red circle"});
        QVERIFY2(repeated.exitCode == 0, repeated.err.c_str());
        const auto listed = cli({"--json", "--quiet", "embed", "--text", "a photo of a cat", "a diagram",
            "a red circle", "--model", model});
        QVERIFY2(listed.exitCode == 0, listed.err.c_str());
        QCOMPARE(listed.json(), repeated.json());
        const auto mixed = cli({"--json", "--quiet", "embed", "--model", model, "--text", "a photo of a cat",
            "a diagram", "--text", "a red circle"});
        QVERIFY2(mixed.exitCode == 0, mixed.err.c_str());
        QCOMPARE(mixed.json(), repeated.json());
        const auto reordered = cli({"--json", "--quiet", "embed", "--model", model, "--text", "a red circle",
            "a diagram", "a photo of a cat"});
        QVERIFY2(reordered.exitCode == 0, reordered.err.c_str());
        const auto rows = repeated.json()["embeddings"], back = reordered.json()["embeddings"];
        QCOMPARE(rows.size(), std::size_t(3));
        QVERIFY(rows[0] != rows[2]);
        QCOMPARE(back[0], rows[2]);
        QCOMPARE(back[1], rows[1]);
        QCOMPARE(back[2], rows[0]);

        if (m_images.empty())
            return;
        const QString a = QString::fromStdString(m_images[0]), b = QString::fromStdString(m_images[1]);
        const fs::path out = m_root / "images.safetensors";
        const auto images = cli({"--json", "--quiet", "--dtype", "fp32", "embed", "--model", model, "--image", a, b,
            "--out", QString::fromStdString(out.string())});
        QVERIFY2(images.exitCode == 0, images.err.c_str());
        const auto one = cli({"--json", "--quiet", "--dtype", "fp32", "embed", "--model", model, "--image", a});
        const auto two = cli({"--json", "--quiet", "--dtype", "fp32", "embed", "--model", model, "--image", b});
        QVERIFY2(one.exitCode == 0 && two.exitCode == 0, (one.err + two.err).c_str());
        const auto imageRows = images.json()["embeddings"];
        QCOMPARE(imageRows.size(), std::size_t(2));
        // A batch of two and two batches of one sum in other orders: equal to float rounding.
        const auto close = [](const nlohmann::json &x, const nlohmann::json &y) {
            double worst = 0.0;
            for (std::size_t k = 0; k < x.size(); ++k)
                worst = std::max(worst, std::abs(x[k].get<double>() - y[k].get<double>()));
            return x.size() == y.size() && worst < 1e-5;
        };
        QVERIFY(close(imageRows[0], one.json()["embeddings"][0]));
        QVERIFY(close(imageRows[1], two.json()["embeddings"][0]));
        QVERIFY(!close(imageRows[0], imageRows[1]));
        QCOMPARE(ml::io::SafetensorsFile::open(out)->tensor("embeddings").size(0), 2);
    }

    // A failed input is named by the path as typed: relative stays relative.
    void embedErrorNamesThePathAsTyped()
    {
        if (m_images.empty())
            QSKIP("built without media I/O");
        fs::create_directories(m_root / "sub");
        std::ofstream(m_root / "sub" / "notes.png") << "not a picture";
        const auto r = runCli({"--json", "--quiet", "embed", "--model", QString::fromStdString(m_model), "--image",
                                  QString::fromStdString(fs::path(m_images[0]).filename().string()), "--image",
                                  "sub/notes.png", "--image", "sub/gone.png"},
            300000, QString::fromStdString(m_root.string()));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("error: sub/notes.png: not a decodable image") != std::string::npos, r.err.c_str());
        QVERIFY2(r.err.find("error: sub/gone.png: no such file\n") != std::string::npos, r.err.c_str());
        const auto doc = r.json();
        QCOMPARE(doc["embeddings"].size(), std::size_t(3));
        QVERIFY(doc["embeddings"][0].is_array());
        QCOMPARE(doc["errors"].size(), std::size_t(2));
        QCOMPARE(doc["errors"][0]["input"].get<std::string>(), std::string("sub/notes.png"));
        QVERIFY(doc["errors"][0]["error"].get<std::string>().rfind("sub/notes.png: ", 0) == 0);
    }

    void classifyJsonShape()
    {
        if (m_images.empty())
            QSKIP("built without media I/O");
        const auto r = cli(QStringList {"--json", "classify", "--model", QString::fromStdString(m_model), "--labels",
                               "cat; dog ;car", "--template", "a photo of a {}.", "--template", "a {}"}
            + toQt(m_images));
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto doc = r.json();
        QVERIFY(doc.is_array());
        QCOMPARE(doc.size(), m_images.size());
        for (std::size_t i = 0; i < doc.size(); ++i) {
            const auto &entry = doc[i];
            QCOMPARE(entry.size(), std::size_t(2)); // exactly "file" and "scores"
            QCOMPARE(entry["file"].get<std::string>(), m_images[i]);
            const auto &scores = entry["scores"];
            QCOMPARE(scores.size(), std::size_t(3));
            double sum = 0.0, previous = 2.0;
            std::set<std::string> labels;
            for (const auto &s : scores) {
                QCOMPARE(s.size(), std::size_t(2)); // "label" and "prob"
                const double p = s["prob"].get<double>();
                QVERIFY(p <= previous);
                previous = p;
                sum += p;
                labels.insert(s["label"].get<std::string>());
            }
            QVERIFY(std::abs(sum - 1.0) < 1e-5);
            QCOMPARE(labels, (std::set<std::string> {"cat", "dog", "car"}));
        }
        // Without --json: a table on stdout, progress only on stderr.
        const auto human
            = cli(QStringList {"classify", "--model", QString::fromStdString(m_model), "--labels", "cat;dog"}
                + toQt(m_images));
        QCOMPARE(human.exitCode, 0);
        QVERIFY(human.out.find(m_images[0]) != std::string::npos);
        QVERIFY(human.out.find('%') != std::string::npos);
    }

    // A damaged but well-formed checkpoint (NaN and Inf weights) still loads, and says so on stderr
    // naming the folder and the weight; --quiet keeps stderr empty.
    void warnsAboutNonFiniteWeights()
    {
        if (m_images.empty())
            QSKIP("built without media I/O");
        const auto damaged = m_root / "tiny-clip-nan";
        fs::create_directories(damaged);
        for (const auto &entry : fs::directory_iterator(m_model))
            fs::copy_file(entry.path(), damaged / entry.path().filename(), fs::copy_options::overwrite_existing);
        auto tensors = ml::io::SafetensorsFile::open(fs::path(m_model) / "model.safetensors")->all();
        const std::string key = "vision_model.post_layernorm.bias";
        QVERIFY(tensors.count(key));
        auto bad = tensors[key].clone();
        bad[0] = std::numeric_limits<float>::quiet_NaN();
        bad[1] = std::numeric_limits<float>::infinity();
        tensors[key] = bad;
        ml::io::saveSafetensors(damaged / "model.safetensors", tensors);

        const QStringList args {"classify", "--model", QString::fromStdString(damaged.string()), "--labels", "cat;dog",
            QString::fromStdString(m_images[0])};
        const auto r = cli(args);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const std::string expected = "modallens-cli: warning: " + damaged.string() + ": weight '" + key
            + "' holds 1 NaN and 1 infinite value(s)";
        QVERIFY2(r.err.find(expected) != std::string::npos, r.err.c_str());
        QVERIFY2(r.out.find("nan") != std::string::npos, r.out.c_str()); // the scores show what the weights did
        const auto quiet = cli(QStringList {"--quiet"} + args);
        QCOMPARE(quiet.exitCode, 0);
        QVERIFY2(quiet.err.empty(), quiet.err.c_str());
        // The intact model says nothing.
        const auto intact = cli(QStringList {"classify", "--model", QString::fromStdString(m_model), "--labels",
            "cat;dog", QString::fromStdString(m_images[0])});
        QCOMPARE(intact.exitCode, 0);
        QVERIFY2(intact.err.find("warning") == std::string::npos, intact.err.c_str());
    }

    // A vocab.json whose ids reach past the text embeddings (another model's tokenizer) is refused at
    // load, naming the file, before any text could index out of range; so is an empty one.
    void refusesTokenizerBeyondTheEmbeddings()
    {
        if (m_images.empty())
            QSKIP("built without media I/O");
        const auto copy = [&](const char *name) {
            const auto dir = m_root / name;
            fs::create_directories(dir);
            for (const auto &entry : fs::directory_iterator(m_model))
                fs::copy_file(entry.path(), dir / entry.path().filename(), fs::copy_options::overwrite_existing);
            return dir;
        };
        const auto wide = copy("tiny-clip-wide-vocab");
        auto vocab = nlohmann::json::parse(std::ifstream(wide / "vocab.json"));
        const auto vocabSize = tiny_clip::configJson()["text_config"]["vocab_size"].get<std::int64_t>();
        vocab["zzqq</w>"] = vocabSize + 5;
        std::ofstream(wide / "vocab.json") << vocab.dump();
        const QStringList labels {"--labels", "cat;dog", QString::fromStdString(m_images[0])};
        auto r = cli(QStringList {"classify", "--model", QString::fromStdString(wide.string())} + labels);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("vocab.json: the tokenizer gives ids up to " + std::to_string(vocabSize + 5))
                != std::string::npos,
            r.err.c_str());
        const auto empty = copy("tiny-clip-empty-vocab");
        std::ofstream(empty / "vocab.json") << "{}";
        r = cli(QStringList {"classify", "--model", QString::fromStdString(empty.string())} + labels);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find((empty / "vocab.json").string() + ": holds no tokens") != std::string::npos, r.err.c_str());
    }

    void exitCodes()
    {
        const QString model = QString::fromStdString(m_model);
        // 2: bad usage.
        QCOMPARE(cli({"classify", "--model", model, "x.png"}).exitCode, 2);                        // no --labels
        QCOMPARE(cli({"classify", "--model", model, "--labels", "a;b"}).exitCode, 2);              // no image
        QCOMPARE(cli({"embed", "--model", model, "--text", "a", "--image", "b.png"}).exitCode, 2); // both
        QCOMPARE(cli({"embed", "--model", model}).exitCode, 2);                                    // neither
        QCOMPARE(cli({"tokenize", "a cat"}).exitCode, 2);                                          // no --model
        QCOMPARE(cli({"classify", "--model", model, "--labels", "a", "--template", "no slot", "x.png"}).exitCode, 2);
        QCOMPARE(cli({"models", "--nope"}).exitCode, 2);
        // 1: the job failed, stderr names the file.
        const auto missingModel = cli({"embed", "--model", "/nonexistent/model", "--text", "a"});
        QCOMPARE(missingModel.exitCode, 1);
        QVERIFY2(missingModel.err.find("/nonexistent/model") != std::string::npos, missingModel.err.c_str());
        const auto fp16 = cli({"--dtype", "fp16", "--device", "cpu", "embed", "--model", model, "--text", "a"});
        QCOMPARE(fp16.exitCode, 1);
        QVERIFY2(fp16.err.find("fp16 needs a CUDA device") != std::string::npos, fp16.err.c_str());
        if (!m_images.empty()) {
            const fs::path corrupt = m_root / "broken.jpg";
            std::ofstream(corrupt) << "\xff\xd8\xff not a jpeg at all";
            const auto r = cli({"--json", "classify", "--model", model, "--labels", "a;b",
                QString::fromStdString(m_images[0]), QString::fromStdString(corrupt.string())});
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.err.find(corrupt.string()) != std::string::npos, r.err.c_str());
            const auto doc = r.json(); // still one document, the good image classified
            QCOMPARE(doc.size(), std::size_t(2));
            QCOMPARE(doc[0]["scores"].size(), std::size_t(2));
            QVERIFY(doc[1].contains("error"));
        }
        // 0: success, and the models listing finds the tiny model.
        const auto models = cli({"--json", "models", "--dir", QString::fromStdString(m_root.string())});
        QCOMPARE(models.exitCode, 0);
        bool found = false;
        for (const auto &e : models.json())
            if (e["path"] == m_model) {
                found = true;
                QCOMPARE(e["family"].get<std::string>(), std::string("clip"));
                QVERIFY(e["parameters"].get<std::int64_t>() > 0);
                QCOMPARE(e["name"].get<std::string>(), std::string("tiny-clip"));
            }
        QVERIFY(found);
    }

    void embedImagesMatchesReference()
    {
        if (m_fixtureModel.empty())
            QSKIP("golden fixtures not found at " MODALLENS_FIXTURES_DIR "/clip");
        if (m_images.empty())
            QSKIP("built without media I/O");
        QStringList args {"--json", "--quiet", "--dtype", "fp32", "embed", "--model",
            QString::fromStdString(m_fixtureModel.string())};
        for (const char *name : kImages)
            args << "--image" << QString::fromStdString((kClipFixture / name).string());
        const auto r = cli(args);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto rows = r.json()["embeddings"];
        const auto expected
            = ml::io::SafetensorsFile::open(kClipFixture / "expected.safetensors")->tensor("image_embeds");
        QCOMPARE(rows.size(), std::size_t(3));
        double worst = 0.0;
        for (std::int64_t i = 0; i < 3; ++i) {
            const auto row = rows[static_cast<std::size_t>(i)].get<std::vector<float>>();
            QCOMPARE(static_cast<std::int64_t>(row.size()), expected.size(1));
            for (std::int64_t k = 0; k < expected.size(1); ++k) {
                const double e = expected[i][k].item<double>();
                const double diff = std::abs(row[static_cast<std::size_t>(k)] - e);
                worst = std::max(worst, diff);
                QVERIFY2(diff <= 2e-5 + 1e-4 * std::abs(e),
                    qPrintable(
                        QString("image %1 [%2]: %3 vs %4").arg(i).arg(k).arg(row[static_cast<std::size_t>(k)]).arg(e)));
            }
        }
        qInfo("image_embeds max |diff| %.3g (atol 2e-5)", worst);

        // The captions, too (the reference padded them to the longest; the pooled EOS is the same).
        const auto manifest = nlohmann::json::parse(std::ifstream(kClipFixture / "manifest.json"));
        QStringList textArgs {"--json", "--quiet", "--dtype", "fp32", "embed", "--model",
            QString::fromStdString(m_fixtureModel.string())};
        for (const auto &c : manifest["inputs"]["captions"])
            textArgs << "--text" << QString::fromStdString(c.get<std::string>());
        const auto t = cli(textArgs);
        QVERIFY2(t.exitCode == 0, t.err.c_str());
        const auto textExpected
            = ml::io::SafetensorsFile::open(kClipFixture / "expected.safetensors")->tensor("text_embeds");
        const auto textRows = t.json()["embeddings"];
        worst = 0.0;
        for (std::int64_t i = 0; i < textExpected.size(0); ++i) {
            const auto row = textRows[static_cast<std::size_t>(i)].get<std::vector<float>>();
            for (std::int64_t k = 0; k < textExpected.size(1); ++k) {
                const double e = textExpected[i][k].item<double>();
                const double diff = std::abs(row[static_cast<std::size_t>(k)] - e);
                worst = std::max(worst, diff);
                QVERIFY(diff <= 2e-5 + 1e-4 * std::abs(e));
            }
        }
        qInfo("text_embeds max |diff| %.3g (atol 2e-5)", worst);
    }

private:
    QTemporaryDir m_tmp;
    fs::path m_root;
    std::string m_model;
    fs::path m_fixtureModel;
    std::vector<std::string> m_images;
};

QTEST_GUILESS_MAIN(TestClipCli)
#include "test_clip_cli.moc"
