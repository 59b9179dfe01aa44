// A CLIP ready to embed (fast-path weights, tokenizer, image preprocessing), its label-embedding
// cache per template set, and how it is loaded through the engine's model cache.
#pragma once

#include "models/clip/clip_config.h"
#include "models/clip/clip_inference.h"
#include "models/clip/clip_prompt.h"

#include "preprocess.h"
#include "text/clip_tokenizer.h"

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace ml {
class ModelCache;
class ThreadPool;
} // namespace ml

namespace ml::clip {

torch::ScalarType dtypeFromName(const std::string &name); // "fp32" | "bf16" | "fp16"; throws ml::Error

// preprocessor_config.json as the preprocessing kernels take it.
kernels::PreprocessParams preprocessParams(const ClipImageProcessorConfig &c);

// vocab.json + merges.txt of a CLIP folder, context length from its config. Throws one
// ml::Error naming the folder and every missing file.
text::ClipTokenizer loadClipTokenizer(const std::filesystem::path &folder);

class ClipRuntime {
public:
    // Everything or nothing: one ml::Error lists every problem (not a CLIP folder, missing
    // tokenizer files, config errors, missing or mis-shaped weights, pickles only, ...).
    static std::shared_ptr<ClipRuntime> load(
        const std::filesystem::path &folder, torch::ScalarType dtype, torch::Device device);

    const ClipInference &inference() const { return *m_inference; }
    const text::ClipTokenizer &tokenizer() const { return *m_tokenizer; }
    const kernels::PreprocessParams &preprocess() const { return m_preprocess; }
    const std::filesystem::path &folder() const { return m_folder; }
    const std::string &name() const { return m_name; }
    const std::vector<std::string> &warnings() const { return m_warnings; }
    std::int64_t imageSize() const { return m_inference->config().vision_config.image_size; }

    // [N, P] float32, L2-normalised. Texts go in batches of `batch`; cancelled() is asked between them.
    torch::Tensor embedTexts(
        const std::vector<std::string> &texts, int batch = 64, const std::function<bool()> &cancelled = {}) const;
    torch::Tensor embedPixels(const torch::Tensor &pixelValues) const; // [B, 3, S, S] -> [B, P]

    // One row per label: every template filled with the label, embedded, each normalised,
    // averaged and normalised again (Radford et al. 2021, prompt ensembling). [L, P] float32.
    // Rows are cached per (template set, label) for the life of this runtime.
    torch::Tensor labelEmbeddings(const std::vector<std::string> &labels, const std::vector<std::string> &templates,
        const std::function<bool()> &cancelled = {});
    // One row per label from a learnt (CoOp) prompt: [L, P] float32, L2-normalised, cached per
    // (prompt file identity, label) like template rows. Throws ml::Error for a prompt of another
    // text width, or labels a class-specific prompt has no context for.
    torch::Tensor promptEmbeddings(const std::vector<std::string> &labels, const LearntPrompt &prompt,
        const std::function<bool()> &cancelled = {});

private:
    ClipRuntime() = default;

    std::filesystem::path m_folder;
    std::string m_name;
    std::vector<std::string> m_warnings;
    std::unique_ptr<ClipInference> m_inference;
    std::unique_ptr<text::ClipTokenizer> m_tokenizer;
    kernels::PreprocessParams m_preprocess;
    std::mutex m_textMutex;
    std::unordered_map<std::string, torch::Tensor> m_textCache; // templates + label -> [P]
    // Fills rows[i] from the cache where keys[i] is cached ("" = never cached); returns the rest.
    std::vector<std::size_t> lookupTextCache(const std::vector<std::string> &keys, std::vector<torch::Tensor> &rows);
};

// The bytes a ClipRuntime of this config holds: matrices in dtype, the rest in float32 (what
// ClipInference keeps). Computed from the numbers alone, before anything is allocated.
std::int64_t estimateRuntimeBytes(const ClipConfig &config, torch::ScalarType dtype);
struct ModelEstimate {
    std::int64_t bytes = 0; // 0 when the config cannot be read (the load then says why)
    std::string configFile; // the file the figure comes from, as folder / name
};
ModelEstimate estimateRuntime(const std::filesystem::path &folder, torch::ScalarType dtype);

// The CLIP of folder from the engine's model cache (dtype / device as resolved names): loaded once
// however many ask at the same time, refused before any allocation when its config says it
// cannot fit the cache's budget.
std::shared_ptr<ClipRuntime> acquireClipRuntime(
    ModelCache &cache, const std::filesystem::path &folder, const std::string &dtype, const std::string &device);

// Label embeddings found in / added to the runtimes' caches since the process started.
struct ClipTextCounters {
    std::int64_t textHits = 0, textMisses = 0;
};
ClipTextCounters clipTextCounters();

// Decoded and preprocessed images: [n, 3, S, S] float32 and, per image, "" or the error
// (naming the file); rows of failed images are zero.
struct PixelBatch {
    torch::Tensor pixels;
    std::vector<std::string> errors;
    std::vector<double> frameTimes; // per file: a video's frame time (its middle), -1 for an image
};
// Decodes (io::loadImage; a video: the frame at the middle of its duration) and preprocesses
// (kernels::preprocessCpu) files on the pool, waiting for all of them. Images whose crop is not
// S x S fail with a message saying so.
PixelBatch preprocessFiles(const std::vector<std::string> &files, const kernels::PreprocessParams &params,
    std::int64_t imageSize, ThreadPool &pool, const std::function<bool()> &cancelled = {});

} // namespace ml::clip
