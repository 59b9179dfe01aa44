// UNet2DModel blocks: ResNet blocks with a time embedding, spatial self-attention, down/up
// sampling with skip connections, and the sinusoidal timestep embedding.
#include "models/diffusion/unet2d.h"

#include "common/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace ml::diffusion {

namespace nn = torch::nn;

Activation activationFromName(const std::string &name)
{
    if (name == "silu" || name == "swish")
        return Activation::Silu;
    if (name == "mish")
        return Activation::Mish;
    if (name == "gelu")
        return Activation::Gelu;
    if (name == "relu")
        return Activation::Relu;
    throw Error("unknown act_fn '" + name + "' (supported: silu, swish, mish, gelu, relu)");
}

torch::Tensor activate(torch::Tensor x, Activation act)
{
    // In place under InferenceMode / no-grad (the only ways inference runs); out of place when
    // autograd records (training), where in-place would clobber saved inputs.
    const bool inplace = !x.requires_grad();
    switch (act) {
    case Activation::Silu:
        return inplace ? at::silu_(x) : at::silu(x);
    case Activation::Mish:
        return inplace ? at::mish_(x) : at::mish(x);
    case Activation::Gelu:
        return at::gelu(x);
    case Activation::Relu:
        return inplace ? at::relu_(x) : at::relu(x);
    }
    return x;
}

torch::Tensor groupNorm(const nn::GroupNorm &norm, const torch::Tensor &x, const Activation *act)
{
    const auto &o = norm->options;
    torch::Tensor y;
    if (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble)
        y = at::group_norm(x, o.num_groups(), norm->weight, norm->bias, o.eps());
    else
        y = at::group_norm(
            x.to(torch::kFloat), o.num_groups(), norm->weight.to(torch::kFloat), norm->bias.to(torch::kFloat), o.eps())
                .to(x.scalar_type());
    return act ? activate(y, *act) : y;
}

namespace {

nn::Conv2d conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride = 1, std::int64_t padding = 1)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(padding).bias(true));
}

nn::GroupNorm makeGroupNorm(std::int64_t groups, std::int64_t channels, double eps)
{
    return nn::GroupNorm(nn::GroupNormOptions(groups, channels).eps(eps).affine(true));
}

} // namespace

// --- ResnetBlock2D ---------------------------------------------------------------------------

ResnetBlock2DImpl::ResnetBlock2DImpl(
    const UNet2DConfig &cfg, std::int64_t inChannels, std::int64_t outChannels, double outputScaleFactor)
    : m_act(activationFromName(cfg.act_fn))
    , m_outputScaleFactor(outputScaleFactor)
    , m_scaleShift(cfg.resnet_time_scale_shift == "scale_shift")
{
    const std::int64_t groups = *cfg.norm_num_groups;
    norm1 = register_module("norm1", makeGroupNorm(groups, inChannels, cfg.norm_eps));
    conv1 = register_module("conv1", conv3x3(inChannels, outChannels));
    time_emb_proj = register_module(
        "time_emb_proj", nn::Linear(cfg.timeEmbedDim(), m_scaleShift ? 2 * outChannels : outChannels));
    norm2 = register_module("norm2", makeGroupNorm(groups, outChannels, cfg.norm_eps));
    conv2 = register_module("conv2", conv3x3(outChannels, outChannels));
    if (inChannels != outChannels)
        conv_shortcut
            = register_module("conv_shortcut", nn::Conv2d(nn::Conv2dOptions(inChannels, outChannels, 1).bias(true)));
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor &x, const torch::Tensor &tembAct)
{
    auto h = conv1(groupNorm(norm1, x, &m_act));                 // [B, Cout, H, W]
    auto t = time_emb_proj(tembAct).unsqueeze(-1).unsqueeze(-1); // [B, Cout or 2 Cout, 1, 1]
    if (m_scaleShift) {
        const auto parts = t.chunk(2, 1);
        h = groupNorm(norm2, h);
        h = activate(h * (parts[0] + 1) + parts[1], m_act);
    } else {
        h = groupNorm(norm2, h.add_(t), &m_act);
    }
    h = conv2(h);
    auto out = conv_shortcut ? conv_shortcut(x).add_(h) : h.add_(x);
    if (m_outputScaleFactor != 1.0)
        out.div_(m_outputScaleFactor);
    return out;
}

// --- attention -----------------------------------------------------------------------------

