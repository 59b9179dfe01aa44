// The kinds of PartialResult a training job streams (PartialResult::kind), named once for the
// trainers that send them and the Training panel that reads them.
#pragma once

namespace ml {

inline constexpr const char kTrainMetricPartial[] = "metric";          // TrainMetric, every logged step
inline constexpr const char kTrainSamplesPartial[] = "samples";        // TrainSamples, after each evaluation
inline constexpr const char kTrainSampleGridPartial[] = "sample-grid"; // DdpmSampleGrid (DDPM only)
inline constexpr const char kTrainCheckpointPartial[] = "checkpoint";  // std::string, the folder written

} // namespace ml
