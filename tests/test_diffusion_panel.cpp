// The Diffusion panel, offscreen, on the embedded ddpm-mini: it opens with the schedule drawn;
// a DDIM run shows every step's real model outputs (x̂0 at the last step is the sample; scrubbing
// shows a stored step exactly, step back computes nothing, step forward computes one more); the
// cursor follows t; a branch with the run's seed ends exactly as the run and another seed does
// not, both endings shown; the gallery's image is noised to the shown t and reconstructed; the
// trajectory exports as a PNG grid, a GIF and an MP4 that decode; the info line names the budget.
// Env: MODALLENS_SHOTS_DIR=DIR writes diffusion_*.png there.
#include "diffusion/diffusion_controller.h"
#include "diffusion/diffusion_panel.h"
// qcustomplot.h spells Qt's keywords, which the tests switch off (QT_NO_KEYWORDS).
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define foreach Q_FOREACH
#include "diffusion/diffusion_widgets.h"
#undef signals
#undef slots
#undef foreach
#include "common/engine_bridge.h"
#include "common/feature_layout.h"
#include "common/model_picker.h"
#include "common/qimage_convert.h"
#include "gallery/gallery_widget.h"
#include "main_window.h"
#include "main_window_test_util.h"

#include "ddpm_mini_test_util.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "io/media.h"

#include <ATen/Parallel.h>

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace {

constexpr int kJobTimeoutMs = 120000;

QImage imageOf(const ml::io::RgbImage &rgb)
{
    return toQImage(rgb).convertToFormat(QImage::Format_RGB32);
}

bool sameImage(const QImage &a, const QImage &b)
{
    return !a.isNull() && a.convertToFormat(QImage::Format_RGB32) == b.convertToFormat(QImage::Format_RGB32);
}

} // namespace

class TestDiffusionPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void opensDdpmMini();
    void workspaceLayout();
    void ddimRunScrubsAndSteps();
    void stepForwardComputesOneMore();
    void branchShowsBothEndings();
    void forwardProcessAndReconstruction();
    void dropAnImage();
    void exports();
    void budgetInTheInfoLine();
    void openInDiffusionChoosesTheCheckpoint();

private:
    bool configure(int scheduler, int steps, double eta, int seed); // and wait until open
    bool waitIdle();
    bool runAndWait(int count = -1);
    void shot(const QString &name);

    template<class T> T *child(const char *name) const
    {
        T *w = m_panel->findChild<T *>(QString::fromLatin1(name));
        if (!w)
            qFatal("no %s in the Diffusion panel", name);
        return w;
    }
    DiffusionTile *tile(const char *name) const { return child<DiffusionTile>(name); }
    QSlider *slider() const { return child<QSlider>("diffusionSlider"); }
    QComboBox *runCombo() const { return child<QComboBox>("diffusionRuns"); }
    SchedulePlot *plot() const { return child<SchedulePlot>("diffusionPlot"); }

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    DiffusionPanel *m_panel = nullptr;
    DiffusionController *m_c = nullptr;
};

void TestDiffusionPanel::initTestCase()
{
    if (!ddpm_mini_test::present())
        QSKIP("ddpm-mini is not in this tree");
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_diffusion_panel"));

    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1500, 1000));
    QVERIFY(m_window);
    at::set_num_threads(1);
    m_panel = m_window->diffusionPanel();
    QVERIFY(m_panel);
    m_c = m_panel->controller();
    QVERIFY(m_c);
    QCOMPARE(m_panel->windowTitle(), QStringLiteral("Diffusion"));
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    // No model remembered: the embedded ddpm-mini is chosen.
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->modelPicker()->currentPath().isEmpty(), kJobTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(fs::path(m_panel->modelPicker()->currentPath().toStdString()).filename().string(),
        std::string("ddpm-mini"), kJobTimeoutMs);
}

void TestDiffusionPanel::cleanupTestCase()
{
    m_window.reset();
}

bool TestDiffusionPanel::waitIdle()
{
    QElapsedTimer timer;
    timer.start();
    while (m_c->isBusy() && timer.elapsed() < kJobTimeoutMs)
        QTest::qWait(20);
    return !m_c->isBusy();
}

