// The media library on SQLite: opening with every refusal checked before the first write, the
// migrations, the incremental scan plan, atomic embedding batches and the health check.
#include "index/library.h"

#include "common/error.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

namespace ml::index {

namespace fs = std::filesystem;

namespace {

const char *kSchemaV1 = R"sql(
CREATE TABLE folders (
    root TEXT PRIMARY KEY
);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
    error TEXT,
    folder_root TEXT NOT NULL REFERENCES folders(root) ON DELETE CASCADE
);
CREATE INDEX files_by_hash ON files(content_hash);
CREATE INDEX files_by_root ON files(folder_root);
CREATE TABLE frames (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    timestamp_s REAL NOT NULL,
    UNIQUE (file_id, timestamp_s)
);
CREATE TABLE models (
    model_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    dimension INTEGER NOT NULL
);
CREATE TABLE embeddings (
    id INTEGER PRIMARY KEY,
    model_id TEXT NOT NULL REFERENCES models(model_id) ON DELETE CASCADE,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    frame_id INTEGER REFERENCES frames(id) ON DELETE CASCADE,
    dimension INTEGER NOT NULL,
    dtype TEXT NOT NULL CHECK (dtype IN ('f32', 'f16')),
    vector BLOB NOT NULL
);
CREATE INDEX embeddings_by_model_file ON embeddings(model_id, file_id);
)sql";

// What a scan picks up, by extension (lower case, with the dot).
const std::set<std::string> kImageExtensions = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"};
const std::set<std::string> kVideoExtensions = {".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v"};

std::string mediaExtensionList()
{
    std::string out;
    for (const auto *list : {&kImageExtensions, &kVideoExtensions})
        for (const auto &ext : *list) {
            if (!out.empty())
                out += ' ';
            out += ext;
        }
    return out;
}

const char *kindName(MediaKind k)
{
    return k == MediaKind::Video ? "video" : "image";
}

