// The element-wise work between a transformer's matrix products, fused: one pass over memory
// for each of LayerNorm (+ the rounding to the next product's input type), bias + activation,
// scaled and masked softmax, and the residual add. Each has an AVX512 path (with the native
// bf16 conversion where the CPU has AVX512-BF16), an AVX2 path, chosen at run time, and a
// scalar reference the tests compare with. Statistics and sums are float32 throughout; bf16 is
// stored as its bits (round to nearest even). A call covers `rows` rows; the caller splits rows
// between threads.
#pragma once

#include <cstdint>

namespace ml::kernels {

enum class Activation { None, QuickGelu, Gelu, GeluTanh }; // x*sigmoid(1.702x), erf form, tanh form

// out[r, :] = (x[r, :] - mean) / sqrt(var + eps) * gamma + beta over rows of x [rows, c] (row
// stride c); population variance, as torch.nn.LayerNorm.
void layerNormF32(
    const float *x, std::int64_t rows, std::int64_t c, const float *gamma, const float *beta, float eps, float *out);
void layerNormBf16(const float *x, std::int64_t rows, std::int64_t c, const float *gamma, const float *beta, float eps,
    std::uint16_t *out);

// y[r, :] = act(y[r, :] + bias) in place (bias may be null).
void biasActF32(float *y, std::int64_t rows, std::int64_t n, const float *bias, Activation act);

// out[r, :] = softmax(scale * s[r, :] + mask[r % maskRows, :]) over rows of s [rows, n]; mask
// (additive, may hold -inf; null for none) is [maskRows, n]. A row whose entries are all -inf
// gives zeros.
void softmaxF32(const float *s, std::int64_t rows, std::int64_t n, float scale, const float *mask,
    std::int64_t maskRows, float *out);
void softmaxBf16(const float *s, std::int64_t rows, std::int64_t n, float scale, const float *mask,
    std::int64_t maskRows, std::uint16_t *out);

// x[r, :] += y[r, :] + bias (bias may be null) over rows of [rows, c]; y float32 or bf16.
void residualAddF32(float *x, const float *y, const float *bias, std::int64_t rows, std::int64_t c);
void residualAddBf16(float *x, const std::uint16_t *y, const float *bias, std::int64_t rows, std::int64_t c);

// The scalar references (the tests' oracle): the same signatures, plain loops, libm's expf,
// erff and tanhf.
void layerNormF32Reference(
    const float *x, std::int64_t rows, std::int64_t c, const float *gamma, const float *beta, float eps, float *out);
void layerNormBf16Reference(const float *x, std::int64_t rows, std::int64_t c, const float *gamma, const float *beta,
    float eps, std::uint16_t *out);
void biasActF32Reference(float *y, std::int64_t rows, std::int64_t n, const float *bias, Activation act);
void softmaxF32Reference(const float *s, std::int64_t rows, std::int64_t n, float scale, const float *mask,
    std::int64_t maskRows, float *out);
void softmaxBf16Reference(const float *s, std::int64_t rows, std::int64_t n, float scale, const float *mask,
    std::int64_t maskRows, std::uint16_t *out);
void residualAddF32Reference(float *x, const float *y, const float *bias, std::int64_t rows, std::int64_t c);
void residualAddBf16Reference(float *x, const std::uint16_t *y, const float *bias, std::int64_t rows, std::int64_t c);

// float32 <-> bf16 bits, round to nearest even (NaN stays NaN).
std::uint16_t floatToBf16(float f);
float bf16ToFloatBits(std::uint16_t b);
void floatToBf16Rows(const float *in, std::int64_t count, std::uint16_t *out); // vectorised

// "avx512bf16", "avx512", "avx2" or "scalar": what this CPU runs (the environment variable
// MODALLENS_SIMD=avx512|avx2|scalar caps it, to measure an older CPU's path on this one)
const char *fusedPath();
// For the tests: run `name`'s path from now on; false (and no change) where this CPU lacks it.
bool useFusedPath(const char *name);

} // namespace ml::kernels
