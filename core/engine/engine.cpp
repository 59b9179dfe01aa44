// Engine: one worker thread per lane, FIFO queues, cancel tokens, exceptions turned into
// JobError values at the single place where jobs run.
#include "engine/engine.h"

#include "common/error.h"
#include "engine/model_cache.h"

#include <ATen/Parallel.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <thread>

#ifdef __linux__
#include <sched.h>
#endif

namespace ml {

EngineState::EngineState(std::int64_t modelMemory) : m_models(std::make_unique<ModelCache>(modelMemory))
{ }

EngineState::~EngineState()
{
    // The search cache joins its index builds here; models go last.
    while (!m_owned.empty())
        m_owned.pop_back();
}

JobContext::JobContext(
    JobId id, EngineListener *listener, std::shared_ptr<std::atomic<bool>> cancel, EngineState *state)
    : m_id(id)
    , m_listener(listener)
    , m_cancel(std::move(cancel))
    , m_start(std::chrono::steady_clock::now())
    , m_state(state)
{ }

JobContext::~JobContext() = default;

EngineState &JobContext::state()
{
    if (m_state)
        return *m_state;
    if (!m_ownState)
        m_ownState = std::make_unique<EngineState>();
    return *m_ownState;
}

void JobContext::throwIfCancelled() const
{
    if (isCancelled())
        throw Cancelled();
}

void JobContext::report(std::int64_t done, std::int64_t total, const std::string &stage)
{
    const std::int64_t permille = total > 0 ? done * 1000 / total : done;
    if (permille == m_lastPermille && stage == m_lastStage)
        return;
    m_lastPermille = permille;
    m_lastStage = stage;
    Progress p {done, total, stage, m_eta};
    if (m_eta < 0 && total > 0 && done > 0) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        p.etaSeconds = elapsed * static_cast<double>(total - done) / static_cast<double>(done);
    }
    if (m_listener)
        m_listener->onProgress(m_id, p);
}

void JobContext::partial(std::string kind, std::any value)
{
    if (m_listener)
        m_listener->onPartial(m_id, PartialResult {std::move(kind), std::move(value)});
}

std::string outOfMemoryMessage(const std::string &job, const std::string &detail)
{
    std::string out = "out of memory: '" + job + "' asked for more memory than this machine can give";
    if (!detail.empty())
        out += " (" + detail + ")";
    return out + "; try a smaller batch, size or model, or free memory";
}

std::string jobErrorMessage(const std::string &job, const std::string &what)
{
    // LibTorch's errors carry their C++ backtrace after the message: the user needs the message.
    std::string message = what.substr(0, what.find("\nException raised from"));
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    if (message.find("can't allocate memory") != std::string::npos
        || message.find("CUDA out of memory") != std::string::npos)
        return outOfMemoryMessage(job, message.substr(0, message.find('\n')));
    return message;
}

void JobContext::warn(const std::string &where, const std::vector<std::string> &warnings)
{
    for (const auto &w : warnings)
        if (!w.empty())
            partial(kWarningPartial, where.empty() ? w : where + ": " + w);
}

namespace {

struct QueuedJob {
    JobId id;
    Job job;
    std::shared_ptr<std::atomic<bool>> cancel;
};

} // namespace

struct Engine::Impl {
    struct Worker {
        std::deque<QueuedJob> queue;
        std::optional<JobId> running;
        std::shared_ptr<std::atomic<bool>> runningCancel;
        std::thread thread;
    };

    EngineListener *listener = nullptr;
    std::unique_ptr<EngineState> state; // outlives the workers: destroyed after they joined
    mutable std::mutex mutex;
    std::condition_variable wake;
    std::condition_variable idle;
    std::map<Lane, Worker> workers;
    JobId nextId = 1;
    bool stop = false;

    void loop(Lane lane);
    std::size_t pendingLocked() const
    {
        std::size_t n = 0;
        for (const auto &[lane, w] : workers)
            n += w.queue.size() + (w.running ? 1 : 0);
        return n;
    }
};

