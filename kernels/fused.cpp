// The fused element-wise kernels of fused.h. Each path supplies one row of each kernel in fp32;
// a bf16 output is that row, computed into a per-thread buffer (in L1), then rounded by the
// path's converter, so the AVX512-BF16 path differs from the AVX512 one only there.
#include "fused.h"

// GCC 12's AVX512 intrinsics start from _mm512_undefined_*(), which -O3 reports as maybe
// uninitialised (GCC bug 105593); the values are always written before they are read.
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "fused_math.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ml::kernels {

namespace {

using namespace vecmath;

// ---- scalar: the references -------------------------------------------------------------------

float activate(float x, Activation act)
{
    switch (act) {
    case Activation::None:
        break;
    case Activation::QuickGelu:
        return x / (1.0f + std::exp(-kQuickGelu * x));
    case Activation::Gelu:
        return 0.5f * x * (1.0f + std::erf(x * kSqrtHalf));
    case Activation::GeluTanh:
        return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + kGeluTanhCubic * x * x * x)));
    }
    return x;
}

// The oracle sums in double: a sequential float sum over 3072 elements is further from the exact
// one than the kernels' lane-wise float sums are.
void layerNormRowScalar(const float *x, std::int64_t c, const float *gamma, const float *beta, float eps, float *out)
{
    double sum = 0.0, sq = 0.0;
    for (std::int64_t i = 0; i < c; ++i)
        sum += x[i];
    const float mean = static_cast<float>(sum / static_cast<double>(c));
    for (std::int64_t i = 0; i < c; ++i)
        sq += static_cast<double>(x[i] - mean) * (x[i] - mean);
    const float rstd = 1.0f / std::sqrt(static_cast<float>(sq / static_cast<double>(c)) + eps);
    for (std::int64_t i = 0; i < c; ++i)
        out[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
}

void biasActRowScalar(const float *in, std::int64_t n, const float *bias, Activation act, float *out)
{
    for (std::int64_t i = 0; i < n; ++i)
        out[i] = activate(bias ? in[i] + bias[i] : in[i], act);
}

void softmaxRowScalar(const float *s, const float *mask, std::int64_t n, float scale, float *out)
{
    float rowMax = -kInf;
    for (std::int64_t i = 0; i < n; ++i) {
        out[i] = mask ? scale * s[i] + mask[i] : scale * s[i];
        rowMax = std::max(rowMax, out[i]);
    }
    double sum = 0.0; // as LayerNorm's statistics
    for (std::int64_t i = 0; i < n; ++i) {
        out[i] = rowMax == -kInf ? 0.0f : std::exp(out[i] - rowMax);
        sum += out[i];
    }
    const float inv = rowMax == -kInf ? 0.0f : 1.0f / static_cast<float>(sum);
    for (std::int64_t i = 0; i < n; ++i)
        out[i] *= inv;
}

template<typename Y> void residualRowScalar(float *x, const Y *y, const float *bias, std::int64_t c)
{
    for (std::int64_t i = 0; i < c; ++i) {
        float v;
        if constexpr (sizeof(Y) == 2)
            v = bf16ToFloatBits(y[i]);
        else
            v = y[i];
        x[i] += bias ? v + bias[i] : v;
    }
}

void toBf16RowScalar(const float *in, std::int64_t count, std::uint16_t *out)
{
    for (std::int64_t i = 0; i < count; ++i)
        out[i] = floatToBf16(in[i]);
}

// ---- AVX512: 16 lanes, the tail through masked loads and stores ----------------------------------

TARGET_AVX512 inline __mmask16 mask16(std::int64_t left)
{
    return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
}

// Full vectors through plain loads and stores, the tail masked: with masked ones throughout, Zen 4
// takes twice as long in place (stores), three times as long reading a cold row (loads).
TARGET_AVX512 inline void store16(float *p, __mmask16 m, __m512 v)
{
    if (m == 0xffff)
        _mm512_storeu_ps(p, v);
    else
        _mm512_mask_storeu_ps(p, m, v);
}

TARGET_AVX512 inline void store16(std::uint16_t *p, __mmask16 m, __m256i v)
{
    if (m == 0xffff)
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(p), v);
    else
        _mm256_mask_storeu_epi16(p, m, v);
}

