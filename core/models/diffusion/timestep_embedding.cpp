// TimestepEmbedding: two linear layers with a SiLU between them.
#include "models/diffusion/timestep_embedding.h"

#include <ATen/ATen.h>

namespace ml::diffusion {

TimestepEmbeddingImpl::TimestepEmbeddingImpl(const UNet2DConfig &cfg)
{
    const std::int64_t in = cfg.block_out_channels.front(), dim = cfg.timeEmbedDim();
    linear_1 = register_module("linear_1", torch::nn::Linear(in, dim));
    linear_2 = register_module("linear_2", torch::nn::Linear(dim, dim));
}

torch::Tensor TimestepEmbeddingImpl::forward(const torch::Tensor &projection)
{
    auto h = linear_1(projection.to(linear_1->weight.scalar_type()));
    // In place on the fresh product unless autograd records (training).
    return linear_2(h.requires_grad() ? at::silu(h) : at::silu_(h));
}

} // namespace ml::diffusion
