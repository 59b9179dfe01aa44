// The Training panel, offscreen: bad settings are refused in the panel; a "tiny" CLIP run streams
// curves and held-out samples, pauses and resumes, stops with a checkpoint and is continued to the
// end; a second run is overlaid from its metrics.jsonl (and follows the file as it grows); the log
// scale toggles; the checkpoint opens in the Classify panel's model picker. Then DDPM: the form
// switches model, a "tiny" run streams its loss and generated samples, pauses, stops with a
// diffusers checkpoint that opens in the Diffusion panel, and is detected and continued as DDPM.
// A fresh profile starts on tiny; Start asks first before a run estimated at over 10 minutes; the
// panel's time left and the status bar's come from one estimate; the status bar says "paused".
#include "classify/classify_panel.h"
#include "common/engine_bridge.h"
#include "common/format.h"
#include "common/model_picker.h"
#include "engine/train_presets.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "training/sample_grid.h"
#include "training/training_panel.h"
#include "training/training_status.h"

#include <ATen/Parallel.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QScopeGuard>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <memory>

namespace {

constexpr int kJobTimeoutMs = 120000;
constexpr int kSteps = 40;
constexpr int kEvalEvery = 10;

// metrics.jsonl lines that hold `key`.
int linesWith(const QString &metricsFile, const char *key)
{
    QFile file(metricsFile);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    int n = 0;
    while (!file.atEnd()) {
        const QJsonObject line = QJsonDocument::fromJson(file.readLine()).object();
        n += line.contains(QLatin1String(key)) ? 1 : 0;
    }
    return n;
}

// The spread of an image's grey levels: 0 for a flat image.
int greySpread(const QImage &image)
{
    int lo = 255, hi = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
            const int g = qGray(image.pixel(x, y));
            lo = std::min(lo, g);
            hi = std::max(hi, g);
        }
    return hi - lo;
}

qint64 stateStep(const QString &folder)
{
    QFile file(folder + QStringLiteral("/trainer_state.json"));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("step")).toInteger();
}

} // namespace

class TestTrainingPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void presetFillsTheForm();
    void rejectsBadSettings_data();
    void rejectsBadSettings();
    void asksBeforeLongRun(); // after rejectsBadSettings: "continue" would pick its run up
    void trainsPausesAndStops();
    void continuesTheRun();
    void cancelFromStatusBar();
    void overlaysLoadedRun();
    void logScaleToggle();
    void opensCheckpointInClassify();
    void ddpmPresetFillsTheForm();
    void ddpmRejectsBadSettings();
    void ddpmTrainsPausesAndStops();
    void ddpmContinuesTheRun();

private:
    void useTiny(const QString &folder);
    void useDdpmTiny(const QString &folder);
    static bool haveFashionMnist() { return ml::fashionMnistAvailable(ml::fashionMnistDefaultFolder()); }

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    TrainingPanel *m_panel = nullptr;
    QString m_run; // the live run's folder
    qint64 m_stoppedAt = 0;
    QString m_ddpmRun;
    qint64 m_ddpmStoppedAt = 0;
};

void TestTrainingPanel::initTestCase()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_training_panel"));
    m_run = m_tmp->path() + QStringLiteral("/runs/live");
    m_ddpmRun = m_tmp->path() + QStringLiteral("/runs/ddpm-live");

    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1400, 900));
    QVERIFY(m_window);
    // One intra-op thread (the engine takes every core): two OpenMP threads that spin at each
    // barrier crawl when the cores are shared, as they are under ctest -j.
    at::set_num_threads(1);
    m_panel = m_window->trainingPanel();
    QVERIFY(m_panel);
    QCOMPARE(m_panel->windowTitle(), QStringLiteral("Training"));
}

void TestTrainingPanel::cleanupTestCase()
{
    m_window.reset();
}

void TestTrainingPanel::useTiny(const QString &folder)
{
    m_panel->resumeCheck()->setChecked(false);
    m_panel->presetCombo()->setCurrentIndex(m_panel->presetCombo()->findData(QStringLiteral("tiny")));
    m_panel->stepsSpin()->setValue(kSteps);
    m_panel->evalEverySpin()->setValue(kEvalEvery);
    m_panel->seedSpin()->setValue(7);
    m_panel->runFolderEdit()->setText(folder);
}

void TestTrainingPanel::presetFillsTheForm()
{
    QComboBox *preset = m_panel->presetCombo();
    // A fresh profile starts on the preset that trains in a minute or two, for either model.
    QCOMPARE(preset->currentData().toString(), QStringLiteral("tiny"));
    QCOMPARE(m_panel->stepsSpin()->value(), 150);
    preset->setCurrentIndex(preset->findData(QStringLiteral("mini")));
    QCOMPARE(m_panel->stepsSpin()->value(), 3000);
    QCOMPARE(m_panel->batchSpin()->value(), 128);
    QVERIFY(m_panel->runFolderEdit()->text().contains(QStringLiteral("clip-mini-")));
    preset->setCurrentIndex(preset->findData(QStringLiteral("tiny")));
    QCOMPARE(m_panel->stepsSpin()->value(), 150);
    QCOMPARE(m_panel->batchSpin()->value(), 32);
    QCOMPARE(m_panel->evalEverySpin()->value(), 50);
    QCOMPARE(m_panel->mixSpin(0)->value() + m_panel->mixSpin(1)->value() + m_panel->mixSpin(2)->value(), 100);
    // A fresh folder under the app's data folder, renamed with the preset.
    const QString folder = QDir::fromNativeSeparators(m_panel->runFolderEdit()->text());
    QVERIFY2(folder.startsWith(TrainingPanel::runsRoot() + QStringLiteral("/clip-tiny-")), qPrintable(folder));
    QVERIFY(!QFileInfo::exists(folder));
    QVERIFY(!m_panel->stopButton()->isEnabled());
    QVERIFY(!m_panel->pauseButton()->isEnabled());
    QVERIFY(m_panel->startButton()->isEnabled());
}

