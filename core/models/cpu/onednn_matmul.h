// Matrix products on the CPU through oneDNN (the library LibTorch itself links), with what
// follows a product fused into it: bias, activation, the scale, and the add into the float32
// residual. Operands are raw pointers with strides, so a transformer's attention reads q, k and
// v straight out of the fused [B * T, 3C] projection and writes its output in [B * T, C] order:
// no per-head copies. Primitives are built once per shape and cached; a product runs on the
// calling thread's OpenMP team (at::set_num_threads).
#pragma once

#include "fused.h"

#include <array>
#include <cstdint>
#include <string>

namespace ml::onednn {

bool available(); // built with oneDNN (MODALLENS_HAVE_DNNL)

enum class Type { F32, Bf16 };

// Whether oneDNN runs products of this type on this CPU (bf16 needs AVX512 at least; an AVX2-only
// CPU, or DNNL_MAX_CPU_ISA=AVX2, has none). Tried once.
bool supports(Type type);

// dst[b0, b1, m, n] = act(scale * sum_k src[b0, b1, m, k] * wei[b0, b1, k, n] + bias[n])
//                     (+ dst[b0, b1, m, n] when accumulate)
// Strides are in elements, in the order of the dims: {b0, b1, row, column}. Batch dims of 1
// make a plain 2-D product.
struct Matmul {
    std::int64_t b0 = 1, b1 = 1, m = 0, n = 0, k = 0;
    std::array<std::int64_t, 4> srcStrides {}, weiStrides {}, dstStrides {};
    Type src = Type::F32, wei = Type::F32, dst = Type::F32;
    bool bias = false; // float32 [n]
    float scale = 1.0f;
    kernels::Activation act = kernels::Activation::None;
    bool accumulate = false;
    int weiFormat = -1; // >= 0: the weight is packed (packWeight's format), weiStrides unused

    // Row-major [m, k] times the transpose of a row-major [n, k] weight (a Linear), into
    // row-major [m, n]: the strides of the common case.
    static Matmul linear(std::int64_t m, std::int64_t n, std::int64_t k, Type in, Type out);
    std::string key() const;
};

// A Linear's weight, row-major [n, k], repacked once into the blocked layout oneDNN's product
// prefers: at a few rows (a batch of one image) the product then reads it as it is instead of
// repacking it on every call (1.3x in float32, 1.6x in bf16 at 50 rows here). format: what
// Matmul::weiFormat takes, or -1 where the plain layout is what oneDNN wants (then nothing to do).
struct Packing {
    int format = -1;
    std::size_t bytes = 0;
};
Packing packingFor(std::int64_t n, std::int64_t k, Type type);
void packWeight(const Packing &packing, const void *weight, std::int64_t n, std::int64_t k, Type type, void *out);

// Runs `mm` (building its primitive on first use); throws ml::Error on a shape oneDNN refuses.
void run(const Matmul &mm, const void *src, const void *wei, const float *bias, void *dst);

const char *isaName(); // the instruction set oneDNN dispatches to here, e.g. "avx512_core_bf16"

} // namespace ml::onednn
