// modallens-cli plumbing: option access, progress drawing, Ctrl-C → cancel.
#include "cli_common.h"

#include "common/error.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace ml::cli {

Args::Args(std::vector<std::string> positional, std::multimap<std::string, std::string> options,
    std::vector<std::string> flags)
    : m_positional(std::move(positional))
    , m_options(std::move(options))
    , m_flags(std::move(flags))
{ }

bool Args::flag(const std::string &name) const
{
    return std::find(m_flags.begin(), m_flags.end(), name) != m_flags.end();
}

std::optional<std::string> Args::value(const std::string &name) const
{
    auto range = m_options.equal_range(name);
    if (range.first == range.second)
        return std::nullopt;
    return std::prev(range.second)->second; // the last one given wins
}

std::vector<std::string> Args::values(const std::string &name) const
{
    std::vector<std::string> out;
    auto range = m_options.equal_range(name);
    for (auto it = range.first; it != range.second; ++it)
        out.push_back(it->second);
    return out;
}

std::string Args::valueOr(const std::string &name, const std::string &fallback) const
{
    return value(name).value_or(fallback);
}

int Args::intOr(const std::string &name, int fallback) const
{
    const auto v = value(name);
    if (!v)
        return fallback;
    try {
        std::size_t used = 0;
        const int n = std::stoi(*v, &used);
        if (used == v->size())
            return n;
    } catch (const std::exception &) { }
    throw UsageError("--" + name + " expects an integer, got '" + *v + "'");
}

double Args::doubleOr(const std::string &name, double fallback) const
{
    const auto v = value(name);
    if (!v)
        return fallback;
    try {
        std::size_t used = 0;
        const double x = std::stod(*v, &used);
        if (used == v->size() && std::isfinite(x))
            return x;
    } catch (const std::exception &) { }
    throw UsageError("--" + name + " expects a number, got '" + *v + "'");
}

void Args::rejectUnknown(const std::vector<std::string> &knownValues, const std::vector<std::string> &knownFlags) const
{
    for (const auto &[name, v] : m_options)
        if (std::find(knownValues.begin(), knownValues.end(), name) == knownValues.end())
            throw UsageError("unknown option --" + name);
    for (const auto &name : m_flags)
        if (std::find(knownFlags.begin(), knownFlags.end(), name) == knownFlags.end())
            throw UsageError("unknown option --" + name);
}

namespace {
bool g_replacedInvalidUtf8 = false;
} // namespace

void printJson(const nlohmann::json &doc)
{
    std::string text;
    try {
        text = doc.dump(2);
    } catch (const nlohmann::json::type_error &) { // 316: a string that is not UTF-8
        text = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
        g_replacedInvalidUtf8 = true;
    }
    std::cout << text << std::endl;
}

bool printedJsonReplacedInvalidUtf8()
{
    return g_replacedInvalidUtf8;
}

void warn(const GlobalOptions &global, const std::string &message)
{
    if (!global.quiet)
        std::cerr << "warning: " << message << std::endl;
}

void printError(const std::string &message)
{
    std::cerr << "modallens-cli: error: " << message << std::endl;
}

int printErrors(const std::vector<std::string> &messages)
{
    int n = 0;
    for (const auto &m : messages)
        if (!m.empty()) {
            printError(m);
            ++n;
        }
    return n;
}

