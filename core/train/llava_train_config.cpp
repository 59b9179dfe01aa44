// The LLaVA trainer's configuration: presets, trainer_state.json's "config", Hugging Face's
// LlavaConfig for the run and the llava-hf folder's side files.
#include "train/llava_trainer.h"

#include "common/error.h"
#include "models/clip/clip_config.h"
#include "models/llava/llava_config.h"
#include "train/train_loop.h"

#include <nlohmann/json.hpp>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

nlohmann::json addedToken(const std::string &content)
{
    return {{"content", content}, {"lstrip", false}, {"normalized", false}, {"rstrip", false}, {"single_word", false},
        {"special", true}};
}

} // namespace

LlavaTrainConfig LlavaTrainConfig::fromPreset(const std::string &name)
{
    LlavaTrainConfig c;
    if (name == "mini")
        return c;
    if (name == "tiny") {
        c.preset = "tiny";
        c.steps = 8;
        c.stage1Steps = 3;
        c.batch = 8;
        c.lr = 3e-3;
        c.hidden = 32;
        c.layers = 1;
        c.heads = 2;
        c.kvHeads = 1;
        c.intermediate = 64;
        c.spVocabSize = 320;
        c.corpusBatches = 4;
        c.logEvery = 1;
        c.evalEvery = 0;
        c.checkpointEvery = 0;
        c.evalShapes = 20;
        c.evalCaptions = 6;
        return c;
    }
    throw Error("unknown LLaVA training preset '" + name + "' (mini or tiny)");
}

nlohmann::json LlavaTrainConfig::toJson() const
{
    return {{"preset", preset}, {"steps", steps}, {"stage1_steps", stage1Steps}, {"batch", batch}, {"lr", lr},
        {"vision_lr_scale", visionLrScale}, {"weight_decay", weightDecay}, {"warmup_fraction", warmupFraction},
        {"clip_norm", clipNorm}, {"seed", seed}, {"vision_from", visionFrom}, {"vision_layers", visionLayers},
        {"vision_feature_layer", visionFeatureLayer}, {"hidden", hidden}, {"layers", layers}, {"heads", heads},
        {"kv_heads", kvHeads}, {"intermediate", intermediate}, {"max_positions", maxPositions},
        {"rope_theta", ropeTheta}, {"sp_vocab_size", spVocabSize}, {"corpus_batches", corpusBatches},
        {"mix", {{"shapes_single", mixSingle}, {"captions", mixCaptions}, {"max_rounds", maxRounds}}},
        {"log_every", logEvery}, {"eval_every", evalEvery}, {"checkpoint_every", checkpointEvery},
        {"eval_shapes", evalShapes}, {"eval_captions", evalCaptions}};
}

LlavaTrainConfig LlavaTrainConfig::fromJson(const nlohmann::json &j)
{
    LlavaTrainConfig c;
    const auto get = [](const nlohmann::json &from, const char *key, auto &field) {
        if (from.contains(key))
            field = from.at(key).get<std::decay_t<decltype(field)>>();
    };
    get(j, "preset", c.preset);
    get(j, "steps", c.steps);
    get(j, "stage1_steps", c.stage1Steps);
    get(j, "batch", c.batch);
    get(j, "lr", c.lr);
    get(j, "vision_lr_scale", c.visionLrScale);
    get(j, "weight_decay", c.weightDecay);
    get(j, "warmup_fraction", c.warmupFraction);
    get(j, "clip_norm", c.clipNorm);
    get(j, "seed", c.seed);
    get(j, "vision_from", c.visionFrom);
    get(j, "vision_layers", c.visionLayers);
    get(j, "vision_feature_layer", c.visionFeatureLayer);
    get(j, "hidden", c.hidden);
    get(j, "layers", c.layers);
    get(j, "heads", c.heads);
    get(j, "kv_heads", c.kvHeads);
    get(j, "intermediate", c.intermediate);
    get(j, "max_positions", c.maxPositions);
    get(j, "rope_theta", c.ropeTheta);
    get(j, "sp_vocab_size", c.spVocabSize);
    get(j, "corpus_batches", c.corpusBatches);
    if (j.contains("mix")) {
        const auto &m = j.at("mix");
        get(m, "shapes_single", c.mixSingle);
        get(m, "captions", c.mixCaptions);
        get(m, "max_rounds", c.maxRounds);
    }
    get(j, "log_every", c.logEvery);
    get(j, "eval_every", c.evalEvery);
    get(j, "checkpoint_every", c.checkpointEvery);
    get(j, "eval_shapes", c.evalShapes);
    get(j, "eval_captions", c.evalCaptions);
    return c;
}

