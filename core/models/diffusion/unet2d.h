// diffusers' UNet2DModel as LibTorch modules, one block per class, children registered under
// the checkpoint's names so that named_parameters() are diffusers' keys.
#pragma once

#include "models/diffusion/diffusion_config.h"
#include "models/diffusion/timestep_embedding.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

namespace ml::diffusion {

enum class Activation { Silu, Mish, Gelu, Relu };
Activation activationFromName(const std::string &name); // "silu"/"swish", "mish", "gelu", "relu"
// act(x), overwriting x's storage unless autograd records it (training): pass a tensor the caller
// owns and no longer needs, such as a fresh product.
torch::Tensor activate(torch::Tensor x, Activation act);

// GroupNorm in float32 whatever the input dtype (LibTorch 1.13 has no bf16 GroupNorm on CPU),
// followed by the activation when act is set.
torch::Tensor groupNorm(const torch::nn::GroupNorm &norm, const torch::Tensor &x, const Activation *act = nullptr);

// Ref: diffusers/models/resnet.py, ResnetBlock2D (pre_norm, time_embedding_norm default | scale_shift)
class ResnetBlock2DImpl : public torch::nn::Module {
public:
    // Groups, eps, act_fn, the time embedding's width and resnet_time_scale_shift from cfg.
    ResnetBlock2DImpl(
        const UNet2DConfig &cfg, std::int64_t inChannels, std::int64_t outChannels, double outputScaleFactor = 1.0);
    // x: [B, Cin, H, W]; tembAct: act(temb), [B, T] (the activation is shared by every block).
    torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &tembAct);

private:
    Activation m_act;
    double m_outputScaleFactor;
    bool m_scaleShift;
    torch::nn::GroupNorm norm1 {nullptr}, norm2 {nullptr};
    torch::nn::Conv2d conv1 {nullptr}, conv2 {nullptr}, conv_shortcut {nullptr};
    torch::nn::Linear time_emb_proj {nullptr};
};
TORCH_MODULE(ResnetBlock2D);

// Ref: diffusers/models/attention_processor.py, Attention (_from_deprecated_attn_block=True) + AttnProcessor:
// GroupNorm -> q, k, v over the H*W tokens -> softmax(q k^T / sqrt(head_dim)) v -> to_out.0 -> + residual.
class SpatialAttentionImpl : public torch::nn::Module {
public:
    // Head size (attention_head_dim) and eps from cfg. groups <= 0: no group_norm (diffusers'
    // attn_groups=None with scale_shift resnets).
    SpatialAttentionImpl(
        const UNet2DConfig &cfg, std::int64_t channels, std::int64_t groups, double rescaleOutputFactor = 1.0);
    torch::Tensor forward(const torch::Tensor &x); // [B, C, H, W] -> same

private:
    std::int64_t m_heads, m_headDim;
    double m_scale, m_rescale;
    torch::nn::GroupNorm group_norm {nullptr};
    torch::nn::Linear to_q {nullptr}, to_k {nullptr}, to_v {nullptr};
    torch::nn::ModuleList to_out {nullptr}; // [Linear]; diffusers' dropout at index 1 has no weights
    torch::nn::Linear m_out {nullptr};
};
TORCH_MODULE(SpatialAttention);

// Ref: diffusers/models/downsampling.py, Downsample2D (use_conv): padding 0 pads (0, 1, 0, 1) first.
class Downsample2DImpl : public torch::nn::Module {
public:
    Downsample2DImpl(std::int64_t channels, std::int64_t padding);
    torch::Tensor forward(const torch::Tensor &x);

private:
    std::int64_t m_padding;
    torch::nn::Conv2d conv {nullptr};
};
TORCH_MODULE(Downsample2D);

// Ref: diffusers/models/upsampling.py, Upsample2D (use_conv): nearest x2 (to the skip's size), conv 3x3.
class Upsample2DImpl : public torch::nn::Module {
public:
    explicit Upsample2DImpl(std::int64_t channels);
    torch::Tensor forward(const torch::Tensor &x, at::IntArrayRef size);

private:
    torch::nn::Conv2d conv {nullptr};
};
TORCH_MODULE(Upsample2D);