SpatialAttentionImpl::SpatialAttentionImpl(
    const UNet2DConfig &cfg, std::int64_t channels, std::int64_t groups, double rescaleOutputFactor)
    : m_heads(channels / cfg.headDim(channels))
    , m_headDim(cfg.headDim(channels))
    , m_scale(1.0 / std::sqrt(static_cast<double>(m_headDim)))
    , m_rescale(rescaleOutputFactor)
{
    const std::int64_t inner = m_heads * m_headDim;
    if (groups > 0)
        group_norm = register_module("group_norm", makeGroupNorm(groups, channels, cfg.norm_eps));
    to_q = register_module("to_q", nn::Linear(channels, inner));
    to_k = register_module("to_k", nn::Linear(channels, inner));
    to_v = register_module("to_v", nn::Linear(channels, inner));
    m_out = nn::Linear(inner, channels);
    to_out = register_module("to_out", nn::ModuleList(m_out));
}

torch::Tensor SpatialAttentionImpl::forward(const torch::Tensor &x)
{
    const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), T = H * W;
    const auto normed = group_norm ? groupNorm(group_norm, x) : x;
    const auto tokens = normed.reshape({B, C, T}).transpose(1, 2).contiguous(); // [B, T, C], once for q, k, v
    const auto split = [&](const torch::Tensor &t) {                            // [B*heads, T, D]
        return t.view({B, T, m_heads, m_headDim}).permute({0, 2, 1, 3}).reshape({B * m_heads, T, m_headDim});
    };
    // The scale goes on q (T x D values) rather than on the T x T scores: one pass fewer.
    const auto q = split(to_q(tokens).mul_(m_scale)), k = split(to_k(tokens)), v = split(to_v(tokens));
    // Heads in chunks whose T x T scores fit in L2 (~1 MB): on one CPU core the whole
    // [B*heads, T, T] at once is ~3x slower (the scores and probabilities stream through memory
    // twice; ddpm-cifar10-32's 32 heads at 16 x 16 are 8 MB of scores).
    const std::int64_t BH = B * m_heads;
    const std::int64_t chunk
        = std::clamp<std::int64_t>((std::int64_t(1) << 18) / std::max<std::int64_t>(T * T, 1), 1, BH);
    std::vector<torch::Tensor> parts;
    parts.reserve(static_cast<std::size_t>((BH + chunk - 1) / chunk));
    for (std::int64_t h = 0; h < BH; h += chunk) {
        const std::int64_t n = std::min(chunk, BH - h);
        const auto scores = at::bmm(q.narrow(0, h, n), k.narrow(0, h, n).transpose(1, 2)); // [n, T, T]
        // upcast_softmax: the softmax runs in float32 (at::_softmax: no dtype dispatch, ~2x faster here).
        const auto probs = scores.scalar_type() == torch::kFloat
            ? at::_softmax(scores, -1, false)
            : at::_softmax(scores.to(torch::kFloat), -1, false).to(q.scalar_type());
        parts.push_back(at::bmm(probs, v.narrow(0, h, n))); // [n, T, D]
    }
    const auto ctx = (parts.size() == 1 ? parts.front() : at::cat(parts, 0)) // [B*heads, T, D]
                         .view({B, m_heads, T, m_headDim})
                         .permute({0, 2, 1, 3})
                         .reshape({B, T, m_heads * m_headDim});
    auto out = m_out(ctx).transpose(1, 2).reshape({B, C, H, W}).add_(x); // residual_connection
    if (m_rescale != 1.0)
        out.div_(m_rescale);
    return out;
}

// --- down / up sampling ----------------------------------------------------------------------

Downsample2DImpl::Downsample2DImpl(std::int64_t channels, std::int64_t padding) : m_padding(padding)
{
    conv = register_module("conv", conv3x3(channels, channels, 2, padding));
}

torch::Tensor Downsample2DImpl::forward(const torch::Tensor &x)
{
    if (m_padding == 0)
        return conv(at::constant_pad_nd(x, {0, 1, 0, 1}, 0));
    return conv(x);
}

Upsample2DImpl::Upsample2DImpl(std::int64_t channels)
{
    conv = register_module("conv", conv3x3(channels, channels));
}

torch::Tensor Upsample2DImpl::forward(const torch::Tensor &x, at::IntArrayRef size)
{
    const bool reduced = x.scalar_type() == torch::kBFloat16;
    auto up = at::upsample_nearest2d(reduced ? x.to(torch::kFloat) : x, size, c10::nullopt, c10::nullopt);
    return conv(reduced ? up.to(x.scalar_type()) : up);
}

// --- blocks ----------------------------------------------------------------------------------

DownBlock2DImpl::DownBlock2DImpl(
    const UNet2DConfig &cfg, std::int64_t inChannels, std::int64_t outChannels, bool withAttention, bool addDownsample)
{
    resnets = register_module("resnets", nn::ModuleList());
    if (withAttention)
        attentions = register_module("attentions", nn::ModuleList());
    for (std::int64_t i = 0; i < cfg.layers_per_block; ++i) {
        m_resnets.push_back(ResnetBlock2D(cfg, i == 0 ? inChannels : outChannels, outChannels));
        resnets->push_back(m_resnets.back());
        if (withAttention) {
            m_attentions.push_back(SpatialAttention(cfg, outChannels, *cfg.norm_num_groups));
            attentions->push_back(m_attentions.back());
        }
    }
    if (addDownsample) {
        m_downsample = Downsample2D(outChannels, cfg.downsample_padding);
        downsamplers = register_module("downsamplers", nn::ModuleList(m_downsample));
    }
}