void TestTrainingPanel::asksBeforeLongRun()
{
    QComboBox *preset = m_panel->presetCombo();
    preset->setCurrentIndex(preset->findData(QStringLiteral("mini")));
    const double seconds = m_panel->estimatedSeconds();
    QVERIFY2(seconds > kAskBeforeRunSeconds, qPrintable(QString::number(seconds)));
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);
    m_panel->startButton()->click();
    QMessageBox *box = m_panel->longRunQuestion();
    QVERIFY(box);
    QTRY_VERIFY(box->isVisible());
    QVERIFY2(box->text().contains(QStringLiteral("mini")), qPrintable(box->text()));
    QVERIFY2(box->text().contains(QLocale().toString(3000)), qPrintable(box->text()));
    QVERIFY2(box->text().contains(formatRoughDuration(seconds)), qPrintable(box->text()));
    QVERIFY(!m_panel->isRunning()); // nothing starts before the answer
    box->button(QMessageBox::No)->click();
    QTRY_VERIFY(!m_panel->longRunQuestion()); // closed and gone
    QVERIFY(!m_panel->isRunning());
    QTest::qWait(50);
    for (const QList<QVariant> &args : std::as_const(started))
        QVERIFY(!args.at(1).toString().startsWith(QStringLiteral("Train")));

    // tiny starts at once; a short run to its end.
    preset->setCurrentIndex(preset->findData(QStringLiteral("tiny")));
    QVERIFY(m_panel->estimatedSeconds() >= 0 && m_panel->estimatedSeconds() < kAskBeforeRunSeconds);
    const QString folder = m_tmp->path() + QStringLiteral("/runs/clicked");
    useTiny(folder);
    m_panel->stepsSpin()->setValue(2);
    m_panel->evalEverySpin()->setValue(0);
    m_panel->startButton()->click();
    QVERIFY(!m_panel->longRunQuestion());
    QVERIFY2(m_panel->isRunning(), qPrintable(m_panel->message()));
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QCOMPARE(m_panel->stateText(), QStringLiteral("Finished"));
    // The held-out accuracy with the number of images behind each figure (600 Shapes, 100 of them
    // of the held-out pairs): a figure from a handful of images swung 60 points.
    const QString summary = m_panel->statusSummary();
    QVERIFY2(summary.contains(QStringLiteral("of %1").arg(QLocale().toString(600))), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("held-out pairs")) && summary.contains(QStringLiteral("of 100")),
        qPrintable(summary));
    while (m_panel->runCount() > 0)
        m_panel->removeRun(0);
}

void TestTrainingPanel::rejectsBadSettings_data()
{
    QTest::addColumn<int>("steps");
    QTest::addColumn<QString>("lr");
    QTest::addColumn<QString>("folder"); // relative to the temporary folder
    QTest::addColumn<bool>("resume");
    QTest::addColumn<QString>("expected"); // in the message

    QTest::newRow("no steps") << 0 << "0.002"
                              << "runs/a" << false << "Steps must be at least 1";
    QTest::newRow("bad learning rate") << 10 << "fast"
                                       << "runs/b" << false << "learning rate";
    QTest::newRow("zero learning rate") << 10 << "0"
                                        << "runs/c" << false << "learning rate";
    QTest::newRow("folder under a file") << 10 << "0.002"
                                         << "a-file/run" << false << "Cannot create the run folder";
    QTest::newRow("folder is a file") << 10 << "0.002"
                                      << "a-file" << false << "is a file";
    QTest::newRow("holds a run") << 10 << "0.002"
                                 << "old-run" << false << "already holds a training run";
    QTest::newRow("nothing to resume") << 10 << "0.002"
                                       << "runs/d" << true << "no training run to continue";
    QTest::newRow("resume to fewer steps") << 3 << "0.002"
                                           << "old-run" << true << "already did 5 steps";
}

