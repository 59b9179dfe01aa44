// Sample quality of a DDPM trained on Fashion-MNIST (issue 7): generate N samples and ask a CLIP
// (clip-mini) which of the ten classes each shows; the share it names with probability >= 0.5 is
// the figure. Real test images go through the same path as an anchor. std value types only.
#pragma once

#include "engine/clip_service.h" // ComputeOptions
#include "engine/engine.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml {

struct DdpmEvalRequest {
    std::string model;      // the DDPM: checkpoint folder or embedded name ("ddpm-mini")
    std::string scheduler;  // "ddpm" | "ddim" | "" (the checkpoint's scheduler_config.json class)
    int steps = 0;          // 0: 1000 for DDPM (the training timesteps), 50 for DDIM
    double eta = 0.0;       // DDIM only
    std::uint64_t seed = 0; // batch b is sampled with seed + b (each batch reproducible alone)
    int samples = 256;
    int batch = 64;
    std::string classifier = "clip-mini"; // any CLIP folder or embedded name
    double threshold = 0.5;               // "confident": the top class's probability >= threshold
    // Real Fashion-MNIST test images (the first N), padded to the samples' size as the DDPM
    // trainer pads them, then classified exactly like the samples. 0: none; unset: as many as samples.
    std::optional<int> referenceImages;
    // The centre crop (side, pixels) both sets are classified at: 28 undoes the trainer's padding
    // (28 -> 32), so the classifier sees garments at the scale it was trained on. 0: the whole sample.
    int crop = 28;
    std::string fashionMnistDir; // "" = the default folder; a missing default skips the reference
    std::string gridFile;        // PNG: the samples in a square-ish grid (16 x 16 for 256)
    ComputeOptions compute;
};

struct DdpmEvalClass {
    std::string name;  // Fashion-MNIST's class name ("Ankle boot")
    int count = 0;     // images whose most probable class this is
    int confident = 0; // of those, with probability >= threshold
};

// Classifying one set of images (the samples, or the real reference images).
struct DdpmEvalScores {
    int images = 0;
    double shareConfident = 0.0; // images whose top class has probability >= threshold, / images
    double meanMaxProb = 0.0;    // mean of the top class's probability
    std::vector<DdpmEvalClass> perClass;
    double accuracy = -1.0; // reference only: the top class is the true label; -1 for samples
};

struct DdpmEvalResult {
    std::string modelName, classifierName;
    std::string scheduler; // "ddpm" | "ddim"
    int steps = 0;
    double eta = 0.0;
    std::uint64_t seed = 0;
    double threshold = 0.5;
    int sampleHeight = 0, sampleWidth = 0, sampleChannels = 0;
    int crop = 0; // the side classified (0: whole samples)
    DdpmEvalScores samples;
    bool hasReference = false;
    DdpmEvalScores reference;
    double seconds = 0.0;         // the whole job
    double samplingSeconds = 0.0; // the denoising alone
    std::string gridFile;
    std::vector<std::string> warnings; // e.g. the reference was skipped (no Fashion-MNIST)
};

// Runs on the calling thread; ctx (optional) gets progress ("sampling", "classifying") and may
// cancel between denoising steps. Throws ml::Error naming the model, classifier or file at fault.
DdpmEvalResult evaluateDdpm(const DdpmEvalRequest &request, JobContext *ctx = nullptr);
Job makeDdpmEvalJob(DdpmEvalRequest request); // Lane::Inference; value: DdpmEvalResult

} // namespace ml
