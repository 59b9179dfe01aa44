// The language-model golden fixtures' generation settings and id lists, Qt-free: shared by the Qt
// golden tests (golden_test_util.h) and the GPU tests (gpu/test_gpu_lm.cpp).
#pragma once

#include "models/lm/generate.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

// A tensor of ids as a vector (from any device).
inline std::vector<std::int64_t> tensorIds(const torch::Tensor &t)
{
    const auto c = t.to(torch::kCPU, torch::kLong).contiguous();
    return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

// Greedy, 8 new tokens, eos 2, as the fixtures were generated; no tokenizer: texts are counts.
inline ml::lm::GenerateOptions goldenGreedyOptions()
{
    ml::lm::GenerateOptions o;
    o.sampling.maxNewTokens = 8;
    o.eosId = 2;
    o.decode = [](const std::vector<std::int64_t> &v) { return std::to_string(v.size()); };
    o.tokenText = [](std::int64_t id) { return std::to_string(id); };
    return o;
}
