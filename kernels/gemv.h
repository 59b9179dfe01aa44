// Matrix-vector products for decoding at batch 1, where every weight is read once per token and
// the time is the memory's: y = W x + b over rows [row0, row1) of a row-major W (fp32 or bf16
// bits), x and y in fp32, accumulation in fp32. An AVX512 path and an AVX2 path chosen at run
// time, a scalar reference the tests compare with. The caller splits rows between threads.
#pragma once

#include <cstdint>

namespace ml::kernels {

// bias may be null. k: columns (x's length); rows of W are k apart.
void gemvF32(
    const float *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k);
void gemvBf16(const std::uint16_t *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1,
    std::int64_t k);

// The scalar references (the tests' oracle).
void gemvF32Reference(
    const float *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k);
void gemvBf16Reference(const std::uint16_t *w, const float *x, const float *bias, float *y, std::int64_t row0,
    std::int64_t row1, std::int64_t k);

const char *gemvPath(); // "avx512", "avx2" or "scalar": what this CPU runs
// For the tests: run `name`'s path from now on; false (and no change) where this CPU lacks it.
bool useGemvPath(const char *name);

} // namespace ml::kernels
