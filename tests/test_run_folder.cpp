// Reading a run folder back (core/train/run_folder): a real tiny CLIP run's trainer_state.json and
// metrics.jsonl, hand-written DDPM and broken files; bad lines are named by file and line, missing
// or foreign files are errors naming the file, nothing throws past them.
#include "cli_common.h"
#include "common/error.h"
#include "engine/clip_train_service.h"
#include "engine/train_partials.h"
#include "engine/train_types.h"
#include "train/run_folder.h"
#include "train_recorder.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;
using namespace ml::train;

namespace {

void writeFile(const fs::path &path, const std::string &text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// The message of the ml::Error that f throws; "" if it throws none.
template<class F> std::string errorOf(F f)
{
    try {
        f();
    } catch (const ml::Error &e) {
        return e.what();
    }
    return {};
}

// Counts the partial results by kind, as the trainers name them.
struct KindCounter : TrainRecorder {
    std::map<std::string, int> kinds;
    void onPartial(ml::JobId id, const ml::PartialResult &r) override
    {
        ++kinds[r.kind];
        TrainRecorder::onPartial(id, r);
    }
};

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class TestRunFolder : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void realClipRun();
    void ddpmState();
    void badLinesAreNamed();
    void missingAndForeignFiles();
    void notAMetricsFile();
    void cliResumeChecksTheFolder();

private:
    fs::path tmp() const { return fs::path(m_tmp.path().toStdString()); }
    QTemporaryDir m_tmp;
};

void TestRunFolder::realClipRun()
{
    const fs::path run = tmp() / "clip-run";
    ml::ClipTrainRequest req;
    req.preset = "tiny";
    req.outDir = run.string();
    req.dtype = "fp32";
    req.steps = 6;
    req.logEvery = 2;
    req.evalEvery = 0;
    req.evalShapesPerClass = 1;
    req.evalFashion = 10;
    req.seed = 3;
    KindCounter recorder;
    ml::JobContext ctx(1, &recorder, recorder.cancel);
    const auto result = std::any_cast<ml::ClipTrainResult>(ml::makeClipTrainJob(req).run(ctx));
    QCOMPARE(result.steps, std::int64_t(6));
    QVERIFY(!recorder.checkpoints.empty());
    // The partials come under the kinds the Training panel listens for, and under no others.
    QCOMPARE(recorder.kinds[ml::kTrainMetricPartial], int(recorder.metrics.size()));
    QCOMPARE(recorder.kinds[ml::kTrainCheckpointPartial], int(recorder.checkpoints.size()));
    QCOMPARE(recorder.kinds[ml::kTrainSamplesPartial], 1); // the evaluation at the end
    QCOMPARE(recorder.kinds.size(), std::size_t(3));

    QVERIFY(holdsRunState(run));
    const RunState s = readRunState(run);
    QCOMPARE(int(s.kind), int(RunKind::Clip));
    QCOMPARE(s.step, std::int64_t(6));
    QCOMPARE(s.totalSteps, std::int64_t(6));
    QCOMPARE(s.steps, std::int64_t(6));
    QCOMPARE(s.preset, std::string("tiny"));
    QCOMPARE(s.seed, std::int64_t(3));
    QVERIFY(s.batch > 1);
    QVERIFY(s.lr > 0.0);
    QCOMPARE(s.evalEvery, std::int64_t(0));
    QVERIFY(std::abs(s.mixFashion + s.mixSingle + s.mixMulti - 1.0) < 1e-6);
    QVERIFY(s.blockOutChannels.empty());
    QCOMPARE(checkpointKind(run), std::optional<RunKind>(RunKind::Clip));
    QCOMPARE(std::string(runKindName(s.kind)), std::string("clip"));

    // Every metric the job streamed is a line of metrics.jsonl, with the same step and loss.
    QCOMPARE(metricsFileOf(run), run / kMetricsFile);
    const Metrics m = readMetrics(metricsFileOf(run));
    QVERIFY2(m.problems.empty(), m.problems.empty() ? "" : m.problems.front().c_str());
    QCOMPARE(m.points.size(), recorder.metrics.size());
    for (std::size_t i = 0; i < m.points.size(); ++i) {
        QCOMPARE(m.points[i].step, recorder.metrics[i].step);
        QVERIFY(m.points[i].value("loss").has_value());
        QVERIFY(std::abs(*m.points[i].value("loss") - recorder.metrics[i].loss) < 1e-4);
    }
    QCOMPARE(m.lastStep, std::int64_t(6));
    QVERIFY(m.points.back().value("shapes_acc").has_value()); // the evaluation at the end
    // The curve up to a step, as a resume keeps it.
    const Metrics upTo = readMetrics(run / kMetricsFile, 2);
    QVERIFY(!upTo.points.empty());
    QVERIFY(upTo.points.size() < m.points.size());
    QCOMPARE(upTo.lastStep, std::int64_t(2));
}

void TestRunFolder::ddpmState()
{
    const fs::path run = tmp() / "ddpm-run";
    writeFile(run / kTrainerStateFile,
        std::string(R"({"format": ")") + kDdpmStateFormat + R"(", "step": 40, "total_steps": 60,
        "config": {"preset": "tiny", "steps": 60, "batch": 16, "lr": 0.001, "seed": 7, "eval_every": 10,
        "checkpoint_every": 0, "block_out_channels": [16, 32], "layers_per_block": 1}})");
    const RunState s = readRunState(run);
    QCOMPARE(int(s.kind), int(RunKind::Ddpm));
    QCOMPARE(s.step, std::int64_t(40));
    QCOMPARE(s.totalSteps, std::int64_t(60));
    QCOMPARE(s.batch, std::int64_t(16));
    QCOMPARE(s.evalEvery, std::int64_t(10));
    QCOMPARE(s.blockOutChannels, (std::vector<std::int64_t> {16, 32}));
    QCOMPARE(s.layersPerBlock, std::int64_t(1));
    QVERIFY(!checkpointKind(run)); // no weights yet
    writeFile(run / "config.json", "{}");
    writeFile(run / kDdpmWeightsFile, "x");
    QCOMPARE(checkpointKind(run), std::optional<RunKind>(RunKind::Ddpm));
}

void TestRunFolder::badLinesAreNamed()
{
    const fs::path file = tmp() / "broken" / kMetricsFile;
    writeFile(file,
        "{\"step\": 1, \"loss\": 2.5, \"lr\": 0.001}\n"
        "garbage that is not json\n"
        "\n"
        "{\"loss\": 1.0}\n"
        "{\"step\": 3, \"loss\": 2.0, \"note\": \"text is skipped\"}\n"
        "[1, 2]\n"
        "{\"step\": 5, \"lo");
    const Metrics m = readMetrics(file);
    QCOMPARE(m.points.size(), std::size_t(2));
    QCOMPARE(m.points[1].step, std::int64_t(3));
    QCOMPARE(*m.points[1].value("loss"), 2.0);
    QVERIFY(!m.points[1].value("note"));
    QCOMPARE(m.lastStep, std::int64_t(3));
    QCOMPARE(m.problems.size(), std::size_t(4));
    const std::string path = file.string();
    QVERIFY2(contains(m.problems[0], path + ":2: not a JSON object"), m.problems[0].c_str());
    QVERIFY2(contains(m.problems[1], path + ":4: no \"step\""), m.problems[1].c_str());
    QVERIFY2(contains(m.problems[2], path + ":6: not a JSON object"), m.problems[2].c_str());
    QVERIFY2(contains(m.problems[3], path + ":7: cut short"), m.problems[3].c_str());
}

void TestRunFolder::missingAndForeignFiles()
{
    const fs::path empty = tmp() / "empty";
    fs::create_directories(empty);
    QVERIFY(!holdsRunState(empty));
    QVERIFY(!checkpointKind(empty));
    std::string e = errorOf([&] { readRunState(empty); });
    QVERIFY2(contains(e, empty.string()) && contains(e, kTrainerStateFile), e.c_str());
    e = errorOf([&] { readMetrics(empty / kMetricsFile); });
    QVERIFY2(contains(e, (empty / kMetricsFile).string()) && contains(e, "cannot be read"), e.c_str());
    e = errorOf([&] { readRunState(tmp() / "no-such-folder"); });
    QVERIFY2(contains(e, "no-such-folder"), e.c_str());

    writeFile(empty / kTrainerStateFile, "{\"format\": \"someone.else.v3\", \"step\": 2}");
    e = errorOf([&] { readRunState(empty); });
    QVERIFY2(contains(e, (empty / kTrainerStateFile).string()) && contains(e, "someone.else.v3"), e.c_str());
    writeFile(empty / kTrainerStateFile, "{\"format\": \"modallens.trainer_state.v1\", \"st");
    e = errorOf([&] { readRunState(empty); });
    QVERIFY2(contains(e, (empty / kTrainerStateFile).string()) && contains(e, "not JSON"), e.c_str());
}

void TestRunFolder::notAMetricsFile()
{
    const fs::path file = tmp() / "notes.txt";
    writeFile(file, "one\ntwo\nthree\n");
    const std::string e = errorOf([&] { readMetrics(file); });
    QVERIFY2(contains(e, file.string()) && contains(e, "not a metrics file"), e.c_str());
    QCOMPARE(metricsFileOf(file), file);
    // One half-written line (a run that just started) is no error: no points yet.
    const fs::path fresh = tmp() / "fresh" / kMetricsFile;
    writeFile(fresh, "{\"step\": 5, \"lo");
    const Metrics m = readMetrics(fresh);
    QVERIFY(m.points.empty());
    QCOMPARE(m.problems.size(), std::size_t(1));
}

// `train clip|ddpm --resume` reads the folder through run_folder before any training starts.
void TestRunFolder::cliResumeChecksTheFolder()
{
    const auto resume = [](const char *command, const fs::path &out) {
        for (auto &c : ml::cli::trainCommands())
            if (c.name == command) {
                ml::cli::Context ctx {{}, ml::cli::Args({}, {{"out", out.string()}}, {"resume"})};
                ctx.global.quiet = true;
                return errorOf([&] { c.run(ctx); });
            }
        return std::string("no such command");
    };
    const fs::path clipRun = tmp() / "cli-clip-run";
    writeFile(clipRun / kTrainerStateFile,
        std::string(R"({"format": ")") + kClipStateFormat + R"(", "step": 5, "config": {"steps": 5}})");
    std::string e = resume("train ddpm", clipRun);
    QVERIFY2(contains(e, clipRun.string()) && contains(e, "CLIP run") && contains(e, "train clip --resume"), e.c_str());
    const fs::path none = tmp() / "cli-nothing";
    fs::create_directories(none);
    e = resume("train clip", none);
    QVERIFY2(contains(e, none.string()) && contains(e, kTrainerStateFile), e.c_str());
    QVERIFY(!fs::exists(none / kMetricsFile)); // nothing started
}

QTEST_GUILESS_MAIN(TestRunFolder)
#include "test_run_folder.moc"
