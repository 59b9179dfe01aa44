// See denoise_memory.h. The figures are lower bounds of what LibTorch allocates: enough to refuse
// a run that cannot fit, not a promise that one below them will.
#include "models/diffusion/denoise_memory.h"

#include "common/error.h"
#include "engine/model_cache.h"

#include <algorithm>
#include <cmath>

namespace ml::diffusion {

DenoiseMemory estimateDenoiseMemory(const UNet2DConfig &c, std::int64_t batch, std::int64_t height, std::int64_t width,
    std::int64_t steps, bool keepTrajectory, int elementBytes)
{
    DenoiseMemory m;
    const double B = static_cast<double>(batch), elem = elementBytes;
    double h = static_cast<double>(height), w = static_cast<double>(width);
    double largestLevel = 0.0;
    for (std::size_t i = 0; i < c.block_out_channels.size(); ++i) {
        const double channels = static_cast<double>(c.block_out_channels[i]);
        const double level = channels * h * w;
        largestLevel = std::max(largestLevel, level);
        m.activations += static_cast<double>(c.layers_per_block + 1) * level; // kept for the up path
        const bool attn = i < c.down_block_types.size() && c.down_block_types[i].find("Attn") != std::string::npos;
        const bool mid = i + 1 == c.block_out_channels.size() && c.add_attention;
        if (attn || mid) {
            const double tokens = h * w;
            m.attention = std::max(m.attention, 2.0 * tokens * tokens * 4.0); // fp32 softmax
        }
        h = std::max(1.0, std::ceil(h / 2));
        w = std::max(1.0, std::ceil(w / 2));
    }
    // The top level's working tensors: GroupNorm, SiLU, the convolutions' outputs, the residual, and
    // the up path's concatenation with the skip. Ten of them: ddpm-mini at batch 5000 peaks at
    // 1.76 MB per sample (measured, fp32), which this makes 1.75.
    m.activations = (m.activations + 10.0 * largestLevel) * B * elem;
    if (keepTrajectory)
        m.trajectory = 3.0 * static_cast<double>(steps + 1) * B * static_cast<double>(c.in_channels)
            * static_cast<double>(height) * static_cast<double>(width) * 4.0;
    return m;
}

namespace {

std::string gb(double bytes)
{
    if (bytes >= 1e15)
        return "more than a petabyte";
    return formatMemory(static_cast<std::int64_t>(bytes));
}

} // namespace

void checkDenoiseMemory(const DenoiseMemory &need, const std::string &what, bool cuda)
{
    const double available = static_cast<double>(availableMemory(cuda));
    if (available <= 0 || need.total() <= 0.9 * available)
        return;
    std::string detail;
    if (need.attention > 0.5 * need.total())
        detail = ", most of it one attention's scores over every pair of positions: lower --size";
    else if (need.trajectory > 0.5 * need.total())
        detail = ", most of it the kept trajectory: fewer --steps, or no --trajectory / --png";
    else
        detail = ": lower --batch or --size";
    throw Error(what + " needs about " + gb(need.total()) + " of memory, more than the " + gb(available) + " available"
        + detail);
}

} // namespace ml::diffusion
