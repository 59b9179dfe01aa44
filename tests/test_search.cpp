// Search over an indexed generated folder with the embedded clip-mini, in process: filters by kind,
// folder and modification date; near-duplicate groups of an image and its altered copies, and
// different Fashion-MNIST coats that the vectors alone would group told apart by their pictures; the
// vector cache (no second read, invalidated by a commit); the approximate index built in the
// background, saved next to the library, reloaded, and rebuilt when its file is corrupt.
#include "cli_run.h"
#include "common/error.h"
#include "engine/index_service.h"
#include "index/search_cache.h"
#include "io/media.h"
#include "shapes_test_util.h"
#include "train/fashion_mnist.h"
#include "train/shapes_world.h"
#include "train/shapes_world_io.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;
using namespace ml::train;
using ml::index::SearchCache;
using shapes_test::object;
using shapes_test::render;

namespace {

// The caches an engine would own, shared by this test's jobs.
ml::EngineState &engineState()
{
    static ml::EngineState state;
    return state;
}

std::any runJob(ml::Job job)
{
    ml::JobContext ctx(1, nullptr, std::make_shared<std::atomic<bool>>(false), &engineState());
    return job.run(ctx);
}

std::string canon(const fs::path &p)
{
    return fs::weakly_canonical(p).string();
}

// Local noon of the given day, in seconds since the epoch.
std::time_t localNoon(int year, int month, int day)
{
    std::tm tm {};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = 12;
    tm.tm_isdst = -1;
    return std::mktime(&tm);
}

void setMtime(const fs::path &file, std::time_t t)
{
    const auto now = std::chrono::system_clock::now();
    const auto target = std::chrono::system_clock::from_time_t(t);
    fs::last_write_time(file,
        fs::file_time_type::clock::now() + std::chrono::duration_cast<fs::file_time_type::duration>(target - now));
}

bool under(const std::string &file, const fs::path &folder)
{
    const auto f = canon(folder) + "/";
    return file.compare(0, f.size(), f) == 0;
}

ml::io::RgbImage brighter(ml::io::RgbImage img, double factor)
{
    for (auto &p : img.pixels)
        p = static_cast<std::uint8_t>(std::min(255.0, std::round(p * factor)));
    return img;
}

CliRun cli(const QStringList &args)
{
    return runCli(QStringList {"--json", "--quiet", "--threads", "1"} + args, 120000);
}

} // namespace

