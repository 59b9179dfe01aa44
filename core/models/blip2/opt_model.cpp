// OPT blocks. Decoding writes each step's keys and values into the preallocated cache in place
// and attends over the filled part; the explicit path also returns the softmax probabilities.
#include "models/blip2/opt_model.h"

#include "common/error.h"
#include "models/blip2/activation.h"
#include "models/lm/decode_ops.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cmath>
#include <limits>

namespace ml::blip2 {

namespace {

torch::nn::LayerNorm layerNorm(std::int64_t size, bool affine)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({size}).eps(1e-5).elementwise_affine(affine));
}

torch::nn::Linear linear(std::int64_t in, std::int64_t out, bool bias)
{
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

torch::Tensor linearAny(torch::nn::Linear &l, const torch::Tensor &x)
{
    return lm::linearAny(x, l->weight, l->bias);
}

} // namespace

OptAttentionImpl::OptAttentionImpl(const OptConfig &cfg)
    : m_heads(cfg.num_attention_heads)
    , m_scaling(1.0 / std::sqrt(static_cast<double>(cfg.hidden_size / cfg.num_attention_heads)))
{
    const auto H = cfg.hidden_size;
    k_proj = register_module("k_proj", linear(H, H, cfg.enable_bias));
    v_proj = register_module("v_proj", linear(H, H, cfg.enable_bias));
    q_proj = register_module("q_proj", linear(H, H, cfg.enable_bias));
    out_proj = register_module("out_proj", linear(H, H, cfg.enable_bias));
}

torch::Tensor OptAttentionImpl::forward(const torch::Tensor &x, torch::Tensor *keys, torch::Tensor *values,
    std::int64_t past, const torch::Tensor &mask, torch::Tensor *probs)
{
    const auto B = x.size(0), T = x.size(1), C = x.size(2), D = C / m_heads;
    if (lm::decodeFastPath(x, keys, mask.defined())) {
        using lm::linearOne;
        const auto q = linearOne(x, q_proj->weight, q_proj->bias, torch::kFloat).mul_(m_scaling);
        const auto k = linearOne(x, k_proj->weight, k_proj->bias, torch::kFloat);
        const auto v = linearOne(x, v_proj->weight, v_proj->bias, torch::kFloat);
        const auto out
            = lm::attendOne(q.view({-1}), k.view({-1}), v.view({-1}), *keys, *values, past, m_heads, m_heads, probs);
        return linearOne(out.view({1, 1, C}).to(x.scalar_type()), out_proj->weight, out_proj->bias);
    }
    // With a cache, attention runs in the cache's type (float32 on the CPU: a bf16 model's tiny
    // per-step products are faster and more exact there); without, in the weights' type.
    const auto type = keys ? keys->scalar_type() : x.scalar_type();
    auto heads = [&](const torch::Tensor &t) { return t.to(type).view({B, T, m_heads, D}).transpose(1, 2); };
    const auto q = heads(linearAny(q_proj, x) * m_scaling);
    auto k = heads(linearAny(k_proj, x));
    auto v = heads(linearAny(v_proj, x));
    if (keys) { // append to the cache, attend over everything it holds
        keys->narrow(2, past, T).copy_(k);
        values->narrow(2, past, T).copy_(v);
        k = keys->narrow(2, 0, past + T);
        v = values->narrow(2, 0, past + T);
    }
    auto scores = q.matmul(k.transpose(-2, -1)); // [B, heads, T, past + T]
    if (mask.defined())
        scores = scores + mask.to(type);
    // As the reference: float32 softmax for fp16 weights, the weights' own dtype otherwise.
    auto p = scores.scalar_type() == torch::kHalf ? torch::softmax(scores, -1, torch::kFloat).to(torch::kHalf)
                                                  : torch::softmax(scores, -1);
    if (probs)
        *probs = p.to(torch::kFloat);
    auto out = p.matmul(v).transpose(1, 2).reshape({B, T, C}).to(x.scalar_type());
    return linearAny(out_proj, out);
}

OptDecoderLayerImpl::OptDecoderLayerImpl(const OptConfig &cfg)
    : m_preNorm(cfg.do_layer_norm_before)
    , m_relu(cfg.activation_function == "relu")
    , m_act(cfg.activation_function)
{
    const auto H = cfg.hidden_size;
    const bool affine = cfg.layer_norm_elementwise_affine;
    self_attn = register_module("self_attn", OptAttention(cfg));
    self_attn_layer_norm = register_module("self_attn_layer_norm", layerNorm(H, affine));
    fc1 = register_module("fc1", linear(H, cfg.ffn_dim, cfg.enable_bias));
    fc2 = register_module("fc2", linear(cfg.ffn_dim, H, cfg.enable_bias));
    final_layer_norm = register_module("final_layer_norm", layerNorm(H, affine));
}

torch::Tensor OptDecoderLayerImpl::forward(const torch::Tensor &x, torch::Tensor *keys, torch::Tensor *values,
    std::int64_t past, const torch::Tensor &mask, torch::Tensor *probs)
{
    auto h = m_preNorm ? self_attn_layer_norm(x) : x;
    h = x + self_attn(h, keys, values, past, mask, probs);
    if (!m_preNorm)
        h = self_attn_layer_norm(h);
    auto f = m_preNorm ? final_layer_norm(h) : h;
    f = linearAny(fc1, f);
    f = m_relu ? torch::relu(f) : activate(f, m_act);
    h = h + linearAny(fc2, f);
    return m_preNorm ? h : final_layer_norm(h);
}

