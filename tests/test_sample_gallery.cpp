// The sample gallery: what it writes decodes and is named after what it shows, its garments form a
// labelled folder (one sub-folder per class, as Prompt Tuning reads it) shown once in the gallery,
// a complete folder is left alone, the same seed gives the same bytes, cancel leaves nothing;
// File > Open Sample Gallery fills the gallery; the Classify panel starts on the embedded clip-mini.
#include "classify/classify_panel.h"
#include "common/error.h"
#include "common/model_picker.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "io/media.h"
#include "main_window.h"
#include "train/fashion_mnist.h"
#include "train/folder_dataset.h"
#include "train/sample_gallery.h"

#include <QAction>
#include <QMenuBar>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

namespace fs = std::filesystem;

namespace {

constexpr int kShapes = 48;
constexpr int kClips = 4;
constexpr int kFashionPerClass = 10;
constexpr int kFashion = 10 * kFashionPerClass;
constexpr int kTimeoutMs = 60000;

std::string readAll(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Files (relative, the marker included) with their modification times; the folder's own as ".".
std::map<std::string, fs::file_time_type> snapshot(const fs::path &dir)
{
    std::map<std::string, fs::file_time_type> times {{".", fs::last_write_time(dir)}};
    for (const auto &e : fs::recursive_directory_iterator(dir))
        times[fs::relative(e.path(), dir).string()] = fs::last_write_time(e.path());
    return times;
}

std::vector<fs::path> filesIn(const fs::path &dir, const std::string &extension)
{
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == extension)
            files.push_back(it->path());
    std::sort(files.begin(), files.end());
    return files;
}

// Sets the cancel token at the n-th progress report.
class CancelAfter : public ml::EngineListener {
public:
    CancelAfter(int n, std::shared_ptr<std::atomic<bool>> cancel) : m_n(n), m_cancel(std::move(cancel)) { }
    void onProgress(ml::JobId, const ml::Progress &) override
    {
        if (++m_reports >= m_n)
            m_cancel->store(true);
    }
    void onPartial(ml::JobId, const ml::PartialResult &) override { }
    void onFinished(ml::JobId, const ml::JobResult &) override { }
    int reports() const { return m_reports; }

private:
    int m_n;
    int m_reports = 0;
    std::shared_ptr<std::atomic<bool>> m_cancel;
};

ml::ModelEntry entry(const char *path, const char *family, const char *name, const char *source, const char *error = "")
{
    ml::ModelEntry e;
    e.path = path;
    e.family = family;
    e.kind = ml::familyFromName(family);
    e.name = name;
    e.source = source;
    e.error = error;
    return e;
}

} // namespace

class TestSampleGallery : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void writesEverything();
    void secondRunIsNoOp();
    void rewritesIncompleteOrOlder();
    void refusesForeignFolder();
    void sameSeedSameBytes();
    void cancelLeavesNoFolder();
    void skipsMissingFashionMnist();
    void menuActionFillsGallery();
    void showsErrors();
    void defaultModelChoice();
    void startsOnEmbeddedClipMini();

private:
    fs::path path(const char *name) const { return fs::path(m_tmp->path().toStdString()) / name; }

    std::unique_ptr<QTemporaryDir> m_tmp;
    bool m_fashion = false;
    fs::path m_first; // written by writesEverything, reused by the checks after it
};

void TestSampleGallery::initTestCase()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    // The app's data folder (where the default sample gallery and model folder live), the Hugging
    // Face cache and the settings inside the temporary folder, not the user's.
    qputenv("XDG_DATA_HOME", QString(m_tmp->path() + QStringLiteral("/data")).toLocal8Bit());
    qputenv("HF_HUB_CACHE", QString(m_tmp->path() + QStringLiteral("/hf")).toLocal8Bit());
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("ModalLensTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test_sample_gallery"));
    QSettings().clear();
    m_fashion = ml::train::FashionMnist::available(ml::train::FashionSplit::Test);
    if (!m_fashion)
        qWarning("Fashion-MNIST is not installed (dataset-fashion-mnist): its samples are expected to be skipped");
    QCOMPARE(
        ml::train::defaultSampleGalleryDir(), fs::path(m_tmp->path().toStdString()) / "data" / "ModalLens" / "samples");
}

