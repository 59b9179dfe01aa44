// BLIP-2 training (Li et al. 2023) of blip2-mini, simplified to what a laptop trains in half an
// hour: stage 1 aligns the Q-Former's queries with captions (contrastive + matching), stage 2
// teaches the OPT decoder to answer from the projected queries. Hugging Face Blip2 checkpoints.
#pragma once

#include "engine/blip2_train_service.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace ml::train {

// The seed of the trainer's held-out VQA sets and of `eval vqa --shapes`' default.
inline constexpr std::uint64_t kVqaEvalSeed = 0x5EEDB112u; // = ml::kVqaDefaultSeed

// A run's whole configuration; trainer_state.json keeps it, so a resume trains the same thing.
struct Blip2TrainConfig {
    std::string preset = "mini";
    std::int64_t steps = 6000;
    std::int64_t stage1Steps = 800;
    std::int64_t batch = 48;
    double lr = 1e-3;                 // Q-Former, projection, decoder
    double visionLrScale = 0.3;       // the vision tower's learning rate in stage 1, relative
    double visionLrScaleStage2 = 0.1; // and in stage 2 (0: frozen, as BLIP-2 freezes EVA-CLIP)
    double weightDecay = 0.05;
    double warmupFraction = 0.05; // of each stage
    double clipNorm = 1.0;
    double initTemperature = 0.07;
    double itmWeight = 1.0;
    std::uint64_t seed = 1234;

    // The vision tower: the CLIP's (its width, patch and image size), in BLIP-2's layout, without
    // its last visionDropLayers layers. BLIP-2 drops EVA-CLIP's last (trained for the class token
    // alone); clip-mini's third already gathers the picture into a few background tokens (the
    // "registers" of Darcet et al. 2024) that the queries then read instead of the object, which
    // hid the object from the inspector's maps (5 % on the object) and the object's place from
    // "where" questions. Its first two layers keep each token local.
    std::string visionFrom = "clip-mini";
    std::int64_t visionDropLayers = 2;
    std::int64_t qformerHidden = 128, qformerLayers = 2, qformerHeads = 4, qformerIntermediate = 256;
    std::int64_t crossAttentionFrequency = 1, queries = 16;
    std::int64_t optHidden = 128, optLayers = 3, optHeads = 4, optFfn = 512, optMaxPositions = 64;
    std::int64_t bpeVocabSize = 1024, bpeCorpusBatches = 40;

    double mixFashion = 0.3, mixSingle = 0.45, mixMulti = 0.25; // single objects: "where" questions
    std::int64_t logEvery = 10, evalEvery = 600, checkpointEvery = 600;
    std::int64_t evalShapes = 400, evalFashion = 200; // held-out sets: evalShapes / 5 held-out items

    // "mini" (blip2-mini) or "tiny" (tests: width 32, batch 8). Throws ml::Error.
    static Blip2TrainConfig fromPreset(const std::string &name);
    nlohmann::json toJson() const;
    static Blip2TrainConfig fromJson(const nlohmann::json &j); // a missing key keeps the mini default

    std::int64_t maxTextLength() const { return optMaxPositions - queries; } // prompt + answer tokens
};

// Hugging Face's Blip2Config (config.json) for the given vision tower shape and vocabulary.
nlohmann::json blip2ConfigJson(const Blip2TrainConfig &c, const nlohmann::json &clipVisionConfig,
    std::int64_t vocabSize, std::int64_t padId, std::int64_t bosId, std::int64_t eosId);

// A CLIP vision tower's weights (vision_model.* of a CLIPModel) as BLIP-2's: embeddings (a zero
// patch bias, positions as [1, 1 + P, C], the class token as [1, 1, C]), each layer's q / k / v
// concatenated into qkv.weight with qkv.bias = cat(q_bias, 0, v_bias) (a per-query constant on
// the keys is what softmax ignores), out_proj as projection, the MLP, layer norms and
// post_layernorm. CLIP's pre_layrnorm has no place in BLIP-2 and is left out.
std::map<std::string, torch::Tensor> clipVisionToBlip2(const std::map<std::string, torch::Tensor> &clip);

// Whether AdamW decays a parameter: matrices (not embeddings, positions, the query tokens).
bool blip2DecaysWeight(const std::string &name, const torch::Tensor &value);

// Symmetric cross-entropy over a [B, B] image-caption logit matrix with soft targets from truth
// (row / column normalised), as softClipLoss.
torch::Tensor softContrastiveLoss(const torch::Tensor &logits, const torch::Tensor &truth);

// Cross-entropy of the decoder on labelled tokens, averaged per text, then over texts (so a long
// caption weighs as much as a one-word answer). logits [N, Q + T, V], labels [N, T] (-100: none).
torch::Tensor answerLoss(const torch::Tensor &logits, const torch::Tensor &labels, std::int64_t queries);

// The files of the Hugging Face folder besides the weights: config.json, preprocessor_config.json,
// tokenizer_config.json, special_tokens_map.json, generation_config.json. vocab.json and
// merges.txt must already be in dir.
void writeBlip2FolderFiles(const std::filesystem::path &dir, const nlohmann::json &config, std::int64_t imageSize);

class Blip2Trainer {
public:
    explicit Blip2Trainer(Blip2TrainRequest request);
    Blip2TrainResult run(JobContext &ctx);

private:
    Blip2TrainRequest m_request;
};

} // namespace ml::train
