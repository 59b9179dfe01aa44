// LLaVA-1.5 (Liu et al. 2023): a CLIP vision tower whose penultimate-layer patch features pass a
// two-layer GELU projector into the LLaMA's input space, where they take the place of the
// <image> token. Modules registered so named_parameters() are Hugging Face's
// LlavaForConditionalGeneration keys (vision_tower.vision_model.*, multi_modal_projector.*,
// language_model.model.*, language_model.lm_head.*).
// Ref: transformers/models/llava/modeling_llava.py (v4.40)
#pragma once

#include "models/clip/clip_model.h"
#include "models/llava/llama_model.h"
#include "models/llava/llava_config.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace ml::llava {

// Holds "vision_model" so the keys read vision_tower.vision_model.* (CLIPVisionModel).
class LlavaVisionTowerImpl : public torch::nn::Module {
public:
    explicit LlavaVisionTowerImpl(const clip::ClipVisionConfig &cfg)
    {
        vision_model = register_module("vision_model", clip::ClipVisionTransformer(cfg));
    }
    clip::ClipVisionTransformer vision_model {nullptr};
};
TORCH_MODULE(LlavaVisionTower);

// Ref: modeling_llava.py, LlavaMultiModalProjector: linear_2(act(linear_1(x)))
class LlavaProjectorImpl : public torch::nn::Module {
public:
    explicit LlavaProjectorImpl(const LlavaConfig &cfg);
    torch::Tensor forward(const torch::Tensor &x);

private:
    std::string m_act;
    torch::nn::Linear linear_1 {nullptr}, linear_2 {nullptr};
};
TORCH_MODULE(LlavaProjector);

struct ImageFeatures {
    torch::Tensor selected;                // [B, N, C_vision]: the chosen layer, CLS dropped ("default")
    torch::Tensor projected;               // [B, N, H_lm]
    std::vector<torch::Tensor> hidden;     // the tower's hidden states, when asked
    std::vector<torch::Tensor> attentions; // the tower's attention probabilities, when asked
};

// Where the image rows lie in a merged sequence (batch 1).
struct MergedPrompt {
    torch::Tensor embeds;        // [1, L, H_lm]
    std::int64_t imageBegin = 0; // first image position; -1 when the prompt has no image
    std::int64_t imageEnd = 0;   // one past the last
};

// Ref: modeling_llava.py, LlavaForConditionalGeneration
class LlavaModelImpl : public torch::nn::Module {
public:
    explicit LlavaModelImpl(const LlavaConfig &cfg, torch::ScalarType dtype = torch::kFloat);

    // pixels [B, 3, S, S] in the run dtype.
    ImageFeatures imageFeatures(const torch::Tensor &pixels, bool explicitPath = false);
    // The prompt with its <image> token replaced by the image's rows, as the reference's
    // _merge_input_ids_with_image_features (one <image> token, expanded), or, when the ids
    // already repeat <image> once per image row (transformers >= 4.47's processor), in place.
    // ids: the prompt's token ids; image: [1, N, H_lm] (undefined: a prompt without an image).
    MergedPrompt merge(const std::vector<std::int64_t> &ids, const torch::Tensor &image);

    LlamaForCausalLm &languageModel() { return language_model; }
    clip::ClipVisionTransformer &visionModel() { return vision_tower->vision_model; }
    const LlavaConfig &config() const { return m_cfg; }

private:
    LlavaConfig m_cfg;
    LlavaVisionTower vision_tower {nullptr};
    LlavaProjector multi_modal_projector {nullptr};
    LlamaForCausalLm language_model {nullptr};
};
TORCH_MODULE(LlavaModel);

} // namespace ml::llava
