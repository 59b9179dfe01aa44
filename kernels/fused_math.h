// The vector maths of the fused kernels (fused.cpp, its only user): exp, GELU through erfc, and the
// activations, for 16 (AVX512) and 8 (AVX2) float lanes, each accurate to a few ulps.
#pragma once

#include "fused.h"

#include <immintrin.h>

#include <cstddef>
#include <limits>

#define TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define TARGET_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define TARGET_AVX2 __attribute__((target("avx2,fma")))

namespace ml::kernels::vecmath {

inline constexpr float kInf = std::numeric_limits<float>::infinity();
inline constexpr float kSqrtHalf = 0.70710678118654752f;
inline constexpr float kSqrt2OverPi = 0.79788456080286536f;
inline constexpr float kQuickGelu = 1.702f;
inline constexpr float kGeluTanhCubic = 0.044715f;

// Ref: Cephes expf. exp(x) = 2^n exp(r), r = x - n ln2 (ln2 in two parts), |r| <= ln2 / 2. Below
// kExpLo the result rounds to 0, above kExpHi to inf; the clamp keeps -inf and huge inputs finite.
inline constexpr float kExpLo = -104.0f;
inline constexpr float kExpHi = 89.0f;
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;
inline constexpr float kLn2Lo = -2.12194440e-4f;
inline constexpr float kExpPoly[]
    = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

// Ref: Numerical Recipes' erfcc. erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), z >= 0, relative
// error < 1.2e-7. GELU goes through erfc, not 1 + erf, so its left tail keeps its relative accuracy.
inline constexpr float kErfcPoly[] = {0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f,
    0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f};

template<std::size_t N> TARGET_AVX512 inline __m512 horner512(__m512 t, const float (&c)[N])
{
    __m512 p = _mm512_set1_ps(c[0]);
    for (std::size_t k = 1; k < N; ++k)
        p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(c[k]));
    return p;
}

TARGET_AVX512 inline __m512 exp512(__m512 x)
{
    x = _mm512_max_ps(_mm512_set1_ps(kExpLo), _mm512_min_ps(_mm512_set1_ps(kExpHi), x)); // NaN passes
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
    const __m512 p = _mm512_fmadd_ps(horner512(r, kExpPoly), _mm512_mul_ps(r, r), r);
    return _mm512_scalef_ps(_mm512_add_ps(p, _mm512_set1_ps(1.0f)), n); // rounds once below 2^-126
}

TARGET_AVX512 inline __m512 gelu512(__m512 x)
{
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    const __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(kSqrtHalf));
    const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(z, half, one));
    const __m512 erfc = _mm512_mul_ps(t, exp512(_mm512_fnmadd_ps(z, z, horner512(t, kErfcPoly))));
    const __m512 hx = _mm512_mul_ps(half, x);
    // x >= 0: x (1 - erfc/2) (not x - x erfc/2, NaN at inf); x < 0: x erfc / 2.
    const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mul_ps(_mm512_mul_ps(x, _mm512_fnmadd_ps(half, erfc, one)), negative, hx, erfc);
}

template<Activation A> TARGET_AVX512 inline __m512 act512(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    if constexpr (A == Activation::QuickGelu)
        return _mm512_div_ps(x, _mm512_add_ps(one, exp512(_mm512_mul_ps(_mm512_set1_ps(-kQuickGelu), x))));
    if constexpr (A == Activation::Gelu)
        return gelu512(x);
    if constexpr (A == Activation::GeluTanh) { // 0.5 (1 + tanh(u)) = sigmoid(2u)
        const __m512 u = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(kGeluTanhCubic), _mm512_mul_ps(x, x)), x, x);
        return _mm512_div_ps(x, _mm512_add_ps(one, exp512(_mm512_mul_ps(_mm512_set1_ps(-2.0f * kSqrt2OverPi), u))));
    }
    return x;
}

template<std::size_t N> TARGET_AVX2 inline __m256 horner256(__m256 t, const float (&c)[N])
{
    __m256 p = _mm256_set1_ps(c[0]);
    for (std::size_t k = 1; k < N; ++k)
        p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(c[k]));
    return p;
}

TARGET_AVX2 inline __m256 pow2i256(__m256i n)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

TARGET_AVX2 inline __m256 exp256(__m256 x)
{
    x = _mm256_max_ps(_mm256_set1_ps(kExpLo), _mm256_min_ps(_mm256_set1_ps(kExpHi), x)); // NaN passes
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
    const __m256 p
        = _mm256_add_ps(_mm256_fmadd_ps(horner256(r, kExpPoly), _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    // 2^n in two normal factors (n in [-150, 129]): the product rounds once, as scalef does.
    const __m256i ni = _mm256_cvtps_epi32(n), n1 = _mm256_srai_epi32(ni, 1);
    return _mm256_mul_ps(_mm256_mul_ps(p, pow2i256(n1)), pow2i256(_mm256_sub_epi32(ni, n1)));
}

TARGET_AVX2 inline __m256 gelu256(__m256 x)
{
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 z = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(kSqrtHalf));
    const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(z, half, one));
    const __m256 erfc = _mm256_mul_ps(t, exp256(_mm256_fnmadd_ps(z, z, horner256(t, kErfcPoly))));
    const __m256 hx = _mm256_mul_ps(half, x);
    const __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(x, _mm256_fnmadd_ps(half, erfc, one)), _mm256_mul_ps(hx, erfc), negative);
}

template<Activation A> TARGET_AVX2 inline __m256 act256(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    if constexpr (A == Activation::QuickGelu)
        return _mm256_div_ps(x, _mm256_add_ps(one, exp256(_mm256_mul_ps(_mm256_set1_ps(-kQuickGelu), x))));
    if constexpr (A == Activation::Gelu)
        return gelu256(x);
    if constexpr (A == Activation::GeluTanh) {
        const __m256 u = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(kGeluTanhCubic), _mm256_mul_ps(x, x)), x, x);
        return _mm256_div_ps(x, _mm256_add_ps(one, exp256(_mm256_mul_ps(_mm256_set1_ps(-2.0f * kSqrt2OverPi), u))));
    }
    return x;
}

} // namespace ml::kernels::vecmath