TARGET_AVX512 inline __m512 load16(const float *p, __mmask16 m)
{
    return m == 0xffff ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

TARGET_AVX512 inline __m512 load16(const std::uint16_t *p, __mmask16 m)
{
    const __m256i h
        = m == 0xffff ? _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)) : _mm256_maskz_loadu_epi16(m, p);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// Not _mm512_reduce_*_ps: GCC 12 warns about their undefined-register idiom (-Werror).
TARGET_AVX512 float hsum512(__m512 v)
{
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    float s = 0.0f;
    for (float e : t)
        s += e;
    return s;
}

TARGET_AVX512 float hmax512(__m512 v)
{
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    float m = t[0];
    for (float e : t)
        m = std::max(m, e);
    return m;
}

TARGET_AVX512 void layerNormRow512(
    const float *x, std::int64_t c, const float *gamma, const float *beta, float eps, float *out)
{
    __m512 sum = _mm512_setzero_ps(), sq = sum;
    for (std::int64_t i = 0; i < c; i += 16)
        sum = _mm512_add_ps(sum, load16(x + i, mask16(c - i)));
    const __m512 mean = _mm512_set1_ps(hsum512(sum) / static_cast<float>(c));
    for (std::int64_t i = 0; i < c; i += 16) {
        const __mmask16 m = mask16(c - i);
        const __m512 d = _mm512_maskz_sub_ps(m, load16(x + i, m), mean);
        sq = _mm512_fmadd_ps(d, d, sq);
    }
    const __m512 rstd = _mm512_set1_ps(1.0f / std::sqrt(hsum512(sq) / static_cast<float>(c) + eps));
    for (std::int64_t i = 0; i < c; i += 16) {
        const __mmask16 m = mask16(c - i);
        const __m512 y = _mm512_mul_ps(_mm512_sub_ps(load16(x + i, m), mean), rstd);
        store16(out + i, m, _mm512_fmadd_ps(y, load16(gamma + i, m), load16(beta + i, m)));
    }
}

template<Activation A> TARGET_AVX512 void biasActRow512(const float *in, std::int64_t n, const float *bias, float *out)
{
    for (std::int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = mask16(n - i);
        const __m512 v = load16(in + i, m);
        store16(out + i, m, act512<A>(bias ? _mm512_add_ps(v, load16(bias + i, m)) : v));
    }
}

TARGET_AVX512 void biasAct512(const float *in, std::int64_t n, const float *bias, Activation act, float *out)
{
    switch (act) {
    case Activation::None:
        return biasActRow512<Activation::None>(in, n, bias, out);
    case Activation::QuickGelu:
        return biasActRow512<Activation::QuickGelu>(in, n, bias, out);
    case Activation::Gelu:
        return biasActRow512<Activation::Gelu>(in, n, bias, out);
    case Activation::GeluTanh:
        return biasActRow512<Activation::GeluTanh>(in, n, bias, out);
    }
}

TARGET_AVX512 inline __m512 logits512(const float *s, const float *mask, __mmask16 m, __m512 scale)
{
    const __m512 v = _mm512_mul_ps(scale, load16(s, m));
    return mask ? _mm512_add_ps(v, load16(mask, m)) : v;
}

TARGET_AVX512 void softmaxRow512(const float *s, const float *mask, std::int64_t n, float scale, float *out)
{
    const __m512 vs = _mm512_set1_ps(scale);
    __m512 vmax = _mm512_set1_ps(-kInf), sum = _mm512_setzero_ps();
    for (std::int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = mask16(n - i);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, logits512(s + i, mask ? mask + i : nullptr, m, vs));
    }
    const float rowMax = hmax512(vmax); // -inf: every entry is masked, and exp(-inf - 0) gives zeros
    vmax = _mm512_set1_ps(rowMax == -kInf ? 0.0f : rowMax);
    for (std::int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = mask16(n - i);
        const __m512 e = exp512(_mm512_sub_ps(logits512(s + i, mask ? mask + i : nullptr, m, vs), vmax));
        sum = _mm512_mask_add_ps(sum, m, sum, e);
        store16(out + i, m, e);
    }
    const __m512 inv = _mm512_set1_ps(rowMax == -kInf ? 0.0f : 1.0f / hsum512(sum));
    for (std::int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = mask16(n - i);
        store16(out + i, m, _mm512_mul_ps(load16(out + i, m), inv));
    }
}

