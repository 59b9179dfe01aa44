// Deterministic test bytes, Qt-free: shared by the preprocessing tests (test_preprocess.cpp) and
// the GPU kernels' test (gpu/test_gpu_kernels.cpp), which builds where there is no Qt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ml::kernels::test {

// `bytes` deterministic pseudo-random bytes (an LCG's top byte).
inline std::vector<std::uint8_t> randomBytes(std::size_t bytes, unsigned seed)
{
    std::vector<std::uint8_t> img(bytes);
    std::uint32_t s = seed * 2654435761u + 1;
    for (auto &v : img) {
        s = s * 1664525u + 1013904223u;
        v = static_cast<std::uint8_t>(s >> 24);
    }
    return img;
}

// An h x w image of c channels of randomBytes.
inline std::vector<std::uint8_t> randomImage(int h, int w, int c, unsigned seed)
{
    return randomBytes(static_cast<std::size_t>(h) * w * c, seed);
}

} // namespace ml::kernels::test
