// LLaVA configuration, spelled like Hugging Face's LlavaConfig (vision_config: a CLIP vision
// tower; text_config: LLaMA; image_token_index, vision_feature_layer, ...). A missing key keeps
// the reference default (transformers 4.40: LlavaConfig, CLIPVisionConfig, LlamaConfig).
#pragma once

#include "models/clip/clip_config.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ml::llava {

// rope_scaling: none, "linear" (positions / factor), "dynamic" (NTK: the base grows once the
// sequence passes max_position_embeddings) or "llama3" (the frequencies rescaled by band).
struct RopeScaling {
    std::string type; // "" = none
    double factor = 1.0;
    double lowFreqFactor = 1.0, highFreqFactor = 4.0; // llama3
    std::int64_t originalMaxPositions = 8192;         // llama3
};

struct LlamaConfig { // "text_config" (model_type "llama")
    std::int64_t vocab_size = 32000;
    std::int64_t hidden_size = 4096;
    std::int64_t intermediate_size = 11008;
    std::int64_t num_hidden_layers = 32;
    std::int64_t num_attention_heads = 32;
    std::int64_t num_key_value_heads = -1; // -1: num_attention_heads
    std::int64_t max_position_embeddings = 2048;
    double rms_norm_eps = 1e-6;
    double rope_theta = 10000.0;
    RopeScaling rope_scaling;
    std::string hidden_act = "silu";
    bool tie_word_embeddings = false;
    bool attention_bias = false;
    bool mlp_bias = false;
    std::int64_t bos_token_id = 1;
    std::int64_t eos_token_id = 2;
    std::int64_t pad_token_id = -1; // -1: none
    std::int64_t kvHeads() const { return num_key_value_heads > 0 ? num_key_value_heads : num_attention_heads; }
    std::int64_t headDim() const { return hidden_size / num_attention_heads; }
    static LlamaConfig fromJson(const nlohmann::json &j); // throws ml::Error for a wrong type
    nlohmann::json toJson() const;
    std::vector<std::string> validate() const;
    std::int64_t parameterCount() const;
};

struct LlavaConfig {
    clip::ClipVisionConfig vision;
    LlamaConfig text;
    std::int64_t image_token_index = 32000;
    std::int64_t vision_feature_layer = -2;                 // index into hidden_states
    std::string vision_feature_select_strategy = "default"; // "default": CLS dropped; "full"
    std::string projector_hidden_act = "gelu";
    bool multimodal_projector_bias = true;
    std::int64_t pad_token_id = -1;

    // file names the config in messages. Throws ml::Error for a text_config that is not LLaMA
    // (Mistral, Vicuna and bakLlava are LLaMA here; other families are refused) or a wrong type.
    static LlavaConfig fromJson(const nlohmann::json &j, const std::string &file);
    nlohmann::json toJson() const; // a config.json transformers' LlavaConfig reads back
    std::vector<std::string> validate() const;
    std::int64_t parameterCount() const;
    // Image positions per picture: the patches, plus the CLS token under "full".
    std::int64_t imageTokens() const { return vision.gridSize() * vision.gridSize() + (dropsCls() ? 0 : 1); }
    bool dropsCls() const { return vision_feature_select_strategy == "default"; }
    // vision_feature_layer as an index into the tower's layers + 1 hidden states.
    std::int64_t featureLayer() const;
};

} // namespace ml::llava
