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
#include "common/feature_layout.h"
#include "common/format.h"
#include "common/model_picker.h"
#include "engine/llava_train_service.h"
#include "engine/model_discovery.h"
#include "engine/train_presets.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "training/run_status_box.h"
#include "training/sample_grid.h"
#include "training/training_controller.h"
#include "training/training_form.h"
#include "training/training_panel.h"
#include "training/training_runs.h"
#include "training/training_status.h"

#include <ATen/Parallel.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLayout>
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
#include <QToolButton>
#include <QtTest>

#include <algorithm>
#include <memory>

using ml::train::RunKind;

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
    void layoutFitsTheScreen();
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
    void blip2PresetFillsTheForm();
    void llavaTrainsFromThePanel();

private:
    // The panel's parts, by objectName; the controller for its state.
    template<class T> T *find(const char *name) const
    {
        T *w = m_panel->findChild<T *>(QLatin1String(name));
        if (!w)
            qFatal("the Training panel has no %s", name);
        return w;
    }
    TrainingController *ctl() const { return m_panel->controller(); }
    TrainingForm *form() const { return find<TrainingForm>("trainingForm"); }
    QComboBox *combo(const char *name) const { return find<QComboBox>(name); }
    QSpinBox *spin(const char *name) const { return find<QSpinBox>(name); }
    QLineEdit *edit(const char *name) const { return find<QLineEdit>(name); }
    QCheckBox *check(const char *name) const { return find<QCheckBox>(name); }
    QPushButton *button(const char *name) const { return find<QPushButton>(name); }
    QTabWidget *views() const { return find<QTabWidget>("trainingViews"); }
    SampleGrid *sampleGrid() const { return find<SampleGrid>("sampleGrid"); }
    QString statusSummary() const { return find<RunStatusBox>("trainingStatus")->summary(); }
    QWidget *plot(const char *name) const { return find<QWidget>(name); } // a TrainingPlot (QCustomPlot)
    // Points of a run's curve on a plot, as the plot holds them.
    int pointCount(const char *plotName, int row, int series = 0) const
    {
        const TrainingRuns::Run *run = ctl()->runs()->at(row);
        int n = 0;
        if (run
            && !QMetaObject::invokeMethod(
                plot(plotName), "pointCount", Q_RETURN_ARG(int, n), Q_ARG(int, run->id), Q_ARG(int, series)))
            return -1;
        return n;
    }

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
    check("resumeRun")->setChecked(false);
    combo("trainingPreset")->setCurrentIndex(combo("trainingPreset")->findData(QStringLiteral("tiny")));
    spin("trainingSteps")->setValue(kSteps);
    spin("evalEvery")->setValue(kEvalEvery);
    spin("trainingSeed")->setValue(7);
    edit("runFolder")->setText(folder);
}

void TestTrainingPanel::presetFillsTheForm()
{
    QComboBox *preset = combo("trainingPreset");
    // A fresh profile starts on the preset that trains in a minute or two, for either model.
    QCOMPARE(preset->currentData().toString(), QStringLiteral("tiny"));
    QCOMPARE(spin("trainingSteps")->value(), 150);
    preset->setCurrentIndex(preset->findData(QStringLiteral("mini")));
    QCOMPARE(spin("trainingSteps")->value(), 3000);
    QCOMPARE(spin("trainingBatch")->value(), 128);
    QVERIFY(edit("runFolder")->text().contains(QStringLiteral("clip-mini-")));
    preset->setCurrentIndex(preset->findData(QStringLiteral("tiny")));
    QCOMPARE(spin("trainingSteps")->value(), 150);
    QCOMPARE(spin("trainingBatch")->value(), 32);
    QCOMPARE(spin("evalEvery")->value(), 50);
    QCOMPARE(spin("mixFashion")->value() + spin("mixSingle")->value() + spin("mixMulti")->value(), 100);
    // A fresh folder under the app's data folder, renamed with the preset.
    const QString folder = QDir::fromNativeSeparators(edit("runFolder")->text());
    QVERIFY2(folder.startsWith(TrainingPanel::runsRoot() + QStringLiteral("/clip-tiny-")), qPrintable(folder));
    QVERIFY(!QFileInfo::exists(folder));
    QVERIFY(!button("trainingStop")->isEnabled());
    QVERIFY(!button("trainingPause")->isEnabled());
    QVERIFY(button("trainingStart")->isEnabled());
}

void TestTrainingPanel::layoutFitsTheScreen()
{
    // A feature of the workspace: one FeatureLayout, the curves and samples in its main view, the
    // run buttons, status and settings in its side panel; no scroll area around the whole panel.
    auto *feature = find<FeatureLayout>("trainingLayout");
    QCOMPARE(m_panel->layout()->count(), 1);
    QCOMPARE(m_panel->layout()->itemAt(0)->widget(), feature);
    QVERIFY(feature->mainView()->isAncestorOf(find<QWidget>("trainingCurves")));
    QVERIFY(feature->mainView()->isAncestorOf(views()));
    QVERIFY(feature->mainView()->isAncestorOf(sampleGrid()));
    QWidget *side = feature->sidePanel();
    QVERIFY(side->isAncestorOf(form()));
    QVERIFY(side->isAncestorOf(button("trainingStart")));
    QVERIFY(side->isAncestorOf(find<RunStatusBox>("trainingStatus")));
    QCOMPARE(views()->currentWidget()->objectName(), QStringLiteral("trainingSamples"));

    // The common case fits a 1366 x 768 screen's central area (about 640 px high) without
    // scrolling, for either model; the advanced settings fold away.
    auto *advanced = find<QToolButton>("advancedToggle");
    advanced->setChecked(false);
    QVERIFY(find<QWidget>("advancedSettings")->isHidden());
    for (const RunKind kind : {RunKind::Ddpm, RunKind::Clip}) {
        form()->setKind(kind);
        const int height
            = side->hasHeightForWidth() ? side->heightForWidth(FeatureLayout::kSideWidth) : side->sizeHint().height();
        QVERIFY2(height <= 640, qPrintable(QString::number(height)));
        QVERIFY2(side->sizeHint().height() <= 640, qPrintable(QString::number(side->sizeHint().height())));
    }
    advanced->setChecked(true);
    QVERIFY(!find<QWidget>("advancedSettings")->isHidden());
    QVERIFY(spin("trainingBatch")->isVisibleTo(m_panel));
    advanced->setChecked(false);
}

