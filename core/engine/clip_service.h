// CLIP as the GUI and the CLI see it: std value types in, std value types out. Models are
// loaded on first use and kept in the engine's model cache; every call runs on an engine worker.
#pragma once

#include "engine/compute.h" // ComputeOptions, resolveDevice/resolveDtype
#include "engine/engine.h"
#include "engine/model_cache.h"
#include "engine/model_discovery.h" // ModelEntry, discoverModels, resolveModelPath

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ml {

struct TokenizeResult {
    std::vector<std::vector<std::int64_t>> inputIds; // padded to the context length
    std::vector<std::vector<std::int64_t>> attentionMask;
};

struct LabelScore {
    std::string label;
    float prob = 0.0f;  // softmax over the labels
    float logit = 0.0f; // logit_scale.exp() * cosine
};

struct ImageScores {
    std::string file;
    std::vector<LabelScore> scores; // sorted by prob, descending; empty when error is set
    std::string error;              // decode failure etc., naming the file
    int truth = -1;                 // evaluation: index of the true class
    double frameS = -1.0;           // a video: the time of the frame classified (its middle); < 0 for an image
};

struct ClassifyRequest {
    std::string model; // folder or embedded name
    std::vector<std::string> labels;
    std::vector<std::string> templates {"a photo of a {}."}; // "{}" is the label; ensembled
    // A learnt (CoOp) prompt file, .safetensors from `train coop`; when set, the label
    // embeddings come from it and templates are not used. A class-specific prompt takes only
    // the labels it was learnt on.
    std::string learntPrompt;
    std::vector<std::string> images; // files: images, or videos (classified on the frame at the middle)
    ComputeOptions compute;
    int batchSize = 32;
};

struct ClassifyResult {
    std::vector<ImageScores> images; // request order
    double logitScale = 0.0;         // exp(logit_scale), the temperature's inverse
    std::string modelName;
    std::string dtype;
    std::string device;
};

// One sub-folder per class; the folder name is the label (underscores read as spaces).
struct EvaluateRequest {
    std::string model;
    std::string folder;
    std::vector<std::string> templates {"a photo of a {}."};
    std::string learntPrompt; // as ClassifyRequest's; the class names are the labels
    ComputeOptions compute;
    int batchSize = 32;
};

struct EvaluateResult {
    std::vector<std::string> classes;
    std::vector<std::vector<int>> confusion; // [true][predicted] counts
    std::vector<ImageScores> images;         // with truth set; errors excluded from accuracy
    double accuracy = 0.0;
    std::vector<double> perClassAccuracy;
    double logitScale = 0.0;
};

struct EmbedResult {
    std::vector<std::vector<float>> embeddings; // projected, L2-normalised, input order
    std::vector<std::string> errors;            // per input, "" when fine (images only)
    std::string dtype;
};

// Partial results stream as PartialResult{kImageScoresPartial, ImageScores} per classified image.
inline constexpr char kImageScoresPartial[] = "image-scores";
// Long jobs report progress per batch and stop within a batch of cancel.
Job makeClassifyJob(ClassifyRequest request); // value: ClassifyResult
Job makeEvaluateJob(EvaluateRequest request); // value: EvaluateResult
Job makeEmbedImagesJob(std::string model, std::vector<std::string> images, ComputeOptions compute); // EmbedResult
Job makeEmbedTextsJob(std::string model, std::vector<std::string> texts, ComputeOptions compute);   // EmbedResult
Job makeTokenizeJob(std::string model, std::vector<std::string> texts);                             // TokenizeResult

// `modallens-cli bench clip`: a ViT-B/32-shaped vision tower (12 layers, width 768, 224 px,
// patch 32) and a 12-layer width-512 text tower with random weights, built in memory.
struct ClipBenchOptions {
    int batch = 32;
    double seconds = 10.0;       // the timed image loop runs at least this long (and 2 batches)
    bool preprocess = false;     // start from decoded 640x480 RGB images: resize + crop + normalise timed too
    bool text = true;            // also time the text tower (batch 32)
    std::string engine = "auto"; // "auto", "onednn" (the fused CPU path) or "torch" (LibTorch operators)
    bool compare = true;         // with onednn: also time the LibTorch path (the code before it), same batch
    ComputeOptions compute;
};

struct ClipBenchResult {
    double imagesPerS = 0.0;
    int batch = 0;
    std::string dtype, device;
    bool preprocess = false;
    int threads = 0;
    double textPerS = 0.0;       // batch 32, full 77-token context
    double textPromptPerS = 0.0; // batch 32, an 8-token prompt ("a photo of a cat.")
    // In multiply-adds, the convention of the usual "ViT-B/32 = 4.4 GFLOP" figure.
    double gflopPerImage = 0.0;
    double gflopPerS = 0.0;
    double matmulGflopPerS = 0.0;      // a plain [batch*50, 768] x [768, 3072] product, same convention
    double gemmSeconds = 0.0;          // per batch: the tower's matrix products timed alone
    double forwardSeconds = 0.0;       // per batch: the whole vision forward
    double preprocessSeconds = 0.0;    // per batch, when preprocess
    std::string engine;                // "onednn" or "torch": what ran the forward and the plain product
    std::string isa;                   // the instruction set oneDNN runs ("none" without it)
    double torchImagesPerS = 0.0;      // with compare: the LibTorch path's images/s, same batch and dtype
    double torchMatmulGflopPerS = 0.0; // with compare: LibTorch's plain product, same shape
};
Job makeClipBenchJob(ClipBenchOptions options); // value: ClipBenchResult

// Models loaded / found in the engine's cache (every family), and, since the process started,
// label embeddings computed / found in the runtimes' caches (per label and template set). A
// checkpoint changed on disk is another model to the cache (its files' size and mtime are in the
// key): nothing needs clearing.
struct ClipCacheStats {
    std::int64_t modelLoads = 0;
    std::int64_t modelHits = 0;
    std::int64_t textHits = 0;
    std::int64_t textMisses = 0;
};
ClipCacheStats clipCacheStats(const ModelCache &models);

} // namespace ml
