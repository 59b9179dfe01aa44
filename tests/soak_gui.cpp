// The soak: the main window, offscreen, driven through every panel in turn (classify, search,
// attention, diffusion, training, chat with both embedded chat models, the Q-Former inspector) for
// MODALLENS_SOAK_MINUTES (default 1: CI's short run; scripts/soak.sh runs 30). The resident memory
// is sampled each minute and printed as a curve; after the warm-up (the first sixth of the run, at
// least the first cycle) it may grow by at most MODALLENS_SOAK_BOUND_MB (default 150 MB).
// Under scripts/sanitize.sh's build, LeakSanitizer checks the exit too.
#include "chat/chat_controller.h"
#include "chat/chat_panel.h"
#include "classify/classify_controller.h"
#include "classify/classify_panel.h"
#include "common/model_picker.h"
#include "diffusion/diffusion_controller.h"
#include "diffusion/diffusion_panel.h"
#include "engine/model_discovery.h"
#include "explain/attention_panel.h"
#include "explain/explain_controller.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "qformer/qformer_controller.h"
#include "qformer/qformer_panel.h"
#include "search/search_controller.h"
#include "search/search_panel.h"
#include "search/search_side_panel.h"
#include "shapes_test_util.h"
#include "training/training_controller.h"
#include "training/training_panel.h"

#include "io/media.h"
#include "train/shapes_world.h"
#include "train/shapes_world_io.h"

#include <ATen/Parallel.h>

#include <QComboBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace fs = std::filesystem;
using namespace ml::train;

namespace {

double residentMb()
{
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;
    return 0.0;
}

// Spins the event loop until done() or the timeout; whether done() came true.
bool waitUntil(const std::function<bool()> &done, int timeoutMs = 600000)
{
    QElapsedTimer timer;
    timer.start();
    bool ok = false; // done() is called once a turn: it may start something
    while (!(ok = done()) && timer.elapsed() < timeoutMs)
        QTest::qWait(50);
    return ok;
}

bool present(const char *model)
{
    const fs::path dir = ml::resolveModelPath(model);
    return fs::is_regular_file(dir / "model.safetensors")
        || fs::is_regular_file(dir / "diffusion_pytorch_model.safetensors");
}

} // namespace

