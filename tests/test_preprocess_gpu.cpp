// Image preprocessing, CUDA twin against the CPU twin (the oracle): the same uint8 bytes and the
// same floats at several shapes, on the default and on a user stream. Skips without a GPU.
#include "preprocess.h"
#include "preprocess_test_util.h"

#include <QtTest>

#ifdef MODALLENS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

using namespace ml::kernels;
using namespace ml::kernels::test;

namespace {

#ifdef MODALLENS_HAVE_CUDA
void cudaCheck(cudaError_t e)
{
    if (e != cudaSuccess)
        throw std::runtime_error(cudaGetErrorString(e));
}

// Device memory for one test: upload, download, freed at scope exit.
template<typename T> class DeviceArray {
public:
    explicit DeviceArray(std::size_t n) : m_n(n)
    {
        cudaCheck(cudaMalloc(&m_ptr, std::max<std::size_t>(n, 1) * sizeof(T)));
    }
    explicit DeviceArray(const std::vector<T> &host) : DeviceArray(host.size())
    {
        cudaCheck(cudaMemcpy(m_ptr, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
    }
    ~DeviceArray() { cudaFree(m_ptr); }
    DeviceArray(const DeviceArray &) = delete;
    DeviceArray &operator=(const DeviceArray &) = delete;
    T *get() const { return static_cast<T *>(m_ptr); }
    std::vector<T> download() const
    {
        std::vector<T> host(m_n);
        cudaCheck(cudaMemcpy(host.data(), m_ptr, m_n * sizeof(T), cudaMemcpyDeviceToHost));
        return host;
    }

private:
    void *m_ptr = nullptr;
    std::size_t m_n;
};
#endif

} // namespace

class TestPreprocessGpu : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
#ifndef MODALLENS_HAVE_CUDA
        QSKIP("built without CUDA (MODALLENS_CUDA=OFF or no nvcc)");
#else
        if (!cudaDeviceAvailable())
            QSKIP("no CUDA device");
        cudaDeviceProp prop {};
        cudaCheck(cudaGetDeviceProperties(&prop, 0));
        qInfo("device: %s (sm_%d%d)", prop.name, prop.major, prop.minor);
#endif
    }

#ifdef MODALLENS_HAVE_CUDA
    void resizeMatchesCpu_data()
    {
        addResizeColumns();
        QTest::newRow("vga down") << 480 << 640 << 3 << 224 << 298;
        QTest::newRow("upscale") << 300 << 200 << 3 << 336 << 224;
        QTest::newRow("odd") << 7 << 13 << 3 << 3 << 5;
        QTest::newRow("1xN") << 1 << 50 << 3 << 224 << 11200;
        QTest::newRow("Nx1 gray") << 333 << 1 << 1 << 74592 << 224;
        QTest::newRow("4 bands") << 64 << 48 << 4 << 29 << 31;
        QTest::newRow("2 bands") << 65 << 47 << 2 << 224 << 162;
        QTest::newRow("horizontal only") << 224 << 300 << 3 << 224 << 301;
        QTest::newRow("vertical only") << 300 << 224 << 3 << 301 << 224;
        QTest::newRow("identity") << 31 << 17 << 3 << 31 << 17;
        QTest::newRow("4k down") << 2160 << 3840 << 3 << 224 << 398;
    }
    void resizeMatchesCpu()
    {
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(int, c);
        QFETCH(int, oh);
        QFETCH(int, ow);
        const auto src = randomImage(h, w, c, static_cast<unsigned>(h + 31 * w));
        std::vector<uint8_t> cpu(static_cast<std::size_t>(oh) * ow * c);
        resizeBicubicPil(src.data(), h, w, cpu.data(), oh, ow, c);

        DeviceArray<uint8_t> dSrc(src);
        DeviceArray<uint8_t> dDst(cpu.size());
        resizeBicubicPilCuda(dSrc.get(), h, w, dDst.get(), oh, ow, c);
        const auto gpu = dDst.download();
        QCOMPARE(differingBytes(gpu, cpu), std::size_t {0});
    }

