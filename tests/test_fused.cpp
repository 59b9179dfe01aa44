// The fused element-wise kernels against their scalar references, on every SIMD path this CPU
// has, at transformer widths and at odd ones (a partial last vector); the references against the
// textbook formulas; softmax's masks and exp's extremes.
#include "fused.h"

#include <QtTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using ml::kernels::Activation;
namespace mk = ml::kernels;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// fp32 outputs: |kernel - reference| <= tol * max(floor, |reference|). A floor of 1 bounds the error
// absolutely near zero, where the references cancel (1 + erf, 1 + tanh in a GELU's left tail) or
// the outputs are shifted (LayerNorm's beta); a tiny floor makes the bound relative, for softmax and
// quick_gelu, whose references don't. The kernels' measured errors are ~4e-7 (vector exp and erfc,
// a few ulps; lane-wise float sums, where the references sum in double).
struct Tolerance {
    double tol;
    double floor;
};
constexpr Tolerance kAbs {1e-6, 1.0};
constexpr Tolerance kRel {1e-6, std::numeric_limits<float>::min()};
constexpr Tolerance kSoftmaxRel {2e-6, std::numeric_limits<float>::min()}; // + a 3072-term float sum
constexpr Tolerance kExact {0.0, 1.0};

std::vector<float> normal(std::size_t n, float mean, float sd, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(mean, sd);
    std::vector<float> v(n);
    for (auto &e : v)
        e = dist(rng);
    return v;
}

double errorOf(float got, float want, double floor)
{
    if (std::isnan(got) || std::isnan(want))
        return std::isnan(got) && std::isnan(want) ? 0.0 : kInf;
    if (got == want) // infinities too
        return 0.0;
    return std::fabs(static_cast<double>(got) - want) / std::max(floor, std::fabs(static_cast<double>(want)));
}

// Empty when every element is within t; else the worst one.
QString compareF32(const char *what, const std::vector<float> &got, const std::vector<float> &want, Tolerance t)
{
    std::size_t worst = 0;
    for (std::size_t i = 1; i < got.size(); ++i)
        if (errorOf(got[i], want[i], t.floor) > errorOf(got[worst], want[worst], t.floor))
            worst = i;
    if (got.empty() || errorOf(got[worst], want[worst], t.floor) <= t.tol)
        return {};
    return QStringLiteral("%1[%2]: %3, reference %4")
        .arg(what)
        .arg(worst)
        .arg(got[worst], 0, 'g', 9)
        .arg(want[worst], 0, 'g', 9);
}

// bf16: within one bf16 ulp (an fp32 value a few ulps off may round the other way), or within kAbs
// (a value near zero, where the fp32 difference is many bf16 ulps).
QString compareBf16(const char *what, const std::vector<std::uint16_t> &got, const std::vector<std::uint16_t> &want)
{
    const auto ordered = [](std::uint16_t b) { return (b & 0x8000) ? -(b & 0x7fff) : (b & 0x7fff); };
    for (std::size_t i = 0; i < got.size(); ++i) {
        const float g = mk::bf16ToFloatBits(got[i]), w = mk::bf16ToFloatBits(want[i]);
        if (std::abs(ordered(got[i]) - ordered(want[i])) > 1 && errorOf(g, w, kAbs.floor) > kAbs.tol)
            return QStringLiteral("%1[%2]: %3 (0x%4), reference %5 (0x%6)")
                .arg(what)
                .arg(i)
                .arg(g)
                .arg(got[i], 4, 16, QChar('0'))
                .arg(w)
                .arg(want[i], 4, 16, QChar('0'));
    }
    return {};
}

Tolerance tolerance(Activation act)
{
    switch (act) {
    case Activation::None:
        return kExact;
    case Activation::QuickGelu:
        return kRel;
    case Activation::Gelu:
    case Activation::GeluTanh:
        break;
    }
    return kAbs;
}

std::size_t size(int rows, int cols)
{
    return static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
}

std::vector<float> withOutliers(std::vector<float> x, int cols)
{
    for (std::size_t r = 0; r * cols < x.size(); ++r)
        x[r * cols + r % cols] = 40.0f;
    return x;
}

void addPaths()
{
    QTest::addColumn<QString>("path");
    for (const char *path : {"avx512bf16", "avx512", "avx2", "scalar"})
        QTest::newRow(path) << QString(path);
}