void TestSampleGallery::writesEverything()
{
    m_first = path("first");
    const auto r = ml::train::writeSampleGallery(m_first);
    QVERIFY(r.written);
    QCOMPARE(fs::path(r.dir), m_first);
    QCOMPARE(r.shapes, kShapes);
    QCOMPARE(r.clips, kClips);
    QCOMPARE(r.fashion, m_fashion ? kFashion : 0);
    QCOMPARE(r.warnings.empty(), m_fashion);
    QVERIFY(ml::train::isSampleGalleryComplete(m_first));
    QCOMPARE(fs::path(r.labelled), m_fashion ? m_first / "fashion-mnist" : fs::path());
    QCOMPARE(ml::train::sampleGalleryLabelledDir(m_first), fs::path(r.labelled));

    // Shapes: 192 px, named after the objects, each with its caption, which names them too.
    const QRegularExpression shapeName(QStringLiteral("^([a-z]+-[a-z]+)((-and-[a-z]+-[a-z]+)*)-[0-9]{3}$"));
    const auto shapes = filesIn(m_first / "shapes", ".png");
    QCOMPARE(static_cast<int>(shapes.size()), kShapes);
    int multi = 0;
    for (const fs::path &file : shapes) {
        const ml::io::RgbImage image = ml::io::loadImage(file);
        QCOMPARE(image.width, 192);
        QCOMPARE(image.height, 192);
        const QString stem = QString::fromStdString(file.stem().string());
        QVERIFY2(shapeName.match(stem).hasMatch(), qPrintable(stem));
        const QString caption = QString::fromStdString(readAll(fs::path(file).replace_extension(".txt"))).trimmed();
        QVERIFY2(!caption.isEmpty(), qPrintable(stem));
        const QStringList objects = stem.left(stem.size() - 4).split(QStringLiteral("-and-"));
        multi += objects.size() > 1;
        for (const QString &object : objects)
            QVERIFY2(caption.contains(QString(object).replace(QLatin1Char('-'), QLatin1Char(' '))),
                qPrintable(stem + QStringLiteral(": ") + caption));
    }
    QCOMPARE(multi, kShapes / 2);
    QVERIFY(fs::exists(m_first / "shapes" / "green-triangle-001.png")); // a held-out pair is shown too

    // Clips: H.264, 192 px, 4 s, decodable, with their time ranges beside them.
    const auto clips = filesIn(m_first / "clips", ".mp4");
    QCOMPARE(static_cast<int>(clips.size()), kClips);
    for (const fs::path &file : clips) {
        const ml::io::MediaInfo info = ml::io::probeMedia(file);
        QCOMPARE(info.kind, ml::io::MediaKind::Video);
        QCOMPARE(info.codec, std::string("h264"));
        QCOMPARE(info.width, 192);
        QVERIFY2(std::abs(info.durationS - 4.0) < 0.15, qPrintable(QString::number(info.durationS)));
        // Something to see where the gallery takes its thumbnail (10 %), not the bare background.
        ml::io::VideoDecoder decoder(file);
        const ml::io::RgbImage frame = decoder.frameAt(0.1 * info.durationS).image;
        QCOMPARE(frame.width, 192);
        QVERIFY2(*std::max_element(frame.pixels.begin(), frame.pixels.end()) > 120, file.c_str());
        QVERIFY(readAll(fs::path(file).replace_extension(".txt")).find(" s to ") != std::string::npos);
        QVERIFY(fs::is_regular_file(fs::path(file).replace_extension(".json")));
    }

    // Fashion-MNIST: 140 px, 10 per class, each class in its own folder, named after it: a labelled
    // folder whose class names are the ones clip-mini learnt ("ankle_boot" reads "ankle boot").
    if (m_fashion) {
        const auto labelled = ml::train::LabelledFolder::scan(r.labelled);
        const auto &names = ml::train::FashionMnist::captionNames();
        QCOMPARE(std::set<std::string>(labelled.classNames().begin(), labelled.classNames().end()),
            std::set<std::string>(names.begin(), names.end()));
        QCOMPARE(static_cast<int>(labelled.size()), kFashion);
        for (const std::size_t n : labelled.countsPerClass())
            QCOMPARE(static_cast<int>(n), kFashionPerClass); // Prompt Tuning's 4 shots leave 6 to measure on
        for (const auto &entry : labelled.entries()) {
            const ml::io::RgbImage image = ml::io::loadImage(entry.file);
            QCOMPARE(image.width, 140);
            QCOMPARE(image.height, 140);
        }
        for (const auto &name : names) {
            std::string slug = name, folder = name;
            std::replace(slug.begin(), slug.end(), ' ', '-');
            std::replace(folder.begin(), folder.end(), ' ', '_');
            const fs::path dir = m_first / "fashion-mnist" / folder;
            QVERIFY2(fs::exists(dir / (slug + "-010.png")), slug.c_str());
            QVERIFY(!fs::exists(dir / (slug + "-011.png")));
            QVERIFY(readAll(dir / (slug + "-001.txt")).find(name) != std::string::npos);
        }
        QVERIFY(filesIn(m_first / "fashion-mnist", ".png").empty()); // only class folders at the top
    } else {
        QVERIFY(!fs::exists(m_first / "fashion-mnist"));
    }
    // Nothing left beside it.
    for (const auto &e : fs::directory_iterator(m_first.parent_path()))
        QVERIFY2(e.path().filename().string().rfind(".first.", 0) != 0, e.path().c_str());
}