    void preprocessMatchesCpu_data()
    {
        addCropColumns();
        QTest::newRow("vga") << 480 << 640 << true << true << 0 << 224 << 224;
        QTest::newRow("portrait odd, round") << 641 << 479 << true << true << 1 << 224 << 224;
        QTest::newRow("upscale") << 100 << 150 << true << true << 0 << 224 << 224;
        QTest::newRow("1xN") << 1 << 640 << true << true << 0 << 224 << 224;
        QTest::newRow("Nx1") << 333 << 1 << true << true << 1 << 224 << 224;
        QTest::newRow("1x1") << 1 << 1 << true << true << 0 << 224 << 224;
        QTest::newRow("crop > resized") << 480 << 640 << true << true << 0 << 229 << 301;
        QTest::newRow("no resize, pad") << 101 << 300 << false << true << 1 << 224 << 224;
        QTest::newRow("no crop") << 260 << 390 << true << false << 0 << 224 << 224;
        QTest::newRow("full hd") << 1080 << 1920 << true << true << 0 << 336 << 336;
    }
    void preprocessMatchesCpu()
    {
        auto [h, w, p] = fetchCropCase();
        p.shortestEdge = p.cropHeight;
        const auto src = randomImage(h, w, 3, static_cast<unsigned>(7 * h + w));
        const PreprocessGeometry g = preprocessGeometry(h, w, p);
        const std::size_t pixels = static_cast<std::size_t>(g.outHeight) * g.outWidth;

        std::vector<uint8_t> cpuBytes(pixels * 3);
        resizeCropCpu(src.data(), h, w, p, cpuBytes.data());
        std::vector<float> cpu(pixels * 3);
        preprocessCpu(src.data(), h, w, p, cpu.data());

        DeviceArray<uint8_t> dSrc(src);
        DeviceArray<uint8_t> dBytes(cpuBytes.size());
        DeviceArray<float> dOut(cpu.size());
        resizeCropCuda(dSrc.get(), h, w, p, dBytes.get());
        preprocessCuda(dSrc.get(), h, w, p, dOut.get());
        QCOMPARE(differingBytes(dBytes.download(), cpuBytes), std::size_t {0});
        const double diff = maxAbsDiff(dOut.download(), cpu);
        qInfo("max |cuda - cpu| %g", diff);
        QVERIFY(diff <= 1e-6);
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
        cudaCheck(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
        DeviceArray<uint8_t> dSrc(src);
        DeviceArray<float> dOut(outSize);
        preprocessBatchCuda(dSrc.get(), n, h, w, p, dOut.get(), stream);
        cudaCheck(cudaStreamSynchronize(stream));
        cudaCheck(cudaStreamDestroy(stream));
        QVERIFY(maxAbsDiff(dOut.download(), cpu) <= 1e-6);
    }

    // Reported, never asserted: one VGA frame, and a batch of 64 frames, end to end on the device.
    void benchmarkVga()
    {
        const auto src = randomImage(480, 640, 3, 1);
        DeviceArray<uint8_t> dSrc(src);
        DeviceArray<float> dOut(3 * 224 * 224);
        PreprocessParams p;
        QBENCHMARK
        {
            preprocessCuda(dSrc.get(), 480, 640, p, dOut.get());
            cudaCheck(cudaDeviceSynchronize());
        }
    }
    void benchmarkVgaBatch64()
    {
        const int n = 64;
        const auto src = randomBytes(static_cast<std::size_t>(n) * 480 * 640 * 3, 2);
        DeviceArray<uint8_t> dSrc(src);
        DeviceArray<float> dOut(static_cast<std::size_t>(n) * 3 * 224 * 224);
        PreprocessParams p;
        QBENCHMARK
        {
            preprocessBatchCuda(dSrc.get(), n, 480, 640, p, dOut.get());
            cudaCheck(cudaDeviceSynchronize());
        }
    }
#endif
};

QTEST_GUILESS_MAIN(TestPreprocessGpu)
#include "test_preprocess_gpu.moc"
