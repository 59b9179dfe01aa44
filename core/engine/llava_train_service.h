// LLaVA training (llava-mini) as the Training panel and the CLI see it: an engine job (progress,
// cancel, pause) streaming the same "metric" and "samples" partials as BLIP-2 training, with the
// VQA accuracies of its held-in and held-out sets in TrainMetric::evaluation.
#pragma once

#include "engine/engine.h"
#include "engine/vlm_train_types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml {

// VlmTrainRequest for llava-mini: the checkpoint in llava-hf layout; a step's batch is its
// conversations (one image each); stage 1 aligns the projector on captions.
struct LlavaTrainRequest : VlmTrainRequest {
    std::optional<std::int64_t> evalCaptions; // two-object images described
};

// VlmTrainResult (fashion stays unmeasured) and the caption check.
struct LlavaTrainResult : VlmTrainResult {
    double captions = -1.0; // two-object captions naming every object's colour and shape
    std::int64_t captionImages = 0;
};

// Lane::Training. Value: LlavaTrainResult. Partials: "metric" (TrainMetric; evaluation as in
// LlavaTrainResult, from stage 2 on), "samples" (TrainSamples: question, answer and the model's
// answer). Cancel checkpoints, then ends as cancelled.
Job makeLlavaTrainJob(LlavaTrainRequest request);

std::vector<std::string> llavaTrainPresets(); // "mini", "tiny"
// A preset's settings as a request (steps, stage-1 steps, batch, lr, seed, cadences, set sizes).
// Throws ml::Error for an unknown preset.
LlavaTrainRequest llavaTrainPresetRequest(const std::string &preset);
double llavaPresetStepSeconds(const std::string &preset); // as clipPresetStepSeconds()

} // namespace ml
