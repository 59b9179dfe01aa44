// modallens-cli plumbing shared by every command: parsed options, JSON/human output, and a
// listener that draws progress on stderr and cancels the running job on Ctrl-C.
#pragma once

#include "engine/engine.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ml::cli {

// Exit statuses of the spec: 0 success, 1 a job failed, 2 bad usage.
enum Exit { kOk = 0, kFailed = 1, kUsage = 2 };

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct GlobalOptions {
    std::string device = "auto"; // auto|cpu|cuda
    std::string dtype = "auto";  // auto|fp32|bf16|fp16
    int threads = 0;
    std::int64_t modelMemory = 0; // bytes for the model cache; 0 = the engine's default
    bool json = false;
    bool quiet = false;
};

// A command's own arguments after the global options were taken out.
class Args {
public:
    Args(std::vector<std::string> positional, std::multimap<std::string, std::string> options,
        std::vector<std::string> flags);

    const std::vector<std::string> &positional() const { return m_positional; }
    bool flag(const std::string &name) const;                        // --name given
    std::optional<std::string> value(const std::string &name) const; // --name V
    std::vector<std::string> values(const std::string &name) const;  // --name V, repeated
    std::string valueOr(const std::string &name, const std::string &fallback) const;
    int intOr(const std::string &name, int fallback) const; // throws UsageError if not a number
    double doubleOr(const std::string &name, double fallback) const;
    // Names that were given but that the command does not know: a usage error.
    void rejectUnknown(const std::vector<std::string> &knownValues, const std::vector<std::string> &knownFlags) const;

private:
    std::vector<std::string> m_positional;
    std::multimap<std::string, std::string> m_options;
    std::vector<std::string> m_flags;
};

struct Context {
    GlobalOptions global;
    Args args;
};

// Runs one job on an engine, drawing progress on stderr (a bar with ETA on a TTY, plain
// lines otherwise, nothing with --quiet) and cancelling it on SIGINT. Rethrows the job's
// error as ml::Error so the command can report it. onPartial (optional) gets the job's partial
// results on an engine thread as they come; once the first arrives the bar is no longer drawn.
std::any runJob(const GlobalOptions &global, Job job, std::function<void(const PartialResult &)> onPartial = {});

// Exactly one document on stdout. File names need not be UTF-8 (on Linux they are bytes), JSON
// strings must: a string that is not has its invalid bytes shown as U+FFFD, and
// printedJsonReplacedInvalidUtf8() says so afterwards (the command still succeeds).
void printJson(const nlohmann::json &doc);
bool printedJsonReplacedInvalidUtf8();
void warn(const GlobalOptions &global, const std::string &message); // stderr unless --quiet
// "modallens-cli: error: MESSAGE" on stderr, even with --quiet: errors are never silent.
void printError(const std::string &message);
// printError() for each non-empty message; returns how many there were (the failed inputs).
int printErrors(const std::vector<std::string> &messages);

// Accuracy per class from a confusion matrix ([true][predicted]): the JSON array every evaluating
// command prints ({class, images, accuracy}), and the same as a human table (+ the matrix).
nlohmann::json perClassJson(const std::vector<std::string> &classes, const std::vector<std::vector<int>> &confusion,
    const std::vector<double> &perClassAccuracy);
void printPerClassTable(const std::vector<std::string> &classes, const std::vector<std::vector<int>> &confusion,
    const std::vector<double> &perClassAccuracy, bool withMatrix);

using CommandFn = std::function<int(Context &)>;
struct Command {
    std::string name;
    std::string synopsis; // one line for --help
    std::vector<std::string> valueOptions;
    std::vector<std::string> flagOptions;
    CommandFn run;
    // Value options written "--name VALUE..." in the synopsis: every argument after --name up to
    // the next --option is one of its values, in order ("--image a.png b.png"); repeating the
    // option ("--image a.png --image b.png") adds to the same list. Also listed in valueOptions.
    std::vector<std::string> multiValueOptions = {};
};

// Each cli_*.cpp registers its commands here.
std::vector<Command> infoCommands();
std::vector<Command> benchCommands();
std::vector<Command> clipCommands();
std::vector<Command> trainCommands();
std::vector<Command> evalVqaCommands(); // cli_eval_vqa.cpp: eval vqa (listed with trainCommands())
std::vector<Command> coopCommands();
std::vector<Command> samplesCommands();
std::vector<Command> indexCommands();    // cli_index.cpp: index
std::vector<Command> searchCommands();   // cli_search.cpp: search
std::vector<Command> denoiseCommands();  // cli_denoise.cpp: denoise, bench ddpm
std::vector<Command> explainCommands();  // cli_explain.cpp: explain, bench explain
std::vector<Command> evalDdpmCommands(); // cli_eval_ddpm.cpp: eval ddpm
std::vector<Command> chatCommands();     // cli_chat.cpp: chat, qformer, bench lm
std::vector<Command> groundCommands();   // cli_ground.cpp: ground, eval grounding

// What index, search, duplicates and bench search say in a build without the media library.
inline constexpr const char *kNoIndexBuild
    = "this build has no media library (SQLite3 was not found when it was configured)";

// `eval zero-shot --dataset shapes|fashion-mnist` (cli_train.cpp; dispatched from cli_clip.cpp).
int runEvalDataset(Context &ctx);

} // namespace ml::cli
