// LLaMA (Touvron et al. 2023), the language model of LLaVA-1.5, as LibTorch modules registered
// under the checkpoint's key segments (model.layers.*, lm_head): RMSNorm with its statistics in
// float32, rotary positions (rotate-half, the config's theta and rope_scaling), SwiGLU, grouped-
// query attention, a tied or untied head.
// Ref: transformers/models/llama/modeling_llama.py (v4.40)
#pragma once

#include "models/llava/llava_config.h"
#include "models/lm/causal_lm.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace ml::llava {

// Ref: modeling_llama.py, LlamaRMSNorm
class LlamaRmsNormImpl : public torch::nn::Module {
public:
    LlamaRmsNormImpl(std::int64_t size, double eps);
    torch::Tensor forward(const torch::Tensor &x);

private:
    double m_eps;
    torch::Tensor weight;
};
TORCH_MODULE(LlamaRmsNorm);

// Rotary positions: cos and sin [B, T, head_dim] float32 for the given positions.
struct Rope {
    torch::Tensor cos, sin;
};
Rope ropeFor(const LlamaConfig &cfg, const torch::Tensor &positions); // positions [B, T] int64

// Ref: modeling_llama.py, LlamaAttention (eager)
class LlamaAttentionImpl : public torch::nn::Module {
public:
    explicit LlamaAttentionImpl(const LlamaConfig &cfg);
    // x [B, T, H]; keys / values: this layer's cache ([B, kvHeads, capacity, D]) holding `past`
    // positions, or null; mask: additive [B, 1, T, past + T] or undefined.
    torch::Tensor forward(const torch::Tensor &x, const Rope &rope, torch::Tensor *keys, torch::Tensor *values,
        std::int64_t past, const torch::Tensor &mask, torch::Tensor *probs);

private:
    std::int64_t m_heads, m_kvHeads, m_headDim;
    torch::nn::Linear q_proj {nullptr}, k_proj {nullptr}, v_proj {nullptr}, o_proj {nullptr};
};
TORCH_MODULE(LlamaAttention);

// Ref: modeling_llama.py, LlamaMLP: down(act(gate(x)) * up(x))
class LlamaMlpImpl : public torch::nn::Module {
public:
    explicit LlamaMlpImpl(const LlamaConfig &cfg);
    torch::Tensor forward(const torch::Tensor &x);

private:
    bool m_silu;
    torch::nn::Linear gate_proj {nullptr}, up_proj {nullptr}, down_proj {nullptr};
};
TORCH_MODULE(LlamaMlp);

// Ref: modeling_llama.py, LlamaDecoderLayer (pre-norm)
class LlamaDecoderLayerImpl : public torch::nn::Module {
public:
    explicit LlamaDecoderLayerImpl(const LlamaConfig &cfg);
    torch::Tensor forward(const torch::Tensor &x, const Rope &rope, torch::Tensor *keys, torch::Tensor *values,
        std::int64_t past, const torch::Tensor &mask, torch::Tensor *probs);

private:
    LlamaAttention self_attn {nullptr};
    LlamaMlp mlp {nullptr};
    LlamaRmsNorm input_layernorm {nullptr}, post_attention_layernorm {nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

// Ref: modeling_llama.py, LlamaModel. forward returns the final-normed hidden states in logits.
class LlamaModelImpl : public torch::nn::Module {
public:
    LlamaModelImpl(const LlamaConfig &cfg, torch::ScalarType dtype);
    lm::LmOutput forward(const torch::Tensor &embeds, lm::KvCache *cache, const torch::Tensor &attentionMask,
        const lm::LmRequest &request);
    torch::nn::Embedding &embedTokens() { return embed_tokens; }

private:
    LlamaConfig m_cfg;
    torch::nn::Embedding embed_tokens {nullptr};
    torch::nn::ModuleList layers {nullptr};
    std::vector<LlamaDecoderLayer> m_layers;
    LlamaRmsNorm norm {nullptr};
};
TORCH_MODULE(LlamaModel);

// Ref: modeling_llama.py, LlamaForCausalLM. The head is lm_head, or embed_tokens when tied.
class LlamaForCausalLmImpl : public torch::nn::Module, public lm::CausalLm {
public:
    explicit LlamaForCausalLmImpl(const LlamaConfig &cfg, torch::ScalarType dtype = torch::kFloat);
    torch::Tensor embedTokens(const torch::Tensor &ids) override;
    lm::KvCache newCache(std::int64_t batch, std::int64_t capacity) override;
    lm::LmOutput forward(const torch::Tensor &embeds, lm::KvCache *cache, const torch::Tensor &attentionMask,
        const lm::LmRequest &request) override;
    std::int64_t maxPositions() const override { return m_cfg.max_position_embeddings; }
    std::int64_t vocabSize() const override { return m_cfg.vocab_size; }
    std::int64_t numLayers() const override { return m_cfg.num_hidden_layers; }
    std::int64_t numHeads() const override { return m_cfg.num_attention_heads; }
    const LlamaConfig &config() const { return m_cfg; }
    const torch::Tensor &headWeight();

private:
    LlamaConfig m_cfg;
    LlamaModel model {nullptr};
    torch::nn::Linear lm_head {nullptr}; // untied only
};
TORCH_MODULE(LlamaForCausalLm);

} // namespace ml::llava
