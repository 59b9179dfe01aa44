// Helpers of test_preprocess.cpp (the CPU twin; gpu/test_gpu_kernels.cpp checks the CUDA twin).
#pragma once

#include "preprocess.h"
#include "random_bytes.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ml::kernels::test {

inline std::size_t differingBytes(const uint8_t *a, const uint8_t *b, std::size_t n)
{
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i)
        count += a[i] != b[i];
    return count;
}

inline std::size_t differingBytes(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b)
{
    return differingBytes(a.data(), b.data(), a.size());
}

inline double maxAbsDiff(const float *a, const float *b, std::size_t n)
{
    double m = 0.0;
    for (std::size_t i = 0; i < n; ++i)
        m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
    return m;
}

inline double maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b)
{
    return maxAbsDiff(a.data(), b.data(), a.size());
}

// The columns of a resize case: source h x w x c, output oh x ow.
inline void addResizeColumns()
{
    QTest::addColumn<int>("h");
    QTest::addColumn<int>("w");
    QTest::addColumn<int>("c");
    QTest::addColumn<int>("oh");
    QTest::addColumn<int>("ow");
}

// The columns of a resize + crop case: source h x w, then PreprocessParams' doResize, doCrop,
// crop rounding (0 floor, 1 round), cropHeight, cropWidth.
inline void addCropColumns()
{
    QTest::addColumn<int>("h");
    QTest::addColumn<int>("w");
    QTest::addColumn<bool>("doResize");
    QTest::addColumn<bool>("doCrop");
    QTest::addColumn<int>("rounding");
    QTest::addColumn<int>("cropH");
    QTest::addColumn<int>("cropW");
}

struct CropCase {
    int h = 0, w = 0;
    PreprocessParams params;
};

// The current row of addCropColumns(); call from the test function.
inline CropCase fetchCropCase()
{
    QFETCH(int, h);
    QFETCH(int, w);
    QFETCH(bool, doResize);
    QFETCH(bool, doCrop);
    QFETCH(int, rounding);
    QFETCH(int, cropH);
    QFETCH(int, cropW);
    CropCase t;
    t.h = h;
    t.w = w;
    t.params.doResize = doResize;
    t.params.doCrop = doCrop;
    t.params.crop = rounding ? CropRounding::Round : CropRounding::Floor;
    t.params.cropHeight = cropH;
    t.params.cropWidth = cropW;
    return t;
}

} // namespace ml::kernels::test
