// The CLIP trainer's configuration (presets, trainer_state.json's "config", the model's
// config.json) and the files of a checkpoint folder besides its weights.
#include "train/clip_trainer.h"

#include "common/error.h"
#include "train/trainer_common.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace ml::train {

namespace fs = std::filesystem;

// --- configuration -------------------------------------------------------------------------------

ClipTrainConfig ClipTrainConfig::fromPreset(const std::string &name)
{
    ClipTrainConfig c; // the defaults are mini's
    c.preset = name;
    if (name == "mini")
        return c;
    if (name == "tiny") {
        c.steps = 150;
        c.batch = 32;
        c.lr = 2e-3;
        c.visionWidth = 32;
        c.visionLayers = 2;
        c.visionHeads = 4;
        c.textWidth = 32;
        c.textLayers = 2;
        c.textHeads = 4;
        c.projectionDim = 32;
        c.logEvery = 5;
        c.evalEvery = 50;
        c.checkpointEvery = 0;
        return c; // mini's held-out sets: a tiny model scores them in well under a second
    }
    throw Error("unknown preset '" + name + "' (mini or tiny)");
}

nlohmann::json ClipTrainConfig::toJson() const
{
    return {{"preset", preset}, {"steps", steps}, {"batch", batch}, {"lr", lr}, {"weight_decay", weightDecay},
        {"warmup_fraction", warmupFraction}, {"clip_norm", clipNorm}, {"init_temperature", initTemperature},
        {"seed", seed}, {"image_size", imageSize}, {"patch_size", patchSize}, {"vision_width", visionWidth},
        {"vision_layers", visionLayers}, {"vision_heads", visionHeads}, {"text_width", textWidth},
        {"text_layers", textLayers}, {"text_heads", textHeads}, {"projection_dim", projectionDim},
        {"context_length", contextLength}, {"bpe_vocab_size", bpeVocabSize}, {"bpe_corpus_batches", bpeCorpusBatches},
        {"mix", {{"fashion_mnist", mix.fashion}, {"shapes_single", mix.single}, {"shapes_multi", mix.multi}}},
        {"log_every", logEvery}, {"eval_every", evalEvery}, {"checkpoint_every", checkpointEvery},
        {"eval_shapes_per_class", evalShapesPerClass}, {"eval_fashion", evalFashion}};
}

ClipTrainConfig ClipTrainConfig::fromJson(const nlohmann::json &j)
{
    ClipTrainConfig c;
    auto get = [&](const char *key, auto &field) {
        if (j.contains(key))
            j.at(key).get_to(field);
    };
    get("preset", c.preset);
    get("steps", c.steps);
    get("batch", c.batch);
    get("lr", c.lr);
    get("weight_decay", c.weightDecay);
    get("warmup_fraction", c.warmupFraction);
    get("clip_norm", c.clipNorm);
    get("init_temperature", c.initTemperature);
    get("seed", c.seed);
    get("image_size", c.imageSize);
    get("patch_size", c.patchSize);
    get("vision_width", c.visionWidth);
    get("vision_layers", c.visionLayers);
    get("vision_heads", c.visionHeads);
    get("text_width", c.textWidth);
    get("text_layers", c.textLayers);
    get("text_heads", c.textHeads);
    get("projection_dim", c.projectionDim);
    get("context_length", c.contextLength);
    get("bpe_vocab_size", c.bpeVocabSize);
    get("bpe_corpus_batches", c.bpeCorpusBatches);
    get("log_every", c.logEvery);
    get("eval_every", c.evalEvery);
    get("checkpoint_every", c.checkpointEvery);
    get("eval_shapes_per_class", c.evalShapesPerClass);
    get("eval_fashion", c.evalFashion);
    if (j.contains("mix")) {
        const auto &m = j.at("mix");
        c.mix.fashion = m.value("fashion_mnist", c.mix.fashion);
        c.mix.single = m.value("shapes_single", c.mix.single);
        c.mix.multi = m.value("shapes_multi", c.mix.multi);
    }
    return c;
}

std::int64_t ClipTrainConfig::warmupSteps() const
{
    return warmupStepsFor(warmupFraction, steps);
}

