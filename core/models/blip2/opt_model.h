// OPT (Zhang et al. 2022), the language model of BLIP-2, as LibTorch modules registered under the
// checkpoint's key segments (model.decoder.*). Pre- or post-LN per do_layer_norm_before, learnt
// positions with their offset of 2, ReLU MLP, word_embed_proj_dim projections, tied head.
// Ref: transformers/models/opt/modeling_opt.py (v4.40)
#pragma once

#include "models/blip2/blip2_config.h"
#include "models/lm/causal_lm.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace ml::blip2 {

// Ref: modeling_opt.py, OPTAttention
class OptAttentionImpl : public torch::nn::Module {
public:
    explicit OptAttentionImpl(const OptConfig &cfg);
    // x [B, T, H]; keys/values: this layer's cache (undefined: none) holding `past` positions;
    // mask: additive [B, 1, T, past + T] or undefined (no masking: one new token).
    torch::Tensor forward(const torch::Tensor &x, torch::Tensor *keys, torch::Tensor *values, std::int64_t past,
        const torch::Tensor &mask, torch::Tensor *probs);

private:
    std::int64_t m_heads;
    double m_scaling;
    torch::nn::Linear k_proj {nullptr}, v_proj {nullptr}, q_proj {nullptr}, out_proj {nullptr};
};
TORCH_MODULE(OptAttention);

// Ref: modeling_opt.py, OPTDecoderLayer
class OptDecoderLayerImpl : public torch::nn::Module {
public:
    explicit OptDecoderLayerImpl(const OptConfig &cfg);
    torch::Tensor forward(const torch::Tensor &x, torch::Tensor *keys, torch::Tensor *values, std::int64_t past,
        const torch::Tensor &mask, torch::Tensor *probs);

private:
    bool m_preNorm;
    bool m_relu;
    std::string m_act;
    OptAttention self_attn {nullptr};
    torch::nn::LayerNorm self_attn_layer_norm {nullptr};
    torch::nn::Linear fc1 {nullptr}, fc2 {nullptr};
    torch::nn::LayerNorm final_layer_norm {nullptr};
};
TORCH_MODULE(OptDecoderLayer);

// Ref: modeling_opt.py, OPTDecoder
class OptDecoderImpl : public torch::nn::Module {
public:
    explicit OptDecoderImpl(const OptConfig &cfg, torch::ScalarType dtype = torch::kFloat);
    lm::LmOutput forward(const torch::Tensor &embeds, lm::KvCache *cache, const torch::Tensor &attentionMask,
        const lm::LmRequest &request);
    const torch::Tensor &tokenTable() const { return embed_tokens->weight; }
    torch::nn::Embedding &embedTokens() { return embed_tokens; }

private:
    OptConfig m_cfg;
    torch::nn::Embedding embed_tokens {nullptr};
    torch::nn::Embedding embed_positions {nullptr}; // [max_position_embeddings + 2, H]
    torch::nn::Linear project_in {nullptr}, project_out {nullptr};
    torch::nn::LayerNorm final_layer_norm {nullptr};
    torch::nn::ModuleList layers {nullptr};
    std::vector<OptDecoderLayer> m_layers;
};
TORCH_MODULE(OptDecoder);

// Holds "decoder" so the keys read model.decoder.* (OPTModel).
class OptModelImpl : public torch::nn::Module {
public:
    OptModelImpl(const OptConfig &cfg, torch::ScalarType dtype)
    {
        decoder = register_module("decoder", OptDecoder(cfg, dtype));
    }
    OptDecoder decoder {nullptr};
};
TORCH_MODULE(OptModel);

// Ref: modeling_opt.py, OPTForCausalLM. The head is embed_tokens (tie_word_embeddings) or lm_head.
class OptForCausalLmImpl : public torch::nn::Module, public lm::CausalLm {
public:
    explicit OptForCausalLmImpl(const OptConfig &cfg, torch::ScalarType dtype = torch::kFloat);
    torch::Tensor embedTokens(const torch::Tensor &ids) override;
    lm::KvCache newCache(std::int64_t batch, std::int64_t capacity) override;
    lm::LmOutput forward(const torch::Tensor &embeds, lm::KvCache *cache, const torch::Tensor &attentionMask,
        const lm::LmRequest &request) override;
    std::int64_t maxPositions() const override { return m_cfg.max_position_embeddings; }
    std::int64_t vocabSize() const override { return m_cfg.vocab_size; }
    std::int64_t numLayers() const override { return m_cfg.num_hidden_layers; }
    std::int64_t numHeads() const override { return m_cfg.num_attention_heads; }
    const OptConfig &config() const { return m_cfg; }

private:
    OptConfig m_cfg;
    OptModel model {nullptr};
    torch::nn::Linear lm_head {nullptr}; // untied only
};
TORCH_MODULE(OptForCausalLm);

} // namespace ml::blip2
