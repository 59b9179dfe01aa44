// CLIP (Radford et al. 2021) as LibTorch modules, one block per class, children registered
// under the checkpoint's key segments so named_parameters() are the Hugging Face keys.
// Ref: transformers/models/clip/modeling_clip.py (v4.40)
#pragma once

#include "models/clip/clip_config.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <vector>

namespace ml::clip {

struct AttentionOutput {
    torch::Tensor output;        // [B, T, C]
    torch::Tensor probabilities; // [B, H, T, T], only on the explicit path
};

// What the explainers ask for; the default (both false) takes the fast path.
struct EncoderRequest {
    bool attentions = false;
    bool hiddenStates = false;
};

struct EncoderOutput {
    torch::Tensor lastHiddenState;           // [B, T, C]
    std::vector<torch::Tensor> hiddenStates; // layers + 1 entries of [B, T, C] when asked
    std::vector<torch::Tensor> attentions;   // layers entries of [B, H, T, T] when asked
};

// Ref: modeling_clip.py, CLIPAttention
class ClipAttentionImpl : public torch::nn::Module {
public:
    explicit ClipAttentionImpl(const ClipEncoderConfig &cfg);
    // mask: additive, broadcastable to [B, H, T, T] (causal and padding), or undefined.
    AttentionOutput forward(const torch::Tensor &x, const torch::Tensor &mask, bool needWeights);

private:
    std::int64_t m_numHeads;
    double m_scale; // 1 / sqrt(head_dim)
    torch::nn::Linear k_proj {nullptr}, v_proj {nullptr}, q_proj {nullptr}, out_proj {nullptr};
};
TORCH_MODULE(ClipAttention);

// Ref: modeling_clip.py, CLIPMLP
class ClipMlpImpl : public torch::nn::Module {
public:
    explicit ClipMlpImpl(const ClipEncoderConfig &cfg);
    torch::Tensor forward(const torch::Tensor &x);

private:
    Activation m_act;
    torch::nn::Linear fc1 {nullptr}, fc2 {nullptr};
};
TORCH_MODULE(ClipMlp);

// Ref: modeling_clip.py, CLIPEncoderLayer (pre-LN residual block)
class ClipEncoderLayerImpl : public torch::nn::Module {
public:
    explicit ClipEncoderLayerImpl(const ClipEncoderConfig &cfg);
    AttentionOutput forward(const torch::Tensor &x, const torch::Tensor &mask, bool needWeights);

private:
    ClipAttention self_attn {nullptr};
    torch::nn::LayerNorm layer_norm1 {nullptr};
    ClipMlp mlp {nullptr};
    torch::nn::LayerNorm layer_norm2 {nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

// Ref: modeling_clip.py, CLIPEncoder
class ClipEncoderImpl : public torch::nn::Module {
public:
    explicit ClipEncoderImpl(const ClipEncoderConfig &cfg); // cfg.num_hidden_layers layers
    EncoderOutput forward(const torch::Tensor &x, const torch::Tensor &mask, const EncoderRequest &request);
    std::int64_t numLayers() const { return static_cast<std::int64_t>(m_layers.size()); }

private:
    torch::nn::ModuleList layers {nullptr};
    std::vector<ClipEncoderLayer> m_layers;
};
TORCH_MODULE(ClipEncoder);

// Ref: modeling_clip.py, CLIPVisionEmbeddings
class ClipVisionEmbeddingsImpl : public torch::nn::Module {
public:
    explicit ClipVisionEmbeddingsImpl(const ClipVisionConfig &cfg);
    torch::Tensor forward(const torch::Tensor &pixelValues); // [B, 3, H, W] -> [B, 1 + P, C]

private:
    torch::Tensor class_embedding; // [C]
    torch::nn::Conv2d patch_embedding {nullptr};
    torch::nn::Embedding position_embedding {nullptr};
};
TORCH_MODULE(ClipVisionEmbeddings);

struct VisionOutput {
    EncoderOutput encoder; // lastHiddenState is before post_layernorm, as the reference
    torch::Tensor pooled;  // [B, C] post_layernorm(CLS)
};

// Ref: modeling_clip.py, CLIPVisionTransformer
class ClipVisionTransformerImpl : public torch::nn::Module {
public:
    explicit ClipVisionTransformerImpl(const ClipVisionConfig &cfg);
    VisionOutput forward(const torch::Tensor &pixelValues, const EncoderRequest &request = {});
    const ClipVisionConfig &config() const { return m_cfg; }

private:
    ClipVisionConfig m_cfg;
    ClipVisionEmbeddings embeddings {nullptr};
    torch::nn::LayerNorm pre_layrnorm {nullptr}; // sic: the checkpoint's spelling
    ClipEncoder encoder {nullptr};
    torch::nn::LayerNorm post_layernorm {nullptr};
};
TORCH_MODULE(ClipVisionTransformer);

// Ref: modeling_clip.py, CLIPTextEmbeddings
class ClipTextEmbeddingsImpl : public torch::nn::Module {
public:
    explicit ClipTextEmbeddingsImpl(const ClipTextConfig &cfg);
    torch::Tensor forward(const torch::Tensor &inputIds); // [B, T] -> [B, T, C]
    // Token embeddings [B, T, C] (learnt prompts: any vectors, not only rows of the table) plus
    // the position embeddings.
    torch::Tensor withPositions(const torch::Tensor &tokenEmbeds);
    const torch::Tensor &tokenTable() const { return token_embedding->weight; } // [V, C]

private:
    torch::nn::Embedding token_embedding {nullptr};
    torch::nn::Embedding position_embedding {nullptr};
};
TORCH_MODULE(ClipTextEmbeddings);

struct TextOutput {
    EncoderOutput encoder; // lastHiddenState after final_layer_norm, as the reference
    torch::Tensor pooled;  // [B, C] at the EOS position
};

// Ref: modeling_clip.py, CLIPTextTransformer
class ClipTextTransformerImpl : public torch::nn::Module {
public:
    explicit ClipTextTransformerImpl(const ClipTextConfig &cfg);
    // attentionMask: [B, T] of 1 (token) / 0 (padding), or undefined for all ones.
    TextOutput forward(
        const torch::Tensor &inputIds, const torch::Tensor &attentionMask, const EncoderRequest &request = {});
    // From token embeddings [B, T, C] instead of ids (CoOp's learnt context vectors; HF's
    // inputs_embeds), pooled at eosIndex [B]; causal mask only, so whatever follows a row's
    // EOS position changes nothing that is pooled.
    TextOutput forwardEmbeds(
        const torch::Tensor &tokenEmbeds, const torch::Tensor &eosIndex, const EncoderRequest &request = {});
    const torch::Tensor &tokenTable() const { return embeddings->tokenTable(); } // [V, C]
    const ClipTextConfig &config() const { return m_cfg; }

private:
    // x: embeddings with positions [B, T, C]; mask: additive [*, 1, T, T] float32.
    TextOutput encode(const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &eosIndex,
        const EncoderRequest &request);

    ClipTextConfig m_cfg;
    ClipTextEmbeddings embeddings {nullptr};
    ClipEncoder encoder {nullptr};
    torch::nn::LayerNorm final_layer_norm {nullptr};
};
TORCH_MODULE(ClipTextTransformer);

// Ref: modeling_clip.py, CLIPModel
class ClipModelImpl : public torch::nn::Module {
public:
    explicit ClipModelImpl(const ClipConfig &cfg);

    VisionOutput vision(const torch::Tensor &pixelValues, const EncoderRequest &request = {});
    TextOutput text(
        const torch::Tensor &inputIds, const torch::Tensor &attentionMask, const EncoderRequest &request = {});
    torch::Tensor projectImage(const torch::Tensor &pooled); // [B, P], not normalised
    torch::Tensor projectText(const torch::Tensor &pooled);
    torch::Tensor imageEmbeddings(const torch::Tensor &pixelValues); // L2-normalised [B, P]
    torch::Tensor textEmbeddings(const torch::Tensor &inputIds, const torch::Tensor &attentionMask);
    // L2-normalised [B, P] from token embeddings [B, T, C], pooled at eosIndex [B] (CoOp).
    torch::Tensor textEmbeddingsFromTokens(const torch::Tensor &tokenEmbeds, const torch::Tensor &eosIndex);
    // The text tower and its projection alone, for callers that keep nothing else (the vision
    // tower's weights are freed once the model goes).
    ClipTextTransformer textModel() const { return text_model; }
    torch::nn::Linear textProjection() const { return text_projection; }
    torch::Tensor logitScale() const { return logit_scale; }
    const ClipConfig &config() const { return m_cfg; }

private:
    ClipConfig m_cfg;
    ClipTextTransformer text_model {nullptr};
    ClipVisionTransformer vision_model {nullptr};
    torch::nn::Linear visual_projection {nullptr};
    torch::nn::Linear text_projection {nullptr};
    torch::Tensor logit_scale; // scalar, ln(1 / temperature)
};
TORCH_MODULE(ClipModel);

} // namespace ml::clip
