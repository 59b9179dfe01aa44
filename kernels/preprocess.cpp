// CPU twin of image preprocessing, and the plan (PIL coefficients, crop geometry, normalisation
// table) that the CUDA twin shares. The oracle for preprocess_cuda.cu.
// Ref: Pillow 9.4 src/libImaging/Resample.c; transformers 4.40 image_transforms.py, CLIPImageProcessor.
#include "preprocess.h"
#include "preprocess_plan.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace ml::kernels {
namespace detail {
namespace {

// Pillow's bicubic_filter (Keys, a = -0.5), written in the same order of operations.
double bicubicFilter(double x)
{
    constexpr double a = -0.5;
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

constexpr double kBicubicSupport = 2.0;

int floorHalf(int d)
{
    return d >= 0 ? d / 2 : -((-d + 1) / 2);
}

// torchvision: pads (crop - size) // 2 before, so a negative margin starts at ceil(d / 2); a
// non-negative one at Python's round(d / 2.0), which rounds halves to even.
int roundHalf(int d)
{
    if (d < 0)
        return -((-d) / 2);
    if (d % 2 == 0)
        return d / 2;
    const int k = (d - 1) / 2;
    return k + (k & 1);
}

AxisCoeffs identityAxis(int first, int count)
{
    AxisCoeffs a;
    a.identity = true;
    a.count = count;
    a.ksize = 1;
    a.start.resize(count);
    a.taps.assign(count, 1);
    a.weights.assign(count, 1 << kPrecisionBits);
    for (int i = 0; i < count; ++i)
        a.start[i] = first + i;
    a.srcFirst = count > 0 ? first : 0;
    a.srcLast = count > 0 ? first + count : 0;
    return a;
}

} // namespace

AxisCoeffs bicubicAxis(int inSize, int outSize, int first, int count)
{
    if (inSize <= 0 || outSize <= 0 || first < 0 || count < 0 || first + count > outSize)
        throw std::invalid_argument("bicubicAxis: bad sizes");
    if (inSize == outSize)
        return identityAxis(first, count);

    // PIL: box (0, inSize) as floats, scale = (double)(in1 - in0) / outSize, center = in0 + ...
    const double scale = static_cast<double>(static_cast<float>(inSize)) / outSize;
    const double filterscale = std::max(scale, 1.0);
    const double support = kBicubicSupport * filterscale;
    const double ss = 1.0 / filterscale;

    AxisCoeffs a;
    a.count = count;
    a.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
    a.start.resize(count);
    a.taps.resize(count);
    a.weights.assign(static_cast<std::size_t>(count) * a.ksize, 0);
    std::vector<double> k(a.ksize);
    a.srcFirst = inSize;
    a.srcLast = 0;
    for (int i = 0; i < count; ++i) {
        const int xx = first + i;
        const double center = (xx + 0.5) * scale;
        const int xmin = std::max(static_cast<int>(center - support + 0.5), 0); // truncation, as PIL
        const int xmax = std::min(static_cast<int>(center + support + 0.5), inSize);
        const int n = xmax - xmin;
        double ww = 0.0;
        for (int x = 0; x < n; ++x) {
            k[x] = bicubicFilter((x + xmin - center + 0.5) * ss);
            ww += k[x];
        }
        int32_t *w = a.weights.data() + static_cast<std::size_t>(i) * a.ksize;
        for (int x = 0; x < n; ++x) {
            const double v = ww != 0.0 ? k[x] / ww : k[x];
            // normalize_coeffs_8bpc: round half away from zero.
            w[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                         : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
        }
        a.start[i] = xmin;
        a.taps[i] = n;
        a.srcFirst = std::min(a.srcFirst, xmin);
        a.srcLast = std::max(a.srcLast, xmax);
    }
    if (count == 0)
        a.srcFirst = a.srcLast = 0;
    return a;
}

ResamplePlan makePlan(int srcH, int srcW, int channels, const PreprocessGeometry &g)
{
    ResamplePlan p;
    p.channels = channels;
    p.outH = g.outHeight;
    p.outW = g.outWidth;
    p.y0 = std::clamp(-g.top, 0, g.outHeight);
    p.y1 = std::clamp(g.resizedHeight - g.top, p.y0, g.outHeight);
    p.x0 = std::clamp(-g.left, 0, g.outWidth);
    p.x1 = std::clamp(g.resizedWidth - g.left, p.x0, g.outWidth);
    p.rows = bicubicAxis(srcH, g.resizedHeight, g.top + p.y0, p.y1 - p.y0);
    p.cols = bicubicAxis(srcW, g.resizedWidth, g.left + p.x0, p.x1 - p.x0);
    return p;
}

ResamplePlan makeResizePlan(int srcH, int srcW, int dstH, int dstW, int channels)
{
    return makePlan(srcH, srcW, channels, PreprocessGeometry {dstH, dstW, 0, 0, dstH, dstW});
}

std::array<float, 768> normaliseTable(const PreprocessParams &params)
{
    std::array<float, 768> t {};
    for (int c = 0; c < 3; ++c)
        for (int u = 0; u < 256; ++u) {
            const float x = static_cast<float>(u * params.rescale); // numpy: float64 product, astype(float32)
            t[c * 256 + u] = (x - params.mean[c]) / params.std[c];  // float32 arithmetic
        }
    return t;
}

void checkArgs(int h, int w, int channels, const void *src, const void *dst, const char *what)
{
    if (h <= 0 || w <= 0 || channels < 1 || channels > 4 || !src || !dst)
        throw std::invalid_argument(std::string(what) + ": bad image (" + std::to_string(h) + "x" + std::to_string(w)
            + "x" + std::to_string(channels) + ") or null pointer");
}

} // namespace detail

using detail::AxisCoeffs;
using detail::clip8;
using detail::kHalf;
using detail::ResamplePlan;

namespace {

#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
// The inner loops are plain C++ that the compiler vectorises; on x86 an AVX2 copy is picked at
// load time (ifunc) so a baseline build still gets 8-lane integer multiplies.
#define ML_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define ML_MULTIVERSION
#endif

// One resampling pass along the rows of `in`: out row y = clip8(half + sum_j k_y[j] * in row
// (start_y - srcFirst + j)), for rowBytes bytes. PIL's vertical pass; on transposed data, its
// horizontal pass. Blocks of 32 bytes keep the accumulators in registers.
ML_MULTIVERSION void convolveRows(const uint8_t *in, std::size_t inStride, std::size_t rowBytes, const AxisCoeffs &a,
    uint8_t *out, std::size_t outStride)
{
    constexpr std::size_t kBlock = 32;
    for (int y = 0; y < a.count; ++y) {
        const uint8_t *base = in + static_cast<std::size_t>(a.start[y] - a.srcFirst) * inStride;
        const int32_t *k = a.weights.data() + static_cast<std::size_t>(y) * a.ksize;
        const int n = a.taps[y];
        uint8_t *o = out + static_cast<std::size_t>(y) * outStride;
        std::size_t i = 0;
        for (; i + kBlock <= rowBytes; i += kBlock) {
            int32_t acc[kBlock];
            for (std::size_t b = 0; b < kBlock; ++b)
                acc[b] = kHalf;
            for (int j = 0; j < n; ++j) {
                const uint8_t *r = base + j * inStride + i;
                const int32_t kj = k[j];
                for (std::size_t b = 0; b < kBlock; ++b)
                    acc[b] += r[b] * kj;
            }
            for (std::size_t b = 0; b < kBlock; ++b)
                o[i + b] = clip8(acc[b]);
        }
        for (; i < rowBytes; ++i) {
            int32_t acc = kHalf;
            for (int j = 0; j < n; ++j)
                acc += base[j * inStride + i] * k[j];
            o[i] = clip8(acc);
        }
    }
}

// dst[x][y] = src[y][x] for C-byte pixels, in tiles that stay in L1. Three-byte pixels move as
// one 4-byte word whose spare byte lands where the next pixel (or the row padding) goes, so
// every destination row needs dstStride > rows * 3; the last source column is copied exactly,
// so nothing past the source is read.
template<int C>
void transposePixels(const uint8_t *src, std::size_t srcStride, int rows, int cols, uint8_t *dst, std::size_t dstStride)
{
    constexpr int kTile = 16;
    for (int y0 = 0; y0 < rows; y0 += kTile)
        for (int x0 = 0; x0 < cols; x0 += kTile) {
            const int y1 = std::min(rows, y0 + kTile), x1 = std::min(cols, x0 + kTile);
            const int xWord = C == 3 ? std::min(x1, cols - 1) : x1;
            for (int y = y0; y < y1; ++y) {
                const uint8_t *s = src + static_cast<std::size_t>(y) * srcStride;
                uint8_t *d = dst + static_cast<std::size_t>(y) * C;
                int x = x0;
                for (; x < xWord; ++x) {
                    if constexpr (C == 3) {
                        uint32_t v;
                        std::memcpy(&v, s + x * 3, 4);
                        std::memcpy(d + x * dstStride, &v, 4);
                    } else {
                        std::memcpy(d + x * dstStride, s + x * C, C);
                    }
                }
                for (; x < x1; ++x)
                    std::memcpy(d + x * dstStride, s + x * C, C);
            }
        }
}

void transposeAny(
    const uint8_t *src, std::size_t srcStride, int rows, int cols, int C, uint8_t *dst, std::size_t dstStride)
{
    switch (C) {
    case 1:
        transposePixels<1>(src, srcStride, rows, cols, dst, dstStride);
        break;
    case 2:
        transposePixels<2>(src, srcStride, rows, cols, dst, dstStride);
        break;
    case 3:
        transposePixels<3>(src, srcStride, rows, cols, dst, dstStride);
        break;
    default:
        transposePixels<4>(src, srcStride, rows, cols, dst, dstStride);
        break;
    }
}

// The planned region of the resized image: [validRows, validCols, C]. PIL order: horizontal
// pass (rounded to uint8) on the source rows the vertical pass needs, then the vertical pass.
void resampleRegion(const uint8_t *src, int srcW, const ResamplePlan &p, uint8_t *region)
{
    if (p.validRows() == 0 || p.validCols() == 0)
        return;
    const int C = p.channels;
    const std::size_t srcStride = static_cast<std::size_t>(srcW) * C;
    const std::size_t rowBytes = static_cast<std::size_t>(p.validCols()) * C;
    const int nRows = p.tempRows();
    const uint8_t *rowsIn = src + static_cast<std::size_t>(p.rows.srcFirst) * srcStride;
    std::unique_ptr<uint8_t[]> temp;
    const uint8_t *hOut = rowsIn + static_cast<std::size_t>(p.cols.srcFirst) * C; // identity columns
    std::size_t hStride = srcStride;
    if (!p.cols.identity) {
        // Horizontal pass as a row pass on the transposed source [srcCols][nRows * C]; rows of
        // the transposed buffers are padded for transposePixels and aligned.
        const int nCols = p.cols.srcLast - p.cols.srcFirst;
        const std::size_t colBytes = static_cast<std::size_t>(nRows) * C;
        const std::size_t colStride = (colBytes + 64) & ~std::size_t {63};
        const std::size_t rowStride = (rowBytes + 64) & ~std::size_t {63};
        temp = std::make_unique_for_overwrite<uint8_t[]>(colStride * (nCols + p.validCols()) + rowStride * nRows);
        uint8_t *srcT = temp.get();
        uint8_t *tempT = srcT + colStride * nCols;
        uint8_t *tempRows = tempT + colStride * p.validCols();
        transposeAny(
            rowsIn + static_cast<std::size_t>(p.cols.srcFirst) * C, srcStride, nRows, nCols, C, srcT, colStride);
        convolveRows(srcT, colStride, colBytes, p.cols, tempT, colStride);
        transposeAny(tempT, colStride, p.validCols(), nRows, C, tempRows, rowStride);
        hOut = tempRows;
        hStride = rowStride;
    }
    convolveRows(hOut, hStride, rowBytes, p.rows, region, rowBytes);
}

// Region -> full output [outH, outW, C], zero outside the region.
void placeRegion(const ResamplePlan &p, const uint8_t *region, uint8_t *out)
{
    const int C = p.channels;
    const std::size_t outStride = static_cast<std::size_t>(p.outW) * C;
    const std::size_t rowBytes = static_cast<std::size_t>(p.validCols()) * C;
    for (int y = 0; y < p.outH; ++y) {
        uint8_t *o = out + y * outStride;
        if (y < p.y0 || y >= p.y1 || rowBytes == 0) {
            std::fill(o, o + outStride, uint8_t {0});
            continue;
        }
        std::fill(o, o + p.x0 * C, uint8_t {0});
        std::copy_n(region + (y - p.y0) * rowBytes, rowBytes, o + p.x0 * C);
        std::fill(o + p.x1 * C, o + outStride, uint8_t {0});
    }
}

void preprocessOne(const uint8_t *rgb, int w, const ResamplePlan &p, const std::array<float, 768> &table,
    std::vector<uint8_t> &region, float *chw)
{
    resampleRegion(rgb, w, p, region.data());
    const std::size_t plane = static_cast<std::size_t>(p.outH) * p.outW;
    const int vc = p.validCols();
    for (int c = 0; c < 3; ++c) {
        const float *t = table.data() + c * 256;
        float *o = chw + c * plane;
        for (int y = 0; y < p.outH; ++y, o += p.outW) {
            if (y < p.y0 || y >= p.y1) {
                std::fill(o, o + p.outW, t[0]);
                continue;
            }
            std::fill(o, o + p.x0, t[0]);
            const uint8_t *r = region.data() + static_cast<std::size_t>(y - p.y0) * vc * 3 + c;
            for (int x = 0; x < vc; ++x)
                o[p.x0 + x] = t[r[x * 3]];
            std::fill(o + p.x1, o + p.outW, t[0]);
        }
    }
}

} // namespace

ResizedSize shortestEdgeSize(int h, int w, int shortestEdge)
{
    if (h <= 0 || w <= 0 || shortestEdge <= 0)
        throw std::invalid_argument("shortestEdgeSize: sizes must be positive");
    const bool portrait = w <= h;
    const int64_t shortSide = portrait ? w : h;
    const int64_t longSide = portrait ? h : w;
    // Python: int(size * long / short): exact integer product, correctly rounded division, truncation.
    const int newLong = static_cast<int>(static_cast<double>(shortestEdge * longSide) / static_cast<double>(shortSide));
    return portrait ? ResizedSize {newLong, shortestEdge} : ResizedSize {shortestEdge, newLong};
}

PreprocessGeometry preprocessGeometry(int h, int w, const PreprocessParams &params)
{
    PreprocessGeometry g {};
    const ResizedSize r = params.doResize ? shortestEdgeSize(h, w, params.shortestEdge) : ResizedSize {h, w};
    g.resizedHeight = r.height;
    g.resizedWidth = r.width;
    if (!params.doCrop) {
        g.outHeight = r.height;
        g.outWidth = r.width;
        return g;
    }
    if (params.cropHeight <= 0 || params.cropWidth <= 0)
        throw std::invalid_argument("preprocessGeometry: crop size must be positive");
    g.outHeight = params.cropHeight;
    g.outWidth = params.cropWidth;
    const auto offset = params.crop == CropRounding::Floor ? detail::floorHalf : detail::roundHalf;
    g.top = offset(r.height - params.cropHeight);
    g.left = offset(r.width - params.cropWidth);
    return g;
}

void resizeBicubicPil(const uint8_t *src, int srcH, int srcW, uint8_t *dst, int dstH, int dstW, int channels)
{
    detail::checkArgs(srcH, srcW, channels, src, dst, "resizeBicubicPil");
    if (dstH <= 0 || dstW <= 0)
        throw std::invalid_argument("resizeBicubicPil: bad output size");
    const ResamplePlan p = detail::makeResizePlan(srcH, srcW, dstH, dstW, channels);
    resampleRegion(src, srcW, p, dst);
}

void resizeCropCpu(const uint8_t *rgb, int h, int w, const PreprocessParams &params, uint8_t *hwcOut)
{
    detail::checkArgs(h, w, 3, rgb, hwcOut, "resizeCropCpu");
    const ResamplePlan p = detail::makePlan(h, w, 3, preprocessGeometry(h, w, params));
    std::vector<uint8_t> region(static_cast<std::size_t>(p.validRows()) * p.validCols() * 3);
    resampleRegion(rgb, w, p, region.data());
    placeRegion(p, region.data(), hwcOut);
}

void preprocessBatchCpu(const uint8_t *rgb, int n, int h, int w, const PreprocessParams &params, float *chwOut)
{
    detail::checkArgs(h, w, 3, rgb, chwOut, "preprocessCpu");
    if (n < 0)
        throw std::invalid_argument("preprocessBatchCpu: negative batch");
    const ResamplePlan p = detail::makePlan(h, w, 3, preprocessGeometry(h, w, params));
    const auto table = detail::normaliseTable(params);
    std::vector<uint8_t> region(static_cast<std::size_t>(p.validRows()) * p.validCols() * 3);
    const std::size_t inSize = static_cast<std::size_t>(h) * w * 3;
    const std::size_t outSize = static_cast<std::size_t>(p.outH) * p.outW * 3;
    for (int i = 0; i < n; ++i)
        preprocessOne(rgb + i * inSize, w, p, table, region, chwOut + i * outSize);
}

void preprocessCpu(const uint8_t *rgb, int h, int w, const PreprocessParams &params, float *chwOut)
{
    preprocessBatchCpu(rgb, 1, h, w, params, chwOut);
}

} // namespace ml::kernels
