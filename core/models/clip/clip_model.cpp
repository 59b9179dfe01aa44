// CLIP blocks. The explicit path returns attention probabilities and hidden states for the
// explainers; the default path computes the same values without keeping them.
#include "models/clip/clip_model.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

namespace ml::clip {

namespace {

torch::Tensor activate(const torch::Tensor &x, Activation act)
{
    switch (act) {
    case Activation::QuickGelu:
        return x * torch::sigmoid(1.702 * x);
    case Activation::Gelu:
        return at::gelu(x);
    case Activation::GeluTanh:
        return at::gelu(x, "tanh");
    }
    return x;
}

torch::nn::LayerNorm layerNorm(std::int64_t size, double eps)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({size}).eps(eps));
}

} // namespace

ClipAttentionImpl::ClipAttentionImpl(const ClipEncoderConfig &cfg)
    : m_numHeads(cfg.num_attention_heads)
    , m_scale(1.0 / std::sqrt(static_cast<double>(cfg.hidden_size / cfg.num_attention_heads)))
{
    const std::int64_t C = cfg.hidden_size;
    k_proj = register_module("k_proj", torch::nn::Linear(C, C));
    v_proj = register_module("v_proj", torch::nn::Linear(C, C));
    q_proj = register_module("q_proj", torch::nn::Linear(C, C));
    out_proj = register_module("out_proj", torch::nn::Linear(C, C));
}

AttentionOutput ClipAttentionImpl::forward(const torch::Tensor &x, const torch::Tensor &mask, bool needWeights)
{
    TORCH_CHECK(x.dim() == 3, "expected [B, T, C], got ", x.sizes());
    const auto B = x.size(0), T = x.size(1), C = x.size(2);
    const auto H = m_numHeads, D = C / H;
    auto heads = [&](const torch::Tensor &t) { return t.view({B, T, H, D}).transpose(1, 2); }; // [B, H, T, D]
    const auto q = heads(q_proj(x) * m_scale);
    const auto k = heads(k_proj(x));
    const auto v = heads(v_proj(x));

    auto scores = q.matmul(k.transpose(-2, -1)); // [B, H, T, T]
    if (mask.defined())
        scores = scores + mask;
    // Softmax in float32 whatever the compute dtype, as the reference.
    auto probs = torch::softmax(scores, -1, torch::kFloat).to(v.scalar_type());
    auto out = probs.matmul(v).transpose(1, 2).reshape({B, T, C});
    return {out_proj(out), needWeights ? probs : torch::Tensor()};
}

ClipMlpImpl::ClipMlpImpl(const ClipEncoderConfig &cfg) : m_act(cfg.hidden_act)
{
    fc1 = register_module("fc1", torch::nn::Linear(cfg.hidden_size, cfg.intermediate_size));
    fc2 = register_module("fc2", torch::nn::Linear(cfg.intermediate_size, cfg.hidden_size));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor &x)
{
    return fc2(activate(fc1(x), m_act));
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipEncoderConfig &cfg)
{
    self_attn = register_module("self_attn", ClipAttention(cfg));
    layer_norm1 = register_module("layer_norm1", layerNorm(cfg.hidden_size, cfg.layer_norm_eps));
    mlp = register_module("mlp", ClipMlp(cfg));
    layer_norm2 = register_module("layer_norm2", layerNorm(cfg.hidden_size, cfg.layer_norm_eps));
}

AttentionOutput ClipEncoderLayerImpl::forward(const torch::Tensor &x, const torch::Tensor &mask, bool needWeights)
{
    auto attn = self_attn(layer_norm1(x), mask, needWeights);
    auto h = x + attn.output;
    h = h + mlp(layer_norm2(h));
    return {h, attn.probabilities};
}

ClipEncoderImpl::ClipEncoderImpl(const ClipEncoderConfig &cfg)
{
    layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < cfg.num_hidden_layers; ++i) {
        m_layers.push_back(ClipEncoderLayer(cfg));
        layers->push_back(m_layers.back());
    }
}

EncoderOutput ClipEncoderImpl::forward(const torch::Tensor &x, const torch::Tensor &mask, const EncoderRequest &request)
{
    EncoderOutput out;
    torch::Tensor h = x;
    for (auto &layer : m_layers) {
        if (request.hiddenStates)
            out.hiddenStates.push_back(h);
        auto r = layer(h, mask, request.attentions);
        h = r.output;
        if (request.attentions)
            out.attentions.push_back(r.probabilities);
    }
    if (request.hiddenStates)
        out.hiddenStates.push_back(h);
    out.lastHiddenState = h;
    return out;
}

