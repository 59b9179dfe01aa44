// Batch-1 matrix-vector products. Four rows at a time share each load of x; bf16 weights widen
// to fp32 by a 16-bit shift (bf16 is the top half of an fp32), so no bf16 instructions are needed
// and the same code serves AVX512-BF16, AVX512 and (8 lanes) AVX2 machines.
#include "gemv.h"

// GCC 12's AVX512 intrinsics start from _mm512_undefined_*(), which -O3 reports as maybe
// uninitialised (GCC bug 105593); the values are always written before they are read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

namespace ml::kernels {

namespace {

float bf16ToFloat(std::uint16_t v)
{
    const std::uint32_t bits = static_cast<std::uint32_t>(v) << 16;
    float f;
    __builtin_memcpy(&f, &bits, sizeof f);
    return f;
}

template<typename W, typename Load>
void scalarRows(const W *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1,
    std::int64_t k, Load load)
{
    for (std::int64_t r = row0; r < row1; ++r) {
        const W *row = w + r * k;
        float acc = 0.0f;
        for (std::int64_t i = 0; i < k; ++i)
            acc += load(row[i]) * x[i];
        y[r] = acc + (bias ? bias[r] : 0.0f);
    }
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

__attribute__((target("avx512f"))) __m512 load16(const float *p)
{
    return _mm512_loadu_ps(p);
}

__attribute__((target("avx512f"))) __m512 load16(const std::uint16_t *p)
{
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

template<typename W>
__attribute__((target("avx512f"))) void rows512(
    const W *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    const std::int64_t kv = k / 16 * 16;
    std::int64_t r = row0;
    for (; r + 4 <= row1; r += 4) {
        const W *a = w + r * k, *b = a + k, *c = b + k, *d = c + k;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (std::int64_t i = 0; i < kv; i += 16) {
            const __m512 xv = _mm512_loadu_ps(x + i);
            s0 = _mm512_fmadd_ps(load16(a + i), xv, s0);
            s1 = _mm512_fmadd_ps(load16(b + i), xv, s1);
            s2 = _mm512_fmadd_ps(load16(c + i), xv, s2);
            s3 = _mm512_fmadd_ps(load16(d + i), xv, s3);
        }
        float t[4] = {hsum512(s0), hsum512(s1), hsum512(s2), hsum512(s3)};
        const W *rows[4] = {a, b, c, d};
        for (int j = 0; j < 4; ++j) {
            for (std::int64_t i = kv; i < k; ++i)
                t[j] += (sizeof(W) == 2 ? bf16ToFloat(static_cast<std::uint16_t>(rows[j][i]))
                                        : static_cast<float>(rows[j][i]))
                    * x[i];
            y[r + j] = t[j] + (bias ? bias[r + j] : 0.0f);
        }
    }
    for (; r < row1; ++r) {
        const W *a = w + r * k;
        __m512 s = _mm512_setzero_ps();
        for (std::int64_t i = 0; i < kv; i += 16)
            s = _mm512_fmadd_ps(load16(a + i), _mm512_loadu_ps(x + i), s);
        float t = hsum512(s);
        for (std::int64_t i = kv; i < k; ++i)
            t += (sizeof(W) == 2 ? bf16ToFloat(static_cast<std::uint16_t>(a[i])) : static_cast<float>(a[i])) * x[i];
        y[r] = t + (bias ? bias[r] : 0.0f);
    }
}

__attribute__((target("avx2,fma"))) float hsum256(__m256 v)
{
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
}

__attribute__((target("avx2,fma"))) __m256 load8(const float *p)
{
    return _mm256_loadu_ps(p);
}

__attribute__((target("avx2,fma"))) __m256 load8(const std::uint16_t *p)
{
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

template<typename W>
__attribute__((target("avx2,fma"))) void rows256(
    const W *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    const std::int64_t kv = k / 8 * 8;
    for (std::int64_t r = row0; r < row1; ++r) {
        const W *a = w + r * k;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0;
        std::int64_t i = 0;
        for (; i + 16 <= kv; i += 16) {
            s0 = _mm256_fmadd_ps(load8(a + i), _mm256_loadu_ps(x + i), s0);
            s1 = _mm256_fmadd_ps(load8(a + i + 8), _mm256_loadu_ps(x + i + 8), s1);
        }
        for (; i < kv; i += 8)
            s0 = _mm256_fmadd_ps(load8(a + i), _mm256_loadu_ps(x + i), s0);
        float t = hsum256(_mm256_add_ps(s0, s1));
        for (; i < k; ++i)
            t += (sizeof(W) == 2 ? bf16ToFloat(static_cast<std::uint16_t>(a[i])) : static_cast<float>(a[i])) * x[i];
        y[r] = t + (bias ? bias[r] : 0.0f);
    }
}

enum class Path { Avx512, Avx2, Scalar };

Path path()
{
    static const Path p = [] {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f"))
            return Path::Avx512;
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            return Path::Avx2;
        return Path::Scalar;
    }();
    return p;
}

} // namespace

void gemvF32Reference(
    const float *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    scalarRows(w, x, bias, y, row0, row1, k, [](float v) { return v; });
}

void gemvBf16Reference(const std::uint16_t *w, const float *x, const float *bias, float *y, std::int64_t row0,
    std::int64_t row1, std::int64_t k)
{
    scalarRows(w, x, bias, y, row0, row1, k, bf16ToFloat);
}

void gemvF32(
    const float *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1, std::int64_t k)
{
    switch (path()) {
    case Path::Avx512:
        return rows512(w, x, bias, y, row0, row1, k);
    case Path::Avx2:
        return rows256(w, x, bias, y, row0, row1, k);
    case Path::Scalar:
        return gemvF32Reference(w, x, bias, y, row0, row1, k);
    }
}

void gemvBf16(const std::uint16_t *w, const float *x, const float *bias, float *y, std::int64_t row0, std::int64_t row1,
    std::int64_t k)
{
    switch (path()) {
    case Path::Avx512:
        return rows512(w, x, bias, y, row0, row1, k);
    case Path::Avx2:
        return rows256(w, x, bias, y, row0, row1, k);
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

} // namespace ml::kernels
