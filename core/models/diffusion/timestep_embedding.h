// diffusers' TimestepEmbedding: the sinusoidal (or learned) timestep projection mapped to the
// embedding every ResNet block reads. Children under the checkpoint's names (linear_1, linear_2).
#pragma once

#include "models/diffusion/diffusion_config.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace ml::diffusion {

// Ref: diffusers/models/embeddings.py, TimestepEmbedding (linear_1 - SiLU - linear_2; UNet2DModel
// builds it with act_fn "silu" whatever its own act_fn says).
class TimestepEmbeddingImpl : public torch::nn::Module {
public:
    // block_out_channels[0] -> timeEmbedDim() (4 x block_out_channels[0]).
    explicit TimestepEmbeddingImpl(const UNet2DConfig &cfg);
    torch::Tensor forward(const torch::Tensor &projection); // [B, C0] -> [B, 4 C0], the weights' dtype

private:
    torch::nn::Linear linear_1 {nullptr}, linear_2 {nullptr};
};
TORCH_MODULE(TimestepEmbedding);

} // namespace ml::diffusion
