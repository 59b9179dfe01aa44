// LLaVA training (llava-mini) as the Training panel and the CLI see it: an engine job (progress,
// cancel, pause) streaming the same "metric" and "samples" partials as BLIP-2 training, with the
// VQA accuracies of its held-in and held-out sets in TrainMetric::evaluation.
#pragma once

#include "engine/engine.h"
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
struct LlavaTrainRequest {
    std::string preset;  // "mini" (llava-mini, the embedded default) | "tiny" (tests); "" = mini
    std::string outDir;  // the run folder: the latest checkpoint in llava-hf layout, metrics, events
    bool resume = false; // continue the run in outDir (its config; steps may be raised)

    std::optional<std::int64_t> steps;       // total optimiser steps, both stages
    std::optional<std::int64_t> stage1Steps; // of them, projector alignment on captions (the first ones)
    std::optional<std::int64_t> batch;       // conversations (images) per step
    std::optional<double> lr;
    std::optional<std::uint64_t> seed;
    std::string visionFrom; // the CLIP whose vision tower LLaVA starts from; "" = clip-mini

    std::optional<std::int64_t> logEvery;
    std::optional<std::int64_t> evalEvery;       // VQA + caption evaluation, "samples" partial; 0 = at the end
    std::optional<std::int64_t> checkpointEvery; // 0 = only at the end (and on cancel / stop)
    std::optional<std::int64_t> evalShapes;      // held-in Shapes VQA items (held-out: a fifth as many)
    std::optional<std::int64_t> evalCaptions;    // two-object images described

    std::string dtype = "auto"; // auto|fp32|bf16: bf16 autocast only where the CPU has native bf16
    std::string command;        // the command line, for the README written beside the weights

    std::shared_ptr<TrainControl> control;             // optional: pause / stop
    std::function<void(const TrainMetric &)> onMetric; // optional, on the training thread
};

struct LlavaTrainResult {
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
    // held-out colour-shape pair (fashion stays unmeasured).
    ZeroShotAccuracy evaluation;
    std::map<std::string, double> perType; // held-in Shapes VQA per question type
    double captions = -1.0;                // two-object captions naming every object's colour and shape
    std::int64_t captionImages = 0;
    std::vector<std::string> warnings;
};

// Lane::Training. Value: LlavaTrainResult. Partials: "metric" (TrainMetric; evaluation as in
// LlavaTrainResult, from stage 2 on), "samples" (TrainSamples: question, answer and the model's
// answer). Cancel checkpoints, then ends as cancelled.
Job makeLlavaTrainJob(LlavaTrainRequest request);

std::vector<std::string> llavaTrainPresets(); // "mini", "tiny"
// A preset's settings as a request (steps, stage-1 steps, batch, lr, seed, cadences, set sizes).
// Throws ml::Error for an unknown preset.
LlavaTrainRequest llavaTrainPresetRequest(const std::string &preset);
double llavaPresetStepSeconds(const std::string &preset); // as clipPresetStepSeconds()

} // namespace ml