ClipVisionEmbeddingsImpl::ClipVisionEmbeddingsImpl(const ClipVisionConfig &cfg)
{
    class_embedding = register_parameter("class_embedding", torch::zeros({cfg.hidden_size}));
    patch_embedding = register_module("patch_embedding",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(cfg.num_channels, cfg.hidden_size, cfg.patch_size)
                              .stride(cfg.patch_size)
                              .bias(false)));
    position_embedding
        = register_module("position_embedding", torch::nn::Embedding(cfg.numPositions(), cfg.hidden_size));
}

torch::Tensor ClipVisionEmbeddingsImpl::forward(const torch::Tensor &pixelValues)
{
    TORCH_CHECK(pixelValues.dim() == 4, "expected pixel values [B, 3, H, W], got ", pixelValues.sizes());
    const auto B = pixelValues.size(0);
    auto patches = patch_embedding(pixelValues.to(patch_embedding->weight.scalar_type())); // [B, C, g, g]
    patches = patches.flatten(2).transpose(1, 2);                                          // [B, P, C]
    auto cls = class_embedding.view({1, 1, -1}).expand({B, 1, -1});
    auto x = torch::cat({cls, patches}, 1); // [B, 1 + P, C]
    TORCH_CHECK(x.size(1) == position_embedding->weight.size(0), "image gives ", x.size(1) - 1,
        " patches but the model has positions for ", position_embedding->weight.size(0) - 1,
        " (wrong image size for this model)");
    return x + position_embedding->weight.unsqueeze(0);
}

ClipVisionTransformerImpl::ClipVisionTransformerImpl(const ClipVisionConfig &cfg) : m_cfg(cfg)
{
    embeddings = register_module("embeddings", ClipVisionEmbeddings(cfg));
    pre_layrnorm = register_module("pre_layrnorm", layerNorm(cfg.hidden_size, cfg.layer_norm_eps));
    encoder = register_module("encoder", ClipEncoder(cfg.encoderConfig()));
    post_layernorm = register_module("post_layernorm", layerNorm(cfg.hidden_size, cfg.layer_norm_eps));
}

VisionOutput ClipVisionTransformerImpl::forward(const torch::Tensor &pixelValues, const EncoderRequest &request)
{
    auto x = pre_layrnorm(embeddings(pixelValues));
    VisionOutput out;
    out.encoder = encoder(x, torch::Tensor(), request);
    out.pooled = post_layernorm(out.encoder.lastHiddenState.select(1, 0));
    return out;
}

ClipTextEmbeddingsImpl::ClipTextEmbeddingsImpl(const ClipTextConfig &cfg)
{
    token_embedding = register_module("token_embedding", torch::nn::Embedding(cfg.vocab_size, cfg.hidden_size));
    position_embedding
        = register_module("position_embedding", torch::nn::Embedding(cfg.max_position_embeddings, cfg.hidden_size));
}

torch::Tensor ClipTextEmbeddingsImpl::forward(const torch::Tensor &inputIds)
{
    TORCH_CHECK(inputIds.dim() == 2, "expected input ids [B, T], got ", inputIds.sizes());
    const auto T = inputIds.size(1);
    TORCH_CHECK(T <= position_embedding->weight.size(0), "sequence of ", T,
        " tokens is longer than the context length ", position_embedding->weight.size(0));
    return token_embedding(inputIds) + position_embedding->weight.slice(0, 0, T).unsqueeze(0);
}

torch::Tensor ClipTextEmbeddingsImpl::withPositions(const torch::Tensor &tokenEmbeds)
{
    TORCH_CHECK(tokenEmbeds.dim() == 3, "expected token embeddings [B, T, C], got ", tokenEmbeds.sizes());
    const auto T = tokenEmbeds.size(1);
    TORCH_CHECK(T <= position_embedding->weight.size(0), "sequence of ", T,
        " tokens is longer than the context length ", position_embedding->weight.size(0));
    return tokenEmbeds + position_embedding->weight.slice(0, 0, T).unsqueeze(0);
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig &cfg) : m_cfg(cfg)
{
    embeddings = register_module("embeddings", ClipTextEmbeddings(cfg));
    encoder = register_module("encoder", ClipEncoder(cfg.encoderConfig()));
    final_layer_norm = register_module("final_layer_norm", layerNorm(cfg.hidden_size, cfg.layer_norm_eps));
}