bool TestDiffusionPanel::configure(int scheduler, int steps, double eta, int seed)
{
    child<QComboBox>("diffusionScheduler")->setCurrentIndex(scheduler);
    child<QSpinBox>("diffusionSteps")->setValue(steps);
    child<QDoubleSpinBox>("diffusionEta")->setValue(eta);
    child<QSpinBox>("diffusionSeed")->setValue(seed);
    m_c->reopen();
    if (!waitIdle())
        return false;
    const auto info = m_c->session()->info();
    return m_c->session()->isOpen() && info.steps == steps
        && info.scheduler == (scheduler == DiffusionController::DdimScheduler ? "ddim" : "ddpm");
}

bool TestDiffusionPanel::runAndWait(int count)
{
    QSignalSpy stopped(m_c, &DiffusionController::runStopped);
    m_c->run(count);
    if (!m_c->isRunning())
        return false;
    return stopped.wait(kJobTimeoutMs) && !m_c->messageIsError() && waitIdle();
}

void TestDiffusionPanel::shot(const QString &name)
{
    const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR");
    if (dir.isEmpty())
        return;
    QTest::qWait(100);
    QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + name));
}

void TestDiffusionPanel::opensDdpmMini()
{
    QVERIFY(waitIdle());
    QVERIFY2(!m_c->messageIsError(), qPrintable(m_c->message()));
    QVERIFY(m_c->session()->isOpen());
    // The defaults: DDPM over the model's 1000 train steps.
    QCOMPARE(child<QComboBox>("diffusionScheduler")->currentIndex(), int(DiffusionController::DdpmScheduler));
    QCOMPARE(child<QSpinBox>("diffusionSteps")->value(), 1000);
    QVERIFY(!child<QDoubleSpinBox>("diffusionEta")->isEnabled());
    const auto info = m_c->session()->info();
    QCOMPARE(info.modelName, std::string("ddpm-mini"));
    QCOMPARE(info.steps, 1000);
    QVERIFY(child<QLabel>("diffusionInfo")->text().contains(QStringLiteral("ddpm-mini")));
    // The schedule: every train timestep, and a marker per inference step.
    QCOMPARE(plot()->betaGraph()->dataCount(), 1000);
    QCOMPARE(plot()->snrGraph()->dataCount(), 1000);
    QCOMPARE(plot()->stepsGraph()->dataCount(), 1000);
    const auto s = m_c->session()->schedule();
    QCOMPARE(plot()->alphaBarGraph()->data()->at(500)->value, s.trainAlphaBar[500]);
    shot(QStringLiteral("diffusion_open.png"));
}

// The workspace: the pictures, slider and schedule in the main view, the settings in a side
// panel that fits a 1366 x 768 screen (a ~640 px high central area) without scrolling.
void TestDiffusionPanel::workspaceLayout()
{
    auto *layout = m_panel->findChild<FeatureLayout *>(QStringLiteral("diffusionLayout"));
    QVERIFY(layout);
    QVERIFY(layout->mainView() && layout->sidePanel());
    for (const char *name : {"diffusionSample", "diffusionNoise", "diffusionPrediction", "diffusionForward"})
        QVERIFY(layout->mainView()->isAncestorOf(tile(name)));
    QVERIFY(layout->mainView()->isAncestorOf(slider()));
    QVERIFY(layout->mainView()->isAncestorOf(plot()));
    for (const char *name : {"diffusionRun", "diffusionBranch", "diffusionReconstruct"})
        QVERIFY(layout->sidePanel()->isAncestorOf(child<QPushButton>(name)));
    QVERIFY(layout->sidePanel()->isAncestorOf(child<QComboBox>("diffusionScheduler")));
    QVERIFY(layout->sidePanel()->isAncestorOf(m_panel->modelPicker()));
    QVERIFY2(layout->sidePanel()->sizeHint().height() <= 640,
        qPrintable(QString::number(layout->sidePanel()->sizeHint().height())));
    QVERIFY(layout->mainView()->minimumSizeHint().height() <= 640);

    // A panel alone in a 1366 x 640 central area: everything of the main view inside it.
    EngineBridge bridge;
    DiffusionPanel alone(&bridge);
    alone.resize(1366, 640);
    alone.show();
    QVERIFY(QTest::qWaitForWindowExposed(&alone));
    QCOMPARE(alone.height(), 640);
    for (const char *name : {"diffusionPlot", "diffusionSlider", "diffusionSample"}) {
        auto *w = alone.findChild<QWidget *>(QString::fromLatin1(name));
        QVERIFY(w);
        const QRect r(w->mapTo(&alone, QPoint(0, 0)), w->size());
        QVERIFY2(alone.rect().contains(r), name);
    }
    auto *sample = alone.findChild<DiffusionTile *>(QStringLiteral("diffusionSample"));
    QVERIFY(sample->imageRect().width() >= 160); // the pictures large
}

