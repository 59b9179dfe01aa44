// The Prompt tuning panel, offscreen: a wrong folder is refused in the panel with no job; CoOp on
// clip-mini and a small "how many shapes" folder shows the job's before/after accuracy, per class
// and the context's nearest words, saves the prompt, and "Use in Classify" hands it over. The
// sample gallery's labelled garments fill the folder (on first show, or with Samples) and train.
// Env: MODALLENS_SHOTS_DIR=DIR writes coop_panel.png there (the panel after the run).
#include "classify/classify_controller.h"
#include "classify/classify_panel.h"
#include "classify/coop_controller.h"
#include "classify/coop_panel.h"
#include "classify/coop_result_view.h"
#include "classify/coop_setup_panel.h"
#include "common/engine_bridge.h"
#include "common/feature_layout.h"
#include "common/model_picker.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "shapes_test_util.h"
#include "workspace.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "io/media.h"
#include "train/fashion_mnist.h"
#include "train/sample_gallery.h"
#include "train/shapes_world.h"

#include <ATen/Parallel.h>

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

#include <filesystem>
#include <map>
#include <memory>

namespace fs = std::filesystem;

namespace {

using shapes_test::writeCountFolder;

constexpr int kJobTimeoutMs = 120000;

bool clipMiniPresent()
{
    try {
        return fs::is_regular_file(fs::path(ml::resolveModelPath("clip-mini")) / "model.safetensors");
    } catch (const ml::Error &) {
        return false;
    }
}

// Puts a feature's panel in front: its dock raised (the dock layout) or its page of the central
// stack made current (the workspace layout).
void bringToFront(MainWindow *window, QWidget *panel)
{
    window->showModule(panel);
}

} // namespace

class TestCoopPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void defaults();
    void rejectsBadFolders_data();
    void rejectsBadFolders();
    void learnsAPrompt();
    void usesItInClassify();
    void cancels();
    void learnsOnTheSampleGallery();

private:
    template<typename T> T *child(const char *name = nullptr) const
    {
        T *w = name ? m_panel->findChild<T *>(QLatin1String(name)) : m_panel->findChild<T *>();
        Q_ASSERT(w);
        return w;
    }
    QSpinBox *spin(const char *name) const { return child<QSpinBox>(name); }
    QLineEdit *edit(const char *name) const { return child<QLineEdit>(name); }
    QPushButton *button(const char *name) const { return child<QPushButton>(name); }

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    QString m_noResultWhy = QStringLiteral("learnsAPrompt did not run"); // why usesItInClassify & co. skip
    CoopPanel *m_panel = nullptr;
    CoopController *m_coop = nullptr;
    QString m_counts;
};

void TestCoopPanel::initTestCase()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_coop_panel"));
    QDir(CoopController::promptsRoot()).removeRecursively(); // test mode: ~/.qttest/share/..., kept between runs

    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1400, 900));
    QVERIFY(m_window);
    at::set_num_threads(1); // the engine takes every core; see test_training_panel
    m_panel = m_window->coopPanel();
    QVERIFY(m_panel);
    m_coop = m_panel->controller();
    QCOMPARE(m_panel->windowTitle(), QStringLiteral("Prompt Tuning"));
    // The Library is the module on screen at start (a module behind it is "visible", with nothing shown).
    QCOMPARE(m_window->workspace()->currentModule(), m_window->library());
    QVERIFY(m_panel->visibleRegion().isEmpty());

    // 4 shots + 20 held-out images per class.
    m_counts = m_tmp->path() + QStringLiteral("/counts");
    writeCountFolder(fs::path(m_counts.toStdString()), 24, 2024);
}

void TestCoopPanel::cleanupTestCase()
{
    m_window.reset();
    QDir(CoopController::promptsRoot()).removeRecursively();
}