nlohmann::json llavaConfigJson(const LlavaTrainConfig &c, const nlohmann::json &clipVision, LlavaVocab vocab)
{
    llava::LlavaConfig cfg;
    cfg.vision = clip::ClipVisionConfig::fromJson(clipVision);
    cfg.vision.num_hidden_layers = std::min(cfg.vision.num_hidden_layers, c.visionLayers);
    cfg.vision_feature_layer = c.visionFeatureLayer;
    cfg.vision_feature_select_strategy = "default";
    cfg.projector_hidden_act = "gelu";
    cfg.image_token_index = vocab.imageToken();
    cfg.pad_token_id = vocab.padToken();
    auto &t = cfg.text;
    t.vocab_size = vocab.size();
    t.hidden_size = c.hidden;
    t.intermediate_size = c.intermediate;
    t.num_hidden_layers = c.layers;
    t.num_attention_heads = c.heads;
    t.num_key_value_heads = c.kvHeads;
    t.max_position_embeddings = c.maxPositions;
    t.rms_norm_eps = 1e-5;
    t.rope_theta = c.ropeTheta;
    t.bos_token_id = 1;
    t.eos_token_id = 2;
    t.pad_token_id = vocab.padToken();
    nlohmann::json j = cfg.toJson();
    j["torch_dtype"] = "float32";
    j["text_config"]["torch_dtype"] = "float32";
    return j;
}

void writeLlavaFolderFiles(
    const fs::path &dir, const nlohmann::json &config, const nlohmann::json &clipProcessor, LlavaVocab vocab)
{
    writeJsonAtomic(dir / "config.json", config);
    nlohmann::json processor = clipProcessor;
    processor["processor_class"] = "LlavaProcessor";
    writeJsonAtomic(dir / "preprocessor_config.json", processor);
    nlohmann::json decoder = {{"0", addedToken("<unk>")}, {"1", addedToken("<s>")}, {"2", addedToken("</s>")},
        {std::to_string(vocab.imageToken()), addedToken("<image>")},
        {std::to_string(vocab.padToken()), addedToken("<pad>")}};
    writeJsonAtomic(dir / "tokenizer_config.json",
        {{"add_bos_token", true}, {"add_eos_token", false}, {"added_tokens_decoder", decoder},
            {"additional_special_tokens", {"<image>"}}, {"bos_token", "<s>"}, {"eos_token", "</s>"},
            {"unk_token", "<unk>"}, {"pad_token", "<pad>"}, {"clean_up_tokenization_spaces", false}, {"legacy", false},
            {"model_max_length", config.at("text_config").at("max_position_embeddings")}, {"padding_side", "left"},
            {"processor_class", "LlavaProcessor"}, {"sp_model_kwargs", nlohmann::json::object()},
            {"tokenizer_class", "LlamaTokenizer"}, {"use_default_system_prompt", false}});
    writeJsonAtomic(dir / "special_tokens_map.json",
        {{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "<pad>"},
            {"additional_special_tokens", {"<image>"}}});
    writeJsonAtomic(dir / "generation_config.json",
        {{"bos_token_id", 1}, {"eos_token_id", 2}, {"pad_token_id", vocab.padToken()}, {"max_new_tokens", 32}});
}

} // namespace ml::train
