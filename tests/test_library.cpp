// The media library: schema and migrations, files that are not ours refused untouched, the
// incremental scan plan, atomic embedding batches, a writer killed mid-loop, the health check.
#include "common/error.h"
#include "index/library.h"

#include <QtTest>

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <thread>

namespace fs = std::filesystem;
using namespace ml::index;

namespace {

std::string readAll(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeAll(const fs::path &path, const std::string &bytes)
{
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs SQL on a raw connection, as another program (or an older ModalLens) would.
void rawSql(const fs::path &db, const std::string &sql)
{
    sqlite3 *h = nullptr;
    QCOMPARE(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    char *err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(h);
    QVERIFY2(rc == SQLITE_OK, msg.c_str());
}

std::string openError(const fs::path &path, Library::Mode mode = Library::Mode::ReadWrite)
{
    try {
        Library::open(path, mode);
    } catch (const ml::Error &e) {
        return e.what();
    }
    return {};
}

std::vector<float> randomVector(std::mt19937 &rng, int dim)
{
    std::normal_distribution<float> n;
    std::vector<float> v(static_cast<std::size_t>(dim));
    for (auto &x : v)
        x = n(rng);
    return v;
}

const ModelRecord kModel {"tiny", "Tiny CLIP", "/models/tiny", "cfg-1", 8};

FileVectors imageVectors(std::int64_t fileId, float seed)
{
    std::vector<float> v(8);
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = seed + static_cast<float>(i) * 0.25f;
    return {fileId, {{-1, v}}};
}

// Permission bits, restored on scope exit so QTemporaryDir can clean up after a failure.
struct ChmodGuard {
    fs::path path;
    fs::perms saved;
    ChmodGuard(const fs::path &p, fs::perms perms) : path(p), saved(fs::status(p).permissions())
    {
        fs::permissions(p, perms);
    }
    ~ChmodGuard() { fs::permissions(path, saved); }
};

} // namespace

class TestLibrary : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_tmp;
    fs::path dir(const char *name) const
    {
        const fs::path p = fs::path(m_tmp.path().toStdString()) / QTest::currentTestFunction() / name;
        fs::create_directories(p);
        return p;
    }

private Q_SLOTS:
    void createsSchema()
    {
        const fs::path db = dir("db") / "lib.modallens";
        {
            auto lib = Library::open(db);
            QCOMPARE(lib->schemaVersion(), 1);
            QVERIFY(!lib->isReadOnly());
            QCOMPARE(lib->integrityCheck(), std::string("ok"));
        }
        sqlite3 *h = nullptr;
        QCOMPARE(sqlite3_open(db.c_str(), &h), SQLITE_OK);
        auto scalar = [&](const char *sql) {
            sqlite3_stmt *s = nullptr;
            sqlite3_prepare_v2(h, sql, -1, &s, nullptr);
            std::string out;
            while (sqlite3_step(s) == SQLITE_ROW)
                out += std::string(reinterpret_cast<const char *>(sqlite3_column_text(s, 0))) + " ";
            sqlite3_finalize(s);
            return out;
        };
        QCOMPARE(scalar("PRAGMA journal_mode"), std::string("wal "));
        QCOMPARE(scalar("PRAGMA application_id"), std::to_string(kLibraryApplicationId) + " ");
        QCOMPARE(scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
            std::string("embeddings files folders frames models "));
        sqlite3_close(h);
        // Reopening an up-to-date library changes nothing.
        const std::string before = readAll(db);
        Library::open(db);
        QCOMPARE(readAll(db), before);
    }

    void migrates()
    {
        const fs::path db = dir("db") / "lib.modallens";
        const std::vector<Migration> v1 = {{1, "CREATE TABLE t (a INTEGER);"}};
        Library::open(db, Library::Mode::ReadWrite, v1);
        rawSql(db, "INSERT INTO t (a) VALUES (42)");
        auto v2 = v1;
        v2.push_back({2, "ALTER TABLE t ADD COLUMN b INTEGER NOT NULL DEFAULT 7;"});
        QCOMPARE(Library::open(db, Library::Mode::ReadWrite, v2)->schemaVersion(), 2);
        auto v3 = v2;
        v3.push_back({3, "CREATE TABLE u (x); INSERT INTO nowhere VALUES (1);"}); // fails half-way
        try {
            Library::open(db, Library::Mode::ReadWrite, v3);
            QFAIL("a failing migration must throw");
        } catch (const ml::Error &e) {
            QVERIFY2(std::string(e.what()).find("schema version 3") != std::string::npos, e.what());
        }
        sqlite3 *h = nullptr;
        sqlite3_open(db.c_str(), &h);
        sqlite3_stmt *s = nullptr;
        sqlite3_prepare_v2(
            h, "SELECT a, b, (SELECT count(*) FROM sqlite_master WHERE name = 'u') FROM t", -1, &s, nullptr);
        QCOMPARE(sqlite3_step(s), SQLITE_ROW);
        QCOMPARE(sqlite3_column_int(s, 0), 42);
        QCOMPARE(sqlite3_column_int(s, 1), 7);
        QCOMPARE(sqlite3_column_int(s, 2), 0); // step 3 rolled back whole
        sqlite3_finalize(s);
        sqlite3_close(h);
        QCOMPARE(Library::open(db, Library::Mode::ReadWrite, v2)->schemaVersion(), 2);
    }

    void refusesWhatIsNotOurs_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("text file") << "text"
                                   << "not an SQLite database";
        QTest::newRow("other tables") << "tables"
                                      << "other tables: photos";
        QTest::newRow("other application") << "appid"
                                           << "application_id is 0x00000309";
        QTest::newRow("newer schema") << "newer"
                                      << "schema version 99, newer than version 1";
    }
    void refusesWhatIsNotOurs()
    {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        const fs::path db = dir(qPrintable(kind)) / "library.db";
        if (kind == "text")
            writeAll(db, std::string("hello, this is a shopping list, not a database\n").append(5000, 'x'));
        else if (kind == "tables")
            rawSql(db, "CREATE TABLE photos (id INTEGER); INSERT INTO photos VALUES (1);");
        else if (kind == "appid")
            rawSql(db, "PRAGMA application_id = 777; CREATE TABLE files (id INTEGER);");
        else {
            Library::open(db);
            rawSql(db, "PRAGMA user_version = 99");
        }
        const std::string before = readAll(db);
        const std::string err = openError(db);
        QVERIFY2(err.find(db.string()) != std::string::npos, err.c_str());
        QVERIFY2(err.find(expected.toStdString()) != std::string::npos, err.c_str());
        QCOMPARE(readAll(db), before);
        QCOMPARE(openError(db, Library::Mode::ReadOnly), err); // read-only says the same
    }

    void readOnlyFileAndFolder()
    {
        const fs::path folder = dir("ro");
        const fs::path db = folder / "lib.modallens";
        writeAll(folder / "media" / "a.png", "png bytes");
        {
            auto lib = Library::open(db);
            auto plan = lib->planScan({folder / "media"});
            lib->apply(plan);
        }
        const std::string before = readAll(db);
        for (const bool wholeFolder : {false, true}) {
            ChmodGuard guard(wholeFolder ? folder : db, wholeFolder ? fs::perms(0555) : fs::perms(0444));
            auto lib = Library::open(db);
            QVERIFY(lib->isReadOnly());
            QCOMPARE(lib->files().size(), std::size_t(1)); // searching still works
            try {
                lib->addFolder(folder);
                QFAIL("a write to a read-only library must throw");
            } catch (const ml::Error &e) {
                const std::string msg = e.what();
                QVERIFY2(
                    msg.find("read-only") != std::string::npos && msg.find(db.string()) != std::string::npos, e.what());
            }
            if (wholeFolder) {
                const std::string err = openError(folder / "new.modallens");
                QVERIFY2(err.find("cannot create") != std::string::npos, err.c_str());
                QVERIFY(!fs::exists(folder / "new.modallens"));
            }
        }
        QCOMPARE(readAll(db), before);
    }

    // A search of a library marked read-only (0444) leaves -wal and -shm made with that mode; once
    // the file is writable again, the next index must not fail on them ("readonly database").
    void readOnlyRunLeavesNoTrap()
    {
        const fs::path folder = dir("ro-leftovers");
        const fs::path db = folder / "lib.modallens";
        writeAll(folder / "media" / "a.png", "png bytes");
        writeAll(folder / "more" / "b.png", "other bytes");
        {
            auto lib = Library::open(db);
            auto plan = lib->planScan({folder / "media"});
            lib->apply(plan);
        }
        std::unique_ptr<Library> reader;
        {
            ChmodGuard guard(db, fs::perms(0444));
            reader = Library::open(db, Library::Mode::ReadOnly); // kept open: its -shm stays
            QCOMPARE(reader->files().size(), std::size_t(1));
        }
        reader.reset();
        for (const char *suffix : {"-wal", "-shm"}) // what a read-only reader may leave behind
            if (!fs::exists(db.string() + suffix))
                writeAll(db.string() + suffix, "");
        for (const char *suffix : {"-wal", "-shm"})
            fs::permissions(db.string() + suffix, fs::perms(0444));
        auto lib = Library::open(db);
        QVERIFY(!lib->isReadOnly());
        for (const char *suffix : {"-wal", "-shm"}) // made writable again (root could write them anyway)
            if (fs::exists(db.string() + suffix))
                QVERIFY((fs::status(db.string() + suffix).permissions() & fs::perms::owner_write) != fs::perms::none);
        auto plan = lib->planScan({folder / "more"});
        lib->apply(plan);
        QCOMPARE(lib->files().size(), std::size_t(2));
        QCOMPARE(lib->integrityCheck(), std::string("ok"));
    }

    void scanPlan()
    {
        const fs::path root = dir("photos");
        const fs::path db = dir("db") / "lib.modallens";
        writeAll(root / "a.jpg", "jpeg A");
        writeAll(root / "b.PNG", "png B");
        writeAll(root / "clips" / "c.mp4", std::string(3 << 20, 'c')); // over 2 MiB: first+last MiB hashed
        writeAll(root / "notes.txt", "not media");
        auto lib = Library::open(db);
        lib->registerModel(kModel);

        auto plan = lib->planScan({root}, kModel.modelId);
        QCOMPARE(plan.toEmbed.size(), std::size_t(3));
        QVERIFY(plan.unchanged.empty() && plan.moved.empty() && plan.removed.empty());
        lib->apply(plan);
        std::vector<FileVectors> batch;
        for (const auto &f : plan.toEmbed) {
            QVERIFY(f.fileId > 0);
            batch.push_back(imageVectors(f.fileId, static_cast<float>(f.fileId)));
        }
        const std::int64_t clipId = lib->files()[2].id;
        QCOMPARE(lib->file(clipId).kind, MediaKind::Video);
        batch.back() = {clipId, {{0.0, std::vector<float>(8, 0.5f)}, {1.0, std::vector<float>(8, 0.25f)}}};
        lib->commitEmbeddings(kModel.modelId, batch);
        QCOMPARE(lib->folders(), std::vector<std::string> {fs::weakly_canonical(root).string()});

        // Nothing changed.
        plan = lib->planScan({root}, kModel.modelId);
        QCOMPARE(plan.unchanged.size(), std::size_t(3));
        QVERIFY(plan.toEmbed.empty() && plan.touched.empty());

        // Touched, same content: metadata only. Changed content: re-embed, old vectors dropped.
        const std::int64_t aId = lib->files()[0].id, bId = lib->files()[1].id;
        fs::last_write_time(root / "a.jpg", fs::last_write_time(root / "a.jpg") + std::chrono::seconds(5));
        writeAll(root / "b.PNG", "png B, edited");
        plan = lib->planScan({root}, kModel.modelId);
        QCOMPARE(plan.touched.size(), std::size_t(1));
        QCOMPARE(plan.touched[0].fileId, aId);
        QCOMPARE(plan.toEmbed.size(), std::size_t(1));
        QCOMPARE(plan.toEmbed[0].fileId, bId);
        QCOMPARE(plan.unchanged.size(), std::size_t(1));
        lib->apply(plan);
        QCOMPARE(lib->vectorCount(kModel.modelId, aId), std::int64_t(1));
        QCOMPARE(lib->vectorCount(kModel.modelId, bId), std::int64_t(0));
        lib->commitEmbeddings(kModel.modelId, {imageVectors(bId, 9)});

        // Moved: same id and vectors at the new path. Deleted: gone with its vectors.
        fs::create_directories(root / "archive");
        fs::rename(root / "clips" / "c.mp4", root / "archive" / "c-renamed.mp4");
        fs::remove(root / "a.jpg");
        plan = lib->planScan({root}, kModel.modelId);
        QCOMPARE(plan.moved.size(), std::size_t(1));
        QCOMPARE(plan.moved[0].fileId, clipId);
        QCOMPARE(plan.removed.size(), std::size_t(1));
        QCOMPARE(plan.removed[0].id, aId);
        QVERIFY(plan.toEmbed.empty());
        lib->apply(plan);
        QCOMPARE(lib->file(clipId).path, (fs::weakly_canonical(root) / "archive" / "c-renamed.mp4").string());
        QCOMPARE(lib->vectorCount(kModel.modelId, clipId), std::int64_t(2));
        QCOMPARE(lib->vectorCount(kModel.modelId, aId), std::int64_t(0));
        QCOMPARE(lib->files().size(), std::size_t(2));
        const auto stored = lib->vectors(kModel.modelId);
        QCOMPARE(stored.size(), std::size_t(3));
        QCOMPARE(stored[1].timestampS, 0.0);
        QCOMPARE(stored[2].timestampS, 1.0);
        QCOMPARE(stored[2].vector, std::vector<float>(8, 0.25f));

        // A file the indexer never finished (killed before its commit) is to embed again.
        writeAll(root / "d.webp", "webp D");
        plan = lib->planScan({root}, kModel.modelId);
        lib->apply(plan);
        plan = lib->planScan({root}, kModel.modelId);
        QCOMPARE(plan.toEmbed.size(), std::size_t(1));
        QVERIFY(plan.toEmbed[0].path.find("d.webp") != std::string::npos);
        QVERIFY(lib->needsReindex(kModel.modelId).needed);
        lib->setFileError(plan.toEmbed[0].fileId, "not a WebP file");
        QVERIFY(lib->planScan({root}, kModel.modelId).toEmbed.empty()); // recorded errors are skipped
        QVERIFY(!lib->needsReindex(kModel.modelId).needed);
        QCOMPARE(lib->integrityCheck(), std::string("ok"));
    }

    void nestedRootsShareFiles()
    {
        // Sub-folders indexed first, then their parent (and the other way round): the files the
        // earlier runs stored are the same files, not new ones.
        const fs::path m = dir("nested");
        writeAll(m / "a" / "1.jpg", "jpeg 1");
        writeAll(m / "b" / "2.jpg", "jpeg 2");
        writeAll(m / "3.jpg", "jpeg 3");
        writeAll(dir("nested-other") / "4.jpg", "jpeg 4"); // a sibling whose name extends "nested"
        auto lib = Library::open(dir("db-nested") / "lib.modallens");
        lib->registerModel(kModel);
        auto plan = lib->planScan({m / "a", m / "b"}, kModel.modelId);
        QCOMPARE(plan.toEmbed.size(), std::size_t(2));
        lib->apply(plan);
        std::vector<FileVectors> batch;
        for (const auto &f : plan.toEmbed)
            batch.push_back(imageVectors(f.fileId, 1));
        lib->commitEmbeddings(kModel.modelId, batch);
        plan = lib->planScan({dir("nested-other")}, kModel.modelId);
        lib->apply(plan);
        lib->commitEmbeddings(kModel.modelId, {imageVectors(plan.toEmbed[0].fileId, 2)});

        plan = lib->planScan({m}, kModel.modelId);
        QCOMPARE(plan.unchanged.size(), std::size_t(2));
        QCOMPARE(plan.toEmbed.size(), std::size_t(1)); // 3.jpg only
        QVERIFY(plan.removed.empty());                 // nested-other/4.jpg is not under nested/
        lib->apply(plan);
        lib->commitEmbeddings(kModel.modelId, {imageVectors(plan.toEmbed[0].fileId, 3)});
        QCOMPARE(lib->files().size(), std::size_t(4));

        // A sub-folder of an indexed folder: its file is known; one deleted there is removed.
        fs::remove(m / "a" / "1.jpg");
        plan = lib->planScan({m / "b"}, kModel.modelId);
        QCOMPARE(plan.unchanged.size(), std::size_t(1));
        QVERIFY(plan.toEmbed.empty() && plan.removed.empty());
        plan = lib->planScan({m / "a"}, kModel.modelId);
        QCOMPARE(plan.removed.size(), std::size_t(1));
        lib->apply(plan);
        QCOMPARE(lib->files().size(), std::size_t(3));
        QCOMPARE(lib->integrityCheck(), std::string("ok"));
    }

    void singleFileRoot()
    {
        // A file given as a root is a root of its own: its siblings stay out, and its root goes
        // with it when it is gone. A non-media file, or a path that is neither there nor known, is
        // refused with its path as given.
        const fs::path d = dir("single");
        writeAll(d / "a.jpg", "jpeg A");
        writeAll(d / "b.jpg", "jpeg B");
        writeAll(d / "notes.txt", "not media");
        const std::string a = fs::weakly_canonical(d / "a.jpg").string();
        auto lib = Library::open(dir("db-single") / "lib.modallens");
        lib->registerModel(kModel);
        auto plan = lib->planScan({d / "a.jpg"}, kModel.modelId);
        QCOMPARE(plan.toEmbed.size(), std::size_t(1));
        QCOMPARE(plan.toEmbed[0].path, a);
        QCOMPARE(plan.toEmbed[0].folderRoot, a);
        lib->apply(plan);
        lib->commitEmbeddings(kModel.modelId, {imageVectors(plan.toEmbed[0].fileId, 1)});
        QCOMPARE(lib->folders(), std::vector<std::string> {a});
        QCOMPARE(lib->files().size(), std::size_t(1));

        plan = lib->planScan({d / "a.jpg"}, kModel.modelId);
        QCOMPARE(plan.unchanged.size(), std::size_t(1));
        QVERIFY(plan.toEmbed.empty() && plan.removed.empty());
        writeAll(d / "a.jpg", "jpeg A, edited");
        plan = lib->planScan({d / "a.jpg"}, kModel.modelId);
        QCOMPARE(plan.toEmbed.size(), std::size_t(1));
        lib->apply(plan);
        lib->commitEmbeddings(kModel.modelId, {imageVectors(plan.toEmbed[0].fileId, 2)});

        const auto refused = [&](const fs::path &root) {
            try {
                lib->planScan({d / "b.jpg", root}, kModel.modelId);
            } catch (const ml::Error &e) {
                return std::string(e.what());
            }
            return std::string("<no error>");
        };
        QCOMPARE(refused(d / "notes.txt").rfind((d / "notes.txt").string() + ": not an image or video file", 0),
            std::size_t(0));
        QCOMPARE(refused(d / "c.jpg"), (d / "c.jpg").string() + ": no such file or folder");
        QCOMPARE(refused("single/x.jpg"), std::string("single/x.jpg: no such file or folder"));

        fs::remove(d / "a.jpg");
        plan = lib->planScan({d / "a.jpg"}, kModel.modelId);
        QCOMPARE(plan.removed.size(), std::size_t(1));
        QCOMPARE(plan.removed[0].path, a);
        lib->apply(plan);
        QVERIFY(lib->files().empty());
        QVERIFY(lib->folders().empty());
        QCOMPARE(lib->integrityCheck(), std::string("ok"));
    }

    void contentHashSeesEnds()
    {
        const fs::path d = dir("hash");
        std::string big(3 << 20, 'z');
        writeAll(d / "a", big);
        writeAll(d / "b", big);
        QCOMPARE(contentHash(d / "a"), contentHash(d / "b"));
        QCOMPARE(contentHash(d / "a").size(), std::size_t(16));
        big.back() = 'y';
        writeAll(d / "b", big);
        QVERIFY(contentHash(d / "a") != contentHash(d / "b"));
        writeAll(d / "c", "x");
        writeAll(d / "e", "x ");
        QVERIFY(contentHash(d / "c") != contentHash(d / "e"));
    }

    void batchIsAtomic()
    {
        const fs::path root = dir("photos");
        for (const char *n : {"1.jpg", "2.jpg", "3.jpg"})
            writeAll(root / n, n);
        auto lib = Library::open(dir("db") / "lib.modallens");
        lib->registerModel(kModel);
        auto plan = lib->planScan({root});
        lib->apply(plan);
        const auto files = lib->files();
        lib->commitEmbeddings(kModel.modelId, {imageVectors(files[0].id, 1)});
        auto bad = imageVectors(files[2].id, 3);
        bad.vectors[0].vector.resize(7); // the batch's last file fails
        QVERIFY_THROWS_EXCEPTION(ml::Error,
            lib->commitEmbeddings(kModel.modelId, {imageVectors(files[0].id, 10), imageVectors(files[1].id, 2), bad}));
        QCOMPARE(lib->vectorCount(kModel.modelId, files[1].id), std::int64_t(0));
        QCOMPARE(lib->vectorCount(kModel.modelId, files[2].id), std::int64_t(0));
        const auto kept = lib->vectors(kModel.modelId); // the earlier commit is untouched
        QCOMPARE(kept.size(), std::size_t(1));
        QCOMPARE(kept[0].vector[0], 1.0f);
        // An unknown file fails on its foreign key, rolled back the same way.
        QVERIFY_THROWS_EXCEPTION(
            ml::Error, lib->commitEmbeddings(kModel.modelId, {imageVectors(files[1].id, 2), imageVectors(999, 2)}));
        QCOMPARE(lib->vectorCount(kModel.modelId, files[1].id), std::int64_t(0));
    }

    void diskFullKeepsWhatWasCommitted()
    {
        // The test hook caps the database at N pages: commits of 512-d f32 vectors fill it.
        const fs::path root = dir("photos");
        for (int i = 0; i < 64; ++i)
            writeAll(root / (std::to_string(i) + ".jpg"), std::to_string(i));
        const fs::path db = dir("db") / "lib.modallens";
        ModelRecord m = kModel;
        m.dimension = 512;
        std::vector<std::int64_t> ids;
        {
            auto lib = Library::open(db);
            lib->registerModel(m);
            auto plan = lib->planScan({root});
            lib->apply(plan);
            for (const auto &f : lib->files())
                ids.push_back(f.id);
        }
        std::mt19937 rng(5);
        const auto batchOf = [&](std::size_t first) {
            std::vector<FileVectors> batch;
            for (std::size_t i = first; i < first + 4; ++i)
                batch.push_back({ids[i], {{-1, randomVector(rng, m.dimension)}}});
            return batch;
        };
        std::int64_t pagesBefore = 0;
        std::size_t committed = 0;
        std::string error;
        {
            auto probe = Library::open(db, Library::Mode::ReadOnly);
            pagesBefore = probe->pageCount();
        }
        qputenv("MODALLENS_TEST_LIBRARY_MAX_PAGES", QByteArray::number(static_cast<qint64>(pagesBefore + 12)));
        {
            auto lib = Library::open(db);
            qunsetenv("MODALLENS_TEST_LIBRARY_MAX_PAGES");
            try {
                for (; committed + 4 <= ids.size(); committed += 4)
                    lib->commitEmbeddings(m.modelId, batchOf(committed), VectorDtype::F32);
            } catch (const ml::Error &e) {
                error = e.what();
            }
            std::printf("disk full after %zu of %zu files: %s\n", committed, ids.size(), error.c_str());
            QVERIFY2(committed >= 4 && committed < ids.size(), qPrintable(QString::number(committed)));
            QVERIFY2(error.find(db.string()) == 0, error.c_str());
            QVERIFY2(error.find("disk is full") != std::string::npos, error.c_str());
            // The failed batch left nothing; the connection goes on working for reads.
            QCOMPARE(lib->vectorCount(m.modelId, ids[committed]), std::int64_t(0));
            QCOMPARE(lib->vectors(m.modelId).size(), committed);
        }
        // Re-opened without the cap: sound, the committed batches there, and the rest goes in.
        auto lib = Library::open(db);
        QCOMPARE(QString::fromStdString(lib->integrityCheck()), QStringLiteral("ok"));
        QCOMPARE(lib->vectors(m.modelId).size(), committed);
        for (std::size_t i = 0; i < committed; ++i)
            QCOMPARE(lib->vectorCount(m.modelId, ids[i]), std::int64_t(1));
        for (; committed + 4 <= ids.size(); committed += 4)
            lib->commitEmbeddings(m.modelId, batchOf(committed), VectorDtype::F32);
        QCOMPARE(lib->vectors(m.modelId).size(), ids.size());
    }

    void forEachVectorStreamsInOrder()
    {
        auto lib = Library::open(dir("db") / "lib.modallens");
        const fs::path root = dir("media");
        writeAll(root / "a.jpg", "a");
        writeAll(root / "b.mp4", "b");
        lib->registerModel(kModel);
        auto plan = lib->planScan({root});
        lib->apply(plan);
        const auto files = lib->files(); // by path: a.jpg, b.mp4
        lib->commitEmbeddings(kModel.modelId,
            {imageVectors(files[0].id, 1),
                {files[1].id,
                    {{2.5, imageVectors(0, 3).vectors[0].vector}, {0.5, imageVectors(0, 2).vectors[0].vector}}}});
        std::vector<std::pair<std::int64_t, double>> seen;
        std::vector<float> firsts;
        lib->forEachVector(kModel.modelId, [&](const StoredVector &v) {
            seen.emplace_back(v.fileId, v.timestampS);
            firsts.push_back(v.vector.at(0));
        });
        const std::vector<std::pair<std::int64_t, double>> want {
            {files[0].id, -1.0}, {files[1].id, 0.5}, {files[1].id, 2.5}};
        QCOMPARE(seen, want);
        QCOMPARE(firsts, (std::vector<float> {1.f, 2.f, 3.f}));
    }

    void vectorsRoundTrip()
    {
        auto lib = Library::open(dir("db") / "lib.modallens");
        const fs::path root = dir("photos");
        writeAll(root / "x.jpg", "x");
        auto plan = lib->planScan({root});
        lib->apply(plan);
        ModelRecord m = kModel;
        m.dimension = 10;
        lib->registerModel(m);
        const std::vector<float> v = {0.f, -0.f, 1.f, -2.5f, 65504.f, 1e-6f, 6.1e-5f, 0.1f, 3.14159f, -1e-3f};
        for (const auto dtype : {VectorDtype::F32, VectorDtype::F16}) {
            lib->commitEmbeddings(m.modelId, {{plan.toEmbed[0].fileId, {{-1, v}}}}, dtype);
            const auto back = lib->vectors(m.modelId).at(0).vector;
            for (std::size_t i = 0; i < v.size(); ++i) {
                const float tol = dtype == VectorDtype::F32 ? 0.f : std::max(std::abs(v[i]) * 1e-3f, 6e-8f);
                QVERIFY2(std::abs(back[i] - v[i]) <= tol, qPrintable(QString::number(i)));
            }
        }
    }

    void modelChangeIsReported()
    {
        const fs::path root = dir("photos");
        writeAll(root / "1.jpg", "1");
        auto lib = Library::open(dir("db") / "lib.modallens");
        QVERIFY(!lib->registerModel(kModel));
        auto plan = lib->planScan({root});
        lib->apply(plan);
        lib->commitEmbeddings(kModel.modelId, {imageVectors(plan.toEmbed[0].fileId, 1)});
        QVERIFY(!lib->needsReindex(kModel.modelId, kModel.configHash).needed);

        const auto other = lib->needsReindex("big-clip");
        QVERIFY(other.needed);
        QCOMPARE(other.otherModels, std::vector<std::string> {"tiny"});
        QVERIFY2(other.message.find("'tiny'") != std::string::npos, other.message.c_str());

        const auto changed = lib->needsReindex(kModel.modelId, "cfg-2");
        QVERIFY(changed.needed && changed.configChanged);
        ModelRecord m2 = kModel;
        m2.configHash = "cfg-2";
        QVERIFY(lib->registerModel(m2)); // the old configuration's vectors go
        QCOMPARE(lib->vectorCount(kModel.modelId, plan.toEmbed[0].fileId), std::int64_t(0));
        QCOMPARE(lib->models().at(0).configHash, std::string("cfg-2"));
    }

    void killedWriterLeavesSoundLibrary()
    {
        const fs::path root = dir("photos");
        const fs::path db = dir("db") / "lib.modallens";
        constexpr int kFiles = 8, kFrames = 40;
        for (int i = 0; i < kFiles; ++i)
            writeAll(root / ("clip" + std::to_string(i) + ".mp4"), "clip " + std::to_string(i));
        {
            auto lib = Library::open(db);
            ModelRecord m = kModel;
            m.dimension = 64;
            lib->registerModel(m);
            auto plan = lib->planScan({root});
            lib->apply(plan);
        }
        // Four writers in turn, each killed at another moment of its loop of transactions.
        std::mt19937 delays(3);
        for (int kill = 0; kill < 4; ++kill) {
            const pid_t child = fork();
            QVERIFY(child >= 0);
            if (child == 0) { // the indexer: rewrites every file's frames, forever, until killed
                try {
                    auto lib = Library::open(db);
                    const auto files = lib->files();
                    std::mt19937 rng(static_cast<unsigned>(kill));
                    for (int round = kill;; ++round) {
                        const auto &f = files[static_cast<std::size_t>(round % kFiles)];
                        FileVectors fv {f.id, {}};
                        for (int t = 0; t < kFrames; ++t)
                            fv.vectors.push_back({double(t), randomVector(rng, 64)});
                        lib->commitEmbeddings(kModel.modelId, {fv}, round % 2 ? VectorDtype::F16 : VectorDtype::F32);
                    }
                } catch (...) {
                    _exit(3);
                }
            }
            // The first writer runs until it has committed a few files; later ones a random while.
            for (int i = 0; kill == 0 && i < 500; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                auto lib = Library::open(db, Library::Mode::ReadOnly);
                std::int64_t n = 0;
                for (const auto &f : lib->files())
                    n += lib->vectorCount(kModel.modelId, f.id) > 0;
                if (n >= 3)
                    break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(delays() % 40));
            ::kill(child, SIGKILL);
            int status = 0;
            QCOMPARE(waitpid(child, &status, 0), child);
            QVERIFY2(WIFSIGNALED(status), "the writer stopped before it was killed");
        }

        auto lib = Library::open(db);
        QCOMPARE(lib->integrityCheck(), std::string("ok"));
        int complete = 0;
        for (const auto &f : lib->files()) {
            const auto n = lib->vectorCount(kModel.modelId, f.id);
            QVERIFY2(n == 0 || n == kFrames, qPrintable(QString("file %1 has %2 vectors").arg(f.id).arg(n)));
            complete += n == kFrames;
        }
        QVERIFY(complete >= 3);
        QCOMPARE(lib->planScan({root}, kModel.modelId).toEmbed.size(), std::size_t(kFiles - complete));
    }

    void healthCheckFlags()
    {
        std::mt19937 rng(7);
        std::vector<std::int64_t> ids;
        std::vector<std::vector<float>> vecs;
        for (int i = 0; i < 100; ++i) { // healthy: random directions
            ids.push_back(i + 1);
            vecs.push_back(randomVector(rng, 32));
        }
        const auto base = randomVector(rng, 32);
        for (int i = 0; i < 2; ++i) { // copies of file 1: a group of 3, under 5% of files, not flagged
            ids.push_back(200 + i);
            vecs.push_back(vecs[0]);
        }
        std::normal_distribution<float> tiny(0.f, 1e-3f);
        for (int i = 0; i < 10; ++i) { // a collapse: 10 files (~9%) on one direction
            ids.push_back(300 + i);
            auto v = base;
            for (auto &x : v)
                x = x * (1.f + 0.1f * i) + tiny(rng);
            vecs.push_back(v);
        }
        auto bad = randomVector(rng, 32);
        bad[3] = std::numeric_limits<float>::quiet_NaN();
        ids.push_back(401), vecs.push_back(bad);
        bad = randomVector(rng, 32);
        bad[5] = std::numeric_limits<float>::infinity();
        ids.push_back(402), vecs.push_back(bad);
        ids.push_back(403), vecs.push_back(std::vector<float>(32, 0.f));
        ids.push_back(404), vecs.push_back(std::vector<float>(32, 0.3f));

        std::map<std::int64_t, std::string> flagged;
        for (const auto &issue : checkEmbeddingHealth(ids, vecs))
            flagged[issue.fileId] = issue.reason;
        QCOMPARE(flagged[401], std::string("NaN"));
        QCOMPARE(flagged[402], std::string("infinite"));
        QCOMPARE(flagged[403], std::string("constant"));
        QCOMPARE(flagged[404], std::string("constant"));
        int collapsed = 0;
        for (int i = 0; i < 10; ++i)
            collapsed += flagged.count(300 + i) && flagged[300 + i].find("near-identical") == 0;
        QVERIFY2(collapsed >= 8, qPrintable(QString::number(collapsed)));
        QCOMPARE(flagged.size(), std::size_t(4 + collapsed)); // nothing healthy flagged
        QVERIFY(checkEmbeddingHealth(std::vector<std::int64_t>(ids.begin(), ids.begin() + 100),
            std::vector<std::vector<float>>(vecs.begin(), vecs.begin() + 100))
                    .empty());
    }
};

QTEST_GUILESS_MAIN(TestLibrary)
#include "test_library.moc"
