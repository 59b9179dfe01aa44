// LLaMA blocks. Decoding writes each step's keys and values into the preallocated cache in place
// (rotated, key-value heads only) and attends over the filled part; the explicit path also returns
// the softmax probabilities, and keeps them in the autograd graph for the relevancy maps.
#include "models/llava/llama_model.h"

#include "common/error.h"
#include "models/lm/decode_ops.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cmath>

namespace ml::llava {

namespace {

torch::nn::Linear linear(std::int64_t in, std::int64_t out, bool bias)
{
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

torch::Tensor linearAny(torch::nn::Linear &l, const torch::Tensor &x)
{
    return lm::linearAny(x, l->weight, l->bias);
}

// [.., D]: cat(-x2, x1) of the halves.
torch::Tensor rotateHalf(const torch::Tensor &x)
{
    const auto half = x.size(-1) / 2;
    return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// The inverse frequencies [D / 2] float32 as the reference computes them (float32 powers), the
// llama3 rescaling and the dynamic-NTK base applied for a sequence of seqLen positions.
torch::Tensor inverseFrequencies(const LlamaConfig &cfg, std::int64_t seqLen)
{
    const auto D = cfg.headDim();
    double base = cfg.rope_theta;
    const auto &s = cfg.rope_scaling;
    if (s.type == "dynamic" && seqLen > cfg.max_position_embeddings)
        base *= std::pow(s.factor * static_cast<double>(seqLen) / static_cast<double>(cfg.max_position_embeddings)
                - (s.factor - 1.0),
            static_cast<double>(D) / static_cast<double>(D - 2));
    const auto exponents = torch::arange(0, D, 2, torch::kLong).to(torch::kFloat) / static_cast<double>(D);
    auto inv = 1.0 / torch::pow(torch::tensor(base, torch::kFloat), exponents);
    if (s.type == "llama3") {
        const double old = static_cast<double>(s.originalMaxPositions);
        const double lowWave = old / s.lowFreqFactor, highWave = old / s.highFreqFactor;
        const auto wave = 2.0 * M_PI / inv;
        auto scaled = torch::where(wave > lowWave, inv / s.factor, inv);
        const auto smooth = (old / wave - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        const auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
        const auto medium = (wave >= highWave).logical_and(wave <= lowWave);
        inv = torch::where(medium, smoothed, scaled);
    }
    return inv;
}

} // namespace

Rope ropeFor(const LlamaConfig &cfg, const torch::Tensor &positions)
{
    const auto seqLen = positions.numel() ? positions.max().item<std::int64_t>() + 1 : 0;
    const auto inv = inverseFrequencies(cfg, seqLen).to(positions.device());
    auto pos = positions.to(torch::kFloat);
    if (cfg.rope_scaling.type == "linear")
        pos = pos / cfg.rope_scaling.factor;
    const auto freqs = pos.unsqueeze(-1) * inv; // [B, T, D / 2]
    const auto emb = torch::cat({freqs, freqs}, -1);
    return {emb.cos(), emb.sin()};
}

LlamaRmsNormImpl::LlamaRmsNormImpl(std::int64_t size, double eps) : m_eps(eps)
{
    weight = register_parameter("weight", torch::ones({size}));
}

torch::Tensor LlamaRmsNormImpl::forward(const torch::Tensor &x)
{
    const auto h = x.to(torch::kFloat);
    const auto normed = h * torch::rsqrt(h.pow(2).mean(-1, true) + m_eps);
    return weight * normed.to(x.scalar_type());
}

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaConfig &cfg)
    : m_heads(cfg.num_attention_heads)
    , m_kvHeads(cfg.kvHeads())
    , m_headDim(cfg.headDim())
{
    const auto H = cfg.hidden_size, KV = m_kvHeads * m_headDim;
    q_proj = register_module("q_proj", linear(H, m_heads * m_headDim, cfg.attention_bias));
    k_proj = register_module("k_proj", linear(H, KV, cfg.attention_bias));
    v_proj = register_module("v_proj", linear(H, KV, cfg.attention_bias));
    o_proj = register_module("o_proj", linear(m_heads * m_headDim, H, cfg.attention_bias));
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor &x, const Rope &rope, torch::Tensor *keys,
    torch::Tensor *values, std::int64_t past, const torch::Tensor &mask, torch::Tensor *probs)
{
    const auto B = x.size(0), T = x.size(1), D = m_headDim;
    const double scale = 1.0 / std::sqrt(static_cast<double>(D));
    if (lm::decodeFastPath(x, keys, mask.defined())) {
        const auto cos = rope.cos.view({1, D}), sin = rope.sin.view({1, D});
        auto rotate = [&](const torch::Tensor &t, std::int64_t heads) {
            const auto h = t.view({heads, D});
            return (h * cos + rotateHalf(h) * sin).contiguous().view({-1});
        };
        const auto q = rotate(lm::linearOne(x, q_proj->weight, q_proj->bias, torch::kFloat), m_heads).mul_(scale);
        const auto k = rotate(lm::linearOne(x, k_proj->weight, k_proj->bias, torch::kFloat), m_kvHeads);
        const auto v = lm::linearOne(x, v_proj->weight, v_proj->bias, torch::kFloat).view({-1});
        const auto out = lm::attendOne(q, k, v, *keys, *values, past, m_heads, m_kvHeads, probs);
        return lm::linearOne(out.view({1, 1, -1}).to(x.scalar_type()), o_proj->weight, o_proj->bias);
    }
    auto heads = [&](const torch::Tensor &t, std::int64_t n) { return t.view({B, T, n, D}).transpose(1, 2); };
    auto q = heads(linearAny(q_proj, x), m_heads);
    auto k = heads(linearAny(k_proj, x), m_kvHeads);
    auto v = heads(linearAny(v_proj, x), m_kvHeads);
    const auto cos = rope.cos.unsqueeze(1).to(x.scalar_type()), sin = rope.sin.unsqueeze(1).to(x.scalar_type());
    q = q * cos + rotateHalf(q) * sin;
    k = k * cos + rotateHalf(k) * sin;
    // With a cache, attention runs in the cache's type (float32 on the CPU); without, in the weights'.
    const auto type = keys ? keys->scalar_type() : x.scalar_type();
    q = q.to(type);
    k = k.to(type);
    v = v.to(type);
    if (keys) {
        keys->narrow(2, past, T).copy_(k);
        values->narrow(2, past, T).copy_(v);
        k = keys->narrow(2, 0, past + T);
        v = values->narrow(2, 0, past + T);
    }
    const auto group = m_heads / m_kvHeads;
    if (group > 1) { // repeat_kv: query head h reads key-value head h / group
        const auto L = k.size(2);
        k = k.unsqueeze(2).expand({B, m_kvHeads, group, L, D}).reshape({B, m_heads, L, D});
        v = v.unsqueeze(2).expand({B, m_kvHeads, group, L, D}).reshape({B, m_heads, L, D});
    }
    auto scores = q.matmul(k.transpose(-2, -1)) * scale; // [B, heads, T, past + T]
    if (mask.defined())
        scores = scores + mask.to(type);
    const auto p = torch::softmax(scores, -1, torch::kFloat).to(type); // as the reference: float32 softmax
    if (probs) // the tensor the graph used while gradients are on (the relevancy maps need it)
        *probs = p.scalar_type() == torch::kFloat || torch::GradMode::is_enabled() ? p : p.to(torch::kFloat);
    const auto out = p.matmul(v).transpose(1, 2).reshape({B, T, m_heads * D}).to(x.scalar_type());
    return linearAny(o_proj, out);
}

LlamaMlpImpl::LlamaMlpImpl(const LlamaConfig &cfg) : m_silu(cfg.hidden_act != "gelu")
{
    const auto H = cfg.hidden_size, F = cfg.intermediate_size;
    gate_proj = register_module("gate_proj", linear(H, F, cfg.mlp_bias));
    up_proj = register_module("up_proj", linear(H, F, cfg.mlp_bias));
    down_proj = register_module("down_proj", linear(F, H, cfg.mlp_bias));
}

torch::Tensor LlamaMlpImpl::forward(const torch::Tensor &x)
{
    const auto g = linearAny(gate_proj, x);
    return linearAny(down_proj, (m_silu ? torch::silu(g) : torch::gelu(g)) * linearAny(up_proj, x));
}

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaConfig &cfg)
{
    self_attn = register_module("self_attn", LlamaAttention(cfg));
    mlp = register_module("mlp", LlamaMlp(cfg));
    input_layernorm = register_module("input_layernorm", LlamaRmsNorm(cfg.hidden_size, cfg.rms_norm_eps));
    post_attention_layernorm
        = register_module("post_attention_layernorm", LlamaRmsNorm(cfg.hidden_size, cfg.rms_norm_eps));
}

torch::Tensor LlamaDecoderLayerImpl::forward(const torch::Tensor &x, const Rope &rope, torch::Tensor *keys,
    torch::Tensor *values, std::int64_t past, const torch::Tensor &mask, torch::Tensor *probs)
{
    auto h = x + self_attn(input_layernorm(x), rope, keys, values, past, mask, probs);
    return h + mlp(post_attention_layernorm(h));
}

LlamaModelImpl::LlamaModelImpl(const LlamaConfig &cfg, torch::ScalarType dtype) : m_cfg(cfg)
{
    embed_tokens = register_module("embed_tokens", torch::nn::Embedding(cfg.vocab_size, cfg.hidden_size));
    embed_tokens->to(dtype);
    layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < cfg.num_hidden_layers; ++i) {
        m_layers.push_back(LlamaDecoderLayer(cfg));
        m_layers.back()->to(dtype); // each block converted as built: no full float32 copy
        layers->push_back(m_layers.back());
    }
    norm = register_module("norm", LlamaRmsNorm(cfg.hidden_size, cfg.rms_norm_eps));
    to(dtype);
}

lm::LmOutput LlamaModelImpl::forward(
    const torch::Tensor &embeds, lm::KvCache *cache, const torch::Tensor &attentionMask, const lm::LmRequest &request)
{
    const auto B = embeds.size(0), T = embeds.size(1);
    const std::int64_t past = cache ? cache->length : 0;
    if (past + T > m_cfg.max_position_embeddings && m_cfg.rope_scaling.type != "dynamic")
        throw Error("the conversation is " + std::to_string(past + T) + " tokens long; this model reads at most "
            + std::to_string(m_cfg.max_position_embeddings));
    if (cache && past + T > cache->capacity())
        throw Error("internal: KV cache of " + std::to_string(cache->capacity()) + " positions is full");
    // Positions: past .. past + T - 1 (as the reference's cache_position; padding is on the right).
    const auto positions
        = torch::arange(past, past + T, torch::TensorOptions().dtype(torch::kLong).device(embeds.device()))
              .unsqueeze(0)
              .expand({B, T});
    const auto rope = ropeFor(m_cfg, positions);
    const auto mask = lm::causalMask(attentionMask, past, B, T, embeds.scalar_type(), embeds.device());
    lm::LmOutput out;
    auto h = embeds;
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        if (request.hiddenStates)
            out.hiddenStates.push_back(h);
        torch::Tensor probs;
        torch::Tensor *keys = cache ? &cache->keys[i] : nullptr;
        torch::Tensor *values = cache ? &cache->values[i] : nullptr;
        h = m_layers[i]->forward(h, rope, keys, values, past, mask, request.attentions ? &probs : nullptr);
        if (request.attentions)
            out.attentions.push_back(probs);
    }
    h = norm(h);
    if (request.hiddenStates)
        out.hiddenStates.push_back(h);
    if (cache)
        cache->length = past + T;
    out.logits = request.lastLogitsOnly ? h.narrow(1, T - 1, 1) : h; // the head is applied by the caller
    return out;
}

