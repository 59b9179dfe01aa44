// The search cache: libraries' vectors kept in memory between searches, their approximate
// indexes built on a background thread and saved next to the library.
#include "index/search_cache.h"

#include "common/error.h"

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ml::index {

namespace {

// 64-bit mix of a stream of words (splitmix64's finaliser per word): order-sensitive, fast.
class Fingerprint {
public:
    void add(std::uint64_t w)
    {
        std::uint64_t z = (m_h ^ w) + 0x9e3779b97f4a7c15ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        m_h = z ^ (z >> 31);
    }
    void add(const float *v, std::size_t n)
    {
        std::size_t i = 0;
        for (; i + 2 <= n; i += 2) {
            std::uint64_t w;
            std::memcpy(&w, v + i, 8);
            add(w);
        }
        if (i < n) {
            std::uint32_t w;
            std::memcpy(&w, v + i, 4);
            add(static_cast<std::uint64_t>(w));
        }
    }
    std::uint64_t value() const { return m_h; }

private:
    std::uint64_t m_h = 0x6d6c6c62ull;
};

std::string hex64(std::uint64_t v)
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

bool statId(const std::string &path, std::uint64_t &dev, std::uint64_t &ino)
{
    struct stat st { };
    if (::stat(path.c_str(), &st) != 0)
        return false;
    dev = static_cast<std::uint64_t>(st.st_dev);
    ino = static_cast<std::uint64_t>(st.st_ino);
    return true;
}

bool underFolder(const std::string &path, const std::string &folder)
{
    std::string f = folder;
    while (f.size() > 1 && f.back() == '/')
        f.pop_back();
    if (path.size() < f.size() || path.compare(0, f.size(), f) != 0)
        return false;
    return path.size() == f.size() || f == "/" || path[f.size()] == '/';
}

} // namespace

std::vector<std::uint8_t> allowedFiles(const CachedLibrary &lib, const SearchFilter &filter)
{
    std::vector<std::uint8_t> out(lib.files.size(), 1);
    if (filter.empty())
        return out;
    for (std::size_t i = 0; i < lib.files.size(); ++i) {
        const auto &f = lib.files[i];
        bool ok = f.kind == MediaKind::Video ? filter.videos : filter.images;
        if (ok && !filter.folders.empty())
            ok = std::any_of(filter.folders.begin(), filter.folders.end(),
                [&](const std::string &folder) { return underFolder(f.path, folder); });
        // Whole seconds, rounded down (a file written at 12:00:00.7 is "at 12:00:00").
        const std::int64_t s = f.mtimeNs >= 0 ? f.mtimeNs / 1000000000 : -((-f.mtimeNs + 999999999) / 1000000000);
        if (ok && filter.fromS != 0)
            ok = s >= filter.fromS;
        if (ok && filter.toS != 0)
            ok = s <= filter.toS;
        out[i] = ok ? 1 : 0;
    }
    return out;
}

// ---- CachedLibrary ----

CachedLibrary::~CachedLibrary()
{
    m_cancel = true;
    if (m_builder.joinable())
        m_builder.join();
}

std::string CachedLibrary::approxError() const
{
    std::lock_guard lock(m_mutex);
    return m_error;
}

bool CachedLibrary::waitForApprox(std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(m_mutex);
    return m_done.wait_for(lock, timeout, [this] { return m_state.load() != ApproxState::Building; });
}

std::string CachedLibrary::sidecarPath() const
{
    std::string model;
    for (const char c : modelId)
        model += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
    return library + "." + model + ".faiss";
}

void CachedLibrary::startApprox(std::atomic<std::int64_t> *builds)
{
    if (!vectors || !vectors->wantsApprox() || m_state != ApproxState::None || m_builder.joinable())
        return; // not needed, or built (or failed) once already for these vectors
    m_state = ApproxState::Building;
    m_builder = std::thread([this, builds] { runApprox(builds); });
}

void CachedLibrary::runApprox(std::atomic<std::int64_t> *builds)
{
    ApproxState end = ApproxState::Failed;
    std::string error;
    try {
        c10::InferenceMode guard;
        if (loadSidecar()) {
            end = ApproxState::Ready;
        } else {
            const auto info = vectors->buildApprox([this] { return m_cancel.load(); });
            ++*builds;
            saveSidecar(info);
            end = ApproxState::Ready;
        }
    } catch (const Cancelled &) {
        error = "cancelled";
    } catch (const std::exception &e) {
        error = e.what();
    }
    {
        std::lock_guard lock(m_mutex);
        m_error = error;
        m_state = end;
    }
    m_done.notify_all();
}

bool CachedLibrary::loadSidecar()
{
    const auto index = sidecarPath();
    std::error_code ec;
    if (!fs::exists(index, ec) || !fs::exists(index + ".json", ec))
        return false;
    try {
        std::ifstream in(index + ".json");
        const auto j = nlohmann::json::parse(in);
        if (j.at("fingerprint").get<std::string>() != hex64(fingerprint) || j.at("model").get<std::string>() != modelId
            || j.at("config_hash").get<std::string>() != configHash
            || j.at("vectors").get<std::int64_t>() != vectors->size() || j.at("dim").get<std::int64_t>() != dim)
            return false; // another generation of the library: rebuilt, then overwritten
        ApproxInfo info;
        info.kind = j.at("kind").get<std::string>();
        info.nlist = j.at("nlist").get<std::int64_t>();
        info.nprobe = j.at("nprobe").get<std::int64_t>();
        info.recallAt10 = j.at("recall_at_10").get<double>();
        info.buildSeconds = j.at("build_s").get<double>();
        info.trainVectors = j.at("train_vectors").get<std::int64_t>();
        vectors->loadApprox(index, info);
        return true;
    } catch (const std::exception &) {
        return false; // unreadable, corrupt or not matching: never trusted, rebuilt
    }
}

void CachedLibrary::saveSidecar(const ApproxInfo &info) const
{
    const auto index = sidecarPath();
    try {
        vectors->saveApprox(index);
        const nlohmann::json j {{"fingerprint", hex64(fingerprint)}, {"model", modelId}, {"config_hash", configHash},
            {"vectors", info.vectors}, {"dim", dim}, {"kind", info.kind}, {"nlist", info.nlist},
            {"nprobe", info.nprobe}, {"recall_at_10", info.recallAt10}, {"build_s", info.buildSeconds},
            {"train_vectors", info.trainVectors}};
        const std::string tmp = index + ".json.tmp" + std::to_string(::getpid());
        {
            std::ofstream out(tmp);
            out << j.dump(1) << "\n";
            if (!out)
                throw Error(tmp + ": cannot write");
        }
        fs::rename(tmp, index + ".json");
    } catch (const std::exception &) {
        // A read-only folder or a full disk: the index stays in memory, rebuilt by the next process.
        std::error_code ec;
        fs::remove(index + ".json.tmp" + std::to_string(::getpid()), ec);
    }
}

// ---- SearchCache ----

SearchCache::~SearchCache()
{
    clear();
}

void SearchCache::setOptions(const VectorSearchOptions &options)
{
    std::lock_guard lock(m_mutex);
    m_options = options;
}

VectorSearchOptions SearchCache::options() const
{
    std::lock_guard lock(m_mutex);
    return m_options;
}

void SearchCache::clear()
{
    std::map<Key, std::shared_ptr<CachedLibrary>> entries;
    {
        std::lock_guard lock(m_mutex);
        entries.swap(m_entries);
    }
    for (auto &[key, e] : entries)
        e->m_cancel = true;
    entries.clear(); // joins, outside the lock
}

bool SearchCache::waitForBuilds(std::chrono::milliseconds timeout) const
{
    std::vector<std::shared_ptr<CachedLibrary>> entries;
    {
        std::lock_guard lock(m_mutex);
        for (const auto &[key, e] : m_entries)
            entries.push_back(e);
    }
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (const auto &e : entries) {
        const auto left
            = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (!e->waitForApprox(std::max(left, std::chrono::milliseconds(0))))
            return false;
    }
    return true;
}

std::shared_ptr<const CachedLibrary> SearchCache::acquire(
    const std::string &library, const LibraryModelKey &key, JobContext *ctx, bool wantApprox)
{
    std::error_code ec;
    const auto canonical = fs::canonical(library, ec);
    if (ec)
        throw Error(library + ": no such library (create it with `modallens-cli index`)");
    const Key k {canonical.string(), key.modelId, key.configHash};
    std::shared_ptr<CachedLibrary> stale;
    std::lock_guard lock(m_mutex);
    if (const auto it = m_entries.find(k); it != m_entries.end()) {
        auto &e = it->second;
        std::uint64_t dev = 0, ino = 0;
        // The same file (not one written over it) and no commit by any connection since the load.
        if (statId(std::get<0>(k), dev, ino) && dev == e->m_dev && ino == e->m_ino
            && e->m_watch->dataVersion() == e->m_dataVersion) {
            if (wantApprox)
                e->startApprox(&m_builds);
            return e;
        }
        stale = std::move(e);
        stale->m_cancel = true;
        m_entries.erase(it);
    }

    std::shared_ptr<CachedLibrary> e(new CachedLibrary);
    e->library = std::get<0>(k);
    e->modelId = key.modelId;
    e->configHash = key.configHash;
    e->m_watch = Library::open(e->library, Library::Mode::ReadOnly);
    if (!statId(e->library, e->m_dev, e->m_ino))
        throw Error(e->library + ": cannot be read");
    // Read before the data: a commit while loading makes the next search load again.
    e->m_dataVersion = e->m_watch->dataVersion();
    if (ctx)
        ctx->report(0, 0, "loading vectors");
    ++m_loads;
    const auto &lib = *e->m_watch;
    e->report = lib.needsReindex(key.modelId, key.configHash);
    e->files = lib.files();
    std::unordered_map<std::int64_t, std::int32_t> byId;
    for (std::size_t i = 0; i < e->files.size(); ++i)
        byId[e->files[i].id] = static_cast<std::int32_t>(i);
    e->fileRows.resize(e->files.size());
    // Row by row (by file, then time) into one flat buffer: no per-row copies held at once.
    std::vector<float> flat;
    Fingerprint fp;
    lib.forEachVector(key.modelId, [&](const StoredVector &v) {
        if (e->rowFile.empty())
            e->dim = static_cast<std::int64_t>(v.vector.size());
        if (static_cast<std::int64_t>(v.vector.size()) != e->dim || e->dim == 0)
            throw Error(e->library + ": vectors of " + std::to_string(e->dim) + " and "
                + std::to_string(v.vector.size()) + " dimensions for model '" + key.modelId
                + "'; re-index the library");
        const auto it = byId.find(v.fileId);
        if (it == byId.end())
            throw Error(e->library + ": a vector of model '" + key.modelId + "' belongs to no file");
        const auto r = static_cast<std::int64_t>(e->rowFile.size());
        if (ctx && r % 16384 == 0) {
            ctx->throwIfCancelled();
            ctx->report(r, 0, "loading vectors");
        }
        flat.insert(flat.end(), v.vector.begin(), v.vector.end());
        fp.add(static_cast<std::uint64_t>(v.fileId));
        std::uint64_t t;
        std::memcpy(&t, &v.timestampS, 8);
        fp.add(t);
        fp.add(v.vector.data(), v.vector.size());
        e->rowFile.push_back(it->second);
        e->rowTime.push_back(v.timestampS);
        e->fileRows[static_cast<std::size_t>(it->second)].push_back(r);
    });
    if (!e->rowFile.empty()) {
        const auto n = static_cast<std::int64_t>(e->rowFile.size());
        std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
        std::iota(ids.begin(), ids.end(), std::int64_t {0});
        e->fingerprint = fp.value();
        e->vectors = std::make_unique<VectorSearch>(e->dim, m_options);
        e->vectors->add(torch::from_blob(flat.data(), {n, e->dim}, torch::kFloat), ids);
        std::vector<float>().swap(flat);
        if (wantApprox)
            e->startApprox(&m_builds);
    }
    m_entries[k] = e;
    return e;
}

} // namespace ml::index
