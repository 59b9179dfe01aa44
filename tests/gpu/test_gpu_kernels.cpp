// Each CUDA kernel of kernels/ against its CPU twin (the oracle), Qt-free for a GPU box: the
// preprocessing twin bit-exact (the resized uint8 bytes and the normalised floats) at the shapes
// the Qt test of the CUDA twin covered, on the default stream and on a user stream. The device
// outputs are filled with a pattern first, so a kernel that never ran cannot match.
#include "gpu_check.h"
#include "preprocess.h"
#include "random_bytes.h"

#ifdef MODALLENS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

using namespace ml::kernels;
using ml::kernels::test::randomBytes;
using ml::kernels::test::randomImage;

namespace {

#ifdef MODALLENS_HAVE_CUDA
void cudaCheck(cudaError_t e, const char *what)
{
    if (e != cudaSuccess)
        throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

// Device memory for one check: upload, download, freed at scope exit. New arrays hold 0xA5
// bytes (a NaN-free float pattern no kernel output equals by chance everywhere).
template<typename T> class DeviceArray {
public:
    explicit DeviceArray(std::size_t n) : m_n(n)
    {
        cudaCheck(cudaMalloc(&m_ptr, std::max<std::size_t>(n, 1) * sizeof(T)), "cudaMalloc");
        cudaCheck(cudaMemset(m_ptr, 0xA5, std::max<std::size_t>(n, 1) * sizeof(T)), "cudaMemset");
    }
    explicit DeviceArray(const std::vector<T> &host) : DeviceArray(host.size())
    {
        cudaCheck(cudaMemcpy(m_ptr, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "upload");
    }
    ~DeviceArray() { cudaFree(m_ptr); }
    DeviceArray(const DeviceArray &) = delete;
    DeviceArray &operator=(const DeviceArray &) = delete;
    T *get() const { return static_cast<T *>(m_ptr); }
    std::vector<T> download() const
    {
        std::vector<T> host(m_n);
        cudaCheck(cudaMemcpy(host.data(), m_ptr, m_n * sizeof(T), cudaMemcpyDeviceToHost), "download");
        return host;
    }

private:
    void *m_ptr = nullptr;
    std::size_t m_n;
};

// Bytes that differ, reported with the check.
bool checkBytes(const std::vector<uint8_t> &gpu, const std::vector<uint8_t> &cpu, const std::string &name, int line)
{
    std::size_t differing = gpu.size() == cpu.size() ? 0 : cpu.size();
    for (std::size_t i = 0; i < std::min(gpu.size(), cpu.size()); ++i)
        differing += gpu[i] != cpu[i];
    return ml::gpucheck::record(differing == 0, __FILE__, line,
        name + ": " + std::to_string(differing) + " of " + std::to_string(cpu.size()) + " bytes differ");
}

// Floats bit for bit (the normalisation is a table lookup in both twins), with max |diff|.
bool checkFloats(const std::vector<float> &gpu, const std::vector<float> &cpu, const std::string &name, int line)
{
    std::size_t differing = gpu.size() == cpu.size() ? 0 : cpu.size();
    double maxDiff = 0.0;
    for (std::size_t i = 0; i < std::min(gpu.size(), cpu.size()); ++i) {
        std::uint32_t a = 0, b = 0;
        std::memcpy(&a, &gpu[i], sizeof a);
        std::memcpy(&b, &cpu[i], sizeof b);
        differing += a != b;
        maxDiff = std::max(maxDiff, std::abs(static_cast<double>(gpu[i]) - static_cast<double>(cpu[i])));
    }
    return ml::gpucheck::record(differing == 0, __FILE__, line,
        name + ": " + std::to_string(differing) + " of " + std::to_string(cpu.size())
            + " floats differ in their bits, max |diff| " + ml::gpucheck::fig(maxDiff));
}

struct ResizeCase {
    const char *name;
    int h, w, c, oh, ow;
};

void resizeMatchesCpu()
{
    const ResizeCase cases[] = {
        {"vga down", 480, 640, 3, 224, 298},
        {"upscale", 300, 200, 3, 336, 224},
        {"odd", 7, 13, 3, 3, 5},
        {"1xN", 1, 50, 3, 224, 11200},
        {"Nx1 gray", 333, 1, 1, 74592, 224},
        {"4 bands", 64, 48, 4, 29, 31},
        {"2 bands", 65, 47, 2, 224, 162},
        {"horizontal only", 224, 300, 3, 224, 301},
        {"vertical only", 300, 224, 3, 301, 224},
        {"identity", 31, 17, 3, 31, 17},
        {"4k down", 2160, 3840, 3, 224, 398},
    };
    for (const auto &t : cases) {
        const auto src = randomImage(t.h, t.w, t.c, static_cast<unsigned>(t.h + 31 * t.w));
        std::vector<uint8_t> cpu(static_cast<std::size_t>(t.oh) * t.ow * t.c);
        resizeBicubicPil(src.data(), t.h, t.w, cpu.data(), t.oh, t.ow, t.c);
        DeviceArray<uint8_t> dSrc(src);
        DeviceArray<uint8_t> dDst(cpu.size());
        resizeBicubicPilCuda(dSrc.get(), t.h, t.w, dDst.get(), t.oh, t.ow, t.c);
        checkBytes(dDst.download(), cpu, std::string("resize ") + t.name, __LINE__);
    }
}

struct CropCase {
    const char *name;
    int h, w;
    bool doResize, doCrop;
    CropRounding rounding;
    int cropH, cropW;
};

void preprocessMatchesCpu()
{
    const auto F = CropRounding::Floor, R = CropRounding::Round;
    const CropCase cases[] = {
        {"vga", 480, 640, true, true, F, 224, 224},
        {"portrait odd, round", 641, 479, true, true, R, 224, 224},
        {"upscale", 100, 150, true, true, F, 224, 224},
        {"1xN", 1, 640, true, true, F, 224, 224},
        {"Nx1", 333, 1, true, true, R, 224, 224},
        {"1x1", 1, 1, true, true, F, 224, 224},
        {"crop > resized", 480, 640, true, true, F, 229, 301},
        {"no resize, pad", 101, 300, false, true, R, 224, 224},
        {"no crop", 260, 390, true, false, F, 224, 224},
        {"full hd", 1080, 1920, true, true, F, 336, 336},
    };
    for (const auto &t : cases) {
        PreprocessParams p;
        p.doResize = t.doResize;
        p.doCrop = t.doCrop;
        p.crop = t.rounding;
        p.cropHeight = t.cropH;
        p.cropWidth = t.cropW;
        p.shortestEdge = t.cropH;
        const auto src = randomImage(t.h, t.w, 3, static_cast<unsigned>(7 * t.h + t.w));
        const PreprocessGeometry g = preprocessGeometry(t.h, t.w, p);
        const std::size_t pixels = static_cast<std::size_t>(g.outHeight) * g.outWidth;

        std::vector<uint8_t> cpuBytes(pixels * 3);
        resizeCropCpu(src.data(), t.h, t.w, p, cpuBytes.data());
        std::vector<float> cpu(pixels * 3);
        preprocessCpu(src.data(), t.h, t.w, p, cpu.data());

        DeviceArray<uint8_t> dSrc(src);
        DeviceArray<uint8_t> dBytes(cpuBytes.size());
        DeviceArray<float> dOut(cpu.size());
        resizeCropCuda(dSrc.get(), t.h, t.w, p, dBytes.get());
        preprocessCuda(dSrc.get(), t.h, t.w, p, dOut.get());
        checkBytes(dBytes.download(), cpuBytes, std::string("resize+crop ") + t.name, __LINE__);
        checkFloats(dOut.download(), cpu, std::string("preprocess ") + t.name, __LINE__);
    }
}

void batchOnStreamMatchesCpu()
{
    const int n = 5, h = 360, w = 480;
    const auto src = randomBytes(static_cast<std::size_t>(n) * h * w * 3, 42);
    PreprocessParams p;
    const std::size_t outSize = static_cast<std::size_t>(n) * 3 * 224 * 224;
    std::vector<float> cpu(outSize);
    preprocessBatchCpu(src.data(), n, h, w, p, cpu.data());

    cudaStream_t stream = nullptr;
    cudaCheck(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "stream");
    DeviceArray<uint8_t> dSrc(src);
    DeviceArray<float> dOut(outSize);
    preprocessBatchCuda(dSrc.get(), n, h, w, p, dOut.get(), stream);
    cudaCheck(cudaStreamSynchronize(stream), "synchronize");
    cudaCheck(cudaStreamDestroy(stream), "destroy stream");
    checkFloats(dOut.download(), cpu, "batch of 5 on a user stream", __LINE__);
}
#endif

} // namespace

int main()
{
    ml::gpucheck::skipUnlessCuda();
#ifndef MODALLENS_HAVE_CUDA
    ml::gpucheck::skip("built without CUDA kernels (MODALLENS_CUDA=OFF or no nvcc)");
#else
    GPU_CHECK(cudaDeviceAvailable(), "the kernels' CUDA runtime sees the device LibTorch sees");
    cudaDeviceProp prop {};
    cudaCheck(cudaGetDeviceProperties(&prop, 0), "device properties");
    std::printf("device: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
    ml::gpucheck::run("resizeMatchesCpu", resizeMatchesCpu);
    ml::gpucheck::run("preprocessMatchesCpu", preprocessMatchesCpu);
    ml::gpucheck::run("batchOnStreamMatchesCpu", batchOnStreamMatchesCpu);
    return ml::gpucheck::finish();
#endif
}
