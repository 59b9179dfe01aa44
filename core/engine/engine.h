// The worker-thread engine: a job queue per lane, per-job progress and cancel, errors as
// values and one listener interface. Std value types only: ui/ and the CLI include this file.
#pragma once

#include <any>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <typeindex>
#include <utility>
#include <vector>

namespace ml {

class ModelCache;

using JobId = std::uint64_t;

struct Progress {
    std::int64_t done = 0;
    std::int64_t total = 0;   // 0 when unknown
    std::string stage;        // "decoding", "denoising", ...
    double etaSeconds = -1.0; // < 0 when unknown
};

// A streamed piece of a job's result: a token, a denoising step, an indexed file, a metric.
struct PartialResult {
    std::string kind;
    std::any value;
};

// A warning the user should see while the job goes on (a damaged weight, a skipped file): a
// PartialResult{kWarningPartial, std::string}. The CLI prints it on stderr, the GUI in its status bar.
inline constexpr char kWarningPartial[] = "warning";

struct JobError {
    std::string message;
    bool cancelled = false;
    static JobError cancelledError() { return {"cancelled", true}; }
};

struct JobResult {
    std::any value;                // what the job returned when it succeeded
    std::optional<JobError> error; // set when it failed or was cancelled
    bool ok() const { return !error.has_value(); }
};

// Where a job runs. Inference is serialised on one worker (one model on the device at a
// time); training has its own thread so the user can still classify while a model trains;
// file work (scanning folders, probing media) has its own so it never waits behind a model.
enum class Lane { Inference, Training, Io };

class JobContext;

// What an engine owns for its jobs: the model cache, and by type the other caches of core (the
// search cache of libraries' vectors) that core/engine cannot name without depending on them.
// Destroyed with the engine, after its workers stopped: no cache outlives it in a static.
class EngineState {
public:
    explicit EngineState(std::int64_t modelMemory = 0); // bytes; 0 = defaultModelMemory()
    ~EngineState(); // the owned caches in reverse order of creation, then the models
    EngineState(const EngineState &) = delete;
    EngineState &operator=(const EngineState &) = delete;

    ModelCache &models() { return *m_models; }
    // The one T of this engine, made on first use (T needs a default constructor).
    template<class T> T &owned()
    {
        std::lock_guard lock(m_mutex);
        for (const auto &[type, value] : m_owned)
            if (type == std::type_index(typeid(T)))
                return *static_cast<T *>(value.get());
        auto value = std::make_shared<T>();
        m_owned.emplace_back(std::type_index(typeid(T)), value);
        return *value;
    }

private:
    std::unique_ptr<ModelCache> m_models;
    std::mutex m_mutex;
    std::vector<std::pair<std::type_index, std::shared_ptr<void>>> m_owned;
};

struct Job {
    std::string name; // shown to the user: "Thumbnails", "Classify 12 images"
    Lane lane = Lane::Inference;
    std::function<std::any(JobContext &)> run;
};

struct EngineListener {
    virtual ~EngineListener() = default;
    virtual void onStarted(JobId /*id*/, const std::string & /*name*/) { }
    virtual void onProgress(JobId id, const Progress &p) = 0;
    virtual void onPartial(JobId id, const PartialResult &r) = 0;
    virtual void onFinished(JobId id, const JobResult &r) = 0;
};

// What a job's failure tells the user: an exception's message without LibTorch's C++ backtrace,
// and an allocation failure (std::bad_alloc, LibTorch's allocator) said as "out of memory" with
// what to do about it.
std::string jobErrorMessage(const std::string &job, const std::string &what);
std::string outOfMemoryMessage(const std::string &job, const std::string &detail);

// Handed to a running job: its cancel token and its way to report.
class JobContext {
public:
    // state: the engine's caches; a context made without an engine (tests) gets caches of its own.
    JobContext(
        JobId id, EngineListener *listener, std::shared_ptr<std::atomic<bool>> cancel, EngineState *state = nullptr);
    ~JobContext();

    JobId id() const { return m_id; }
    bool isCancelled() const { return m_cancel->load(std::memory_order_relaxed); }
    void throwIfCancelled() const; // throws ml::Cancelled

    // Forwards only when the reported per-mille or the stage changes, so a tight loop
    // may call it every step without flooding the listener.
    void report(std::int64_t done, std::int64_t total, const std::string &stage = {});
    // The job's own estimate of the seconds left (a trainer's: its steps' pace and evaluations,
    // pauses excluded), sent with every later report instead of the straight line through the
    // elapsed time; < 0 goes back to that line.
    void setEtaSeconds(double seconds) { m_eta = seconds; }
    void partial(std::string kind, std::any value);
    // kWarningPartial "<where>: <warning>" for each warning that is not empty.
    void warn(const std::string &where, const std::vector<std::string> &warnings);

    EngineState &state();
    ModelCache &models() { return state().models(); }

private:
    JobId m_id;
    EngineListener *m_listener;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::chrono::steady_clock::time_point m_start;
    std::int64_t m_lastPermille = -1;
    std::string m_lastStage;
    double m_eta = -1.0;
    EngineState *m_state = nullptr;
    std::unique_ptr<EngineState> m_ownState;
};

struct EngineOptions {
    int threads = 0;              // torch intra-op threads; 0 = the machine's cores
    std::int64_t modelMemory = 0; // bytes the model cache may hold; 0 = defaultModelMemory()
};

class Engine {
public:
    explicit Engine(EngineListener *listener, EngineOptions options = {});
    ~Engine(); // cancels everything, then joins (mandelbrot's RenderThread)
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    JobId submit(Job job); // any thread, returns at once
    void cancel(JobId id); // any thread; a queued job is dropped, a running one stops
    void cancelAll();
    bool waitIdle(std::chrono::milliseconds timeout); // tests and the CLI
    std::size_t pending() const;                      // queued + running
    EngineState &state();                             // the caches every job of this engine shares
    ModelCache &models();

    static int defaultThreads(); // cores available to this process

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace ml