void TestTrainingPanel::asksBeforeLongRun()
{
    QComboBox *preset = combo("trainingPreset");
    preset->setCurrentIndex(preset->findData(QStringLiteral("mini")));
    const double seconds = form()->estimatedSeconds();
    QVERIFY2(seconds > kAskBeforeRunSeconds, qPrintable(QString::number(seconds)));
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);
    button("trainingStart")->click();
    QMessageBox *box = m_panel->findChild<QMessageBox *>();
    QVERIFY(box);
    QTRY_VERIFY(box->isVisible());
    QVERIFY2(box->text().contains(QStringLiteral("mini")), qPrintable(box->text()));
    QVERIFY2(box->text().contains(QLocale().toString(3000)), qPrintable(box->text()));
    QVERIFY2(box->text().contains(formatRoughDuration(seconds)), qPrintable(box->text()));
    QVERIFY(!ctl()->isRunning()); // nothing starts before the answer
    box->button(QMessageBox::No)->click();
    QTRY_VERIFY(!m_panel->findChild<QMessageBox *>()); // closed and gone
    QVERIFY(!ctl()->isRunning());
    QTest::qWait(50);
    for (const QList<QVariant> &args : std::as_const(started))
        QVERIFY(!args.at(1).toString().startsWith(QStringLiteral("Train")));

    // tiny starts at once; a short run to its end.
    preset->setCurrentIndex(preset->findData(QStringLiteral("tiny")));
    QVERIFY(form()->estimatedSeconds() >= 0 && form()->estimatedSeconds() < kAskBeforeRunSeconds);
    const QString folder = m_tmp->path() + QStringLiteral("/runs/clicked");
    useTiny(folder);
    spin("trainingSteps")->setValue(2);
    spin("evalEvery")->setValue(0);
    button("trainingStart")->click();
    QVERIFY(!m_panel->findChild<QMessageBox *>());
    QVERIFY2(ctl()->isRunning(), qPrintable(ctl()->message()));
    QTRY_VERIFY_WITH_TIMEOUT(!ctl()->isRunning(), kJobTimeoutMs);
    QCOMPARE(ctl()->stateText(), QStringLiteral("Finished"));
    // The held-out accuracy with the number of images behind each figure (600 Shapes, 100 of them
    // of the held-out pairs): a figure from a handful of images swung 60 points.
    const QString summary = statusSummary();
    QVERIFY2(summary.contains(QStringLiteral("of %1").arg(QLocale().toString(600))), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("held-out pairs")) && summary.contains(QStringLiteral("of 100")),
        qPrintable(summary));
    while (ctl()->runs()->count() > 0)
        ctl()->removeRun(0);
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
    check("resumeRun")->setChecked(resume);
    spin("trainingSteps")->setValue(steps);
    if (!resume)
        edit("learningRate")->setText(lr);
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);

    QCOMPARE(m_panel->start(), quint64(0));
    QVERIFY(ctl()->messageIsError());
    QVERIFY2(ctl()->message().contains(expected), qPrintable(ctl()->message()));
    QVERIFY(!ctl()->isRunning());
    QVERIFY(button("trainingStart")->isEnabled());
    QCOMPARE(QFileInfo::exists(path), existed); // nothing made
    QTest::qWait(50);
    // Only training jobs count: the Classify panel's model picker may search on the I/O lane meanwhile.
    int trainingJobs = 0;
    for (const QList<QVariant> &args : std::as_const(started))
        trainingJobs += args.at(1).toString().startsWith(QStringLiteral("Train CLIP")) ? 1 : 0;
    QCOMPARE(trainingJobs, 0);
    check("resumeRun")->setChecked(false);
}

