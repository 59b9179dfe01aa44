// The CPU forward of ClipInference's encoder towers: oneDNN products with their bias,
// activation and residual add fused in, the fused LayerNorm and softmax kernels between them.
// Activations are in the compute dtype (bf16 where the CPU has it, else float32) from one
// product to the next; LayerNorm statistics, softmax and every accumulation are float32, and so
// is the residual stream. Attention reads q, k and v in place from the [B * T, 3C] projection.
#pragma once

#include "fused.h"

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace ml::clip {

struct CpuLayer {
    const float *ln1Weight, *ln1Bias, *ln2Weight, *ln2Bias;    // [C]
    const void *qkvWeight, *outWeight, *fc1Weight, *fc2Weight; // [3C, C], [C, C], [I, C], [C, I] compute dtype
    const float *qkvBias, *outBias, *fc1Bias, *fc2Bias;        // [3C], [C], [I], [C]
};

struct CpuTower {
    std::vector<CpuLayer> layers;
    std::int64_t hidden = 0, intermediate = 0, heads = 1;
    float eps = 1e-5f;
    kernels::Activation act = kernels::Activation::QuickGelu;
    int qkvFormat = -1, outFormat = -1, fc1Format = -1, fc2Format = -1; // packed weights (onednn::Packing)
};

// True where this build can run it (oneDNN present); with bf16, where oneDNN also runs bf16 here.
bool cpuForwardAvailable(bool bf16 = false);

// x: [B * T, C] float32, updated in place. bf16: products in bf16 (else float32). causal: the
// text tower's mask.
void runCpuEncoder(const CpuTower &tower, float *x, std::int64_t B, std::int64_t T, bool causal, bool bf16);

// A Linear's weight [n, k] in the compute dtype as the fused engine holds it: repacked into the
// layout oneDNN's products prefer (data: the packed bytes, format >= 0), or as it was (format -1).
struct CpuWeight {
    torch::Tensor data;
    std::int64_t n = 0; // output features (the packed bytes do not say)
    int format = -1;    // onednn::Matmul::weiFormat
};
CpuWeight packForCpu(const torch::Tensor &w, bool bf16);

// out [m, n] float32 = in [m, k] (compute dtype) times w's transpose: the patch embedding, the projections.
void cpuLinear(const void *in, const CpuWeight &w, float *out, std::int64_t m, std::int64_t k, bool bf16);

} // namespace ml::clip