void TestDiffusionPanel::ddimRunScrubsAndSteps()
{
    QVERIFY(configure(DiffusionController::DdimScheduler, 10, 0.0, 3));
    QVERIFY(child<QDoubleSpinBox>("diffusionEta")->isEnabled());
    QList<QImage> seen;
    const auto conn = connect(m_c, &DiffusionController::viewChanged, this, [&] {
        const QImage img = tile("diffusionPrediction")->image();
        if (!img.isNull() && (seen.isEmpty() || seen.last() != img))
            seen << img;
    });
    QVERIFY(runAndWait());
    disconnect(conn);
    QVERIFY2(seen.size() >= 2, qPrintable(QString::number(seen.size()))); // x̂0 changed as it ran

    const auto session = m_c->session();
    const int run = m_c->currentRun();
    const auto info = session->run(run);
    QVERIFY(info && info->finished);
    QCOMPARE(info->stepsDone, 10);
    QCOMPARE(m_c->viewStep(), 10); // the result
    QCOMPARE(slider()->maximum(), 10);
    QVERIFY(sameImage(tile("diffusionSample")->image(), imageOf(session->currentPreview(run))));
    QVERIFY(child<QLabel>("diffusionStatus")->text().contains(QStringLiteral("ms/step")));
    // DDIM with set_alpha_to_one: the last step's x̂0 is the sample.
    const auto last = session->tensors(run, 9);
    QVERIFY(last);
    QVERIFY(ddpm_mini_test::maxAbsDiff(last->predOriginal.data, session->current(run).data) < 1e-5);

    // Scrubbing shows each stored step exactly; t and the cursor follow.
    const auto timesteps = session->timesteps();
    QImage previous;
    for (int i = 0; i < 10; ++i) {
        slider()->setValue(i);
        QCOMPARE(m_c->viewStep(), i);
        const auto t = session->tensors(run, i);
        QVERIFY(t);
        QVERIFY(sameImage(tile("diffusionSample")->image(), imageOf(ml::toRgbPreview(t->sample))));
        QVERIFY(sameImage(tile("diffusionNoise")->image(), imageOf(ml::toRgbPreview(t->modelOutput, ml::kEpsRange))));
        QVERIFY(sameImage(tile("diffusionPrediction")->image(), imageOf(ml::toRgbPreview(t->predOriginal))));
        QCOMPARE(m_c->shownTimestep(), static_cast<int>(timesteps[static_cast<std::size_t>(i)]));
        QCOMPARE(plot()->cursorTimestep(), static_cast<double>(timesteps[static_cast<std::size_t>(i)]));
        QVERIFY(plot()->isCursorVisible());
        QVERIFY(tile("diffusionSample")->image() != previous);
        previous = tile("diffusionSample")->image();
    }
    if (!qEnvironmentVariableIsEmpty("MODALLENS_SHOTS_DIR")) {
        m_c->setViewStep(5);
        shot(QStringLiteral("diffusion_scrub.png"));
    }
    // Step back: a stored step, nothing computed.
    m_c->setViewStep(6);
    m_c->stepBack();
    QCOMPARE(m_c->viewStep(), 5);
    QVERIFY(!m_c->isRunning());
    QVERIFY(sameImage(tile("diffusionSample")->image(), imageOf(session->previews(run, 5)->sample)));
}

void TestDiffusionPanel::stepForwardComputesOneMore()
{
    QVERIFY(configure(DiffusionController::DdimScheduler, 10, 0.0, 4));
    QVERIFY(runAndWait(3));
    const auto session = m_c->session();
    const int run = m_c->currentRun();
    QCOMPARE(session->run(run)->seed, std::uint64_t(4));
    QCOMPARE(session->run(run)->stepsDone, 3);
    QCOMPARE(m_c->viewStep(), 2);
    QVERIFY(child<QLabel>("diffusionStatus")->text().contains(QStringLiteral("3 of 10")));

    QSignalSpy stopped(m_c, &DiffusionController::runStopped);
    m_c->stepForward(); // at the last computed step: one more
    QVERIFY(m_c->isRunning());
    QVERIFY(stopped.wait(kJobTimeoutMs));
    QCOMPARE(session->run(run)->stepsDone, 4);
    QCOMPARE(m_c->viewStep(), 3);
    QVERIFY(sameImage(tile("diffusionPrediction")->image(), imageOf(session->previews(run, 3)->predOriginal)));

    m_c->stepBack();
    QCOMPARE(m_c->viewStep(), 2);
    m_c->stepForward(); // a stored step: nothing computed
    QVERIFY(!m_c->isRunning());
    QCOMPARE(m_c->viewStep(), 3);
    QCOMPARE(session->run(run)->stepsDone, 4);

    // Run continues the paused run to the end.
    QVERIFY(runAndWait());
    QCOMPARE(m_c->currentRun(), run);
    QVERIFY(session->run(run)->finished);
}

