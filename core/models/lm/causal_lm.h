// What every decoder-only language model gives the shared runtime (generation, scoring, the
// explainers): token embeddings, a forward over input embeddings with a preallocated KV cache,
// and on request the attention probabilities and hidden states. OPT (BLIP-2) implements it;
// LLaMA (LLaVA) is next.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace ml::lm {

// Keys and values of every layer, allocated once for the whole conversation ([B, heads, capacity,
// head_dim] each) and filled in place: a decode step allocates no cache memory.
struct KvCache {
    std::vector<torch::Tensor> keys, values;
    std::int64_t length = 0; // positions filled
    std::int64_t capacity() const { return keys.empty() ? 0 : keys.front().size(2); }
};

struct LmRequest {
    bool attentions = false;     // per layer [B, heads, T, past + T] float32 probabilities
    bool hiddenStates = false;   // layers + 1 entries of [B, T, C] (the last after the final norm)
    bool lastLogitsOnly = false; // logits of the last position only ([B, 1, V]): decoding
};

struct LmOutput {
    torch::Tensor logits; // [B, T, V] (or [B, 1, V]) in the model's dtype
    std::vector<torch::Tensor> attentions;
    std::vector<torch::Tensor> hiddenStates;
};

class CausalLm {
public:
    virtual ~CausalLm() = default;
    // [B, T] int64 -> [B, T, E]: what forward() takes (E: the input embedding width).
    virtual torch::Tensor embedTokens(const torch::Tensor &ids) = 0;
    virtual KvCache newCache(std::int64_t batch, std::int64_t capacity) = 0;
    // embeds [B, T, E] continue what cache holds (null: no cache, positions from 0).
    // attentionMask: [B, past + T] of 1 / 0 (right padding while training), or undefined = all ones.
    virtual LmOutput forward(
        const torch::Tensor &embeds, KvCache *cache, const torch::Tensor &attentionMask, const LmRequest &request)
        = 0;
    virtual std::int64_t maxPositions() const = 0;
    virtual std::int64_t vocabSize() const = 0;
    virtual std::int64_t numLayers() const = 0;
    virtual std::int64_t numHeads() const = 0;
};

} // namespace ml::lm
