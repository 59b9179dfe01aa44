// CUDA twin of preprocess.cpp: the same host-side plan (PIL fixed-point coefficients, crop
// geometry, normalisation table), so the uint8 bytes and the floats equal the CPU twin's.
// Ref: Pillow 9.4 src/libImaging/Resample.c (ImagingResampleInner: horizontal pass, then vertical).
#include "preprocess.h"
#include "preprocess_plan.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace ml::kernels {
namespace {

using detail::AxisCoeffs;
using detail::clip8;
using detail::kHalf;
using detail::ResamplePlan;

void check(cudaError_t e, const char *what)
{
    if (e != cudaSuccess)
        throw std::runtime_error(std::string("CUDA ") + what + ": " + cudaGetErrorString(e));
}

// One axis's coefficients in device memory (see AxisCoeffs).
struct DeviceAxis {
    const int32_t *start;
    const int32_t *taps;
    const int32_t *weights;
    int ksize;
    int srcFirst;
    int count;
};

// PIL's fixed-point convolution for one output pixel of C channels: out[c] = clip8(half +
// sum_j k[j] * s[j * stride + c]) over n taps. Both passes; only the stride between taps differs.
template<int C>
__device__ __forceinline__ void convolvePixel(
    const uint8_t *__restrict__ s, std::size_t stride, const int32_t *k, int n, uint8_t *out)
{
    int32_t acc[C];
#pragma unroll
    for (int c = 0; c < C; ++c)
        acc[c] = kHalf;
    for (int j = 0; j < n; ++j) {
        const int32_t kj = k[j];
#pragma unroll
        for (int c = 0; c < C; ++c)
            acc[c] += s[j * stride + c] * kj;
    }
#pragma unroll
    for (int c = 0; c < C; ++c)
        out[c] = clip8(acc[c]);
}

// PIL's horizontal pass: temp[img][r][x] for the source rows rowFirst + r.
template<int C>
__global__ void horizontalKernel(const uint8_t *__restrict__ src, int srcH, int srcW, int rowFirst, int nRows,
    DeviceAxis cols, uint8_t *__restrict__ temp)
{
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const std::size_t img = blockIdx.z;
    if (x >= cols.count)
        return;
    const int32_t *k = cols.weights + static_cast<std::size_t>(x) * cols.ksize;
    const int n = cols.taps[x];
    for (int r = blockIdx.y * blockDim.y + threadIdx.y; r < nRows; r += gridDim.y * blockDim.y) {
        const uint8_t *s = src + ((img * srcH + rowFirst + r) * srcW + cols.start[x]) * C;
        convolvePixel<C>(s, C, k, n, temp + ((img * nRows + r) * cols.count + x) * C);
    }
}

struct OutputGeometry {
    int outH, outW;
    int y0, y1, x0, x1; // the computed region; zero padding elsewhere
    int nRows;          // temp rows per image
};

// PIL's vertical pass over the whole output, padding included. Float output: [img][3][outH][outW]
// through the normalisation table; uint8 output: [img][outH][outW][C].
template<int C, bool Float>
__global__ void verticalKernel(
    const uint8_t *__restrict__ temp, DeviceAxis rows, OutputGeometry g, const float *__restrict__ table, void *out)
{
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const std::size_t img = blockIdx.z;
    if (x >= g.outW)
        return;
    for (int y = blockIdx.y * blockDim.y + threadIdx.y; y < g.outH; y += gridDim.y * blockDim.y) {
        uint8_t v[C];
#pragma unroll
        for (int c = 0; c < C; ++c)
            v[c] = 0;
        if (y >= g.y0 && y < g.y1 && x >= g.x0 && x < g.x1) {
            const int yy = y - g.y0;
            const std::size_t rowBytes = static_cast<std::size_t>(g.x1 - g.x0) * C;
            const uint8_t *t = temp + (img * g.nRows + (rows.start[yy] - rows.srcFirst)) * rowBytes
                + static_cast<std::size_t>(x - g.x0) * C;
            const int32_t *k = rows.weights + static_cast<std::size_t>(yy) * rows.ksize;
            convolvePixel<C>(t, rowBytes, k, rows.taps[yy], v);
        }
        if constexpr (Float) {
            const std::size_t plane = static_cast<std::size_t>(g.outH) * g.outW;
            float *o = static_cast<float *>(out) + img * 3 * plane + static_cast<std::size_t>(y) * g.outW + x;
#pragma unroll
            for (int c = 0; c < 3; ++c)
                o[c * plane] = table[c * 256 + v[c]];
        } else {
            uint8_t *o = static_cast<uint8_t *>(out) + ((img * g.outH + y) * g.outW + x) * C;
#pragma unroll
            for (int c = 0; c < C; ++c)
                o[c] = v[c];
        }
    }
}

// Host staging of everything the kernels read besides the image: both axes and the table.
class DeviceBuffer {
public:
    DeviceBuffer(std::size_t bytes, cudaStream_t stream) : m_stream(stream)
    {
        check(cudaMallocAsync(&m_ptr, std::max<std::size_t>(bytes, 1), stream), "cudaMallocAsync");
    }
    ~DeviceBuffer() { cudaFreeAsync(m_ptr, m_stream); } // stream-ordered: after the kernels
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;
    uint8_t *get() const { return static_cast<uint8_t *>(m_ptr); }

private:
    void *m_ptr = nullptr;
    cudaStream_t m_stream;
};

constexpr std::size_t kAlign = 256;
constexpr int kMaxGridYZ = 65535; // rows beyond it are covered by the kernels' stride loops
std::size_t alignUp(std::size_t n)
{
    return (n + kAlign - 1) / kAlign * kAlign;
}

// Appends an axis to the staging bytes; returns its offsets (start, taps, weights).
struct AxisOffsets {
    std::size_t start, taps, weights;
};

AxisOffsets stage(const AxisCoeffs &a, std::vector<uint8_t> &bytes)
{
    auto put = [&bytes](const std::vector<int32_t> &v) {
        const std::size_t at = alignUp(bytes.size());
        bytes.resize(at + v.size() * sizeof(int32_t));
        std::copy_n(reinterpret_cast<const uint8_t *>(v.data()), v.size() * sizeof(int32_t), bytes.data() + at);
        return at;
    };
    AxisOffsets o {};
    o.start = put(a.start);
    o.taps = put(a.taps);
    o.weights = put(a.weights);
    return o;
}

DeviceAxis deviceAxis(const AxisCoeffs &a, const AxisOffsets &o, const uint8_t *base)
{
    return DeviceAxis {reinterpret_cast<const int32_t *>(base + o.start),
        reinterpret_cast<const int32_t *>(base + o.taps), reinterpret_cast<const int32_t *>(base + o.weights), a.ksize,
        a.srcFirst, a.count};
}

template<int C, bool Float>
void launch(const uint8_t *src, int n, int h, int w, const ResamplePlan &p, const float *tableHost, void *out,
    cudaStream_t stream)
{
    std::vector<uint8_t> bytes;
    const AxisOffsets rowsAt = stage(p.rows, bytes);
    const AxisOffsets colsAt = stage(p.cols, bytes);
    const std::size_t tableAt = alignUp(bytes.size());
    if (tableHost) {
        bytes.resize(tableAt + 768 * sizeof(float));
        std::copy_n(reinterpret_cast<const uint8_t *>(tableHost), 768 * sizeof(float), bytes.data() + tableAt);
    }
    const std::size_t tempAt = alignUp(bytes.size());
    const std::size_t tempPerImage = static_cast<std::size_t>(p.tempRows()) * p.validCols() * C;

    DeviceBuffer buf(tempAt + tempPerImage * n, stream);
    // Pageable source: returns once the bytes are staged, so `bytes` may go out of scope.
    check(cudaMemcpyAsync(buf.get(), bytes.data(), bytes.size(), cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
    const DeviceAxis rows = deviceAxis(p.rows, rowsAt, buf.get());
    const DeviceAxis cols = deviceAxis(p.cols, colsAt, buf.get());
    const float *table = tableHost ? reinterpret_cast<const float *>(buf.get() + tableAt) : nullptr;
    uint8_t *temp = buf.get() + tempAt;
    const OutputGeometry g {p.outH, p.outW, p.y0, p.y1, p.x0, p.x1, p.tempRows()};

    const dim3 block(32, 8);
    auto gridY = [&block](int rows) {
        return static_cast<unsigned>(std::min<int>((rows + block.y - 1) / block.y, kMaxGridYZ));
    };
    const std::size_t inPerImage = static_cast<std::size_t>(h) * w * C;
    const std::size_t outPerImage = static_cast<std::size_t>(p.outH) * p.outW * C * (Float ? sizeof(float) : 1);
    for (int first = 0; first < n; first += kMaxGridYZ) {
        const unsigned images = static_cast<unsigned>(std::min(n - first, kMaxGridYZ));
        uint8_t *tempFirst = temp + tempPerImage * first;
        if (tempPerImage > 0) {
            const dim3 grid((p.validCols() + block.x - 1) / block.x, gridY(p.tempRows()), images);
            horizontalKernel<C><<<grid, block, 0, stream>>>(
                src + inPerImage * first, h, w, p.rows.srcFirst, p.tempRows(), cols, tempFirst);
            check(cudaGetLastError(), "horizontal pass launch");
        }
        const dim3 grid((p.outW + block.x - 1) / block.x, gridY(p.outH), images);
        verticalKernel<C, Float>
            <<<grid, block, 0, stream>>>(tempFirst, rows, g, table, static_cast<uint8_t *>(out) + outPerImage * first);
        check(cudaGetLastError(), "vertical pass launch");
    }
}

template<bool Float>
void launchAny(
    const uint8_t *src, int n, int h, int w, const ResamplePlan &p, const float *tableHost, void *out, void *stream)
{
    const auto s = static_cast<cudaStream_t>(stream);
    if (n == 0)
        return;
    if constexpr (Float) {
        launch<3, true>(src, n, h, w, p, tableHost, out, s);
    } else {
        switch (p.channels) {
        case 1:
            launch<1, false>(src, n, h, w, p, nullptr, out, s);
            break;
        case 2:
            launch<2, false>(src, n, h, w, p, nullptr, out, s);
            break;
        case 3:
            launch<3, false>(src, n, h, w, p, nullptr, out, s);
            break;
        default:
            launch<4, false>(src, n, h, w, p, nullptr, out, s);
            break;
        }
    }
}

} // namespace

bool cudaDeviceAvailable()
{
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError(); // clear the sticky "no driver" error
        return false;
    }
    return count > 0;
}

void resizeBicubicPilCuda(
    const uint8_t *srcDevice, int srcH, int srcW, uint8_t *dstDevice, int dstH, int dstW, int channels, void *stream)
{
    detail::checkArgs(srcH, srcW, channels, srcDevice, dstDevice, "resizeBicubicPilCuda");
    if (dstH <= 0 || dstW <= 0)
        throw std::invalid_argument("resizeBicubicPilCuda: bad output size");
    const ResamplePlan p = detail::makeResizePlan(srcH, srcW, dstH, dstW, channels);
    launchAny<false>(srcDevice, 1, srcH, srcW, p, nullptr, dstDevice, stream);
}

void resizeCropCuda(
    const uint8_t *rgbDevice, int h, int w, const PreprocessParams &params, uint8_t *hwcOutDevice, void *stream)
{
    detail::checkArgs(h, w, 3, rgbDevice, hwcOutDevice, "resizeCropCuda");
    const ResamplePlan p = detail::makePlan(h, w, 3, preprocessGeometry(h, w, params));
    launchAny<false>(rgbDevice, 1, h, w, p, nullptr, hwcOutDevice, stream);
}

void preprocessBatchCuda(
    const uint8_t *rgbDevice, int n, int h, int w, const PreprocessParams &params, float *chwOutDevice, void *stream)
{
    detail::checkArgs(h, w, 3, rgbDevice, chwOutDevice, "preprocessCuda");
    if (n < 0)
        throw std::invalid_argument("preprocessBatchCuda: negative batch");
    const ResamplePlan p = detail::makePlan(h, w, 3, preprocessGeometry(h, w, params));
    const auto table = detail::normaliseTable(params);
    launchAny<true>(rgbDevice, n, h, w, p, table.data(), chwOutDevice, stream);
}

void preprocessCuda(
    const uint8_t *rgbDevice, int h, int w, const PreprocessParams &params, float *chwOutDevice, void *stream)
{
    preprocessBatchCuda(rgbDevice, 1, h, w, params, chwOutDevice, stream);
}

} // namespace ml::kernels