void TestCoopPanel::defaults()
{
    QCOMPARE(spin("coopShots")->value(), 4);
    QCOMPARE(spin("coopContext")->value(), 16);
    QCOMPARE(child<QComboBox>("coopKind")->currentIndex(), 0);
    QCOMPARE(edit("coopTemplate")->text(), QStringLiteral("a photo of a {}."));
    QVERIFY(button("coopStart")->isEnabled());
    // The workspace layout: the form in a side panel that fits a 1366 x 768 screen's central
    // area (about 640 pixels high) without scrolling, the curve and the results in the main view.
    auto *layout = child<FeatureLayout>("coopLayout");
    QCOMPARE(layout->sidePanel()->objectName(), QStringLiteral("coopSide"));
    QCOMPARE(layout->mainView()->objectName(), QStringLiteral("coopResults"));
    QVERIFY2(layout->sidePanel()->sizeHint().height() <= 640,
        qPrintable(QString::number(layout->sidePanel()->sizeHint().height())));
    QVERIFY(!child<QWidget>("coopHeadline")->isVisibleTo(layout->mainView()));
    QVERIFY(child<QWidget>("coopResultsHint")->isVisibleTo(layout->mainView()));
    QVERIFY(!button("coopCancel")->isEnabled());
    QVERIFY(!button("coopUseInClassify")->isEnabled());
    // The output follows the folder, under the app's data folder ($XDG_DATA_HOME/ModalLens/prompts).
    edit("coopFolder")->setText(m_counts);
    const QString out = QDir::fromNativeSeparators(edit("coopOutput")->text());
    QCOMPARE(out, CoopController::promptsRoot() + QStringLiteral("/counts-coop.safetensors"));
    // Words instead of a count.
    edit("coopInitWords")->setText(QStringLiteral("a photo of a"));
    QVERIFY(!spin("coopContext")->isEnabled());
    edit("coopInitWords")->clear();
    QVERIFY(spin("coopContext")->isEnabled());
}

void TestCoopPanel::rejectsBadFolders_data()
{
    QTest::addColumn<QString>("folder"); // relative to the temporary folder
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty") << QString() << "Choose a labelled folder";
    QTest::newRow("missing") << "nope"
                             << "does not exist";
    QTest::newRow("one class") << "one-class"
                               << "at least 2 class sub-folders";
    QTest::newRow("a file") << "a-file"
                            << "is a file";
}

