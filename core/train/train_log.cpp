// metrics.jsonl (append-only, truncated to the resumed step) and TensorBoard scalars side by side.
#include "train/train_log.h"

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>

namespace ml::train {

namespace fs = std::filesystem;

TrainLog::TrainLog(const fs::path &runDir, std::optional<std::int64_t> resumeStep)
    : m_metricsPath(runDir / "metrics.jsonl")
{
    fs::create_directories(runDir);
    std::string kept;
    if (resumeStep && fs::exists(m_metricsPath)) {
        std::ifstream in(m_metricsPath);
        for (std::string line; std::getline(in, line);) {
            const auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_object() && j.contains("step") && j["step"].is_number_integer()
                && j["step"].get<std::int64_t>() <= *resumeStep)
                kept += line + "\n";
        }
    }
    std::ofstream out(m_metricsPath, std::ios::binary | std::ios::trunc);
    if (!out || !(out << kept) || !out.flush())
        throw Error(m_metricsPath.string() + ": cannot write");
    m_events = std::make_unique<TensorBoardWriter>(runDir);
}

void TrainLog::write(std::int64_t step, const std::vector<LogValue> &values)
{
    nlohmann::ordered_json j;
    j["step"] = step;
    j["wall_time"] = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<Scalar> scalars;
    for (const LogValue &v : values) {
        j[v.key] = v.value;
        if (!v.tag.empty())
            scalars.push_back({v.tag, static_cast<float>(v.value)});
    }
    std::ofstream out(m_metricsPath, std::ios::binary | std::ios::app);
    if (!out || !(out << j.dump() << '\n') || !out.flush())
        throw Error(m_metricsPath.string() + ": cannot append");
    m_events->add(step, scalars);
}

nlohmann::json accuracyJson(const ZeroShotAccuracy &a)
{
    nlohmann::json j = nlohmann::json::object();
    if (a.shapes >= 0)
        j["shapes"] = a.shapes;
    if (a.shapesHeldOut >= 0)
        j["shapes_held_out"] = a.shapesHeldOut;
    if (a.fashion >= 0)
        j["fashion_mnist"] = a.fashion;
    if (a.shapesImages > 0)
        j["shapes_images"] = a.shapesImages;
    if (a.shapesHeldOutImages > 0)
        j["shapes_held_out_images"] = a.shapesHeldOutImages;
    if (a.fashionImages > 0)
        j["fashion_mnist_images"] = a.fashionImages;
    return j;
}

ZeroShotAccuracy accuracyFromJson(const nlohmann::json &j)
{
    ZeroShotAccuracy a;
    a.shapes = j.value("shapes", -1.0);
    a.shapesHeldOut = j.value("shapes_held_out", -1.0);
    a.fashion = j.value("fashion_mnist", -1.0);
    a.shapesImages = j.value("shapes_images", std::int64_t {0});
    a.shapesHeldOutImages = j.value("shapes_held_out_images", std::int64_t {0});
    a.fashionImages = j.value("fashion_mnist_images", std::int64_t {0});
    return a;
}

} // namespace ml::train