std::int64_t mtimeNsOf(const struct stat &st)
{
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// IEEE binary16 <-> binary32, round to nearest even; subnormals, inf and NaN kept.
std::uint16_t toHalf(float f)
{
    std::uint32_t x;
    std::memcpy(&x, &f, 4);
    const std::uint32_t sign = (x >> 16) & 0x8000;
    const std::uint32_t absx = x & 0x7fffffff;
    if (absx >= 0x7f800000) // inf or NaN
        return static_cast<std::uint16_t>(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
    if (absx >= 0x477ff000) // rounds to beyond 65504
        return static_cast<std::uint16_t>(sign | 0x7c00);
    if (absx < 0x38800000) { // subnormal half (or zero)
        if (absx < 0x33000000)
            return static_cast<std::uint16_t>(sign);
        const std::uint32_t mant = (absx & 0x7fffff) | 0x800000;
        const int shift = 126 - static_cast<int>(absx >> 23); // to units of 2^-24
        std::uint32_t h = mant >> shift;
        const std::uint32_t rem = mant & ((1u << shift) - 1);
        const std::uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            ++h;
        return static_cast<std::uint16_t>(sign | h);
    }
    std::uint32_t h = ((absx - 0x38000000) >> 13);
    const std::uint32_t rem = absx & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        ++h;
    return static_cast<std::uint16_t>(sign | h);
}

float fromHalf(std::uint16_t h)
{
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1f;
    std::uint32_t mant = h & 0x3ff;
    std::uint32_t x;
    if (exp == 0x1f) {
        x = sign | 0x7f800000 | (mant << 13);
    } else if (exp != 0) {
        x = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        x = sign;
    } else { // subnormal: normalise
        int e = 113;
        while (!(mant & 0x400)) {
            mant <<= 1;
            --e;
        }
        x = sign | (static_cast<std::uint32_t>(e) << 23) | ((mant & 0x3ff) << 13);
    }
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

// The error of a failed SQLite call on `file`; a full disk (or the test hook's page cap) says so
// plainly, since the transaction it was part of is rolled back and everything before is kept.
Error sqliteError(sqlite3 *db, const fs::path &file, const std::string &what, const std::string &msg)
{
    if ((sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL)
        return Error(file.string() + ": the disk is full (" + what + " failed: " + msg
            + "); the write was rolled back, everything committed before is kept. Free some space and run again");
    return Error(file.string() + ": " + what + " failed: " + msg);
}

// A prepared statement that finalises itself; errors name the library file.
class Stmt {
public:
    Stmt(sqlite3 *db, const fs::path &file, const std::string &sql) : m_db(db), m_file(file)
    {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &m_stmt, nullptr) != SQLITE_OK)
            fail("prepare");
    }
    ~Stmt() { sqlite3_finalize(m_stmt); }
    Stmt(const Stmt &) = delete;
    Stmt &operator=(const Stmt &) = delete;

    Stmt &bind(int i, std::int64_t v)
    {
        sqlite3_bind_int64(m_stmt, i, v);
        return *this;
    }
    Stmt &bind(int i, double v)
    {
        sqlite3_bind_double(m_stmt, i, v);
        return *this;
    }
    Stmt &bind(int i, const std::string &v)
    {
        sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt &bindNull(int i)
    {
        sqlite3_bind_null(m_stmt, i);
        return *this;
    }
    Stmt &bindBlob(int i, const void *data, std::size_t n)
    {
        sqlite3_bind_blob(m_stmt, i, data, static_cast<int>(n), SQLITE_TRANSIENT);
        return *this;
    }
    bool step()
    {
        const int rc = sqlite3_step(m_stmt);
        if (rc == SQLITE_ROW)
            return true;
        if (rc != SQLITE_DONE)
            fail("step");
        return false;
    }
    void run()
    {
        step();
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    std::int64_t i64(int c) const { return sqlite3_column_int64(m_stmt, c); }
    double f64(int c) const { return sqlite3_column_double(m_stmt, c); }
    std::string text(int c) const
    {
        const auto *p = sqlite3_column_text(m_stmt, c);
        return p ? std::string(reinterpret_cast<const char *>(p), sqlite3_column_bytes(m_stmt, c)) : std::string();
    }
    bool isNull(int c) const { return sqlite3_column_type(m_stmt, c) == SQLITE_NULL; }
    const void *blob(int c) const { return sqlite3_column_blob(m_stmt, c); }
    int bytes(int c) const { return sqlite3_column_bytes(m_stmt, c); }

private:
    [[noreturn]] void fail(const char *what)
    {
        throw sqliteError(m_db, m_file, std::string("SQLite ") + what, sqlite3_errmsg(m_db));
    }
    sqlite3 *m_db;
    const fs::path &m_file;
    sqlite3_stmt *m_stmt = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when left by an exception.
class Transaction {
public:
    Transaction(sqlite3 *db, const fs::path &file) : m_db(db), m_file(file) { exec("BEGIN IMMEDIATE"); }
    ~Transaction()
    {
        if (!m_done)
            sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit()
    {
        exec("COMMIT");
        m_done = true;
    }

private:
    void exec(const char *sql)
    {
        char *err = nullptr;
        if (sqlite3_exec(m_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            const std::string msg = err ? err : sqlite3_errmsg(m_db);
            sqlite3_free(err);
            throw sqliteError(m_db, m_file, sql, msg);
        }
    }
    sqlite3 *m_db;
    const fs::path &m_file;
    bool m_done = false;
};

bool noWriteBits(const fs::path &p)
{
    struct stat st { };
    return ::stat(p.c_str(), &st) == 0 && (st.st_mode & 0222) == 0;
}

// Not writable for us, or marked read-only by its owner (honoured even when we run as root).
bool readOnlyPath(const fs::path &p)
{
    return ::access(p.c_str(), W_OK) != 0 || noWriteBits(p);
}

// SQLite makes a library's -wal and -shm with the library file's mode: a read of a file marked
// read-only (0444) leaves read-only companions behind, and every later write would fail with
// "attempt to write a readonly database" once the file is writable again. Ours are made writable
// again; ones we cannot change are named.
void makeCompanionsWritable(const fs::path &path)
{
    for (const char *suffix : {"-wal", "-shm"}) {
        const fs::path companion = path.string() + suffix;
        std::error_code ec;
        if (!fs::exists(companion, ec) || !readOnlyPath(companion))
            continue;
        fs::permissions(companion, fs::perms::owner_write, fs::perm_options::add, ec);
        if (ec || readOnlyPath(companion))
            throw Error(companion.string() + ": is read-only (left by a read-only run of a read-only library?), so "
                + path.string()
                + " cannot be written; make it writable, or delete it while no ModalLens uses the library");
    }
}

std::string hex32(std::int32_t v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<std::uint32_t>(v));
    return buf;
}

} // namespace

bool changedSinceScan(const ScannedFile &f)
{
    struct stat st { };
    return ::stat(f.path.c_str(), &st) != 0 || static_cast<std::int64_t>(st.st_size) != f.size
        || mtimeNsOf(st) != f.mtimeNs;
}

const std::vector<Migration> &libraryMigrations()
{
    static const std::vector<Migration> migrations = {{1, kSchemaV1}};
    return migrations;
}

bool isMediaPath(const fs::path &path, MediaKind *kind)
{
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool image = kImageExtensions.count(ext) > 0, video = kVideoExtensions.count(ext) > 0;
    if (kind && (image || video))
        *kind = video ? MediaKind::Video : MediaKind::Image;
    return image || video;
}

std::string contentHash(const fs::path &path)
{
    constexpr std::uint64_t kOffset = 14695981039346656037ull, kPrime = 1099511628211ull;
    constexpr std::size_t kChunk = 1 << 20;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path.string() + ": cannot open for hashing");
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::uint64_t>(in.tellg());
    std::uint64_t h = kOffset;
    auto mix = [&](const unsigned char *p, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            h ^= p[i];
            h *= kPrime;
        }
    };
    unsigned char sizeBytes[8];
    for (int i = 0; i < 8; ++i)
        sizeBytes[i] = static_cast<unsigned char>(size >> (8 * i));
    mix(sizeBytes, 8);
    std::vector<char> buf(kChunk);
    auto readAt = [&](std::uint64_t offset, std::size_t n) {
        in.seekg(static_cast<std::streamoff>(offset));
        in.read(buf.data(), static_cast<std::streamsize>(n));
        if (static_cast<std::size_t>(in.gcount()) != n)
            throw Error(path.string() + ": short read while hashing");
        mix(reinterpret_cast<const unsigned char *>(buf.data()), n);
    };
    if (size <= 2 * kChunk) {
        for (std::uint64_t off = 0; off < size; off += kChunk)
            readAt(off, static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - off)));
    } else {
        readAt(0, kChunk);
        readAt(size - kChunk, kChunk);
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
}

std::vector<HealthIssue> checkEmbeddingHealth(
    const std::vector<std::int64_t> &fileIds, const std::vector<std::vector<float>> &vectors)
{
    if (fileIds.size() != vectors.size())
        throw Error("embedding health check: " + std::to_string(fileIds.size()) + " file ids for "
            + std::to_string(vectors.size()) + " vectors");
    std::vector<HealthIssue> issues;
    std::vector<std::size_t> valid;
    std::vector<std::vector<float>> unit(vectors.size());
    for (std::size_t i = 0; i < vectors.size(); ++i) {
        const auto &v = vectors[i];
        bool nan = false, inf = false;
        double norm = 0;
        float lo = v.empty() ? 0.f : v[0], hi = lo;
        for (float x : v) {
            nan = nan || std::isnan(x);
            inf = inf || std::isinf(x);
            lo = std::min(lo, x);
            hi = std::max(hi, x);
            norm += static_cast<double>(x) * x;
        }
        if (nan)
            issues.push_back({fileIds[i], "NaN"});
        else if (inf)
            issues.push_back({fileIds[i], "infinite"});
        else if (v.empty() || hi - lo <= 1e-7f * std::max(1.f, std::max(std::abs(lo), std::abs(hi))))
            issues.push_back({fileIds[i], "constant"});
        else {
            const float inv = static_cast<float>(1.0 / std::sqrt(norm));
            unit[i].resize(v.size());
            for (std::size_t d = 0; d < v.size(); ++d)
                unit[i][d] = v[d] * inv;
            valid.push_back(i);
        }
    }
    // Near-identical groups: vectors are bucketed by the signs of 8 fixed pseudo-random
    // projections (vectors 2.6 degrees apart share a bucket ~90% of the time), then clustered
    // greedily within a bucket around leaders. A collapse puts most files in one bucket; a group
    // split over buckets may be under-counted, never invented.
    constexpr double kCosine = 0.999;
    constexpr int kPlanes = 8;
    std::set<std::int64_t> distinct(fileIds.begin(), fileIds.end());
    const double minGroup = std::max(3.0, 0.05 * static_cast<double>(distinct.size()));
    std::map<int, std::vector<std::size_t>> buckets;
    for (std::size_t i : valid) {
        int code = 0;
        for (int p = 0; p < kPlanes; ++p) {
            std::uint64_t s = 0x9e3779b97f4a7c15ull * static_cast<std::uint64_t>(p + 1);
            double dot = 0;
            for (float x : unit[i]) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17; // xorshift64: the plane's next component
                dot += x * (static_cast<double>(s >> 11) / 9007199254740992.0 - 0.5);
            }
            code |= (dot >= 0) << p;
        }
        buckets[code].push_back(i);
    }
    for (auto &[code, members] : buckets) {
        std::vector<std::vector<std::size_t>> groups; // groups[g][0] is the leader
        for (std::size_t i : members) {
            bool placed = false;
            for (auto &g : groups) {
                const auto &a = unit[g[0]], &b = unit[i];
                if (a.size() != b.size())
                    continue;
                double dot = 0;
                for (std::size_t d = 0; d < a.size(); ++d)
                    dot += static_cast<double>(a[d]) * b[d];
                if (dot > kCosine) {
                    g.push_back(i);
                    placed = true;
                    break;
                }
            }
            if (!placed)
                groups.push_back({i});
        }
        for (const auto &g : groups) {
            std::set<std::int64_t> files;
            for (std::size_t i : g)
                files.insert(fileIds[i]);
            if (static_cast<double>(files.size()) < minGroup)
                continue;
            for (std::int64_t id : files)
                issues.push_back(
                    {id, "near-identical to " + std::to_string(files.size() - 1) + " other files (cosine > 0.999)"});
        }
    }
    return issues;
}

// --- Library ------------------------------------------------------------------------------

std::unique_ptr<Library> Library::open(const fs::path &path, Mode mode)
{
    return open(path, mode, libraryMigrations());
}

std::unique_ptr<Library> Library::open(const fs::path &path, Mode mode, const std::vector<Migration> &migrations)
{
    const std::string name = path.string();
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    std::unique_ptr<Library> lib(new Library);
    lib->m_path = path;
    if (mode == Mode::ReadOnly)
        lib->m_readOnlyReason = "opened read-only";
    else if (exists && readOnlyPath(path))
        lib->m_readOnlyReason = "the file is read-only";
    else if (readOnlyPath(folder))
        lib->m_readOnlyReason = "its folder " + folder.string() + " is read-only";
    if (!exists && lib->isReadOnly())
        throw Error(name + ": cannot create a library: " + lib->m_readOnlyReason);
    if (exists && fs::is_directory(path, ec))
        throw Error(name + ": is a folder, not a library file");
    if (!lib->isReadOnly())
        makeCompanionsWritable(path);

    // A read-only open never writes: mode=ro, and immutable=1 where even the -shm cannot be made.
    auto openDb = [&](bool immutable) {
        sqlite3 *db = nullptr;
        int flags = SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
        std::string uri = "file:";
        for (char c : fs::absolute(path).string()) {
            if (c == '?' || c == '#' || c == '%') {
                char esc[4];
                std::snprintf(esc, sizeof esc, "%%%02X", static_cast<unsigned char>(c));
                uri += esc;
            } else {
                uri += c;
            }
        }
        if (lib->isReadOnly()) {
            flags |= SQLITE_OPEN_READONLY;
            uri += immutable ? "?mode=ro&immutable=1" : "?mode=ro";
        } else {
            flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        }
        if (sqlite3_open_v2(uri.c_str(), &db, flags, nullptr) != SQLITE_OK) {
            const std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
            sqlite3_close(db);
            throw Error(name + ": cannot open: " + msg);
        }
        return db;
    };
    auto readInt = [&](const char *pragma) {
        Stmt s(lib->m_db, lib->m_path, pragma);
        return s.step() ? s.i64(0) : 0;
    };
    auto notOurs = [&](const std::string &why) { return Error(name + ": not a ModalLens library (" + why + ")"); };

    lib->m_db = openDb(false);
    sqlite3_busy_timeout(lib->m_db, 5000);
    std::int64_t appId = 0, version = 0;
    std::vector<std::string> tables;
    try {
        // One read transaction: the id, the version and the tables of one moment, not the tables of
        // a schema another process committed between two reads (a "foreign" library of our tables).
        auto probe = [&] { // when it throws, the connection is closed, its transaction with it
            lib->exec("BEGIN");
            appId = readInt("PRAGMA application_id");
            version = readInt("PRAGMA user_version");
            tables.clear();
            {
                Stmt s(lib->m_db, lib->m_path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
                while (s.step())
                    tables.push_back(s.text(0));
            }
            lib->exec("COMMIT");
        };
        try {
            probe();
        } catch (const Error &) {
            if (!lib->isReadOnly() || sqlite3_errcode(lib->m_db) == SQLITE_NOTADB)
                throw;
            sqlite3_close(lib->m_db); // WAL in a read-only folder: no -shm can be made
            lib->m_db = openDb(true);
            probe();
        }
    } catch (const Error &) {
        const int code = sqlite3_errcode(lib->m_db);
        if (code == SQLITE_NOTADB)
            throw notOurs("not an SQLite database");
        throw;
    }

    const int latest = migrations.empty() ? 0 : migrations.back().version;
    if (static_cast<std::int32_t>(appId) != kLibraryApplicationId) {
        if (appId != 0)
            throw notOurs("its application_id is " + hex32(static_cast<std::int32_t>(appId)) + ", ours is "
                + hex32(kLibraryApplicationId));
        if (!tables.empty()) {
            std::string list;
            for (const auto &t : tables)
                list += (list.empty() ? "" : ", ") + t;
            throw notOurs("an SQLite database with other tables: " + list);
        }
    }
    if (version > latest)
        throw Error(name + ": the library has schema version " + std::to_string(version) + ", newer than version "
            + std::to_string(latest) + " that this ModalLens knows; use a newer ModalLens or another library file");

    if (!lib->isReadOnly()) {
        // Turning WAL on takes an exclusive lock without the busy handler: a second process
        // opening the same new library at that moment would fail at once, so it tries again.
        for (int attempt = 0;; ++attempt) {
            try {
                lib->exec("PRAGMA journal_mode = WAL");
                break;
            } catch (const Error &) {
                if (attempt >= 100 || (sqlite3_errcode(lib->m_db) & 0xff) != SQLITE_BUSY)
                    throw;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        lib->exec("PRAGMA synchronous = NORMAL"); // WAL: a crash of the app never loses a commit
        // Test hook (library.h): a "disk" of N pages.
        if (const char *cap = std::getenv("MODALLENS_TEST_LIBRARY_MAX_PAGES"); cap && *cap)
            lib->exec("PRAGMA max_page_count = " + std::to_string(std::max(1LL, std::atoll(cap))));
    }
    lib->exec("PRAGMA foreign_keys = ON");
    if (version < latest) {
        if (lib->isReadOnly())
            throw Error(name + ": the library has schema version " + std::to_string(version) + ", this ModalLens needs "
                + std::to_string(latest) + " and cannot upgrade it: " + lib->m_readOnlyReason);
        // Each step is its own transaction, so a failed step leaves the previous version intact.
        for (const auto &m : migrations) {
            if (m.version <= version)
                continue;
            Transaction tx(lib->m_db, lib->m_path);
            // Another process may have taken this step while we waited for the write lock (two
            // index runs on a new library): what counts is the version inside the transaction.
            if (readInt("PRAGMA user_version") >= m.version)
                continue;
            char *err = nullptr;
            if (sqlite3_exec(lib->m_db, m.sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
                const std::string msg = err ? err : "unknown error";
                sqlite3_free(err);
                throw Error(name + ": migration to schema version " + std::to_string(m.version) + " failed: " + msg);
            }
            lib->exec("PRAGMA application_id = " + std::to_string(kLibraryApplicationId));
            lib->exec("PRAGMA user_version = " + std::to_string(m.version));
            tx.commit();
        }
    }
    return lib;
}

Library::~Library()
{
    sqlite3_close(m_db);
}

void Library::exec(const std::string &sql) const
{
    char *err = nullptr;
    if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string msg = err ? err : sqlite3_errmsg(m_db);
        sqlite3_free(err);
        if ((sqlite3_extended_errcode(m_db) & 0xff) == SQLITE_FULL)
            throw sqliteError(m_db, m_path, sql, msg);
        throw Error(m_path.string() + ": " + msg);
    }
}

void Library::requireWritable(const char *what) const
{
    if (isReadOnly())
        throw Error(m_path.string() + ": cannot " + what + ": the library is read-only (" + m_readOnlyReason + ")");
}

int Library::schemaVersion() const
{
    Stmt s(m_db, m_path, "PRAGMA user_version");
    return s.step() ? static_cast<int>(s.i64(0)) : 0;
}

std::string Library::integrityCheck() const
{
    Stmt s(m_db, m_path, "PRAGMA integrity_check");
    std::string out;
    while (s.step()) { // appended, not "\n" + text: GCC 12 warns falsely about that (gcc#105329)
        if (!out.empty())
            out += '\n';
        out += s.text(0);
    }
    return out;
}

void Library::addFolder(const fs::path &root)
{
    requireWritable("add a folder");
    Stmt(m_db, m_path, "INSERT OR IGNORE INTO folders(root) VALUES (?)")
        .bind(1, fs::weakly_canonical(root).string())
        .run();
}

void Library::removeFolder(const fs::path &root)
{
    requireWritable("remove a folder");
    Stmt(m_db, m_path, "DELETE FROM folders WHERE root = ?").bind(1, fs::weakly_canonical(root).string()).run();
}

std::vector<std::string> Library::folders() const
{
    std::vector<std::string> out;
    Stmt s(m_db, m_path, "SELECT root FROM folders ORDER BY root");
    while (s.step())
        out.push_back(s.text(0));
    return out;
}

namespace {
const char *kFileColumns = "SELECT id, path, size, mtime_ns, content_hash, kind, error, folder_root FROM files";

FileRecord readFile(const Stmt &s)
{
    return {s.i64(0), s.text(1), s.i64(2), s.i64(3), s.text(4),
        s.text(5) == "video" ? MediaKind::Video : MediaKind::Image, s.text(6), s.text(7)};
}
} // namespace

std::vector<FileRecord> Library::files() const
{
    std::vector<FileRecord> out;
    Stmt s(m_db, m_path, std::string(kFileColumns) + " ORDER BY path");
    while (s.step())
        out.push_back(readFile(s));
    return out;
}

FileRecord Library::file(std::int64_t id) const
{
    Stmt s(m_db, m_path, std::string(kFileColumns) + " WHERE id = ?");
    s.bind(1, id);
    if (!s.step())
        throw Error(m_path.string() + ": no file with id " + std::to_string(id));
    return readFile(s);
}

void Library::setFileError(std::int64_t fileId, const std::string &error)
{
    requireWritable("record a file error");
    Stmt(m_db, m_path, "UPDATE files SET error = ? WHERE id = ?").bind(1, error).bind(2, fileId).run();
}

bool Library::registerModel(const ModelRecord &model)
{
    requireWritable("register a model");
    if (model.modelId.empty() || model.dimension <= 0)
        throw Error(m_path.string() + ": model '" + model.modelId + "' needs an id and a positive dimension");
    Transaction tx(m_db, m_path);
    bool changed = false;
    {
        Stmt s(m_db, m_path, "SELECT config_hash, dimension FROM models WHERE model_id = ?");
        s.bind(1, model.modelId);
        if (s.step())
            changed = s.text(0) != model.configHash || s.i64(1) != model.dimension;
    }
    if (changed)
        Stmt(m_db, m_path, "DELETE FROM embeddings WHERE model_id = ?").bind(1, model.modelId).run();
    Stmt(m_db, m_path,
        "INSERT INTO models(model_id, name, path, config_hash, dimension) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(model_id) DO UPDATE SET name = excluded.name, path = excluded.path, "
        "config_hash = excluded.config_hash, dimension = excluded.dimension")
        .bind(1, model.modelId)
        .bind(2, model.name)
        .bind(3, model.path)
        .bind(4, model.configHash)
        .bind(5, static_cast<std::int64_t>(model.dimension))
        .run();
    tx.commit();
    return changed;
}

std::vector<ModelRecord> Library::models() const
{
    std::vector<ModelRecord> out;
    Stmt s(m_db, m_path, "SELECT model_id, name, path, config_hash, dimension FROM models ORDER BY model_id");
    while (s.step())
        out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.i64(4))});
    return out;
}

ReindexReport Library::needsReindex(const std::string &modelId, const std::string &configHash) const
{
    ReindexReport r;
    {
        Stmt s(m_db, m_path, "SELECT DISTINCT model_id FROM embeddings WHERE model_id <> ? ORDER BY model_id");
        s.bind(1, modelId);
        while (s.step())
            r.otherModels.push_back(s.text(0));
    }
    {
        Stmt s(m_db, m_path, "SELECT config_hash FROM models WHERE model_id = ?");
        s.bind(1, modelId);
        r.configChanged = !configHash.empty() && s.step() && s.text(0) != configHash;
    }
    {
        Stmt s(m_db, m_path,
            "SELECT count(*) FROM files f WHERE f.error IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.file_id = f.id AND e.model_id = ?)");
        s.bind(1, modelId);
        s.step();
        r.filesWithoutVectors = s.i64(0);
    }
    r.needed = !r.otherModels.empty() || r.configChanged || r.filesWithoutVectors > 0;
    if (r.configChanged)
        r.message = "model '" + modelId + "' changed since its vectors were made; re-index the library";
    else if (!r.otherModels.empty()) {
        r.message = "the library's vectors were made by ";
        for (std::size_t i = 0; i < r.otherModels.size(); ++i)
            r.message += (i ? ", '" : "'") + r.otherModels[i] + "'";
        r.message += ", not '" + modelId + "'; re-index with '" + modelId + "' or search with that model";
    } else if (r.filesWithoutVectors > 0)
        r.message = std::to_string(r.filesWithoutVectors) + " files have no vectors from '" + modelId
            + "' yet; index the library";
    return r;
}

ScanPlan Library::planScan(const std::vector<fs::path> &roots, const std::string &modelId) const
{
    ScanPlan plan;
    std::vector<ScannedFile> fresh; // on disk, not in the library
    std::vector<FileRecord> known;  // in the library under these roots
    std::set<std::int64_t> seenKnown;
    std::set<std::string> seen;
    for (const auto &rootArg : roots) {
        // A root is a folder, or a single file whose root is the file itself (not its parent): the
        // folders table lists what the user asked to index, so whatever re-scans or watches those
        // roots looks at that one file and never takes in its siblings. A file root holds at most
        // its own file, found by the exact path below; when that file is gone it is removed like a
        // file deleted from a folder (apply() then drops the root too).
        const std::string root = fs::weakly_canonical(rootArg).string();
        bool knowsRoot = false; // the library has a file at exactly this path
        {
            // Every file under the root, whichever root it was indexed with: a parent of indexed
            // folders, or a sub-folder of one, sees the files those runs stored. '0' follows '/'.
            const std::string prefix = root.back() == '/' ? root : root + "/";
            const std::string end = prefix.substr(0, prefix.size() - 1) + "0";
            Stmt s(m_db, m_path, std::string(kFileColumns) + " WHERE path = ? OR (path >= ? AND path < ?)");
            s.bind(1, root).bind(2, prefix).bind(3, end);
            while (s.step()) {
                auto k = readFile(s);
                knowsRoot = knowsRoot || k.path == root;
                if (seenKnown.insert(k.id).second)
                    known.push_back(std::move(k));
            }
        }
        std::error_code ec;
        const auto status = fs::status(root, ec);
        std::vector<std::string> paths;
        if (fs::is_directory(status)) {
            for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
                 !ec && it != end; it.increment(ec)) {
                if (it->is_regular_file(ec) && isMediaPath(it->path()))
                    paths.push_back(it->path().string());
            }
            if (ec)
                throw Error(rootArg.string() + ": cannot list the folder: " + ec.message());
        } else if (fs::is_regular_file(status)) {
            if (!isMediaPath(root))
                throw Error(rootArg.string()
                    + ": not an image or video file (a library takes folders and files ending in "
                    + mediaExtensionList() + ")");
            paths.push_back(root);
        } else if (fs::exists(status)) {
            throw Error(rootArg.string() + ": neither a file nor a folder");
        } else if (!knowsRoot) { // a known file that is gone is removed below; anything else is a typo
            throw Error(rootArg.string() + ": no such file or folder");
        }
        std::sort(paths.begin(), paths.end());
        for (const auto &p : paths) {
            struct stat st { };
            if (::stat(p.c_str(), &st) != 0 || !seen.insert(p).second)
                continue;
            ScannedFile f;
            f.path = p;
            f.folderRoot = root;
            f.size = st.st_size;
            f.mtimeNs = mtimeNsOf(st);
            isMediaPath(p, &f.kind);
            fresh.push_back(std::move(f));
        }
    }

    std::unordered_map<std::string, const FileRecord *> byPath;
    for (const auto &k : known)
        byPath[k.path] = &k;
    std::set<std::int64_t> withVectors;
    if (!modelId.empty()) {
        Stmt s(m_db, m_path, "SELECT DISTINCT file_id FROM embeddings WHERE model_id = ?");
        s.bind(1, modelId);
        while (s.step())
            withVectors.insert(s.i64(0));
    }
    auto hasVectors
        = [&](const FileRecord &k) { return modelId.empty() || !k.error.empty() || withVectors.count(k.id) > 0; };

    std::vector<ScannedFile> added;
    for (auto &f : fresh) {
        const auto it = byPath.find(f.path);
        if (it == byPath.end()) {
            f.contentHash = contentHash(f.path);
            added.push_back(std::move(f));
            continue;
        }
        const FileRecord &k = *it->second;
        byPath.erase(it);
        f.fileId = k.id;
        if (f.size == k.size && f.mtimeNs == k.mtimeNs) {
            f.contentHash = k.contentHash;
            if (hasVectors(k))
                plan.unchanged.push_back(k.id);
            else
                plan.toEmbed.push_back(std::move(f));
            continue;
        }
        f.contentHash = contentHash(f.path);
        if (f.contentHash == k.contentHash && hasVectors(k))
            plan.touched.push_back(std::move(f));
        else
            plan.toEmbed.push_back(std::move(f));
    }
    // What is left in byPath vanished; a new file with its hash is the same content moved.
    std::unordered_map<std::string, std::vector<const FileRecord *>> goneByHash;
    for (const auto &k : known)
        if (byPath.count(k.path))
            goneByHash[k.contentHash].push_back(&k);
    std::set<std::int64_t> movedIds;
    for (auto &f : added) {
        auto it = goneByHash.find(f.contentHash);
        if (it != goneByHash.end() && !it->second.empty()) {
            const FileRecord *k = it->second.back();
            it->second.pop_back();
            f.fileId = k->id;
            movedIds.insert(k->id);
            plan.moved.push_back({k->id, k->path, f});
            if (!hasVectors(*k))
                plan.toEmbed.push_back(f);
        } else {
            plan.toEmbed.push_back(std::move(f));
        }
    }
    for (const auto &k : known)
        if (byPath.count(k.path) && !movedIds.count(k.id))
            plan.removed.push_back(k);
    return plan;
}