template<typename Y> TARGET_AVX512 void residualRow512(float *x, const Y *y, const float *bias, std::int64_t c)
{
    for (std::int64_t i = 0; i < c; i += 16) {
        const __mmask16 m = mask16(c - i);
        const __m512 v = load16(y + i, m);
        store16(x + i, m, _mm512_add_ps(load16(x + i, m), bias ? _mm512_add_ps(v, load16(bias + i, m)) : v));
    }
}

// Round to nearest even in integers: bits + 0x7fff + (bit 16), then the high half; NaN made quiet.
TARGET_AVX512 void toBf16Row512(const float *in, std::int64_t count, std::uint16_t *out)
{
    const __m512i one = _mm512_set1_epi32(1), round = _mm512_set1_epi32(0x7fff), quiet = _mm512_set1_epi32(0x40);
    for (std::int64_t i = 0; i < count; i += 16) {
        const __mmask16 m = mask16(count - i);
        const __m512 v = load16(in + i, m);
        const __m512i bits = _mm512_castps_si512(v), high = _mm512_srli_epi32(bits, 16);
        __m512i r = _mm512_add_epi32(bits, _mm512_add_epi32(round, _mm512_and_si512(high, one)));
        r = _mm512_mask_or_epi32(_mm512_srli_epi32(r, 16), _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), high, quiet);
        store16(out + i, m, _mm512_cvtepi32_epi16(r));
    }
}

// vcvtneps2bf16 rounds to nearest even too, but flushes denormal inputs to (signed) zero.
TARGET_AVX512BF16 void toBf16RowNative(const float *in, std::int64_t count, std::uint16_t *out)
{
    for (std::int64_t i = 0; i < count; i += 16) {
        const __mmask16 m = mask16(count - i);
        const __m256bh h = _mm512_cvtneps_pbh(load16(in + i, m));
        store16(out + i, m, (__m256i)h); // a vector cast: the same bits
    }
}

// ---- AVX2: 8 lanes; a partial vector through vmaskmovps (floats) or a copy (bf16) ----------------

TARGET_AVX2 inline __m256i mask8(std::int64_t left)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(left < 8 ? left : 8)), lane);
}

TARGET_AVX2 inline __m256 load8(const float *p, std::int64_t left)
{
    return left >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask8(left));
}

TARGET_AVX2 inline __m256 load8(const std::uint16_t *p, std::int64_t left)
{
    std::uint16_t t[8] = {};
    if (left < 8)
        p = static_cast<const std::uint16_t *>(std::memcpy(t, p, static_cast<std::size_t>(left) * sizeof *p));
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

TARGET_AVX2 inline void store8(float *p, __m256 v, std::int64_t left)
{
    if (left >= 8)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, mask8(left), v);
}

// v, with the lanes past the row's end set to `fill`.
TARGET_AVX2 inline __m256 fillTail8(__m256 v, std::int64_t left, float fill)
{
    return left >= 8 ? v : _mm256_blendv_ps(_mm256_set1_ps(fill), v, _mm256_castsi256_ps(mask8(left)));
}

TARGET_AVX2 float hsum256(__m256 v)
{
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
}

TARGET_AVX2 float hmax256(__m256 v)
{
    const __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 h = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(h, _mm_shuffle_ps(h, h, 1)));
}

TARGET_AVX2 void layerNormRow256(
    const float *x, std::int64_t c, const float *gamma, const float *beta, float eps, float *out)
{
    __m256 sum = _mm256_setzero_ps(), sq = sum;
    for (std::int64_t i = 0; i < c; i += 8)
        sum = _mm256_add_ps(sum, load8(x + i, c - i));
    const __m256 mean = _mm256_set1_ps(hsum256(sum) / static_cast<float>(c));
    for (std::int64_t i = 0; i < c; i += 8) {
        const __m256 d = fillTail8(_mm256_sub_ps(load8(x + i, c - i), mean), c - i, 0.0f);
        sq = _mm256_fmadd_ps(d, d, sq);
    }
    const __m256 rstd = _mm256_set1_ps(1.0f / std::sqrt(hsum256(sq) / static_cast<float>(c) + eps));
    for (std::int64_t i = 0; i < c; i += 8) {
        const __m256 y = _mm256_mul_ps(_mm256_sub_ps(load8(x + i, c - i), mean), rstd);
        store8(out + i, _mm256_fmadd_ps(y, load8(gamma + i, c - i), load8(beta + i, c - i)), c - i);
    }
}

