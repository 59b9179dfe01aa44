// The BLIP-2 training service: the engine job over Blip2Trainer and the presets as plain values.
#include "engine/blip2_train_service.h"

#include "train/blip2_trainer.h"
#include "train/trainer_common.h"

namespace ml {

namespace {

// Seconds per step on the shared 2-core machine, evaluations included (blip2PresetStepSeconds):
// mini from blip2-mini's wall time (resources/models/blip2-mini/README.md), tiny measured alike.
constexpr double kMiniStepSeconds = 1902.5 / 6000.0;
constexpr double kTinyStepSeconds = 1.0 / 8.0;

} // namespace

Job makeBlip2TrainJob(Blip2TrainRequest request)
{
    return train::makeTrainerJob<train::Blip2Trainer>("BLIP-2", std::move(request));
}

std::vector<std::string> blip2TrainPresets()
{
    return train::trainerPresetNames();
}

Blip2TrainRequest blip2TrainPresetRequest(const std::string &preset)
{
    const auto c = train::Blip2TrainConfig::fromPreset(preset);
    Blip2TrainRequest r;
    train::setCommonPresetFields(r, c);
    r.stage1Steps = c.stage1Steps;
    r.evalShapes = c.evalShapes;
    r.evalFashion = c.evalFashion;
    return r;
}

double blip2PresetStepSeconds(const std::string &preset)
{
    const auto c = train::Blip2TrainConfig::fromPreset(preset);
    return c.preset == "tiny" ? kTinyStepSeconds : kMiniStepSeconds;
}

} // namespace ml