class SoakGui : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_pictures;
    int m_cycles = 0;

    template<class T> T *child(QWidget *in, const char *name) const
    {
        T *w = in->findChild<T *>(QLatin1String(name));
        if (!w)
            qFatal("soak: no child %s", name);
        return w;
    }

    void classify()
    {
        m_window->showModule(m_window->classifyPanel());
        auto *panel = m_window->classifyPanel();
        panel->setLabels({"a red circle", "a green square", "a blue triangle"});
        QVERIFY(panel->classifyFiles(m_pictures) != 0);
        QVERIFY(waitUntil([&] { return !panel->controller()->isRunning(); }));
    }

    void search()
    {
        m_window->showModule(m_window->searchPanel());
        auto *panel = m_window->searchPanel();
        auto *c = panel->controller();
        if (m_cycles == 0) {
            ModelPicker *picker = child<SearchSidePanel>(panel, "searchSidePanel")->modelPicker();
            if (picker->currentPath().isEmpty()) {
                picker->refresh();
                QVERIFY(waitUntil([&] { return !picker->isRefreshing() && !picker->currentPath().isEmpty(); }, 120000));
            }
            child<QLineEdit>(panel, "searchLibrary")->setText(m_tmp.filePath(QStringLiteral("library.db")));
            Q_EMIT child<QLineEdit>(panel, "searchLibrary")->editingFinished();
            // Once the model list and the gallery's scan are in: until then there is nothing to index with.
            QVERIFY2(waitUntil([&] { return panel->indexGalleryFolders() != 0; }, 120000), qPrintable(c->message()));
            QVERIFY(waitUntil([&] { return !c->isIndexing(); }));
        }
        QVERIFY(panel->findSimilar(m_pictures[m_cycles % m_pictures.size()]) != 0);
        QVERIFY(waitUntil([&] { return !c->isSearching(); }));
    }

    void attention()
    {
        m_window->showModule(m_window->attentionPanel());
        auto *c = m_window->attentionPanel()->controller();
        c->setModel(QString::fromStdString(ml::resolveModelPath("clip-mini")));
        m_window->attentionPanel()->showFile(m_pictures[m_cycles % m_pictures.size()]);
        c->setText(m_cycles % 2 ? QStringLiteral("a red circle") : QStringLiteral("a square"));
        c->setMethod(m_cycles % 3);
        c->setActive(true);
        c->recompute();
        QTest::qWait(200);
        QVERIFY(waitUntil([&] { return !c->isBusy(); }));
        QVERIFY2(c->result().has_value() && !c->messageIsError(), qPrintable(c->message()));
        c->setActive(false);
    }

    void diffusion()
    {
        m_window->showModule(m_window->diffusionPanel());
        auto *c = m_window->diffusionPanel()->controller();
        c->setModel(QString::fromStdString(ml::resolveModelPath("ddpm-mini")));
        c->setScheduler(1); // DDIM
        c->setSteps(10);
        c->setSeed(m_cycles);
        c->setActive(true);
        c->reopen();
        QVERIFY(waitUntil([&] { return !c->isBusy(); }, 120000));
        QSignalSpy stopped(c, &DiffusionController::runStopped);
        c->run();
        QVERIFY(waitUntil([&] { return !stopped.isEmpty() && !c->isRunning() && !c->isBusy(); }));
        QVERIFY2(!c->messageIsError(), qPrintable(c->message()));
        c->setActive(false);
    }

    void training()
    {
        m_window->showModule(m_window->trainingPanel());
        auto *panel = m_window->trainingPanel();
        child<QComboBox>(panel, "trainingPreset")
            ->setCurrentIndex(child<QComboBox>(panel, "trainingPreset")->findData(QStringLiteral("tiny")));
        child<QSpinBox>(panel, "trainingSteps")->setValue(6);
        child<QLineEdit>(panel, "runFolder")->setText(m_tmp.filePath(QStringLiteral("runs/run-%1").arg(m_cycles)));
        QVERIFY2(panel->start() != 0, qPrintable(panel->controller()->message()));
        QVERIFY(waitUntil([&] { return !panel->controller()->isRunning(); }));
        QVERIFY2(!panel->controller()->messageIsError(), qPrintable(panel->controller()->message()));
    }

    void chat(const char *model)
    {
        m_window->showModule(m_window->chatPanel());
        auto *c = m_window->chatPanel()->controller();
        c->setModel(QString::fromStdString(ml::resolveModelPath(model)));
        m_window->chatPanel()->showFile(m_pictures[m_cycles % m_pictures.size()]);
        QVERIFY(waitUntil([&] { return !c->picture().isNull(); }, 60000));
        ml::SamplingSettings s = c->sampling();
        s.maxNewTokens = 8;
        c->setSampling(s);
        QVERIFY2(c->send(QStringLiteral("what shape is the red object?")), qPrintable(c->message()));
        QVERIFY(waitUntil([&] { return !c->isBusy(); }));
        QVERIFY2(c->lastResult().has_value() && !c->lastResult()->tokens.empty(), qPrintable(c->message()));
        if (m_cycles % 4 == 3)
            c->newConversation(); // the history grows by a file a cycle, not without bound in memory
    }

    void qformer()
    {
        m_window->showModule(m_window->qformerPanel());
        auto *c = m_window->qformerPanel()->controller();
        c->setModel(QString::fromStdString(ml::resolveModelPath("blip2-mini")));
        c->setActive(true);
        m_window->qformerPanel()->showFile(m_pictures[m_cycles % m_pictures.size()]);
        c->setCrossLayer(m_cycles % 2);
        c->recompute();
        QVERIFY(waitUntil([&] { return !c->isBusy(); }));
        QVERIFY2(c->result().has_value() && !c->messageIsError(), qPrintable(c->message()));
        c->setActive(false);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        for (const char *m : {"clip-mini", "ddpm-mini", "blip2-mini", "llava-mini"})
            if (!present(m))
                QSKIP(qPrintable(QStringLiteral("%1 is not in resources/models").arg(m)));
        main_window_test::useFreshProfile(m_tmp.path(), QStringLiteral("soak_gui"));
        // The Diffusion panel keeps every run within two budgets (128 MB of previews, 256 MB of
        // tensors by default); small ones here, so that the run list reaches them within minutes and
        // the curve shows that it stops growing there.
        QSettings().setValue(QStringLiteral("diffusion/historyMB"), 4);
        QSettings().setValue(QStringLiteral("diffusion/tensorMB"), 4);
        const fs::path media = fs::path(m_tmp.path().toStdString()) / "media";
        for (const auto &file : shapes_test::writeWorldPictures(media, 3, 12, "s_"))
            m_pictures << QString::fromStdString(file.string());
        m_window = main_window_test::showMainWindow(m_tmp.path(), QSize(1366, 768));
        QVERIFY(m_window);
        at::set_num_threads(1);
        m_window->openPaths({QString::fromStdString(media.string())});
        QTest::qWait(1000);
    }

    void soak()
    {
        const double minutes = qEnvironmentVariableIsSet("MODALLENS_SOAK_MINUTES")
            ? QString::fromLocal8Bit(qgetenv("MODALLENS_SOAK_MINUTES")).toDouble()
            : 1.0;
        const double boundMb = qEnvironmentVariableIsSet("MODALLENS_SOAK_BOUND_MB")
            ? QString::fromLocal8Bit(qgetenv("MODALLENS_SOAK_BOUND_MB")).toDouble()
            : 150.0;
        QElapsedTimer clock;
        clock.start();
        std::vector<std::pair<double, double>> curve {{0.0, residentMb()}}; // (minute, MB)
        std::printf("soak: minute, resident MB, cycles\n%6.1f, %8.1f, %d\n", 0.0, curve.back().second, 0);
        double nextSample = 1.0;
        while (m_cycles == 0 || clock.elapsed() < minutes * 60000.0) {
            // MODALLENS_SOAK_PANELS=training,chat (say): only those, to find which one's memory grows.
            const QString only = QString::fromLocal8Bit(qgetenv("MODALLENS_SOAK_PANELS"));
            const auto on = [&](const char *panel) { return only.isEmpty() || only.split(',').contains(panel); };
            if (on("classify"))
                classify();
            if (on("search"))
                search();
            if (on("attention"))
                attention();
            if (on("diffusion"))
                diffusion();
            if (on("training"))
                training();
            if (on("chat")) {
                chat("llava-mini");
                chat("blip2-mini");
            }
            if (on("qformer"))
                qformer();
            if (QTest::currentTestFailed())
                return;
            ++m_cycles;
            const double now = clock.elapsed() / 60000.0;
            while (now >= nextSample) {
                curve.push_back({nextSample, residentMb()});
                std::printf("%6.1f, %8.1f, %d\n", nextSample, curve.back().second, m_cycles);
                std::fflush(stdout);
                nextSample += 1.0;
            }
        }
        curve.push_back({clock.elapsed() / 60000.0, residentMb()});
        std::printf("%6.1f, %8.1f, %d (end)\n", curve.back().first, curve.back().second, m_cycles);
        // The warm-up: the first sixth of the run, and at least until the first cycle ended.
        const double warmUpMinutes = std::max(curve.back().first / 6.0, curve.size() > 2 ? curve[1].first : 0.0);
        double warm = curve.back().second;
        for (const auto &[minute, mb] : curve)
            if (minute >= warmUpMinutes) {
                warm = mb;
                break;
            }
        double peak = warm;
        for (const auto &[minute, mb] : curve)
            if (minute >= warmUpMinutes)
                peak = std::max(peak, mb);
        std::printf(
            "soak: %d cycles in %.1f min; after the warm-up (%.1f min) %.1f MB, at most %.1f MB, at the end %.1f "
            "MB: growth %.1f MB (bound %.0f MB)\n",
            m_cycles, curve.back().first, warmUpMinutes, warm, peak, curve.back().second, peak - warm, boundMb);
        QVERIFY2(peak - warm <= boundMb, "the resident memory grew past the bound after the warm-up");
    }

    void cleanupTestCase() { m_window.reset(); }
};

QTEST_MAIN(SoakGui)
#include "soak_gui.moc"