void TestDiffusionPanel::branchShowsBothEndings()
{
    QVERIFY(configure(DiffusionController::DdimScheduler, 10, 1.0, 3)); // eta 1: the seed matters at every step
    QVERIFY(runAndWait());
    const auto session = m_c->session();
    const int original = m_c->currentRun();
    QVERIFY(!child<QGroupBox>("diffusionEndings")->isVisibleTo(m_panel));

    // The same seed from step 5: the same ending, exactly.
    m_c->setViewStep(4);
    child<QSpinBox>("diffusionBranchSeed")->setValue(3);
    QSignalSpy stopped(m_c, &DiffusionController::runStopped);
    m_c->branchFromHere();
    QVERIFY(stopped.wait(kJobTimeoutMs));
    QVERIFY(waitIdle());
    const int same = m_c->currentRun();
    QVERIFY(same != original);
    QCOMPARE(session->run(same)->origin, ml::DenoiseRunInfo::Origin::Branch);
    QCOMPARE(session->run(same)->firstStep, 4);
    QCOMPARE(ddpm_mini_test::maxAbsDiff(session->current(same).data, session->current(original).data), 0.0);
    QVERIFY(child<QGroupBox>("diffusionEndings")->isVisibleTo(m_panel));
    QVERIFY(sameImage(tile("diffusionOriginalEnding")->image(), tile("diffusionBranchEnding")->image()));
    QCOMPARE(child<QSpinBox>("diffusionBranchSeed")->value(), 4); // the next branch gets a new seed

    // Another seed from the same step of the original: another ending.
    m_c->showRun(original);
    m_c->setViewStep(4);
    child<QSpinBox>("diffusionBranchSeed")->setValue(99);
    m_c->branchFromHere();
    QVERIFY(stopped.wait(kJobTimeoutMs));
    QVERIFY(waitIdle());
    const int other = m_c->currentRun();
    QCOMPARE(session->run(other)->seed, std::uint64_t(99));
    QVERIFY(ddpm_mini_test::maxAbsDiff(session->current(other).data, session->current(original).data) > 0.05);
    QVERIFY(!sameImage(tile("diffusionOriginalEnding")->image(), tile("diffusionBranchEnding")->image()));
    QVERIFY(sameImage(tile("diffusionBranchEnding")->image(), imageOf(session->currentPreview(other))));
    QCOMPARE(runCombo()->count(), 3);
    // Before the branch point the branch shows the original's steps.
    m_c->setViewStep(2);
    QVERIFY(sameImage(tile("diffusionSample")->image(), imageOf(session->previews(original, 2)->sample)));
    shot(QStringLiteral("diffusion_branch.png"));

    // Clicking the original ending shows that trajectory.
    QTest::mouseClick(
        tile("diffusionOriginalEnding"), Qt::LeftButton, {}, tile("diffusionOriginalEnding")->imageRect().center());
    QCOMPARE(m_c->currentRun(), original);
    QCOMPARE(runCombo()->currentData().toInt(), original);
}