void TestTrainingPanel::rejectsBadSettings()
{
    QFETCH(int, steps);
    QFETCH(QString, lr);
    QFETCH(QString, folder);
    QFETCH(bool, resume);
    QFETCH(QString, expected);

    QFile file(m_tmp->path() + QStringLiteral("/a-file"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    const QString oldRun = m_tmp->path() + QStringLiteral("/old-run");
    QVERIFY(QDir().mkpath(oldRun));
    QFile state(oldRun + QStringLiteral("/trainer_state.json"));
    QVERIFY(state.open(QIODevice::WriteOnly));
    state.write(R"({"format": "modallens.trainer_state.v1", "step": 5, "total_steps": 5,
        "config": {"preset": "tiny", "steps": 5, "batch": 32, "lr": 0.002, "seed": 1}})");
    state.close();

    const QString path = m_tmp->path() + QLatin1Char('/') + folder;
    const bool existed = QFileInfo::exists(path);
    useTiny(path);
    m_panel->resumeCheck()->setChecked(resume);
    m_panel->stepsSpin()->setValue(steps);
    if (!resume)
        m_panel->learningRateEdit()->setText(lr);
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);

    QCOMPARE(m_panel->start(), quint64(0));
    QVERIFY(m_panel->messageIsError());
    QVERIFY2(m_panel->message().contains(expected), qPrintable(m_panel->message()));
    QVERIFY(!m_panel->isRunning());
    QVERIFY(m_panel->startButton()->isEnabled());
    QCOMPARE(QFileInfo::exists(path), existed); // nothing made
    QTest::qWait(50);
    // Only training jobs count: the Classify panel's model picker may search on the I/O lane meanwhile.
    int trainingJobs = 0;
    for (const QList<QVariant> &args : std::as_const(started))
        trainingJobs += args.at(1).toString().startsWith(QStringLiteral("Train CLIP")) ? 1 : 0;
    QCOMPARE(trainingJobs, 0);
    m_panel->resumeCheck()->setChecked(false);
}

void TestTrainingPanel::trainsPausesAndStops()
{
    useTiny(m_run);
    QCOMPARE(m_panel->runCount(), 0);
    // Pause as soon as the first held-out samples arrive, so the run is still mid-way.
    bool pauseOnSamples = true;
    const auto pauser = connect(
        m_window->bridge(), &EngineBridge::partial, m_panel, [&](quint64, const QString &kind, const QVariant &) {
            if (kind == QLatin1String("samples") && pauseOnSamples && !m_panel->isPauseRequested()) {
                pauseOnSamples = false;
                m_panel->togglePause();
            }
        });
    const auto cleanup = qScopeGuard([pauser] { QObject::disconnect(pauser); });

    QSignalSpy progress(m_window->bridge(), &EngineBridge::progress);
    const quint64 job = m_panel->start();
    QVERIFY2(job != 0, qPrintable(m_panel->message()));
    QVERIFY(m_panel->isRunning());
    QVERIFY(!m_panel->startButton()->isEnabled());
    QVERIFY(m_panel->stopButton()->isEnabled());
    QVERIFY(!m_panel->stepsSpin()->isEnabled()); // the form is locked while it runs
    QCOMPARE(m_panel->tabs()->currentIndex(), int(TrainingPanel::CurvesTab));
    QCOMPARE(m_panel->runCount(), 1);
    QCOMPARE(m_panel->totalSteps(), qint64(kSteps));

    QTRY_VERIFY_WITH_TIMEOUT(m_panel->isPaused(), kJobTimeoutMs);
    QCOMPARE(m_panel->stateText(), QStringLiteral("Paused"));
    QCOMPARE(m_panel->pauseButton()->text(), QStringLiteral("Resume"));
    QTest::qWait(200); // progress reported before the pause, still queued
    const qint64 pausedAt = m_panel->currentStep();
    QVERIFY2(pausedAt >= kEvalEvery && pausedAt < kSteps, qPrintable(QString::number(pausedAt)));
    QTest::qWait(300);
    QVERIFY(m_panel->isPaused());
    QCOMPARE(m_panel->currentStep(), pausedAt);
    // The status bar says so; the time left is the job's one estimate, as the status bar had it.
    QVERIFY2(m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text().contains(QStringLiteral("paused")),
        qPrintable(m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text()));
    double eta = -1.0;
    for (const QList<QVariant> &args : std::as_const(progress))
        if (args.at(0).toULongLong() == job && args.at(2).toLongLong() > 0)
            eta = args.at(4).toDouble();
    QVERIFY(eta >= 0.0);
    QVERIFY2(m_panel->statusSummary().contains(QStringLiteral("Left ") + formatDuration(eta)),
        qPrintable(m_panel->statusSummary()));

    // Curves: loss, learning rate and temperature every 5 steps, accuracy at step 10.
    QVERIFY(m_panel->plotPointCount(TrainingPanel::LossPlot, 0) >= 2);
    QVERIFY(m_panel->plotPointCount(TrainingPanel::LearningRatePlot, 0) >= 2);
    QVERIFY(m_panel->plotPointCount(TrainingPanel::TemperaturePlot, 0) >= 2);
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::AccuracyPlot, 0, 0), 1); // Shapes
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::AccuracyPlot, 0, 1), 1); // held-out pairs
    QCOMPARE(m_panel->plotGraphCount(TrainingPanel::LossPlot), 1);

    // The sample grid: held-out images with true and predicted labels.
    const SampleGrid *grid = m_panel->sampleGrid();
    QCOMPARE(grid->step(), qint64(kEvalEvery));
    QVERIFY2(grid->samples().size() >= 6, qPrintable(QString::number(grid->samples().size())));
    for (const SampleGrid::Sample &s : grid->samples()) {
        QCOMPARE(s.image.size(), QSize(64, 64));
        QVERIFY(!s.trueLabel.isEmpty());
        QVERIFY(!s.predictedLabel.isEmpty());
        QVERIFY(s.prob > 0.0 && s.prob <= 1.0);
    }
    QVERIFY(m_panel->statusSummary().contains(QStringLiteral("%1 / %2").arg(pausedAt).arg(kSteps)));

    // Resume: it carries on.
    m_panel->togglePause();
    QCOMPARE(m_panel->pauseButton()->text(), QStringLiteral("Pause"));
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->currentStep() > pausedAt, kJobTimeoutMs);
    QVERIFY(!m_panel->isPaused());
    QTRY_VERIFY(!m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text().contains(QStringLiteral("paused")));

    // Stop: a last evaluation and a checkpoint, then the job ends.
    m_panel->stop();
    QVERIFY(!m_panel->stopButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QVERIFY2(!m_panel->messageIsError(), qPrintable(m_panel->message()));
    QCOMPARE(m_panel->stateText(), QStringLiteral("Stopped"));
    m_stoppedAt = m_panel->currentStep();
    QVERIFY(m_stoppedAt > pausedAt && m_stoppedAt < kSteps);
    QCOMPARE(stateStep(m_run), m_stoppedAt);
    QVERIFY(m_panel->checkpoints().contains(QDir::cleanPath(m_run)));
    QVERIFY(QFileInfo::exists(m_run + QStringLiteral("/model.safetensors")));
    QVERIFY(!QDir(m_run).entryList({QStringLiteral("events.out.tfevents.*")}).isEmpty());
    QVERIFY(m_panel->startButton()->isEnabled());
    QVERIFY(!m_panel->pauseButton()->isEnabled());
    QVERIFY(m_panel->stepsSpin()->isEnabled());
    QVERIFY(m_panel->statusSummary().contains(QStringLiteral("fp32"))
        || m_panel->statusSummary().contains(QStringLiteral("bf16")));
    // The live curves are what metrics.jsonl logged.
    const QString metrics = m_run + QStringLiteral("/metrics.jsonl");
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::LossPlot, 0), linesWith(metrics, "loss"));
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::AccuracyPlot, 0, 0), linesWith(metrics, "shapes_acc"));
    QVERIFY(linesWith(metrics, "shapes_acc") >= 2); // step 10 and the stop
    QCOMPARE(m_panel->sampleGrid()->step(), m_stoppedAt);
    // The next start gets a fresh folder.
    QVERIFY(QDir::cleanPath(m_panel->runFolderEdit()->text()) != QDir::cleanPath(m_run));
}