torch::Tensor DownBlock2DImpl::forward(torch::Tensor x, const torch::Tensor &tembAct, std::vector<torch::Tensor> &skips)
{
    for (std::size_t i = 0; i < m_resnets.size(); ++i) {
        x = m_resnets[i](x, tembAct);
        if (!m_attentions.empty())
            x = m_attentions[i](x);
        skips.push_back(x);
    }
    if (m_downsample) {
        x = m_downsample(x);
        skips.push_back(x);
    }
    return x;
}

UpBlock2DImpl::UpBlock2DImpl(const UNet2DConfig &cfg, std::int64_t inChannels, std::int64_t prevOutputChannels,
    std::int64_t outChannels, bool withAttention, bool addUpsample)
{
    resnets = register_module("resnets", nn::ModuleList());
    if (withAttention)
        attentions = register_module("attentions", nn::ModuleList());
    const std::int64_t numLayers = cfg.layers_per_block + 1;
    for (std::int64_t i = 0; i < numLayers; ++i) {
        const std::int64_t skipChannels = i == numLayers - 1 ? inChannels : outChannels;
        const std::int64_t resnetIn = i == 0 ? prevOutputChannels : outChannels;
        m_resnets.push_back(ResnetBlock2D(cfg, resnetIn + skipChannels, outChannels));
        resnets->push_back(m_resnets.back());
        if (withAttention) {
            m_attentions.push_back(SpatialAttention(cfg, outChannels, *cfg.norm_num_groups));
            attentions->push_back(m_attentions.back());
        }
    }
    if (addUpsample) {
        m_upsample = Upsample2D(outChannels);
        upsamplers = register_module("upsamplers", nn::ModuleList(m_upsample));
    }
}

torch::Tensor UpBlock2DImpl::forward(torch::Tensor x, const torch::Tensor &tembAct, std::vector<torch::Tensor> &skips)
{
    for (std::size_t i = 0; i < m_resnets.size(); ++i) {
        TORCH_CHECK(!skips.empty(), "UpBlock2D: no skip connection left");
        x = at::cat({x, skips.back()}, 1); // [B, C + C_skip, H, W]
        skips.pop_back();
        x = m_resnets[i](x, tembAct);
        if (!m_attentions.empty())
            x = m_attentions[i](x);
    }
    if (m_upsample) {
        // diffusers doubles the size; the next skip has exactly that size whenever the input's
        // is divisible by sizeMultiple(), and taking it keeps odd sizes working too.
        const auto &next = skips.empty() ? x : skips.back();
        const std::vector<std::int64_t> size = skips.empty() ? std::vector<std::int64_t> {2 * x.size(2), 2 * x.size(3)}
                                                             : std::vector<std::int64_t> {next.size(2), next.size(3)};
        x = m_upsample(x, size);
    }
    return x;
}

UNetMidBlock2DImpl::UNetMidBlock2DImpl(const UNet2DConfig &cfg)
{
    const std::int64_t ch = cfg.block_out_channels.back();
    const double scale = cfg.mid_block_scale_factor;
    resnets = register_module("resnets", nn::ModuleList());
    m_resnets.push_back(ResnetBlock2D(cfg, ch, ch, scale));
    m_resnets.push_back(ResnetBlock2D(cfg, ch, ch, scale));
    for (const auto &r : m_resnets)
        resnets->push_back(r);
    if (cfg.add_attention) {
        // attn_groups: attn_norm_num_groups, else the resnets' groups for default time scaling,
        // else none (diffusers then builds the attention without a group norm).
        const std::int64_t groups = cfg.attn_norm_num_groups
            ? *cfg.attn_norm_num_groups
            : (cfg.resnet_time_scale_shift == "default" ? *cfg.norm_num_groups : 0);
        m_attention = SpatialAttention(cfg, ch, groups, scale);
        attentions = register_module("attentions", nn::ModuleList(m_attention));
    }
}

torch::Tensor UNetMidBlock2DImpl::forward(torch::Tensor x, const torch::Tensor &tembAct)
{
    x = m_resnets[0](x, tembAct);
    if (m_attention)
        x = m_attention(x);
    return m_resnets[1](x, tembAct);
}

// --- the model -------------------------------------------------------------------------------