void Library::apply(ScanPlan &plan)
{
    requireWritable("update the library");
    Transaction tx(m_db, m_path);
    Stmt addFolderStmt(m_db, m_path, "INSERT OR IGNORE INTO folders(root) VALUES (?)");
    Stmt remove(m_db, m_path, "DELETE FROM files WHERE id = ?");
    Stmt removeFileRoot(m_db, m_path, "DELETE FROM folders WHERE root = ?"); // a file root goes with its file
    for (const auto &r : plan.removed) {
        remove.bind(1, r.id).run();
        removeFileRoot.bind(1, r.path).run();
    }
    Stmt move(m_db, m_path, "UPDATE files SET path = ?, size = ?, mtime_ns = ?, folder_root = ? WHERE id = ?");
    for (const auto &m : plan.moved) {
        addFolderStmt.bind(1, m.to.folderRoot).run();
        move.bind(1, m.to.path)
            .bind(2, m.to.size)
            .bind(3, m.to.mtimeNs)
            .bind(4, m.to.folderRoot)
            .bind(5, m.fileId)
            .run();
    }
    Stmt touch(m_db, m_path, "UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?");
    for (const auto &t : plan.touched)
        touch.bind(1, t.size).bind(2, t.mtimeNs).bind(3, t.fileId).run();
    // Changed content: the old frames and vectors describe other pixels.
    Stmt change(m_db, m_path, "UPDATE files SET size = ?, mtime_ns = ?, content_hash = ?, error = NULL WHERE id = ?");
    Stmt dropFrames(m_db, m_path, "DELETE FROM frames WHERE file_id = ?");
    Stmt dropVectors(m_db, m_path, "DELETE FROM embeddings WHERE file_id = ?");
    // A path another index run added since our scan is updated, not added twice.
    Stmt insert(m_db, m_path,
        "INSERT INTO files(path, size, mtime_ns, content_hash, kind, folder_root) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
        "content_hash = excluded.content_hash, kind = excluded.kind, folder_root = excluded.folder_root "
        "RETURNING id");
    for (auto &f : plan.toEmbed) {
        if (f.fileId != 0) {
            const FileRecord old = file(f.fileId);
            if (old.contentHash != f.contentHash) {
                dropVectors.bind(1, f.fileId).run();
                dropFrames.bind(1, f.fileId).run();
            }
            change.bind(1, f.size).bind(2, f.mtimeNs).bind(3, f.contentHash).bind(4, f.fileId).run();
            continue;
        }
        addFolderStmt.bind(1, f.folderRoot).run();
        insert.bind(1, f.path)
            .bind(2, f.size)
            .bind(3, f.mtimeNs)
            .bind(4, f.contentHash)
            .bind(5, std::string(kindName(f.kind)))
            .bind(6, f.folderRoot);
        if (!insert.step())
            throw Error(m_path.string() + ": adding " + f.path + " returned no id");
        f.fileId = insert.i64(0);
        insert.run(); // to its end (RETURNING gives one row), then reset
    }
    tx.commit();
}