TextOutput ClipTextTransformerImpl::forward(
    const torch::Tensor &inputIds, const torch::Tensor &attentionMask, const EncoderRequest &request)
{
    const auto B = inputIds.size(0), T = inputIds.size(1);
    auto x = embeddings(inputIds);
    const auto opts = x.options().dtype(torch::kFloat);
    const float lowest = std::numeric_limits<float>::lowest();
    // Causal mask, then the padding mask added on top, both with float32's lowest value as
    // the reference does: [1, 1, T, T] + [B, 1, 1, T].
    auto mask = torch::full({T, T}, lowest, opts).triu(1).view({1, 1, T, T});
    if (attentionMask.defined()) {
        auto pad = (1.0 - attentionMask.to(torch::kFloat)).view({B, 1, 1, T}) * lowest;
        mask = mask + pad;
    }
    torch::Tensor eosIndex;
    if (m_cfg.eos_token_id == 2)
        eosIndex = inputIds.to(torch::kLong).argmax(-1); // legacy configs: EOT has the largest id
    else
        eosIndex = (inputIds.to(torch::kLong) == m_cfg.eos_token_id).to(torch::kInt).argmax(-1);
    return encode(x, mask, eosIndex, request);
}

TextOutput ClipTextTransformerImpl::forwardEmbeds(
    const torch::Tensor &tokenEmbeds, const torch::Tensor &eosIndex, const EncoderRequest &request)
{
    auto x = embeddings->withPositions(tokenEmbeds);
    const auto T = x.size(1);
    TORCH_CHECK(eosIndex.dim() == 1 && eosIndex.size(0) == x.size(0), "expected one EOS position per row, got ",
        eosIndex.sizes(), " for ", x.sizes());
    const auto mask = torch::full({T, T}, std::numeric_limits<float>::lowest(), x.options().dtype(torch::kFloat))
                          .triu(1)
                          .view({1, 1, T, T});
    return encode(x, mask, eosIndex, request);
}

TextOutput ClipTextTransformerImpl::encode(
    const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &eosIndex, const EncoderRequest &request)
{
    const auto B = x.size(0);
    TextOutput out;
    out.encoder = encoder(x, mask.to(x.scalar_type()), request);
    out.encoder.lastHiddenState = final_layer_norm(out.encoder.lastHiddenState);
    const auto index = eosIndex.to(x.device(), torch::kLong);
    out.pooled = out.encoder.lastHiddenState.index({torch::arange(B, index.options()), index});
    return out;
}

ClipModelImpl::ClipModelImpl(const ClipConfig &cfg) : m_cfg(cfg)
{
    text_model = register_module("text_model", ClipTextTransformer(cfg.text_config));
    vision_model = register_module("vision_model", ClipVisionTransformer(cfg.vision_config));
    visual_projection = register_module("visual_projection",
        torch::nn::Linear(torch::nn::LinearOptions(cfg.vision_config.hidden_size, cfg.projection_dim).bias(false)));
    text_projection = register_module("text_projection",
        torch::nn::Linear(torch::nn::LinearOptions(cfg.text_config.hidden_size, cfg.projection_dim).bias(false)));
    logit_scale = register_parameter("logit_scale", torch::tensor(cfg.logit_scale_init_value, torch::kFloat));
}

VisionOutput ClipModelImpl::vision(const torch::Tensor &pixelValues, const EncoderRequest &request)
{
    return vision_model(pixelValues, request);
}

TextOutput ClipModelImpl::text(
    const torch::Tensor &inputIds, const torch::Tensor &attentionMask, const EncoderRequest &request)
{
    return text_model(inputIds, attentionMask, request);
}

torch::Tensor ClipModelImpl::projectImage(const torch::Tensor &pooled)
{
    return visual_projection(pooled);
}

torch::Tensor ClipModelImpl::projectText(const torch::Tensor &pooled)
{
    return text_projection(pooled);
}

torch::Tensor ClipModelImpl::imageEmbeddings(const torch::Tensor &pixelValues)
{
    auto e = projectImage(vision(pixelValues).pooled).to(torch::kFloat);
    return e / e.norm(2, -1, true);
}

torch::Tensor ClipModelImpl::textEmbeddings(const torch::Tensor &inputIds, const torch::Tensor &attentionMask)
{
    auto e = projectText(text(inputIds, attentionMask).pooled).to(torch::kFloat);
    return e / e.norm(2, -1, true);
}

torch::Tensor ClipModelImpl::textEmbeddingsFromTokens(const torch::Tensor &tokenEmbeds, const torch::Tensor &eosIndex)
{
    auto e = projectText(text_model->forwardEmbeds(tokenEmbeds, eosIndex).pooled).to(torch::kFloat);
    return e / e.norm(2, -1, true);
}

} // namespace ml::clip