void TestSampleGallery::secondRunIsNoOp()
{
    QVERIFY(fs::is_directory(m_first));
    const auto before = snapshot(m_first);
    const auto r = ml::train::writeSampleGallery(m_first);
    QVERIFY(!r.written);
    QCOMPARE(r.shapes, kShapes);
    QCOMPARE(r.clips, kClips);
    QCOMPARE(r.fashion, m_fashion ? kFashion : 0);
    QVERIFY(snapshot(m_first) == before);
}

void TestSampleGallery::rewritesIncompleteOrOlder()
{
    const fs::path dir = path("rewrite");
    ml::train::writeSampleGallery(dir);
    const fs::path victim = dir / "shapes" / "red-circle-001.png";
    const std::string bytes = readAll(victim);
    fs::remove(victim);
    QVERIFY(!ml::train::isSampleGalleryComplete(dir));
    QVERIFY(ml::train::writeSampleGallery(dir).written);
    QCOMPARE(readAll(victim), bytes);

    // A marker of another version: written anew, and an extra file of the old folder goes with it.
    std::ofstream(dir / "stale.txt") << "from an older gallery\n";
    std::ofstream(dir / ml::train::kSampleGalleryMarker, std::ios::trunc) << R"({"version": 0, "files": {}})";
    QVERIFY(!ml::train::isSampleGalleryComplete(dir));
    QVERIFY(ml::train::writeSampleGallery(dir).written);
    QVERIFY(ml::train::isSampleGalleryComplete(dir));
    QVERIFY(!fs::exists(dir / "stale.txt"));

    // An unreadable marker: still ours, written anew.
    std::ofstream(dir / ml::train::kSampleGalleryMarker, std::ios::trunc) << "{ truncated";
    QVERIFY(ml::train::writeSampleGallery(dir).written);
    QVERIFY(ml::train::isSampleGalleryComplete(dir));
}

void TestSampleGallery::refusesForeignFolder()
{
    const fs::path dir = path("mine");
    fs::create_directories(dir);
    std::ofstream(dir / "notes.txt") << "the user's\n";
    QVERIFY_THROWS_EXCEPTION(ml::Error, ml::train::writeSampleGallery(dir));
    QVERIFY(fs::exists(dir / "notes.txt"));
    QVERIFY(!fs::exists(dir / "shapes"));

    std::ofstream(path("a-file")) << "x";
    QVERIFY_THROWS_EXCEPTION(ml::Error, ml::train::writeSampleGallery(path("a-file")));

    // An empty folder is fine.
    fs::create_directories(path("empty"));
    QVERIFY(ml::train::writeSampleGallery(path("empty")).written);
}

void TestSampleGallery::sameSeedSameBytes()
{
    const fs::path second = path("second");
    ml::train::writeSampleGallery(second);
    for (const char *file : {"shapes/red-circle-001.png", "shapes/white-square-001.png"})
        QVERIFY2(readAll(m_first / file) == readAll(second / file), file);
    // The markers list every file with its size: name what differs.
    const auto ma = nlohmann::json::parse(readAll(m_first / ".modallens-samples"));
    const auto mb = nlohmann::json::parse(readAll(second / ".modallens-samples"));
    std::string differs;
    for (const auto &[key, value] : ma.items())
        if (key != "files" && (!mb.contains(key) || mb[key] != value))
            differs += key + " ";
    for (const auto &[file, size] : ma["files"].items())
        if (!mb["files"].contains(file) || mb["files"][file] != size)
            differs += file + " (" + size.dump() + " vs " + mb["files"].value(file, nlohmann::json()).dump() + ") ";
    QVERIFY2(differs.empty() && ma["files"].size() == mb["files"].size(), differs.c_str());
    if (m_fashion)
        QVERIFY(readAll(m_first / "fashion-mnist/sneaker/sneaker-001.png")
            == readAll(second / "fashion-mnist/sneaker/sneaker-001.png"));
    // The same names, clips included.
    std::set<std::string> a, b;
    for (const auto &[name, time] : snapshot(m_first))
        a.insert(name);
    for (const auto &[name, time] : snapshot(second))
        b.insert(name);
    QVERIFY(a == b);
}

