// The BLIP-2 trainer's configuration: presets, trainer_state.json's "config", Hugging Face's
// Blip2Config for the run, the CLIP -> BLIP-2 vision tower conversion and the folder's side files.
#include "train/blip2_trainer.h"

#include "common/error.h"
#include "train/bpe_trainer.h"
#include "train/train_loop.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace ml::train {

namespace fs = std::filesystem;

Blip2TrainConfig Blip2TrainConfig::fromPreset(const std::string &name)
{
    Blip2TrainConfig c;
    if (name == "mini")
        return c;
    if (name == "tiny") {
        c.preset = "tiny";
        c.steps = 8;
        c.stage1Steps = 3;
        c.batch = 8;
        c.lr = 2e-3;
        c.qformerHidden = 32;
        c.qformerLayers = 1;
        c.qformerHeads = 2;
        c.qformerIntermediate = 64;
        c.queries = 4;
        c.optHidden = 32;
        c.optLayers = 1;
        c.optHeads = 2;
        c.optFfn = 64;
        c.bpeVocabSize = 400;
        c.bpeCorpusBatches = 4;
        c.logEvery = 1;
        c.evalEvery = 0;
        c.checkpointEvery = 0;
        c.evalShapes = 20;
        c.evalFashion = 10;
        return c;
    }
    throw Error("unknown BLIP-2 training preset '" + name + "' (mini or tiny)");
}

nlohmann::json Blip2TrainConfig::toJson() const
{
    return {{"preset", preset}, {"steps", steps}, {"stage1_steps", stage1Steps}, {"batch", batch}, {"lr", lr},
        {"vision_lr_scale", visionLrScale}, {"vision_lr_scale_stage2", visionLrScaleStage2},
        {"weight_decay", weightDecay}, {"warmup_fraction", warmupFraction}, {"clip_norm", clipNorm},
        {"init_temperature", initTemperature}, {"itm_weight", itmWeight}, {"seed", seed}, {"vision_from", visionFrom},
        {"vision_drop_layers", visionDropLayers}, {"qformer_hidden", qformerHidden}, {"qformer_layers", qformerLayers},
        {"qformer_heads", qformerHeads}, {"qformer_intermediate", qformerIntermediate},
        {"cross_attention_frequency", crossAttentionFrequency}, {"queries", queries}, {"opt_hidden", optHidden},
        {"opt_layers", optLayers}, {"opt_heads", optHeads}, {"opt_ffn", optFfn}, {"opt_max_positions", optMaxPositions},
        {"bpe_vocab_size", bpeVocabSize}, {"bpe_corpus_batches", bpeCorpusBatches},
        {"mix", {{"fashion_mnist", mixFashion}, {"shapes_single", mixSingle}, {"shapes_multi", mixMulti}}},
        {"log_every", logEvery}, {"eval_every", evalEvery}, {"checkpoint_every", checkpointEvery},
        {"eval_shapes", evalShapes}, {"eval_fashion", evalFashion}};
}