void TestTrainingPanel::trainsPausesAndStops()
{
    useTiny(m_run);
    QCOMPARE(ctl()->runs()->count(), 0);
    // Pause as soon as the first held-out samples arrive, so the run is still mid-way.
    bool pauseOnSamples = true;
    const auto pauser = connect(
        m_window->bridge(), &EngineBridge::partial, m_panel, [&](quint64, const QString &kind, const QVariant &) {
            if (kind == QLatin1String("samples") && pauseOnSamples && !ctl()->isPauseRequested()) {
                pauseOnSamples = false;
                ctl()->togglePause();
            }
        });
    const auto cleanup = qScopeGuard([pauser] { QObject::disconnect(pauser); });

    QSignalSpy progress(m_window->bridge(), &EngineBridge::progress);
    const quint64 job = m_panel->start();
    QVERIFY2(job != 0, qPrintable(ctl()->message()));
    QVERIFY(ctl()->isRunning());
    QVERIFY(!button("trainingStart")->isEnabled());
    QVERIFY(button("trainingStop")->isEnabled());
    QVERIFY(!spin("trainingSteps")->isEnabled()); // the form is locked while it runs
    QCOMPARE(views()->currentWidget()->objectName(), QStringLiteral("trainingSamples")); // the curves above
    QCOMPARE(ctl()->runs()->count(), 1);
    QCOMPARE(ctl()->totalSteps(), qint64(kSteps));

    QTRY_VERIFY_WITH_TIMEOUT(ctl()->isPaused(), kJobTimeoutMs);
    QCOMPARE(ctl()->stateText(), QStringLiteral("Paused"));
    QCOMPARE(button("trainingPause")->text(), QStringLiteral("Resume"));
    QTest::qWait(200); // progress reported before the pause, still queued
    const qint64 pausedAt = ctl()->currentStep();
    QVERIFY2(pausedAt >= kEvalEvery && pausedAt < kSteps, qPrintable(QString::number(pausedAt)));
    QTest::qWait(300);
    QVERIFY(ctl()->isPaused());
    QCOMPARE(ctl()->currentStep(), pausedAt);
    // The status bar says so; the time left is the job's one estimate, as the status bar had it.
    QVERIFY2(m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text().contains(QStringLiteral("paused")),
        qPrintable(m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text()));
    double eta = -1.0;
    for (const QList<QVariant> &args : std::as_const(progress))
        if (args.at(0).toULongLong() == job && args.at(2).toLongLong() > 0)
            eta = args.at(4).toDouble();
    QVERIFY(eta >= 0.0);
    QVERIFY2(statusSummary().contains(QStringLiteral("Left ") + formatDuration(eta)), qPrintable(statusSummary()));

    // Curves: loss, learning rate and temperature every 5 steps, accuracy at step 10.
    QVERIFY(pointCount("lossPlot", 0) >= 2);
    QVERIFY(pointCount("learningRatePlot", 0) >= 2);
    QVERIFY(pointCount("temperaturePlot", 0) >= 2);
    QCOMPARE(pointCount("accuracyPlot", 0, 0), 1); // Shapes
    QCOMPARE(pointCount("accuracyPlot", 0, 1), 1); // held-out pairs
    QCOMPARE(plot("lossPlot")->property("visibleGraphCount").toInt(), 1);

    // The sample grid: held-out images with true and predicted labels.
    const SampleGrid *grid = sampleGrid();
    QCOMPARE(grid->step(), qint64(kEvalEvery));
    QVERIFY2(grid->samples().size() >= 6, qPrintable(QString::number(grid->samples().size())));
    for (const SampleGrid::Sample &s : grid->samples()) {
        QCOMPARE(s.image.size(), QSize(64, 64));
        QVERIFY(!s.trueLabel.isEmpty());
        QVERIFY(!s.predictedLabel.isEmpty());
        QVERIFY(s.prob > 0.0 && s.prob <= 1.0);
    }
    QVERIFY(statusSummary().contains(QStringLiteral("%1 / %2").arg(pausedAt).arg(kSteps)));

    // Resume: it carries on.
    ctl()->togglePause();
    QCOMPARE(button("trainingPause")->text(), QStringLiteral("Pause"));
    QTRY_VERIFY_WITH_TIMEOUT(ctl()->currentStep() > pausedAt, kJobTimeoutMs);
    QVERIFY(!ctl()->isPaused());
    QTRY_VERIFY(!m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text().contains(QStringLiteral("paused")));

    // Stop: a last evaluation and a checkpoint, then the job ends.
    ctl()->stop();
    QVERIFY(!button("trainingStop")->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!ctl()->isRunning(), kJobTimeoutMs);
    QVERIFY2(!ctl()->messageIsError(), qPrintable(ctl()->message()));
    QCOMPARE(ctl()->stateText(), QStringLiteral("Stopped"));
    m_stoppedAt = ctl()->currentStep();
    QVERIFY(m_stoppedAt > pausedAt && m_stoppedAt < kSteps);
    QCOMPARE(stateStep(m_run), m_stoppedAt);
    QVERIFY(ctl()->checkpoints().contains(QDir::cleanPath(m_run)));
    QVERIFY(QFileInfo::exists(m_run + QStringLiteral("/model.safetensors")));
    QVERIFY(!QDir(m_run).entryList({QStringLiteral("events.out.tfevents.*")}).isEmpty());
    QVERIFY(button("trainingStart")->isEnabled());
    QVERIFY(!button("trainingPause")->isEnabled());
    QVERIFY(spin("trainingSteps")->isEnabled());
    QVERIFY(statusSummary().contains(QStringLiteral("fp32")) || statusSummary().contains(QStringLiteral("bf16")));
    // The live curves are what metrics.jsonl logged.
    const QString metrics = m_run + QStringLiteral("/metrics.jsonl");
    QCOMPARE(pointCount("lossPlot", 0), linesWith(metrics, "loss"));
    QCOMPARE(pointCount("accuracyPlot", 0, 0), linesWith(metrics, "shapes_acc"));
    QVERIFY(linesWith(metrics, "shapes_acc") >= 2); // step 10 and the stop
    QCOMPARE(sampleGrid()->step(), m_stoppedAt);
    // The next start gets a fresh folder.
    QVERIFY(QDir::cleanPath(edit("runFolder")->text()) != QDir::cleanPath(m_run));
}