template<Activation A> TARGET_AVX2 void biasActRow256(const float *in, std::int64_t n, const float *bias, float *out)
{
    for (std::int64_t i = 0; i < n; i += 8) {
        const __m256 v = load8(in + i, n - i);
        store8(out + i, act256<A>(bias ? _mm256_add_ps(v, load8(bias + i, n - i)) : v), n - i);
    }
}

TARGET_AVX2 void biasAct256(const float *in, std::int64_t n, const float *bias, Activation act, float *out)
{
    switch (act) {
    case Activation::None:
        return biasActRow256<Activation::None>(in, n, bias, out);
    case Activation::QuickGelu:
        return biasActRow256<Activation::QuickGelu>(in, n, bias, out);
    case Activation::Gelu:
        return biasActRow256<Activation::Gelu>(in, n, bias, out);
    case Activation::GeluTanh:
        return biasActRow256<Activation::GeluTanh>(in, n, bias, out);
    }
}

TARGET_AVX2 inline __m256 logits256(const float *s, const float *mask, std::int64_t left, __m256 scale)
{
    const __m256 v = _mm256_mul_ps(scale, load8(s, left));
    return mask ? _mm256_add_ps(v, load8(mask, left)) : v;
}

TARGET_AVX2 void softmaxRow256(const float *s, const float *mask, std::int64_t n, float scale, float *out)
{
    const __m256 vs = _mm256_set1_ps(scale);
    __m256 vmax = _mm256_set1_ps(-kInf), sum = _mm256_setzero_ps();
    for (std::int64_t i = 0; i < n; i += 8)
        vmax = _mm256_max_ps(vmax, fillTail8(logits256(s + i, mask ? mask + i : nullptr, n - i, vs), n - i, -kInf));
    const float rowMax = hmax256(vmax); // -inf: every entry is masked, and exp(-inf - 0) gives zeros
    vmax = _mm256_set1_ps(rowMax == -kInf ? 0.0f : rowMax);
    for (std::int64_t i = 0; i < n; i += 8) {
        const __m256 e = exp256(_mm256_sub_ps(logits256(s + i, mask ? mask + i : nullptr, n - i, vs), vmax));
        sum = _mm256_add_ps(sum, fillTail8(e, n - i, 0.0f));
        store8(out + i, e, n - i);
    }
    const __m256 inv = _mm256_set1_ps(rowMax == -kInf ? 0.0f : 1.0f / hsum256(sum));
    for (std::int64_t i = 0; i < n; i += 8)
        store8(out + i, _mm256_mul_ps(load8(out + i, n - i), inv), n - i);
}

template<typename Y> TARGET_AVX2 void residualRow256(float *x, const Y *y, const float *bias, std::int64_t c)
{
    for (std::int64_t i = 0; i < c; i += 8) {
        const __m256 v = load8(y + i, c - i);
        store8(x + i, _mm256_add_ps(load8(x + i, c - i), bias ? _mm256_add_ps(v, load8(bias + i, c - i)) : v), c - i);
    }
}

TARGET_AVX2 void toBf16Row256(const float *in, std::int64_t count, std::uint16_t *out)
{
    const __m256i one = _mm256_set1_epi32(1), round = _mm256_set1_epi32(0x7fff), quiet = _mm256_set1_epi32(0x40);
    for (std::int64_t i = 0; i < count; i += 8) {
        const __m256 v = load8(in + i, count - i);
        const __m256i bits = _mm256_castps_si256(v), high = _mm256_srli_epi32(bits, 16);
        __m256i r = _mm256_add_epi32(bits, _mm256_add_epi32(round, _mm256_and_si256(high, one)));
        const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        r = _mm256_blendv_epi8(_mm256_srli_epi32(r, 16), _mm256_or_si256(high, quiet), nan);
        const __m128i h = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        std::uint16_t t[8];
        _mm_storeu_si128(reinterpret_cast<__m128i *>(count - i >= 8 ? out + i : t), h);
        if (count - i < 8)
            std::memcpy(out + i, t, static_cast<std::size_t>(count - i) * sizeof *out);
    }
}