void TestTrainingPanel::continuesTheRun()
{
    QVERIFY(m_stoppedAt > 0);
    m_panel->resumeCheck()->setChecked(true); // fills in the run just stopped, with its settings
    QCOMPARE(QDir::cleanPath(QDir::fromNativeSeparators(m_panel->runFolderEdit()->text())), QDir::cleanPath(m_run));
    QVERIFY(!m_panel->messageIsError());
    QCOMPARE(m_panel->stepsSpin()->value(), kSteps);
    QCOMPARE(m_panel->batchSpin()->value(), 32);
    QVERIFY(!m_panel->batchSpin()->isEnabled()); // the run's own
    QVERIFY(m_panel->stepsSpin()->isEnabled());
    m_panel->evalEverySpin()->setValue(0); // only at the end

    QVERIFY2(m_panel->start() != 0, qPrintable(m_panel->message()));
    QCOMPARE(m_panel->runCount(), 1); // the same curve goes on
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QVERIFY2(!m_panel->messageIsError(), qPrintable(m_panel->message()));
    QCOMPARE(m_panel->stateText(), QStringLiteral("Finished"));
    QCOMPARE(m_panel->currentStep(), qint64(kSteps));
    QCOMPARE(stateStep(m_run), qint64(kSteps));
    const QString metrics = m_run + QStringLiteral("/metrics.jsonl");
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::LossPlot, 0), linesWith(metrics, "loss"));
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::AccuracyPlot, 0, 0), linesWith(metrics, "shapes_acc"));
    QCOMPARE(m_panel->checkpoints().count(QDir::cleanPath(m_run)), 1);
    m_panel->resumeCheck()->setChecked(false);
}

