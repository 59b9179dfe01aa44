// CLIP contrastive training (Radford et al. 2021) on Shapes World + Fashion-MNIST: soft targets
// from the truth matrix, learnable temperature, AdamW with warm-up + cosine, gradient clipping,
// bf16 autocast where the CPU has native bf16; checkpoints in Hugging Face CLIP layout.
#pragma once

#include "engine/clip_train_service.h"
#include "models/clip/clip_config.h"
#include "models/clip/clip_model.h"
#include "train/clip_data.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ml::train {

// The seed of the trainer's held-out Shapes set (shapesEvalSet(kHeldOutShapesSeed, perClass, true)).
inline constexpr std::uint64_t kHeldOutShapesSeed = 0x5EEDE7A1u;

// A run's whole configuration; trainer_state.json keeps it, so a resume trains the same thing.
struct ClipTrainConfig {
    std::string preset = "mini";
    std::int64_t steps = 3000;
    std::int64_t batch = 128;
    double lr = 1e-3;
    double weightDecay = 0.1;
    double warmupFraction = 0.05;
    double clipNorm = 1.0;
    double initTemperature = 0.07;
    std::uint64_t seed = 1234;

    std::int64_t imageSize = 64, patchSize = 8;
    // mini: the small end of issue 4's known-good range (width 128-192, 4-6 layers); 2.7x faster
    // per step than width 192 x 6 layers in fp32, and at 1500 steps already 98% Shapes.
    std::int64_t visionWidth = 128, visionLayers = 4, visionHeads = 4;
    std::int64_t textWidth = 128, textLayers = 3, textHeads = 4;
    std::int64_t projectionDim = 128;
    std::int64_t contextLength = 32;
    std::int64_t bpeVocabSize = 1024; // upper bound for the BPE trainer
    std::int64_t bpeCorpusBatches = 24;

    DataMix mix;
    std::int64_t logEvery = 10, evalEvery = 100, checkpointEvery = 250;
    // Held-out sets: 600 Shapes images, 100 of them of the held-out pairs (a figure within about
    // +-5 points), and 500 garments; a few images per class made the held-out figure swing 60 points.
    std::int64_t evalShapesPerClass = 25, evalFashion = 500;

    // "mini" (the embedded clip-mini) or "tiny" (tests: width 32, 2 layers, batch 32). Throws ml::Error.
    static ClipTrainConfig fromPreset(const std::string &name);
    nlohmann::json toJson() const;
    static ClipTrainConfig fromJson(const nlohmann::json &j); // a missing key keeps the mini default

    std::int64_t warmupSteps() const;
    // The architecture as config.json says it; vocabulary and special ids from the tokenizer.
    clip::ClipConfig modelConfig(std::int64_t vocabSize, std::int64_t bosId, std::int64_t eosId) const;
};

// The learning rate of optimiser step `step` (0-based): linear warm-up over warmupSteps() to
// lr, then a cosine to 0 at `steps`.
double learningRate(const ClipTrainConfig &config, std::int64_t step);

// Symmetric cross-entropy over the batch similarity matrix with soft targets: image i's target
// is row i of truth normalised, caption j's is column j normalised (Radford et al., with several
// true captions per image). imageEmbeddings, textEmbeddings: [B, P] L2-normalised; truth [B, B].
torch::Tensor softClipLoss(const torch::Tensor &imageEmbeddings, const torch::Tensor &textEmbeddings,
    const torch::Tensor &logitScale, const torch::Tensor &truth);

// Whether AdamW decays a parameter: matrices of linear layers and the patch convolution yes;
// biases, LayerNorms, embeddings (token, position, class) and logit_scale no.
bool decaysWeight(const std::string &name);
// Two groups: [decayed (weight_decay), the rest (0)].
std::vector<torch::optim::OptimizerParamGroup> parameterGroups(torch::nn::Module &model, double lr, double weightDecay);

// Hugging Face CLIP initialisation (CLIPPreTrainedModel._init_weights, factor 1), logit_scale
// ln(1 / initTemperature).
void initialiseClip(clip::ClipModelImpl &model, double initTemperature);

// The files of a CLIP checkpoint besides the weights: config.json, preprocessor_config.json
// (64 px, CLIP mean / std, bicubic), tokenizer_config.json and special_tokens_map.json (CLIP's,
// padding with <|endoftext|>). vocab.json / merges.txt must already be in dir.
void writeClipFolderFiles(
    const std::filesystem::path &dir, const clip::ClipConfig &config, std::int64_t bosId, std::int64_t eosId);

// One training run as an engine job body (see makeClipTrainJob).
class ClipTrainer {
public:
    explicit ClipTrainer(ClipTrainRequest request);
    ClipTrainResult run(JobContext &ctx);

private:
    ClipTrainRequest m_request;
};

} // namespace ml::train
