// The engine's model cache: shared loads, LRU eviction by bytes within the budget, refusal of
// models whose config says they cannot fit, and the default budget read from the machine.
#include "engine/model_cache.h"

#include "common/error.h"

#include <torch/cuda.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#ifdef MODALLENS_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace ml {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kMiB = 1024 * 1024;
constexpr std::int64_t kGiB = 1024 * kMiB;
// No model on a desktop takes a terabyte: a config asking for more is absurd whatever the budget.
constexpr std::int64_t kAbsurd = 1024 * kGiB;

void appendIdentity(std::string &out, const fs::path &folder, int depth)
{
    std::error_code ec;
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
        entries.push_back(*it);
    std::sort(entries.begin(), entries.end(),
        [](const fs::directory_entry &a, const fs::directory_entry &b) { return a.path() < b.path(); });
    for (const auto &e : entries) {
        std::error_code fe;
        if (e.is_directory(fe)) {
            if (depth > 0)
                appendIdentity(out, e.path(), depth - 1);
            continue;
        }
        const auto size = e.file_size(fe);
        if (fe)
            continue;
        const auto mtime = e.last_write_time(fe).time_since_epoch().count();
        out += e.path().filename().string() + ':' + std::to_string(size) + ':' + std::to_string(mtime) + ';';
    }
}

// Why a model of `estimate` bytes cannot be loaded within `budget`; nothing when it can.
std::optional<std::string> refusal(std::int64_t estimate, const std::string &configFile, std::int64_t budget)
{
    if (estimate >= kAbsurd || estimate < 0)
        return configFile + ": the sizes in this config are absurd (the model would need about "
            + formatMemory(std::max<std::int64_t>(estimate, kAbsurd)) + " or more); is it a real model's config?";
    if (estimate > budget)
        return configFile + ": the model needs about " + formatMemory(estimate) + ", more than the "
            + formatMemory(budget)
            + " of memory for models (raise it in Settings, with --model-memory or MODALLENS_MODEL_MEMORY)";
    return std::nullopt;
}

} // namespace

std::string ModelKey::str() const
{
    return kind + '\x1f' + folder + '\x1f' + identity + '\x1f' + dtype + '\x1f' + device;
}

ModelKey makeModelKey(
    const std::string &kind, const std::string &folder, const std::string &dtype, const std::string &device)
{
    ModelKey key {kind, folder, {}, dtype, device};
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(folder, ec);
    if (!ec)
        key.folder = canonical.string();
    if (fs::is_directory(key.folder, ec))
        appendIdentity(key.identity, key.folder, 1);
    else if (fs::is_regular_file(key.folder, ec))
        key.identity = std::to_string(fs::file_size(key.folder, ec)) + ':'
            + std::to_string(fs::last_write_time(key.folder, ec).time_since_epoch().count());
    return key;
}

ModelCache::ModelCache(std::int64_t budgetBytes) : m_budget(budgetBytes > 0 ? budgetBytes : defaultModelMemory())
{ }

void ModelCache::setBudget(std::int64_t bytes)
{
    std::vector<std::shared_ptr<void>> dropped;
    std::optional<std::string> note;
    {
        std::lock_guard lock(m_mutex);
        m_budget = bytes > 0 ? bytes : defaultModelMemory();
        note = evictLocked(0, dropped);
    }
    dropped.clear(); // frees outside the lock
    notify(note);
}

std::int64_t ModelCache::budget() const
{
    std::lock_guard lock(m_mutex);
    return m_budget;
}

void ModelCache::checkEstimate(std::int64_t estimate, const std::string &configFile) const
{
    if (const auto why = refusal(estimate, configFile, budget()))
        throw Error(*why);
}

