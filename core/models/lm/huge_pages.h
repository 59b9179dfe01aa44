// Decoding at batch 1 reads every weight once per token, so its speed is the memory's. Weights in
// 4 KiB pages cost a TLB miss every 4 KiB of that stream; in 2 MiB pages the same read runs up to
// twice as fast on one core (measured on Zen 4, see README "Decoding speed").
#pragma once

#include <torch/types.h>

#include <vector>

namespace ml::lm {

// Moves the CPU tensors' storage (parameters included, in place through set_data) into one
// anonymous mapping advised for transparent huge pages, one tensor at a time so the peak stays
// one tensor above the model. A no-op where the kernel offers no huge pages (THP "never") or off
// Linux; non-CPU and non-contiguous tensors stay where they are. Returns the bytes moved.
std::int64_t moveToHugePages(const std::vector<torch::Tensor> &tensors);

// The memory's read bandwidth as decoding sees it, in GB/s: every thread of at::parallel_for
// streams its share of a `bytes` buffer held in huge pages (where offered); the best of `passes`
// passes. What `bench lm` divides the weight bytes per token by.
double measureReadBandwidth(std::int64_t bytes = std::int64_t(1) << 30, int passes = 5);

} // namespace ml::lm
