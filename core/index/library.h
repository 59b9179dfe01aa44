// The media library: one SQLite database (WAL, versioned schema) of files, video frames, models
// and embeddings, the incremental scan plan that keeps it in step with the user's folders, and an
// embedding health check. std types only: ui/ and the CLI include this without SQLite or LibTorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct sqlite3;

namespace ml::index {

// "MLLB": PRAGMA application_id of every ModalLens library.
inline constexpr std::int32_t kLibraryApplicationId = 0x4d4c4c42;

enum class MediaKind { Image, Video };
enum class VectorDtype { F32, F16 };

// One schema step: `sql` takes a database at version - 1 to `version`, inside a transaction.
struct Migration {
    int version = 0;
    std::string sql;
};
const std::vector<Migration> &libraryMigrations(); // ordered; the last one is the current schema

struct FileRecord {
    std::int64_t id = 0;
    std::string path; // absolute
    std::int64_t size = 0;
    std::int64_t mtimeNs = 0;
    std::string contentHash; // contentHash() below
    MediaKind kind = MediaKind::Image;
    std::string error; // empty unless decoding failed; such files are not re-embedded until they change
    std::string folderRoot;
};

struct ModelRecord {
    std::string modelId; // stable key, e.g. "clip-mini"
    std::string name;
    std::string path;
    std::string configHash; // changes when the weights or preprocessing change
    int dimension = 0;
};

// One vector of a file: the whole image (timestampS < 0) or a video frame at timestampS.
struct FrameVector {
    double timestampS = -1;
    std::vector<float> vector;
};
struct FileVectors {
    std::int64_t fileId = 0;
    std::vector<FrameVector> vectors;
};
struct StoredVector {
    std::int64_t fileId = 0;
    double timestampS = -1;
    std::vector<float> vector; // fp16 blobs come back widened
};

// A media file found on disk while scanning.
struct ScannedFile {
    std::int64_t fileId = 0; // the library's id: set for known files, and by apply() for new ones
    std::string path;
    std::string folderRoot;
    std::int64_t size = 0;
    std::int64_t mtimeNs = 0;
    std::string contentHash; // empty where the plan did not need it
    MediaKind kind = MediaKind::Image;
};
// Whether the file's size or modification time is no longer the scan's (or it is gone): written to
// since it was scanned.
bool changedSinceScan(const ScannedFile &f);
struct MovedFile {
    std::int64_t fileId = 0;
    std::string fromPath;
    ScannedFile to;
};
// What to do to bring the library in line with the folders. Nothing is written until apply().
struct ScanPlan {
    std::vector<ScannedFile> toEmbed; // new, changed content, or no vectors yet for the model
    std::vector<ScannedFile> touched; // size/mtime changed, same content hash: metadata only
    std::vector<MovedFile> moved;     // a vanished file's content at a new path: vectors kept
    std::vector<FileRecord> removed;  // gone from disk: deleted with its frames and vectors
    std::vector<std::int64_t> unchanged;
};

struct ReindexReport {
    bool needed = false;
    std::vector<std::string> otherModels; // models whose vectors are in the library
    bool configChanged = false;           // this model id was registered with another config
    std::int64_t filesWithoutVectors = 0; // files (without errors) lacking this model's vectors
    std::string message;                  // one sentence for the user; empty when not needed
};

struct HealthIssue {
    std::int64_t fileId = 0;
    std::string reason; // "NaN", "infinite", "constant", "near-identical to N other files"
};

// The media extensions a scan picks up (lower case, with the dot).
bool isMediaPath(const std::filesystem::path &path, MediaKind *kind = nullptr);

// FNV-1a 64 over the size (8 bytes little-endian), the first MiB and the last MiB (the whole file
// when it is at most 2 MiB), as 16 hex digits. Cheap on big videos; a same-size edit in the middle
// of a file over 2 MiB goes unseen, which is why it only confirms a size/mtime change.
std::string contentHash(const std::filesystem::path &path);

// Per-file vectors that cannot be right: NaN, infinite, constant, or a group of nearly identical
// vectors (cosine > 0.999) over more than 5% of the files and at least 3 of them, the signature of
// a broken preprocessing or a collapsed model. Several vectors of one file: pass their mean.
std::vector<HealthIssue> checkEmbeddingHealth(
    const std::vector<std::int64_t> &fileIds, const std::vector<std::vector<float>> &vectors);

class Library {
public:
    enum class Mode { ReadWrite, ReadOnly };