// ---- dispatch ------------------------------------------------------------------------------------

struct RowKernels {
    const char *name;
    void (*layerNorm)(const float *x, std::int64_t c, const float *gamma, const float *beta, float eps, float *out);
    void (*biasAct)(const float *in, std::int64_t n, const float *bias, Activation act, float *out);
    void (*softmax)(const float *s, const float *mask, std::int64_t n, float scale, float *out);
    void (*residual)(float *x, const float *y, const float *bias, std::int64_t c);
    void (*residualBf16)(float *x, const std::uint16_t *y, const float *bias, std::int64_t c);
    void (*toBf16)(const float *in, std::int64_t count, std::uint16_t *out);
};

enum Path { Avx512Bf16, Avx512, Avx2, Scalar }; // best first; indexes kPaths

constexpr RowKernels kPaths[] = {
    {"avx512bf16", layerNormRow512, biasAct512, softmaxRow512, residualRow512<float>, residualRow512<std::uint16_t>,
        toBf16RowNative},
    {"avx512", layerNormRow512, biasAct512, softmaxRow512, residualRow512<float>, residualRow512<std::uint16_t>,
        toBf16Row512},
    {"avx2", layerNormRow256, biasAct256, softmaxRow256, residualRow256<float>, residualRow256<std::uint16_t>,
        toBf16Row256},
    {"scalar", layerNormRowScalar, biasActRowScalar, softmaxRowScalar, residualRowScalar<float>,
        residualRowScalar<std::uint16_t>, toBf16RowScalar},
};

bool supported(int path)
{
    __builtin_cpu_init();
    const bool avx512
        = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    switch (path) {
    case Avx512Bf16:
        return avx512 && __builtin_cpu_supports("avx512bf16");
    case Avx512:
        return avx512;
    case Avx2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default:
        return true;
    }
}

const RowKernels *&current()
{
    static const RowKernels *k = [] {
        // MODALLENS_SIMD=avx512|avx2|scalar caps the path (an older CPU's, on this one).
        int p = Avx512Bf16;
        if (const char *cap = std::getenv("MODALLENS_SIMD"))
            for (int i = Avx512Bf16; i <= Scalar; ++i)
                if (std::strcmp(cap, kPaths[i].name) == 0)
                    p = i;
        while (!supported(p))
            ++p;
        return &kPaths[p];
    }();
    return k;
}

// The row loops, shared by each kernel and its reference. A bf16 row is computed in fp32 first.
template<typename RowFn> void forRows(const RowKernels &, std::int64_t rows, std::int64_t n, float *out, RowFn row)
{
    for (std::int64_t r = 0; r < rows; ++r)
        row(r, out + r * n);
}

template<typename RowFn>
void forRows(const RowKernels &k, std::int64_t rows, std::int64_t n, std::uint16_t *out, RowFn row)
{
    thread_local std::vector<float> buffer;
    buffer.resize(static_cast<std::size_t>(n));
    for (std::int64_t r = 0; r < rows; ++r) {
        row(r, buffer.data());
        k.toBf16(buffer.data(), n, out + r * n);
    }
}

template<typename Out>
void layerNormRows(const RowKernels &k, const float *x, std::int64_t rows, std::int64_t c, const float *gamma,
    const float *beta, float eps, Out *out)
{
    forRows(k, rows, c, out, [&](std::int64_t r, float *o) { k.layerNorm(x + r * c, c, gamma, beta, eps, o); });
}

template<typename Out>
void biasActRows(const RowKernels &k, const float *in, std::int64_t rows, std::int64_t n, const float *bias,
    Activation act, Out *out)
{
    forRows(k, rows, n, out, [&](std::int64_t r, float *o) { k.biasAct(in + r * n, n, bias, act, o); });
}

template<typename Out>
void softmaxRows(const RowKernels &k, const float *s, std::int64_t rows, std::int64_t n, float scale, const float *mask,
    std::int64_t maskRows, Out *out)
{
    forRows(k, rows, n, out,
        [&](std::int64_t r, float *o) { k.softmax(s + r * n, mask ? mask + r % maskRows * n : nullptr, n, scale, o); });
}