LlamaForCausalLmImpl::LlamaForCausalLmImpl(const LlamaConfig &cfg, torch::ScalarType dtype) : m_cfg(cfg)
{
    model = register_module("model", LlamaModel(cfg, dtype));
    if (!cfg.tie_word_embeddings) {
        lm_head = register_module("lm_head", linear(cfg.hidden_size, cfg.vocab_size, false));
        lm_head->to(dtype);
    }
}

const torch::Tensor &LlamaForCausalLmImpl::headWeight()
{
    return lm_head ? lm_head->weight : model->embedTokens()->weight;
}

torch::Tensor LlamaForCausalLmImpl::embedTokens(const torch::Tensor &ids)
{
    return model->embedTokens()(ids);
}

lm::KvCache LlamaForCausalLmImpl::newCache(std::int64_t batch, std::int64_t capacity)
{
    const auto &w = model->embedTokens()->weight;
    // float32 on the CPU (see LlamaAttentionImpl::forward), the weights' type on a GPU.
    const auto options = w.device().is_cpu() ? w.options().dtype(torch::kFloat) : w.options();
    lm::KvCache cache;
    for (std::int64_t i = 0; i < m_cfg.num_hidden_layers; ++i) {
        cache.keys.push_back(torch::empty({batch, m_cfg.kvHeads(), capacity, m_cfg.headDim()}, options));
        cache.values.push_back(torch::empty({batch, m_cfg.kvHeads(), capacity, m_cfg.headDim()}, options));
    }
    return cache;
}

lm::LmOutput LlamaForCausalLmImpl::forward(
    const torch::Tensor &embeds, lm::KvCache *cache, const torch::Tensor &attentionMask, const lm::LmRequest &request)
{
    auto out = model->forward(embeds, cache, attentionMask, request);
    const auto &head = headWeight();
    out.logits = out.logits.numel() == out.logits.size(-1) ? lm::linearOne(out.logits, head, {})
                                                           : torch::linear(out.logits, head);
    return out;
}

} // namespace ml::llava
