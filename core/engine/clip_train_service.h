// CLIP contrastive training as the Training panel and the CLI see it: an engine job (progress,
// cancel, pause) streaming "metric" and "samples" partials (engine/train_types.h).
#pragma once

#include "engine/engine.h"
#include "engine/train_types.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml {

// Everything but outDir may stay unset: the preset (or, on resume, the run) decides.
struct ClipTrainRequest {
    std::string preset;  // "mini" (clip-mini, the embedded default) | "tiny" (tests); "" = mini
    std::string outDir;  // the run folder: the latest checkpoint in HF layout, metrics, events
    bool resume = false; // continue the run in outDir (its config; steps may be raised)

    std::optional<std::int64_t> steps; // total optimiser steps of the run
    std::optional<std::int64_t> batch;
    std::optional<double> lr;
    std::optional<std::uint64_t> seed;
    std::optional<std::int64_t> width;  // vision tower width (heads keep a head size of 32, or 8 below 64)
    std::optional<std::int64_t> layers; // vision tower depth

    // The data mix: fractions of each batch (renormalised). Fashion-MNIST's share moves to
    // Shapes, with a warning, when its files are missing.
    std::optional<double> fashionFraction, singleFraction, multiFraction;
    std::string fashionMnistDir; // "" = /usr/share/datasets/fashion-mnist

    std::optional<std::int64_t> logEvery;           // metrics.jsonl / TensorBoard / "metric" partial
    std::optional<std::int64_t> evalEvery;          // held-out evaluation + "samples" partial; 0 = only at the end
    std::optional<std::int64_t> checkpointEvery;    // 0 = only at the end (and on cancel / stop)
    std::optional<std::int64_t> evalShapesPerClass; // held-out set sizes
    std::optional<std::int64_t> evalFashion;

    std::string dtype = "auto"; // auto|fp32|bf16: bf16 autocast only where the CPU has native bf16

    std::shared_ptr<TrainControl> control;             // optional: pause / stop
    std::function<void(const TrainMetric &)> onMetric; // optional, on the training thread
};

struct ClipTrainResult {
    std::string outDir;
    std::string preset;
    std::int64_t startStep = 0; // where this session began (0, or the step resumed from)
    std::int64_t steps = 0;     // steps done in total
    std::int64_t totalSteps = 0;
    bool stopped = false; // ended by TrainControl::stop() before totalSteps
    double finalLoss = 0.0;
    double seconds = 0.0; // this session, pauses excluded
    double stepsPerS = 0.0;
    double imagesPerS = 0.0;
    double dataSecondsPerBatch = 0.0; // building one batch on the data thread
    double dataWaitSeconds = 0.0;     // total time steps waited for data (ideally ~0)
    std::string dtype;                // "fp32" | "bf16"
    std::int64_t parameters = 0;
    ZeroShotAccuracy evaluation; // of the last evaluation
    std::vector<std::string> warnings;
};

// Lane::Training. Value: ClipTrainResult. Partials: "metric" (TrainMetric), "samples"
// (TrainSamples), "checkpoint" (std::string, the folder, after each write). Cancel stops between
// steps (or within an evaluation), writes a checkpoint at the current step, then ends as cancelled.
Job makeClipTrainJob(ClipTrainRequest request);

} // namespace ml