void TestSampleGallery::cancelLeavesNoFolder()
{
    const fs::path dir = path("cancelled");
    auto token = std::make_shared<std::atomic<bool>>(false);
    CancelAfter listener(10, token);
    ml::JobContext ctx(1, &listener, token);
    QVERIFY_THROWS_EXCEPTION(ml::Cancelled, ml::train::writeSampleGallery(dir, &ctx));
    QCOMPARE(listener.reports(), 10);
    QVERIFY(!fs::exists(dir));
    for (const auto &e : fs::directory_iterator(dir.parent_path()))
        QVERIFY2(e.path().filename().string().rfind(".cancelled.", 0) != 0, e.path().c_str());

    // Cancelling the rewrite of an older gallery leaves that one as it was.
    const fs::path old = path("rewrite");
    std::ofstream(old / ml::train::kSampleGalleryMarker, std::ios::trunc) << R"({"version": 0, "files": {}})";
    const auto before = snapshot(old);
    token->store(false);
    CancelAfter again(5, token);
    ml::JobContext ctx2(2, &again, token);
    QVERIFY_THROWS_EXCEPTION(ml::Cancelled, ml::train::writeSampleGallery(old, &ctx2));
    QVERIFY(snapshot(old) == before);
}

void TestSampleGallery::skipsMissingFashionMnist()
{
    ml::train::SampleGalleryOptions options;
    options.fashionMnistDir = path("no-fashion-here").string();
    const fs::path dir = path("no-fashion");
    const auto r = ml::train::writeSampleGallery(dir, nullptr, options);
    QCOMPARE(r.fashion, 0);
    QCOMPARE(r.shapes, kShapes);
    QCOMPARE(static_cast<int>(r.warnings.size()), 1);
    QVERIFY(r.warnings.front().find("Fashion-MNIST") != std::string::npos);
    QVERIFY(!fs::exists(dir / "fashion-mnist"));
    QVERIFY(r.labelled.empty());
    QVERIFY(ml::train::sampleGalleryLabelledDir(dir).empty());
    // Still missing: complete as it is.
    QVERIFY(!ml::train::writeSampleGallery(dir, nullptr, options).written);
    // Installed since: written again, now with them.
    if (m_fashion)
        QCOMPARE(ml::train::writeSampleGallery(dir).fashion, kFashion);
}

void TestSampleGallery::menuActionFillsGallery()
{
    MainWindow window(nullptr, m_tmp->path() + QStringLiteral("/thumbs"));
    const QString dir = QString::fromStdString(path("gui").string());
    window.setSampleGalleryDir(dir);
    window.resize(1200, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    // In the File menu, and as a button on the empty gallery's drop hint.
    QAction *action = window.openSamplesAction();
    QVERIFY(action);
    QVERIFY(window.menuBar()->actions().first()->menu()->actions().contains(action));
    QToolButton *button = window.gallery()->emptyActionButton();
    QVERIFY(button);
    QCOMPARE(button->defaultAction(), action);
    QVERIFY(button->isVisible());
    QVERIFY(window.gallery()->view()->viewport()->rect().contains(button->geometry()));

    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(!action->isEnabled()); // one run at a time
    const int expected = kShapes + kClips + (m_fashion ? kFashion : 0);
    QTRY_COMPARE_WITH_TIMEOUT(window.gallery()->model()->rowCount(), expected, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!window.gallery()->isScanning(), kTimeoutMs);
    QVERIFY(action->isEnabled());
    QVERIFY(!button->isVisible());
    QVERIFY(window.gallery()->model()->rowOf(dir + QStringLiteral("/shapes/red-circle-001.png")) >= 0);
    QVERIFY(window.gallery()->model()->rowOf(dir + QStringLiteral("/clips/")
                + QString::fromStdString(filesIn(path("gui") / "clips", ".mp4").front().filename().string()))
        >= 0);
    QVERIFY(window.findChildren<QMessageBox *>().isEmpty());
    // The garments are the labelled folder itself, so each shows once.
    if (m_fashion)
        QVERIFY(window.gallery()->model()->rowOf(dir + QStringLiteral("/fashion-mnist/ankle_boot/ankle-boot-001.png"))
            >= 0);

    // Again: the folder is complete, so nothing is written and nothing is added twice.
    const auto before = snapshot(path("gui"));
    action->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(action->isEnabled(), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!window.gallery()->isScanning(), kTimeoutMs);
    QCOMPARE(window.gallery()->model()->rowCount(), expected);
    QVERIFY(snapshot(path("gui")) == before);

    // Emptied again, the button is back.
    window.gallery()->clear();
    QTRY_VERIFY(button->isVisible());
}

void TestSampleGallery::showsErrors()
{
    MainWindow window(nullptr, m_tmp->path() + QStringLiteral("/thumbs"));
    window.setSampleGalleryDir(QString::fromStdString(path("a-file").string())); // a file, not a folder
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.openSamplesAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!window.findChildren<QMessageBox *>().isEmpty(), kTimeoutMs);
    QMessageBox *box = window.findChildren<QMessageBox *>().first();
    QCOMPARE(box->icon(), QMessageBox::Warning);
    QVERIFY2(box->informativeText().contains(QStringLiteral("a-file")), qPrintable(box->informativeText()));
    QVERIFY(window.openSamplesAction()->isEnabled());
    QCOMPARE(window.gallery()->model()->rowCount(), 0);
    box->close();
}

