// Parsing and writing BLIP-2 configs. A missing key keeps the reference default; a key with the
// wrong type is an error naming the key.
#include "models/blip2/blip2_config.h"

#include "common/error.h"
#include "common/json_field.h"

#include <nlohmann/json.hpp>

namespace ml::blip2 {

namespace {

template<typename T> void take(const nlohmann::json &j, const char *key, T &out)
{
    takeJsonField(j, key, out);
}

Blip2VisionConfig visionFromJson(const nlohmann::json &j)
{
    Blip2VisionConfig c;
    take(j, "hidden_size", c.hidden_size);
    take(j, "intermediate_size", c.intermediate_size);
    take(j, "num_hidden_layers", c.num_hidden_layers);
    take(j, "num_attention_heads", c.num_attention_heads);
    take(j, "num_channels", c.num_channels);
    take(j, "image_size", c.image_size);
    take(j, "patch_size", c.patch_size);
    take(j, "hidden_act", c.hidden_act);
    take(j, "layer_norm_eps", c.layer_norm_eps);
    take(j, "qkv_bias", c.qkv_bias);
    return c;
}

Blip2QFormerConfig qformerFromJson(const nlohmann::json &j)
{
    Blip2QFormerConfig c;
    take(j, "hidden_size", c.hidden_size);
    take(j, "intermediate_size", c.intermediate_size);
    take(j, "num_hidden_layers", c.num_hidden_layers);
    take(j, "num_attention_heads", c.num_attention_heads);
    take(j, "hidden_act", c.hidden_act);
    take(j, "layer_norm_eps", c.layer_norm_eps);
    take(j, "cross_attention_frequency", c.cross_attention_frequency);
    take(j, "encoder_hidden_size", c.encoder_hidden_size);
    take(j, "position_embedding_type", c.position_embedding_type);
    take(j, "vocab_size", c.vocab_size);
    return c;
}

bool knownActivation(const std::string &name)
{
    return name == "gelu" || name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "quick_gelu"
        || name == "relu";
}

void checkHeads(std::vector<std::string> &out, const char *what, std::int64_t width, std::int64_t heads)
{
    if (width <= 0 || heads <= 0 || width % heads != 0)
        out.push_back(std::string(what) + ": hidden_size " + std::to_string(width) + " is not a positive multiple of "
            + std::to_string(heads) + " attention heads");
}

} // namespace

OptConfig OptConfig::fromJson(const nlohmann::json &j)
{
    OptConfig c;
    take(j, "vocab_size", c.vocab_size);
    take(j, "hidden_size", c.hidden_size);
    take(j, "ffn_dim", c.ffn_dim);
    take(j, "num_hidden_layers", c.num_hidden_layers);
    take(j, "num_attention_heads", c.num_attention_heads);
    take(j, "max_position_embeddings", c.max_position_embeddings);
    take(j, "word_embed_proj_dim", c.word_embed_proj_dim);
    take(j, "do_layer_norm_before", c.do_layer_norm_before);
    take(j, "_remove_final_layer_norm", c.remove_final_layer_norm);
    take(j, "enable_bias", c.enable_bias);
    take(j, "layer_norm_elementwise_affine", c.layer_norm_elementwise_affine);
    take(j, "tie_word_embeddings", c.tie_word_embeddings);
    take(j, "activation_function", c.activation_function);
    take(j, "bos_token_id", c.bos_token_id);
    take(j, "eos_token_id", c.eos_token_id);
    take(j, "pad_token_id", c.pad_token_id);
    return c;
}

nlohmann::json OptConfig::toJson() const
{
    return {{"model_type", "opt"}, {"vocab_size", vocab_size}, {"hidden_size", hidden_size}, {"ffn_dim", ffn_dim},
        {"num_hidden_layers", num_hidden_layers}, {"num_attention_heads", num_attention_heads},
        {"max_position_embeddings", max_position_embeddings}, {"word_embed_proj_dim", embedDim()},
        {"do_layer_norm_before", do_layer_norm_before}, {"_remove_final_layer_norm", remove_final_layer_norm},
        {"enable_bias", enable_bias}, {"layer_norm_elementwise_affine", layer_norm_elementwise_affine},
        {"tie_word_embeddings", tie_word_embeddings}, {"activation_function", activation_function},
        {"bos_token_id", bos_token_id}, {"eos_token_id", eos_token_id}, {"pad_token_id", pad_token_id}};
}

std::vector<std::string> OptConfig::validate() const
{
    std::vector<std::string> out;
    checkHeads(out, "text_config", hidden_size, num_attention_heads);
    if (vocab_size <= 0 || ffn_dim <= 0 || num_hidden_layers < 0 || max_position_embeddings <= 0)
        out.push_back("text_config: vocab_size, ffn_dim and max_position_embeddings must be positive");
    if (!knownActivation(activation_function))
        out.push_back("text_config: unknown activation_function '" + activation_function + "'");
    for (auto id : {bos_token_id, eos_token_id})
        if (id < 0 || id >= vocab_size)
            out.push_back("text_config: token id " + std::to_string(id) + " outside the vocabulary of "
                + std::to_string(vocab_size));
    return out;
}

std::int64_t OptConfig::parameterCount() const
{
    const std::int64_t H = hidden_size, E = embedDim(), F = ffn_dim, b = enable_bias ? 1 : 0;
    std::int64_t n = vocab_size * E + (max_position_embeddings + 2) * H;
    if (projects())
        n += 2 * E * H;
    n += num_hidden_layers * (4 * (H * H + b * H) + 4 * H + H * F + b * F + F * H + b * H);
    if (hasFinalLayerNorm())
        n += 2 * H;
    if (!tie_word_embeddings)
        n += vocab_size * E;
    return n;
}

Blip2Config Blip2Config::fromJson(const nlohmann::json &j, const std::string &file)
{
    try {
        Blip2Config c;
        if (j.contains("vision_config"))
            c.vision = visionFromJson(j.at("vision_config"));
        if (j.contains("qformer_config"))
            c.qformer = qformerFromJson(j.at("qformer_config"));
        if (j.contains("text_config") && j.at("text_config").is_object()) {
            const auto &t = j.at("text_config");
            const std::string type = t.value("model_type", std::string("opt"));
            if (type != "opt")
                throw Error("text_config.model_type is '" + type + "': this BLIP-2 loader runs OPT language models");
            c.text = OptConfig::fromJson(t);
        }
        take(j, "num_query_tokens", c.num_query_tokens);
        c.qformer.encoder_hidden_size = c.vision.hidden_size; // as Blip2Config.__init__
        return c;
    } catch (const Error &e) {
        throw Error(file + ": " + e.what());
    } catch (const nlohmann::json::exception &e) {
        throw Error(file + ": " + e.what());
    }
}

nlohmann::json Blip2Config::toJson() const
{
    nlohmann::json vj = {{"model_type", "blip_2_vision_model"}, {"hidden_size", vision.hidden_size},
        {"intermediate_size", vision.intermediate_size}, {"num_hidden_layers", vision.num_hidden_layers},
        {"num_attention_heads", vision.num_attention_heads}, {"num_channels", vision.num_channels},
        {"image_size", vision.image_size}, {"patch_size", vision.patch_size}, {"hidden_act", vision.hidden_act},
        {"layer_norm_eps", vision.layer_norm_eps}, {"qkv_bias", vision.qkv_bias}};
    nlohmann::json qf = {{"model_type", "blip_2_qformer"}, {"hidden_size", qformer.hidden_size},
        {"intermediate_size", qformer.intermediate_size}, {"num_hidden_layers", qformer.num_hidden_layers},
        {"num_attention_heads", qformer.num_attention_heads}, {"hidden_act", qformer.hidden_act},
        {"layer_norm_eps", qformer.layer_norm_eps}, {"cross_attention_frequency", qformer.cross_attention_frequency},
        {"encoder_hidden_size", vision.hidden_size}, {"vocab_size", qformer.vocab_size}};
    return {{"architectures", {"Blip2ForConditionalGeneration"}}, {"model_type", "blip-2"},
        {"num_query_tokens", num_query_tokens}, {"use_decoder_only_language_model", true}, {"vision_config", vj},
        {"qformer_config", qf}, {"text_config", text.toJson()}, {"torch_dtype", "float32"}};
}

std::vector<std::string> Blip2Config::validate() const
{
    std::vector<std::string> out = text.validate();
    checkHeads(out, "vision_config", vision.hidden_size, vision.num_attention_heads);
    checkHeads(out, "qformer_config", qformer.hidden_size, qformer.num_attention_heads);
    if (vision.patch_size <= 0 || vision.image_size <= 0 || vision.image_size % vision.patch_size != 0)
        out.push_back("vision_config: image_size " + std::to_string(vision.image_size)
            + " is not a positive multiple of patch_size " + std::to_string(vision.patch_size));
    if (vision.num_channels != 3)
        out.push_back("vision_config: num_channels must be 3 (RGB)");
    if (qformer.cross_attention_frequency <= 0)
        out.push_back("qformer_config: cross_attention_frequency must be positive");
    if (qformer.position_embedding_type != "absolute")
        out.push_back("qformer_config: position_embedding_type '" + qformer.position_embedding_type
            + "' is not supported (absolute only)");
    for (const auto &a : {vision.hidden_act, qformer.hidden_act})
        if (!knownActivation(a))
            out.push_back("unknown hidden_act '" + a + "'");
    if (num_query_tokens <= 0)
        out.push_back("num_query_tokens must be positive");
    if (text.projects())
        out.push_back("text_config: word_embed_proj_dim " + std::to_string(text.embedDim()) + " != hidden_size "
            + std::to_string(text.hidden_size)
            + ": the projected queries (hidden_size wide) cannot be joined to the token embeddings (as in "
              "transformers)");
    return out;
}

std::int64_t Blip2Config::parameterCount() const
{
    const std::int64_t C = vision.hidden_size, I = vision.intermediate_size, p = vision.patch_size;
    std::int64_t n = C * 3 * p * p + C + C + vision.numPositions() * C + 2 * C;
    n += vision.num_hidden_layers * (3 * C * C + 3 * C + C * C + C + 4 * C + C * I + I + I * C + C);
    const std::int64_t H = qformer.hidden_size, Q = qformer.intermediate_size, E = vision.hidden_size;
    n += 2 * H + num_query_tokens * H;
    for (std::int64_t l = 0; l < qformer.num_hidden_layers; ++l) {
        n += 3 * (H * H + H) + H * H + H + 2 * H + H * Q + Q + Q * H + H + 2 * H;
        if (qformer.hasCrossAttention(l))
            n += H * H + H + 2 * (E * H + H) + H * H + H + 2 * H;
    }
    n += H * text.hidden_size + text.hidden_size;
    return n + text.parameterCount();
}

} // namespace ml::blip2