std::optional<std::string> ModelCache::evictLocked(std::int64_t extra, std::vector<std::shared_ptr<void>> &dropped)
{
    for (auto it = m_entries.end(); m_bytes + m_reserved + extra > m_budget && it != m_entries.begin();) {
        --it;
        // Only the cache's own reference left: no job, session or caller holds it.
        if (it->value.use_count() == 1) {
            m_bytes -= it->bytes;
            dropped.push_back(std::move(it->value));
            it = m_entries.erase(it);
        }
    }
    const bool over = m_bytes + extra > m_budget;
    std::optional<std::string> note;
    if (over && !m_overBudget)
        note = "models in use take " + formatMemory(m_bytes + extra) + ", more than the " + formatMemory(m_budget)
            + " of memory for models; nothing can be unloaded until a job ends";
    m_overBudget = over;
    return note;
}

void ModelCache::notify(const std::optional<std::string> &note)
{
    std::function<void(const std::string &)> logger;
    std::function<void()> onChange;
    {
        std::lock_guard lock(m_mutex);
        logger = m_logger;
        onChange = m_onChange;
    }
    if (note) {
        if (logger)
            logger(*note);
        else
            std::fprintf(stderr, "modallens: %s\n", note->c_str());
    }
    if (onChange)
        onChange();
}

std::shared_ptr<void> ModelCache::acquireErased(
    const ModelKey &key, std::int64_t estimate, const std::string &configFile, const Loader &load)
{
    const std::string k = key.str();
    std::promise<std::shared_ptr<void>> promise;
    std::vector<std::shared_ptr<void>> dropped;
    std::optional<std::string> note;
    {
        std::unique_lock lock(m_mutex);
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it)
            if (it->key.str() == k) {
                m_entries.splice(m_entries.begin(), m_entries, it);
                ++m_hits;
                return it->value;
            }
        if (const auto it = m_loading.find(k); it != m_loading.end()) {
            auto pending = it->second;
            ++m_hits;
            lock.unlock();
            return pending.get(); // rethrows the loader's error
        }
        if (const auto why = refusal(estimate, configFile, m_budget)) {
            ++m_refusals;
            throw Error(*why);
        }
        note = evictLocked(estimate, dropped);
        m_reserved += estimate;
        m_loading.emplace(k, promise.get_future().share());
    }
    dropped.clear();
    if (note)
        notify(note);

    Loaded loaded;
    try {
        loaded = load();
        if (!loaded.value)
            throw Error(key.folder + ": the loader returned nothing");
    } catch (...) {
        promise.set_exception(std::current_exception());
        {
            std::lock_guard lock(m_mutex);
            m_loading.erase(k);
            m_reserved -= estimate;
        }
        throw;
    }
    promise.set_value(loaded.value);
    {
        std::lock_guard lock(m_mutex);
        m_loading.erase(k);
        m_reserved -= estimate;
        ++m_loads;
        // Older generations of this model (its files changed since): unused ones go now.
        for (auto it = m_entries.begin(); it != m_entries.end();) {
            const auto &o = it->key;
            if (o.kind == key.kind && o.folder == key.folder && o.dtype == key.dtype && o.device == key.device
                && it->value.use_count() == 1) {
                m_bytes -= it->bytes;
                dropped.push_back(std::move(it->value));
                it = m_entries.erase(it);
            } else {
                ++it;
            }
        }
        m_entries.push_front({key, loaded.value, loaded.bytes});
        m_bytes += loaded.bytes;
        note = evictLocked(0, dropped);
    }
    dropped.clear();
    notify(note);
    return loaded.value;
}

void ModelCache::clear()
{
    std::vector<std::shared_ptr<void>> dropped;
    {
        std::lock_guard lock(m_mutex);
        for (auto it = m_entries.begin(); it != m_entries.end();) {
            if (it->value.use_count() == 1) {
                m_bytes -= it->bytes;
                dropped.push_back(std::move(it->value));
                it = m_entries.erase(it);
            } else {
                ++it;
            }
        }
        m_overBudget = m_bytes > m_budget;
    }
    dropped.clear();
    notify(std::nullopt);
}

