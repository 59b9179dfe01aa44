// The engine's one cache of loaded models (CLIP, UNet2D, explainers, the language models to come)
// and training sets: least recently used out first, by bytes, within the user's memory budget.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ml {

// What identifies a loaded model: its folder (canonical), the weight files' identity, and how it
// was loaded. The identity is every file's name, size and modification time in the folder and
// its sub-folders one level down (config.json, *.safetensors, tokenizer files; a pipeline's
// unet/), not a content hash: hashing gigabytes of weights at every request would cost seconds,
// and a checkpoint rewritten in place changes its size or mtime.
struct ModelKey {
    std::string kind; // "clip", "clip-explain", "unet2d", "dataset", ...
    std::string folder;
    std::string identity;
    std::string dtype;
    std::string device;
    std::string str() const;
};
// Canonicalises folder and reads the identity of its files; a missing folder keys by its name.
ModelKey makeModelKey(
    const std::string &kind, const std::string &folder, const std::string &dtype = {}, const std::string &device = {});

struct CachedModelInfo {
    std::string kind, name, folder, dtype, device;
    std::int64_t bytes = 0;
    bool inUse = false; // a job or a session holds it
};

struct ModelCacheStatus {
    std::vector<CachedModelInfo> models; // most recently used first
    std::int64_t bytes = 0;
    std::int64_t budget = 0;
    bool overBudget = false; // everything is in use and the models take more than the budget
    std::int64_t loads = 0, hits = 0, refusals = 0;
};

class ModelCache {
public:
    struct Loaded {
        std::shared_ptr<void> value;
        std::int64_t bytes = 0; // what the loaded value holds (weights at their dtype, on device)
    };
    using Loader = std::function<Loaded()>;

    explicit ModelCache(std::int64_t budgetBytes = 0); // 0: defaultModelMemory()
    ModelCache(const ModelCache &) = delete;
    ModelCache &operator=(const ModelCache &) = delete;

    void setBudget(std::int64_t bytes); // evicts what no longer fits and nobody uses
    std::int64_t budget() const;

    // The cached value of key, or load() run once however many callers ask at the same time (the
    // others wait for its result; a failed load throws to all of them and is not cached).
    // estimate: the bytes the model will take, from its config, checked before load() runs:
    // above the budget, it throws ml::Error naming configFile and both figures; otherwise
    // unused models are evicted (least recently used first) to make room. The returned handle
    // keeps the model loaded: nothing a caller holds is evicted.
    template<class T>
    std::shared_ptr<T> acquire(
        const ModelKey &key, std::int64_t estimate, const std::string &configFile, const Loader &load)
    {
        return std::static_pointer_cast<T>(acquireErased(key, estimate, configFile, load));
    }
    std::shared_ptr<void> acquireErased(
        const ModelKey &key, std::int64_t estimate, const std::string &configFile, const Loader &load);

    // Throws the refusal acquire() gives for an estimate above the budget (or absurd).
    void checkEstimate(std::int64_t estimate, const std::string &configFile) const;

    void clear(); // drops every model nobody uses
    ModelCacheStatus status() const;
    // Where "over budget" notes go (default: standard error). Called without the cache's lock.
    void setLogger(std::function<void(const std::string &)> logger);
    // Called (without the lock) after every change of what is loaded: the GUI's status widget.
    void setOnChange(std::function<void()> onChange);

private:
    struct Entry {
        ModelKey key;
        std::shared_ptr<void> value;
        std::int64_t bytes = 0;
    };
    // Evicts unused entries, oldest first, until bytes + extra fits; returns a note when it cannot.
    std::optional<std::string> evictLocked(std::int64_t extra, std::vector<std::shared_ptr<void>> &dropped);
    void notify(const std::optional<std::string> &note);

    mutable std::mutex m_mutex;
    std::int64_t m_budget = 0;
    std::int64_t m_bytes = 0;
    std::int64_t m_reserved = 0; // estimates of the loads in flight
    bool m_overBudget = false;
    std::int64_t m_loads = 0, m_hits = 0, m_refusals = 0;
    std::list<Entry> m_entries; // most recently used first
    std::map<std::string, std::shared_future<std::shared_ptr<void>>> m_loading;
    std::function<void(const std::string &)> m_logger;
    std::function<void()> m_onChange;
};

// The memory available now (/proc/meminfo MemAvailable, else sysconf); with cuda, the CUDA
// device's free memory. 0 when unknown.
std::int64_t availableMemory(bool cuda = false);
// Half the memory available now, and no more than the GPU's memory when models go to a CUDA
// device. At least 256 MiB.
std::int64_t defaultModelMemory();
// "4096" (MiB), "512M", "512MB", "512MiB", "4G", "4GB", "4GiB", "1.5G" (binary units); nullopt
// when unreadable or not positive.
std::optional<std::int64_t> parseMemoryAmount(const std::string &text);
std::string formatMemory(std::int64_t bytes); // "310 MB", "8.0 GB" (binary units)

} // namespace ml
