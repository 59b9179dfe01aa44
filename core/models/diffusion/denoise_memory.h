// What a denoising run will hold at its peak, from the UNet's config and the run's shape, so that
// a batch or a size the machine cannot hold is refused before it starts (a batch of 100,000 grew
// past 24 GB until the kernel killed the process; 4096 x 4096 asked LibTorch for 4 TB).
#pragma once

#include "models/diffusion/diffusion_config.h"

#include <cstdint>
#include <string>

namespace ml::diffusion {

struct DenoiseMemory {
    double activations = 0.0; // every level's skip connections and the top level's working tensors
    double attention = 0.0;   // the largest attention's scores and probabilities (one head at a time)
    double trajectory = 0.0;  // x_t, the model output and x0 for every step, when kept
    double total() const { return activations + attention + trajectory; }
};

// elementBytes: 4 (fp32) or 2 (bf16 / fp16); the trajectory is kept in float32.
DenoiseMemory estimateDenoiseMemory(const UNet2DConfig &config, std::int64_t batch, std::int64_t height,
    std::int64_t width, std::int64_t steps, bool keepTrajectory, int elementBytes);

// Throws ml::Error when the estimate exceeds 90 % of the memory available now (on a CUDA device:
// its free memory), saying how much the run needs and what to lower. `what` names the run.
void checkDenoiseMemory(const DenoiseMemory &need, const std::string &what, bool cuda);

} // namespace ml::diffusion