ModelCacheStatus ModelCache::status() const
{
    std::lock_guard lock(m_mutex);
    ModelCacheStatus s;
    s.bytes = m_bytes;
    s.budget = m_budget;
    s.overBudget = m_overBudget;
    s.loads = m_loads;
    s.hits = m_hits;
    s.refusals = m_refusals;
    for (const auto &e : m_entries) {
        CachedModelInfo info {e.key.kind, fs::path(e.key.folder).filename().string(), e.key.folder, e.key.dtype,
            e.key.device, e.bytes, e.value.use_count() > 1};
        if (info.name.empty())
            info.name = e.key.folder;
        s.models.push_back(std::move(info));
    }
    return s;
}

void ModelCache::setLogger(std::function<void(const std::string &)> logger)
{
    std::lock_guard lock(m_mutex);
    m_logger = std::move(logger);
}

void ModelCache::setOnChange(std::function<void()> onChange)
{
    std::lock_guard lock(m_mutex);
    m_onChange = std::move(onChange);
}

// --- budget ---------------------------------------------------------------------------------

std::int64_t availableMemory(bool cuda)
{
#ifdef MODALLENS_HAVE_CUDA
    // The CUDA runtime's own call: the same with LibTorch 1.13 and 2.x.
    if (cuda) {
        std::size_t freeBytes = 0, totalBytes = 0;
        return cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess ? static_cast<std::int64_t>(freeBytes) : 0;
    }
#else
    (void)cuda;
#endif
    std::int64_t available = 0;
    std::ifstream meminfo("/proc/meminfo");
    for (std::string line; available == 0 && std::getline(meminfo, line);) {
        if (line.rfind("MemAvailable:", 0) == 0) {
            std::istringstream in(line.substr(13));
            std::int64_t kb = 0;
            if (in >> kb)
                available = kb * 1024;
        }
    }
#ifdef _SC_AVPHYS_PAGES
    if (available <= 0) {
        const long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
        if (pages > 0 && size > 0)
            available = static_cast<std::int64_t>(pages) * size;
    }
#endif
    return std::max<std::int64_t>(available, 0);
}

std::int64_t defaultModelMemory()
{
    const std::int64_t available = availableMemory();
    std::int64_t budget = available > 0 ? available / 2 : 2 * kGiB;
#ifdef MODALLENS_HAVE_CUDA
    if (torch::cuda::is_available()) {
        std::size_t freeBytes = 0, totalBytes = 0;
        if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess && totalBytes > 0)
            budget = std::min(budget, static_cast<std::int64_t>(totalBytes) * 8 / 10);
    }
#endif
    return std::max(budget, 256 * kMiB);
}

std::optional<std::int64_t> parseMemoryAmount(const std::string &text)
{
    std::string s;
    for (char c : text)
        if (c != ' ')
            s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::size_t used = 0;
    double value = 0.0;
    try {
        value = std::stod(s, &used);
    } catch (const std::exception &) {
        return std::nullopt;
    }
    const std::string unit = s.substr(used);
    double scale = 0.0;
    if (unit.empty() || unit == "M" || unit == "MB" || unit == "MIB")
        scale = static_cast<double>(kMiB);
    else if (unit == "G" || unit == "GB" || unit == "GIB")
        scale = static_cast<double>(kGiB);
    else
        return std::nullopt;
    const double bytes = value * scale;
    if (!std::isfinite(bytes) || bytes < 1.0 || bytes > 1e18)
        return std::nullopt;
    return static_cast<std::int64_t>(bytes);
}

std::string formatMemory(std::int64_t bytes)
{
    char buf[32];
    if (bytes >= kGiB)
        std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / static_cast<double>(kGiB));
    else if (bytes >= kMiB)
        std::snprintf(buf, sizeof buf, "%.0f MB", static_cast<double>(bytes) / static_cast<double>(kMiB));
    else
        std::snprintf(buf, sizeof buf, "%.0f KB", static_cast<double>(bytes) / 1024.0);
    return buf;
}

} // namespace ml
