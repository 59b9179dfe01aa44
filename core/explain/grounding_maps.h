// The maps of per-word grounding (grounding_service.h says what each method computes), for one
// merged LLaVA prompt and an answer: what the grounding job and `eval grounding` share.
#pragma once

#include "models/llava/llama_model.h"
#include "models/llava/llava_model.h"

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace ml::explain {

struct GroundingMaps {
    int layers = 0, heads = 0;
    torch::Tensor attention; // [T, layers, heads, N] float32: the producing position's row over the image
    torch::Tensor relevancy; // [T, N] (undefined without the gradient pass)
    torch::Tensor corrected; // [T, N]: relevancy (attention without the gradient pass) minus its context
    std::vector<float> imageShare, tokenProbs; // per token
};

// One forward over the prompt and the answer (all but its last token) with the attention
// probabilities kept; with `relevancy`, one backward per answer token. progress(done, total)
// after each token; it may throw to stop.
GroundingMaps groundingMaps(llava::LlamaForCausalLmImpl &lm, const llava::MergedPrompt &prompt,
    const std::vector<std::int64_t> &answer, bool relevancy,
    const std::function<void(std::int64_t, std::int64_t)> &progress = {});

// max(0, m - b c), b = <m, c> / <c, c> clamped to [0, 1]: m without the share c explains.
torch::Tensor removeContext(const torch::Tensor &m, const torch::Tensor &c);

} // namespace ml::explain
