// Batch-1 matrix-vector products. A thread walks its rows one after another, so the weights are
// read as a single sequential stream the hardware prefetcher follows at full bandwidth (four
// interleaved row streams, the obvious blocking, read at a third of it on Zen 4). bf16 weights
// widen to fp32 without conversion instructions: a 32-bit lane holding two bf16 gives the even
// one by a 16-bit shift left and the odd one by masking the low half, multiplied with x split
// into its even and odd elements once per call. No bf16 instructions are needed, so the same
// code serves AVX512-BF16, AVX512 and (8 lanes) AVX2 machines, with x and the sums in fp32.
#include "gemv.h"

// GCC 12's AVX512 intrinsics start from _mm512_undefined_*(), which -O3 reports as maybe
// uninitialised (GCC bug 105593); the values are always written before they are read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>
#include <string>
#include <vector>

namespace ml::kernels {

namespace {

float bf16ToFloat(std::uint16_t v)
{
    const std::uint32_t bits = static_cast<std::uint32_t>(v) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

float load1(float v)
{
    return v;
}

float load1(std::uint16_t v)
{
    return bf16ToFloat(v);
}

template<typename W>
void scalarRows(const W *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1,
    std::int64_t k, std::int64_t from = 0)
{
    for (std::int64_t r = row0; r < row1; ++r) {
        const W *row = w + r * k;
        float acc = 0.0f;
        for (std::int64_t i = from; i < k; ++i)
            acc += load1(row[i]) * x[i];
        y[r] = (from ? y[r] : 0.0f) + acc + (bias ? bias[r] : 0.0f);
    }
}

// x split per block of `block` elements into its even then its odd half (the bf16 paths).
const float *splitEvenOdd(const float *x, std::int64_t k, std::int64_t block)
{
    thread_local std::vector<float> split;
    split.resize(static_cast<std::size_t>(k));
    const std::int64_t half = block / 2;
    for (std::int64_t b = 0; b + block <= k; b += block)
        for (std::int64_t j = 0; j < half; ++j) {
            split[b + j] = x[b + 2 * j];
            split[b + half + j] = x[b + 2 * j + 1];
        }
    return split.data();
}

// Not _mm512_reduce_add_ps: GCC 12 warns about its undefined-register idiom (-Werror).
__attribute__((target("avx512f"))) float hsum512(__m512 v)
{
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    float s = 0.0f;
    for (float e : t)
        s += e;
    return s;
}

__attribute__((target("avx512f"))) void f32Rows512(
    const float *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    const std::int64_t kv = k / 32 * 32;
    for (std::int64_t r = row0; r < row1; ++r) {
        const float *a = w + r * k;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0;
        for (std::int64_t i = 0; i < kv; i += 32) {
            s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(x + i), s0);
            s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(x + i + 16), s1);
        }
        y[r] = hsum512(_mm512_add_ps(s0, s1));
    }
    scalarRows(w, x, bias, y, row0, row1, k, kv);
}

// xs: x split per 32 elements (splitEvenOdd).
__attribute__((target("avx512f"))) void bf16Rows512(const std::uint16_t *w, const float *x, const float *xs,
    const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    const std::int64_t kv = k / 32 * 32;
    const __m512i high = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
    for (std::int64_t r = row0; r < row1; ++r) {
        const std::uint16_t *a = w + r * k;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0;
        for (std::int64_t i = 0; i < kv; i += 32) {
            const __m512i v = _mm512_loadu_si512(a + i);
            s0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v, 16)), _mm512_loadu_ps(xs + i), s0);
            s1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v, high)), _mm512_loadu_ps(xs + i + 16), s1);
        }
        y[r] = hsum512(_mm512_add_ps(s0, s1));
    }
    scalarRows(w, x, bias, y, row0, row1, k, kv);
}

__attribute__((target("avx2,fma"))) float hsum256(__m256 v)
{
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
}

__attribute__((target("avx2,fma"))) void f32Rows256(
    const float *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    const std::int64_t kv = k / 16 * 16;
    for (std::int64_t r = row0; r < row1; ++r) {
        const float *a = w + r * k;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0;
        for (std::int64_t i = 0; i < kv; i += 16) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(x + i), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(x + i + 8), s1);
        }
        y[r] = hsum256(_mm256_add_ps(s0, s1));
    }
    scalarRows(w, x, bias, y, row0, row1, k, kv);
}

// xs: x split per 16 elements.
__attribute__((target("avx2,fma"))) void bf16Rows256(const std::uint16_t *w, const float *x, const float *xs,
    const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    const std::int64_t kv = k / 16 * 16;
    const __m256i high = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
    for (std::int64_t r = row0; r < row1; ++r) {
        const std::uint16_t *a = w + r * k;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0;
        for (std::int64_t i = 0; i < kv; i += 16) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(a + i));
            s0 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), _mm256_loadu_ps(xs + i), s0);
            s1 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(v, high)), _mm256_loadu_ps(xs + i + 8), s1);
        }
        y[r] = hsum256(_mm256_add_ps(s0, s1));
    }
    scalarRows(w, x, bias, y, row0, row1, k, kv);
}

enum class Path { Avx512, Avx2, Scalar };

Path detected()
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return Path::Avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return Path::Avx2;
    return Path::Scalar;
}

Path &path()
{
    static Path p = detected();
    return p;
}

} // namespace

void gemvF32Reference(
    const float *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    scalarRows(w, x, bias, y, row0, row1, k);
}

void gemvBf16Reference(const std::uint16_t *w, const float *x, const float *bias, float *y, std::int64_t row0,
    std::int64_t row1, std::int64_t k)
{
    scalarRows(w, x, bias, y, row0, row1, k);
}

void gemvF32(
    const float *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    switch (path()) {
    case Path::Avx512:
        return f32Rows512(w, x, bias, y, row0, row1, k);
    case Path::Avx2:
        return f32Rows256(w, x, bias, y, row0, row1, k);
    case Path::Scalar:
        return gemvF32Reference(w, x, bias, y, row0, row1, k);
    }
}

void gemvBf16(const std::uint16_t *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1,
    std::int64_t k)
{
    switch (path()) {
    case Path::Avx512:
        return bf16Rows512(w, x, splitEvenOdd(x, k, 32), bias, y, row0, row1, k);
    case Path::Avx2:
        return bf16Rows256(w, x, splitEvenOdd(x, k, 16), bias, y, row0, row1, k);
    case Path::Scalar:
        return gemvBf16Reference(w, x, bias, y, row0, row1, k);
    }
}

const char *gemvPath()
{
    switch (path()) {
    case Path::Avx512:
        return "avx512";
    case Path::Avx2:
        return "avx2";
    case Path::Scalar:
        break;
    }
    return "scalar";
}

bool useGemvPath(const char *name)
{
    const std::string want = name;
    const Path best = detected();
    if (want == "avx512" && best == Path::Avx512)
        path() = Path::Avx512;
    else if (want == "avx2" && best != Path::Scalar)
        path() = Path::Avx2;
    else if (want == "scalar")
        path() = Path::Scalar;
    else
        return false;
    return true;
}

} // namespace ml::kernels