clip::ClipConfig ClipTrainConfig::modelConfig(std::int64_t vocabSize, std::int64_t bosId, std::int64_t eosId) const
{
    clip::ClipConfig c;
    c.text_config.vocab_size = vocabSize;
    c.text_config.hidden_size = textWidth;
    c.text_config.intermediate_size = 4 * textWidth;
    c.text_config.num_hidden_layers = textLayers;
    c.text_config.num_attention_heads = textHeads;
    c.text_config.max_position_embeddings = contextLength;
    c.text_config.bos_token_id = bosId;
    c.text_config.eos_token_id = eosId;
    c.text_config.pad_token_id = eosId;
    c.vision_config.hidden_size = visionWidth;
    c.vision_config.intermediate_size = 4 * visionWidth;
    c.vision_config.num_hidden_layers = visionLayers;
    c.vision_config.num_attention_heads = visionHeads;
    c.vision_config.image_size = imageSize;
    c.vision_config.patch_size = patchSize;
    c.projection_dim = projectionDim;
    c.logit_scale_init_value = std::log(1.0 / initTemperature);
    return c;
}

double learningRate(const ClipTrainConfig &config, std::int64_t step)
{
    return warmupCosineLr(config.lr, config.warmupSteps(), config.steps, step);
}

// --- checkpoint folder files --------------------------------------------------------------------

void writeClipFolderFiles(const fs::path &dir, const clip::ClipConfig &config, std::int64_t bosId, std::int64_t eosId)
{
    const auto &t = config.text_config;
    const auto &v = config.vision_config;
    const nlohmann::json text {{"model_type", "clip_text_model"}, {"vocab_size", t.vocab_size},
        {"hidden_size", t.hidden_size}, {"intermediate_size", t.intermediate_size},
        {"num_hidden_layers", t.num_hidden_layers}, {"num_attention_heads", t.num_attention_heads},
        {"max_position_embeddings", t.max_position_embeddings}, {"hidden_act", t.hidden_act},
        {"layer_norm_eps", t.layer_norm_eps}, {"bos_token_id", bosId}, {"eos_token_id", eosId}, {"pad_token_id", eosId},
        {"projection_dim", config.projection_dim}};
    const nlohmann::json vision {{"model_type", "clip_vision_model"}, {"hidden_size", v.hidden_size},
        {"intermediate_size", v.intermediate_size}, {"num_hidden_layers", v.num_hidden_layers},
        {"num_attention_heads", v.num_attention_heads}, {"num_channels", v.num_channels}, {"image_size", v.image_size},
        {"patch_size", v.patch_size}, {"hidden_act", v.hidden_act}, {"layer_norm_eps", v.layer_norm_eps},
        {"projection_dim", config.projection_dim}};
    writeJsonAtomic(dir / "config.json",
        {{"architectures", {"CLIPModel"}}, {"model_type", "clip"}, {"projection_dim", config.projection_dim},
            {"logit_scale_init_value", config.logit_scale_init_value}, {"initializer_factor", 1.0},
            {"torch_dtype", "float32"}, {"text_config", text}, {"vision_config", vision}});

    const int side = static_cast<int>(v.image_size);
    writeJsonAtomic(dir / "preprocessor_config.json",
        {{"crop_size", {{"height", side}, {"width", side}}}, {"do_center_crop", true}, {"do_convert_rgb", true},
            {"do_normalize", true}, {"do_rescale", true}, {"do_resize", true},
            {"image_mean", {kClipMean[0], kClipMean[1], kClipMean[2]}}, {"image_processor_type", "CLIPImageProcessor"},
            {"image_std", {kClipStd[0], kClipStd[1], kClipStd[2]}}, {"processor_class", "CLIPProcessor"},
            {"resample", 3}, {"rescale_factor", 1.0 / 255.0}, {"size", {{"shortest_edge", side}}}});

    auto special = [](const char *content) {
        return nlohmann::json {
            {"content", content}, {"lstrip", false}, {"normalized", true}, {"rstrip", false}, {"single_word", false}};
    };
    writeJsonAtomic(dir / "special_tokens_map.json",
        {{"bos_token", special("<|startoftext|>")}, {"eos_token", special("<|endoftext|>")},
            {"pad_token", "<|endoftext|>"}, {"unk_token", special("<|endoftext|>")}});
    auto decoder = [&](const char *content) {
        auto j = special(content);
        j["special"] = true;
        return j;
    };
    writeJsonAtomic(dir / "tokenizer_config.json",
        {{"added_tokens_decoder",
             {{std::to_string(bosId), decoder("<|startoftext|>")}, {std::to_string(eosId), decoder("<|endoftext|>")}}},
            {"bos_token", "<|startoftext|>"}, {"clean_up_tokenization_spaces", true}, {"eos_token", "<|endoftext|>"},
            {"errors", "replace"}, {"model_max_length", t.max_position_embeddings}, {"pad_token", "<|endoftext|>"},
            {"processor_class", "CLIPProcessor"}, {"tokenizer_class", "CLIPTokenizer"},
            {"unk_token", "<|endoftext|>"}});
}

} // namespace ml::train