void TestTrainingPanel::continuesTheRun()
{
    QVERIFY(m_stoppedAt > 0);
    check("resumeRun")->setChecked(true); // fills in the run just stopped, with its settings
    QCOMPARE(QDir::cleanPath(QDir::fromNativeSeparators(edit("runFolder")->text())), QDir::cleanPath(m_run));
    QVERIFY(!ctl()->messageIsError());
    QCOMPARE(spin("trainingSteps")->value(), kSteps);
    QCOMPARE(spin("trainingBatch")->value(), 32);
    QVERIFY(!spin("trainingBatch")->isEnabled()); // the run's own
    QVERIFY(spin("trainingSteps")->isEnabled());
    spin("evalEvery")->setValue(0); // only at the end

    QVERIFY2(m_panel->start() != 0, qPrintable(ctl()->message()));
    QCOMPARE(ctl()->runs()->count(), 1); // the same curve goes on
    QTRY_VERIFY_WITH_TIMEOUT(!ctl()->isRunning(), kJobTimeoutMs);
    QVERIFY2(!ctl()->messageIsError(), qPrintable(ctl()->message()));
    QCOMPARE(ctl()->stateText(), QStringLiteral("Finished"));
    QCOMPARE(ctl()->currentStep(), qint64(kSteps));
    QCOMPARE(stateStep(m_run), qint64(kSteps));
    const QString metrics = m_run + QStringLiteral("/metrics.jsonl");
    QCOMPARE(pointCount("lossPlot", 0), linesWith(metrics, "loss"));
    QCOMPARE(pointCount("accuracyPlot", 0, 0), linesWith(metrics, "shapes_acc"));
    QCOMPARE(ctl()->checkpoints().count(QDir::cleanPath(m_run)), 1);
    check("resumeRun")->setChecked(false);
}

