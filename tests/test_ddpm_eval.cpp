// `modallens-cli eval ddpm`: the JSON report on the golden fixture model (fields, per-class counts
// summing to the samples, shares in [0, 1], the grid PNG, determinism), the real-image anchor on
// ddpm-mini (clip-mini recognises real Fashion-MNIST test images), and bad models named.
#include "cli_run.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cstdint>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

const fs::path kDdpmDir = fs::path(MODALLENS_FIXTURES_DIR) / "ddpm";
const fs::path kFashionMnist = "/usr/share/datasets/fashion-mnist";

std::pair<int, int> pngSize(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    unsigned char header[24] = {};
    in.read(reinterpret_cast<char *>(header), sizeof header);
    if (!in || header[1] != 'P' || header[2] != 'N' || header[3] != 'G')
        return {0, 0};
    auto be32 = [&](int at) {
        return int(header[at]) << 24 | int(header[at + 1]) << 16 | int(header[at + 2]) << 8 | int(header[at + 3]);
    };
    return {be32(16), be32(20)};
}

// The checks every report passes: per_class counts sum to the images, confident counts sum to
// share_confident x images, shares and probabilities in range.
void checkScores(const nlohmann::json &s, int images, double threshold)
{
    QCOMPARE(int(s["per_class"].size()), 10);
    int counted = 0, confident = 0;
    for (const auto &c : s["per_class"]) {
        QVERIFY(c["confident"].get<int>() <= c["count"].get<int>());
        counted += c["count"].get<int>();
        confident += c["confident"].get<int>();
    }
    QCOMPARE(counted, images);
    const double share = s["share_confident"].get<double>();
    QVERIFY(share >= 0.0 && share <= 1.0);
    QCOMPARE(share, double(confident) / images);
    const double meanMax = s["mean_max_prob"].get<double>();
    QVERIFY2(meanMax >= 0.1 - 1e-6 && meanMax <= 1.0, qPrintable(QString::number(meanMax))); // >= 1 / 10 classes
    if (share == 1.0)
        QVERIFY(meanMax >= threshold);
}

} // namespace

class TestDdpmEval : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QString tmp(const QString &name) const { return m_tmp.path() + "/" + name; }