class TestSearch : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    fs::path m_root, m_media, m_lib, m_dupDir;
    std::string m_base;                // the image whose altered copies are its near-duplicates
    std::vector<std::string> m_copies; // resized, JPEG-recompressed, 2 % brighter
    std::vector<std::string> m_others; // unrelated scenes in the same folder
    bool m_video = false;

    ml::SearchResult search(const std::string &text, int k, const ml::SearchFilter &filter = {})
    {
        ml::SearchRequest req;
        req.library = m_lib.string();
        req.text = text;
        req.k = k;
        req.filter = filter;
        return std::any_cast<ml::SearchResult>(runJob(ml::makeSearchJob(req)));
    }

    void index()
    {
        ml::IndexRequest req;
        req.library = m_lib.string();
        req.folders = {m_media.string()};
        const auto r = std::any_cast<ml::IndexResult>(runJob(ml::makeIndexJob(req)));
        QVERIFY(r.failed.empty());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_root = m_tmp.path().toStdString();
        m_media = m_root / "media";
        m_lib = m_root / "library.db";
        // a/: red circles and blue squares, modified in June 2021; b/: red circles and green
        // triangles, June 2023.
        for (const char *dir : {"a", "b"})
            fs::create_directories(m_media / dir);
        for (int i = 0; i < 4; ++i) {
            const double x = 14 + 6 * i, y = 16 + 5 * (i % 2), side = 20 + (i % 2) * 4;
            const auto files = {
                std::pair {m_media / "a" / ("circle_" + std::to_string(i) + ".png"),
                    object(Shape::Circle, Colour::Red, x, y, side)},
                std::pair {m_media / "a" / ("square_" + std::to_string(i) + ".png"),
                    object(Shape::Square, Colour::Blue, x, y, side)},
                std::pair {m_media / "b" / ("circle_" + std::to_string(i) + ".png"),
                    object(Shape::Circle, Colour::Red, y, x, side)},
                std::pair {m_media / "b" / ("triangle_" + std::to_string(i) + ".png"),
                    object(Shape::Triangle, Colour::Green, y, x, side)},
            };
            for (const auto &[file, o] : files) {
                ml::io::saveImage(render(o), file);
                setMtime(file, file.parent_path().filename() == "a" ? localNoon(2021, 6, 15) : localNoon(2023, 6, 15));
            }
        }
        // dup/: one scene, three altered copies of it and five unrelated scenes (June 2024).
        m_dupDir = m_media / "dup";
        fs::create_directories(m_dupDir);
        ShapesWorldOptions options;
        options.split = Split::Any;
        const ShapesWorld world(31, options);
        const auto base = world.sample(0).image;
        ml::io::saveImage(base, m_dupDir / "base.png");
        ml::io::saveImage(ml::io::resizeToFit(base, base.width * 3 / 4), m_dupDir / "base_resized.png");
        ml::io::saveImage(base, m_dupDir / "base_recompressed.jpg", 60);
        ml::io::saveImage(brighter(base, 1.02), m_dupDir / "base_brighter.png");
        m_base = canon(m_dupDir / "base.png");
        for (const char *c : {"base_brighter.png", "base_recompressed.jpg", "base_resized.png"})
            m_copies.push_back(canon(m_dupDir / c));
        for (int i = 1; i <= 5; ++i) {
            const auto file = m_dupDir / ("other_" + std::to_string(i) + ".png");
            ml::io::saveImage(world.sample(static_cast<std::uint64_t>(i * 7)).image, file);
            m_others.push_back(canon(file));
        }
        for (const auto &e : fs::directory_iterator(m_dupDir))
            setMtime(e.path(), localNoon(2024, 6, 15));
        // more/: 72 Shapes World scenes from 2019, so the library holds about a hundred files.
        fs::create_directories(m_media / "more");
        for (int i = 0; i < 72; ++i) {
            const auto file = m_media / "more" / ("scene_" + std::to_string(i) + ".png");
            ml::io::saveImage(world.sample(static_cast<std::uint64_t>(1000 + i)).image, file);
            setMtime(file, localNoon(2019, 6, 15));
        }
#ifdef MODALLENS_HAVE_MEDIA
        // clips/: a red circle on screen for the whole clip.
        fs::create_directories(m_media / "clips");
        ShapesVideo v;
        v.fps = 6.0;
        for (int i = 0; i < 18; ++i)
            v.frames.push_back(render(object(Shape::Circle, Colour::Red, 18 + i, 24, 22)));
        writeVideoMp4(v, m_media / "clips" / "circle.mp4");
        setMtime(m_media / "clips" / "circle.mp4", localNoon(2023, 6, 15));
        m_video = true;
#endif
        engineState().owned<SearchCache>().clear();
        index();
    }

    void filtersChooseTheFilesScored()
    {
        // Unfiltered, "a red circle" finds circles from both folders (and the clip).
        auto r = search("a red circle", 200);
        QCOMPARE(r.results.size(), std::size_t(m_video ? 98 : 97));
        const auto all = r.vectors;

        // Kind.
        ml::SearchFilter images;
        images.videos = false;
        r = search("a red circle", 100, images);
        QVERIFY(!r.results.empty());
        for (const auto &it : r.results)
            QCOMPARE(it.kind, std::string("image"));
        if (m_video) {
            QVERIFY(r.vectors < all);
            ml::SearchFilter videos;
            videos.images = false;
            r = search("a red circle", 100, videos);
            QCOMPARE(r.results.size(), std::size_t(1));
            QCOMPARE(r.results[0].kind, std::string("video"));
            QCOMPARE(r.vectors, all - static_cast<std::int64_t>(search("a red circle", 100, images).vectors));
        }

        // Folder: k results come back from the allowed files, even where the best matches of the
        // whole library lie elsewhere (blue squares are only in a/).
        ml::SearchFilter inB;
        inB.folders = {canon(m_media / "b")};
        r = search("a blue square", 3, inB);
        QCOMPARE(r.results.size(), std::size_t(3));
        for (const auto &it : r.results)
            QVERIFY2(under(it.file, m_media / "b"), it.file.c_str());
        QCOMPARE(r.vectors, std::int64_t(8));
        // (Filtering the unfiltered top 3 afterwards would leave fewer than 3.)
        int inTop3 = 0;
        for (const auto &it : search("a blue square", 3).results)
            inTop3 += under(it.file, m_media / "b") ? 1 : 0;
        QVERIFY(inTop3 < 3);
        // A folder prefix is a whole path component: ".../a" does not take ".../ab".
        ml::SearchFilter prefix;
        prefix.folders = {canon(m_media) + "/d"};
        QVERIFY(search("a red circle", 10, prefix).results.empty());

        // Modification time, inclusive: 2021 alone is a/; up to the end of 2023-06-15 adds b/.
        ml::SearchFilter in2021;
        in2021.fromS = localNoon(2021, 1, 1);
        in2021.toS = localNoon(2021, 12, 31);
        r = search("a red circle", 100, in2021);
        QCOMPARE(r.results.size(), std::size_t(8));
        for (const auto &it : r.results)
            QVERIFY2(under(it.file, m_media / "a"), it.file.c_str());
        ml::SearchFilter until;
        until.toS = localNoon(2023, 6, 15) - 12 * 3600 + 86399; // 23:59:59 that day
        r = search("a red circle", 200, until);
        QCOMPARE(r.results.size(), std::size_t(m_video ? 89 : 88));
        until.toS = localNoon(2023, 6, 15) - 1;
        QCOMPARE(search("a red circle", 200, until).results.size(), std::size_t(80));
        ml::SearchFilter since;
        since.fromS = localNoon(2024, 1, 1);
        r = search("a red circle", 100, since);
        QCOMPARE(r.results.size(), std::size_t(9));
        for (const auto &it : r.results)
            QVERIFY2(under(it.file, m_dupDir), it.file.c_str());
    }

    void cliFilters()
    {
        // The CLI's --folder is canonicalised (a relative, dotted path works) and dates are checked.
        const QString lib = QString::fromStdString(m_lib.string());
        const QString dotted = QString::fromStdString((m_media / "a" / ".." / "b").string());
        auto r = cli({"search", "--library", lib, "--text", "a red circle", "--k", "50", "--folder", dotted, "--kind",
            "image", "--since", "2023-06-15", "--until", "2023-06-15"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QCOMPARE(j["results"].size(), std::size_t(8));
        for (const auto &it : j["results"])
            QVERIFY(under(it["file"].get<std::string>(), m_media / "b"));
        r = cli({"search", "--library", lib, "--text", "x", "--since", "2023-02-30"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.find("2023-02-30") != std::string::npos, r.err.c_str());
        QCOMPARE(cli({"search", "--library", lib, "--text", "x", "--until", "15/06/2023"}).exitCode, 2);
        QCOMPARE(cli({"search", "--library", lib, "--text", "x", "--kind", "audio"}).exitCode, 2);
        QCOMPARE(
            cli({"search", "--library", lib, "--text", "x", "--since", "2024-01-02", "--until", "2024-01-01"}).exitCode,
            2);
        QCOMPARE(cli({"duplicates", "--library", lib, "--threshold", "1.5"}).exitCode, 2);
    }

    void nearDuplicatesAreGrouped()
    {
        ml::DuplicatesRequest req;
        req.library = m_lib.string();
        req.threshold = 0.95;
        req.filter.folders = {canon(m_dupDir)};
        const auto r = std::any_cast<ml::DuplicatesResult>(runJob(ml::makeDuplicatesJob(req)));
        QCOMPARE(r.files, std::int64_t(9));
        QVERIFY(!r.groups.empty());
        const auto &g = r.groups.front();
        for (std::size_t i = 0; i < g.files.size(); ++i)
            qInfo("%.4f %s", static_cast<double>(g.scores[i]), g.files[i].c_str());
        std::set<std::string> got(g.files.begin(), g.files.end());
        std::set<std::string> want(m_copies.begin(), m_copies.end());
        want.insert(m_base);
        QVERIFY(got == want);
        QCOMPARE(g.files.front(), m_base); // first in path order leads
        QCOMPARE(g.scores.front(), 1.0f);
        for (const auto s : g.scores)
            QVERIFY(s >= 0.95f);
        // Confirmed by the pictures: each copy's perceptual hash is within the limit of the base's.
        QCOMPARE(g.hashDistances.size(), g.files.size());
        for (const int d : g.hashDistances)
            QVERIFY2(d >= 0 && d <= req.maxHashDistance, qPrintable(QString::number(d)));
        // No unrelated scene joins any group with the base's copies, and every group is real.
        for (const auto &grp : r.groups) {
            QVERIFY(grp.files.size() >= 2);
            if (&grp != &g)
                for (const auto &f : grp.files)
                    QVERIFY(!want.count(f));
        }
        // The CLI prints the same groups.
        const auto c = cli({"duplicates", "--library", QString::fromStdString(m_lib.string()), "--folder",
            QString::fromStdString(m_dupDir.string())});
        QVERIFY2(c.exitCode == 0, c.err.c_str());
        const auto j = c.json();
        QCOMPARE(j["files"].get<std::int64_t>(), std::int64_t(9));
        QCOMPARE(j["groups"].size(), r.groups.size());
        QCOMPARE(j["groups"][0]["files"].get<std::vector<std::string>>(), g.files);
        QCOMPARE(j["groups"][0]["scores"].size(), g.files.size());
    }

    void differentCoatsAreNotDuplicates()
    {
        using ml::train::FashionMnist;
        if (!FashionMnist::available(ml::train::FashionSplit::Test))
            QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
        // The test split's first six coats as the sample gallery writes them (140 px), and the first
        // one re-encoded as a JPEG and resized.
        const auto data = FashionMnist::load(ml::train::FashionSplit::Test);
        const fs::path dir = m_root / "coats";
        fs::create_directories(dir);
        std::vector<std::string> coats;
        for (std::size_t i = 0; i < data.size() && coats.size() < 6; ++i)
            if (FashionMnist::classNames()[static_cast<std::size_t>(data.label(i))] == "Coat") {
                const auto file = dir / ("coat-00" + std::to_string(coats.size() + 1) + ".png");
                ml::io::saveImage(ml::train::upscaleNearest(data.image(i), 5), file);
                coats.push_back(canon(file));
            }
        QCOMPARE(coats.size(), std::size_t(6));
        const auto first = ml::io::loadImage(coats[0]);
        ml::io::saveImage(first, dir / "coat-001-copy.jpg", 70);
        ml::io::saveImage(ml::io::resizeToFit(first, 100), dir / "coat-001-small.png");
        const std::set<std::string> copies {
            coats[0], canon(dir / "coat-001-copy.jpg"), canon(dir / "coat-001-small.png")};

        const fs::path lib = m_root / "coats.db";
        ml::IndexRequest index;
        index.library = lib.string();
        index.folders = {dir.string()};
        QVERIFY(std::any_cast<ml::IndexResult>(runJob(ml::makeIndexJob(index))).failed.empty());
        ml::DuplicatesRequest req;
        req.library = lib.string();
        const auto originals = [&](const ml::DuplicateGroup &g) {
            int n = 0;
            for (const auto &f : g.files)
                n += std::count(coats.begin(), coats.end(), f) > 0 ? 1 : 0;
            return n;
        };

        // Vectors alone put different coats in one group: what the pictures must undo.
        req.maxHashDistance = -1;
        auto r = std::any_cast<ml::DuplicatesResult>(runJob(ml::makeDuplicatesJob(req)));
        QVERIFY(!r.hashed);
        int mixed = 0;
        for (const auto &g : r.groups) {
            for (std::size_t i = 0; i < g.files.size(); ++i)
                qInfo("vectors only: %.4f %s", static_cast<double>(g.scores[i]), g.files[i].c_str());
            mixed += originals(g) >= 2 ? 1 : 0;
            QVERIFY(std::all_of(g.hashDistances.begin(), g.hashDistances.end(), [](int d) { return d == -1; }));
        }
        QVERIFY2(mixed > 0, "no two different coats reach 0.95: the case this test is about is gone");

        // Confirmed by the pictures: the copies form one group, no group holds two different coats.
        req.maxHashDistance = ml::DuplicatesRequest {}.maxHashDistance;
        r = std::any_cast<ml::DuplicatesResult>(runJob(ml::makeDuplicatesJob(req)));
        QVERIFY(r.hashed);
        QVERIFY(r.unreadable.empty());
        QVERIFY(r.rejectedPairs > 0);
        bool copiesGrouped = false;
        for (const auto &g : r.groups) {
            QCOMPARE(g.hashDistances.size(), g.files.size());
            QCOMPARE(g.hashDistances.front(), 0);
            for (std::size_t i = 0; i < g.files.size(); ++i) {
                qInfo("confirmed: %.4f %d bits %s", static_cast<double>(g.scores[i]), g.hashDistances[i],
                    g.files[i].c_str());
                QVERIFY(g.hashDistances[i] >= 0 && g.hashDistances[i] <= req.maxHashDistance);
            }
            QVERIFY2(originals(g) <= 1, g.files.front().c_str());
            copiesGrouped = copiesGrouped || std::set<std::string>(g.files.begin(), g.files.end()) == copies;
        }
        QVERIFY(copiesGrouped);

        // The CLI shows why: each file's hash distance beside its similarity.
        const auto c = cli({"duplicates", "--library", QString::fromStdString(lib.string())});
        QVERIFY2(c.exitCode == 0, c.err.c_str());
        const auto j = c.json();
        QCOMPARE(j["hash"].get<std::string>(), std::string("phash"));
        QCOMPARE(j["max_hash_distance"].get<int>(), req.maxHashDistance);
        QCOMPARE(j["groups"].size(), r.groups.size());
        QCOMPARE(j["groups"][0]["hash_distances"].get<std::vector<int>>(), r.groups[0].hashDistances);
        QCOMPARE(j["rejected_pairs"].get<std::int64_t>(), r.rejectedPairs);
        QCOMPARE(cli({"duplicates", "--library", QString::fromStdString(lib.string()), "--max-hash-distance", "65"})
                     .exitCode,
            2);
    }

    void cacheReadsVectorsOnce()
    {
        auto &cache = engineState().owned<SearchCache>();
        cache.clear();
        const auto loads = cache.loads();
        // The cache alone: reading the vectors, then finding them unchanged.
        const auto key = ml::libraryModelKey("clip-mini");
        const auto a0 = std::chrono::steady_clock::now();
        const auto loaded = cache.acquire(m_lib.string(), key);
        const auto a1 = std::chrono::steady_clock::now();
        QCOMPARE(cache.acquire(m_lib.string(), key), loaded);
        const auto a2 = std::chrono::steady_clock::now();
        qInfo("%zu files, %lld vectors: loading %.3f ms, cached %.3f ms", loaded->files.size(),
            static_cast<long long>(loaded->vectors->size()), std::chrono::duration<double, std::milli>(a1 - a0).count(),
            std::chrono::duration<double, std::milli>(a2 - a1).count());
        QCOMPARE(cache.loads(), loads + 1);
        cache.clear();
        const auto t0 = std::chrono::steady_clock::now();
        const auto first = search("a red circle", 5);
        const auto t1 = std::chrono::steady_clock::now();
        QCOMPARE(cache.loads(), loads + 2);
        const auto second = search("a green triangle", 5);
        const auto t2 = std::chrono::steady_clock::now();
        QCOMPARE(cache.loads(), loads + 2); // the vectors stayed in memory
        qInfo("%lld vectors: first search %.2f ms (reads the library), second %.2f ms (cached)",
            static_cast<long long>(first.vectors), std::chrono::duration<double, std::milli>(t1 - t0).count(),
            std::chrono::duration<double, std::milli>(t2 - t1).count());
        QCOMPARE(second.vectors, first.vectors);

        // A commit (a new file indexed) invalidates it: the next search reads again and sees it.
        const auto added = m_media / "b" / "triangle_new.png";
        ml::io::saveImage(render(object(Shape::Triangle, Colour::Green, 30, 30, 24)), added);
        setMtime(added, localNoon(2023, 6, 15));
        index();
        const auto third = search("a green triangle", 5);
        QCOMPARE(cache.loads(), loads + 3);
        QCOMPARE(third.vectors, first.vectors + 1);
        search("a green triangle", 5);
        QCOMPARE(cache.loads(), loads + 3);
    }

    void backgroundBuildThenApproximate()
    {
        auto &cache = engineState().owned<SearchCache>();
        cache.clear();
        auto options = cache.options();
        options.approxThreshold = 16;
        options.recallQueries = 20;
        cache.setOptions(options);
        for (const auto &e : fs::directory_iterator(m_root))
            if (e.path().string().find(".faiss") != std::string::npos)
                fs::remove(e.path());
        const auto builds = cache.builds();

        // The near-duplicate job never uses the index: it starts no build.
        ml::DuplicatesRequest dup;
        dup.library = m_lib.string();
        std::any_cast<ml::DuplicatesResult>(runJob(ml::makeDuplicatesJob(dup)));
        QVERIFY(cache.waitForBuilds(std::chrono::seconds(60)));
        QCOMPARE(cache.builds(), builds);

        // The first search starts it and stays exact meanwhile.
        const auto exact = search("a red circle", 5);
        QVERIFY(!exact.approximate || exact.recallAt10 >= 0); // the build may already have ended
        QVERIFY(exact.indexBuilding || exact.approximate);
        QVERIFY(cache.waitForBuilds(std::chrono::seconds(60)));
        QCOMPARE(cache.builds(), builds + 1);
        std::string sidecar;
        for (const auto &e : fs::directory_iterator(m_root))
            if (e.path().extension() == ".faiss")
                sidecar = e.path().string();
        QVERIFY2(sidecar.find(m_lib.filename().string() + ".") != std::string::npos, sidecar.c_str());
        const auto approx = search("a red circle", 5);
        QVERIFY(approx.approximate);
        QVERIFY(!approx.indexBuilding);
        QVERIFY(approx.approxKind.find("IVF") == 0);
        QVERIFY(approx.recallAt10 >= 0.0 && approx.recallAt10 <= 1.0);
        qInfo("%s recall@10 %.3f", approx.approxKind.c_str(), approx.recallAt10);
        QCOMPARE(approx.results.front().file, exact.results.front().file);
        QCOMPARE(approx.results.size(), exact.results.size());
        // A filtered search on the approximate path still returns the allowed files only, k of them.
        ml::SearchFilter inB;
        inB.folders = {canon(m_media / "b")};
        const auto filtered = search("a blue square", 3, inB);
        QCOMPARE(filtered.results.size(), std::size_t(3));
        for (const auto &it : filtered.results)
            QVERIFY(under(it.file, m_media / "b"));

        // Images only (enough rows for the index): FAISS skips the clip's frames while scanning.
        ml::SearchFilter images;
        images.videos = false;
        const auto approxImages = search("a red circle", 5, images);
        QVERIFY(approxImages.approximate);
        QCOMPARE(approxImages.results.size(), std::size_t(5));
        for (const auto &it : approxImages.results)
            QCOMPARE(it.kind, std::string("image"));

        // Saved next to the library: a new process (here: an emptied cache) loads it, no rebuild.
        QVERIFY(fs::exists(sidecar));
        QVERIFY(fs::exists(sidecar + ".json"));
        cache.clear();
        search("a red circle", 5);
        QVERIFY(cache.waitForBuilds(std::chrono::seconds(60)));
        QCOMPARE(cache.builds(), builds + 1);
        const auto reloaded = search("a red circle", 5);
        QVERIFY(reloaded.approximate);
        QCOMPARE(reloaded.results.front().file, exact.results.front().file);

        // A corrupt index file is not trusted: rebuilt (and rewritten).
        fs::resize_file(sidecar, fs::file_size(sidecar) / 3);
        cache.clear();
        search("a red circle", 5);
        QVERIFY(cache.waitForBuilds(std::chrono::seconds(60)));
        QCOMPARE(cache.builds(), builds + 2);
        QVERIFY(search("a red circle", 5).approximate);
        // A description of another generation of the library: rebuilt too.
        {
            std::ifstream in(sidecar + ".json");
            auto j = nlohmann::json::parse(in);
            j["fingerprint"] = "0000000000000000";
            std::ofstream(sidecar + ".json") << j.dump();
        }
        cache.clear();
        search("a red circle", 5);
        QVERIFY(cache.waitForBuilds(std::chrono::seconds(60)));
        QCOMPARE(cache.builds(), builds + 3);

        options.approxThreshold = ml::index::VectorSearchOptions {}.approxThreshold;
        cache.setOptions(options);
        cache.clear();
    }
};

QTEST_GUILESS_MAIN(TestSearch)
#include "test_search.moc"
