// BLIP-2 training (blip2-mini) as the Training panel and the CLI see it: an engine job (progress,
// cancel, pause) streaming the same "metric" and "samples" partials as CLIP training, with the
// VQA accuracies of its held-in, held-out and Fashion-MNIST sets in TrainMetric::evaluation.
#pragma once

#include "engine/engine.h"
#include "engine/vlm_train_types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml {

// VlmTrainRequest for blip2-mini: the checkpoint in HF Blip2 layout; stage 1 is the contrastive
// stage; Fashion-MNIST joins Shapes World in the data and the evaluation.
struct Blip2TrainRequest : VlmTrainRequest {
    std::string fashionMnistDir;             // "" = /usr/share/datasets/fashion-mnist
    std::optional<std::int64_t> evalFashion; // Fashion-MNIST test images
};

// VlmTrainResult, with fashion = "what is this?" on the Fashion-MNIST test split.
struct Blip2TrainResult : VlmTrainResult { };

// Lane::Training. Value: Blip2TrainResult. Partials: "metric" (TrainMetric; evaluation as in
// Blip2TrainResult, from the generative stage on), "samples" (TrainSamples: question, answer and
// the model's answer), "checkpoint" (the folder). Cancel checkpoints, then ends as cancelled.
Job makeBlip2TrainJob(Blip2TrainRequest request);

std::vector<std::string> blip2TrainPresets(); // "mini", "tiny"
// A preset's settings as a request (steps, stage-1 steps, batch, lr, seed, cadences, set sizes).
// Throws ml::Error for an unknown preset.
Blip2TrainRequest blip2TrainPresetRequest(const std::string &preset);
double blip2PresetStepSeconds(const std::string &preset); // as clipPresetStepSeconds()

} // namespace ml
