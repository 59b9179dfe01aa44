// Reading a run folder back: trainer_state.json through nlohmann-json, metrics.jsonl line by
// line so that one bad or half-written line costs that line only.
#include "train/run_folder.h"

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace fs = std::filesystem;

namespace ml::train {

namespace {

template<typename T> T field(const nlohmann::json &j, const char *key, T fallback)
{
    if (!j.is_object() || !j.contains(key))
        return fallback;
    try {
        return j.at(key).get<T>();
    } catch (const nlohmann::json::exception &) {
        return fallback;
    }
}

} // namespace

const char *runKindName(RunKind kind)
{
    switch (kind) {
    case RunKind::Ddpm:
        return "ddpm";
    case RunKind::Blip2:
        return "blip2";
    case RunKind::Llava:
        return "llava";
    case RunKind::Clip:
        break;
    }
    return "clip";
}

bool holdsRunState(const fs::path &folder)
{
    std::error_code ec;
    return fs::is_regular_file(folder / kTrainerStateFile, ec);
}

RunState readRunState(const fs::path &folder)
{
    const fs::path file = folder / kTrainerStateFile;
    std::error_code ec;
    if (!fs::exists(file, ec))
        throw Error(folder.string() + ": holds no training run (no " + kTrainerStateFile + ")");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(file.string() + ": cannot be read");
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw Error(file.string() + ": not JSON (a ModalLens training state is a JSON object)");
    const std::string format = field<std::string>(j, "format", "");
    if (format != kClipStateFormat && format != kDdpmStateFormat && format != kBlip2StateFormat
        && format != kLlavaStateFormat)
        throw Error(file.string() + ": not a ModalLens training state (format '" + format + "')");
    RunState s;
    s.kind = format == kDdpmStateFormat ? RunKind::Ddpm
        : format == kBlip2StateFormat   ? RunKind::Blip2
        : format == kLlavaStateFormat   ? RunKind::Llava
                                        : RunKind::Clip;
    s.step = field<std::int64_t>(j, "step", 0);
    s.totalSteps = field<std::int64_t>(j, "total_steps", 0);
    const nlohmann::json config = j.value("config", nlohmann::json::object());
    s.preset = field<std::string>(config, "preset", "");
    s.steps = field<std::int64_t>(config, "steps", s.totalSteps);
    s.batch = field<std::int64_t>(config, "batch", 0);
    s.lr = field<double>(config, "lr", 0.0);
    s.seed = field<std::int64_t>(config, "seed", 0);
    s.evalEvery = field<std::int64_t>(config, "eval_every", 0);
    s.checkpointEvery = field<std::int64_t>(config, "checkpoint_every", 0);
    const nlohmann::json mix = config.value("mix", nlohmann::json::object());
    s.mixFashion = field<double>(mix, "fashion_mnist", 0.0);
    s.mixSingle = field<double>(mix, "shapes_single", 0.0);
    s.mixMulti = field<double>(mix, "shapes_multi", 0.0);
    s.blockOutChannels = field<std::vector<std::int64_t>>(config, "block_out_channels", {});
    s.layersPerBlock = field<std::int64_t>(config, "layers_per_block", 0);
    s.stage1Steps = field<std::int64_t>(config, "stage1_steps", 0);
    return s;
}

std::optional<RunKind> checkpointKind(const fs::path &folder)
{
    std::error_code ec;
    if (!fs::is_regular_file(folder / "config.json", ec))
        return std::nullopt;
    if (fs::is_regular_file(folder / kClipWeightsFile, ec)) {
        std::ifstream in(folder / "config.json", std::ios::binary);
        const nlohmann::json config = nlohmann::json::parse(in, nullptr, false);
        const std::string type = field<std::string>(config, "model_type", "");
        return type == "blip-2" ? RunKind::Blip2 : type == "llava" ? RunKind::Llava : RunKind::Clip;
    }
    if (fs::is_regular_file(folder / kDdpmWeightsFile, ec))
        return RunKind::Ddpm;
    return std::nullopt;
}

std::optional<double> MetricsPoint::value(const std::string &key) const
{
    const auto it = values.find(key);
    return it == values.end() ? std::nullopt : std::optional<double>(it->second);
}

fs::path metricsFileOf(const fs::path &path)
{
    std::error_code ec;
    return fs::is_directory(path, ec) ? path / kMetricsFile : path;
}

Metrics readMetrics(const fs::path &file, std::optional<std::int64_t> upToStep)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(file.string() + ": cannot be read");
    Metrics m;
    std::string line;
    int number = 0, lines = 0, good = 0;
    while (std::getline(in, line)) {
        ++number;
        const bool cutShort = in.eof(); // no end of line: the trainer may be writing it right now
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        ++lines;
        const std::string where = file.string() + ":" + std::to_string(number) + ": ";
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            m.problems.push_back(where + (cutShort ? "cut short (being written?)" : "not a JSON object"));
            continue;
        }
        const auto step = j.find("step");
        if (step == j.end() || !step->is_number_integer()) {
            m.problems.push_back(where + "no \"step\"");
            continue;
        }
        ++good;
        MetricsPoint p;
        p.step = step->get<std::int64_t>();
        if (upToStep && p.step > *upToStep)
            continue;
        for (const auto &[key, value] : j.items())
            if (key != "step" && value.is_number())
                p.values.emplace(key, value.get<double>());
        m.lastStep = std::max(m.lastStep, p.step);
        m.points.push_back(std::move(p));
    }
    if (lines > 1 && good == 0)
        throw Error(file.string() + ": not a metrics file (no line holds a step)");
    return m;
}

} // namespace ml::train
