// LLaVA-1.5 training (Liu et al. 2023) of llava-mini, sized for half an hour on a laptop: stage 1
// aligns the projector (and the decoder, which starts from scratch) on captions, stage 2 tunes on
// multi-turn Shapes World questions. The vision tower, clip-mini's first layers, stays frozen as
// LLaVA keeps CLIP. Checkpoints in llava-hf's LlavaForConditionalGeneration layout.
#pragma once

#include "engine/llava_train_service.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace ml::train {

// A run's whole configuration; trainer_state.json keeps it, so a resume trains the same thing.
struct LlavaTrainConfig {
    std::string preset = "mini";
    std::int64_t steps = 4500;
    std::int64_t stage1Steps = 500;
    std::int64_t batch = 48;
    double lr = 1e-3;           // projector and decoder
    double visionLrScale = 0.0; // the vision tower's learning rate, relative (0: frozen, as LLaVA)
    double weightDecay = 0.05;
    double warmupFraction = 0.05; // of each stage
    double clipNorm = 1.0;
    std::uint64_t seed = 1234;

    // The vision tower: the CLIP's first visionLayers layers, features from vision_feature_layer.
    // clip-mini's later layers gather the picture into a few background tokens (see
    // Blip2TrainConfig::visionDropLayers); after its first layer each patch token still describes
    // its own patch, which per-word grounding maps over the patches rely on.
    std::string visionFrom = "clip-mini";
    std::int64_t visionLayers = 1, visionFeatureLayer = -1;
    // The LLaMA decoder: RMSNorm, RoPE, SwiGLU, grouped-query attention (kvHeads < heads).
    std::int64_t hidden = 128, layers = 4, heads = 4, kvHeads = 2, intermediate = 384, maxPositions = 256;
    double ropeTheta = 10000.0;
    std::int64_t spVocabSize = 512, corpusBatches = 40; // SentencePiece BPE pieces, learnt from these batches

    double mixSingle = 0.45, mixCaptions = 0.35;
    std::int64_t maxRounds = 3;
    std::int64_t logEvery = 10, evalEvery = 500, checkpointEvery = 500;
    std::int64_t evalShapes = 400, evalCaptions = 100; // held-out sets: evalShapes / 5 held-out items

    // "mini" (llava-mini) or "tiny" (tests: width 32, batch 8). Throws ml::Error.
    static LlavaTrainConfig fromPreset(const std::string &name);
    nlohmann::json toJson() const;
    static LlavaTrainConfig fromJson(const nlohmann::json &j); // a missing key keeps the mini default
};

// The pieces of the run's SentencePiece model, then <image> and <pad> as added tokens.
struct LlavaVocab {
    std::int64_t pieces = 0;
    std::int64_t imageToken() const { return pieces; }
    std::int64_t padToken() const { return pieces + 1; }
    std::int64_t size() const { return pieces + 2; }
};

// Hugging Face's LlavaConfig (config.json) for the given CLIP vision config and vocabulary.
nlohmann::json llavaConfigJson(const LlavaTrainConfig &c, const nlohmann::json &clipVisionConfig, LlavaVocab vocab);

// The files of the llava-hf folder besides the weights and tokenizer.model: config.json,
// tokenizer_config.json (added_tokens_decoder with <image> and <pad>), special_tokens_map.json,
// preprocessor_config.json (the CLIP's CLIPImageProcessor, copied) and generation_config.json.
void writeLlavaFolderFiles(const std::filesystem::path &dir, const nlohmann::json &config,
    const nlohmann::json &clipProcessor, LlavaVocab vocab);

// Cross-entropy of the decoder averaged over every labelled token of the batch, as the reference's
// LlavaForConditionalGeneration computes it: a caption's many tokens weigh more than "yes" (with a
// mean per answer, captions lagged far behind the one-word answers). logits [B, L, V], labels
// [B, L] aligned with them (-100: none); position t predicts the label at t + 1.
torch::Tensor conversationLoss(const torch::Tensor &logits, const torch::Tensor &labels);

class LlavaTrainer {
public:
    explicit LlavaTrainer(LlavaTrainRequest request);
    LlavaTrainResult run(JobContext &ctx);

private:
    LlavaTrainRequest m_request;
};

} // namespace ml::train
