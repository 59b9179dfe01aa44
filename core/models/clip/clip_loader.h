// Loads a CLIP checkpoint folder: Hugging Face layout (config.json + model.safetensors) or an
// OpenCLIP hub folder (open_clip_config.json + open_clip_model.safetensors, OpenAI names).
#pragma once

#include "io/checkpoint.h"
#include "models/clip/clip_config.h"
#include "models/clip/clip_model.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ml::clip {

struct LoadedClip {
    ClipModel model {nullptr};
    ClipImageProcessorConfig processor;
    std::filesystem::path folder;
    std::string name; // folder name, for the UI
    bool openClipNaming = false;
    std::vector<std::string> warnings; // unused checkpoint keys and the like
};

// Every problem (not a CLIP folder, config errors, missing or mis-shaped weights) is listed in
// one ml::Error; nothing is returned half-loaded. The model is in eval mode, in `dtype`.
LoadedClip loadClip(const std::filesystem::path &folder, torch::ScalarType dtype = torch::kFloat);

} // namespace ml::clip