void TestTrainingPanel::cancelFromStatusBar()
{
    const QString folder = m_tmp->path() + QStringLiteral("/runs/cancelled");
    useTiny(folder);
    m_panel->stepsSpin()->setValue(100000);
    QVERIFY2(m_panel->start() != 0, qPrintable(m_panel->message()));
    QCOMPARE(m_panel->runCount(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->currentStep() >= 3, kJobTimeoutMs);
    QPushButton *cancel = m_window->findChild<QPushButton *>(QStringLiteral("jobCancel"));
    QVERIFY(cancel->isEnabled());
    cancel->click(); // the main window's status bar: the engine cancels the newest job
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QCOMPARE(m_panel->stateText(), QStringLiteral("Cancelled"));
    QVERIFY2(m_panel->message().contains(QStringLiteral("checkpoint")), qPrintable(m_panel->message()));
    QVERIFY(m_panel->currentStep() < 100000);
    QCOMPARE(stateStep(folder), m_panel->currentStep()); // a checkpoint of the step it stopped at
    QVERIFY(m_panel->checkpoints().contains(QDir::cleanPath(folder)));
    QVERIFY(m_panel->startButton()->isEnabled());
    m_panel->removeRun(1); // off the plots; the checkpoint stays listed
    QCOMPARE(m_panel->runCount(), 1);
    QVERIFY(m_panel->checkpoints().contains(QDir::cleanPath(folder)));
}

void TestTrainingPanel::overlaysLoadedRun()
{
    QCOMPARE(m_panel->addRun(m_tmp->path() + QStringLiteral("/no-such-run")), false);
    QVERIFY(m_panel->messageIsError());
    QCOMPARE(m_panel->addRun(m_tmp->path() + QStringLiteral("/runs")), false); // no metrics.jsonl
    QVERIFY(m_panel->message().contains(QStringLiteral("metrics.jsonl")));

    const QString other = m_tmp->path() + QStringLiteral("/other-run");
    QVERIFY(QDir().mkpath(other));
    QFile file(other + QStringLiteral("/metrics.jsonl"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    for (int step = 10; step <= 50; step += 10) {
        QJsonObject line {{"step", step}, {"wall_time", 1.7e9 + step}, {"loss", 4.0 / step}, {"lr", 1e-3},
            {"temperature", 0.07}, {"images_per_s", 100.0}};
        if (step % 20 == 0) {
            line.insert(QStringLiteral("shapes_acc"), step / 100.0);
            line.insert(QStringLiteral("shapes_held_out_acc"), step / 200.0);
            line.insert(QStringLiteral("fashion_acc"), step / 150.0);
        }
        file.write(QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n');
    }
    file.close();

    QVERIFY2(m_panel->addRun(other), qPrintable(m_panel->message()));
    QCOMPARE(m_panel->runCount(), 2);
    QCOMPARE(m_panel->runName(1), QStringLiteral("other-run"));
    QCOMPARE(m_panel->plotGraphCount(TrainingPanel::LossPlot), 2);
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::LossPlot, 1), 5);
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::AccuracyPlot, 1, 2), 2);
    QVERIFY(m_panel->plotGraphCount(TrainingPanel::AccuracyPlot) >= 5); // live: 2-3 series, loaded: 3
    QVERIFY(!m_panel->checkpoints().contains(QDir::cleanPath(other)));  // no weights there

    // Listed once; followed as it grows.
    QVERIFY(m_panel->addRun(other + QStringLiteral("/metrics.jsonl")));
    QCOMPARE(m_panel->runCount(), 2);
    QVERIFY(file.open(QIODevice::Append));
    file.write(R"({"step": 60, "loss": 0.05, "lr": 0.0005, "temperature": 0.06})"
               "\n");
    file.close();
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->plotPointCount(TrainingPanel::LossPlot, 1), 6, 10000);

    // A third, removed again.
    const QString third = m_tmp->path() + QStringLiteral("/third-run");
    QVERIFY(QDir().mkpath(third));
    QVERIFY(QFile::copy(other + QStringLiteral("/metrics.jsonl"), third + QStringLiteral("/metrics.jsonl")));
    QVERIFY(m_panel->addRun(third));
    QCOMPARE(m_panel->plotGraphCount(TrainingPanel::LossPlot), 3);
    m_panel->removeRun(2);
    QCOMPARE(m_panel->runCount(), 2);
    QCOMPARE(m_panel->plotGraphCount(TrainingPanel::LossPlot), 2);
    QCOMPARE(m_panel->runList()->count(), 2);
}

void TestTrainingPanel::logScaleToggle()
{
    QCheckBox *log = m_panel->logScaleCheck();
    log->setChecked(false);
    QVERIFY(!m_panel->plotLogScale(TrainingPanel::LossPlot));
    log->setChecked(true);
    QVERIFY(m_panel->plotLogScale(TrainingPanel::LossPlot));
    QVERIFY(!m_panel->plotLogScale(TrainingPanel::AccuracyPlot));
    QVERIFY(m_panel->plotFollowsData(TrainingPanel::LossPlot));
    log->setChecked(false);
    QVERIFY(!m_panel->plotLogScale(TrainingPanel::LossPlot));
}

