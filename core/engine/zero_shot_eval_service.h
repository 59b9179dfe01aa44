// Zero-shot evaluation of any CLIP checkpoint on a fixed labelled set (Shapes World or the
// Fashion-MNIST test split), as the CLI's `eval zero-shot` runs it.
#pragma once

#include "engine/engine.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ml {

// Zero-shot accuracy of any CLIP checkpoint on a fixed evaluation set: Shapes World single-object
// images of all 24 colour-shape pairs (labels "a {colour} {shape}"), or the Fashion-MNIST test
// split (prompts: the training caption templates, ensembled).
struct ZeroShotEvalRequest {
    std::string model;              // folder or embedded name
    std::string dataset = "shapes"; // "shapes" | "fashion-mnist"
    std::int64_t limit = 0;         // images; 0 = 2,400 Shapes (100 per pair) / all 10,000 Fashion-MNIST; Shapes
                                    // rounds up to a multiple of 24 (the same number of images per pair)
    std::uint64_t seed = 20240;     // Shapes set
    bool augmented = true;          // Shapes drawn with the spec's augmentations
    std::string fashionMnistDir;    // "" = the default folder
    std::string dtype = "auto";
    int batchSize = 128;
};

struct ZeroShotEvalResult {
    std::string dataset;
    std::int64_t images = 0;
    double accuracy = 0.0;
    std::int64_t heldOutImages = 0; // Shapes: the four held-out pairs
    double heldOutAccuracy = -1.0;
    std::vector<std::string> classes;
    std::vector<double> perClassAccuracy;
    std::vector<std::vector<int>> confusion; // [true][predicted]
};

// Runs on the calling thread; ctx (optional) gets progress and may cancel. Throws ml::Error.
ZeroShotEvalResult evaluateZeroShot(const ZeroShotEvalRequest &request, JobContext *ctx = nullptr);
Job makeZeroShotEvalJob(ZeroShotEvalRequest request); // Lane::Inference; value: ZeroShotEvalResult

} // namespace ml