Blip2TrainConfig Blip2TrainConfig::fromJson(const nlohmann::json &j)
{
    Blip2TrainConfig c;
    const auto get = [&j](const char *key, auto &field) {
        if (j.contains(key))
            field = j.at(key).get<std::decay_t<decltype(field)>>();
    };
    get("preset", c.preset);
    get("steps", c.steps);
    get("stage1_steps", c.stage1Steps);
    get("batch", c.batch);
    get("lr", c.lr);
    get("vision_lr_scale", c.visionLrScale);
    c.visionLrScaleStage2 = j.value("vision_lr_scale_stage2", 0.0); // runs from before it: frozen
    get("weight_decay", c.weightDecay);
    get("warmup_fraction", c.warmupFraction);
    get("clip_norm", c.clipNorm);
    get("init_temperature", c.initTemperature);
    get("itm_weight", c.itmWeight);
    get("seed", c.seed);
    get("vision_from", c.visionFrom);
    get("vision_drop_layers", c.visionDropLayers);
    get("qformer_hidden", c.qformerHidden);
    get("qformer_layers", c.qformerLayers);
    get("qformer_heads", c.qformerHeads);
    get("qformer_intermediate", c.qformerIntermediate);
    get("cross_attention_frequency", c.crossAttentionFrequency);
    get("queries", c.queries);
    get("opt_hidden", c.optHidden);
    get("opt_layers", c.optLayers);
    get("opt_heads", c.optHeads);
    get("opt_ffn", c.optFfn);
    get("opt_max_positions", c.optMaxPositions);
    get("bpe_vocab_size", c.bpeVocabSize);
    get("bpe_corpus_batches", c.bpeCorpusBatches);
    if (j.contains("mix")) {
        const auto &m = j.at("mix");
        c.mixFashion = m.value("fashion_mnist", c.mixFashion);
        c.mixSingle = m.value("shapes_single", c.mixSingle);
        c.mixMulti = m.value("shapes_multi", c.mixMulti);
    }
    get("log_every", c.logEvery);
    get("eval_every", c.evalEvery);
    get("checkpoint_every", c.checkpointEvery);
    get("eval_shapes", c.evalShapes);
    get("eval_fashion", c.evalFashion);
    return c;
}

nlohmann::json blip2ConfigJson(const Blip2TrainConfig &c, const nlohmann::json &clipVision, std::int64_t vocabSize,
    std::int64_t padId, std::int64_t bosId, std::int64_t eosId)
{
    const std::int64_t visionWidth = clipVision.value("hidden_size", std::int64_t {768});
    nlohmann::json vision = {{"model_type", "blip_2_vision_model"}, {"hidden_size", visionWidth},
        {"intermediate_size", clipVision.value("intermediate_size", std::int64_t {3072})},
        {"num_hidden_layers",
            std::max<std::int64_t>(1, clipVision.value("num_hidden_layers", std::int64_t {12}) - c.visionDropLayers)},
        {"num_attention_heads", clipVision.value("num_attention_heads", std::int64_t {12})},
        {"image_size", clipVision.value("image_size", std::int64_t {224})},
        {"patch_size", clipVision.value("patch_size", std::int64_t {32})},
        {"hidden_act", clipVision.value("hidden_act", std::string("quick_gelu"))},
        {"layer_norm_eps", clipVision.value("layer_norm_eps", 1e-5)}, {"qkv_bias", true}, {"attention_dropout", 0.0},
        {"initializer_range", 0.02}};
    nlohmann::json qformer
        = {{"model_type", "blip_2_qformer"}, {"hidden_size", c.qformerHidden}, {"num_hidden_layers", c.qformerLayers},
            {"num_attention_heads", c.qformerHeads}, {"intermediate_size", c.qformerIntermediate},
            {"hidden_act", "gelu"}, {"hidden_dropout_prob", 0.0}, {"attention_probs_dropout_prob", 0.0},
            {"layer_norm_eps", 1e-12}, {"cross_attention_frequency", c.crossAttentionFrequency},
            {"encoder_hidden_size", visionWidth}, {"position_embedding_type", "absolute"}, {"initializer_range", 0.02}};
    nlohmann::json text = {{"model_type", "opt"}, {"vocab_size", vocabSize}, {"hidden_size", c.optHidden},
        {"num_hidden_layers", c.optLayers}, {"num_attention_heads", c.optHeads}, {"ffn_dim", c.optFfn},
        {"max_position_embeddings", c.optMaxPositions}, {"word_embed_proj_dim", c.optHidden},
        {"do_layer_norm_before", true}, {"activation_function", "relu"}, {"dropout", 0.0}, {"attention_dropout", 0.0},
        {"layerdrop", 0.0}, {"enable_bias", true}, {"layer_norm_elementwise_affine", true}, {"pad_token_id", padId},
        {"bos_token_id", bosId}, {"eos_token_id", eosId}, {"tie_word_embeddings", true}, {"init_std", 0.02}};
    return {{"architectures", {"Blip2ForConditionalGeneration"}}, {"model_type", "blip-2"},
        {"num_query_tokens", c.queries}, {"initializer_factor", 1.0}, {"initializer_range", 0.02},
        {"use_decoder_only_language_model", true}, {"torch_dtype", "float32"}, {"vision_config", vision},
        {"qformer_config", qformer}, {"text_config", text}};
}