void TestCoopPanel::rejectsBadFolders()
{
    QFETCH(QString, folder);
    QFETCH(QString, expected);
    QVERIFY(QDir().mkpath(m_tmp->path() + QStringLiteral("/one-class/cat")));
    QFile file(m_tmp->path() + QStringLiteral("/a-file"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();

    // The model list must be there, or the panel stops at the model.
    ModelPicker *picker = child<ModelPicker>();
    if (picker->currentPath().isEmpty()) {
        QSignalSpy refreshed(picker, &ModelPicker::refreshed);
        picker->refresh();
        QVERIFY(refreshed.wait(kJobTimeoutMs));
    }
    edit("coopFolder")->setText(folder.isEmpty() ? QString() : m_tmp->path() + QLatin1Char('/') + folder);
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);
    QCOMPARE(m_panel->start(), quint64(0));
    QVERIFY2(m_coop->message().contains(expected), qPrintable(m_coop->message()));
    QVERIFY(m_coop->messageIsError());
    QVERIFY(!m_coop->isRunning());
    QCoreApplication::processEvents();
    // Only the panel's own job counts: the model picker may search on the I/O lane meanwhile.
    int coopJobs = 0;
    for (const QList<QVariant> &args : std::as_const(started))
        coopJobs += args.at(1).toString().contains(QStringLiteral("(CoOp)")) ? 1 : 0;
    QCOMPARE(coopJobs, 0);
}

void TestCoopPanel::learnsAPrompt()
{
    if (!clipMiniPresent())
        QSKIP("clip-mini is not in resources/models: nothing to learn a prompt for");
    // Updated as the run goes, so the slots after this one can say where it stopped.
    m_noResultWhy = QStringLiteral("learnsAPrompt failed before its run finished");
    ModelPicker *picker = child<ModelPicker>();
    QVERIFY2(
        QFileInfo(picker->currentPath()).fileName() == QStringLiteral("clip-mini"), qPrintable(picker->currentPath()));

    // Too few images for the shots: the core's message, in the panel.
    edit("coopFolder")->setText(m_counts);
    spin("coopShots")->setValue(24);
    QSignalSpy finished(m_window->bridge(), &EngineBridge::finished);
    QVERIFY(m_panel->start() != 0);
    QTRY_VERIFY_WITH_TIMEOUT(!m_coop->isRunning(), kJobTimeoutMs);
    QVERIFY2(m_coop->message().contains(QStringLiteral("need at least 25 images")), qPrintable(m_coop->message()));
    QVERIFY(m_coop->messageIsError());
    QVERIFY(!m_coop->result());
    QCOMPARE(child<QLabel>("coopMessage")->text(), m_coop->message());

    spin("coopShots")->setValue(4);
    spin("coopContext")->setValue(4);
    spin("coopSteps")->setValue(200);
    spin("coopSeed")->setValue(1);
    const QString out = QDir::fromNativeSeparators(edit("coopOutput")->text());
    QVERIFY(!QFileInfo::exists(out));
    finished.clear();
    const quint64 job = m_panel->start();
    QVERIFY(job != 0);
    m_noResultWhy = QStringLiteral("learnsAPrompt's run did not finish in %1 s").arg(kJobTimeoutMs / 1000);
    QVERIFY(m_coop->isRunning());
    QVERIFY(button("coopCancel")->isEnabled());
    QVERIFY(!edit("coopFolder")->isEnabled());
    // The loss curve is in the main view from the start; the results appear when it finishes.
    auto *results = child<CoopResultView>();
    QVERIFY(child<QWidget>("coopLossPlot")->isVisibleTo(results));
    QVERIFY(finished.wait(kJobTimeoutMs));
    QTRY_VERIFY_WITH_TIMEOUT(!m_coop->isRunning(), kJobTimeoutMs);
    QCOMPARE(finished.last().at(0).toULongLong(), job);
    QVERIFY2(finished.last().at(1).toBool(), qPrintable(finished.last().at(2).toString()));

    // What the panel shows is the job's result.
    QVERIFY(m_coop->result());
    const ml::CoopResult &r = *m_coop->result();
    qInfo("panel: %.1f%% -> %.1f%% on %lld held-out images, %lld steps, %.1f s", 100.0 * r.accuracyBefore,
        100.0 * r.accuracyAfter, static_cast<long long>(r.evalImages), static_cast<long long>(r.steps), r.seconds);
    QCOMPARE(r.evalImages, std::int64_t(3 * 20));
    QCOMPARE(r.steps, std::int64_t(200));
    QVERIFY2(r.accuracyAfter > r.accuracyBefore,
        qPrintable(QStringLiteral("before %1, after %2").arg(r.accuracyBefore).arg(r.accuracyAfter)));
    const auto percent = [](double v) { return QStringLiteral("%1 %").arg(QLocale().toString(100.0 * v, 'f', 1)); };
    QCOMPARE(child<QLabel>("coopBefore")->text(), percent(r.accuracyBefore));
    QCOMPARE(child<QLabel>("coopAfter")->text(), percent(r.accuracyAfter));
    QVERIFY(child<QWidget>("coopHeadline")->isVisibleTo(results));
    QVERIFY(child<QWidget>("coopPerClass")->isVisibleTo(results));
    QVERIFY(!child<QWidget>("coopResultsHint")->isVisibleTo(results));
    QVERIFY(child<CoopResultView>()->lossPointCount() > 0);

    QTableWidget *perClass = child<QTableWidget>("coopPerClass");
    QCOMPARE(perClass->rowCount(), 3);
    QCOMPARE(perClass->item(0, 0)->text(), QStringLiteral("one"));
    QCOMPARE(perClass->item(0, 2)->text(), percent(r.perClassAfter[0]));
    QTableWidget *words = child<QTableWidget>("coopWords");
    QCOMPARE(words->rowCount(), 4); // unified, M = 4
    for (int row = 0; row < 4; ++row)
        QVERIFY(!words->item(row, 1)->text().isEmpty());
    QCOMPARE(words->item(0, 1)->text().section(QLatin1Char(' '), 0, 0),
        QString::fromStdString(r.words.front().nearest.front().word));

    QCOMPARE(QDir::fromNativeSeparators(m_coop->savedPrompt()), out);
    QVERIFY(QFileInfo::exists(out));
    QVERIFY(button("coopUseInClassify")->isEnabled());
    // The next run would not overwrite it.
    QVERIFY(QDir::fromNativeSeparators(edit("coopOutput")->text()) != out);
    QVERIFY(edit("coopFolder")->isEnabled());

    if (const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR"); !dir.isEmpty()) {
        bringToFront(m_window.get(), m_panel);
        QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
        QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/coop_window.png")));
        QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/coop_panel.png")));
    }
}

void TestCoopPanel::usesItInClassify()
{
    if (!m_coop->result())
        QSKIP(qPrintable(QStringLiteral("skipped: no learnt prompt (%1)").arg(m_noResultWhy)));
    ClassifyPanel *classify = m_window->classifyPanel();
    bringToFront(m_window.get(), m_panel);
    QTRY_VERIFY(classify->visibleRegion().isEmpty());
    classify->setLabels({QStringLiteral("cat"), QStringLiteral("dog")});
    QSignalSpy requested(m_panel, &CoopPanel::useInClassifyRequested);
    button("coopUseInClassify")->click();
    QCOMPARE(requested.count(), 1);
    QCOMPARE(QDir::cleanPath(classify->controller()->learntPrompt()), QDir::cleanPath(m_coop->savedPrompt()));
    QCOMPARE(classify->controller()->labels(),
        (QStringList {QStringLiteral("one"), QStringLiteral("three"), QStringLiteral("two")}));
    QTRY_VERIFY(!classify->visibleRegion().isEmpty()); // its dock raised over this one
}

void TestCoopPanel::cancels()
{
    if (!m_coop->result())
        QSKIP(qPrintable(QStringLiteral("skipped: no learnt prompt (%1)").arg(m_noResultWhy)));
    const double before = m_coop->result()->accuracyAfter;
    spin("coopSteps")->setValue(1000000);
    const QString out = QDir::fromNativeSeparators(edit("coopOutput")->text());
    QVERIFY(m_panel->start() != 0);
    QTRY_VERIFY_WITH_TIMEOUT(child<CoopResultView>()->lossPointCount() > 0, kJobTimeoutMs); // training, not loading
    button("coopCancel")->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_coop->isRunning(), kJobTimeoutMs);
    QVERIFY2(m_coop->message().contains(QStringLiteral("Cancelled")), qPrintable(m_coop->message()));
    QVERIFY(!m_coop->messageIsError());
    QVERIFY(!QFileInfo::exists(out));
    QCOMPARE(m_coop->result()->accuracyAfter, before); // the last finished run stays shown
    QVERIFY(button("coopStart")->isEnabled());
}

