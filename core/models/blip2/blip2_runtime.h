// A BLIP-2 ready to chat: the model in the run dtype, its tokenizer (when the folder has one), its
// image preprocessing and prompt format; loaded through the engine's model cache, refused before
// any allocation when its config says it cannot fit the budget.
#pragma once

#include "models/blip2/blip2_model.h"
#include "models/vlm_runtime_info.h"
#include "text/gpt2_tokenizer.h"

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml {
class ModelCache;
struct ChatTurn;
struct QFormerResult;
} // namespace ml

namespace ml::blip2 {

// BlipImageProcessor (preprocessor_config.json): resize to height x width (PIL bicubic, the
// aspect not kept, no crop), rescale, normalise.
struct Blip2ImageProcessor {
    int height = 224, width = 224;
    double rescale = 1.0 / 255.0;
    std::array<float, 3> mean {0.48145466f, 0.4578275f, 0.40821073f};
    std::array<float, 3> std {0.26862954f, 0.26130258f, 0.27577711f};
    // rgb: 8-bit RGB rows packed -> [1, 3, height, width] float32.
    torch::Tensor operator()(const std::uint8_t *rgb, int h, int w) const;
};

class Blip2Runtime : public vlm::RuntimeInfo {
public:
    // Everything or nothing: one ml::Error naming the folder lists every problem (not a BLIP-2,
    // config errors, missing or mis-shaped weights, pickles only). Loads shard by shard from the
    // memory-mapped files straight into parameters built in dtype.
    // progress (optional): (tensors bound, total) while the weights are copied in; may throw
    // ml::Cancelled to stop.
    static std::shared_ptr<Blip2Runtime> load(const std::filesystem::path &folder, torch::ScalarType dtype,
        torch::Device device, const std::function<void(std::int64_t, std::int64_t)> &progress = {});

    Blip2Model &model() { return m_model; }
    const Blip2Config &config() const { return m_model->config(); }
    const Blip2ImageProcessor &processor() const { return m_processor; }
    bool hasTokenizer() const { return m_tokenizer.has_value(); }
    const text::Gpt2Tokenizer &tokenizer() const; // throws ml::Error naming the missing files

    // "Question: {q} Answer: {a}. ... Question: {prompt} Answer:" (BLIP-2's VQA format).
    static std::string formatPrompt(const std::vector<ChatTurn> &history, const std::string &prompt);
    // Token ids of a prompt: the tokenizer's, always starting with OPT's bos "</s>".
    std::vector<std::int64_t> encodePrompt(const std::string &text) const;
    std::string decode(const std::vector<std::int64_t> &ids) const;
    std::string tokenText(std::int64_t id) const;

    // The soft prompt of one image: [1, Q, H_lm] in the run dtype (queries projected).
    torch::Tensor queryEmbeds(const torch::Tensor &pixels);
    // [1, Q + T, H_lm]: the queries then the prompt's token embeddings.
    torch::Tensor promptEmbeds(const torch::Tensor &queries, const std::vector<std::int64_t> &ids);

private:
    Blip2Runtime() = default;
    Blip2Model m_model {nullptr};
    Blip2ImageProcessor m_processor;
    std::optional<text::Gpt2Tokenizer> m_tokenizer;
    std::string m_tokenizerProblem;
};

// Bytes the runtime will hold (weights in dtype, vision/Q-Former/OPT alike), from config.json
// alone.
using Blip2Estimate = vlm::RuntimeEstimate;
Blip2Estimate estimateBlip2(const std::filesystem::path &folder, torch::ScalarType dtype);

// The Q-Former's view of one image ([1, 3, S, S] float32 pixels): cross- and self-attention, the
// query similarity; names and dtype are the caller's to fill.
QFormerResult inspectQFormer(Blip2Runtime &rt, const torch::Tensor &pixels);

std::shared_ptr<Blip2Runtime> acquireBlip2Runtime(ModelCache &cache, const std::filesystem::path &folder,
    const std::string &dtype, const std::string &device,
    const std::function<void(std::int64_t, std::int64_t)> &progress = {});

} // namespace ml::blip2
