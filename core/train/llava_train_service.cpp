// The LLaVA training service: the engine job over LlavaTrainer and the presets as plain values.
#include "engine/llava_train_service.h"

#include "train/llava_trainer.h"
#include "train/trainer_common.h"

namespace ml {

namespace {

// Seconds per step on the shared 2-core machine, evaluations included (llavaPresetStepSeconds):
// mini from llava-mini's wall time (resources/models/llava-mini/README.md), tiny measured alike.
constexpr double kMiniStepSeconds = 2328.0 / 4500.0;
constexpr double kTinyStepSeconds = 1.0 / 8.0;

} // namespace

Job makeLlavaTrainJob(LlavaTrainRequest request)
{
    return train::makeTrainerJob<train::LlavaTrainer>("LLaVA", std::move(request));
}

std::vector<std::string> llavaTrainPresets()
{
    return train::trainerPresetNames();
}

LlavaTrainRequest llavaTrainPresetRequest(const std::string &preset)
{
    const auto c = train::LlavaTrainConfig::fromPreset(preset);
    LlavaTrainRequest r;
    train::setCommonPresetFields(r, c);
    r.stage1Steps = c.stage1Steps;
    r.evalShapes = c.evalShapes;
    r.evalCaptions = c.evalCaptions;
    return r;
}

double llavaPresetStepSeconds(const std::string &preset)
{
    const auto c = train::LlavaTrainConfig::fromPreset(preset);
    return c.preset == "tiny" ? kTinyStepSeconds : kMiniStepSeconds;
}

} // namespace ml