template<typename Y>
void residualRows(const RowKernels &k, float *x, const Y *y, const float *bias, std::int64_t rows, std::int64_t c)
{
    for (std::int64_t r = 0; r < rows; ++r) {
        if constexpr (sizeof(Y) == 2)
            k.residualBf16(x + r * c, y + r * c, bias, c);
        else
            k.residual(x + r * c, y + r * c, bias, c);
    }
}

} // namespace

void layerNormF32(
    const float *x, std::int64_t rows, std::int64_t c, const float *gamma, const float *beta, float eps, float *out)
{
    layerNormRows(*current(), x, rows, c, gamma, beta, eps, out);
}

void layerNormBf16(const float *x, std::int64_t rows, std::int64_t c, const float *gamma, const float *beta, float eps,
    std::uint16_t *out)
{
    layerNormRows(*current(), x, rows, c, gamma, beta, eps, out);
}

void biasActF32(float *y, std::int64_t rows, std::int64_t n, const float *bias, Activation act)
{
    biasActRows(*current(), y, rows, n, bias, act, y);
}

void softmaxF32(const float *s, std::int64_t rows, std::int64_t n, float scale, const float *mask,
    std::int64_t maskRows, float *out)
{
    softmaxRows(*current(), s, rows, n, scale, mask, maskRows, out);
}

void softmaxBf16(const float *s, std::int64_t rows, std::int64_t n, float scale, const float *mask,
    std::int64_t maskRows, std::uint16_t *out)
{
    softmaxRows(*current(), s, rows, n, scale, mask, maskRows, out);
}

void residualAddF32(float *x, const float *y, const float *bias, std::int64_t rows, std::int64_t c)
{
    residualRows(*current(), x, y, bias, rows, c);
}

void residualAddBf16(float *x, const std::uint16_t *y, const float *bias, std::int64_t rows, std::int64_t c)
{
    residualRows(*current(), x, y, bias, rows, c);
}

void layerNormF32Reference(
    const float *x, std::int64_t rows, std::int64_t c, const float *gamma, const float *beta, float eps, float *out)
{
    layerNormRows(kPaths[Scalar], x, rows, c, gamma, beta, eps, out);
}

void layerNormBf16Reference(const float *x, std::int64_t rows, std::int64_t c, const float *gamma, const float *beta,
    float eps, std::uint16_t *out)
{
    layerNormRows(kPaths[Scalar], x, rows, c, gamma, beta, eps, out);
}

void biasActF32Reference(float *y, std::int64_t rows, std::int64_t n, const float *bias, Activation act)
{
    biasActRows(kPaths[Scalar], y, rows, n, bias, act, y);
}

void softmaxF32Reference(const float *s, std::int64_t rows, std::int64_t n, float scale, const float *mask,
    std::int64_t maskRows, float *out)
{
    softmaxRows(kPaths[Scalar], s, rows, n, scale, mask, maskRows, out);
}

void softmaxBf16Reference(const float *s, std::int64_t rows, std::int64_t n, float scale, const float *mask,
    std::int64_t maskRows, std::uint16_t *out)
{
    softmaxRows(kPaths[Scalar], s, rows, n, scale, mask, maskRows, out);
}

void residualAddF32Reference(float *x, const float *y, const float *bias, std::int64_t rows, std::int64_t c)
{
    residualRows(kPaths[Scalar], x, y, bias, rows, c);
}

void residualAddBf16Reference(float *x, const std::uint16_t *y, const float *bias, std::int64_t rows, std::int64_t c)
{
    residualRows(kPaths[Scalar], x, y, bias, rows, c);
}

std::uint16_t floatToBf16(float f)
{
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u)
        return static_cast<std::uint16_t>((bits >> 16) | 0x40u); // NaN, made quiet: rounding could make it inf
    return static_cast<std::uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

float bf16ToFloatBits(std::uint16_t b)
{
    return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

void floatToBf16Rows(const float *in, std::int64_t count, std::uint16_t *out)
{
    current()->toBf16(in, count, out);
}

const char *fusedPath()
{
    return current()->name;
}

bool useFusedPath(const char *name)
{
    for (int p = Avx512Bf16; p <= Scalar; ++p)
        if (std::strcmp(name, kPaths[p].name) == 0 && supported(p)) {
            current() = &kPaths[p];
            return true;
        }
    return false;
}

} // namespace ml::kernels
