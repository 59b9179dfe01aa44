// A CLIP held for explaining: the module graph (the explicit path, which returns attention
// probabilities and lets gradients reach them), its tokenizer and preprocessing, and the fast
// path built from the same weights so every explanation can say how far the two are apart.
#pragma once

#include "explain/attention_maps.h"
#include "models/clip/clip_inference.h"
#include "models/clip/clip_model.h"
#include "preprocess.h"
#include "text/clip_tokenizer.h"

#include <torch/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ml::explain {

// One image through the explicit vision path.
struct VisionTrace {
    std::vector<torch::Tensor> attentions; // per layer [H, T, T] float32, CPU
    torch::Tensor embedding;               // [D] L2-normalised, explicit path
    double fastPathMaxAbsDiff = 0.0;       // max |explicit - fast| over the embedding
};

// One image-text pair: Chefer et al.'s relevance on both towers for their cosine similarity.
struct RelevanceTrace {
    torch::Tensor imageRelevance;    // R [T, T] float64 (vision tokens)
    torch::Tensor textRelevance;     // R [Tt, Tt] float64 (text tokens, BOS .. EOS)
    std::int64_t eosIndex = 0;       // the text row that is pooled
    double similarity = 0.0;         // cosine of the explicit path's embeddings
    double fastPathMaxAbsDiff = 0.0; // max over both embeddings of |explicit - fast|
};

class ClipExplainer {
public:
    // model: float32, on the CPU (loadClip's). The explicit path runs in float32 on `device`; the
    // fast path for comparison in `fastDtype` there (what the rest of the app embeds with).
    ClipExplainer(clip::ClipModel model, std::shared_ptr<const text::ClipTokenizer> tokenizer,
        kernels::PreprocessParams preprocess, torch::ScalarType fastDtype, torch::Device device);

    // A Hugging Face CLIP folder; one ml::Error names the folder and every problem.
    static std::shared_ptr<ClipExplainer> load(
        const std::filesystem::path &folder, torch::ScalarType fastDtype, torch::Device device);

    std::int64_t imageSize() const { return m_model->config().vision_config.image_size; }
    std::int64_t patchSize() const { return m_model->config().vision_config.patch_size; }
    std::int64_t gridSize() const { return imageSize() / patchSize(); }
    std::int64_t layers() const { return m_model->config().vision_config.num_hidden_layers; }
    std::int64_t heads() const { return m_model->config().vision_config.num_attention_heads; }
    const kernels::PreprocessParams &preprocess() const { return m_preprocess; }
    const text::ClipTokenizer *tokenizer() const { return m_tokenizer.get(); } // null for built-in-memory models
    torch::Device device() const { return m_device; }
    torch::ScalarType fastDtype() const { return m_fastDtype; }
    std::int64_t residentBytes() const; // both paths' weights, shared storage counted once

    // 8-bit RGB (HWC, packed rows) -> the crop the model sees [S, S, 3] uint8 and its pixel
    // values [1, 3, S, S] float32. Throws ml::Error when the crop is not S x S.
    torch::Tensor cropOf(const std::uint8_t *rgb, int width, int height) const;
    torch::Tensor pixelsOf(const torch::Tensor &crop) const;

    // Token ids (BOS .. EOS, no padding) of a text; throws ml::Error without a tokenizer.
    torch::Tensor tokenIds(const std::string &text) const;
    std::vector<std::string> tokenStrings(const torch::Tensor &ids) const; // "red</w>" -> "red"

    VisionTrace vision(const torch::Tensor &pixels) const; // pixels [1, 3, S, S]
    // ids: [Tt] with EOS last. startLayer: the first layer whose attention adds relevance.
    RelevanceTrace relevance(const torch::Tensor &pixels, const torch::Tensor &ids, std::int64_t startLayer = 0) const;

    // Fast path, no graph: [B, D] image embeddings, [D] text embedding (L2-normalised, float32, CPU).
    torch::Tensor fastImageEmbeddings(const torch::Tensor &pixels) const;
    torch::Tensor fastTextEmbedding(const torch::Tensor &ids) const;

private:
    mutable clip::ClipModel m_model; // forward() is not const; the weights are never changed
    std::shared_ptr<const text::ClipTokenizer> m_tokenizer;
    kernels::PreprocessParams m_preprocess;
    torch::ScalarType m_fastDtype;
    torch::Device m_device;
    std::unique_ptr<clip::ClipInference> m_fast;
};

// The deletion metric (Petsiuk et al. 2018, RISE; Chefer et al. 2021's "negative perturbation"
// reversed): the patches of `pixels` [1, 3, S, S] are replaced, one by one in `order` (patch
// indices, row-major), by `fill` (pixel values of one colour, [3]); returns the cosine similarity
// to `textEmbedding` [D] after 0, step, 2 step, ..., P deletions (fast path; the last point is
// always the fully deleted image).
std::vector<double> deletionCurve(const ClipExplainer &explainer, const torch::Tensor &pixels,
    const torch::Tensor &textEmbedding, const std::vector<std::int64_t> &order, const torch::Tensor &fill,
    std::int64_t step = 1);
// Area under a curve sampled at evenly spaced points of [0, 1] (trapezoids).
double curveArea(const std::vector<double> &curve);
// Patch indices by decreasing value (ties: lower index first).
std::vector<std::int64_t> orderByDecreasing(const torch::Tensor &map);
// The pixel values [3] of an 8-bit RGB colour after the explainer's normalisation.
torch::Tensor normalisedColour(const ClipExplainer &explainer, std::uint8_t r, std::uint8_t g, std::uint8_t b);

} // namespace ml::explain
