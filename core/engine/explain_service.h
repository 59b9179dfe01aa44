// "What does the model look at?" as the GUI and the CLI see it: raw attention, attention rollout
// and gradient-weighted relevance of a CLIP, over the model's patch grid. std value types only;
// the jobs run on Lane::Inference. Maps are returned unscaled (the UI scales for display only).
#pragma once

#include "engine/clip_service.h"
#include "engine/engine.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml {

// The stages an explain job reports (Progress::stage), for the GUI's and the CLI's state lines.
inline constexpr const char *kExplainStageDecoding = "decoding frame"; // a video's frame (videoTimeS)
inline constexpr const char *kExplainStageLoading = "loading model";
inline constexpr const char *kExplainStageExplaining = "explaining"; // done / total: maps

enum class ExplainMethod {
    Attention, // one layer's attention from a query token (CLS by default) to the patches
    Rollout,   // Abnar & Zuidema 2020, as jacobgil/vit-explain
    Relevance, // Chefer, Gur & Wolf 2021 for the image-text cosine similarity
};
ExplainMethod explainMethodFromName(const std::string &name); // attention|rollout|relevance; throws ml::Error
const char *explainMethodName(ExplainMethod method);

struct ExplainRequest {
    std::string model = "clip-mini"; // folder or embedded name
    // The image: a file, or (when rgb is not empty) decoded 8-bit RGB, rows packed, width x height
    // (a frame the caller already has). image then only names it in messages.
    std::string image;
    std::vector<std::uint8_t> rgb;
    int width = 0, height = 0;
    // image is a video: explain the frame shown at this time (clamped to the video), decoded in
    // the job. Ignored when rgb is given.
    std::optional<double> videoTimeS;

    ExplainMethod method = ExplainMethod::Attention;
    int layer = -1;                  // attention: 0-based; -1 = the last layer
    int head = -1;                   // attention: 0-based; -1 = fuse the heads (headFusion)
    std::string headFusion = "mean"; // mean|max|min: attention (head -1) and rollout
    int queryToken = 0;              // attention: 0 = CLS, 1 + row * gridW + col = that patch
    bool allHeads = false;           // attention: also one map per head of the layer (small multiples)
    double discardRatio = 0.0;       // rollout: drop this fraction of the lowest fused weights per layer
    std::string text;                // relevance: the query ("a red circle")
    bool perWord = false;            // relevance: also one map per word of the text
    int startLayer = 0;              // relevance: first layer whose attention adds relevance
    ComputeOptions compute;
};

struct ExplainMap {
    std::string label;         // "head 2", a word, ...
    std::vector<float> values; // gridH x gridW, row-major, unscaled
};

struct ExplainResult {
    ExplainMethod method = ExplainMethod::Attention; // the request's
    int gridH = 0, gridW = 0;
    std::vector<float> map;            // gridH x gridW, row-major, unscaled
    std::vector<ExplainMap> headMaps;  // allHeads: one per head of the layer
    std::vector<ExplainMap> wordMaps;  // perWord: one per word of the text
    std::vector<std::string> tokens;   // relevance: the text's tokens, BOS .. EOS
    std::vector<float> tokenRelevance; // relevance: the EOS row of the text relevance, per token
    double similarity = 0.0;           // relevance: cosine of the image and text embeddings
    double fastPathMaxAbsDiff = 0.0;   // max |explicit path - fast path| over the embeddings
    double seconds = 0.0;              // the explanation itself (model loading excluded)
    int layers = 0, heads = 0, layer = -1;
    // What the model saw: the preprocessed crop, imageSize x imageSize 8-bit RGB (for overlays).
    int imageSize = 0;
    std::vector<std::uint8_t> inputRgb;
    double frameTimeS = -1.0;             // videoTimeS: the presentation time of the frame explained; else -1
    std::string modelName, device, dtype; // dtype: the fast path's; the explicit path is fp32
};

// value: ExplainResult. Reports "loading model" then "explaining"; cancel is checked between maps.
Job makeExplainJob(ExplainRequest request);

// `modallens-cli bench explain`: seconds per method for a ViT-B/32-shaped CLIP with random weights
// (224 px, 12 + 12 layers, built in memory), and, with deletionImages > 0, the deletion metric on
// Shapes World images with clip-mini: mean area under the similarity curve as patches are
// replaced by the background colour in each method's order (lower = more faithful).
struct ExplainBenchOptions {
    int repeats = 3;          // timed runs per method (the median is reported)
    int deletionImages = 100; // 0: timings only
    int deletionStep = 1;     // patches deleted between two points of a curve
    bool timings = true;      // time the methods on the ViT-B/32-shaped model
    std::string model = "clip-mini";
    std::uint64_t seed = 2024;
    ComputeOptions compute;
};

struct ExplainBenchTiming {
    std::string method;
    double seconds = 0.0; // median per explanation, one image
};

struct ExplainBenchDeletion {
    std::string method; // relevance | rollout | attention | random
    double meanAuc = 0.0;
    std::vector<double> aucs; // per image
};

struct ExplainBenchResult {
    std::vector<ExplainBenchTiming> timings;
    std::vector<ExplainBenchDeletion> deletion;
    double relevanceBeatsRandom = 0.0; // fraction of images where relevance's AUC < random's
    int images = 0;
    int threads = 0;
    std::string device;
};
Job makeExplainBenchJob(ExplainBenchOptions options); // value: ExplainBenchResult

} // namespace ml