std::map<std::string, torch::Tensor> clipVisionToBlip2(const std::map<std::string, torch::Tensor> &clip)
{
    const auto get = [&clip](const std::string &name) -> const torch::Tensor & {
        const auto it = clip.find("vision_model." + name);
        if (it == clip.end())
            throw Error("the CLIP checkpoint has no 'vision_model." + name + "'");
        return it->second;
    };
    std::map<std::string, torch::Tensor> out;
    const std::string to = "vision_model.";
    const auto &cls = get("embeddings.class_embedding"); // [C]
    const auto C = cls.size(0);
    out[to + "embeddings.class_embedding"] = cls.reshape({1, 1, C});
    out[to + "embeddings.patch_embedding.weight"] = get("embeddings.patch_embedding.weight");
    out[to + "embeddings.patch_embedding.bias"] = torch::zeros({C}, cls.options()); // CLIP's patches have no bias
    const auto &pos = get("embeddings.position_embedding.weight");                  // [1 + P, C]
    out[to + "embeddings.position_embedding"] = pos.unsqueeze(0);
    for (int i = 0;; ++i) {
        const std::string l = "encoder.layers." + std::to_string(i) + ".";
        if (!clip.count("vision_model." + l + "self_attn.q_proj.weight"))
            break;
        const std::string a = l + "self_attn.";
        out[to + a + "qkv.weight"]
            = torch::cat({get(a + "q_proj.weight"), get(a + "k_proj.weight"), get(a + "v_proj.weight")}); // [3C, C]
        const auto &qb = get(a + "q_proj.bias");
        out[to + a + "qkv.bias"] = torch::cat({qb, torch::zeros_like(qb), get(a + "v_proj.bias")}); // [3C]
        out[to + a + "projection.weight"] = get(a + "out_proj.weight");
        out[to + a + "projection.bias"] = get(a + "out_proj.bias");
        for (const char *part : {"layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2"})
            for (const char *w : {".weight", ".bias"})
                out[to + l + part + w] = get(l + part + w);
    }
    for (const char *w : {".weight", ".bias"})
        out[to + "post_layernorm" + w] = get(std::string("post_layernorm") + w);
    return out;
}

bool blip2DecaysWeight(const std::string &name, const torch::Tensor &value)
{
    return value.dim() >= 2 && name.find("embed") == std::string::npos && name != "query_tokens";
}

void writeBlip2FolderFiles(const fs::path &dir, const nlohmann::json &config, std::int64_t imageSize)
{
    writeJsonAtomic(dir / "config.json", config);
    writeJsonAtomic(dir / "preprocessor_config.json",
        {{"image_processor_type", "BlipImageProcessor"}, {"processor_class", "Blip2Processor"}, {"do_resize", true},
            {"size", {{"height", imageSize}, {"width", imageSize}}}, {"resample", 3}, {"do_rescale", true},
            {"rescale_factor", 1.0 / 255.0}, {"do_normalize", true},
            {"image_mean", {0.48145466, 0.4578275, 0.40821073}}, {"image_std", {0.26862954, 0.26130258, 0.27577711}},
            {"do_convert_rgb", true}});
    writeOptTokenizerConfig(dir,
        static_cast<std::size_t>(config.at("text_config").at("max_position_embeddings").get<std::int64_t>()
            - config.at("num_query_tokens").get<std::int64_t>()));
    const auto &text = config.at("text_config");
    writeJsonAtomic(dir / "generation_config.json",
        {{"bos_token_id", text.at("bos_token_id")}, {"eos_token_id", text.at("eos_token_id")},
            {"pad_token_id", text.at("pad_token_id")}, {"max_new_tokens", 16}});
}

} // namespace ml::train