void TestTrainingPanel::opensCheckpointInClassify()
{
    ModelPicker *picker = m_window->classifyPanel()->modelPicker();
    const int row = static_cast<int>(m_panel->checkpoints().indexOf(QDir::cleanPath(m_run)));
    QVERIFY(row >= 0);
    QSignalSpy requested(m_panel, &TrainingPanel::openInClassifyRequested);
    QVERIFY(m_panel->openInClassify(row));
    QCOMPARE(requested.count(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(QDir::cleanPath(picker->currentPath()), QDir::cleanPath(m_run), kJobTimeoutMs);
    QVERIFY(ModelPicker::userFolders().contains(QDir::cleanPath(m_run)));
    QVERIFY(m_window->classifyPanel()->isVisible()); // its dock raised over the Training panel
    QCOMPARE(m_panel->openInClassify(99), false);
}

constexpr int kDdpmSteps = 60;

void TestTrainingPanel::useDdpmTiny(const QString &folder)
{
    m_panel->resumeCheck()->setChecked(false);
    m_panel->setModelKind(TrainingPanel::DdpmModel);
    m_panel->presetCombo()->setCurrentIndex(m_panel->presetCombo()->findData(QStringLiteral("tiny")));
    m_panel->stepsSpin()->setValue(kDdpmSteps);
    m_panel->evalEverySpin()->setValue(kEvalEvery);
    m_panel->seedSpin()->setValue(7);
    m_panel->fashionEdit()->setText(QString::fromStdString(ml::fashionMnistDefaultFolder()));
    m_panel->runFolderEdit()->setText(folder);
}

void TestTrainingPanel::ddpmPresetFillsTheForm()
{
    while (m_panel->runCount() > 0) // the CLIP runs' accuracy and temperature curves off the plots
        m_panel->removeRun(0);
    m_panel->resumeCheck()->setChecked(false);
    m_panel->tabs()->setCurrentIndex(TrainingPanel::SetupTab); // the form's rows visible to the panel
    QComboBox *model = m_panel->modelCombo();
    QCOMPARE(m_panel->modelKind(), TrainingPanel::ClipModel);
    QVERIFY(m_panel->isPlotShown(TrainingPanel::AccuracyPlot));
    QVERIFY(m_panel->dtypeCombo()->isVisibleTo(m_panel));
    QVERIFY(m_panel->mixSpin(0)->isVisibleTo(m_panel));
    model->setCurrentIndex(model->findData(QStringLiteral("ddpm")));
    QCOMPARE(m_panel->modelKind(), TrainingPanel::DdpmModel);

    QComboBox *preset = m_panel->presetCombo();
    QCOMPARE(preset->count(), 2);
    QCOMPARE(preset->currentData().toString(), QStringLiteral("tiny")); // never chosen: the short one
    preset->setCurrentIndex(preset->findData(QStringLiteral("mini")));
    QVERIFY(m_panel->estimatedSeconds() > kAskBeforeRunSeconds);
    const auto mini = ml::ddpmTrainPresetRequest("mini");
    QCOMPARE(m_panel->stepsSpin()->value(), int(*mini.steps));
    QCOMPARE(m_panel->batchSpin()->value(), int(*mini.batch));
    QCOMPARE(m_panel->evalEverySpin()->value(), int(*mini.evalEvery));
    QVERIFY(m_panel->runFolderEdit()->text().contains(QStringLiteral("ddpm-mini-")));
    preset->setCurrentIndex(preset->findData(QStringLiteral("tiny")));
    const auto tiny = ml::ddpmTrainPresetRequest("tiny");
    QCOMPARE(m_panel->stepsSpin()->value(), int(*tiny.steps));
    QCOMPARE(m_panel->batchSpin()->value(), int(*tiny.batch));
    QCOMPARE(m_panel->seedSpin()->value(), int(*tiny.seed));
    const QString folder = QDir::fromNativeSeparators(m_panel->runFolderEdit()->text());
    QVERIFY2(folder.startsWith(TrainingPanel::runsRoot() + QStringLiteral("/ddpm-tiny-")), qPrintable(folder));
    QVERIFY(!QFileInfo::exists(folder));

    // What does not apply to DDPM is hidden: precision, data mix, accuracy and temperature.
    QVERIFY(!m_panel->dtypeCombo()->isVisibleTo(m_panel));
    QVERIFY(!m_panel->mixSpin(0)->isVisibleTo(m_panel));
    QVERIFY(!m_panel->isPlotShown(TrainingPanel::AccuracyPlot));
    QVERIFY(!m_panel->isPlotShown(TrainingPanel::TemperaturePlot));
    QVERIFY(m_panel->isPlotShown(TrainingPanel::LossPlot));
    QVERIFY(!m_panel->statusSummary().contains(QStringLiteral("Held-out")));
    QVERIFY(!m_panel->sampleGrid()->isLabelled());

    // Back to CLIP: its own preset (tiny, from the runs above) and rows; then DDPM keeps tiny.
    model->setCurrentIndex(model->findData(QStringLiteral("clip")));
    QCOMPARE(preset->currentData().toString(), QStringLiteral("tiny"));
    QCOMPARE(m_panel->batchSpin()->value(), 32);
    QVERIFY(m_panel->dtypeCombo()->isVisibleTo(m_panel));
    QVERIFY(m_panel->mixSpin(0)->isVisibleTo(m_panel));
    QVERIFY(m_panel->isPlotShown(TrainingPanel::AccuracyPlot));
    QVERIFY(m_panel->runFolderEdit()->text().contains(QStringLiteral("clip-tiny-")));
    model->setCurrentIndex(model->findData(QStringLiteral("ddpm")));
    QCOMPARE(preset->currentData().toString(), QStringLiteral("tiny"));
    QCOMPARE(m_panel->batchSpin()->value(), int(*tiny.batch));
}

void TestTrainingPanel::ddpmRejectsBadSettings()
{
    // No Fashion-MNIST: refused before anything is made.
    const QString folder = m_tmp->path() + QStringLiteral("/runs/ddpm-nodata");
    useDdpmTiny(folder);
    const QString nowhere = m_tmp->path() + QStringLiteral("/nowhere");
    m_panel->fashionEdit()->setText(nowhere);
    QCOMPARE(m_panel->start(), quint64(0));
    QVERIFY(m_panel->messageIsError());
    QVERIFY2(m_panel->message().contains(QStringLiteral("Fashion-MNIST"))
            && m_panel->message().contains(QDir::toNativeSeparators(nowhere)),
        qPrintable(m_panel->message()));
    QVERIFY(!m_panel->isRunning());
    QVERIFY(!QFileInfo::exists(folder));
    m_panel->fashionEdit()->setText(QString::fromStdString(ml::fashionMnistDefaultFolder()));

    // Continuing the CLIP run's folder: the model follows the run (CLIP), with its settings.
    QCOMPARE(stateStep(m_run), qint64(kSteps));
    m_panel->runFolderEdit()->setText(m_run);
    m_panel->resumeCheck()->setChecked(true);
    QCOMPARE(m_panel->modelKind(), TrainingPanel::ClipModel);
    QCOMPARE(m_panel->batchSpin()->value(), 32);
    QVERIFY(!m_panel->modelCombo()->isEnabled());
    QVERIFY(!m_panel->messageIsError());
    m_panel->resumeCheck()->setChecked(false);
    QVERIFY(m_panel->modelCombo()->isEnabled());
}

void TestTrainingPanel::ddpmTrainsPausesAndStops()
{
    if (!haveFashionMnist())
        QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
    useDdpmTiny(m_ddpmRun);
    const int runsBefore = m_panel->runCount();
    bool pauseOnSamples = true;
    const auto pauser = connect(
        m_window->bridge(), &EngineBridge::partial, m_panel, [&](quint64, const QString &kind, const QVariant &) {
            if (kind == QLatin1String("samples") && pauseOnSamples && !m_panel->isPauseRequested()) {
                pauseOnSamples = false;
                m_panel->togglePause();
            }
        });
    const auto cleanup = qScopeGuard([pauser] { QObject::disconnect(pauser); });

    const quint64 job = m_panel->start();
    QVERIFY2(job != 0, qPrintable(m_panel->message()));
    QVERIFY(m_panel->isRunning());
    QVERIFY(!m_panel->modelCombo()->isEnabled());
    QVERIFY(!m_panel->stepsSpin()->isEnabled());
    QCOMPARE(m_panel->tabs()->currentIndex(), int(TrainingPanel::CurvesTab));
    QCOMPARE(m_panel->runCount(), runsBefore + 1);
    const int row = runsBefore;
    QCOMPARE(m_panel->totalSteps(), qint64(kDdpmSteps));
    QVERIFY(m_panel->openInDiffusionButton()->isHidden());

    QTRY_VERIFY_WITH_TIMEOUT(m_panel->isPaused(), kJobTimeoutMs);
    QCOMPARE(m_panel->stateText(), QStringLiteral("Paused"));
    QTest::qWait(200);
    const qint64 pausedAt = m_panel->currentStep();
    QVERIFY2(pausedAt >= kEvalEvery && pausedAt < kDdpmSteps, qPrintable(QString::number(pausedAt)));
    QTest::qWait(300);
    QCOMPARE(m_panel->currentStep(), pausedAt);

    // The loss and learning rate from the "metric" partials (every 5 steps); no temperature.
    QVERIFY(m_panel->plotPointCount(TrainingPanel::LossPlot, row) >= 2);
    QVERIFY(m_panel->plotPointCount(TrainingPanel::LearningRatePlot, row) >= 2);
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::TemperaturePlot, row), 0);
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::AccuracyPlot, row), 0);
    QVERIFY(!m_panel->isPlotShown(TrainingPanel::TemperaturePlot));

    // The sample grid: the model's own images, unlabelled, not flat, not all alike.
    const SampleGrid *grid = m_panel->sampleGrid();
    QCOMPARE(grid->step(), qint64(kEvalEvery));
    QVERIFY(!grid->isLabelled());
    QCOMPARE(grid->samples().size(), qsizetype(4));
    for (const SampleGrid::Sample &s : grid->samples()) {
        QCOMPARE(s.image.size(), QSize(64, 64));
        QVERIFY(s.trueLabel.isEmpty());
        QVERIFY2(greySpread(s.image) > 40, qPrintable(QString::number(greySpread(s.image))));
    }
    QVERIFY(grid->samples()[0].image != grid->samples()[1].image);
    QVERIFY(m_panel->statusSummary().contains(QStringLiteral("%1 / %2").arg(pausedAt).arg(kDdpmSteps)));

    m_panel->togglePause();
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->currentStep() > pausedAt, kJobTimeoutMs);
    m_panel->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QVERIFY2(!m_panel->messageIsError(), qPrintable(m_panel->message()));
    QCOMPARE(m_panel->stateText(), QStringLiteral("Stopped"));
    m_ddpmStoppedAt = m_panel->currentStep();
    QVERIFY2(m_ddpmStoppedAt > pausedAt && m_ddpmStoppedAt < kDdpmSteps, qPrintable(QString::number(m_ddpmStoppedAt)));
    QCOMPARE(stateStep(m_ddpmRun), m_ddpmStoppedAt);

    // The checkpoint in diffusers' flat layout, listed, and one click from the Diffusion panel.
    for (const char *file : {"config.json", "diffusion_pytorch_model.safetensors", "scheduler_config.json"})
        QVERIFY2(QFileInfo::exists(m_ddpmRun + QLatin1Char('/') + QLatin1String(file)), file);
    QVERIFY(QFileInfo::exists(m_ddpmRun + QStringLiteral("/samples.png")));
    const int checkpoint = static_cast<int>(m_panel->checkpoints().indexOf(QDir::cleanPath(m_ddpmRun)));
    QVERIFY(checkpoint >= 0);
    QSignalSpy diffusion(m_panel, &TrainingPanel::openInDiffusionRequested);
    QSignalSpy classify(m_panel, &TrainingPanel::openInClassifyRequested);
    QVERIFY(!m_panel->openInDiffusionButton()->isHidden());
    m_panel->openInDiffusionButton()->click();
    QCOMPARE(diffusion.count(), 1);
    QCOMPARE(QDir::cleanPath(diffusion.at(0).at(0).toString()), QDir::cleanPath(m_ddpmRun));
    QVERIFY(m_panel->openInDiffusion(checkpoint));
    QCOMPARE(diffusion.count(), 2);
    QVERIFY(!m_panel->openInClassify(checkpoint)); // not a CLIP model
    QCOMPARE(classify.count(), 0);

    const QString metrics = m_ddpmRun + QStringLiteral("/metrics.jsonl");
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::LossPlot, row), linesWith(metrics, "loss"));
    QCOMPARE(m_panel->sampleGrid()->step(), m_ddpmStoppedAt); // a last grid on the way out
    QVERIFY(m_panel->statusSummary().contains(QStringLiteral("fp32")));
    QVERIFY(m_panel->startButton()->isEnabled());
    QVERIFY(m_panel->modelCombo()->isEnabled());
    QVERIFY(m_panel->runFolderEdit()->text().contains(QStringLiteral("ddpm-tiny-")));
}

