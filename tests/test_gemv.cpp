// The batch-1 matrix-vector kernels against their scalar references, on every SIMD path this CPU
// has, on shapes that exercise a thread's share starting anywhere and the leftover columns past
// the last full vector block; bf16 weights as bits.
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
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        for (const char *path : {"avx512", "avx2"}) {
            const QByteArray p(path);
            QTest::newRow(p + " 768x768") << QString(path) << 768 << 768;
            QTest::newRow(p + " odd 13x37") << QString(path) << 13 << 37;
            QTest::newRow(p + " 7x100") << QString(path) << 7 << 100;
            QTest::newRow(p + " 1x15") << QString(path) << 1 << 15;
            QTest::newRow(p + " 3x3072") << QString(path) << 3 << 3072;
            QTest::newRow(p + " 5x2568") << QString(path) << 5 << 2568;
        }
    }
    void matchesReference()
    {
        QFETCH(QString, path);
        QFETCH(int, rows);
        QFETCH(int, cols);
        if (!ml::kernels::useGemvPath(qPrintable(path)))
            QSKIP("this CPU lacks the path");
        QCOMPARE(QString(ml::kernels::gemvPath()), path);
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
    }
    void cleanupTestCase() { ml::kernels::useGemvPath("avx512") || ml::kernels::useGemvPath("avx2"); }
};

QTEST_GUILESS_MAIN(TestGemv)
#include "test_gemv.moc"