// Transformer widths, and odd ones (a partial last vector, rows starting unaligned).
void addShapes()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    for (const char *path : {"avx512bf16", "avx512", "avx2"})
        for (auto [rows, cols] : {std::pair {4, 768}, {3, 512}, {2, 3072}, {5, 13}, {3, 37}, {7, 1}, {3, 100}})
            QTest::newRow(QStringLiteral("%1 %2x%3").arg(path).arg(rows).arg(cols).toLatin1())
                << QString(path) << rows << cols;
}

} // namespace

class TestFused : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void layerNormMatchesReference_data() { addShapes(); }
    void layerNormMatchesReference()
    {
        QFETCH(QString, path);
        QFETCH(int, rows);
        QFETCH(int, cols);
        if (!mk::useFusedPath(qPrintable(path)))
            QSKIP("this CPU lacks the path");
        QCOMPARE(QString(mk::fusedPath()), path);
        // An offset, and one outlier a row (CLIP's residual stream has them).
        const std::vector<float> x = withOutliers(normal(size(rows, cols), 0.5f, 1.5f, 1), cols);
        const std::vector<float> gamma = normal(cols, 1.0f, 0.2f, 2), beta = normal(cols, 0.0f, 0.1f, 3);
        std::vector<float> out(x.size()), ref(x.size());
        std::vector<std::uint16_t> outB(x.size()), refB(x.size());
        mk::layerNormF32(x.data(), rows, cols, gamma.data(), beta.data(), 1e-5f, out.data());
        mk::layerNormF32Reference(x.data(), rows, cols, gamma.data(), beta.data(), 1e-5f, ref.data());
        QCOMPARE(compareF32("layerNormF32", out, ref, kAbs), QString());
        mk::layerNormBf16(x.data(), rows, cols, gamma.data(), beta.data(), 1e-5f, outB.data());
        mk::layerNormBf16Reference(x.data(), rows, cols, gamma.data(), beta.data(), 1e-5f, refB.data());
        QCOMPARE(compareBf16("layerNormBf16", outB, refB), QString());
    }

    void biasActMatchesReference_data() { addShapes(); }
    void biasActMatchesReference()
    {
        QFETCH(QString, path);
        QFETCH(int, rows);
        QFETCH(int, cols);
        if (!mk::useFusedPath(qPrintable(path)))
            QSKIP("this CPU lacks the path");
        // Inputs out to +-12: GELU's tails included.
        const std::vector<float> in = normal(size(rows, cols), 0.0f, 3.0f, 4), bias = normal(cols, 0.0f, 0.5f, 5);
        std::vector<float> out, ref;
        for (Activation act : {Activation::None, Activation::QuickGelu, Activation::Gelu, Activation::GeluTanh})
            for (const float *b : {bias.data(), static_cast<const float *>(nullptr)}) {
                const QByteArray what = "biasAct " + QByteArray::number(static_cast<int>(act)) + (b ? " bias" : "");
                out = in;
                ref = in;
                mk::biasActF32(out.data(), rows, cols, b, act);
                mk::biasActF32Reference(ref.data(), rows, cols, b, act);
                QCOMPARE(compareF32(what.constData(), out, ref, tolerance(act)), QString());
            }
    }

    // The residual add makes the same additions in the same order, so it is exact; so is the
    // rounding of rows to bf16 (no denormals here).
    void residualAndRoundingMatchReference_data() { addShapes(); }
    void residualAndRoundingMatchReference()
    {
        QFETCH(QString, path);
        QFETCH(int, rows);
        QFETCH(int, cols);
        if (!mk::useFusedPath(qPrintable(path)))
            QSKIP("this CPU lacks the path");
        const std::size_t n = size(rows, cols);
        const std::vector<float> x = withOutliers(normal(n, 0.5f, 1.5f, 1), cols), y = normal(n, 0.0f, 1.0f, 6),
                                 bias = normal(cols, 0.0f, 0.5f, 5);
        std::vector<std::uint16_t> yB(n), scalar(n);
        for (std::size_t i = 0; i < n; ++i)
            scalar[i] = mk::floatToBf16(y[i]);
        mk::floatToBf16Rows(y.data(), static_cast<std::int64_t>(n), yB.data());
        QCOMPARE(yB, scalar);
        for (const float *b : {bias.data(), static_cast<const float *>(nullptr)}) {
            std::vector<float> out = x, ref = x;
            mk::residualAddF32(out.data(), y.data(), b, rows, cols);
            mk::residualAddF32Reference(ref.data(), y.data(), b, rows, cols);
            QCOMPARE(compareF32("residualAddF32", out, ref, kExact), QString());
            mk::residualAddBf16(out.data(), yB.data(), b, rows, cols);
            mk::residualAddBf16Reference(ref.data(), yB.data(), b, rows, cols);
            QCOMPARE(compareF32("residualAddBf16", out, ref, kExact), QString());
        }
    }

    void softmaxMatchesReference_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("maskRows"); // 0: no mask; -1: random, with -inf entries; else causal
        for (const char *path : {"avx512bf16", "avx512", "avx2"}) {
            const QByteArray p(path);
            QTest::newRow(p + " 50x50") << QString(path) << 50 << 50 << 0;
            QTest::newRow(p + " 12 heads of 77x77, causal") << QString(path) << 12 * 77 << 77 << 77;
            QTest::newRow(p + " 3x13 masked") << QString(path) << 3 << 13 << -1;
            QTest::newRow(p + " 4x1") << QString(path) << 4 << 1 << 0;
            QTest::newRow(p + " 2x3072 masked") << QString(path) << 2 << 3072 << -1;
            QTest::newRow(p + " 6x768 masked") << QString(path) << 6 << 768 << -1;
        }
    }
    void softmaxMatchesReference()
    {
        QFETCH(QString, path);
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, maskRows);
        if (!mk::useFusedPath(qPrintable(path)))
            QSKIP("this CPU lacks the path");
        const std::size_t n = static_cast<std::size_t>(rows) * cols;
        const std::vector<float> s = normal(n, 0.0f, 8.0f, 7);
        std::vector<float> mask;
        if (maskRows > 0) {
            for (int i = 0; i < maskRows; ++i)
                for (int j = 0; j < cols; ++j)
                    mask.push_back(j > i ? -kInf : 0.0f);
        } else if (maskRows < 0) {
            maskRows = 3;
            mask = normal(static_cast<std::size_t>(maskRows) * cols, 0.0f, 1.0f, 8);
            for (std::size_t i = 0; i < mask.size(); i += 5)
                mask[i] = -kInf;
        }
        const float scale = 0.125f; // 1 / sqrt(head_dim 64)
        const float *m = mask.empty() ? nullptr : mask.data();
        std::vector<float> out(n), ref(n);
        std::vector<std::uint16_t> outB(n), refB(n);
        mk::softmaxF32(s.data(), rows, cols, scale, m, maskRows, out.data());
        mk::softmaxF32Reference(s.data(), rows, cols, scale, m, maskRows, ref.data());
        QCOMPARE(compareF32("softmaxF32", out, ref, kSoftmaxRel), QString());
        mk::softmaxBf16(s.data(), rows, cols, scale, m, maskRows, outB.data());
        mk::softmaxBf16Reference(s.data(), rows, cols, scale, m, maskRows, refB.data());
        QCOMPARE(compareBf16("softmaxBf16", outB, refB), QString());
        for (int r = 0; r < rows; ++r) {
            double sum = 0.0;
            for (int j = 0; j < cols; ++j) {
                const std::size_t i = static_cast<std::size_t>(r) * cols + j;
                sum += out[i];
                if (m && m[r % maskRows * cols + j] == -kInf) {
                    QVERIFY(out[i] == 0.0f);
                    QCOMPARE(outB[i], std::uint16_t(0));
                }
            }
            QVERIFY2(std::fabs(sum - 1.0) <= 1e-5, qPrintable(QStringLiteral("row %1 sums to %2").arg(r).arg(sum)));
        }
    }

    void allMaskedRowGivesZeros_data() { addPaths(); }
    void allMaskedRowGivesZeros()
    {
        QFETCH(QString, path);
        if (!mk::useFusedPath(qPrintable(path)))
            QSKIP("this CPU lacks the path");
        for (int cols : {1, 13, 77}) {
            // Row 0 masked entirely, row 1 all -inf scores, row 2 ordinary.
            std::vector<float> s = normal(3 * static_cast<std::size_t>(cols), 0.0f, 1.0f, 9), mask(3 * cols, 0.0f);
            std::fill(mask.begin(), mask.begin() + cols, -kInf);
            std::fill(s.begin() + cols, s.begin() + 2 * cols, -kInf);
            std::vector<float> out(s.size(), 1.0f);
            std::vector<std::uint16_t> outB(s.size(), 1);
            mk::softmaxF32(s.data(), 3, cols, 0.5f, mask.data(), 3, out.data());
            mk::softmaxBf16(s.data(), 3, cols, 0.5f, mask.data(), 3, outB.data());
            for (std::size_t i = 0; i < 2 * static_cast<std::size_t>(cols); ++i) {
                QVERIFY(out[i] == 0.0f);
                QCOMPARE(outB[i], std::uint16_t(0));
            }
            float sum = 0.0f;
            for (std::size_t i = 2 * static_cast<std::size_t>(cols); i < s.size(); ++i)
                sum += out[i];
            QVERIFY(std::fabs(sum - 1.0f) < 1e-5f);
        }
    }

    // exp at its extremes: exp(80), exp(-1e4), exp(-inf) and overflow to inf inside the activations.
    void extremes_data() { addPaths(); }
    void extremes()
    {
        QFETCH(QString, path);
        if (!mk::useFusedPath(qPrintable(path)))
            QSKIP("this CPU lacks the path");
        const std::vector<float> s = {80.0f, -kInf, -1e4f, 0.0f, 1e4f, -1e4f, 1e4f - 80.0f, -kInf};
        std::vector<float> out(s.size()), ref(s.size());
        mk::softmaxF32(s.data(), 2, 4, 1.0f, nullptr, 0, out.data());
        mk::softmaxF32Reference(s.data(), 2, 4, 1.0f, nullptr, 0, ref.data());
        for (float v : out)
            QVERIFY(std::isfinite(v));
        QCOMPARE(compareF32("softmax", out, ref, kSoftmaxRel), QString());
        QVERIFY(out[0] == 1.0f);
        QVERIFY(out[1] == 0.0f);
        QVERIFY(out[2] == 0.0f);
        QVERIFY(out[3] > 0.0f && out[3] < 2e-35f); // e^-80
        QVERIFY(out[4] == 1.0f);
        QVERIFY(out[5] == 0.0f);

        // quick_gelu(-47.0035) takes exp(80); at -1e4 exp overflows to inf and the result is -0.
        const std::vector<float> x
            = {-1e4f, -100.0f, -47.0035f, -11.0f, -10.0f, -5.0f, -0.0f, 0.0f, 5.0f, 80.0f, 100.0f, 1e4f, 1e30f, kInf};
        for (Activation act : {Activation::QuickGelu, Activation::Gelu, Activation::GeluTanh}) {
            out = x;
            ref = x;
            mk::biasActF32(out.data(), 1, static_cast<std::int64_t>(x.size()), nullptr, act);
            mk::biasActF32Reference(ref.data(), 1, static_cast<std::int64_t>(x.size()), nullptr, act);
            for (std::size_t i = 0; i + 1 < x.size(); ++i)
                QVERIFY2(std::isfinite(out[i]), qPrintable(QString::number(x[i])));
            QVERIFY(out.back() == kInf);
            QVERIFY(out[0] == 0.0f);
            QVERIFY(out[11] == 1e4f);
            QCOMPARE(compareF32("activation", out, ref, tolerance(act)), QString());
        }
    }

    // The references (the oracle) against the formulas, in double, and known values.
    void referencesMatchFormulas()
    {
        const double pi = 3.14159265358979323846;
        const std::vector<float> x = {-6.0f, -3.0f, -1.0f, -0.5f, 0.0f, 0.25f, 1.0f, 2.0f, 4.0f};
        const auto formula = [pi](Activation act, double v) {
            switch (act) {
            case Activation::None:
                break;
            case Activation::QuickGelu:
                return v / (1.0 + std::exp(-1.702 * v));
            case Activation::Gelu:
                return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
            case Activation::GeluTanh:
                return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (v + 0.044715 * v * v * v)));
            }
            return v;
        };
        for (Activation act : {Activation::QuickGelu, Activation::Gelu, Activation::GeluTanh}) {
            std::vector<float> y = x;
            mk::biasActF32Reference(y.data(), 1, static_cast<std::int64_t>(y.size()), nullptr, act);
            for (std::size_t i = 0; i < x.size(); ++i)
                QVERIFY2(std::fabs(y[i] - formula(act, x[i])) <= 1e-6 * std::max(1.0, std::fabs(formula(act, x[i]))),
                    qPrintable(QStringLiteral("act %1 at %2").arg(static_cast<int>(act)).arg(x[i])));
        }
        std::vector<float> one = {1.0f, 1.0f, 1.0f};
        mk::biasActF32Reference(one.data(), 1, 1, nullptr, Activation::Gelu);
        mk::biasActF32Reference(one.data() + 1, 1, 1, nullptr, Activation::QuickGelu);
        mk::biasActF32Reference(one.data() + 2, 1, 1, nullptr, Activation::GeluTanh);
        QVERIFY(std::fabs(one[0] - 0.8413447f) < 1e-6f);
        QVERIFY(std::fabs(one[1] - 0.8457957f) < 1e-6f);
        QVERIFY(std::fabs(one[2] - 0.8411920f) < 1e-6f);

        // LayerNorm of 1..4: (x - 2.5) / sqrt(1.25); softmax of {0, ln 3}: {1/4, 3/4}.
        const std::vector<float> v = {1.0f, 2.0f, 3.0f, 4.0f}, gamma(4, 1.0f), beta(4, 0.0f);
        std::vector<float> ln(4);
        mk::layerNormF32Reference(v.data(), 1, 4, gamma.data(), beta.data(), 0.0f, ln.data());
        for (int i = 0; i < 4; ++i)
            QVERIFY(std::fabs(ln[i] - (i - 1.5) / std::sqrt(1.25)) < 1e-6);
        const std::vector<float> logits = {0.0f, static_cast<float>(std::log(3.0))};
        std::vector<float> p(2);
        mk::softmaxF32Reference(logits.data(), 1, 2, 1.0f, nullptr, 0, p.data());
        QVERIFY(std::fabs(p[0] - 0.25f) < 1e-7f && std::fabs(p[1] - 0.75f) < 1e-7f);
    }

    void bf16Rounding_data() { addPaths(); }
    void bf16Rounding()
    {
        QFETCH(QString, path);
        if (!mk::useFusedPath(qPrintable(path)))
            QSKIP("this CPU lacks the path");
        const auto f = [](std::uint32_t bits) { return std::bit_cast<float>(bits); };
        // Ties go to even, NaN stays NaN (not inf), the largest float rounds up to inf.
        const std::vector<float> in
            = {1.0f, f(0x3f808000), f(0x3f818000), f(0x3f808001), -2.5f, 0.0f, -0.0f, kInf, -kInf, f(0x7f800001),
                f(0xffc00000), f(0x7f7fffff), 1e-30f, 3.14159265f, 65504.0f, f(0x3f7fffff), f(0x4049ffff)};
        const std::vector<std::uint16_t> want = {0x3f80, 0x3f80, 0x3f82, 0x3f81, 0xc020, 0x0000, 0x8000, 0x7f80, 0xff80,
            0x7fc0, 0xffc0, 0x7f80, 0x0da2, 0x4049, 0x4780, 0x3f80, 0x404a};
        std::vector<std::uint16_t> scalar(in.size()), rows(in.size());
        for (std::size_t i = 0; i < in.size(); ++i)
            scalar[i] = mk::floatToBf16(in[i]);
        QCOMPARE(scalar, want);
        mk::floatToBf16Rows(in.data(), static_cast<std::int64_t>(in.size()), rows.data());
        QCOMPARE(rows, want);
        for (std::uint16_t b : {0x3f80, 0xc020, 0x7f80, 0x0001})
            QCOMPARE(mk::floatToBf16(mk::bf16ToFloatBits(b)), b);
    }

    void unknownPathRefused()
    {
        const QString before = mk::fusedPath();
        QVERIFY(!mk::useFusedPath("avx1024"));
        QCOMPARE(QString(mk::fusedPath()), before);
        QVERIFY(mk::useFusedPath("scalar"));
        QCOMPARE(QString(mk::fusedPath()), QString("scalar"));
    }

    void cleanupTestCase()
    {
        for (const char *path : {"avx512bf16", "avx512", "avx2"})
            if (mk::useFusedPath(path))
                break;
    }
};

QTEST_GUILESS_MAIN(TestFused)
#include "test_fused.moc"
