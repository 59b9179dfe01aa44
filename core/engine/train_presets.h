// The trainers' presets and data defaults as plain values (CLIP's here, DDPM's and BLIP-2's in
// their service headers), so a settings form (the Training panel) can show what a preset trains
// without including the trainer, which pulls in LibTorch.
#pragma once

#include "engine/blip2_train_service.h"
#include "engine/clip_train_service.h"
#include "engine/ddpm_train_service.h"

#include <string>
#include <vector>

namespace ml {

std::vector<std::string> clipTrainPresets(); // "mini", "tiny"

// A preset's settings as a request: steps, batch, lr, seed, width, layers, data mix, log / eval /
// checkpoint cadence and held-out set sizes (outDir empty, nothing else set). Throws ml::Error
// for an unknown preset.
ClipTrainRequest clipTrainPresetRequest(const std::string &preset);

// Seconds one optimiser step of the preset takes at its own batch size, evaluations, sample grids
// and checkpoints included, on a shared 2-core AMD EPYC with 1 compute thread in fp32: mini from
// the embedded clip-mini's and ddpm-mini's wall times (their READMEs), tiny measured the same way.
// For an estimate before a run starts. Throws ml::Error for an unknown preset.
double clipPresetStepSeconds(const std::string &preset);

std::string fashionMnistDefaultFolder(); // where Debian's dataset-fashion-mnist installs it
// Whether dir holds both splits (gzipped or plain IDX files), as training and evaluation need.
bool fashionMnistAvailable(const std::string &dir);

std::vector<std::string> ddpmTrainPresets(); // "mini" (ddpm-mini), "tiny"
// A DDPM preset's settings as a request: steps, batch, lr, seed, UNet channels and layers per
// block, log / sample-grid / checkpoint cadence, DDIM steps of the grid. Throws ml::Error for an
// unknown preset.
DdpmTrainRequest ddpmTrainPresetRequest(const std::string &preset);
double ddpmPresetStepSeconds(const std::string &preset); // as clipPresetStepSeconds()

} // namespace ml
