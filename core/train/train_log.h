// A run's metrics on disk: one JSON line per logged step in metrics.jsonl and the same scalars in
// a TensorBoard event file, both in the run folder; a resumed run appends to its own curve.
#pragma once

#include "engine/train_types.h"
#include "train/tensorboard_writer.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml::train {

// {"shapes", "shapes_held_out", "fashion_mnist"} and their "..._images" counts: only the figures
// that were measured.
nlohmann::json accuracyJson(const ZeroShotAccuracy &a);
// And back: -1 (and 0 images) for a figure j does not hold.
ZeroShotAccuracy accuracyFromJson(const nlohmann::json &j);

struct LogValue {
    std::string key; // metrics.jsonl field: "loss"
    std::string tag; // TensorBoard tag: "train/loss"; "" = metrics.jsonl only
    double value = 0.0;
};

class TrainLog {
public:
    // Fresh run (resumeStep empty): metrics.jsonl is started anew. Resume: its lines after
    // resumeStep (logged after the checkpoint being resumed) are dropped, the rest kept.
    // Each session writes its own event file, as TensorFlow does. Throws ml::Error.
    TrainLog(const std::filesystem::path &runDir, std::optional<std::int64_t> resumeStep);

    // {"step": step, "wall_time": unix seconds, key: value, ...}, flushed at once.
    void write(std::int64_t step, const std::vector<LogValue> &values);

    const std::filesystem::path &metricsPath() const { return m_metricsPath; }
    const std::filesystem::path &eventsPath() const { return m_events->path(); }

private:
    std::filesystem::path m_metricsPath;
    std::unique_ptr<TensorBoardWriter> m_events;
};

} // namespace ml::train