void TestDiffusionPanel::forwardProcessAndReconstruction()
{
    QVERIFY(configure(DiffusionController::DdimScheduler, 10, 0.0, 5));
    // A white T-shirt-like block on black, as the gallery's current image.
    QImage img(96, 96, QImage::Format_RGB32);
    img.fill(Qt::black);
    QPainter p(&img);
    p.fillRect(28, 20, 40, 60, Qt::white);
    p.fillRect(14, 20, 68, 16, Qt::white);
    p.end();
    const QString file = m_tmp->path() + QStringLiteral("/shirt.png");
    QVERIFY(img.save(file));
    QSignalSpy ready(m_c, &DiffusionController::forwardReady);
    Q_EMIT m_window->gallery()->currentChanged(file); // MainWindow passes it on
    QCOMPARE(m_c->forwardPath(), file);
    QVERIFY(ready.wait(kJobTimeoutMs));
    QVERIFY(runAndWait());
    const auto session = m_c->session();
    QVERIFY(session->hasForwardImage());
    const auto x0 = session->forwardOriginal();
    QCOMPARE(x0.width, 32);
    QCOMPARE(x0.data[0], -1.0f);
    QCOMPARE(x0.data[10 * 32 + 16], 1.0f);
    // The forward tile is x_t of the image at the shown t, with the seed's x_T as ε.
    QCOMPARE(
        ddpm_mini_test::maxAbsDiff(session->forwardNoise().data, session->tensors(m_c->currentRun(), 0)->sample.data),
        0.0);
    const auto schedule = session->schedule();
    for (int i : {0, 6, 9}) {
        m_c->setViewStep(i);
        const int t = m_c->shownTimestep();
        const auto xt = session->forwardSample(t);
        const double a = schedule.trainAlphaBar[static_cast<std::size_t>(t)];
        std::vector<float> want(xt.data.size());
        for (std::size_t k = 0; k < want.size(); ++k)
            want[k]
                = static_cast<float>(std::sqrt(a) * x0.data[k] + std::sqrt(1.0 - a) * session->forwardNoise().data[k]);
        QVERIFY(ddpm_mini_test::maxAbsDiff(xt.data, want) < 1e-5);
        QVERIFY(sameImage(tile("diffusionForward")->image(), imageOf(ml::toRgbPreview(xt))));
        QVERIFY(tile("diffusionForward")->title().contains(QStringLiteral("shirt.png")));
    }
    // Reconstruct from step 7 (t = 300): a run that starts at the forward x_t.
    m_c->setViewStep(6);
    QSignalSpy stopped(m_c, &DiffusionController::runStopped);
    m_c->reconstructFromHere();
    QVERIFY(stopped.wait(kJobTimeoutMs));
    QVERIFY(waitIdle());
    const int rec = m_c->currentRun();
    QCOMPARE(session->run(rec)->origin, ml::DenoiseRunInfo::Origin::Reconstruction);
    QCOMPARE(session->run(rec)->firstStep, 6);
    QVERIFY(session->run(rec)->finished);
    QCOMPARE(slider()->minimum(), 6);
    QCOMPARE(ddpm_mini_test::maxAbsDiff(session->tensors(rec, 6)->sample.data, session->forwardSample(300).data), 0.0);
    QVERIFY(runCombo()->currentText().contains(QStringLiteral("shirt.png")));
    m_c->setViewStep(7);
    shot(QStringLiteral("diffusion_forward.png"));
}

// A file dropped on the panel becomes the forward process's image.
void TestDiffusionPanel::dropAnImage()
{
    QImage img(40, 40, QImage::Format_RGB32);
    img.fill(Qt::white);
    const QString file = m_tmp->path() + QStringLiteral("/dropped.png");
    QVERIFY(img.save(file));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(file)});
    const QPointF pos(m_panel->width() / 2.0, 20.0);
    QDragEnterEvent enter(pos.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_panel, &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy ready(m_c, &DiffusionController::forwardReady);
    QDropEvent drop(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_panel, &drop);
    QCOMPARE(m_c->forwardPath(), file);
    QVERIFY(ready.wait(kJobTimeoutMs));
    const auto x0 = m_c->session()->forwardOriginal();
    QCOMPARE(x0.data.size(), std::size_t(32 * 32));
    QVERIFY(std::all_of(x0.data.begin(), x0.data.end(), [](float v) { return v == 1.0f; }));
    QVERIFY(tile("diffusionForward")->title().contains(QStringLiteral("dropped.png")));
}

