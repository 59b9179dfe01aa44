// Greedy short answers of a BLIP-2 for many (image, prompt) pairs at once: what VQA evaluation
// (`eval vqa`, the trainer's held-out sets) needs. Batched without a KV cache: answers are a few
// tokens, and a batch of 64 prompts costs far less than 64 single-prompt generations.
#pragma once

#include "models/blip2/blip2_model.h"

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ml::text {
class Gpt2Tokenizer;
} // namespace ml::text

namespace ml::blip2 {

struct GreedyAnswer {
    std::vector<std::int64_t> ids; // generated, up to (not including) eos
    std::string text;              // decoded, special tokens skipped, trimmed
    float firstProb = 0.0f;        // softmax probability of the first generated token
};

struct GreedyOptions {
    int maxNewTokens = 8;
    int chunk = 64;                                  // items per forward pass
    std::function<bool()> cancelled;                 // asked between chunks
    std::function<void(std::int64_t done)> progress; // after each chunk
};

// pixels [N, 3, S, S] (BlipImageProcessor's), promptIds[n] the prompt's ids (bos first). Greedy
// until eos or maxNewTokens, under NoGradGuard with the model in eval mode (the caller restores
// train mode); the tokenizer decodes. nullopt when cancelled.
std::optional<std::vector<GreedyAnswer>> greedyAnswers(Blip2ModelImpl &model, const text::Gpt2Tokenizer &tokenizer,
    const torch::Tensor &pixels, const std::vector<std::vector<std::int64_t>> &promptIds,
    const GreedyOptions &options = {});

} // namespace ml::blip2
