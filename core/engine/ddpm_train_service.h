// DDPM training as the Training panel and the CLI see it: an engine job that trains a diffusers
// UNet2DModel by ε-prediction on Fashion-MNIST (32 x 32, one channel), streaming the same
// "metric" and "samples" partials as CLIP training, plus the sample grid's PNG.
#pragma once

#include "engine/engine.h"
#include "engine/train_types.h" // TrainControl, TrainMetric, TrainSamples
#include "io/media.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml {

// Everything but outDir may stay unset: the preset (or, on resume, the run) decides.
struct DdpmTrainRequest {
    std::string preset;  // "mini" (ddpm-mini, the embedded default) | "tiny" (tests); "" = mini
    std::string outDir;  // the run folder: the latest checkpoint in diffusers flat layout, metrics, samples
    bool resume = false; // continue the run in outDir (its config; steps may be raised)

    std::optional<std::int64_t> steps; // total optimiser steps of the run
    std::optional<std::int64_t> batch;
    std::optional<double> lr;
    std::optional<std::uint64_t> seed;
    std::vector<std::int64_t> blockOutChannels; // the UNet's block_out_channels; empty = the preset's
    std::optional<std::int64_t> layersPerBlock;
    std::optional<bool> randomFlip; // flip half the images horizontally; unset: the preset's (never)
    std::string fashionMnistDir;    // "" = /usr/share/datasets/fashion-mnist

    std::optional<std::int64_t> logEvery;        // metrics.jsonl / TensorBoard / "metric" partial
    std::optional<std::int64_t> evalEvery;       // sample grid + "samples" partial; 0 = only at the end
    std::optional<std::int64_t> checkpointEvery; // 0 = only at the end (and on cancel / stop)
    std::optional<std::int64_t> sampleSteps;     // DDIM steps of the sample grid

    std::shared_ptr<TrainControl> control;             // optional: pause / stop
    std::function<void(const TrainMetric &)> onMetric; // optional, on the training thread
};

struct DdpmTrainResult {
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
    std::int64_t parameters = 0;
    std::int64_t weightBytes = 0; // diffusion_pytorch_model.safetensors
    std::string sampleGrid;       // the last sample grid's PNG ("" without image support)
    std::vector<std::string> warnings;
};

// PartialResult{"sample-grid", DdpmSampleGrid} after each sample grid (the PNG is in the run folder).
struct DdpmSampleGrid {
    std::int64_t step = 0;
    std::string file;
    io::RgbImage image;
};

// Lane::Training. Value: DdpmTrainResult. Partials: "metric" (TrainMetric; temperature 0),
// "samples" (TrainSamples: the grid's samples, 64 x 64, without labels), "sample-grid"
// (DdpmSampleGrid), "checkpoint" (std::string, the folder, after each write). Cancel stops between
// steps, writes a checkpoint at the current step, then ends as cancelled.
Job makeDdpmTrainJob(DdpmTrainRequest request);

} // namespace ml