void TestTrainingPanel::cancelFromStatusBar()
{
    const QString folder = m_tmp->path() + QStringLiteral("/runs/cancelled");
    useTiny(folder);
    spin("trainingSteps")->setValue(100000);
    QVERIFY2(m_panel->start() != 0, qPrintable(ctl()->message()));
    QCOMPARE(ctl()->runs()->count(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(ctl()->currentStep() >= 3, kJobTimeoutMs);
    QPushButton *cancel = m_window->findChild<QPushButton *>(QStringLiteral("jobCancel"));
    QVERIFY(cancel->isEnabled());
    cancel->click(); // the main window's status bar: the engine cancels the newest job
    QTRY_VERIFY_WITH_TIMEOUT(!ctl()->isRunning(), kJobTimeoutMs);
    QCOMPARE(ctl()->stateText(), QStringLiteral("Cancelled"));
    QVERIFY2(ctl()->message().contains(QStringLiteral("checkpoint")), qPrintable(ctl()->message()));
    QVERIFY(ctl()->currentStep() < 100000);
    QCOMPARE(stateStep(folder), ctl()->currentStep()); // a checkpoint of the step it stopped at
    QVERIFY(ctl()->checkpoints().contains(QDir::cleanPath(folder)));
    QVERIFY(button("trainingStart")->isEnabled());
    ctl()->removeRun(1); // off the plots; the checkpoint stays listed
    QCOMPARE(ctl()->runs()->count(), 1);
    QVERIFY(ctl()->checkpoints().contains(QDir::cleanPath(folder)));
}

void TestTrainingPanel::overlaysLoadedRun()
{
    QCOMPARE(ctl()->addRun(m_tmp->path() + QStringLiteral("/no-such-run")), false);
    QVERIFY(ctl()->messageIsError());
    QCOMPARE(ctl()->addRun(m_tmp->path() + QStringLiteral("/runs")), false); // no metrics.jsonl
    QVERIFY(ctl()->message().contains(QStringLiteral("metrics.jsonl")));

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

    QVERIFY2(ctl()->addRun(other), qPrintable(ctl()->message()));
    QCOMPARE(ctl()->runs()->count(), 2);
    QCOMPARE(ctl()->runs()->name(1), QStringLiteral("other-run"));
    QCOMPARE(plot("lossPlot")->property("visibleGraphCount").toInt(), 2);
    QCOMPARE(pointCount("lossPlot", 1), 5);
    QCOMPARE(pointCount("accuracyPlot", 1, 2), 2);
    QVERIFY(plot("accuracyPlot")->property("visibleGraphCount").toInt() >= 5); // live: 2-3 series, loaded: 3
    QVERIFY(!ctl()->checkpoints().contains(QDir::cleanPath(other)));           // no weights there

    // Listed once; followed as it grows.
    QVERIFY(ctl()->addRun(other + QStringLiteral("/metrics.jsonl")));
    QCOMPARE(ctl()->runs()->count(), 2);
    QVERIFY(file.open(QIODevice::Append));
    file.write(R"({"step": 60, "loss": 0.05, "lr": 0.0005, "temperature": 0.06})"
               "\n");
    file.close();
    QTRY_COMPARE_WITH_TIMEOUT(pointCount("lossPlot", 1), 6, 10000);

    // A third, removed again.
    const QString third = m_tmp->path() + QStringLiteral("/third-run");
    QVERIFY(QDir().mkpath(third));
    QVERIFY(QFile::copy(other + QStringLiteral("/metrics.jsonl"), third + QStringLiteral("/metrics.jsonl")));
    QVERIFY(ctl()->addRun(third));
    QCOMPARE(plot("lossPlot")->property("visibleGraphCount").toInt(), 3);
    ctl()->removeRun(2);
    QCOMPARE(ctl()->runs()->count(), 2);
    QCOMPARE(plot("lossPlot")->property("visibleGraphCount").toInt(), 2);
    QCOMPARE(m_panel->findChild<QListWidget *>(QStringLiteral("runList"))->count(), 2);
}

void TestTrainingPanel::logScaleToggle()
{
    QCheckBox *log = check("logScale");
    log->setChecked(false);
    QVERIFY(!plot("lossPlot")->property("logScale").toBool());
    log->setChecked(true);
    QVERIFY(plot("lossPlot")->property("logScale").toBool());
    QVERIFY(!plot("accuracyPlot")->property("logScale").toBool());
    QVERIFY(plot("lossPlot")->property("followsData").toBool());
    log->setChecked(false);
    QVERIFY(!plot("lossPlot")->property("logScale").toBool());
}

void TestTrainingPanel::opensCheckpointInClassify()
{
    ModelPicker *picker = m_window->classifyPanel()->modelPicker();
    const int row = static_cast<int>(ctl()->checkpoints().indexOf(QDir::cleanPath(m_run)));
    QVERIFY(row >= 0);
    QSignalSpy requested(m_panel, &TrainingPanel::openInClassifyRequested);
    QVERIFY(ctl()->openInClassify(row));
    QCOMPARE(requested.count(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(QDir::cleanPath(picker->currentPath()), QDir::cleanPath(m_run), kJobTimeoutMs);
    QVERIFY(ModelPicker::userFolders().contains(QDir::cleanPath(m_run)));
    QVERIFY(m_window->classifyPanel()->isVisible()); // its dock raised over the Training panel
    QCOMPARE(ctl()->openInClassify(99), false);
}

constexpr int kDdpmSteps = 60;

void TestTrainingPanel::useDdpmTiny(const QString &folder)
{
    check("resumeRun")->setChecked(false);
    form()->setKind(RunKind::Ddpm);
    combo("trainingPreset")->setCurrentIndex(combo("trainingPreset")->findData(QStringLiteral("tiny")));
    spin("trainingSteps")->setValue(kDdpmSteps);
    spin("evalEvery")->setValue(kEvalEvery);
    spin("trainingSeed")->setValue(7);
    edit("fashionFolder")->setText(QString::fromStdString(ml::fashionMnistDefaultFolder()));
    edit("runFolder")->setText(folder);
}

void TestTrainingPanel::ddpmPresetFillsTheForm()
{
    while (ctl()->runs()->count() > 0) // the CLIP runs' accuracy and temperature curves off the plots
        ctl()->removeRun(0);
    check("resumeRun")->setChecked(false);
    find<QToolButton>("advancedToggle")->setChecked(true); // the advanced rows visible to the panel
    QComboBox *model = combo("trainingModel");
    QCOMPARE(form()->kind(), RunKind::Clip);
    QVERIFY(!plot("accuracyPlot")->isHidden());
    QVERIFY(combo("trainingDtype")->isVisibleTo(m_panel));
    QVERIFY(spin("mixFashion")->isVisibleTo(m_panel));
    model->setCurrentIndex(model->findData(QStringLiteral("ddpm")));
    QCOMPARE(form()->kind(), RunKind::Ddpm);

    QComboBox *preset = combo("trainingPreset");
    QCOMPARE(preset->count(), 2);
    QCOMPARE(preset->currentData().toString(), QStringLiteral("tiny")); // never chosen: the short one
    preset->setCurrentIndex(preset->findData(QStringLiteral("mini")));
    QVERIFY(form()->estimatedSeconds() > kAskBeforeRunSeconds);
    const auto mini = ml::ddpmTrainPresetRequest("mini");
    QCOMPARE(spin("trainingSteps")->value(), int(*mini.steps));
    QCOMPARE(spin("trainingBatch")->value(), int(*mini.batch));
    QCOMPARE(spin("evalEvery")->value(), int(*mini.evalEvery));
    QVERIFY(edit("runFolder")->text().contains(QStringLiteral("ddpm-mini-")));
    preset->setCurrentIndex(preset->findData(QStringLiteral("tiny")));
    const auto tiny = ml::ddpmTrainPresetRequest("tiny");
    QCOMPARE(spin("trainingSteps")->value(), int(*tiny.steps));
    QCOMPARE(spin("trainingBatch")->value(), int(*tiny.batch));
    QCOMPARE(spin("trainingSeed")->value(), int(*tiny.seed));
    const QString folder = QDir::fromNativeSeparators(edit("runFolder")->text());
    QVERIFY2(folder.startsWith(TrainingPanel::runsRoot() + QStringLiteral("/ddpm-tiny-")), qPrintable(folder));
    QVERIFY(!QFileInfo::exists(folder));

    // What does not apply to DDPM is hidden: precision, data mix, accuracy and temperature.
    QVERIFY(!combo("trainingDtype")->isVisibleTo(m_panel));
    QVERIFY(!spin("mixFashion")->isVisibleTo(m_panel));
    QVERIFY(!!plot("accuracyPlot")->isHidden());
    QVERIFY(!!plot("temperaturePlot")->isHidden());
    QVERIFY(!plot("lossPlot")->isHidden());
    QVERIFY(!statusSummary().contains(QStringLiteral("Held-out")));
    QVERIFY(!sampleGrid()->isLabelled());

    // Back to CLIP: its own preset (tiny, from the runs above) and rows; then DDPM keeps tiny.
    model->setCurrentIndex(model->findData(QStringLiteral("clip")));
    QCOMPARE(preset->currentData().toString(), QStringLiteral("tiny"));
    QCOMPARE(spin("trainingBatch")->value(), 32);
    QVERIFY(combo("trainingDtype")->isVisibleTo(m_panel));
    QVERIFY(spin("mixFashion")->isVisibleTo(m_panel));
    QVERIFY(!plot("accuracyPlot")->isHidden());
    QVERIFY(edit("runFolder")->text().contains(QStringLiteral("clip-tiny-")));
    model->setCurrentIndex(model->findData(QStringLiteral("ddpm")));
    QCOMPARE(preset->currentData().toString(), QStringLiteral("tiny"));
    QCOMPARE(spin("trainingBatch")->value(), int(*tiny.batch));
}

void TestTrainingPanel::blip2PresetFillsTheForm()
{
    check("resumeRun")->setChecked(false);
    find<QToolButton>("advancedToggle")->setChecked(true);
    QComboBox *model = combo("trainingModel");
    model->setCurrentIndex(model->findData(QStringLiteral("blip2")));
    QCOMPARE(form()->kind(), RunKind::Blip2);
    QComboBox *preset = combo("trainingPreset");
    QCOMPARE(preset->count(), 2);
    QCOMPARE(preset->currentData().toString(), QStringLiteral("tiny"));
    const auto tiny = ml::blip2TrainPresetRequest("tiny");
    QCOMPARE(spin("trainingSteps")->value(), int(*tiny.steps));
    QCOMPARE(spin("trainingBatch")->value(), int(*tiny.batch));
    QVERIFY(edit("runFolder")->text().contains(QStringLiteral("blip2-tiny-")));
    preset->setCurrentIndex(preset->findData(QStringLiteral("mini")));
    const auto mini = ml::blip2TrainPresetRequest("mini");
    QCOMPARE(spin("trainingSteps")->value(), int(*mini.steps));
    QVERIFY(form()->estimatedSeconds() > kAskBeforeRunSeconds);
    // Precision applies, the data mix is the trainer's own; VQA accuracy goes on the accuracy plot.
    QVERIFY(combo("trainingDtype")->isVisibleTo(m_panel));
    QVERIFY(!spin("mixFashion")->isVisibleTo(m_panel));
    QVERIFY(!plot("accuracyPlot")->isHidden());
    preset->setCurrentIndex(preset->findData(QStringLiteral("tiny")));
    model->setCurrentIndex(model->findData(QStringLiteral("clip")));
    QCOMPARE(form()->kind(), RunKind::Clip);
}

// The LLaVA kind end to end: its preset fills the form, a tiny run goes through with its curves
// (loss every step, VQA accuracy at each evaluation, no temperature), held-out questions with the
// model's answers, and a llava-hf folder that Chat opens.
void TestTrainingPanel::llavaTrainsFromThePanel()
{
    check("resumeRun")->setChecked(false);
    QComboBox *model = combo("trainingModel");
    model->setCurrentIndex(model->findData(QStringLiteral("llava")));
    QCOMPARE(form()->kind(), RunKind::Llava);
    QComboBox *preset = combo("trainingPreset");
    preset->setCurrentIndex(preset->findData(QStringLiteral("mini")));
    QCOMPARE(spin("trainingSteps")->value(), int(*ml::llavaTrainPresetRequest("mini").steps));
    QVERIFY(form()->estimatedSeconds() > kAskBeforeRunSeconds);
    preset->setCurrentIndex(preset->findData(QStringLiteral("tiny")));
    const auto tiny = ml::llavaTrainPresetRequest("tiny");
    QCOMPARE(spin("trainingSteps")->value(), int(*tiny.steps));
    QCOMPARE(spin("trainingBatch")->value(), int(*tiny.batch));
    QVERIFY(edit("runFolder")->text().contains(QStringLiteral("llava-tiny-")));
    QVERIFY(!plot("accuracyPlot")->isHidden());
    QVERIFY(!spin("mixFashion")->isVisibleTo(m_panel));

    const QString folder = m_tmp->path() + QStringLiteral("/runs/llava-live");
    spin("evalEvery")->setValue(4);
    edit("runFolder")->setText(folder);
    const int row = ctl()->runs()->count();
    const quint64 job = m_panel->start();
    QVERIFY2(job != 0, qPrintable(ctl()->message()));
    QCOMPARE(ctl()->totalSteps(), qint64(*tiny.steps));
    QTRY_VERIFY_WITH_TIMEOUT(!ctl()->isRunning(), kJobTimeoutMs);
    QVERIFY2(!ctl()->messageIsError(), qPrintable(ctl()->message()));
    QCOMPARE(ctl()->currentStep(), qint64(*tiny.steps));

    const QString metrics = folder + QStringLiteral("/metrics.jsonl");
    QCOMPARE(pointCount("lossPlot", row), linesWith(metrics, "loss"));
    QCOMPARE(pointCount("lossPlot", row), *tiny.steps);
    QVERIFY(pointCount("accuracyPlot", row) >= 2); // steps 4 and 8
    QCOMPARE(pointCount("temperaturePlot", row), 0);
    const SampleGrid *grid = sampleGrid();
    QVERIFY(grid->isLabelled());
    QVERIFY(!grid->samples().isEmpty());
    for (const SampleGrid::Sample &s : grid->samples())
        QVERIFY(!s.image.isNull());

    for (const char *file : {"config.json", "model.safetensors", "tokenizer.model", "tokenizer_config.json",
             "preprocessor_config.json", "trainer_state.json"})
        QVERIFY2(QFileInfo::exists(folder + QLatin1Char('/') + QLatin1String(file)), file);
    QCOMPARE(ml::familyOfFolder(folder.toStdString()), ml::ModelFamily::Llava);
    const int checkpoint = static_cast<int>(ctl()->checkpoints().indexOf(QDir::cleanPath(folder)));
    QVERIFY(checkpoint >= 0);
    QVERIFY(!ctl()->openInClassify(checkpoint)); // not a CLIP model
    QVERIFY(edit("runFolder")->text().contains(QStringLiteral("llava-tiny-")));
    model->setCurrentIndex(model->findData(QStringLiteral("clip")));
    QCOMPARE(form()->kind(), RunKind::Clip);
}

void TestTrainingPanel::ddpmRejectsBadSettings()
{
    // No Fashion-MNIST: refused before anything is made.
    const QString folder = m_tmp->path() + QStringLiteral("/runs/ddpm-nodata");
    useDdpmTiny(folder);
    const QString nowhere = m_tmp->path() + QStringLiteral("/nowhere");
    edit("fashionFolder")->setText(nowhere);
    QCOMPARE(m_panel->start(), quint64(0));
    QVERIFY(ctl()->messageIsError());
    QVERIFY2(ctl()->message().contains(QStringLiteral("Fashion-MNIST"))
            && ctl()->message().contains(QDir::toNativeSeparators(nowhere)),
        qPrintable(ctl()->message()));
    QVERIFY(!ctl()->isRunning());
    QVERIFY(!QFileInfo::exists(folder));
    edit("fashionFolder")->setText(QString::fromStdString(ml::fashionMnistDefaultFolder()));

    // Continuing the CLIP run's folder: the model follows the run (CLIP), with its settings.
    QCOMPARE(stateStep(m_run), qint64(kSteps));
    edit("runFolder")->setText(m_run);
    check("resumeRun")->setChecked(true);
    QCOMPARE(form()->kind(), RunKind::Clip);
    QCOMPARE(spin("trainingBatch")->value(), 32);
    QVERIFY(!combo("trainingModel")->isEnabled());
    QVERIFY(!ctl()->messageIsError());
    check("resumeRun")->setChecked(false);
    QVERIFY(combo("trainingModel")->isEnabled());
}

void TestTrainingPanel::ddpmTrainsPausesAndStops()
{
    if (!haveFashionMnist())
        QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
    useDdpmTiny(m_ddpmRun);
    const int runsBefore = ctl()->runs()->count();
    bool pauseOnSamples = true;
    const auto pauser = connect(
        m_window->bridge(), &EngineBridge::partial, m_panel, [&](quint64, const QString &kind, const QVariant &) {
            if (kind == QLatin1String("samples") && pauseOnSamples && !ctl()->isPauseRequested()) {
                pauseOnSamples = false;
                ctl()->togglePause();
            }
        });
    const auto cleanup = qScopeGuard([pauser] { QObject::disconnect(pauser); });

    const quint64 job = m_panel->start();
    QVERIFY2(job != 0, qPrintable(ctl()->message()));
    QVERIFY(ctl()->isRunning());
    QVERIFY(!combo("trainingModel")->isEnabled());
    QVERIFY(!spin("trainingSteps")->isEnabled());
    QCOMPARE(views()->currentWidget()->objectName(), QStringLiteral("trainingSamples")); // the curves above
    QCOMPARE(ctl()->runs()->count(), runsBefore + 1);
    const int row = runsBefore;
    QCOMPARE(ctl()->totalSteps(), qint64(kDdpmSteps));
    QVERIFY(button("openInDiffusion")->isHidden());

    QTRY_VERIFY_WITH_TIMEOUT(ctl()->isPaused(), kJobTimeoutMs);
    QCOMPARE(ctl()->stateText(), QStringLiteral("Paused"));
    QTest::qWait(200);
    const qint64 pausedAt = ctl()->currentStep();
    QVERIFY2(pausedAt >= kEvalEvery && pausedAt < kDdpmSteps, qPrintable(QString::number(pausedAt)));
    QTest::qWait(300);
    QCOMPARE(ctl()->currentStep(), pausedAt);

    // The loss and learning rate from the "metric" partials (every 5 steps); no temperature.
    QVERIFY(pointCount("lossPlot", row) >= 2);
    QVERIFY(pointCount("learningRatePlot", row) >= 2);
    QCOMPARE(pointCount("temperaturePlot", row), 0);
    QCOMPARE(pointCount("accuracyPlot", row), 0);
    QVERIFY(!!plot("temperaturePlot")->isHidden());

    // The sample grid: the model's own images, unlabelled, not flat, not all alike.
    const SampleGrid *grid = sampleGrid();
    QCOMPARE(grid->step(), qint64(kEvalEvery));
    QVERIFY(!grid->isLabelled());
    QCOMPARE(grid->samples().size(), qsizetype(4));
    for (const SampleGrid::Sample &s : grid->samples()) {
        QCOMPARE(s.image.size(), QSize(64, 64));
        QVERIFY(s.trueLabel.isEmpty());
        QVERIFY2(greySpread(s.image) > 40, qPrintable(QString::number(greySpread(s.image))));
    }
    QVERIFY(grid->samples()[0].image != grid->samples()[1].image);
    QVERIFY(statusSummary().contains(QStringLiteral("%1 / %2").arg(pausedAt).arg(kDdpmSteps)));

    ctl()->togglePause();
    QTRY_VERIFY_WITH_TIMEOUT(ctl()->currentStep() > pausedAt, kJobTimeoutMs);
    ctl()->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!ctl()->isRunning(), kJobTimeoutMs);
    QVERIFY2(!ctl()->messageIsError(), qPrintable(ctl()->message()));
    QCOMPARE(ctl()->stateText(), QStringLiteral("Stopped"));
    m_ddpmStoppedAt = ctl()->currentStep();
    QVERIFY2(m_ddpmStoppedAt > pausedAt && m_ddpmStoppedAt < kDdpmSteps, qPrintable(QString::number(m_ddpmStoppedAt)));
    QCOMPARE(stateStep(m_ddpmRun), m_ddpmStoppedAt);

    // The checkpoint in diffusers' flat layout, listed, and one click from the Diffusion panel.
    for (const char *file : {"config.json", "diffusion_pytorch_model.safetensors", "scheduler_config.json"})
        QVERIFY2(QFileInfo::exists(m_ddpmRun + QLatin1Char('/') + QLatin1String(file)), file);
    QVERIFY(QFileInfo::exists(m_ddpmRun + QStringLiteral("/samples.png")));
    const int checkpoint = static_cast<int>(ctl()->checkpoints().indexOf(QDir::cleanPath(m_ddpmRun)));
    QVERIFY(checkpoint >= 0);
    QSignalSpy diffusion(m_panel, &TrainingPanel::openInDiffusionRequested);
    QSignalSpy classify(m_panel, &TrainingPanel::openInClassifyRequested);
    QVERIFY(!button("openInDiffusion")->isHidden());
    button("openInDiffusion")->click();
    QCOMPARE(diffusion.count(), 1);
    QCOMPARE(QDir::cleanPath(diffusion.at(0).at(0).toString()), QDir::cleanPath(m_ddpmRun));
    QVERIFY(ctl()->openInDiffusion(checkpoint));
    QCOMPARE(diffusion.count(), 2);
    QVERIFY(!ctl()->openInClassify(checkpoint)); // not a CLIP model
    QCOMPARE(classify.count(), 0);

    const QString metrics = m_ddpmRun + QStringLiteral("/metrics.jsonl");
    QCOMPARE(pointCount("lossPlot", row), linesWith(metrics, "loss"));
    QCOMPARE(sampleGrid()->step(), m_ddpmStoppedAt); // a last grid on the way out
    QVERIFY(statusSummary().contains(QStringLiteral("fp32")));
    QVERIFY(button("trainingStart")->isEnabled());
    QVERIFY(combo("trainingModel")->isEnabled());
    QVERIFY(edit("runFolder")->text().contains(QStringLiteral("ddpm-tiny-")));
}

void TestTrainingPanel::ddpmContinuesTheRun()
{
    if (!haveFashionMnist())
        QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
    QVERIFY(m_ddpmStoppedAt > 0);
    // With CLIP chosen, the folder's trainer_state.json says DDPM: the form follows.
    form()->setKind(RunKind::Clip);
    edit("runFolder")->setText(m_ddpmRun);
    check("resumeRun")->setChecked(true);
    QCOMPARE(form()->kind(), RunKind::Ddpm);
    QVERIFY2(!ctl()->messageIsError(), qPrintable(ctl()->message()));
    QCOMPARE(combo("trainingPreset")->currentData().toString(), QStringLiteral("tiny"));
    QCOMPARE(spin("trainingSteps")->value(), kDdpmSteps);
    QCOMPARE(spin("trainingBatch")->value(), int(*ml::ddpmTrainPresetRequest("tiny").batch));
    QCOMPARE(spin("trainingSeed")->value(), 7);
    QVERIFY(!spin("trainingBatch")->isEnabled());
    spin("evalEvery")->setValue(0); // only at the end
    const int runs = ctl()->runs()->count();

    QVERIFY2(m_panel->start() != 0, qPrintable(ctl()->message()));
    QCOMPARE(ctl()->runs()->count(), runs); // the same curve goes on
    QTRY_VERIFY_WITH_TIMEOUT(!ctl()->isRunning(), kJobTimeoutMs);
    QVERIFY2(!ctl()->messageIsError(), qPrintable(ctl()->message()));
    QCOMPARE(ctl()->stateText(), QStringLiteral("Finished"));
    QCOMPARE(ctl()->currentStep(), qint64(kDdpmSteps));
    QCOMPARE(stateStep(m_ddpmRun), qint64(kDdpmSteps));
    const int row = runs - 1;
    QCOMPARE(ctl()->runs()->name(row), QStringLiteral("ddpm-live"));
    QCOMPARE(pointCount("lossPlot", row), linesWith(m_ddpmRun + QStringLiteral("/metrics.jsonl"), "loss"));
    QCOMPARE(sampleGrid()->step(), qint64(kDdpmSteps));
    QCOMPARE(ctl()->checkpoints().count(QDir::cleanPath(m_ddpmRun)), 1);
    QSignalSpy diffusion(m_panel, &TrainingPanel::openInDiffusionRequested);
    QVERIFY(!button("openInDiffusion")->isHidden());
    button("openInDiffusion")->click();
    QCOMPARE(diffusion.count(), 1);
    QCOMPARE(QDir::cleanPath(diffusion.at(0).at(0).toString()), QDir::cleanPath(m_ddpmRun));
    check("resumeRun")->setChecked(false);
}

QTEST_MAIN(TestTrainingPanel)
#include "test_training_panel.moc"
