// modallens-cli: everything the GUI does, scriptable. Commands, flags and JSON shapes follow
// ../shared/specs/cli.md; this file parses the global options and dispatches.
#include "cli_common.h"

#include "common/error.h"
#include "engine/compute.h"
#include "engine/model_cache.h"
#include "modallens_version.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace {

using namespace ml::cli;

std::vector<Command> allCommands()
{
    std::vector<Command> all;
    for (auto part : {infoCommands(), clipCommands(), trainCommands(), samplesCommands(), coopCommands(),
             benchCommands(), indexCommands(), searchCommands(), explainCommands(), denoiseCommands(),
             evalDdpmCommands(), chatCommands(), groundCommands()})
        all.insert(all.end(), part.begin(), part.end());
    return all;
}

void printHelp(const std::vector<Command> &commands)
{
    std::cout << "modallens-cli " MODALLENS_VERSION " - look inside multimodal models, headless\n\n"
                 "Usage: modallens-cli [global options] COMMAND [arguments]\n\n"
                 "Global options:\n"
                 "  --device auto|cpu|cuda   where models run (default auto)\n"
                 "  --dtype auto|fp32|bf16|fp16  numeric type (default auto: fp16 on CUDA; on CPUs\n"
                 "                           with native bf16 units bf16 for CLIP embeddings and\n"
                 "                           fp32 for explanations and diffusion; else fp32;\n"
                 "                           --version shows what this machine gets)\n"
                 "  --threads N              compute threads (default: all cores)\n"
                 "  --model-memory SIZE      memory for loaded models: 4096 (MB), 512MB, 8GB (default:\n"
                 "                           half the free RAM; env MODALLENS_MODEL_MEMORY); a model\n"
                 "                           whose config.json says it needs more is refused\n"
                 "  --json                   print exactly one JSON document on stdout\n"
                 "  --quiet                  no progress or warnings on stderr\n"
                 "  --help, --version\n\n"
                 "An option shown as --name VALUE... takes every argument after it up to the next\n"
                 "--option (--image a.png b.png), or may be repeated (--image a.png --image b.png).\n\n"
                 "Commands:\n";
    for (const auto &c : commands)
        std::cout << "  " << c.synopsis << "\n";
    std::cout << "\nExit status: 0 success, 1 a job failed, 2 bad usage.\n";
}

const char *kGlobalValues[] = {"device", "dtype", "threads", "model-memory"};
const char *kGlobalFlags[] = {"json", "quiet", "help", "version"};

std::int64_t memoryAmount(const std::string &what, const std::string &value)
{
    const auto bytes = ml::parseMemoryAmount(value);
    if (!bytes)
        throw UsageError(what + ": '" + value + "' is not an amount of memory (e.g. 4096 for MB, 512MB, 8GB)");
    return *bytes;
}

template<std::size_t N> bool contains(const char *const (&list)[N], const std::string &s)
{
    for (const char *x : list)
        if (s == x)
            return true;
    return false;
}

bool contains(const std::vector<std::string> &list, const std::string &s)
{
    return std::find(list.begin(), list.end(), s) != list.end();
}

// The version, and what --dtype auto means on this machine (CPU kind and the policy per workload).
void printVersion(const GlobalOptions &global)
{
    const ml::CpuKind &cpu = ml::cpuKind();
    ml::ComputeOptions compute {global.device, global.dtype};
    const std::int64_t memory = global.modelMemory > 0 ? global.modelMemory : ml::defaultModelMemory();
    nlohmann::json dtypes;
    for (const auto w : {ml::Workload::Clip, ml::Workload::Explain, ml::Workload::Diffusion, ml::Workload::Language})
        dtypes[ml::workloadName(w)] = ml::resolveDtype(compute, w);
    if (global.json) {
        printJson({{"name", "modallens-cli"}, {"version", MODALLENS_VERSION}, {"device", ml::resolveDevice(compute)},
            {"cpu_kind", cpu.name}, {"cpu_native_bf16", cpu.nativeBf16},
            {"cpu_kind_from_environment", cpu.fromEnvironment}, {"dtype", dtypes}, {"model_memory_bytes", memory}});
        return;
    }
    std::cout << "modallens-cli " MODALLENS_VERSION "\n"
              << "device " << ml::resolveDevice(compute) << "; CPU kind " << cpu.name
              << (cpu.nativeBf16 ? " (native bf16)" : " (no native bf16)")
              << (cpu.fromEnvironment ? ", from MODALLENS_CPU_KIND" : "") << "\n"
              << "dtype: clip " << dtypes["clip"].get<std::string>() << ", explain "
              << dtypes["explain"].get<std::string>() << ", diffusion " << dtypes["diffusion"].get<std::string>()
              << ", language " << dtypes["language"].get<std::string>() << "\nmemory for models "
              << ml::formatMemory(memory) << std::endl;
}