// Ref: diffusers/models/unets/unet_2d_blocks.py, DownBlock2D and AttnDownBlock2D (withAttention).
class DownBlock2DImpl : public torch::nn::Module {
public:
    DownBlock2DImpl(const UNet2DConfig &cfg, std::int64_t inChannels, std::int64_t outChannels, bool withAttention,
        bool addDownsample);
    // Appends every output that the up path takes as a skip connection.
    torch::Tensor forward(torch::Tensor x, const torch::Tensor &tembAct, std::vector<torch::Tensor> &skips);

private:
    torch::nn::ModuleList resnets {nullptr}, attentions {nullptr}, downsamplers {nullptr};
    std::vector<ResnetBlock2D> m_resnets;
    std::vector<SpatialAttention> m_attentions;
    Downsample2D m_downsample {nullptr};
};
TORCH_MODULE(DownBlock2D);

// Ref: diffusers/models/unets/unet_2d_blocks.py, UpBlock2D and AttnUpBlock2D (withAttention).
class UpBlock2DImpl : public torch::nn::Module {
public:
    UpBlock2DImpl(const UNet2DConfig &cfg, std::int64_t inChannels, std::int64_t prevOutputChannels,
        std::int64_t outChannels, bool withAttention, bool addUpsample);
    // Pops one skip per resnet from the back of skips; upsamples to the next skip's size.
    torch::Tensor forward(torch::Tensor x, const torch::Tensor &tembAct, std::vector<torch::Tensor> &skips);
    std::size_t numResnets() const { return m_resnets.size(); }

private:
    torch::nn::ModuleList resnets {nullptr}, attentions {nullptr}, upsamplers {nullptr};
    std::vector<ResnetBlock2D> m_resnets;
    std::vector<SpatialAttention> m_attentions;
    Upsample2D m_upsample {nullptr};
};
TORCH_MODULE(UpBlock2D);

// Ref: diffusers/models/unets/unet_2d_blocks.py, UNetMidBlock2D (one layer): resnet, attention, resnet.
class UNetMidBlock2DImpl : public torch::nn::Module {
public:
    explicit UNetMidBlock2DImpl(const UNet2DConfig &cfg);
    torch::Tensor forward(torch::Tensor x, const torch::Tensor &tembAct);

private:
    torch::nn::ModuleList resnets {nullptr}, attentions {nullptr};
    std::vector<ResnetBlock2D> m_resnets;
    SpatialAttention m_attention {nullptr}; // null when add_attention is false
};
TORCH_MODULE(UNetMidBlock2D);

// Ref: diffusers/models/unets/unet_2d.py, UNet2DModel (positional or learned time embedding).
class UNet2DModelImpl : public torch::nn::Module {
public:
    explicit UNet2DModelImpl(UNet2DConfig cfg);

    // sample: [B, in_channels, H, W]; timesteps: 0-d or [B] (integer or float). Returns the
    // model output [B, out_channels, H, W] (noise, sample or v, as the scheduler expects).
    torch::Tensor forward(const torch::Tensor &sample, const torch::Tensor &timesteps);

    // The Timesteps module (sinusoidal, [B, block_out_channels[0]]) and TimestepEmbedding
    // (linear_1 - SiLU - linear_2, [B, 4 * block_out_channels[0]]), for parity checks.
    torch::Tensor timeProjection(const torch::Tensor &timesteps, std::int64_t batch) const;
    torch::Tensor timeEmbedding(const torch::Tensor &projection);

    const UNet2DConfig &config() const { return m_cfg; }
    // Spatial sizes must be divisible by this (2^downsamplers) to come back to the input's size.
    std::int64_t sizeMultiple() const;

private:
    UNet2DConfig m_cfg;
    Activation m_act;
    torch::nn::Conv2d conv_in {nullptr}, conv_out {nullptr};
    torch::nn::Embedding m_learnedTimeProj {nullptr}; // "time_proj" when time_embedding_type is learned
    TimestepEmbedding time_embedding {nullptr};
    torch::nn::ModuleList down_blocks {nullptr}, up_blocks {nullptr};
    std::vector<DownBlock2D> m_down;
    std::vector<UpBlock2D> m_up;
    UNetMidBlock2D mid_block {nullptr};
    torch::nn::GroupNorm conv_norm_out {nullptr};
};
TORCH_MODULE(UNet2DModel);

} // namespace ml::diffusion