void TestTrainingPanel::ddpmContinuesTheRun()
{
    if (!haveFashionMnist())
        QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
    QVERIFY(m_ddpmStoppedAt > 0);
    // With CLIP chosen, the folder's trainer_state.json says DDPM: the form follows.
    m_panel->setModelKind(TrainingPanel::ClipModel);
    m_panel->runFolderEdit()->setText(m_ddpmRun);
    m_panel->resumeCheck()->setChecked(true);
    QCOMPARE(m_panel->modelKind(), TrainingPanel::DdpmModel);
    QVERIFY2(!m_panel->messageIsError(), qPrintable(m_panel->message()));
    QCOMPARE(m_panel->presetCombo()->currentData().toString(), QStringLiteral("tiny"));
    QCOMPARE(m_panel->stepsSpin()->value(), kDdpmSteps);
    QCOMPARE(m_panel->batchSpin()->value(), int(*ml::ddpmTrainPresetRequest("tiny").batch));
    QCOMPARE(m_panel->seedSpin()->value(), 7);
    QVERIFY(!m_panel->batchSpin()->isEnabled());
    m_panel->evalEverySpin()->setValue(0); // only at the end
    const int runs = m_panel->runCount();

    QVERIFY2(m_panel->start() != 0, qPrintable(m_panel->message()));
    QCOMPARE(m_panel->runCount(), runs); // the same curve goes on
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QVERIFY2(!m_panel->messageIsError(), qPrintable(m_panel->message()));
    QCOMPARE(m_panel->stateText(), QStringLiteral("Finished"));
    QCOMPARE(m_panel->currentStep(), qint64(kDdpmSteps));
    QCOMPARE(stateStep(m_ddpmRun), qint64(kDdpmSteps));
    const int row = runs - 1;
    QCOMPARE(m_panel->runName(row), QStringLiteral("ddpm-live"));
    QCOMPARE(m_panel->plotPointCount(TrainingPanel::LossPlot, row),
        linesWith(m_ddpmRun + QStringLiteral("/metrics.jsonl"), "loss"));
    QCOMPARE(m_panel->sampleGrid()->step(), qint64(kDdpmSteps));
    QCOMPARE(m_panel->checkpoints().count(QDir::cleanPath(m_ddpmRun)), 1);
    QSignalSpy diffusion(m_panel, &TrainingPanel::openInDiffusionRequested);
    QVERIFY(!m_panel->openInDiffusionButton()->isHidden());
    m_panel->openInDiffusionButton()->click();
    QCOMPARE(diffusion.count(), 1);
    QCOMPARE(QDir::cleanPath(diffusion.at(0).at(0).toString()), QDir::cleanPath(m_ddpmRun));
    m_panel->resumeCheck()->setChecked(false);
}

QTEST_MAIN(TestTrainingPanel)
#include "test_training_panel.moc"
