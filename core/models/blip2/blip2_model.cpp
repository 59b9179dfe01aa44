// BLIP-2 blocks. Plain holder modules give the nested checkpoint names (embeddings.*,
// encoder.layer.N.attention.attention.*) without a class per level.
#include "models/blip2/blip2_model.h"

#include "models/blip2/activation.h"

#include <ATen/ATen.h>

#include <cmath>
#include <memory>

namespace ml::blip2 {

namespace {

torch::nn::LayerNorm layerNorm(std::int64_t size, double eps)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({size}).eps(eps));
}

std::shared_ptr<torch::nn::Module> holder(torch::nn::Module &parent, const std::string &name)
{
    return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

// [B, T, C] -> [B, heads, T, C / heads]
torch::Tensor splitHeads(const torch::Tensor &t, std::int64_t heads)
{
    const auto B = t.size(0), T = t.size(1), C = t.size(2);
    return t.view({B, T, heads, C / heads}).transpose(1, 2);
}

torch::Tensor mergeHeads(const torch::Tensor &t)
{
    const auto B = t.size(0), H = t.size(1), T = t.size(2), D = t.size(3);
    return t.transpose(1, 2).reshape({B, T, H * D});
}

} // namespace

Blip2VisionAttentionImpl::Blip2VisionAttentionImpl(const Blip2VisionConfig &cfg)
    : m_heads(cfg.num_attention_heads)
    , m_scale(1.0 / std::sqrt(static_cast<double>(cfg.hidden_size / cfg.num_attention_heads)))
{
    const auto C = cfg.hidden_size;
    qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(C, 3 * C).bias(cfg.qkv_bias)));
    projection = register_module("projection", torch::nn::Linear(C, C));
}

torch::Tensor Blip2VisionAttentionImpl::forward(const torch::Tensor &x, torch::Tensor *probs)
{
    const auto B = x.size(0), T = x.size(1), C = x.size(2);
    auto parts = qkv(x).view({B, T, 3, m_heads, C / m_heads}).permute({2, 0, 3, 1, 4}); // [3, B, h, T, D]
    auto scores = parts[0].matmul(parts[1].transpose(-2, -1)) * m_scale;
    auto p = torch::softmax(scores, -1);
    if (probs)
        *probs = p.to(torch::kFloat);
    return projection(mergeHeads(p.matmul(parts[2])));
}

Blip2VisionLayerImpl::Blip2VisionLayerImpl(const Blip2VisionConfig &cfg) : m_act(cfg.hidden_act)
{
    self_attn = register_module("self_attn", Blip2VisionAttention(cfg));
    layer_norm1 = register_module("layer_norm1", layerNorm(cfg.hidden_size, cfg.layer_norm_eps));
    auto mlp = holder(*this, "mlp");
    fc1 = mlp->register_module("fc1", torch::nn::Linear(cfg.hidden_size, cfg.intermediate_size));
    fc2 = mlp->register_module("fc2", torch::nn::Linear(cfg.intermediate_size, cfg.hidden_size));
    layer_norm2 = register_module("layer_norm2", layerNorm(cfg.hidden_size, cfg.layer_norm_eps));
}

torch::Tensor Blip2VisionLayerImpl::forward(const torch::Tensor &x, torch::Tensor *probs)
{
    auto h = x + self_attn(layer_norm1(x), probs);
    return h + fc2(activate(fc1(layer_norm2(h)), m_act));
}

Blip2VisionModelImpl::Blip2VisionModelImpl(const Blip2VisionConfig &cfg, torch::ScalarType dtype) : m_cfg(cfg)
{
    const auto C = cfg.hidden_size;
    auto emb = holder(*this, "embeddings");
    class_embedding = emb->register_parameter("class_embedding", torch::zeros({1, 1, C}));
    patch_embedding = emb->register_module("patch_embedding",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(cfg.num_channels, C, cfg.patch_size).stride(cfg.patch_size)));
    position_embedding = emb->register_parameter("position_embedding", torch::zeros({1, cfg.numPositions(), C}));
    auto encoder = holder(*this, "encoder");
    auto list = encoder->register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < cfg.num_hidden_layers; ++i) {
        m_layers.push_back(Blip2VisionLayer(cfg));
        m_layers.back()->to(dtype);
        list->push_back(m_layers.back());
    }
    post_layernorm = register_module("post_layernorm", layerNorm(C, cfg.layer_norm_eps));
    to(dtype);
}

VisionOutput Blip2VisionModelImpl::forward(const torch::Tensor &pixels, bool attentions)
{
    const auto B = pixels.size(0);
    auto patches = patch_embedding(pixels.to(patch_embedding->weight.scalar_type())).flatten(2).transpose(1, 2);
    auto h = torch::cat({class_embedding.expand({B, 1, -1}), patches}, 1) + position_embedding;
    VisionOutput out;
    for (auto &layer : m_layers) {
        torch::Tensor probs;
        h = layer->forward(h, attentions ? &probs : nullptr);
        if (attentions)
            out.attentions.push_back(probs);
    }
    out.lastHiddenState = post_layernorm(h);
    out.pooled = post_layernorm(out.lastHiddenState.select(1, 0));
    return out;
}

QFormerAttentionImpl::QFormerAttentionImpl(const Blip2QFormerConfig &cfg, bool cross) : m_heads(cfg.num_attention_heads)
{
    const auto H = cfg.hidden_size, E = cross ? cfg.encoder_hidden_size : cfg.hidden_size;
    auto attention = holder(*this, "attention");
    m_query = attention->register_module("query", torch::nn::Linear(H, H));
    m_key = attention->register_module("key", torch::nn::Linear(E, H));
    m_value = attention->register_module("value", torch::nn::Linear(E, H));
    auto output = holder(*this, "output");
    m_dense = output->register_module("dense", torch::nn::Linear(H, H));
    m_norm = output->register_module("LayerNorm", layerNorm(H, cfg.layer_norm_eps));
}

