// The batch-1 matrix-vector kernels against their scalar references, on shapes that exercise the
// four-row blocks, the leftover rows and the leftover columns; bf16 weights as bits.
#include "gemv.h"

#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace {

std::uint16_t toBf16(float f) // round to nearest even
{
    std::uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    bits += 0x7fff + ((bits >> 16) & 1);
    return static_cast<std::uint16_t>(bits >> 16);
}

} // namespace

class TestGemv : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesReference_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::newRow("768x768") << 768 << 768;
        QTest::newRow("odd 13x37") << 13 << 37;
        QTest::newRow("7x100") << 7 << 100;
        QTest::newRow("1x15") << 1 << 15;
        QTest::newRow("3x3072") << 3 << 3072;
    }
    void matchesReference()
    {
        QFETCH(int, rows);
        QFETCH(int, cols);
        std::mt19937 rng(7);
        std::normal_distribution<float> n(0.0f, 1.0f);
        std::vector<float> w(static_cast<std::size_t>(rows) * cols), x(cols), b(rows);
        for (auto *v : {&w, &x, &b})
            for (auto &e : *v)
                e = n(rng);
        std::vector<std::uint16_t> wb(w.size());
        for (std::size_t i = 0; i < w.size(); ++i)
            wb[i] = toBf16(w[i]);
        std::vector<float> y(rows), ref(rows);
        // Split at an odd row to test a thread's share starting mid-block.
        const int mid = rows / 3;
        ml::kernels::gemvF32(w.data(), x.data(), b.data(), y.data(), 0, mid, cols);
        ml::kernels::gemvF32(w.data(), x.data(), b.data(), y.data(), mid, rows, cols);
        ml::kernels::gemvF32Reference(w.data(), x.data(), b.data(), ref.data(), 0, rows, cols);
        for (int r = 0; r < rows; ++r)
            QVERIFY2(std::fabs(y[r] - ref[r]) <= 1e-4f * (1.0f + std::fabs(ref[r])), qPrintable(QString::number(r)));
        ml::kernels::gemvBf16(wb.data(), x.data(), nullptr, y.data(), 0, rows, cols);
        ml::kernels::gemvBf16Reference(wb.data(), x.data(), nullptr, ref.data(), 0, rows, cols);
        for (int r = 0; r < rows; ++r)
            QVERIFY2(std::fabs(y[r] - ref[r]) <= 1e-4f * (1.0f + std::fabs(ref[r])), qPrintable(QString::number(r)));
        // The bf16 product is the fp32 one of the rounded weights: close to the fp32 weights' result.
        ml::kernels::gemvF32Reference(w.data(), x.data(), nullptr, ref.data(), 0, rows, cols);
        for (int r = 0; r < rows; ++r)
            QVERIFY(std::fabs(y[r] - ref[r]) <= 0.02f * std::sqrt(static_cast<float>(cols)));
        qInfo("path: %s", ml::kernels::gemvPath());
    }
};

QTEST_GUILESS_MAIN(TestGemv)
#include "test_gemv.moc"
