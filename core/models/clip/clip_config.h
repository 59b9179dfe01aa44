// CLIP configuration, spelled like Hugging Face's config.json (text_config / vision_config),
// and parsed from OpenCLIP's open_clip_config.json into the same struct.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ml::clip {

// The activation of the MLP blocks: "quick_gelu" (OpenAI's x * sigmoid(1.702 x)), "gelu" (erf),
// "gelu_new" / "gelu_pytorch_tanh" (tanh approximation).
enum class Activation { QuickGelu, Gelu, GeluTanh };
Activation activationFromName(const std::string &name); // throws ml::Error for unknown names

// What the encoder blocks (attention, MLP, layer, encoder) read: the fields of these names that
// text_config and vision_config share, the activation parsed. Made by their encoderConfig().
struct ClipEncoderConfig {
    std::int64_t hidden_size = 512;
    std::int64_t intermediate_size = 2048;
    std::int64_t num_hidden_layers = 12;
    std::int64_t num_attention_heads = 8;
    double layer_norm_eps = 1e-5;
    Activation hidden_act = Activation::QuickGelu;
};

struct ClipTextConfig { // config.json "text_config"
    std::int64_t vocab_size = 49408;
    std::int64_t hidden_size = 512;
    std::int64_t intermediate_size = 2048;
    std::int64_t num_hidden_layers = 12;
    std::int64_t num_attention_heads = 8;
    std::int64_t max_position_embeddings = 77; // the context length
    std::string hidden_act = "quick_gelu";
    double layer_norm_eps = 1e-5;
    std::int64_t bos_token_id = 49406;
    std::int64_t eos_token_id = 49407;
    std::int64_t pad_token_id = 1;
    static ClipTextConfig fromJson(const nlohmann::json &j); // a missing key keeps the default
    ClipEncoderConfig encoderConfig() const;                 // throws ml::Error for an unknown hidden_act
};

struct ClipVisionConfig { // config.json "vision_config"
    std::int64_t hidden_size = 768;
    std::int64_t intermediate_size = 3072;
    std::int64_t num_hidden_layers = 12;
    std::int64_t num_attention_heads = 12;
    std::int64_t num_channels = 3;
    std::int64_t image_size = 224;
    std::int64_t patch_size = 32;
    std::string hidden_act = "quick_gelu";
    double layer_norm_eps = 1e-5;
    static ClipVisionConfig fromJson(const nlohmann::json &j);
    ClipEncoderConfig encoderConfig() const; // throws ml::Error for an unknown hidden_act
    std::int64_t gridSize() const { return image_size / patch_size; }
    std::int64_t numPositions() const { return gridSize() * gridSize() + 1; }
};

struct ClipConfig {
    ClipTextConfig text_config;
    ClipVisionConfig vision_config;
    std::int64_t projection_dim = 512;
    double logit_scale_init_value = 2.6592;
    static ClipConfig fromJson(const nlohmann::json &j);
    // OpenCLIP hub folders: {"model_cfg": {"embed_dim", "quick_gelu", "vision_cfg", "text_cfg"}}.
    static ClipConfig fromOpenClipJson(const nlohmann::json &j);
    // Every problem with the numbers (heads not dividing width, image not a multiple of the
    // patch, unknown activation), each as one line; empty when the config is usable.
    std::vector<std::string> validate() const;
};

// Image preprocessing, from preprocessor_config.json (HF) or open_clip_config.json's
// preprocess_cfg (OpenCLIP; centre crop rounds instead of flooring).
struct ClipImageProcessorConfig {
    int shortest_edge = 224;
    int crop_height = 224;
    int crop_width = 224;
    bool do_resize = true;
    bool do_center_crop = true;
    bool do_rescale = true;
    bool do_normalize = true;
    double rescale_factor = 1.0 / 255.0;
    std::vector<float> image_mean {0.48145466f, 0.4578275f, 0.40821073f};
    std::vector<float> image_std {0.26862954f, 0.26130258f, 0.27577711f};
    bool roundCrop = false; // torchvision CenterCrop rounds; HF floors
    static ClipImageProcessorConfig fromJson(const nlohmann::json &j);
    static ClipImageProcessorConfig fromOpenClipJson(const nlohmann::json &j, int imageSize);
};

} // namespace ml::clip