void Library::commitEmbeddings(const std::string &modelId, const std::vector<FileVectors> &batch, VectorDtype dtype)
{
    requireWritable("store embeddings");
    Transaction tx(m_db, m_path);
    std::int64_t dimension = 0;
    {
        Stmt s(m_db, m_path, "SELECT dimension FROM models WHERE model_id = ?");
        s.bind(1, modelId);
        if (!s.step())
            throw Error(m_path.string() + ": model '" + modelId + "' is not registered");
        dimension = s.i64(0);
    }
    Stmt drop(m_db, m_path, "DELETE FROM embeddings WHERE model_id = ? AND file_id = ?");
    Stmt frame(m_db, m_path,
        "INSERT INTO frames(file_id, timestamp_s) VALUES (?, ?) "
        "ON CONFLICT(file_id, timestamp_s) DO UPDATE SET timestamp_s = excluded.timestamp_s RETURNING id");
    Stmt insert(m_db, m_path,
        "INSERT INTO embeddings(model_id, file_id, frame_id, dimension, dtype, vector) VALUES (?, ?, ?, ?, ?, ?)");
    const std::string dtypeName = dtype == VectorDtype::F16 ? "f16" : "f32";
    std::vector<std::uint16_t> half;
    for (const auto &fv : batch) {
        drop.bind(1, modelId).bind(2, fv.fileId).run();
        for (const auto &v : fv.vectors) {
            if (static_cast<std::int64_t>(v.vector.size()) != dimension)
                throw Error(m_path.string() + ": file " + std::to_string(fv.fileId) + ": a vector of "
                    + std::to_string(v.vector.size()) + " values for model '" + modelId + "' of dimension "
                    + std::to_string(dimension) + "; the batch is not stored");
            if (v.timestampS >= 0) {
                frame.bind(1, fv.fileId).bind(2, v.timestampS);
                frame.step();
                insert.bind(3, frame.i64(0));
                frame.run();
            } else {
                insert.bindNull(3);
            }
            insert.bind(1, modelId).bind(2, fv.fileId).bind(4, dimension).bind(5, dtypeName);
            if (dtype == VectorDtype::F16) {
                half.resize(v.vector.size());
                std::transform(v.vector.begin(), v.vector.end(), half.begin(), toHalf);
                insert.bindBlob(6, half.data(), half.size() * 2);
            } else {
                insert.bindBlob(6, v.vector.data(), v.vector.size() * 4);
            }
            insert.run();
        }
    }
    tx.commit();
}