void TestSampleGallery::defaultModelChoice()
{
    const std::vector<ml::ModelEntry> entries {
        entry("/hf/openai", "clip", "openai/clip-vit-base-patch32", "hf-cache"),
        entry("/app/aaa", "clip", "aaa", "app"),
        entry("/user/clip-mini", "clip", "clip-mini", "user"), // not the embedded one
        entry("/res/ddpm", "unet2d", "ddpm", "embedded"),
        entry("/res/clip-mini", "clip", "clip-mini", "embedded"),
    };
    const QString clip = QStringLiteral("clip");
    QCOMPARE(ModelPicker::chooseEntry(entries, clip, {}, {}), 4);                          // the default
    QCOMPARE(ModelPicker::chooseEntry(entries, clip, QStringLiteral("/app/aaa"), {}), 1);  // the user's
    QCOMPARE(ModelPicker::chooseEntry(entries, clip, QStringLiteral("/gone"), {}), 4);     // stale choice
    QCOMPARE(ModelPicker::chooseEntry(entries, clip, {}, QStringLiteral("/app/aaa")), 4);  // default first
    QCOMPARE(ModelPicker::chooseEntry(entries, QStringLiteral("unet2d"), {}, {}), 3);      // no default
    QCOMPARE(ModelPicker::chooseEntry(entries, clip, QStringLiteral("/res/ddpm"), {}), 4); // not a CLIP

    std::vector<ml::ModelEntry> noDefault(entries.begin(), entries.end() - 1);
    QCOMPARE(ModelPicker::chooseEntry(noDefault, clip, {}, {}), 0);                         // first usable
    QCOMPARE(ModelPicker::chooseEntry(noDefault, clip, {}, QStringLiteral("/app/aaa")), 1); // kept on refresh
    noDefault.push_back(entry("/res/clip-mini", "clip", "clip-mini", "embedded", "no weights"));
    QCOMPARE(ModelPicker::chooseEntry(noDefault, clip, {}, {}), 0); // unreadable: not chosen
    QCOMPARE(ModelPicker::chooseEntry({}, clip, {}, {}), -1);
}

void TestSampleGallery::startsOnEmbeddedClipMini()
{
    QSettings().clear(); // nothing chosen yet
    MainWindow window(nullptr, m_tmp->path() + QStringLiteral("/thumbs"));
    ModelPicker *picker = window.classifyPanel()->modelPicker();
    QSignalSpy refreshed(picker, &ModelPicker::refreshed);
    picker->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(refreshed.count() >= 1 && !picker->isRefreshing(), kTimeoutMs);
    bool embedded = false;
    for (const ml::ModelEntry &e : picker->entries())
        embedded |= e.source == "embedded" && e.name == "clip-mini" && ModelPicker::isUsable(e, QStringLiteral("clip"));
    if (!embedded)
        QSKIP("no usable embedded clip-mini (resources/models/clip-mini) in this build");
    QVERIFY(picker->currentEntry());
    QCOMPARE(picker->currentEntry()->name, std::string("clip-mini"));
    QCOMPARE(picker->currentEntry()->source, std::string("embedded"));
    QVERIFY(!QSettings().contains(QStringLiteral("classify/model"))); // a default, not a choice
}

QTEST_MAIN(TestSampleGallery)
#include "test_sample_gallery.moc"
