// Greedy answers of a LLaVA for many (image, prompt) pairs, through the chat's own decoder
// (lm::generate over the merged prompt, as the chat job runs it): what VQA and caption evaluation
// (`eval vqa`, the trainer's held-out sets) need.
#pragma once

#include "models/llava/llava_model.h"

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ml::text {
class LlamaTokenizer;
} // namespace ml::text

namespace ml::train {

struct LlavaAnswer {
    std::vector<std::int64_t> ids; // generated, up to (not including) eos
    std::string text;              // decoded, special tokens skipped, trimmed
    float firstProb = 0.0f;        // softmax probability of the first generated token
};

struct LlavaAnswerOptions {
    int maxNewTokens = 8;
    int chunk = 64;                                  // images per vision-tower pass
    std::function<bool()> cancelled;                 // asked between answers
    std::function<void(std::int64_t done)> progress; // after each chunk
};

// pixels [N, 3, S, S] float32 (CLIPImageProcessor's), promptIds[n] the prompt's ids with its one
// <image> token. Greedy until eos or maxNewTokens, under NoGradGuard with the model in eval mode
// (the caller restores train mode). nullopt when cancelled.
std::optional<std::vector<LlavaAnswer>> llavaGreedyAnswers(llava::LlavaModelImpl &model,
    const text::LlamaTokenizer &tokenizer, const torch::Tensor &pixels,
    const std::vector<std::vector<std::int64_t>> &promptIds, const LlavaAnswerOptions &options = {});

} // namespace ml::train