torch::Tensor QFormerAttentionImpl::forward(const torch::Tensor &x, const torch::Tensor &kv, torch::Tensor *probs)
{
    const auto q = splitHeads(m_query(x), m_heads);
    const auto k = splitHeads(m_key(kv), m_heads);
    const auto v = splitHeads(m_value(kv), m_heads);
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    auto p = torch::softmax(q.matmul(k.transpose(-2, -1)) * scale, -1);
    if (probs)
        *probs = p.to(torch::kFloat);
    return m_norm(m_dense(mergeHeads(p.matmul(v))) + x);
}

QFormerLayerImpl::QFormerLayerImpl(const Blip2QFormerConfig &cfg, bool cross) : m_act(cfg.hidden_act)
{
    m_self = register_module("attention", QFormerAttention(cfg, false));
    if (cross)
        m_cross = register_module("crossattention", QFormerAttention(cfg, true));
    auto inter = holder(*this, "intermediate_query");
    m_interDense = inter->register_module("dense", torch::nn::Linear(cfg.hidden_size, cfg.intermediate_size));
    auto out = holder(*this, "output_query");
    m_outDense = out->register_module("dense", torch::nn::Linear(cfg.intermediate_size, cfg.hidden_size));
    m_outNorm = out->register_module("LayerNorm", layerNorm(cfg.hidden_size, cfg.layer_norm_eps));
}

torch::Tensor QFormerLayerImpl::forward(
    const torch::Tensor &x, const torch::Tensor &image, torch::Tensor *selfProbs, torch::Tensor *crossProbs)
{
    auto h = m_self(x, x, selfProbs);
    if (m_cross)
        h = m_cross(h, image, crossProbs);
    return m_outNorm(m_outDense(activate(m_interDense(h), m_act)) + h);
}

QFormerModelImpl::QFormerModelImpl(const Blip2QFormerConfig &cfg, torch::ScalarType dtype)
{
    layernorm = register_module("layernorm", layerNorm(cfg.hidden_size, cfg.layer_norm_eps));
    auto encoder = holder(*this, "encoder");
    auto list = encoder->register_module("layer", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < cfg.num_hidden_layers; ++i) {
        const bool cross = cfg.hasCrossAttention(i);
        if (cross)
            m_crossLayers.push_back(static_cast<int>(i));
        m_layers.push_back(QFormerLayer(cfg, cross));
        m_layers.back()->to(dtype);
        list->push_back(m_layers.back());
    }
    to(dtype);
}

QFormerOutput QFormerModelImpl::forward(const torch::Tensor &queries, const torch::Tensor &image, bool attentions)
{
    QFormerOutput out;
    auto h = layernorm(queries);
    const auto img = image.to(h.scalar_type());
    for (auto &layer : m_layers) {
        torch::Tensor selfProbs, crossProbs;
        h = layer->forward(h, img, attentions ? &selfProbs : nullptr, attentions ? &crossProbs : nullptr);
        if (attentions) {
            out.selfAttentions.push_back(selfProbs);
            if (layer->hasCrossAttention())
                out.crossAttentions.push_back(crossProbs);
        }
    }
    out.lastHiddenState = h;
    return out;
}

Blip2ModelImpl::Blip2ModelImpl(const Blip2Config &cfg, torch::ScalarType dtype) : m_cfg(cfg)
{
    vision_model = register_module("vision_model", Blip2VisionModel(cfg.vision, dtype));
    query_tokens = register_parameter("query_tokens",
        torch::zeros({1, cfg.num_query_tokens, cfg.qformer.hidden_size}, torch::TensorOptions().dtype(dtype)));
    qformer = register_module("qformer", QFormerModel(cfg.qformer, dtype));
    language_projection
        = register_module("language_projection", torch::nn::Linear(cfg.qformer.hidden_size, cfg.text.hidden_size));
    language_projection->to(dtype);
    language_model = register_module("language_model", OptForCausalLm(cfg.text, dtype));
}

VisionOutput Blip2ModelImpl::vision(const torch::Tensor &pixels, bool attentions)
{
    return vision_model->forward(pixels, attentions);
}

QFormerOutput Blip2ModelImpl::queryOutputs(const torch::Tensor &imageEmbeds, bool attentions)
{
    return qformer->forward(query_tokens.expand({imageEmbeds.size(0), -1, -1}), imageEmbeds, attentions);
}

torch::Tensor Blip2ModelImpl::projectQueries(const torch::Tensor &queryOut)
{
    return language_projection(queryOut);
}

torch::Tensor Blip2ModelImpl::embedTokens(const torch::Tensor &ids)
{
    return language_model->embedTokens(ids);
}

torch::Tensor Blip2ModelImpl::lmLogits(
    const torch::Tensor &prefixEmbeds, const torch::Tensor &ids, const torch::Tensor &attentionMask)
{
    const auto B = prefixEmbeds.size(0), Q = prefixEmbeds.size(1);
    auto embeds = torch::cat({prefixEmbeds.to(language_projection->weight.scalar_type()), embedTokens(ids)}, 1);
    torch::Tensor mask;
    if (attentionMask.defined())
        mask = torch::cat({torch::ones({B, Q}, attentionMask.options()), attentionMask}, 1);
    return language_model->forward(embeds, nullptr, mask, {}).logits;
}

} // namespace ml::blip2
