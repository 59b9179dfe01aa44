// The Prompt tuning panel, offscreen: a wrong folder is refused in the panel with no job; CoOp on
// clip-mini and a small "how many shapes" folder shows the job's before/after accuracy, per class
// and the context's nearest words, saves the prompt, and "Use in Classify" hands it over. The
// sample gallery's labelled garments fill the folder (on first show, or with Samples) and train.
// Env: MODALLENS_SHOTS_DIR=DIR writes coop_panel.png there (the panel after the run).
#include "classify/classify_panel.h"
#include "classify/coop_panel.h"
#include "common/engine_bridge.h"
#include "common/model_picker.h"
#include "main_window.h"
#include "workspace.h"
#include "main_window_test_util.h"
#include "shapes_test_util.h"

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
    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    CoopPanel *m_panel = nullptr;
    QString m_counts;
    // Why learnsAPrompt left no result, for the slots that build on it; set as it starts.
    QString m_noResultWhy = QStringLiteral("learnsAPrompt has not run");
};

void TestCoopPanel::initTestCase()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_coop_panel"));
    QDir(CoopPanel::promptsRoot()).removeRecursively(); // test mode: ~/.qttest/share/..., kept between runs

    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1400, 900));
    QVERIFY(m_window);
    at::set_num_threads(1); // the engine takes every core; see test_training_panel
    m_panel = m_window->coopPanel();
    QVERIFY(m_panel);
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
    QDir(CoopPanel::promptsRoot()).removeRecursively();
}

void TestCoopPanel::defaults()
{
    QCOMPARE(m_panel->shotsSpin()->value(), 4);
    QCOMPARE(m_panel->contextSpin()->value(), 16);
    QCOMPARE(m_panel->kindCombo()->currentIndex(), 0);
    QCOMPARE(m_panel->templateEdit()->text(), QStringLiteral("a photo of a {}."));
    QVERIFY(m_panel->startButton()->isEnabled());
    QVERIFY(!m_panel->cancelButton()->isEnabled());
    QVERIFY(!m_panel->useInClassifyButton()->isEnabled());
    // The output follows the folder, under the app's data folder ($XDG_DATA_HOME/ModalLens/prompts).
    m_panel->folderEdit()->setText(m_counts);
    const QString out = QDir::fromNativeSeparators(m_panel->outputEdit()->text());
    QCOMPARE(out, CoopPanel::promptsRoot() + QStringLiteral("/counts-coop.safetensors"));
    // Words instead of a count.
    m_panel->initWordsEdit()->setText(QStringLiteral("a photo of a"));
    QVERIFY(!m_panel->contextSpin()->isEnabled());
    m_panel->initWordsEdit()->clear();
    QVERIFY(m_panel->contextSpin()->isEnabled());
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
    ModelPicker *picker = m_panel->modelPicker();
    if (picker->currentPath().isEmpty()) {
        QSignalSpy refreshed(picker, &ModelPicker::refreshed);
        picker->refresh();
        QVERIFY(refreshed.wait(kJobTimeoutMs));
    }
    m_panel->folderEdit()->setText(folder.isEmpty() ? QString() : m_tmp->path() + QLatin1Char('/') + folder);
    QSignalSpy started(m_window->bridge(), &EngineBridge::started);
    QCOMPARE(m_panel->start(), quint64(0));
    QVERIFY2(m_panel->message().contains(expected), qPrintable(m_panel->message()));
    QVERIFY(m_panel->messageIsError());
    QVERIFY(!m_panel->isRunning());
    QCoreApplication::processEvents();
    // Only the panel's own job counts: the model picker may search on the I/O lane meanwhile.
    int coopJobs = 0;
    for (const QList<QVariant> &args : std::as_const(started))
        coopJobs += args.at(1).toString().contains(QStringLiteral("(CoOp)")) ? 1 : 0;
    QCOMPARE(coopJobs, 0);
}

