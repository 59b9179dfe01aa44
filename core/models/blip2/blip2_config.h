// BLIP-2 configuration, spelled like Hugging Face's Blip2Config (vision_config, qformer_config,
// text_config with model_type "opt", num_query_tokens). A missing key keeps the reference default
// (transformers 4.40: Blip2VisionConfig, Blip2QFormerConfig, OPTConfig).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ml::blip2 {

struct Blip2VisionConfig { // "vision_config"
    std::int64_t hidden_size = 1408;
    std::int64_t intermediate_size = 6144;
    std::int64_t num_hidden_layers = 39;
    std::int64_t num_attention_heads = 16;
    std::int64_t num_channels = 3;
    std::int64_t image_size = 224;
    std::int64_t patch_size = 14;
    std::string hidden_act = "gelu";
    double layer_norm_eps = 1e-6;
    bool qkv_bias = true;
    std::int64_t gridSize() const { return image_size / patch_size; }
    std::int64_t numPositions() const { return gridSize() * gridSize() + 1; }
};

struct Blip2QFormerConfig { // "qformer_config"
    std::int64_t hidden_size = 768;
    std::int64_t intermediate_size = 3072;
    std::int64_t num_hidden_layers = 12;
    std::int64_t num_attention_heads = 12;
    std::string hidden_act = "gelu";
    double layer_norm_eps = 1e-12;
    std::int64_t cross_attention_frequency = 2;
    std::int64_t encoder_hidden_size = 1408; // Blip2Config sets it to the vision width
    std::string position_embedding_type = "absolute";
    std::int64_t vocab_size = 30522; // the Q-Former's text path (not used by generation)
    bool hasCrossAttention(std::int64_t layer) const { return layer % cross_attention_frequency == 0; }
};

struct OptConfig { // "text_config" (model_type "opt")
    std::int64_t vocab_size = 50272;
    std::int64_t hidden_size = 768;
    std::int64_t ffn_dim = 3072;
    std::int64_t num_hidden_layers = 12;
    std::int64_t num_attention_heads = 12;
    std::int64_t max_position_embeddings = 2048;
    std::int64_t word_embed_proj_dim = -1; // -1: hidden_size
    bool do_layer_norm_before = true;
    bool remove_final_layer_norm = false; // "_remove_final_layer_norm"
    bool enable_bias = true;
    bool layer_norm_elementwise_affine = true;
    bool tie_word_embeddings = true;
    std::string activation_function = "relu";
    std::int64_t bos_token_id = 2;
    std::int64_t eos_token_id = 2;
    std::int64_t pad_token_id = 1;
    std::int64_t embedDim() const { return word_embed_proj_dim > 0 ? word_embed_proj_dim : hidden_size; }
    bool projects() const { return embedDim() != hidden_size; } // project_in / project_out exist
    bool hasFinalLayerNorm() const { return do_layer_norm_before && !remove_final_layer_norm; }
    static OptConfig fromJson(const nlohmann::json &j);
    nlohmann::json toJson() const;
    std::vector<std::string> validate() const;
    std::int64_t parameterCount() const;
};

struct Blip2Config {
    Blip2VisionConfig vision;
    Blip2QFormerConfig qformer;
    OptConfig text;
    std::int64_t num_query_tokens = 32;

    // file names the config in messages. Throws ml::Error for a text_config that is not OPT (the
    // one language model BLIP-2 folders of this family use here), or a key of the wrong type.
    static Blip2Config fromJson(const nlohmann::json &j, const std::string &file);
    nlohmann::json toJson() const; // a config.json transformers' Blip2Config reads back
    // Every problem with the numbers, one per line; empty when usable.
    std::vector<std::string> validate() const;
    std::int64_t parameterCount() const; // from the numbers alone
};

} // namespace ml::blip2