void TestCoopPanel::learnsOnTheSampleGallery()
{
    // No gallery yet: the button says how to get one.
    QVERIFY(m_coop->sampleGalleryFolder().isEmpty());
    edit("coopFolder")->clear();
    QVERIFY(!m_panel->findChild<CoopSetupPanel *>()->useSampleGallery());
    QVERIFY2(m_coop->message().contains(QStringLiteral("Open Sample Gallery")), qPrintable(m_coop->message()));
    QVERIFY(!m_coop->messageIsError());
    QVERIFY(edit("coopFolder")->text().isEmpty());

    if (!ml::train::FashionMnist::available(ml::train::FashionSplit::Test))
        QSKIP("Fashion-MNIST is not installed: the sample gallery has no labelled folder");
    const auto gallery = ml::train::writeSampleGallery(ml::train::defaultSampleGalleryDir());
    const QString labelled = QDir::toNativeSeparators(QString::fromStdString(gallery.labelled));
    QVERIFY(!labelled.isEmpty());
    QCOMPARE(m_coop->sampleGalleryFolder(), labelled);

    // Shown with an empty folder field: the panel starts on the gallery's labelled folder.
    bringToFront(m_window.get(), m_window->classifyPanel());
    QTRY_VERIFY(m_panel->visibleRegion().isEmpty());
    bringToFront(m_window.get(), m_panel);
    QTRY_COMPARE(edit("coopFolder")->text(), labelled);
    edit("coopFolder")->setText(m_counts);
    child<QToolButton>("coopUseSamples")->click();
    QCOMPARE(edit("coopFolder")->text(), labelled);

    if (!clipMiniPresent())
        QSKIP("clip-mini is not in resources/models: nothing to learn a prompt for");
    spin("coopShots")->setValue(4);
    spin("coopContext")->setValue(4);
    spin("coopSteps")->setValue(20);
    QSignalSpy finished(m_window->bridge(), &EngineBridge::finished);
    const quint64 job = m_panel->start();
    QVERIFY2(job != 0, qPrintable(m_coop->message()));
    QTRY_VERIFY_WITH_TIMEOUT(!m_coop->isRunning(), kJobTimeoutMs);
    QVERIFY2(!m_coop->messageIsError(), qPrintable(m_coop->message()));
    QVERIFY(m_coop->result());
    QCOMPARE(m_coop->result()->classes.size(), std::size_t(10));
    QCOMPARE(m_coop->result()->evalImages, std::int64_t(10 * 6)); // 10 per class, 4 of them shots
}

QTEST_MAIN(TestCoopPanel)
#include "test_coop_panel.moc"