void TestCoopPanel::learnsAPrompt()
{
    if (!clipMiniPresent()) {
        m_noResultWhy = QStringLiteral("clip-mini is not in resources/models, so learnsAPrompt learnt nothing");
        QSKIP("clip-mini is not in resources/models: nothing to learn a prompt for");
    }
    // Updated as the run goes, so the slots after this one can say where it stopped.
    m_noResultWhy = QStringLiteral("learnsAPrompt failed before its run finished");
    ModelPicker *picker = m_panel->modelPicker();
    QVERIFY2(
        QFileInfo(picker->currentPath()).fileName() == QStringLiteral("clip-mini"), qPrintable(picker->currentPath()));

    // Too few images for the shots: the core's message, in the panel.
    m_panel->folderEdit()->setText(m_counts);
    m_panel->shotsSpin()->setValue(24);
    QSignalSpy finished(m_window->bridge(), &EngineBridge::finished);
    QVERIFY(m_panel->start() != 0);
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QVERIFY2(m_panel->message().contains(QStringLiteral("need at least 25 images")), qPrintable(m_panel->message()));
    QVERIFY(m_panel->messageIsError());
    QVERIFY(!m_panel->result());

    m_panel->shotsSpin()->setValue(4);
    m_panel->contextSpin()->setValue(4);
    m_panel->stepsSpin()->setValue(200);
    m_panel->seedSpin()->setValue(1);
    const QString out = QDir::fromNativeSeparators(m_panel->outputEdit()->text());
    QVERIFY(!QFileInfo::exists(out));
    finished.clear();
    const quint64 job = m_panel->start();
    QVERIFY(job != 0);
    QVERIFY(m_panel->isRunning());
    QVERIFY(m_panel->cancelButton()->isEnabled());
    QVERIFY(!m_panel->folderEdit()->isEnabled());
    QCOMPARE(m_panel->tabs()->currentIndex(), int(CoopPanel::LossTab));
    m_noResultWhy = QStringLiteral("learnsAPrompt's run did not finish in %1 s").arg(kJobTimeoutMs / 1000);
    QVERIFY(finished.wait(kJobTimeoutMs));
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QCOMPARE(finished.last().at(0).toULongLong(), job);
    m_noResultWhy = QStringLiteral("learnsAPrompt's run failed: ") + finished.last().at(2).toString();
    QVERIFY2(finished.last().at(1).toBool(), qPrintable(finished.last().at(2).toString()));

    // What the panel shows is the job's result.
    QVERIFY(m_panel->result());
    const ml::CoopResult &r = *m_panel->result();
    qInfo("panel: %.1f%% -> %.1f%% on %lld held-out images, %lld steps, %.1f s", 100.0 * r.accuracyBefore,
        100.0 * r.accuracyAfter, static_cast<long long>(r.evalImages), static_cast<long long>(r.steps), r.seconds);
    QCOMPARE(r.evalImages, std::int64_t(3 * 20));
    QCOMPARE(r.steps, std::int64_t(200));
    QVERIFY2(r.accuracyAfter > r.accuracyBefore,
        qPrintable(QStringLiteral("before %1, after %2").arg(r.accuracyBefore).arg(r.accuracyAfter)));
    const auto percent = [](double v) { return QStringLiteral("%1 %").arg(QLocale().toString(100.0 * v, 'f', 1)); };
    QCOMPARE(m_panel->beforeLabel()->text(), percent(r.accuracyBefore));
    QCOMPARE(m_panel->afterLabel()->text(), percent(r.accuracyAfter));
    QCOMPARE(m_panel->tabs()->currentIndex(), int(CoopPanel::ResultsTab));
    QVERIFY(m_panel->lossPointCount() > 0);

    QTableWidget *perClass = m_panel->perClassTable();
    QCOMPARE(perClass->rowCount(), 3);
    QCOMPARE(perClass->item(0, 0)->text(), QStringLiteral("one"));
    QCOMPARE(perClass->item(0, 2)->text(), percent(r.perClassAfter[0]));
    QTableWidget *words = m_panel->wordsTable();
    QCOMPARE(words->rowCount(), 4); // unified, M = 4
    for (int row = 0; row < 4; ++row)
        QVERIFY(!words->item(row, 1)->text().isEmpty());
    QCOMPARE(words->item(0, 1)->text().section(QLatin1Char(' '), 0, 0),
        QString::fromStdString(r.words.front().nearest.front().word));

    QCOMPARE(QDir::fromNativeSeparators(m_panel->savedPrompt()), out);
    QVERIFY(QFileInfo::exists(out));
    QVERIFY(m_panel->useInClassifyButton()->isEnabled());
    // The next run would not overwrite it.
    QVERIFY(QDir::fromNativeSeparators(m_panel->outputEdit()->text()) != out);
    QVERIFY(m_panel->folderEdit()->isEnabled());

    if (const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR"); !dir.isEmpty()) {
        m_window->showModule(m_panel);
        QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
        QVERIFY(m_window->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/coop_window.png")));
        QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/coop_panel.png")));
        m_panel->tabs()->setCurrentIndex(CoopPanel::LossTab);
        QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/coop_loss.png")));
        m_panel->tabs()->setCurrentIndex(CoopPanel::SetupTab);
        QVERIFY(m_panel->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/coop_setup.png")));
        m_panel->tabs()->setCurrentIndex(CoopPanel::ResultsTab);
    }
}

void TestCoopPanel::usesItInClassify()
{
    if (!m_panel->result())
        QSKIP(qPrintable(QStringLiteral("skipped: no learnt prompt (%1)").arg(m_noResultWhy)));
    ClassifyPanel *classify = m_window->classifyPanel();
    m_window->showModule(m_panel);
    QTRY_VERIFY(classify->visibleRegion().isEmpty());
    classify->setLabels({QStringLiteral("cat"), QStringLiteral("dog")});
    QSignalSpy requested(m_panel, &CoopPanel::useInClassifyRequested);
    m_panel->useInClassifyButton()->click();
    QCOMPARE(requested.count(), 1);
    QCOMPARE(QDir::cleanPath(classify->learntPrompt()), QDir::cleanPath(m_panel->savedPrompt()));
    QCOMPARE(classify->labels(), (QStringList {QStringLiteral("one"), QStringLiteral("three"), QStringLiteral("two")}));
    QTRY_VERIFY(!classify->visibleRegion().isEmpty()); // its dock raised over this one
}

void TestCoopPanel::cancels()
{
    if (!m_panel->result())
        QSKIP(qPrintable(QStringLiteral("skipped: no learnt prompt (%1)").arg(m_noResultWhy)));
    const double before = m_panel->result()->accuracyAfter;
    m_panel->stepsSpin()->setValue(1000000);
    const QString out = QDir::fromNativeSeparators(m_panel->outputEdit()->text());
    QVERIFY(m_panel->start() != 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->lossPointCount() > 0, kJobTimeoutMs); // training, not loading
    m_panel->cancelButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QVERIFY2(m_panel->message().contains(QStringLiteral("Cancelled")), qPrintable(m_panel->message()));
    QVERIFY(!m_panel->messageIsError());
    QVERIFY(!QFileInfo::exists(out));
    QCOMPARE(m_panel->result()->accuracyAfter, before); // the last finished run stays shown
    QVERIFY(m_panel->startButton()->isEnabled());
}

void TestCoopPanel::learnsOnTheSampleGallery()
{
    // No gallery yet: the button says how to get one.
    QVERIFY(m_panel->sampleGalleryFolder().isEmpty());
    m_panel->folderEdit()->clear();
    QVERIFY(!m_panel->useSampleGallery());
    QVERIFY2(m_panel->message().contains(QStringLiteral("Open Sample Gallery")), qPrintable(m_panel->message()));
    QVERIFY(!m_panel->messageIsError());
    QVERIFY(m_panel->folderEdit()->text().isEmpty());

    if (!ml::train::FashionMnist::available(ml::train::FashionSplit::Test))
        QSKIP("Fashion-MNIST is not installed: the sample gallery has no labelled folder");
    const auto gallery = ml::train::writeSampleGallery(ml::train::defaultSampleGalleryDir());
    const QString labelled = QDir::toNativeSeparators(QString::fromStdString(gallery.labelled));
    QVERIFY(!labelled.isEmpty());
    QCOMPARE(m_panel->sampleGalleryFolder(), labelled);

    // Shown with an empty folder field: the panel starts on the gallery's labelled folder.
    m_window->showModule(m_window->classifyPanel());
    QTRY_VERIFY(m_panel->visibleRegion().isEmpty());
    m_window->showModule(m_panel);
    QTRY_COMPARE(m_panel->folderEdit()->text(), labelled);
    m_panel->folderEdit()->setText(m_counts);
    m_panel->useSamplesButton()->click();
    QCOMPARE(m_panel->folderEdit()->text(), labelled);

    if (!clipMiniPresent())
        QSKIP("clip-mini is not in resources/models: nothing to learn a prompt for");
    m_panel->shotsSpin()->setValue(4);
    m_panel->contextSpin()->setValue(4);
    m_panel->stepsSpin()->setValue(20);
    QSignalSpy finished(m_window->bridge(), &EngineBridge::finished);
    const quint64 job = m_panel->start();
    QVERIFY2(job != 0, qPrintable(m_panel->message()));
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), kJobTimeoutMs);
    QVERIFY2(!m_panel->messageIsError(), qPrintable(m_panel->message()));
    QVERIFY(m_panel->result());
    QCOMPARE(m_panel->result()->classes.size(), std::size_t(10));
    QCOMPARE(m_panel->result()->evalImages, std::int64_t(10 * 6)); // 10 per class, 4 of them shots
}

QTEST_MAIN(TestCoopPanel)
#include "test_coop_panel.moc"
