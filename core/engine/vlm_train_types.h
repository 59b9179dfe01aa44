// What a BLIP-2 and a LLaVA training job share with whoever drives it: the request and result
// fields of two-stage training from a CLIP's vision tower, evaluated on Shapes World VQA.
#pragma once

#include "engine/train_types.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml {

// Everything but outDir may stay unset: the preset (or, on resume, the run) decides.
struct VlmTrainRequest {
    std::string preset;  // "mini" (the embedded default) | "tiny" (tests); "" = mini
    std::string outDir;  // the run folder: the latest checkpoint in HF layout, metrics, events
    bool resume = false; // continue the run in outDir (its config; steps may be raised)

    std::optional<std::int64_t> steps;       // total optimiser steps, both stages
    std::optional<std::int64_t> stage1Steps; // of them, stage 1 (the first ones)
    std::optional<std::int64_t> batch;       // images per step
    std::optional<double> lr;
    std::optional<std::uint64_t> seed;
    std::string visionFrom; // the CLIP whose vision tower the model starts from; "" = clip-mini

    std::optional<std::int64_t> logEvery;
    std::optional<std::int64_t> evalEvery;       // evaluation + "samples" partial; 0 = only at the end
    std::optional<std::int64_t> checkpointEvery; // 0 = only at the end (and on cancel / stop)
    std::optional<std::int64_t> evalShapes;      // held-in Shapes VQA items (held-out: a fifth as many)

    std::string dtype = "auto"; // auto|fp32|bf16: bf16 autocast only where the CPU has native bf16
    std::string command;        // the command line, for the README written beside the weights

    std::shared_ptr<TrainControl> control;             // optional: pause / stop
    std::function<void(const TrainMetric &)> onMetric; // optional, on the training thread
};

struct VlmTrainResult {
    std::string outDir;
    std::string preset;
    std::int64_t startStep = 0;
    std::int64_t steps = 0; // done in total
    std::int64_t totalSteps = 0;
    std::int64_t stage1Steps = 0;
    bool stopped = false;
    double finalLoss = 0.0;
    double seconds = 0.0; // this session, pauses excluded
    double stepsPerS = 0.0;
    double imagesPerS = 0.0;
    std::string dtype;
    std::int64_t parameters = 0;  // of the saved model
    std::int64_t weightBytes = 0; // model.safetensors
    // The last evaluation: shapes = held-in Shapes VQA exact match, shapesHeldOut = scenes with a
    // held-out colour-shape pair.
    ZeroShotAccuracy evaluation;
    std::map<std::string, double> perType; // held-in Shapes VQA per question type
    std::vector<std::string> warnings;
};

} // namespace ml
