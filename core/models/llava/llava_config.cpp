// Parsing and writing LLaVA configs. A missing key keeps the reference default; a key with the
// wrong type is an error naming the key and the file.
#include "models/llava/llava_config.h"

#include "common/error.h"
#include "common/json_field.h"

#include <nlohmann/json.hpp>

namespace ml::llava {

namespace {

template<typename T> void take(const nlohmann::json &j, const char *key, T &out)
{
    takeJsonField(j, key, out);
}

RopeScaling ropeFromJson(const nlohmann::json &j)
{
    RopeScaling r;
    if (!j.is_object())
        return r;
    take(j, "type", r.type);
    take(j, "rope_type", r.type); // transformers >= 4.43 spells it so
    take(j, "factor", r.factor);
    take(j, "low_freq_factor", r.lowFreqFactor);
    take(j, "high_freq_factor", r.highFreqFactor);
    take(j, "original_max_position_embeddings", r.originalMaxPositions);
    if (r.type == "default")
        r.type.clear();
    return r;
}

clip::ClipVisionConfig visionDefaults()
{
    // LlavaConfig without a vision_config: openai/clip-vit-large-patch14-336's tower.
    clip::ClipVisionConfig v;
    v.hidden_size = 1024;
    v.intermediate_size = 4096;
    v.num_hidden_layers = 24;
    v.num_attention_heads = 16;
    v.image_size = 336;
    v.patch_size = 14;
    return v;
}

} // namespace

LlamaConfig LlamaConfig::fromJson(const nlohmann::json &j)
{
    LlamaConfig c;
    take(j, "vocab_size", c.vocab_size);
    take(j, "hidden_size", c.hidden_size);
    take(j, "intermediate_size", c.intermediate_size);
    take(j, "num_hidden_layers", c.num_hidden_layers);
    take(j, "num_attention_heads", c.num_attention_heads);
    take(j, "num_key_value_heads", c.num_key_value_heads);
    take(j, "max_position_embeddings", c.max_position_embeddings);
    take(j, "rms_norm_eps", c.rms_norm_eps);
    take(j, "rope_theta", c.rope_theta);
    if (j.contains("rope_scaling"))
        c.rope_scaling = ropeFromJson(j.at("rope_scaling"));
    take(j, "hidden_act", c.hidden_act);
    take(j, "tie_word_embeddings", c.tie_word_embeddings);
    take(j, "attention_bias", c.attention_bias);
    take(j, "mlp_bias", c.mlp_bias);
    take(j, "bos_token_id", c.bos_token_id);
    take(j, "eos_token_id", c.eos_token_id);
    take(j, "pad_token_id", c.pad_token_id);
    return c;
}

nlohmann::json LlamaConfig::toJson() const
{
    nlohmann::json j = {{"model_type", "llama"}, {"vocab_size", vocab_size}, {"hidden_size", hidden_size},
        {"intermediate_size", intermediate_size}, {"num_hidden_layers", num_hidden_layers},
        {"num_attention_heads", num_attention_heads}, {"num_key_value_heads", kvHeads()},
        {"max_position_embeddings", max_position_embeddings}, {"rms_norm_eps", rms_norm_eps},
        {"rope_theta", rope_theta}, {"hidden_act", hidden_act}, {"tie_word_embeddings", tie_word_embeddings},
        {"attention_bias", attention_bias}, {"bos_token_id", bos_token_id}, {"eos_token_id", eos_token_id}};
    if (pad_token_id >= 0)
        j["pad_token_id"] = pad_token_id;
    if (!rope_scaling.type.empty())
        j["rope_scaling"] = {{"type", rope_scaling.type}, {"factor", rope_scaling.factor}};
    return j;
}

std::vector<std::string> LlamaConfig::validate() const
{
    std::vector<std::string> out;
    if (hidden_size <= 0 || num_attention_heads <= 0 || hidden_size % num_attention_heads != 0 || headDim() % 2 != 0)
        out.push_back("text_config: hidden_size " + std::to_string(hidden_size) + " is not an even-headed multiple of "
            + std::to_string(num_attention_heads) + " attention heads");
    else if (kvHeads() <= 0 || num_attention_heads % kvHeads() != 0)
        out.push_back("text_config: " + std::to_string(num_attention_heads) + " attention heads are not a multiple of "
            + std::to_string(kvHeads()) + " key-value heads");
    if (vocab_size <= 0 || intermediate_size <= 0 || num_hidden_layers < 0 || max_position_embeddings <= 0)
        out.push_back("text_config: vocab_size, intermediate_size and max_position_embeddings must be positive");
    if (hidden_act != "silu" && hidden_act != "swish" && hidden_act != "gelu")
        out.push_back("text_config: unknown hidden_act '" + hidden_act + "'");
    const auto &r = rope_scaling.type;
    if (!r.empty() && r != "linear" && r != "dynamic" && r != "llama3")
        out.push_back("text_config: rope_scaling type '" + r + "' is not supported (linear, dynamic, llama3 are)");
    if (!r.empty() && rope_scaling.factor <= 0)
        out.push_back("text_config: rope_scaling factor must be positive");
    if (rope_theta <= 0)
        out.push_back("text_config: rope_theta must be positive");
    for (auto id : {bos_token_id, eos_token_id})
        if (id < 0 || id >= vocab_size)
            out.push_back("text_config: token id " + std::to_string(id) + " outside the vocabulary of "
                + std::to_string(vocab_size));
    return out;
}

std::int64_t LlamaConfig::parameterCount() const
{
    const std::int64_t H = hidden_size, F = intermediate_size, KV = kvHeads() * headDim();
    const std::int64_t attn = H * H * 2 + H * KV * 2 + (attention_bias ? 2 * H + 2 * KV : 0);
    const std::int64_t mlp = 3 * H * F + (mlp_bias ? 2 * F + H : 0);
    std::int64_t n = vocab_size * H + num_hidden_layers * (attn + mlp + 2 * H) + H;
    if (!tie_word_embeddings)
        n += vocab_size * H;
    return n;
}

LlavaConfig LlavaConfig::fromJson(const nlohmann::json &j, const std::string &file)
{
    try {
        LlavaConfig c;
        c.vision = j.contains("vision_config") && j.at("vision_config").is_object()
            ? clip::ClipVisionConfig::fromJson(j.at("vision_config"))
            : visionDefaults();
        if (j.contains("text_config") && j.at("text_config").is_object()) {
            const auto &t = j.at("text_config");
            const std::string type = t.value("model_type", std::string("llama"));
            if (type != "llama" && type != "mistral")
                throw Error("text_config.model_type '" + type
                    + "': only LLaMA-architecture language models (llama, mistral) are supported");
            c.text = LlamaConfig::fromJson(t);
            if (type == "mistral" && !t.contains("max_position_embeddings"))
                c.text.max_position_embeddings = 32768;
        }
        const auto &vision = j.contains("vision_config") ? j.at("vision_config") : nlohmann::json::object();
        const std::string vtype = vision.is_object() ? vision.value("model_type", std::string("clip_vision_model"))
                                                     : std::string("clip_vision_model");
        if (vtype != "clip_vision_model")
            throw Error("vision_config.model_type '" + vtype + "': only CLIP vision towers are supported");
        take(j, "image_token_index", c.image_token_index);
        take(j, "vision_feature_layer", c.vision_feature_layer);
        take(j, "vision_feature_select_strategy", c.vision_feature_select_strategy);
        take(j, "projector_hidden_act", c.projector_hidden_act);
        take(j, "multimodal_projector_bias", c.multimodal_projector_bias);
        take(j, "pad_token_id", c.pad_token_id);
        return c;
    } catch (const Error &e) {
        throw Error(file + ": " + e.what());
    } catch (const nlohmann::json::exception &e) {
        throw Error(file + ": " + e.what());
    }
}

nlohmann::json LlavaConfig::toJson() const
{
    const auto &v = vision;
    nlohmann::json j = {{"architectures", {"LlavaForConditionalGeneration"}}, {"model_type", "llava"},
        {"image_token_index", image_token_index}, {"vision_feature_layer", vision_feature_layer},
        {"vision_feature_select_strategy", vision_feature_select_strategy},
        {"projector_hidden_act", projector_hidden_act}, {"ignore_index", -100}, {"text_config", text.toJson()},
        {"vision_config",
            {{"model_type", "clip_vision_model"}, {"hidden_size", v.hidden_size},
                {"intermediate_size", v.intermediate_size}, {"num_hidden_layers", v.num_hidden_layers},
                {"num_attention_heads", v.num_attention_heads}, {"num_channels", v.num_channels},
                {"image_size", v.image_size}, {"patch_size", v.patch_size}, {"hidden_act", v.hidden_act},
                {"layer_norm_eps", v.layer_norm_eps}}}};
    if (pad_token_id >= 0)
        j["pad_token_id"] = pad_token_id;
    return j;
}

std::int64_t LlavaConfig::featureLayer() const
{
    const auto states = vision.num_hidden_layers + 1;
    return vision_feature_layer < 0 ? states + vision_feature_layer : vision_feature_layer;
}

std::vector<std::string> LlavaConfig::validate() const
{
    auto out = text.validate();
    const auto &v = vision;
    if (v.num_attention_heads <= 0 || v.hidden_size % v.num_attention_heads != 0)
        out.push_back("vision_config: hidden_size " + std::to_string(v.hidden_size) + " is not divisible by "
            + std::to_string(v.num_attention_heads) + " heads");
    if (v.patch_size <= 0 || v.image_size <= 0 || v.image_size % v.patch_size != 0)
        out.push_back("vision_config: image_size " + std::to_string(v.image_size) + " is not a multiple of patch_size "
            + std::to_string(v.patch_size));
    try {
        clip::activationFromName(v.hidden_act);
    } catch (const Error &e) {
        out.push_back(std::string("vision_config: ") + e.what());
    }
    const auto layer = featureLayer();
    if (layer < 0 || layer > v.num_hidden_layers)
        out.push_back("vision_feature_layer " + std::to_string(vision_feature_layer) + " is not one of the tower's "
            + std::to_string(v.num_hidden_layers + 1) + " hidden states");
    if (vision_feature_select_strategy != "default" && vision_feature_select_strategy != "full")
        out.push_back(
            "vision_feature_select_strategy '" + vision_feature_select_strategy + "' is not supported (default, full)");
    if (projector_hidden_act != "gelu" && projector_hidden_act != "relu" && projector_hidden_act != "quick_gelu"
        && projector_hidden_act != "gelu_new" && projector_hidden_act != "gelu_pytorch_tanh")
        out.push_back("unknown projector_hidden_act '" + projector_hidden_act + "'");
    if (image_token_index < 0)
        out.push_back("image_token_index must not be negative");
    return out;
}

std::int64_t LlavaConfig::parameterCount() const
{
    const auto &v = vision;
    const std::int64_t C = v.hidden_size, F = v.intermediate_size, P = v.gridSize() * v.gridSize() + 1;
    const std::int64_t tower = C + v.num_channels * v.patch_size * v.patch_size * C + P * C + 4 * C
        + v.num_hidden_layers * (4 * (C * C + C) + 4 * C + C * F + F + F * C + C);
    const std::int64_t H = text.hidden_size, b = multimodal_projector_bias ? 1 : 0;
    return tower + C * H + b * H + H * H + b * H + text.parameterCount();
}

} // namespace ml::llava
