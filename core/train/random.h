// Portable random draws and math for the data generators: the same seed gives the same bits on
// every machine, so no std::*_distribution (implementation-defined) and no libm transcendentals.
#pragma once

#include <cstdint>

namespace ml::train {

// SplitMix64 (Steele, Lea, Flood 2014): 64-bit state, passes BigCrush, trivially seekable.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(seed) { }

    // A well-mixed stream seed for (seed, index): sample i of a data set draws from its own stream.
    static std::uint64_t streamSeed(std::uint64_t seed, std::uint64_t index)
    {
        Rng a(seed ^ 0x6a09e667f3bcc909ull);
        const std::uint64_t s = a.nextU64();
        Rng b(s + index * 0x9e3779b97f4a7c15ull);
        return b.nextU64();
    }

    std::uint64_t nextU64()
    {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

    // Uniform in [0, n), unbiased (rejection of the short last bucket). n > 0.
    std::uint64_t below(std::uint64_t n)
    {
        const std::uint64_t threshold = (0 - n) % n;
        while (true) {
            const std::uint64_t r = nextU64();
            if (r >= threshold)
                return r % n;
        }
    }

    // Uniform integer in [lo, hi], both included.
    int uniformInt(int lo, int hi)
    {
        return lo + static_cast<int>(below(static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - lo + 1)));
    }

    // Uniform in [0, 1) with 53 random bits.
    double uniform01() { return static_cast<double>(nextU64() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
    bool chance(double p) { return uniform01() < p; }

    // Approximately N(0, 1): the Irwin-Hall sum of four uniforms, rescaled (range +-3.46).
    // Only + and *, so it is bit-identical everywhere, unlike Box-Muller through log and cos.
    double normal()
    {
        const double sum = uniform01() + uniform01() + uniform01() + uniform01();
        return (sum - 2.0) * 1.7320508075688772; // sqrt(12 / 4)
    }

private:
    std::uint64_t m_state;
};

// exp(x) with only +, *, / (bit-identical everywhere); for the blur weights, x in [-60, 0].
inline double portableExp(double x)
{
    int halvings = 0;
    while (x < -0.5) {
        x *= 0.5;
        ++halvings;
    }
    double term = 1.0, sum = 1.0;
    for (int k = 1; k <= 14; ++k) {
        term *= x / k;
        sum += term;
    }
    for (int i = 0; i < halvings; ++i)
        sum *= sum;
    return sum;
}

// sin and cos of a small angle (|radians| <= 0.5) by their Taylor series; error < 1e-12.
inline void portableSinCos(double radians, double &s, double &c)
{
    const double x2 = radians * radians;
    double termS = radians, termC = 1.0;
    s = termS;
    c = termC;
    for (int k = 1; k <= 8; ++k) {
        termS *= -x2 / ((2 * k) * (2 * k + 1));
        termC *= -x2 / ((2 * k - 1) * (2 * k));
        s += termS;
        c += termC;
    }
}

} // namespace ml::train
