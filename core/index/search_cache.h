// The engine's cache of libraries' vectors behind search and the near-duplicate view: a
// library's vectors of one model are read from SQLite once and kept until the library changes
// (a connection of the cache's own watches PRAGMA data_version). From VectorSearchOptions::
// approxThreshold vectors on, a FAISS index is built on a thread of the entry's own (searches
// stay exact meanwhile) and saved next to the library, where the next process finds it.
#pragma once

#include "engine/index_service.h"
#include "index/library.h"
#include "index/vector_search.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace ml::index {

// One library's vectors of one model as loaded. Everything but the approximate index (which the
// VectorSearch swaps in when ready) is immutable once the entry is published.
class CachedLibrary {
public:
    enum class ApproxState { None, Building, Ready, Failed };

    ~CachedLibrary(); // cancels a build in progress and joins its thread
    CachedLibrary(const CachedLibrary &) = delete;
    CachedLibrary &operator=(const CachedLibrary &) = delete;

    std::string library; // canonical path
    std::string modelId, configHash;
    std::int64_t dim = 0; // 0 when there are no vectors
    ReindexReport report;
    std::vector<FileRecord> files;                   // every file of the library, by path
    std::vector<std::int32_t> rowFile;               // per vector row: its file's index in files
    std::vector<double> rowTime;                     // per row: the frame's time; -1 for an image
    std::vector<std::vector<std::int64_t>> fileRows; // per file: its rows, by time
    std::uint64_t fingerprint = 0;                   // of every row's file, time and values
    std::unique_ptr<VectorSearch> vectors;           // ids are the rows; null without vectors

    ApproxState approxState() const { return m_state.load(); }
    std::string approxError() const;
    // Waits for the background build (or the sidecar's load) to end; true when it did in time.
    bool waitForApprox(std::chrono::milliseconds timeout) const;

    // Where the approximate index of this library and model is saved: "<library>.<model>.faiss"
    // and its description "<...>.faiss.json" (fingerprint, vectors, dimension, nlist, nprobe, recall).
    std::string sidecarPath() const;

private:
    friend class SearchCache;
    CachedLibrary() = default;
    void startApprox(std::atomic<std::int64_t> *builds);
    void runApprox(std::atomic<std::int64_t> *builds);
    bool loadSidecar();
    void saveSidecar(const ApproxInfo &info) const;

    std::unique_ptr<Library> m_watch; // read-only; only its data_version is asked
    std::int64_t m_dataVersion = 0;
    std::uint64_t m_dev = 0, m_ino = 0;
    std::atomic<ApproxState> m_state {ApproxState::None};
    std::atomic<bool> m_cancel {false};
    std::thread m_builder;
    mutable std::mutex m_mutex; // m_error, with m_done
    mutable std::condition_variable m_done;
    std::string m_error;
};

// One per engine (EngineState::owned<SearchCache>(), so it goes with the engine and joins its
// builds then). Kept apart from the model budget: its entries are derived from a library file,
// dropped when the library changes, and small beside models (4 bytes x dimension per vector).
class SearchCache {
public:
    SearchCache() = default;
    ~SearchCache(); // clear()
    SearchCache(const SearchCache &) = delete;
    SearchCache &operator=(const SearchCache &) = delete;

    // modelId's vectors of `library`, read once and reused while the library is unchanged. The
    // entry's report says whether the library needs re-indexing for key.configHash. wantApprox:
    // start the background build of the approximate index when the vectors are many enough and
    // none is there yet (search does; the near-duplicate job, which never uses it, does not).
    std::shared_ptr<const CachedLibrary> acquire(
        const std::string &library, const LibraryModelKey &key, JobContext *ctx = nullptr, bool wantApprox = true);

    // Options of entries loaded from now on (tests lower approxThreshold).
    void setOptions(const VectorSearchOptions &options);
    VectorSearchOptions options() const;

    std::int64_t loads() const { return m_loads.load(); }   // times vectors were read from a library
    std::int64_t builds() const { return m_builds.load(); } // approximate indexes built (not loaded)
    // Waits for every entry's background work; true when all ended in time.
    bool waitForBuilds(std::chrono::milliseconds timeout) const;
    // Drops every entry, cancelling their builds and joining their threads.
    void clear();

private:
    using Key = std::tuple<std::string, std::string, std::string>; // library, model id, config hash
    mutable std::mutex m_mutex;
    std::map<Key, std::shared_ptr<CachedLibrary>> m_entries;
    VectorSearchOptions m_options;
    std::atomic<std::int64_t> m_loads {0};
    std::atomic<std::int64_t> m_builds {0};
};

// Which of lib.files pass the filter (1) or not (0).
std::vector<std::uint8_t> allowedFiles(const CachedLibrary &lib, const SearchFilter &filter);

} // namespace ml::index
