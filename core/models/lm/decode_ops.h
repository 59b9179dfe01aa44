// The small kernels every decoder's decode step shares at batch 1 (no autograd, CPU): a linear
// layer through the gemv kernels and attention of one new position over a float32 KV cache.
// Other shapes, devices or grad mode fall back to LibTorch.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>

namespace ml::lm {

// y = W x (+ b) for one position (x.numel() == W.size(1)): rows split between the threads, the
// weight read once, where LibTorch's GEMM would pack it first. Else torch::linear.
torch::Tensor linearOne(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b,
    std::optional<torch::ScalarType> outType = std::nullopt);

// Any x: linearOne for one position, torch::linear otherwise.
torch::Tensor linearAny(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b);

// Whether the decode-step fast path applies: batch 1, one position, a CPU float32 cache, no grad.
bool decodeFastPath(const torch::Tensor &x, const torch::Tensor *keys, bool masked);

// One new position against the cache: q [heads * D] (already scaled), k, v [kvHeads * D] float32;
// writes k, v at position `past` of keys / values ([1, kvHeads, capacity, D] float32) and returns
// [heads * D] float32. Query head h reads key-value head h / (heads / kvHeads) (grouped-query
// attention; kvHeads == heads is plain multi-head). probs (optional): [1, heads, 1, past + 1].
torch::Tensor attendOne(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v, torch::Tensor &keys,
    torch::Tensor &values, std::int64_t past, std::int64_t heads, std::int64_t kvHeads, torch::Tensor *probs);

// Additive mask [B, 1, T, past + T]: causal over the new positions, keys where attentionMask is 0
// masked; undefined for one new position without a mask (nothing to hide).
torch::Tensor causalMask(const torch::Tensor &attentionMask, std::int64_t past, std::int64_t B, std::int64_t T,
    torch::ScalarType dtype, const torch::Device &device);

} // namespace ml::lm
