// BLIP-2 (Li et al. 2023) as LibTorch modules: the vision tower (ViT with BLIP-2's qkv layout),
// the Q-Former (BERT-style layers over learnt query tokens, cross-attention to the image every
// cross_attention_frequency layers, query-only feed-forward), the language projection and OPT.
// named_parameters() are Hugging Face Blip2ForConditionalGeneration's keys.
// Ref: transformers/models/blip_2/modeling_blip_2.py (v4.40)
#pragma once

#include "models/blip2/blip2_config.h"
#include "models/blip2/opt_model.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace ml::blip2 {

// Ref: Blip2Attention (one qkv projection; its bias is cat(q_bias, 0, v_bias) in the checkpoint)
class Blip2VisionAttentionImpl : public torch::nn::Module {
public:
    explicit Blip2VisionAttentionImpl(const Blip2VisionConfig &cfg);
    torch::Tensor forward(const torch::Tensor &x, torch::Tensor *probs);

private:
    std::int64_t m_heads;
    double m_scale;
    torch::nn::Linear qkv {nullptr}, projection {nullptr};
};
TORCH_MODULE(Blip2VisionAttention);

// Ref: Blip2EncoderLayer + Blip2MLP (pre-LN)
class Blip2VisionLayerImpl : public torch::nn::Module {
public:
    explicit Blip2VisionLayerImpl(const Blip2VisionConfig &cfg);
    torch::Tensor forward(const torch::Tensor &x, torch::Tensor *probs);

private:
    std::string m_act;
    Blip2VisionAttention self_attn {nullptr};
    torch::nn::LayerNorm layer_norm1 {nullptr}, layer_norm2 {nullptr};
    torch::nn::Linear fc1 {nullptr}, fc2 {nullptr}; // under "mlp"
};
TORCH_MODULE(Blip2VisionLayer);

struct VisionOutput {
    torch::Tensor lastHiddenState;         // [B, 1 + P, C] after post_layernorm (what the Q-Former reads)
    torch::Tensor pooled;                  // [B, C] post_layernorm applied again to the CLS row
    std::vector<torch::Tensor> attentions; // per layer [B, heads, 1 + P, 1 + P] when asked
};

// Ref: Blip2VisionEmbeddings + Blip2Encoder + post_layernorm (Blip2VisionModel)
class Blip2VisionModelImpl : public torch::nn::Module {
public:
    // dtype: each layer is converted as soon as it is built (a big tower never exists twice).
    explicit Blip2VisionModelImpl(const Blip2VisionConfig &cfg, torch::ScalarType dtype = torch::kFloat);
    VisionOutput forward(const torch::Tensor &pixels, bool attentions = false);

private:
    Blip2VisionConfig m_cfg;
    // Under "embeddings" and "encoder.layers".
    torch::Tensor class_embedding, position_embedding; // [1, 1, C], [1, 1 + P, C]
    torch::nn::Conv2d patch_embedding {nullptr};
    std::vector<Blip2VisionLayer> m_layers;
    torch::nn::LayerNorm post_layernorm {nullptr};
};
TORCH_MODULE(Blip2VisionModel);

// Ref: Blip2QFormerMultiHeadAttention + Blip2QFormerSelfOutput (post-LN)
class QFormerAttentionImpl : public torch::nn::Module {
public:
    QFormerAttentionImpl(const Blip2QFormerConfig &cfg, bool cross);
    // kv: the queries themselves (self-attention) or the image embeddings (cross-attention).
    torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &kv, torch::Tensor *probs);

private:
    std::int64_t m_heads;
    // attention.{query,key,value}, output.{dense,LayerNorm}
    torch::nn::Linear m_query {nullptr}, m_key {nullptr}, m_value {nullptr}, m_dense {nullptr};
    torch::nn::LayerNorm m_norm {nullptr};
};
TORCH_MODULE(QFormerAttention);

// Ref: Blip2QFormerLayer (queries only: the text path of stage 1 is not part of generation)
class QFormerLayerImpl : public torch::nn::Module {
public:
    QFormerLayerImpl(const Blip2QFormerConfig &cfg, bool cross);
    torch::Tensor forward(
        const torch::Tensor &x, const torch::Tensor &image, torch::Tensor *selfProbs, torch::Tensor *crossProbs);
    bool hasCrossAttention() const { return static_cast<bool>(m_cross); }

private:
    std::string m_act;
    QFormerAttention m_self {nullptr}, m_cross {nullptr};
    torch::nn::Linear m_interDense {nullptr}, m_outDense {nullptr};
    torch::nn::LayerNorm m_outNorm {nullptr};
};
TORCH_MODULE(QFormerLayer);

struct QFormerOutput {
    torch::Tensor lastHiddenState;              // [B, Q, H]
    std::vector<torch::Tensor> selfAttentions;  // per layer [B, heads, Q, Q] when asked
    std::vector<torch::Tensor> crossAttentions; // per cross-attention layer [B, heads, Q, 1 + P]
};

// Ref: Blip2QFormerModel (query_embeds in, layernorm first)
class QFormerModelImpl : public torch::nn::Module {
public:
    explicit QFormerModelImpl(const Blip2QFormerConfig &cfg, torch::ScalarType dtype = torch::kFloat);
    QFormerOutput forward(const torch::Tensor &queries, const torch::Tensor &image, bool attentions = false);
    const std::vector<int> &crossLayers() const { return m_crossLayers; }

private:
    torch::nn::LayerNorm layernorm {nullptr};
    std::vector<QFormerLayer> m_layers;
    std::vector<int> m_crossLayers;
};
TORCH_MODULE(QFormerModel);

// Ref: Blip2ForConditionalGeneration (decoder-only language model)
class Blip2ModelImpl : public torch::nn::Module {
public:
    // dtype: the parameters' type, each block converted as soon as it is built.
    explicit Blip2ModelImpl(const Blip2Config &cfg, torch::ScalarType dtype = torch::kFloat);

    VisionOutput vision(const torch::Tensor &pixels, bool attentions = false);
    torch::Tensor imageEmbeds(const torch::Tensor &pixels) { return vision(pixels).lastHiddenState; }
    QFormerOutput queryOutputs(const torch::Tensor &imageEmbeds, bool attentions = false);
    torch::Tensor projectQueries(const torch::Tensor &queryOut); // [B, Q, H_lm]
    torch::Tensor embedTokens(const torch::Tensor &ids);         // [B, T, H_lm]
    // Training: the OPT logits [B, Q + T, V] over cat(prefix, embedTokens(ids)); attentionMask
    // [B, T] over the text (right padding), or undefined.
    torch::Tensor lmLogits(
        const torch::Tensor &prefixEmbeds, const torch::Tensor &ids, const torch::Tensor &attentionMask);

    OptForCausalLm &languageModel() { return language_model; }
    QFormerModel &qformerModel() { return qformer; }
    const Blip2Config &config() const { return m_cfg; }

private:
    Blip2Config m_cfg;
    Blip2VisionModel vision_model {nullptr};
    torch::Tensor query_tokens; // [1, Q, H]
    QFormerModel qformer {nullptr};
    torch::nn::Linear language_projection {nullptr};
    OptForCausalLm language_model {nullptr};
};
TORCH_MODULE(Blip2Model);

} // namespace ml::blip2