UNet2DModelImpl::UNet2DModelImpl(UNet2DConfig cfg) : m_cfg(std::move(cfg)), m_act(activationFromName(m_cfg.act_fn))
{
    if (const auto problems = m_cfg.validate(); !problems.empty()) {
        std::string msg = "invalid UNet2DModel config:";
        for (const auto &p : problems)
            msg += "\n  " + p;
        throw Error(msg);
    }
    const auto &ch = m_cfg.block_out_channels;
    const std::int64_t n = static_cast<std::int64_t>(ch.size());
    conv_in = register_module("conv_in", conv3x3(m_cfg.in_channels, ch[0]));
    if (m_cfg.time_embedding_type == "learned")
        m_learnedTimeProj = register_module("time_proj", nn::Embedding(*m_cfg.num_train_timesteps, ch[0]));
    time_embedding = register_module("time_embedding", TimestepEmbedding(m_cfg));

    down_blocks = register_module("down_blocks", nn::ModuleList());
    std::int64_t out = ch[0];
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t in = out;
        out = ch[i];
        m_down.push_back(DownBlock2D(m_cfg, in, out, m_cfg.down_block_types[i] == "AttnDownBlock2D", i != n - 1));
        down_blocks->push_back(m_down.back());
    }
    mid_block = register_module("mid_block", UNetMidBlock2D(m_cfg));

    up_blocks = register_module("up_blocks", nn::ModuleList());
    out = ch[n - 1];
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t prev = out;
        out = ch[n - 1 - i];
        const std::int64_t in = ch[n - 1 - std::min(i + 1, n - 1)]; // the matching down block's input
        m_up.push_back(UpBlock2D(m_cfg, in, prev, out, m_cfg.up_block_types[i] == "AttnUpBlock2D", i != n - 1));
        up_blocks->push_back(m_up.back());
    }
    conv_norm_out = register_module("conv_norm_out", makeGroupNorm(*m_cfg.norm_num_groups, ch[0], m_cfg.norm_eps));
    conv_out = register_module("conv_out", conv3x3(ch[0], m_cfg.out_channels));
}

std::int64_t UNet2DModelImpl::sizeMultiple() const
{
    return std::int64_t(1) << (m_cfg.block_out_channels.size() - 1);
}

torch::Tensor UNet2DModelImpl::timeProjection(const torch::Tensor &timesteps, std::int64_t batch) const
{
    TORCH_CHECK(timesteps.dim() <= 1, "timesteps must be 0-d or [B], got ", timesteps.sizes());
    auto t = timesteps.dim() == 0 ? timesteps.reshape({1}) : timesteps;
    t = t * torch::ones({batch}, t.options()); // [B], broadcast as diffusers does
    const std::int64_t dim = m_cfg.block_out_channels.front();
    if (m_learnedTimeProj)
        return torch::embedding(m_learnedTimeProj->weight, t.to(torch::kLong));
    // Ref: diffusers/models/embeddings.py, get_timestep_embedding (max_period 10000, scale 1).
    const std::int64_t half = dim / 2;
    auto exponent = torch::arange(0, half, t.options().dtype(torch::kFloat)) * (-std::log(10000.0));
    exponent = exponent / static_cast<double>(half - m_cfg.freq_shift);
    const auto freqs = exponent.exp();                                       // [half]
    const auto args = t.unsqueeze(1).to(torch::kFloat) * freqs.unsqueeze(0); // [B, half]
    return m_cfg.flip_sin_to_cos ? at::cat({args.cos(), args.sin()}, 1) : at::cat({args.sin(), args.cos()}, 1);
}

torch::Tensor UNet2DModelImpl::timeEmbedding(const torch::Tensor &projection)
{
    return time_embedding(projection);
}

torch::Tensor UNet2DModelImpl::forward(const torch::Tensor &sample, const torch::Tensor &timesteps)
{
    TORCH_CHECK(sample.dim() == 4 && sample.size(1) == m_cfg.in_channels, "UNet2DModel: expected [B, ",
        m_cfg.in_channels, ", H, W], got ", sample.sizes());
    const auto B = sample.size(0);
    auto x = sample.to(conv_in->weight.scalar_type());
    if (m_cfg.center_input_sample)
        x = x * 2.0 - 1.0;
    const auto temb = timeEmbedding(timeProjection(timesteps.to(sample.device()), B)); // [B, 4 C0]
    auto tembAct = activate(temb.clone(), m_act); // every resnet applies act to temb first

    x = conv_in(x);
    std::vector<torch::Tensor> skips {x};
    for (auto &block : m_down)
        x = block(x, tembAct, skips);
    x = mid_block(x, tembAct);
    for (auto &block : m_up)
        x = block(x, tembAct, skips);
    const Activation silu = Activation::Silu; // conv_act is SiLU whatever act_fn says
    x = conv_out(groupNorm(conv_norm_out, x, &silu));
    return x;
}

} // namespace ml::diffusion
