// A LLaVA ready to chat: the model in the run dtype, its SentencePiece tokenizer, its CLIP image
// preprocessing and llava-1.5's conversation format; loaded through the engine's model cache,
// refused before any allocation when its config says it cannot fit the budget.
#pragma once

#include "models/llava/llava_model.h"
#include "models/vlm_runtime_info.h"
#include "preprocess.h"
#include "text/llama_tokenizer.h"

#include <torch/types.h>

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
} // namespace ml

namespace ml::llava {

class LlavaRuntime : public vlm::RuntimeInfo {
public:
    // Everything or nothing: one ml::Error naming the folder lists every problem. progress
    // (optional): (tensors bound, total) while the weights are copied in; may throw ml::Cancelled.
    static std::shared_ptr<LlavaRuntime> load(const std::filesystem::path &folder, torch::ScalarType dtype,
        torch::Device device, const std::function<void(std::int64_t, std::int64_t)> &progress = {});

    LlavaModel &model() { return m_model; }
    const LlavaConfig &config() const { return m_model->config(); }
    bool hasTokenizer() const { return m_tokenizer.has_value(); }
    const text::LlamaTokenizer &tokenizer() const; // throws ml::Error naming the missing file
    std::int64_t eosId() const;

    // 8-bit RGB rows -> [1, 3, S, S] float32 (CLIPImageProcessor: shortest edge, centre crop).
    torch::Tensor pixels(const std::uint8_t *rgb, int h, int w) const;
    int imageSize() const { return m_preprocess.cropHeight; }
    const kernels::PreprocessParams &preprocess() const { return m_preprocess; }

    // llava-1.5 (Vicuna v1): "USER: <image>\n{q1} ASSISTANT: {a1}</s>USER: {q2} ASSISTANT:".
    static std::string formatPrompt(const std::vector<ChatTurn> &history, const std::string &prompt);
    // The tokenizer's ids (bos first as its config says); each "</s>" of the format is the eos id.
    std::vector<std::int64_t> encodePrompt(const std::string &text) const;
    std::string decode(const std::vector<std::int64_t> &ids) const;
    std::string tokenText(std::int64_t id) const;

    // The projected features of one image: [1, N, H_lm] in the run dtype.
    torch::Tensor imageEmbeds(const torch::Tensor &pixels);

private:
    LlavaRuntime() = default;
    LlavaModel m_model {nullptr};
    kernels::PreprocessParams m_preprocess;
    std::optional<text::LlamaTokenizer> m_tokenizer;
    std::string m_tokenizerProblem;
};

// A conversation's ids: the tokenizer's (bos first as its config says), each "</s>" of the format
// the eos id and the text between encoded on its own, as the reference splits around its special
// tokens. LlavaRuntime::encodePrompt and the trainer's data use it.
std::vector<std::int64_t> encodeConversation(const text::LlamaTokenizer &tokenizer, const std::string &text);

// Bytes the runtime will hold (weights in dtype plus a full-context KV cache), from config.json
// alone.
using LlavaEstimate = vlm::RuntimeEstimate;
LlavaEstimate estimateLlava(const std::filesystem::path &folder, torch::ScalarType dtype);

std::shared_ptr<LlavaRuntime> acquireLlavaRuntime(ModelCache &cache, const std::filesystem::path &folder,
    const std::string &dtype, const std::string &device,
    const std::function<void(std::int64_t, std::int64_t)> &progress = {});

} // namespace ml::llava
