// The CLIP training service: the engine job over ClipTrainer and the presets as plain values.
#include "engine/clip_train_service.h"

#include "engine/train_presets.h"
#include "train/clip_trainer.h"
#include "train/fashion_mnist.h"
#include "train/trainer_common.h"

namespace ml {

namespace {

// Seconds per step on a shared 2-core machine, 1 compute thread, fp32 (clipPresetStepSeconds),
// evaluations included. mini: clip-mini's 3,000 steps took 3,815 s on a Zen 3 EPYC
// (resources/models/clip-mini/README.md); tiny: 150 steps in 14.7 s on a Zen 4 EPYC.
constexpr double kMiniStepSeconds = 3815.0 / 3000.0;
constexpr double kTinyStepSeconds = 14.7 / 150.0;

} // namespace

Job makeClipTrainJob(ClipTrainRequest request)
{
    return train::makeTrainerJob<train::ClipTrainer>("CLIP", std::move(request));
}

std::vector<std::string> clipTrainPresets()
{
    return train::trainerPresetNames();
}

ClipTrainRequest clipTrainPresetRequest(const std::string &preset)
{
    const auto c = train::ClipTrainConfig::fromPreset(preset);
    ClipTrainRequest r;
    train::setCommonPresetFields(r, c);
    r.width = c.visionWidth;
    r.layers = c.visionLayers;
    r.fashionFraction = c.mix.fashion;
    r.singleFraction = c.mix.single;
    r.multiFraction = c.mix.multi;
    r.evalShapesPerClass = c.evalShapesPerClass;
    r.evalFashion = c.evalFashion;
    return r;
}

double clipPresetStepSeconds(const std::string &preset)
{
    const auto c = train::ClipTrainConfig::fromPreset(preset); // throws for an unknown one
    return c.preset == "tiny" ? kTinyStepSeconds : kMiniStepSeconds;
}

std::string fashionMnistDefaultFolder()
{
    return train::FashionMnist::defaultFolder().string();
}

bool fashionMnistAvailable(const std::string &dir)
{
    return train::FashionMnist::available(train::FashionSplit::Train, dir)
        && train::FashionMnist::available(train::FashionSplit::Test, dir);
}

} // namespace ml
