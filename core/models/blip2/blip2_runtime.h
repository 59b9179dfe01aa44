// A BLIP-2 ready to chat: the model in the run dtype, its tokenizer (when the folder has one), its
// image preprocessing and prompt format; loaded through the engine's model cache, refused before
// any allocation when its config says it cannot fit the budget.
#pragma once

#include "models/blip2/blip2_model.h"
#include "text/gpt2_tokenizer.h"

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml {
class ModelCache;
struct ChatTurn;
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

class Blip2Runtime {
public:
    // Everything or nothing: one ml::Error naming the folder lists every problem (not a BLIP-2,
    // config errors, missing or mis-shaped weights, pickles only). Loads shard by shard from the
    // memory-mapped files straight into parameters built in dtype.
    static std::shared_ptr<Blip2Runtime> load(
        const std::filesystem::path &folder, torch::ScalarType dtype, torch::Device device);

    Blip2Model &model() { return m_model; }
    const Blip2Config &config() const { return m_model->config(); }
    const Blip2ImageProcessor &processor() const { return m_processor; }
    bool hasTokenizer() const { return m_tokenizer.has_value(); }
    const text::Gpt2Tokenizer &tokenizer() const; // throws ml::Error naming the missing files
    const std::string &name() const { return m_name; }
    const std::filesystem::path &folder() const { return m_folder; }
    torch::ScalarType dtype() const { return m_dtype; }
    torch::Device device() const { return m_device; }
    std::int64_t bytes() const { return m_bytes; }
    const std::vector<std::string> &warnings() const { return m_warnings; }

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
    std::filesystem::path m_folder;
    std::string m_name;
    Blip2Model m_model {nullptr};
    Blip2ImageProcessor m_processor;
    std::optional<text::Gpt2Tokenizer> m_tokenizer;
    std::string m_tokenizerProblem;
    torch::ScalarType m_dtype = torch::kFloat;
    torch::Device m_device = torch::kCPU;
    std::int64_t m_bytes = 0;
    std::vector<std::string> m_warnings;
};

// Bytes the runtime will hold (weights in dtype, vision/Q-Former/OPT alike), from config.json
// alone; 0 with the file named when it cannot be read (the load then says why).
struct Blip2Estimate {
    std::int64_t bytes = 0;
    std::string configFile;
};
Blip2Estimate estimateBlip2(const std::filesystem::path &folder, torch::ScalarType dtype);

std::shared_ptr<Blip2Runtime> acquireBlip2Runtime(
    ModelCache &cache, const std::filesystem::path &folder, const std::string &dtype, const std::string &device);

} // namespace ml::blip2
