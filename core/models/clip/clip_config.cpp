// Parsing of CLIP configs. A missing key keeps the reference default; a key with the wrong
// type is an error naming the key.
#include "models/clip/clip_config.h"

#include "common/error.h"
#include "common/json_field.h"

#include <nlohmann/json.hpp>

namespace ml::clip {

namespace {

template<typename T> void take(const nlohmann::json &j, const char *key, T &out)
{
    takeJsonField(j, key, out);
}

} // namespace

Activation activationFromName(const std::string &name)
{
    if (name == "quick_gelu")
        return Activation::QuickGelu;
    if (name == "gelu")
        return Activation::Gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
        return Activation::GeluTanh;
    throw Error("unknown hidden_act '" + name + "' (supported: quick_gelu, gelu, gelu_new, gelu_pytorch_tanh)");
}

ClipTextConfig ClipTextConfig::fromJson(const nlohmann::json &j)
{
    ClipTextConfig c;
    take(j, "vocab_size", c.vocab_size);
    take(j, "hidden_size", c.hidden_size);
    take(j, "intermediate_size", c.intermediate_size);
    take(j, "num_hidden_layers", c.num_hidden_layers);
    take(j, "num_attention_heads", c.num_attention_heads);
    take(j, "max_position_embeddings", c.max_position_embeddings);
    take(j, "hidden_act", c.hidden_act);
    take(j, "layer_norm_eps", c.layer_norm_eps);
    take(j, "bos_token_id", c.bos_token_id);
    take(j, "eos_token_id", c.eos_token_id);
    take(j, "pad_token_id", c.pad_token_id);
    return c;
}

ClipVisionConfig ClipVisionConfig::fromJson(const nlohmann::json &j)
{
    ClipVisionConfig c;
    take(j, "hidden_size", c.hidden_size);
    take(j, "intermediate_size", c.intermediate_size);
    take(j, "num_hidden_layers", c.num_hidden_layers);
    take(j, "num_attention_heads", c.num_attention_heads);
    take(j, "num_channels", c.num_channels);
    take(j, "image_size", c.image_size);
    take(j, "patch_size", c.patch_size);
    take(j, "hidden_act", c.hidden_act);
    take(j, "layer_norm_eps", c.layer_norm_eps);
    return c;
}

namespace {

template<typename Tower> ClipEncoderConfig encoderOf(const Tower &t)
{
    ClipEncoderConfig e;
    e.hidden_size = t.hidden_size;
    e.intermediate_size = t.intermediate_size;
    e.num_hidden_layers = t.num_hidden_layers;
    e.num_attention_heads = t.num_attention_heads;
    e.layer_norm_eps = t.layer_norm_eps;
    e.hidden_act = activationFromName(t.hidden_act);
    return e;
}

} // namespace

ClipEncoderConfig ClipTextConfig::encoderConfig() const
{
    return encoderOf(*this);
}

ClipEncoderConfig ClipVisionConfig::encoderConfig() const
{
    return encoderOf(*this);
}

ClipConfig ClipConfig::fromJson(const nlohmann::json &j)
{
    ClipConfig c;
    if (j.contains("text_config"))
        c.text_config = ClipTextConfig::fromJson(j.at("text_config"));
    if (j.contains("vision_config"))
        c.vision_config = ClipVisionConfig::fromJson(j.at("vision_config"));
    take(j, "projection_dim", c.projection_dim);
    take(j, "logit_scale_init_value", c.logit_scale_init_value);
    return c;
}

ClipConfig ClipConfig::fromOpenClipJson(const nlohmann::json &root)
{
    const nlohmann::json &m = root.contains("model_cfg") ? root.at("model_cfg") : root;
    ClipConfig c;
    take(m, "embed_dim", c.projection_dim);
    bool quickGelu = false;
    take(m, "quick_gelu", quickGelu);
    const std::string act = quickGelu ? "quick_gelu" : "gelu";

    const nlohmann::json v = m.contains("vision_cfg") ? m.at("vision_cfg") : nlohmann::json::object();
    auto &vc = c.vision_config;
    take(v, "image_size", vc.image_size);
    take(v, "layers", vc.num_hidden_layers);
    take(v, "width", vc.hidden_size);
    take(v, "patch_size", vc.patch_size);
    std::int64_t headWidth = 64;
    take(v, "head_width", headWidth);
    double mlpRatio = 4.0;
    take(v, "mlp_ratio", mlpRatio);
    vc.num_attention_heads = headWidth > 0 ? vc.hidden_size / headWidth : 0;
    vc.intermediate_size = static_cast<std::int64_t>(static_cast<double>(vc.hidden_size) * mlpRatio);
    vc.hidden_act = act;
    if (v.contains("layers") && v.at("layers").is_array())
        throw Error(
            "open_clip_config.json: vision_cfg.layers is a list: a ResNet CLIP, which ModalLens does not support");

    const nlohmann::json t = m.contains("text_cfg") ? m.at("text_cfg") : nlohmann::json::object();
    auto &tc = c.text_config;
    take(t, "context_length", tc.max_position_embeddings);
    take(t, "vocab_size", tc.vocab_size);
    take(t, "width", tc.hidden_size);
    take(t, "heads", tc.num_attention_heads);
    take(t, "layers", tc.num_hidden_layers);
    double textMlpRatio = 4.0;
    take(t, "mlp_ratio", textMlpRatio);
    tc.intermediate_size = static_cast<std::int64_t>(static_cast<double>(tc.hidden_size) * textMlpRatio);
    tc.hidden_act = act;
    // OpenCLIP pools at argmax(ids): the EOT token has the largest id. eos 2 selects that rule.
    tc.eos_token_id = 2;
    tc.bos_token_id = 49406;
    tc.pad_token_id = 0;
    return c;
}

std::vector<std::string> ClipConfig::validate() const
{
    std::vector<std::string> problems;
    auto checkAct = [&](const std::string &tower, const std::string &name) {
        try {
            activationFromName(name);
        } catch (const Error &e) {
            problems.push_back(tower + ": " + e.what());
        }
    };
    const auto &v = vision_config;
    const auto &t = text_config;
    checkAct("vision_config", v.hidden_act);
    checkAct("text_config", t.hidden_act);
    if (v.num_attention_heads <= 0 || v.hidden_size % v.num_attention_heads != 0)
        problems.push_back("vision_config: hidden_size " + std::to_string(v.hidden_size) + " is not divisible by "
            + std::to_string(v.num_attention_heads) + " heads");
    if (t.num_attention_heads <= 0 || t.hidden_size % t.num_attention_heads != 0)
        problems.push_back("text_config: hidden_size " + std::to_string(t.hidden_size) + " is not divisible by "
            + std::to_string(t.num_attention_heads) + " heads");
    if (v.patch_size <= 0 || v.image_size % v.patch_size != 0)
        problems.push_back("vision_config: image_size " + std::to_string(v.image_size)
            + " is not a multiple of patch_size " + std::to_string(v.patch_size));
    for (auto [name, value] : {std::pair {"vision_config.num_hidden_layers", v.num_hidden_layers},
             std::pair {"text_config.num_hidden_layers", t.num_hidden_layers},
             std::pair {"text_config.max_position_embeddings", t.max_position_embeddings},
             std::pair {"text_config.vocab_size", t.vocab_size}, std::pair {"projection_dim", projection_dim}})
        if (value <= 0)
            problems.push_back(std::string(name) + " must be positive (got " + std::to_string(value) + ")");
    return problems;
}

ClipImageProcessorConfig ClipImageProcessorConfig::fromJson(const nlohmann::json &j)
{
    ClipImageProcessorConfig c;
    if (j.contains("size")) {
        const auto &s = j.at("size");
        if (s.is_number_integer()) {
            c.shortest_edge = s.get<int>();
        } else if (s.is_object() && s.contains("shortest_edge")) {
            take(s, "shortest_edge", c.shortest_edge);
        } else if (s.is_object() && s.contains("height")) {
            int height = 0;
            take(s, "height", height);
            int width = height;
            take(s, "width", width);
            c.shortest_edge = std::min(height, width);
        }
    }
    if (j.contains("crop_size")) {
        const auto &s = j.at("crop_size");
        if (s.is_number_integer()) {
            c.crop_height = c.crop_width = s.get<int>();
        } else if (s.is_object()) {
            take(s, "height", c.crop_height);
            take(s, "width", c.crop_width);
        }
    }
    take(j, "do_resize", c.do_resize);
    take(j, "do_center_crop", c.do_center_crop);
    take(j, "do_rescale", c.do_rescale);
    take(j, "do_normalize", c.do_normalize);
    take(j, "rescale_factor", c.rescale_factor);
    take(j, "image_mean", c.image_mean);
    take(j, "image_std", c.image_std);
    if (c.image_mean.size() != 3 || c.image_std.size() != 3)
        throw Error("preprocessor config: image_mean and image_std must have 3 values");
    int resample = 3;
    take(j, "resample", resample);
    if (resample != 3)
        throw Error("preprocessor config: resample " + std::to_string(resample)
            + " is not supported (only 3 = bicubic, what CLIP uses)");
    return c;
}

ClipImageProcessorConfig ClipImageProcessorConfig::fromOpenClipJson(const nlohmann::json &root, int imageSize)
{
    ClipImageProcessorConfig c;
    c.shortest_edge = c.crop_height = c.crop_width = imageSize;
    c.roundCrop = true;
    if (root.contains("preprocess_cfg")) {
        const auto &p = root.at("preprocess_cfg");
        take(p, "mean", c.image_mean);
        take(p, "std", c.image_std);
        std::string mode = "shortest", interp = "bicubic";
        take(p, "resize_mode", mode);
        take(p, "interpolation", interp);
        if (mode != "shortest")
            throw Error("open_clip_config.json: resize_mode '" + mode + "' is not supported (only 'shortest')");
        if (interp != "bicubic")
            throw Error("open_clip_config.json: interpolation '" + interp + "' is not supported (only 'bicubic')");
    }
    return c;
}

} // namespace ml::clip
