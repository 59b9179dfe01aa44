// Checkpoints on disk, every family: the folders the user gave, the app's model folder, the
// embedded defaults and the Hugging Face cache. std value types only (the UI includes it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ml {

// The model families ModalLens knows, from config.json's model_type ("clip", "blip-2", "llava")
// or a diffusers _class_name ("UNet2DModel"; a DDPM pipeline whose unet is one).
enum class ModelFamily { Unknown, Clip, UNet2D, Blip2, Llava };

// "clip", "unet2d", "blip-2", "llava"; "" for Unknown.
const char *familyName(ModelFamily family);
// The inverse, case-insensitive; "blip_2" is read as "blip-2". Unknown for anything else.
ModelFamily familyFromName(std::string_view name);

// A checkpoint folder found on disk.
struct ModelEntry {
    std::string path;
    ModelFamily kind = ModelFamily::Unknown;
    std::string family; // familyName(kind); for Unknown what the config says ("bert"), or ""
    std::string name;   // folder name, or "org/name" for the Hugging Face cache
    std::int64_t parameters = 0;
    std::string source; // "embedded" | "app" | "user" | "hf-cache"
    // Why it cannot be used, naming the file: unreadable weights, a corrupt config.json, or a
    // family ModalLens does not know; "" when fine.
    std::string error;
};

std::string appModelDir(); // $XDG_DATA_HOME/ModalLens/models (created on demand)
// The given folders (each may itself be a checkpoint or hold checkpoints one level down), the
// app's model folder, embedded defaults and ~/.cache/huggingface/hub/models--*/snapshots/*.
// Unreadable folders are skipped; a broken or unknown checkpoint is listed with its error.
std::vector<ModelEntry> discoverModels(const std::vector<std::string> &extraDirs, bool includeStandardPlaces = true);
// Only the entries of one family (the Classify/Search/Explain pickers and the CLI want Clip,
// the Diffusion picker UNet2D).
std::vector<ModelEntry> ofFamily(std::vector<ModelEntry> entries, ModelFamily family);
// The family of a checkpoint folder's config; Unknown when it has none or cannot be read.
ModelFamily familyOfFolder(const std::string &folder);
// A --model argument: a folder, or the name of an embedded default ("clip-mini").
std::string resolveModelPath(const std::string &modelArg);

} // namespace ml