std::vector<StoredVector> Library::vectors(const std::string &modelId) const
{
    std::vector<StoredVector> out;
    forEachVector(modelId, [&out](const StoredVector &v) { out.push_back(v); });
    return out;
}

void Library::forEachVector(const std::string &modelId, const std::function<void(const StoredVector &)> &visit) const
{
    Stmt s(m_db, m_path,
        "SELECT e.file_id, fr.timestamp_s, e.dtype, e.dimension, e.vector FROM embeddings e "
        "LEFT JOIN frames fr ON fr.id = e.frame_id WHERE e.model_id = ? ORDER BY e.file_id, fr.timestamp_s");
    s.bind(1, modelId);
    StoredVector v;
    std::vector<std::uint16_t> half;
    while (s.step()) {
        v.fileId = s.i64(0);
        v.timestampS = s.isNull(1) ? -1 : s.f64(1);
        const auto dim = static_cast<std::size_t>(s.i64(3));
        const bool f16 = s.text(2) == "f16";
        if (static_cast<std::size_t>(s.bytes(4)) != dim * (f16 ? 2 : 4))
            throw Error(m_path.string() + ": a vector of file " + std::to_string(v.fileId) + " has "
                + std::to_string(s.bytes(4)) + " bytes, not " + std::to_string(dim) + " values");
        v.vector.resize(dim);
        if (f16) {
            half.resize(dim);
            std::memcpy(half.data(), s.blob(4), dim * 2);
            std::transform(half.begin(), half.end(), v.vector.begin(), fromHalf);
        } else if (dim) {
            std::memcpy(v.vector.data(), s.blob(4), dim * 4);
        }
        visit(v);
    }
}

std::int64_t Library::vectorCount(const std::string &modelId, std::int64_t fileId) const
{
    Stmt s(m_db, m_path, "SELECT count(*) FROM embeddings WHERE model_id = ? AND file_id = ?");
    s.bind(1, modelId).bind(2, fileId);
    s.step();
    return s.i64(0);
}

std::int64_t Library::pageCount() const
{
    Stmt s(m_db, m_path, "PRAGMA page_count");
    return s.step() ? s.i64(0) : 0;
}

std::int64_t Library::dataVersion() const
{
    Stmt s(m_db, m_path, "PRAGMA data_version");
    s.step();
    return s.i64(0);
}

} // namespace ml::index