OptDecoderImpl::OptDecoderImpl(const OptConfig &cfg, torch::ScalarType dtype) : m_cfg(cfg)
{
    const auto H = cfg.hidden_size, E = cfg.embedDim();
    embed_tokens = register_module("embed_tokens", torch::nn::Embedding(cfg.vocab_size, E));
    embed_positions = register_module("embed_positions", torch::nn::Embedding(cfg.max_position_embeddings + 2, H));
    if (cfg.projects()) {
        project_out = register_module("project_out", linear(H, E, false));
        project_in = register_module("project_in", linear(E, H, false));
    }
    if (cfg.hasFinalLayerNorm())
        final_layer_norm = register_module("final_layer_norm", layerNorm(H, cfg.layer_norm_elementwise_affine));
    layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < cfg.num_hidden_layers; ++i) {
        m_layers.push_back(OptDecoderLayer(cfg));
        m_layers.back()->to(dtype);
        layers->push_back(m_layers.back());
    }
    to(dtype);
}

namespace {

// OPTLearnedPositionalEmbedding: positions = cumsum(mask) * mask - 1 over all positions, the new
// ones kept, + 2. An all-ones mask is simply past .. past + T - 1.
torch::Tensor positionIds(
    const torch::Tensor &attentionMask, std::int64_t past, std::int64_t B, std::int64_t T, const torch::Device &device)
{
    if (!attentionMask.defined())
        return torch::arange(past + 2, past + T + 2, torch::TensorOptions().dtype(torch::kLong).device(device))
            .unsqueeze(0)
            .expand({B, T});
    auto m = attentionMask.to(torch::kLong);
    auto pos = (torch::cumsum(m, 1) * m - 1).narrow(1, past, T);
    return pos + 2;
}

} // namespace

lm::LmOutput OptDecoderImpl::forward(
    const torch::Tensor &embeds, lm::KvCache *cache, const torch::Tensor &attentionMask, const lm::LmRequest &request)
{
    const auto B = embeds.size(0), T = embeds.size(1);
    const std::int64_t past = cache ? cache->length : 0;
    if (past + T > m_cfg.max_position_embeddings)
        throw Error("the conversation is " + std::to_string(past + T) + " tokens long; this model reads at most "
            + std::to_string(m_cfg.max_position_embeddings));
    if (cache && past + T > cache->capacity())
        throw Error("internal: KV cache of " + std::to_string(cache->capacity()) + " positions is full");
    auto h = m_cfg.projects() ? project_in(embeds) : embeds;
    h = h + embed_positions(positionIds(attentionMask, past, B, T, embeds.device()));
    const auto mask = lm::causalMask(attentionMask, past, B, T, h.scalar_type(), h.device());

    lm::LmOutput out;
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        if (request.hiddenStates)
            out.hiddenStates.push_back(h);
        torch::Tensor probs;
        torch::Tensor *keys = cache ? &cache->keys[i] : nullptr;
        torch::Tensor *values = cache ? &cache->values[i] : nullptr;
        h = m_layers[i]->forward(h, keys, values, past, mask, request.attentions ? &probs : nullptr);
        if (request.attentions)
            out.attentions.push_back(probs);
    }
    if (final_layer_norm)
        h = final_layer_norm(h);
    if (request.hiddenStates)
        out.hiddenStates.push_back(h);
    if (cache)
        cache->length = past + T;
    if (request.lastLogitsOnly)
        h = h.narrow(1, T - 1, 1);
    out.logits = m_cfg.projects() ? linearAny(project_out, h) : h; // the head is applied by the caller
    return out;
}

OptForCausalLmImpl::OptForCausalLmImpl(const OptConfig &cfg, torch::ScalarType dtype) : m_cfg(cfg)
{
    model = register_module("model", OptModel(cfg, dtype));
    if (!cfg.tie_word_embeddings) {
        lm_head = register_module("lm_head", linear(cfg.embedDim(), cfg.vocab_size, false));
        lm_head->to(dtype);
    }
}

torch::Tensor OptForCausalLmImpl::embedTokens(const torch::Tensor &ids)
{
    return model->decoder->embedTokens()(ids);
}

lm::KvCache OptForCausalLmImpl::newCache(std::int64_t batch, std::int64_t capacity)
{
    const auto &w = model->decoder->tokenTable();
    const auto D = m_cfg.hidden_size / m_cfg.num_attention_heads;
    lm::KvCache cache;
    for (std::int64_t i = 0; i < m_cfg.num_hidden_layers; ++i) {
        // float32 on the CPU (see OptAttentionImpl::forward), the weights' type on a GPU.
        const auto options = w.device().is_cpu() ? w.options().dtype(torch::kFloat) : w.options();
        cache.keys.push_back(torch::empty({batch, m_cfg.num_attention_heads, capacity, D}, options));
        cache.values.push_back(torch::empty({batch, m_cfg.num_attention_heads, capacity, D}, options));
    }
    return cache;
}

lm::LmOutput OptForCausalLmImpl::forward(
    const torch::Tensor &embeds, lm::KvCache *cache, const torch::Tensor &attentionMask, const lm::LmRequest &request)
{
    auto out = model->decoder->forward(embeds, cache, attentionMask, request);
    const auto &head = lm_head ? lm_head->weight : model->decoder->tokenTable();
    out.logits = out.logits.numel() == out.logits.size(-1) ? lm::linearOne(out.logits, head, {})
                                                           : torch::linear(out.logits, head);
    return out;
}

} // namespace ml::blip2