bool isOption(const std::string &arg)
{
    return arg.rfind("--", 0) == 0 && arg.size() > 2;
}

} // namespace

int main(int argc, char **argv)
{
    const auto commands = allCommands();
    std::vector<std::string> argsIn(argv + 1, argv + argc);

    GlobalOptions global;
    bool help = false;
    bool version = false;
    const Command *command = nullptr;
    std::vector<std::string> positional;
    std::multimap<std::string, std::string> options;
    std::vector<std::string> flags;

    try {
        // Commands with a sub-command ("bench clip") are registered under both words.
        for (std::size_t i = 0; i < argsIn.size(); ++i) {
            const std::string &a = argsIn[i];
            if (isOption(a)) {
                std::string name = a.substr(2);
                std::optional<std::string> inlineValue;
                if (const auto eq = name.find('='); eq != std::string::npos) {
                    inlineValue = name.substr(eq + 1);
                    name = name.substr(0, eq);
                }
                const bool isValue
                    = contains(kGlobalValues, name) || (command && contains(command->valueOptions, name));
                const bool isFlag = contains(kGlobalFlags, name) || (command && contains(command->flagOptions, name));
                if (!isValue && !isFlag)
                    throw UsageError("unknown option " + a + (command ? " for '" + command->name + "'" : ""));
                if (isValue) {
                    std::string v;
                    if (inlineValue)
                        v = *inlineValue;
                    else if (i + 1 < argsIn.size())
                        v = argsIn[++i];
                    else
                        throw UsageError(a + " needs a value");
                    if (name == "device")
                        global.device = v;
                    else if (name == "dtype")
                        global.dtype = v;
                    else if (name == "threads")
                        global.threads = Args({}, {{"threads", v}}, {}).intOr("threads", 0);
                    else if (name == "model-memory")
                        global.modelMemory = memoryAmount("--model-memory", v);
                    else
                        options.emplace(name, v);
                    if (command && contains(command->multiValueOptions, name))
                        while (i + 1 < argsIn.size() && !isOption(argsIn[i + 1]))
                            options.emplace(name, argsIn[++i]); // a multimap keeps them in order
                } else {
                    if (name == "json")
                        global.json = true;
                    else if (name == "quiet")
                        global.quiet = true;
                    else if (name == "help")
                        help = true;
                    else if (name == "version")
                        version = true;
                    else
                        flags.push_back(name);
                }
                continue;
            }
            if (!command) {
                std::string name = a;
                // Two-word commands: "bench clip", "train ddpm".
                for (const auto &c : commands)
                    if (i + 1 < argsIn.size() && c.name == a + " " + argsIn[i + 1])
                        name = c.name;
                for (const auto &c : commands)
                    if (c.name == name)
                        command = &c;
                if (!command)
                    throw UsageError("unknown command '" + a + "' (see --help)");
                if (name.find(' ') != std::string::npos)
                    ++i;
                continue;
            }
            positional.push_back(a);
        }
        if (const char *env = std::getenv("MODALLENS_MODEL_MEMORY"); env && *env && global.modelMemory == 0)
            global.modelMemory = memoryAmount("MODALLENS_MODEL_MEMORY", env);
        if (version) {
            printVersion(global);
            return kOk;
        }
        if (help && command) { // COMMAND --help: that command's usage alone, wrapped
            std::string line = "Usage: modallens-cli [global options]";
            std::istringstream words(command->synopsis);
            for (std::string w; words >> w;) {
                if (line.size() + 1 + w.size() > 100) {
                    std::cout << line << "\n";
                    line = "   ";
                }
                line += " " + w;
            }
            std::cout << line << "\n\nGlobal options and the other commands: modallens-cli --help\n";
            return kOk;
        }
        if (help || !command) {
            printHelp(commands);
            return help ? kOk : kUsage;
        }
        if (global.device != "auto" && global.device != "cpu" && global.device != "cuda")
            throw UsageError("--device must be auto, cpu or cuda (got '" + global.device + "')");
        if (global.dtype != "auto" && global.dtype != "fp32" && global.dtype != "bf16" && global.dtype != "fp16")
            throw UsageError("--dtype must be auto, fp32, bf16 or fp16 (got '" + global.dtype + "')");
        if (global.threads < 0)
            throw UsageError("--threads must be positive");

        Context ctx {global, Args(std::move(positional), std::move(options), std::move(flags))};
        const int code = command->run(ctx);
        if (printedJsonReplacedInvalidUtf8())
            warn(global, "some names in the JSON are not UTF-8: their invalid bytes are shown as U+FFFD");
        return code;
    } catch (const UsageError &e) {
        std::cerr << "modallens-cli: " << e.what() << std::endl;
        return kUsage;
    } catch (const std::exception &e) {
        printError(e.what());
        return kFailed;
    }
}