void Engine::Impl::loop(Lane lane)
{
    Worker &w = workers.at(lane);
    for (;;) {
        QueuedJob item;
        {
            std::unique_lock lock(mutex);
            wake.wait(lock, [&] { return stop || !w.queue.empty(); });
            if (stop)
                return;
            item = std::move(w.queue.front());
            w.queue.pop_front();
            w.running = item.id;
            w.runningCancel = item.cancel;
        }

        JobResult result;
        if (listener)
            listener->onStarted(item.id, item.job.name);
        JobContext ctx(item.id, listener, item.cancel, state.get());
        try {
            ctx.throwIfCancelled();
            result.value = item.job.run(ctx);
        } catch (const Cancelled &) {
            result.error = JobError::cancelledError();
        } catch (const std::bad_alloc &) {
            result.error = JobError {outOfMemoryMessage(item.job.name, {}), false};
        } catch (const std::exception &e) {
            result.error = JobError {jobErrorMessage(item.job.name, e.what()), false};
        } catch (...) {
            result.error = JobError {"unknown error in job '" + item.job.name + "'", false};
        }
        // A job that finished its last step while cancel was pressed still succeeded.
        if (listener)
            listener->onFinished(item.id, result);

        {
            std::lock_guard lock(mutex);
            w.running.reset();
            w.runningCancel.reset();
        }
        idle.notify_all();
    }
}

Engine::Engine(EngineListener *listener, EngineOptions options) : d(std::make_unique<Impl>())
{
    d->listener = listener;
    d->state = std::make_unique<EngineState>(options.modelMemory);
    at::set_num_threads(options.threads > 0 ? options.threads : defaultThreads());
    for (Lane lane : {Lane::Inference, Lane::Training, Lane::Io})
        d->workers[lane];
    for (auto &[lane, w] : d->workers)
        w.thread = std::thread([this, l = lane] { d->loop(l); });
}

Engine::~Engine()
{
    std::deque<QueuedJob> dropped;
    {
        std::lock_guard lock(d->mutex);
        d->stop = true;
        for (auto &[lane, w] : d->workers) {
            if (w.runningCancel)
                w.runningCancel->store(true);
            for (auto &q : w.queue)
                dropped.push_back(std::move(q));
            w.queue.clear();
        }
    }
    d->wake.notify_all();
    for (auto &[lane, w] : d->workers)
        if (w.thread.joinable())
            w.thread.join();
    // Whoever submitted a queued job still hears how it ended.
    if (d->listener)
        for (const auto &q : dropped)
            d->listener->onFinished(q.id, JobResult {{}, JobError::cancelledError()});
}

JobId Engine::submit(Job job)
{
    JobId id;
    {
        std::lock_guard lock(d->mutex);
        id = d->nextId++;
        auto &w = d->workers.at(job.lane);
        w.queue.push_back({id, std::move(job), std::make_shared<std::atomic<bool>>(false)});
    }
    d->wake.notify_all();
    return id;
}

void Engine::cancel(JobId id)
{
    std::optional<QueuedJob> dropped;
    {
        std::lock_guard lock(d->mutex);
        for (auto &[lane, w] : d->workers) {
            if (w.running == id) {
                w.runningCancel->store(true);
                return;
            }
            for (auto it = w.queue.begin(); it != w.queue.end(); ++it) {
                if (it->id == id) {
                    dropped = std::move(*it);
                    w.queue.erase(it);
                    break;
                }
            }
            if (dropped)
                break;
        }
    }
    if (dropped && d->listener)
        d->listener->onFinished(id, JobResult {{}, JobError::cancelledError()});
    d->idle.notify_all();
}

void Engine::cancelAll()
{
    std::vector<JobId> ids;
    {
        std::lock_guard lock(d->mutex);
        for (auto &[lane, w] : d->workers) {
            if (w.running)
                ids.push_back(*w.running);
            for (const auto &q : w.queue)
                ids.push_back(q.id);
        }
    }
    for (JobId id : ids)
        cancel(id);
}

bool Engine::waitIdle(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(d->mutex);
    return d->idle.wait_for(lock, timeout, [&] { return d->pendingLocked() == 0; });
}

EngineState &Engine::state()
{
    return *d->state;
}

ModelCache &Engine::models()
{
    return d->state->models();
}

std::size_t Engine::pending() const
{
    std::lock_guard lock(d->mutex);
    return d->pendingLocked();
}

int Engine::defaultThreads()
{
#ifdef __linux__
    // The CPUs this process may run on (taskset, cgroup cpusets), not every core of the machine.
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
#endif
    const unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? static_cast<int>(n) : 1;
}

} // namespace ml
