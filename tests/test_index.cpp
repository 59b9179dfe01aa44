// The media library end to end through `modallens-cli index | search` with the embedded clip-mini:
// a generated folder of single-object Shapes World images and three short clips whose object is on
// screen at known times. Text -> image precision, image -> image, text -> video moment, incremental
// re-runs (a touched file, a rewritten file) and a changed model; short clips sampled densely (and
// a library indexed sparsely before sampled again), frames at scene changes, the embedding health
// check (a model with a zeroed projection), a full disk, a read-only library and files that do not
// decode.
#include "cli_run.h"
#include "common/error.h"
#include "engine/clip_service.h"
#include "engine/engine.h"
#include "engine/index_service.h"
#include "index/library.h"
#include "io/media.h"
#include "io/safetensors.h"
#include "shapes_test_util.h"
#include "train/shapes_world.h"
#include "train/shapes_world_io.h"

#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

namespace fs = std::filesystem;
using namespace ml::train;

namespace {

using shapes_test::clip;
using shapes_test::object;
using shapes_test::render;
using shapes_test::writeWorldPictures;

CliRun cli(const QStringList &args)
{
    return runCli(QStringList {"--json", "--quiet", "--threads", "1"} + args, 120000);
}

QString q(const fs::path &p)
{
    return QString::fromStdString(p.string());
}

std::string canon(const fs::path &p)
{
    return fs::weakly_canonical(p).string();
}

std::string readAll(const fs::path &p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// n distinct single-object pictures as dir/p_<i>.png.
void writeImages(const fs::path &dir, int n)
{
    fs::create_directories(dir);
    const Shape shapes[] = {Shape::Circle, Shape::Square, Shape::Triangle, Shape::Diamond};
    const Colour colours[] = {Colour::Red, Colour::Green, Colour::Blue, Colour::Yellow, Colour::Purple};
    for (int i = 0; i < n; ++i)
        ml::io::saveImage(
            render(object(shapes[i % 4], colours[(i / 4) % 5], 8 + (i * 7) % 30, 10 + (i * 5) % 28, 16 + (i % 3) * 4)),
            dir / ("p_" + std::to_string(i) + ".png"));
}

// The times of each file's vectors in a library, by file name.
std::map<std::string, std::vector<double>> vectorTimes(const fs::path &db, const std::string &modelId)
{
    const auto lib = ml::index::Library::open(db, ml::index::Library::Mode::ReadOnly);
    std::map<std::int64_t, std::string> names;
    for (const auto &f : lib->files())
        names[f.id] = fs::path(f.path).filename().string();
    std::map<std::string, std::vector<double>> out;
    for (const auto &v : lib->vectors(modelId))
        out[names[v.fileId]].push_back(v.timestampS);
    return out;
}

// Files of the library with at least one vector of the model.
std::size_t filesWithVectors(const fs::path &db, const std::string &modelId)
{
    const auto lib = ml::index::Library::open(db, ml::index::Library::Mode::ReadOnly);
    std::set<std::int64_t> ids;
    for (const auto &v : lib->vectors(modelId))
        ids.insert(v.fileId);
    return ids.size();
}

} // namespace

class TestIndex : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    fs::path m_root, m_media, m_lib;
    std::vector<std::string> m_redCircles;
    std::string m_probe; // an image used as an image query
    std::int64_t m_files = 0;
    bool m_video = false;

