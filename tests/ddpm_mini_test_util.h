// What the tests on the embedded ddpm-mini share: whether it is in the tree, and the largest
// difference between two float images.
#pragma once

#include "common/error.h"
#include "engine/clip_service.h" // resolveModelPath

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <vector>

namespace ddpm_mini_test {

inline bool present()
{
    try {
        return std::filesystem::is_regular_file(
            std::filesystem::path(ml::resolveModelPath("ddpm-mini")) / "diffusion_pytorch_model.safetensors");
    } catch (const ml::Error &) {
        return false;
    }
}

// Infinity when the sizes differ or both are empty.
inline double maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b)
{
    if (a.size() != b.size() || a.empty())
        return INFINITY;
    double m = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
    return m;
}

} // namespace ddpm_mini_test
