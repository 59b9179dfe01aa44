// Internal to kernels/: the host-side plan both preprocessing twins run, so the CPU and CUDA
// paths share one set of PIL fixed-point coefficients and one normalisation table.
#pragma once

#include "preprocess.h"

#include <array>
#include <cstdint>
#include <vector>

namespace ml::kernels::detail {

#ifdef __CUDACC__
#define ML_HOST_DEVICE __host__ __device__
#else
#define ML_HOST_DEVICE
#endif

// Pillow Resample.c: 8 bits of result, 2 bits of headroom for negative lobes and overshoot.
constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr int32_t kHalf = 1 << (kPrecisionBits - 1); // accumulators start here: round to nearest

// Pillow clip8: drop the fraction (arithmetic shift), clamp to [0, 255].
ML_HOST_DEVICE inline uint8_t clip8(int32_t acc)
{
    const int32_t v = acc >> kPrecisionBits;
    return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Coefficients of one axis for the output indices [first, first + count).
struct AxisCoeffs {
    bool identity = false; // no resampling on this axis (PIL skips the pass)
    int count = 0;
    int ksize = 0;                // row stride of `weights`
    std::vector<int32_t> start;   // [count] first source index
    std::vector<int32_t> taps;    // [count] number of source indices
    std::vector<int32_t> weights; // [count, ksize] fixed point, zero beyond taps
    int srcFirst = 0;             // source indices used: [srcFirst, srcLast)
    int srcLast = 0;
};

// Pillow precompute_coeffs + normalize_coeffs_8bpc for BICUBIC. When inSize == outSize PIL skips
// the pass; a one-tap weight of 1 << kPrecisionBits is the same identity, bit for bit.
AxisCoeffs bicubicAxis(int inSize, int outSize, int first, int count);

// The computed part of an output: rows [y0, y1) and columns [x0, x1) map into the resized image;
// everything else is zero padding.
struct ResamplePlan {
    int channels = 3;
    int outH = 0, outW = 0;
    int y0 = 0, y1 = 0, x0 = 0, x1 = 0;
    AxisCoeffs rows; // vertical pass, for the resized rows top + [y0, y1)
    AxisCoeffs cols; // horizontal pass, for the resized columns left + [x0, x1)
    int validRows() const { return y1 - y0; }
    int validCols() const { return x1 - x0; }
    int tempRows() const { return rows.srcLast - rows.srcFirst; } // horizontal pass output rows
};

ResamplePlan makePlan(int srcH, int srcW, int channels, const PreprocessGeometry &g);
ResamplePlan makeResizePlan(int srcH, int srcW, int dstH, int dstW, int channels);

// [3][256]: ((float)(u * rescale) - mean[c]) / std[c], every operation as HF's numpy does it.
std::array<float, 768> normaliseTable(const PreprocessParams &params);

void checkArgs(int h, int w, int channels, const void *src, const void *dst, const char *what);

} // namespace ml::kernels::detail