void TestDiffusionPanel::exports()
{
    QVERIFY(configure(DiffusionController::DdimScheduler, 20, 0.0, 6));
    QVERIFY(runAndWait());
    // The grid: 10 steps + the result, two rows, labelled.
    const QString grid = m_tmp->path() + QStringLiteral("/grid.png");
    QVERIFY(m_c->exportGrid(grid));
    const QImage g(grid);
    QVERIFY(!g.isNull());
    QVERIFY(g.width() >= 11 * 96);
    QVERIFY(g.height() >= 2 * 96);
    if (const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR"); !dir.isEmpty())
        QVERIFY(g.save(QString::fromLocal8Bit(dir) + QStringLiteral("/diffusion_grid.png")));
    for (const QString &name : {QStringLiteral("trajectory.gif"), QStringLiteral("trajectory.mp4")}) {
        const QString file = m_tmp->path() + QLatin1Char('/') + name;
        QSignalSpy done(m_c, &DiffusionController::exported);
        QVERIFY(m_c->exportAnimation(file));
        QVERIFY(done.wait(kJobTimeoutMs));
        QVERIFY2(done.first().at(0).toBool(), qPrintable(m_c->message()));
        // Says what went where, in the message line (the status line is rewritten by the run's state).
        QVERIFY(!m_c->messageIsError());
        QVERIFY2(m_c->message().contains(QDir::toNativeSeparators(file)), qPrintable(m_c->message()));
        ml::io::VideoDecoder decoder(file.toStdString());
        QVERIFY(decoder.info().width >= 2 * 256);
        QVERIFY(decoder.info().height >= 256);
        QVERIFY(decoder.info().durationS > 1.0); // 20 steps + the result + a 1 s hold at 15 fps
        ml::io::VideoFrame frame;
        int frames = 1;
        while (decoder.next(frame))
            ++frames;
        QVERIFY2(frames >= 21, qPrintable(QString::number(frames)));
    }
}

void TestDiffusionPanel::budgetInTheInfoLine()
{
    QVERIFY(child<QLabel>("diffusionInfo")->text().contains(QStringLiteral("256.0 MB budget")));
    m_c->session()->setMemoryBudget(0);
    QVERIFY(configure(DiffusionController::DdimScheduler, 10, 0.0, 8));
    QVERIFY(runAndWait());
    QVERIFY(child<QLabel>("diffusionInfo")->text().contains(QStringLiteral("0.0 MB of a 0.0 MB budget")));
    QVERIFY(runCombo()->currentText().contains(QStringLiteral("previews only")));
    // The history: with a budget below one run, only the shown (newest) run stays, in the list too.
    QVERIFY(configure(DiffusionController::DdimScheduler, 10, 0.0, 9));
    QVERIFY(runAndWait());
    QVERIFY(m_c->session()->runs().size() >= 2);
    m_c->session()->setHistoryBudget(1);
    QVERIFY(configure(DiffusionController::DdimScheduler, 10, 0.0, 10));
    QVERIFY(runAndWait());
    QCOMPARE(m_c->session()->runs().size(), std::size_t(1));
    QCOMPARE(runCombo()->count(), 1);
    QVERIFY(child<QLabel>("diffusionInfo")->text().contains(QStringLiteral("oldest run(s) dropped")));
    m_c->session()->setHistoryBudget(ml::DenoiseSession::kDefaultHistoryBytes);
    // Previews still scrub.
    m_c->setViewStep(3);
    QVERIFY(!tile("diffusionSample")->image().isNull());
    m_c->session()->setMemoryBudget(ml::DenoiseSession::kDefaultBudgetBytes);
}

// What the Training panel's "Open in Diffusion" does: a run folder that is not listed yet is found,
// chosen and opened, and the panel is raised.
void TestDiffusionPanel::openInDiffusionChoosesTheCheckpoint()
{
    const fs::path run = fs::path(m_tmp->path().toStdString()) / "runs" / "ddpm-mine";
    fs::create_directories(run);
    for (const char *name : {"config.json", "diffusion_pytorch_model.safetensors", "scheduler_config.json"})
        fs::copy_file(fs::path(ml::resolveModelPath("ddpm-mini")) / name, run / name);
    // Another module on screen first.
    m_window->showModule(m_window->library());
    QTRY_VERIFY(m_panel->visibleRegion().isEmpty());
    const QString folder = QString::fromStdString(run.string());
    m_window->openInDiffusion(folder);
    QTRY_COMPARE_WITH_TIMEOUT(
        QDir::cleanPath(m_panel->modelPicker()->currentPath()), QDir::cleanPath(folder), kJobTimeoutMs);
    QVERIFY(waitIdle());
    QVERIFY(m_c->session()->isOpen());
    QVERIFY(QString::fromStdString(m_c->session()->info().modelPath).contains(QStringLiteral("ddpm-mine")));
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
}

QTEST_MAIN(TestDiffusionPanel)
#include "test_diffusion_panel.moc"