private Q_SLOTS:
    void reportOnGoldenModel()
    {
        if (!fs::exists(kDdpmDir / "diffusion_pytorch_model.safetensors"))
            QSKIP("the golden ddpm fixtures are absent");
        const QStringList args {"--json", "--threads", "1", "eval", "ddpm", "--model",
            QString::fromStdString(kDdpmDir.string()), "--scheduler", "ddim", "--steps", "2", "--samples", "8",
            "--batch", "3", "--seed", "5", "--no-reference", "--grid", tmp("grid.png")};
        const auto r = runCli(args);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        for (const char *key : {"samples", "share_confident", "threshold", "per_class", "mean_max_prob", "seconds",
                 "sampling_seconds", "model", "classifier", "scheduler", "steps", "seed", "reference", "grid"})
            QVERIFY2(j.contains(key), key);
        QCOMPARE(j["samples"].get<int>(), 8);
        QCOMPARE(j["threshold"].get<double>(), 0.5);
        QCOMPARE(j["classifier"].get<std::string>(), std::string("clip-mini"));
        QCOMPARE(j["steps"].get<int>(), 2);
        QVERIFY(j["reference"].is_null());
        QCOMPARE(j["crop"].get<int>(), 0); // 16 x 16 samples: nothing to crop
        QVERIFY(j["seconds"].get<double>() >= j["sampling_seconds"].get<double>());
        checkScores(j, 8, 0.5);
        // 8 samples of 16 x 16, enlarged twice: a 3 x 3 grid of 32-pixel cells, 2-pixel gaps.
        QCOMPARE(pngSize(tmp("grid.png").toStdString()), std::make_pair(104, 104));

        // The same seed gives the same samples, so the same figures (batches seeded 5, 6, 7).
        const auto again = runCli(args);
        QVERIFY2(again.exitCode == 0, again.err.c_str());
        QCOMPARE(again.json()["per_class"], j["per_class"]);
        QCOMPARE(again.json()["mean_max_prob"].get<double>(), j["mean_max_prob"].get<double>());

        // A threshold of 1 leaves (almost) nothing confident; the table form names the figure.
        const auto strict
            = runCli({"--threads", "1", "eval", "ddpm", "--model", QString::fromStdString(kDdpmDir.string()),
                "--scheduler", "ddim", "--steps", "2", "--samples", "4", "--threshold", "1", "--no-reference"});
        QVERIFY2(strict.exitCode == 0, strict.err.c_str());
        QVERIFY2(strict.out.find("confident (p >= 1.00)") != std::string::npos, strict.out.c_str());
        QVERIFY(strict.err.find("smaller than Fashion-MNIST") == std::string::npos); // --no-reference: no warning
    }

    // The anchor: real test images, padded like the trainer's and cropped back, are recognised.
    void referenceOnDdpmMini()
    {
        if (!fs::exists(kFashionMnist / "t10k-images-idx3-ubyte.gz"))
            QSKIP("Debian's dataset-fashion-mnist is not installed");
        const auto r = runCli({"--json", "--threads", "1", "eval", "ddpm", "--model", "ddpm-mini", "--scheduler",
            "ddim", "--steps", "2", "--samples", "4", "--reference", "128"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QCOMPARE(j["sample_size"], nlohmann::json({1, 32, 32}));
        QCOMPARE(j["crop"].get<int>(), 28);
        checkScores(j, 4, 0.5);
        const auto &ref = j["reference"];
        QCOMPARE(ref["images"].get<int>(), 128);
        checkScores(ref, 128, 0.5);
        // clip-mini's Fashion-MNIST accuracy is 86 % (its README); the same images here: >= 75 %.
        QVERIFY2(ref["accuracy"].get<double>() >= 0.75, ref.dump().c_str());
        QVERIFY2(ref["share_confident"].get<double>() >= 0.75, ref.dump().c_str());

        // Without the crop the garments are smaller than clip-mini saw them: a different figure.
        const auto whole = runCli({"--json", "--threads", "1", "eval", "ddpm", "--model", "ddpm-mini", "--scheduler",
            "ddim", "--steps", "1", "--samples", "1", "--reference", "128", "--crop", "0"});
        QVERIFY2(whole.exitCode == 0, whole.err.c_str());
        QCOMPARE(whole.json()["crop"].get<int>(), 0);
        QVERIFY(whole.json()["reference"]["accuracy"].get<double>() != ref["accuracy"].get<double>());
    }

    void badInputIsNamed()
    {
        const QString missing = tmp("no_such_model");
        const auto bad = runCli({"--threads", "1", "eval", "ddpm", "--model", missing, "--samples", "2"});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.find("no_such_model") != std::string::npos, bad.err.c_str());

        if (fs::exists(kDdpmDir / "diffusion_pytorch_model.safetensors")) {
            // A DDPM given as the classifier: refused before any sampling, naming the folder.
            const auto notClip = runCli({"--threads", "1", "eval", "ddpm", "--model",
                QString::fromStdString(kDdpmDir.string()), "--classifier", QString::fromStdString(kDdpmDir.string()),
                "--samples", "2", "--steps", "2", "--scheduler", "ddim"});
            QCOMPARE(notClip.exitCode, 1);
            QVERIFY2(notClip.err.find("ddpm") != std::string::npos, notClip.err.c_str());
            QVERIFY2(notClip.err.find("sampling") == std::string::npos, notClip.err.c_str());
        }
        QCOMPARE(runCli({"eval", "ddpm"}).exitCode, 2);
        QCOMPARE(runCli({"eval", "ddpm", "--model", "ddpm-mini", "--scheduler", "euler"}).exitCode, 2);
        QCOMPARE(runCli({"eval", "ddpm", "--model", "ddpm-mini", "--threshold", "0"}).exitCode, 2);
        QCOMPARE(runCli({"eval", "ddpm", "--model", "ddpm-mini", "--reference", "4", "--no-reference"}).exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestDdpmEval)
#include "test_ddpm_eval.moc"