    // Opens or creates `path`. Throws ml::Error naming the file, writing nothing, when it is not a
    // ModalLens library or has a newer schema. A read-only file or folder opens read-only; writes
    // then throw with that reason. `migrations` is for tests; the default is libraryMigrations().
    // A full disk makes a write throw "PATH: the disk is full ..." and roll its transaction back.
    // Test hook: the environment variable MODALLENS_TEST_LIBRARY_MAX_PAGES=N caps a read-write
    // connection at N pages (PRAGMA max_page_count), so tests fill the "disk" deterministically.
    static std::unique_ptr<Library> open(const std::filesystem::path &path, Mode mode = Mode::ReadWrite);
    static std::unique_ptr<Library> open(
        const std::filesystem::path &path, Mode mode, const std::vector<Migration> &migrations);
    ~Library();
    Library(const Library &) = delete;
    Library &operator=(const Library &) = delete;

    const std::filesystem::path &path() const { return m_path; }
    bool isReadOnly() const { return !m_readOnlyReason.empty(); }
    const std::string &readOnlyReason() const { return m_readOnlyReason; }
    int schemaVersion() const;
    std::string integrityCheck() const; // "ok" when sound

    void addFolder(const std::filesystem::path &root);    // stored canonical; a folder or a single file
    void removeFolder(const std::filesystem::path &root); // its files, frames and vectors go too
    std::vector<std::string> folders() const;

    std::vector<FileRecord> files() const;
    FileRecord file(std::int64_t id) const;
    void setFileError(std::int64_t fileId, const std::string &error);

    // Inserts or updates the model; a changed dimension or config hash drops its old vectors
    // (returns true then), so vectors of two configurations are never mixed.
    bool registerModel(const ModelRecord &model);
    std::vector<ModelRecord> models() const;
    ReindexReport needsReindex(const std::string &modelId, const std::string &configHash = {}) const;

    // Scans `roots` and compares with the library. `modelId` non-empty: unchanged files without
    // that model's vectors (an indexer killed before committing them) are put in toEmbed too.
    // A root is a folder or a single media file (a root of its own, like a folder of one file: a
    // known one that is gone is removed). Anything else throws ml::Error naming it as given.
    ScanPlan planScan(const std::vector<std::filesystem::path> &roots, const std::string &modelId = {}) const;
    // One transaction; sets fileId of every toEmbed entry.
    void apply(ScanPlan &plan);

    // Replaces the model's vectors of each file in the batch, all in one transaction: a failure
    // (a wrong dimension, a full disk, a kill) leaves none of the batch's vectors.
    void commitEmbeddings(
        const std::string &modelId, const std::vector<FileVectors> &batch, VectorDtype dtype = VectorDtype::F16);
    std::vector<StoredVector> vectors(const std::string &modelId) const;
    // The same rows one at a time (ordered by file, then time): for passes over big libraries.
    void forEachVector(const std::string &modelId, const std::function<void(const StoredVector &)> &visit) const;
    std::int64_t vectorCount(const std::string &modelId, std::int64_t fileId) const;
    std::int64_t pageCount() const; // PRAGMA page_count: the database's size in pages

    // PRAGMA data_version: changes when another connection (this process or another) commits to
    // the database. Cheap; the search cache keeps a connection of its own open to watch with it.
    std::int64_t dataVersion() const;

private:
    Library() = default;
    void requireWritable(const char *what) const;
    void exec(const std::string &sql) const;

    std::filesystem::path m_path;
    std::string m_readOnlyReason;
    sqlite3 *m_db = nullptr;
};

} // namespace ml::index