    nlohmann::json search(const QStringList &extra)
    {
        const auto r = cli(QStringList {"search", "--library", q(m_lib)} + extra);
        if (r.exitCode != 0)
            qWarning("search failed: %s", r.err.c_str());
        return r.exitCode == 0 ? r.json() : nlohmann::json {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_root = m_tmp.path().toStdString();
        m_media = m_root / "media";
        m_lib = m_root / "library.db";
        fs::create_directories(m_media / "images");
        // 8 red circles among 32 other single objects (every other pair), sizes and places varied.
        int n = 0;
        const Shape shapes[] = {Shape::Circle, Shape::Square, Shape::Triangle, Shape::Diamond};
        const Colour colours[]
            = {Colour::Red, Colour::Green, Colour::Blue, Colour::Yellow, Colour::Purple, Colour::White};
        for (int i = 0; i < 8; ++i) {
            const auto file = m_media / "images" / ("img_" + std::to_string(n++) + ".png");
            ml::io::saveImage(
                render(object(Shape::Circle, Colour::Red, 14 + 3 * (i % 4), 12 + 4 * (i / 4), 24 - (i % 3) * 2)), file);
            m_redCircles.push_back(canon(file));
        }
        int other = 0;
        for (int k = 0; other < 32; ++k) {
            const Shape s = shapes[k % 4];
            const Colour c = colours[(k / 4) % 6];
            if (s == Shape::Circle && c == Colour::Red)
                continue;
            const auto file = m_media / "images" / ("img_" + std::to_string(n++) + ".png");
            ml::io::saveImage(render(object(s, c, 12 + 5 * (k % 3), 14 + 4 * (k % 4), 22 - (k % 2) * 4)), file);
            if (s == Shape::Square && c == Colour::Green && m_probe.empty())
                m_probe = canon(file);
            ++other;
        }
        m_files = n;
#ifdef MODALLENS_HAVE_MEDIA
        fs::create_directories(m_media / "clips");
        writeVideoMp4(clip(object(Shape::Circle, Colour::Red, 20, 20, 24), 36, 71), m_media / "clips" / "a.mp4");
        writeVideoMp4(clip(object(Shape::Square, Colour::Blue, 20, 20, 24), 0, 35), m_media / "clips" / "b.mp4");
        writeVideoMp4(clip(object(Shape::Triangle, Colour::Yellow, 20, 20, 24), 24, 59), m_media / "clips" / "c.mp4");
        m_video = true;
        m_files += 3;
#endif
    }

    void indexFolder()
    {
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = cli({"index", "--library", q(m_lib), "--model", "clip-mini", "--video-fps", "1", q(m_media)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        std::printf("index: %s (%.2f s wall)\n", j.dump().c_str(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        QCOMPARE(j["added"].get<std::int64_t>(), m_files);
        QCOMPARE(j["updated"].get<std::int64_t>(), 0);
        QCOMPARE(j["removed"].get<std::int64_t>(), 0);
        QVERIFY(j["failed"].empty());
        if (m_video) {
            QCOMPARE(j["frames"].get<std::int64_t>(), 48);      // 3 clips x 16: 6 s is too short for 1 frame/s
            QCOMPARE(j["scene_frames"].get<std::int64_t>(), 0); // a small object comes and goes on whole seconds
        }
        // A sound model: no file flagged by the embedding health check, every file checked.
        QVERIFY2(j["health"].empty(), j["health"].dump().c_str());
        QCOMPARE(j["health_checked"].get<std::int64_t>(), m_files);
    }

    void sceneFramesAtCuts()
    {
        if (!m_video)
            QSKIP("built without media I/O: no clips");
        // 6 s at 10 fps: the background, a big white square from 2.4 s, the background again from
        // 4.7 s; and a clip whose small object drifts slowly (no cut).
        const fs::path dir = m_root / "scenes";
        fs::create_directories(dir);
        const auto empty = renderScene(Scene {});
        const auto big = render(object(Shape::Square, Colour::White, 10, 10, 44));
        ShapesVideo cut, still;
        cut.fps = still.fps = 10.0;
        for (int i = 0; i < 60; ++i) {
            cut.frames.push_back(i >= 24 && i < 47 ? big : empty);
            still.frames.push_back(render(object(Shape::Circle, Colour::Green, 12 + i * 0.4, 24, 20)));
        }
        writeVideoMp4(cut, dir / "cut.mp4");
        writeVideoMp4(still, dir / "still.mp4");

        // At 1 frame/s exactly (--min-video-frames 0), so that the fixed-rate times are whole seconds.
        const fs::path db = m_root / "scenes.db";
        auto r = cli({"index", "--library", q(db), "--video-fps", "1", "--min-video-frames", "0", q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        auto j = r.json();
        std::printf("scenes: %s\n", j.dump().c_str());
        QCOMPARE(j["scene_frames"].get<std::int64_t>(), 2);
        QCOMPARE(j["frames"].get<std::int64_t>(), 14); // 2 x 6 fixed-rate frames + 2 at the cuts
        const auto times = vectorTimes(db, j["model"].get<std::string>());
        const std::vector<double> whole {0, 1, 2, 3, 4, 5};
        QCOMPARE(times.at("still.mp4"), whole);
        std::vector<double> extra;
        for (double t : times.at("cut.mp4"))
            if (std::find(whole.begin(), whole.end(), t) == whole.end())
                extra.push_back(t);
        QCOMPARE(times.at("cut.mp4").size(), std::size_t(8));
        QCOMPARE(extra.size(), std::size_t(2));
        std::printf("scene frames at %.3f s and %.3f s (cuts at 2.4 s and 4.7 s)\n", extra[0], extra[1]);
        QVERIFY(std::abs(extra[0] - 2.4) <= 0.25);
        QVERIFY(std::abs(extra[1] - 4.7) <= 0.25);

        // --scene-threshold 0: fixed-rate frames only.
        r = cli({"index", "--library", q(m_root / "scenes-off.db"), "--video-fps", "1", "--min-video-frames", "0",
            "--scene-threshold", "0", q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        j = r.json();
        QCOMPARE(j["scene_frames"].get<std::int64_t>(), 0);
        QCOMPARE(j["frames"].get<std::int64_t>(), 12);
        QCOMPARE(cli({"index", "--library", q(db), "--scene-threshold", "-1", q(dir)}).exitCode, 2);
    }

    void shortClipsAreSampledDensely()
    {
        if (!m_video)
            QSKIP("built without media I/O: no clips");
        // 2 s at 12 fps, 8 frames (0.67 s) and 20 s at 4 fps, a red circle on screen in each.
        const fs::path dir = m_root / "short";
        fs::create_directories(dir);
        const auto frame = render(object(Shape::Circle, Colour::Red, 20, 20, 24));
        const auto write = [&](const char *name, double fps, int frames) {
            ShapesVideo v;
            v.fps = fps;
            v.frames.assign(static_cast<std::size_t>(frames), frame);
            writeVideoMp4(v, dir / name);
        };
        write("two.mp4", 12.0, 24);
        write("tiny.mp4", 12.0, 8);
        write("long.mp4", 4.0, 80);

        // A library indexed as before (1 frame/s, however short the clip).
        const fs::path db = m_root / "short.db";
        auto r = cli({"index", "--library", q(db), "--scene-threshold", "0", "--min-video-frames", "0", q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        auto j = r.json();
        const std::string model = j["model"].get<std::string>();
        auto times = vectorTimes(db, model);
        QCOMPARE(times.at("two.mp4"), (std::vector<double> {0, 1}));
        QCOMPARE(times.at("tiny.mp4"), (std::vector<double> {0}));
        QCOMPARE(times.at("long.mp4").size(), std::size_t(20));

        // The next run samples the short clips again: 16 frames over 2 s, every one of the tiny
        // clip's 8; the long one keeps 1 frame/s and is left alone.
        r = cli({"index", "--library", q(db), "--scene-threshold", "0", q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        j = r.json();
        std::printf("resampled: %s\n", j.dump().c_str());
        QCOMPARE(j["resampled"].get<int>(), 2);
        QCOMPARE(j["updated"].get<int>(), 2);
        QCOMPARE(j["unchanged"].get<int>(), 1);
        QCOMPARE(j["frames"].get<int>(), 16 + 8);
        times = vectorTimes(db, model);
        const auto &two = times.at("two.mp4");
        QCOMPARE(two.size(), std::size_t(16));
        for (std::size_t i = 0; i < two.size(); ++i)
            QVERIFY2(two[i] <= i * 0.125 + 1e-6 && two[i] > i * 0.125 - 1.0 / 12, qPrintable(QString::number(two[i])));
        const auto &tiny = times.at("tiny.mp4");
        QCOMPARE(tiny.size(), std::size_t(8));
        QVERIFY(std::adjacent_find(tiny.begin(), tiny.end()) == tiny.end()); // each frame once
        QCOMPARE(times.at("long.mp4").size(), std::size_t(20));

        // Then nothing: what the sampling gives is there.
        r = cli({"index", "--library", q(db), "--scene-threshold", "0", q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        j = r.json();
        QCOMPARE(j["resampled"].get<int>(), 0);
        QCOMPARE(j["added"].get<int>() + j["updated"].get<int>(), 0);
        QCOMPARE(j["unchanged"].get<int>(), 3);

        // The strip's points: one per frame.
        r = cli({"search", "--library", q(db), "--text", "a red circle", "--folder", q(dir), "--k", "3"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto found = r.json(); // not r.json()["results"] in the loop: the temporary would die first
        for (const auto &hit : found["results"])
            if (fs::path(hit["file"].get<std::string>()).filename() == "two.mp4")
                QCOMPARE(hit["series"]["times"].size(), std::size_t(16));
        QCOMPARE(cli({"index", "--library", q(db), "--min-video-frames", "-1", q(dir)}).exitCode, 2);
    }

    void brokenModelIsFlagged()
    {
        // clip-mini with its vision projection zeroed: every image embeds to the same vector.
        const fs::path broken = m_root / "models" / "zero-projection";
        fs::create_directories(broken);
        for (const auto &e : fs::directory_iterator(ml::resolveModelPath("clip-mini")))
            if (e.is_regular_file())
                fs::copy_file(e.path(), broken / e.path().filename());
        {
            auto tensors = ml::io::SafetensorsFile::open(broken / "model.safetensors")->all();
            QVERIFY(tensors.count("visual_projection.weight"));
            for (auto &[name, t] : tensors)
                t = name == "visual_projection.weight" ? torch::zeros_like(t) : t.clone();
            ml::io::saveSafetensors(broken / "model.safetensors", tensors);
        }
        const fs::path dir = m_root / "health";
        writeImages(dir, 6);
        const auto r = runCli(
            {"--json", "--threads", "1", "index", "--library", q(m_root / "health.db"), "--model", q(broken), q(dir)},
            120000);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        std::printf("broken model: %s\n", j["health"].dump().c_str());
        QCOMPARE(j["health_checked"].get<std::int64_t>(), 6);
        QCOMPARE(j["health"].size(), std::size_t(6));
        std::set<std::string> flagged;
        for (const auto &h : j["health"]) {
            QVERIFY(!h["reason"].get<std::string>().empty());
            flagged.insert(h["file"].get<std::string>());
        }
        for (int i = 0; i < 6; ++i)
            QVERIFY(flagged.count(canon(dir / ("p_" + std::to_string(i) + ".png"))));
        QVERIFY2(r.err.find("6 of 6 files have suspicious vectors") != std::string::npos, r.err.c_str());
    }

    void diskFullFailsCleanly()
    {
        const fs::path dir = m_root / "full";
        const int count = 96;
        writeImages(dir, count);
        // The library's size without vectors and with all of them; the "disk" holds about half.
        auto r = cli({"index", "--library", q(m_root / "full-probe.db"), q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto modelId = r.json()["model"].get<std::string>();
        const auto pagesFull = ml::index::Library::open(m_root / "full-probe.db")->pageCount();
        std::int64_t pagesBase = 0;
        {
            auto base = ml::index::Library::open(m_root / "full-base.db");
            base->addFolder(dir);
            auto plan = base->planScan({dir});
            base->apply(plan);
            pagesBase = base->pageCount();
        }
        const auto cap = pagesBase + (pagesFull - pagesBase) / 2;
        std::printf("pages: %lld without vectors, %lld with, capped at %lld\n", static_cast<long long>(pagesBase),
            static_cast<long long>(pagesFull), static_cast<long long>(cap));
        QVERIFY(pagesFull - pagesBase >= 4);

        const fs::path db = m_root / "full.db";
        qputenv("MODALLENS_TEST_LIBRARY_MAX_PAGES", QByteArray::number(static_cast<qint64>(cap)));
        r = cli({"index", "--batch", "4", "--library", q(db), q(dir)});
        qunsetenv("MODALLENS_TEST_LIBRARY_MAX_PAGES");
        std::printf("capped run: exit %d, %s\n", r.exitCode, r.err.c_str());
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.empty());
        QVERIFY2(r.err.find(db.string()) != std::string::npos, r.err.c_str());
        QVERIFY2(r.err.find("disk is full") != std::string::npos, r.err.c_str());

        // What was committed before is there, the database is sound, and a re-run completes it.
        std::size_t kept = 0;
        {
            auto lib = ml::index::Library::open(db, ml::index::Library::Mode::ReadOnly);
            QCOMPARE(QString::fromStdString(lib->integrityCheck()), QStringLiteral("ok"));
        }
        kept = filesWithVectors(db, modelId);
        QVERIFY2(kept > 0 && kept < static_cast<std::size_t>(count), qPrintable(QString::number(kept)));
        QCOMPARE(kept % 4, std::size_t(0)); // whole batches
        std::printf("kept %zu of %d files\n", kept, count);
        r = cli({"index", "--batch", "4", "--library", q(db), q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QCOMPARE(j["unchanged"].get<std::size_t>(), kept);
        QCOMPARE(j["updated"].get<std::size_t>() + j["added"].get<std::size_t>(), count - kept);
        QVERIFY(j["failed"].empty());
        QCOMPARE(filesWithVectors(db, modelId), static_cast<std::size_t>(count));
    }

    void readOnlyLibraryIsLeftAlone()
    {
        const fs::path dir = m_root / "ro";
        writeImages(dir, 2);
        const fs::path db = m_root / "ro.db";
        auto r = cli({"index", "--library", q(db), q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        writeImages(dir, 3); // one more file to index
        const auto bytes = readAll(db);
        const auto mtime = fs::last_write_time(db);
        const auto perms = fs::status(db).permissions();
        fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
        r = cli({"index", "--library", q(db), q(dir)});
        fs::permissions(db, perms);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find(db.string()) != std::string::npos, r.err.c_str());
        QVERIFY2(r.err.find("read-only") != std::string::npos, r.err.c_str());
        QVERIFY(readAll(db) == bytes);
        QVERIFY(fs::last_write_time(db) == mtime);
        QVERIFY(!fs::exists(m_root / "ro.db-wal") || fs::file_size(m_root / "ro.db-wal") == 0);
    }

    void textFindsRedCircles()
    {
        const auto j = search({"--text", "a red circle", "--k", "20"});
        QVERIFY(j.contains("results"));
        int seen = 0, hits = 0;
        for (const auto &r : j["results"]) {
            if (r["kind"] != "image")
                continue;
            if (seen++ >= 5)
                break;
            const auto f = r["file"].get<std::string>();
            hits += std::find(m_redCircles.begin(), m_redCircles.end(), f) != m_redCircles.end();
        }
        std::printf("precision@5 for \"a red circle\": %d / 5\n", hits);
        QVERIFY2(hits >= 4, qPrintable(QString::fromStdString(j.dump())));
    }

    void imageFindsItself()
    {
        const auto j = search({"--image", QString::fromStdString(m_probe), "--k", "3"});
        QVERIFY(!j["results"].empty());
        QCOMPARE(j["results"][0]["file"].get<std::string>(), m_probe);
        QVERIFY(j["results"][0]["score"].get<double>() > 0.99);
    }

    void textFindsVideoMoment_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("clip");
        QTest::addColumn<double>("start");
        QTest::addColumn<double>("end");
        QTest::newRow("red circle") << "a red circle"
                                    << "a.mp4" << 3.0 << 6.0;
        QTest::newRow("blue square") << "a blue square"
                                     << "b.mp4" << 0.0 << 3.0;
        QTest::newRow("yellow triangle") << "a yellow triangle"
                                         << "c.mp4" << 2.0 << 5.0;
    }

    void textFindsVideoMoment()
    {
        if (!m_video)
            QSKIP("built without media I/O: no clips");
        QFETCH(QString, query);
        QFETCH(QString, clip);
        QFETCH(double, start);
        QFETCH(double, end);
        for (const char *agg : {"mean", "max", "best"}) {
            const auto j = search({"--text", query, "--k", "60", "--video-agg", agg});
            const nlohmann::json *first = nullptr;
            for (const auto &r : j["results"])
                if (r["kind"] == "video") {
                    first = &r;
                    break;
                }
            QVERIFY(first);
            QVERIFY2(fs::path((*first)["file"].get<std::string>()).filename() == clip.toStdString(),
                qPrintable(QString::fromStdString(j.dump())));
            const double best = (*first)["time"]["best_s"].get<double>();
            std::printf("%s (%s): %s best %.1f s (truth %.1f-%.1f s)\n", qPrintable(query), agg, qPrintable(clip), best,
                start, end);
            QVERIFY(best >= start - 1.0 && best <= end + 1.0);
            QCOMPARE((*first)["series"]["scores"].size(), std::size_t(16));
        }
    }

    void rerunEmbedsOnlyChangedFiles()
    {
        // Nothing changed: nothing embedded.
        auto r = cli({"index", "--library", q(m_lib), q(m_media)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        auto j = r.json();
        QCOMPARE(j["added"].get<int>() + j["updated"].get<int>(), 0);
        QCOMPARE(j["unchanged"].get<std::int64_t>(), m_files);

        // Touched (same bytes, new mtime): metadata only.
        const fs::path touched = m_redCircles[1];
        fs::last_write_time(touched, fs::last_write_time(touched) + std::chrono::seconds(5));
        // Rewritten with other content: that file alone is embedded again.
        const fs::path rewritten = m_redCircles[0];
        ml::io::saveImage(render(object(Shape::Diamond, Colour::Purple, 20, 20, 22)), rewritten);
        fs::last_write_time(rewritten, fs::last_write_time(rewritten) + std::chrono::seconds(7));
        r = cli({"index", "--library", q(m_lib), q(m_media)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        j = r.json();
        std::printf("re-run: %s\n", j.dump().c_str());
        QCOMPARE(j["added"].get<int>(), 0);
        QCOMPARE(j["updated"].get<int>(), 1);
        QCOMPARE(j["touched"].get<int>(), 1);
        QCOMPARE(j["unchanged"].get<std::int64_t>(), m_files - 2);
        m_redCircles.erase(m_redCircles.begin());
    }

    void modelChangeIsDetected()
    {
        // A copy of clip-mini whose configuration differs (one more byte): same id, another hash.
        const fs::path copy = m_root / "models" / "clip-mini";
        fs::create_directories(copy);
        for (const auto &e : fs::directory_iterator(ml::resolveModelPath("clip-mini")))
            if (e.is_regular_file())
                fs::copy_file(e.path(), copy / e.path().filename());
        {
            std::ofstream out(copy / "config.json", std::ios::app);
            out << "\n";
        }
        auto r = cli({"search", "--library", q(m_lib), "--model", q(copy), "--text", "a red circle"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.find("re-index") != std::string::npos, r.err.c_str());
        QVERIFY(r.out.empty());

        r = cli({"index", "--library", q(m_lib), "--model", q(copy), q(m_media)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QVERIFY(j["model_changed"].get<bool>());
        QCOMPARE(j["updated"].get<std::int64_t>(), m_files);
        // Now the embedded clip-mini is the stranger.
        r = cli({"search", "--library", q(m_lib), "--text", "a red circle"});
        QCOMPARE(r.exitCode, 1);
    }

    void badFileIsRecordedAndSkipped()
    {
        const fs::path bad = m_media / "images" / "broken.png";
        {
            std::ofstream out(bad, std::ios::binary);
            out << "not a png at all";
        }
        std::set<std::string> bads {canon(bad)};
        if (m_video) { // a video that is text, and one cut off in its header
            const fs::path text = m_media / "clips" / "notes.mp4", cut = m_media / "clips" / "cut-short.mp4";
            std::ofstream(text, std::ios::binary) << "these are not moving pictures\n";
            const auto head = readAll(m_media / "clips" / "b.mp4").substr(0, 300);
            std::ofstream(cut, std::ios::binary) << head;
            bads.insert(canon(text));
            bads.insert(canon(cut));
        }
        const fs::path copy = m_root / "models" / "clip-mini";
        // Not --quiet: each failure is a warning that names its file once ("path: why").
        const auto r = runCli(
            {"--json", "--threads", "1", "index", "--library", q(m_lib), "--model", q(copy), q(m_media)}, 120000);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        std::printf("bad files: %s\n", j["failed"].dump().c_str());
        QCOMPARE(j["failed"].size(), bads.size());
        for (const auto &f : j["failed"]) {
            const auto file = f["file"].get<std::string>(), error = f["error"].get<std::string>();
            QVERIFY(bads.count(file));
            QVERIFY(!error.empty());
            // "file" names it; "error" says why, without the path again.
            QVERIFY2(error.find(fs::path(file).filename().string()) == std::string::npos, error.c_str());
            const std::string warning = "warning: " + file + ": " + error + "\n";
            QVERIFY2(r.err.find(warning) != std::string::npos, (r.err + " -- expected: " + warning).c_str());
            std::size_t mentions = 0;
            for (auto at = r.err.find(file); at != std::string::npos; at = r.err.find(file, at + 1))
                ++mentions;
            QCOMPARE(mentions, std::size_t(1));
        }
        QCOMPARE(j["unchanged"].get<std::int64_t>(), m_files);
        // The failed file is not retried until it changes.
        const auto again = cli({"index", "--library", q(m_lib), "--model", q(copy), q(m_media)}).json();
        QVERIFY(again["failed"].empty());
        QCOMPARE(again["added"].get<int>() + again["updated"].get<int>(), 0);
    }

    // `index FILE` (the synopsis says FOLDER_OR_FILE): a file is a root of its own, like a folder
    // holding only it: indexed, skipped when unchanged, re-embedded when changed, removed when gone;
    // its root is the file, never its folder (whose other files stay out). Paths relative as typed.
    // Linux file names are bytes; JSON strings are UTF-8. A name that is not still indexes, and a
    // --json search that returns it stays one valid document (U+FFFD for the bad byte), warned on
    // stderr.
    void namesThatAreNotUtf8()
    {
        const fs::path dir = m_root / "latin1";
        // QTemporaryDir cannot remove it: Qt does not decode the name back to its bytes.
        const auto cleanup = qScopeGuard([&] { fs::remove_all(dir); });
        writeImages(dir, 2);
        fs::rename(dir / "p_0.png", dir / "caf\xe9.png");
        const fs::path db = m_root / "latin1.db";
        auto r = runCli({"--json", "--threads", "1", "index", "--library", q(db), q(dir)}, 120000);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QCOMPARE(r.json()["added"].get<int>(), 2);
        r = runCli({"--json", "--threads", "1", "search", "--library", q(db), "--text", "a shape", "--k", "5"}, 120000);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QCOMPARE(j["results"].size(), std::size_t(2));
        int replaced = 0;
        for (const auto &hit : j["results"])
            replaced += hit["file"].get<std::string>().find("caf\xef\xbf\xbd.png") != std::string::npos;
        QCOMPARE(replaced, 1);
        QVERIFY2(r.err.find("not UTF-8") != std::string::npos, r.err.c_str());
        r = runCli({"--json", "--quiet", "search", "--library", q(db), "--text", "a shape"}, 120000);
        QVERIFY2(r.exitCode == 0 && r.err.empty(), r.err.c_str());
    }

    // Two index runs started together on a library that does not exist yet: both set it up (the
    // second finds the schema the first made) and both finish; the files are there once.
    void twoRunsOnANewLibrary()
    {
        const fs::path dir = m_root / "two-writers";
        writeImages(dir, 4);
        for (int round = 0; round < 4; ++round) {
            const fs::path db = m_root / ("two-writers-" + std::to_string(round) + ".db");
            const QStringList args {"--json", "--quiet", "--threads", "1", "index", "--library", q(db), q(dir)};
            QProcess a, b;
            a.start(cliPath(), args);
            b.start(cliPath(), args);
            QVERIFY(a.waitForFinished(120000) && b.waitForFinished(120000));
            QVERIFY2(a.exitCode() == 0, a.readAllStandardError().constData());
            QVERIFY2(b.exitCode() == 0, b.readAllStandardError().constData());
            const auto lib = ml::index::Library::open(db, ml::index::Library::Mode::ReadOnly);
            QCOMPARE(lib->files().size(), std::size_t(4));
            QCOMPARE(lib->integrityCheck(), std::string("ok"));
        }
    }

    void singleFileIsARootOfItsOwn()
    {
        const fs::path dir = m_root / "single";
        writeImages(dir, 3);
        std::ofstream(dir / "notes.txt") << "not a picture";
        const QString cwd = q(m_root);
        const auto index = [&](const QStringList &paths) {
            return runCli(
                QStringList {"--json", "--quiet", "--threads", "1", "index", "--library", "single.db"} + paths, 120000,
                cwd);
        };
        const fs::path lib = m_root / "single.db";
        const auto files = [&] {
            std::vector<std::string> out;
            for (const auto &f : ml::index::Library::open(lib, ml::index::Library::Mode::ReadOnly)->files())
                out.push_back(f.path);
            return out;
        };
        const auto roots = [&] { return ml::index::Library::open(lib, ml::index::Library::Mode::ReadOnly)->folders(); };
        const std::string one = canon(dir / "p_1.png");

        auto r = index({"single/p_1.png"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        auto j = r.json();
        QCOMPARE(j["added"].get<int>(), 1);
        QVERIFY(j["failed"].empty());
        QCOMPARE(files(), std::vector<std::string> {one});
        QCOMPARE(roots(), std::vector<std::string> {one}); // the file, not single/
        QCOMPARE(filesWithVectors(lib, "clip-mini"), std::size_t(1));
        const auto found = runCli({"--json", "--quiet", "--threads", "1", "search", "--library", "single.db", "--image",
                                      "single/p_1.png", "--k", "1"},
            120000, cwd);
        QVERIFY2(found.exitCode == 0, found.err.c_str());
        QCOMPARE(found.json()["results"][0]["file"].get<std::string>(), one);

        // Unchanged: nothing to do. Rewritten: embedded again. The others are never taken in.
        j = index({"single/p_1.png"}).json();
        QCOMPARE(j["unchanged"].get<int>(), 1);
        QCOMPARE(j["added"].get<int>() + j["updated"].get<int>(), 0);
        ml::io::saveImage(render(object(Shape::Diamond, Colour::Purple, 20, 20, 22)), dir / "p_1.png");
        fs::last_write_time(dir / "p_1.png", fs::last_write_time(dir / "p_1.png") + std::chrono::seconds(3));
        j = index({"single/p_1.png", "single/p_2.png"}).json();
        QCOMPARE(j["updated"].get<int>(), 1);
        QCOMPARE(j["added"].get<int>(), 1);
        QCOMPARE(files().size(), std::size_t(2));
        QCOMPARE(roots().size(), std::size_t(2));

        // Gone: removed with its root, like a file deleted from an indexed folder.
        fs::remove(dir / "p_1.png");
        r = index({"single/p_1.png"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QCOMPARE(r.json()["removed"].get<int>(), 1);
        QCOMPARE(files(), std::vector<std::string> {canon(dir / "p_2.png")});
        QCOMPARE(roots(), std::vector<std::string> {canon(dir / "p_2.png")});

        // Not a media file, or no such file (p_1.png is no longer known either): an error naming
        // it as typed, and nothing is written, not even the good file given with it.
        for (const auto &[path, why] : {std::pair {"single/notes.txt", "not an image or video file"},
                 std::pair {"single/p_1.png", "no such file or folder"}}) {
            r = runCli({"--threads", "1", "index", "--library", "single.db", "single/p_0.png", path}, 120000, cwd);
            QCOMPARE(r.exitCode, 1);
            const std::string expected = std::string("error: ") + path + ": " + why;
            QVERIFY2(r.err.find(expected) != std::string::npos, (r.err + " -- expected: " + expected).c_str());
            QCOMPARE(files(), std::vector<std::string> {canon(dir / "p_2.png")});
            QCOMPARE(roots(), std::vector<std::string> {canon(dir / "p_2.png")});
        }
    }

    void killedRunIsCompletedByTheNext()
    {
        const fs::path dir = m_root / "many";
        const int count = 400;
        writeWorldPictures(dir, 7, count, "s_");
        const fs::path lib = m_root / "killed.db";
        QProcess p;
        p.start(cliPath(), {"--threads", "1", "index", "--batch", "8", "--library", q(lib), q(dir)});
        QVERIFY(p.waitForStarted());
        p.setReadChannel(QProcess::StandardError);
        std::string err;
        bool embedding = false;
        while (!embedding && p.state() == QProcess::Running && p.waitForReadyRead(30000)) {
            err += p.readAllStandardError().toStdString();
            // Killed once a batch or more is committed ("embedding: N/400" with N > 0).
            for (auto at = err.find("embedding: "); at != std::string::npos; at = err.find("embedding: ", at + 1))
                embedding = embedding || std::atoi(err.c_str() + at + 11) > 0;
        }
        QVERIFY2(embedding, err.c_str());
        p.kill(); // SIGKILL: no chance to clean up
        p.waitForFinished();
        const auto r = cli({"index", "--library", q(lib), q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        std::printf("after a kill: %s\n", j.dump().c_str());
        QCOMPARE(j["added"].get<int>() + j["updated"].get<int>() + j["unchanged"].get<int>(), count);
        QVERIFY(j["unchanged"].get<int>() > 0); // committed batches were kept
        QVERIFY(j["updated"].get<int>() > 0);   // the rest is embedded now (it was killed before the end)
        QVERIFY(j["failed"].empty());
        const auto again = cli({"index", "--library", q(lib), q(dir)}).json();
        QCOMPARE(again["unchanged"].get<int>(), count);
    }

    // kill -9 at random moments of indexing, 20 times in a row (MODALLENS_KILL_ROUNDS: another
    // count): after each, the library passes integrity_check and keeps every file it had committed;
    // the run that completes embeds exactly the files no killed run committed. Prints the table.
    void killNineTwentyTimes()
    {
        const fs::path dir = m_root / "kill9";
        const int count = 600;
        writeWorldPictures(dir, 11, count, "k_");
        const fs::path lib = m_root / "kill9.db";
        const int rounds = qEnvironmentVariableIsSet("MODALLENS_KILL_ROUNDS")
            ? qEnvironmentVariableIntValue("MODALLENS_KILL_ROUNDS")
            : 20;
        std::mt19937 rng(20261207);
        std::size_t committed = 0;
        std::printf("kill -9 table: round | killed after (ms; from embedding's start, or * from the start) | files "
                    "with vectors before -> after | integrity\n");
        for (int round = 1; round <= rounds; ++round) {
            // Three rounds in four are killed a random while after embedding began (a transaction every
            // 2 files), the fourth at any moment from the start (loading, scanning, the schema).
            const bool anyPhase = round % 4 == 0;
            const int delayMs = anyPhase ? 50 + static_cast<int>(rng() % 900) : static_cast<int>(rng() % 300);
            QProcess p;
            p.start(cliPath(), {"--threads", "1", "index", "--batch", "2", "--library", q(lib), q(dir)});
            QVERIFY(p.waitForStarted());
            p.setReadChannel(QProcess::StandardError); // the progress lines
            std::string progress;
            while (!anyPhase && progress.find("embedding: ") == std::string::npos && p.waitForReadyRead(30000))
                progress += p.readAllStandardError().toStdString();
            const bool finished = p.waitForFinished(delayMs);
            if (!finished) {
                p.kill(); // SIGKILL: no chance to clean up
                p.waitForFinished();
            }
            if (!fs::exists(lib)) { // killed while the model loaded: nothing written yet
                std::printf("%2d | %4d%s | library not created yet\n", round, delayMs, anyPhase ? "*" : "");
                continue;
            }
            const auto readLib = ml::index::Library::open(lib, ml::index::Library::Mode::ReadOnly);
            const std::string integrity = readLib->integrityCheck();
            const std::size_t now = filesWithVectors(lib, "clip-mini");
            std::printf("%2d | %4d%s%s | %3zu -> %3zu | %s\n", round, delayMs, anyPhase ? "*" : "",
                finished ? " (finished first)" : "", committed, now, integrity.c_str());
            QCOMPARE(integrity, std::string("ok"));
            QVERIFY2(now >= committed, "a kill lost files that were committed");
            committed = now;
            if (finished)
                break;
        }
        const auto r = cli({"index", "--library", q(lib), q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        std::printf("the run after the kills: %s\n", j.dump().c_str());
        const auto unchanged = static_cast<std::size_t>(j["unchanged"].get<int>());
        QCOMPARE(unchanged, committed); // no committed file is embedded again
        QCOMPARE(static_cast<std::size_t>(j["added"].get<int>() + j["updated"].get<int>()), count - committed);
        QVERIFY(j["failed"].empty());
        QCOMPARE(filesWithVectors(lib, "clip-mini"), std::size_t(count));
    }

    // A file rewritten between the scan and its embedding (here: the moment embedding starts): its
    // vector is not kept, the run says which file and why, and the next run indexes it.
    void fileChangedWhileIndexed()
    {
        const fs::path dir = m_root / "changing";
        writeImages(dir, 4);
        const fs::path lib = m_root / "changing.db";
        const fs::path victim = dir / "p_2.png";
        struct Rewriter : ml::EngineListener {
            fs::path file;
            bool done = false;
            void onProgress(ml::JobId, const ml::Progress &p) override
            {
                if (p.stage != "embedding" || done)
                    return;
                done = true; // the indexer waits for this call: the scan is over, nothing is embedded yet
                ml::io::saveImage(render(object(Shape::Square, Colour::Green, 24, 24, 18)), file);
                fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(5));
            }
            void onPartial(ml::JobId, const ml::PartialResult &) override { }
            void onFinished(ml::JobId, const ml::JobResult &r) override { result = r; }
            ml::JobResult result;
        } rewriter;
        rewriter.file = victim;
        ml::IndexRequest request;
        request.library = lib.string();
        request.folders = {dir.string()};
        {
            ml::Engine engine(&rewriter, {1});
            engine.submit(ml::makeIndexJob(request));
            QVERIFY(engine.waitIdle(std::chrono::seconds(120)));
        }
        QVERIFY(rewriter.done);
        QVERIFY2(rewriter.result.ok(), rewriter.result.error->message.c_str());
        const auto first = std::any_cast<ml::IndexResult>(rewriter.result.value);
        QCOMPARE(first.failed.size(), std::size_t(1));
        QCOMPARE(first.failed[0].file, canon(victim));
        QVERIFY2(first.failed[0].error.rfind("changed while being indexed", 0) == 0, first.failed[0].error.c_str());
        QCOMPARE(filesWithVectors(lib, "clip-mini"), std::size_t(3));
        const auto r = cli({"index", "--library", q(lib), q(dir)});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QCOMPARE(j["updated"].get<int>() + j["added"].get<int>(), 1); // the rewritten file, now
        QCOMPARE(j["unchanged"].get<int>(), 3);
        QCOMPARE(filesWithVectors(lib, "clip-mini"), std::size_t(4));
    }

    void usageErrors()
    {
        QCOMPARE(cli({"search", "--library", q(m_lib)}).exitCode, 2);
        QCOMPARE(cli({"index", q(m_media)}).exitCode, 2);
        QCOMPARE(cli({"search", "--library", q(m_lib), "--text", "x", "--video-agg", "median"}).exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestIndex)
#include "test_index.moc"
