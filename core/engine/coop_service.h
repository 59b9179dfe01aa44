// CoOp prompt tuning (Zhou et al. 2022) as the GUI and the CLI see it: learn context vectors for
// a labelled folder on a frozen CLIP, as an engine job, and read a learnt prompt's description.
#pragma once

#include "engine/clip_service.h"
#include "engine/engine.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ml {

// PartialResult{kCoopMetricPartial, CoopMetric}.
inline constexpr char kCoopMetricPartial[] = "coop-metric";
struct CoopMetric {
    std::int64_t step = 0;
    std::int64_t totalSteps = 0;
    double loss = 0.0;          // mean over the steps since the previous metric
    double trainAccuracy = 0.0; // on those steps' shots, before each update
    double lr = 0.0;
    double stepsPerS = 0.0;
};

// Everything but model and folder has a default; with neither steps nor epochs, 200 steps.
struct CoopRequest {
    std::string model;                      // folder or embedded name
    std::string folder;                     // one sub-folder of images per class (LabelledFolder)
    std::string out;                        // the learnt prompt, .safetensors; "" = not saved
    int shots = 4;                          // K training images per class, chosen with seed; the rest are held out
    int contextVectors = 16;                // M; with initWords, the number of their tokens instead
    bool classSpecific = false;             // one context per class (CSC) instead of one shared by all
    std::string initWords;                  // "a photo of a": ctx starts as these words' token embeddings
    std::optional<std::int64_t> steps;      // optimiser steps
    std::optional<std::int64_t> epochs;     // or passes over the K x C shots (full batches per epoch x epochs)
    int batch = 32;                         // shots per step (all of them when fewer)
    std::optional<double> lr;               // unset: 0.002 (either optimiser)
    std::string optimizer = "adamw";        // "adamw" | "sgd" (momentum 0.9, the paper's); cosine decay either way
    std::uint64_t seed = 1;                 // shots, initial context, batch order
    std::string templ = "a photo of a {}."; // the hand-written prompt the learnt one is measured against
    int evalLimit = 0;                      // held-out images per class; 0 = every image not used as a shot
    int logEvery = 10;                      // steps between kCoopMetricPartial partials
    ComputeOptions compute;                 // image features and evaluation; training runs in float32
    std::function<void(const CoopMetric &)> onMetric; // optional, on the training thread, with each partial
};

struct CoopNeighbour {
    std::string word; // the token as text, "</w>" stripped
    double distance = 0.0;
};

// The vocabulary tokens nearest (Euclidean, in the token-embedding space) to one context vector.
struct CoopContextWords {
    int classIndex = -1;                // class-specific prompts: whose context; -1 for a unified one
    int position = 0;                   // 0 .. M - 1
    std::vector<CoopNeighbour> nearest; // closest first
};

struct CoopResult {
    std::string out; // the saved file; "" when not saved
    std::string modelName;
    std::vector<std::string> classes;
    bool classSpecific = false;
    int contextVectors = 0;
    std::int64_t width = 0; // text tower width D
    int shots = 0;
    std::uint64_t seed = 0;
    std::string optimizer;
    double lr = 0.0;
    std::string templ;
    std::string initWords;
    std::int64_t trainImages = 0;
    std::int64_t evalImages = 0; // held-out images scored (failed decodes excluded)
    double accuracyBefore = 0.0; // the hand-written template, held-out images
    double accuracyAfter = 0.0;  // the learnt prompt, the same images
    std::vector<double> perClassBefore, perClassAfter;
    std::int64_t steps = 0;
    double finalLoss = 0.0;
    double trainAccuracy = 0.0;  // of the learnt prompt on the shots, at the end
    double seconds = 0.0;        // the whole job
    double featureSeconds = 0.0; // decoding and embedding every image once
    double trainSeconds = 0.0;
    double stepsPerS = 0.0;
    std::vector<CoopContextWords> words;
    std::vector<std::string> warnings; // images that could not be decoded, and the like
    std::string dtype, device;
};

// Lane::Training. Value: CoopResult; partials kCoopMetricPartial (CoopMetric). Cancel stops between
// steps (or between feature batches) and nothing is saved.
Job makeCoopTrainJob(CoopRequest request);

// What a learnt prompt file says about itself (its metadata, checked as loading does).
struct LearntPromptInfo {
    std::string file;
    std::vector<std::string> classes;
    bool classSpecific = false;
    int contextVectors = 0;
    std::int64_t width = 0;
    std::string model;
    std::string templ;
    std::string initWords;
    int shots = 0;
    std::uint64_t seed = 0;
    double accuracyBefore = -1.0, accuracyAfter = -1.0; // < 0 when not recorded
};
// Throws ml::Error naming the file (missing, corrupt, not a learnt prompt). Reads a few KB.
LearntPromptInfo readLearntPromptInfo(const std::string &file);

} // namespace ml