namespace {

std::atomic<bool> g_interrupted {false};

void onSigint(int)
{
    g_interrupted.store(true);
}

std::string formatDuration(double s)
{
    if (s < 0)
        return "?";
    const int total = static_cast<int>(std::lround(s));
    char buf[32];
    if (total >= 3600)
        std::snprintf(buf, sizeof buf, "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60);
    else
        std::snprintf(buf, sizeof buf, "%d:%02d", total / 60, total % 60);
    return buf;
}

// Draws progress on stderr: an in-place bar on a TTY, one line per 10% otherwise.
class ProgressPrinter : public EngineListener {
public:
    ProgressPrinter(bool quiet, std::function<void(const PartialResult &)> onPartial = {})
        : m_quiet(quiet)
        , m_tty(isatty(STDERR_FILENO) != 0)
        , m_onPartial(std::move(onPartial))
    { }

    void onProgress(JobId, const Progress &p) override
    {
        if (m_quiet)
            return;
        std::lock_guard lock(m_mutex);
        if (m_streaming) // the partials are the progress now (a chat answer streaming in)
            return;
        if (m_tty) {
            const int width = 30;
            const double frac = p.total > 0 ? std::clamp(double(p.done) / double(p.total), 0.0, 1.0) : 0.0;
            const int filled = static_cast<int>(frac * width);
            std::fprintf(stderr, "\r%-12s [%s%s] %3d%% %lld/%lld ETA %s ", p.stage.c_str(),
                std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                static_cast<int>(frac * 100), static_cast<long long>(p.done), static_cast<long long>(p.total),
                formatDuration(p.etaSeconds).c_str());
            std::fflush(stderr);
            m_drawn = true;
        } else {
            const int decile = p.total > 0 ? static_cast<int>(p.done * 10 / p.total) : -1;
            if (decile == m_lastDecile && p.stage == m_lastStage)
                return;
            m_lastDecile = decile;
            m_lastStage = p.stage;
            std::fprintf(stderr, "%s: %lld/%lld\n", p.stage.empty() ? "progress" : p.stage.c_str(),
                static_cast<long long>(p.done), static_cast<long long>(p.total));
        }
    }
    void onPartial(JobId, const PartialResult &r) override
    {
        if (r.kind == kWarningPartial) {
            if (m_quiet)
                return;
            std::lock_guard lock(m_mutex);
            if (m_drawn && m_tty)
                std::fprintf(stderr, "\r\033[K"); // the bar is drawn again by the next report
            std::fprintf(stderr, "modallens-cli: warning: %s\n", std::any_cast<std::string>(r.value).c_str());
            return;
        }
        if (!m_onPartial)
            return;
        {
            std::lock_guard lock(m_mutex);
            if (!m_streaming && m_drawn && m_tty)
                std::fprintf(stderr, "\r\033[K"); // the bar's line goes before the stream starts
            m_streaming = true;
            m_drawn = false;
        }
        m_onPartial(r);
    }
    void onFinished(JobId, const JobResult &r) override
    {
        {
            std::lock_guard lock(m_mutex);
            if (m_drawn)
                std::fprintf(stderr, "\n");
            m_result = r;
            m_done = true;
        }
        m_cv.notify_all();
    }

    JobResult wait(Engine &engine, JobId id)
    {
        std::unique_lock lock(m_mutex);
        bool cancelSent = false;
        while (!m_done) {
            m_cv.wait_for(lock, std::chrono::milliseconds(50));
            if (g_interrupted.load() && !cancelSent) {
                cancelSent = true;
                lock.unlock();
                std::fprintf(stderr, "\ninterrupted: cancelling...\n");
                engine.cancel(id);
                lock.lock();
            }
        }
        return m_result;
    }

private:
    bool m_quiet;
    bool m_tty;
    std::function<void(const PartialResult &)> m_onPartial;
    bool m_streaming = false;
    bool m_drawn = false;
    int m_lastDecile = -2;
    std::string m_lastStage;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_done = false;
    JobResult m_result;
};

} // namespace

std::any runJob(const GlobalOptions &global, Job job, std::function<void(const PartialResult &)> onPartial)
{
    ProgressPrinter printer(global.quiet, std::move(onPartial));
    g_interrupted.store(false);
    auto previous = std::signal(SIGINT, onSigint);
    JobResult result;
    {
        Engine engine(&printer, {global.threads, global.modelMemory});
        const JobId id = engine.submit(std::move(job));
        result = printer.wait(engine, id);
    }
    std::signal(SIGINT, previous);
    if (!result.ok())
        throw Error(result.error->cancelled ? "cancelled by the user" : result.error->message);
    return result.value;
}

nlohmann::json perClassJson(const std::vector<std::string> &classes, const std::vector<std::vector<int>> &confusion,
    const std::vector<double> &perClassAccuracy)
{
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t c = 0; c < classes.size(); ++c) {
        int n = 0;
        for (int v : confusion[c])
            n += v;
        out.push_back({{"class", classes[c]}, {"images", n}, {"accuracy", perClassAccuracy[c]}});
    }
    return out;
}

void printPerClassTable(const std::vector<std::string> &classes, const std::vector<std::vector<int>> &confusion,
    const std::vector<double> &perClassAccuracy, bool withMatrix)
{
    std::printf("%-24s %8s %9s\n", "class", "images", "accuracy");
    for (std::size_t c = 0; c < classes.size(); ++c) {
        int n = 0;
        for (int v : confusion[c])
            n += v;
        std::printf("%-24s %8d %8.2f%%\n", classes[c].c_str(), n, 100.0 * perClassAccuracy[c]);
    }
    if (!withMatrix)
        return;
    std::printf("\nconfusion (rows: true class, columns: predicted, in the order above)\n");
    for (std::size_t c = 0; c < classes.size(); ++c) {
        std::printf("%-24s", classes[c].substr(0, 24).c_str());
        for (int v : confusion[c])
            std::printf(" %5d", v);
        std::printf("\n");
    }
}

} // namespace ml::cli
