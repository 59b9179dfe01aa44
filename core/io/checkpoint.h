// A checkpoint in Hugging Face folder layout: config.json plus safetensors weights (single,
// sharded, diffusers or OpenCLIP names), pipelines' sub-folders, and binding into a module.
#pragma once

#include "io/safetensors.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
} // namespace torch::nn

namespace ml::io {

// Parses a JSON file; throws ml::Error "<path>: cannot open (...)" or
// "<path>: invalid JSON: parse error at line 3, column 5: ...".
nlohmann::json readJsonFile(const std::filesystem::path &path);

// A config's family: model_type (lower case), else diffusers' _class_name ("UNet2DModel" ->
// "unet2d", "DDPMPipeline" -> "ddpm-pipeline"), else architectures[0] ("CLIPModel" -> "clip",
// "Blip2..." -> "blip-2", "Llava..." -> "llava"); "" when none says.
std::string detectFamily(const nlohmann::json &config);

class Checkpoint {
public:
    // path: a folder in HF layout (weights found as below) or one .safetensors file (config.json
    // beside it is read when present). Weights, in order of preference: *.safetensors.index.json
    // shards; model.safetensors, diffusion_pytorch_model.safetensors, open_clip_model.safetensors;
    // the only *.safetensors. A pipeline root (model_index.json) may hold no weights. Throws
    // ml::Error for a missing or broken file, a missing shard, or pickled weights only.
    static Checkpoint open(const std::filesystem::path &path);

    const std::filesystem::path &folder() const { return m_folder; }
    // config.json, else open_clip_config.json, else model_index.json; empty path and {} when none.
    const std::filesystem::path &configPath() const { return m_configPath; }
    const nlohmann::json &config() const { return m_config; }
    // "clip", "blip-2", "llava", "unet2d", "ddpm-pipeline", ...: config.json's model_type, else
    // _class_name, else architectures[0]; "clip" for OpenCLIP folders; "" when none says.
    const std::string &family() const { return m_family; }
    bool isOpenClip() const { return m_openClip; } // OpenAI/OpenCLIP state-dict naming

    // Pipelines (model_index.json): component name -> class, e.g. "unet" -> "UNet2DModel".
    bool isPipeline() const { return !m_components.empty(); }
    const std::map<std::string, std::string> &components() const { return m_components; }
    std::filesystem::path subfolderPath(const std::string &component) const; // throws when unknown
    Checkpoint subfolder(const std::string &component) const;                // opens that folder

    const std::vector<std::shared_ptr<SafetensorsFile>> &files() const { return m_files; }
    bool contains(const std::string &name) const { return m_where.count(name) != 0; }
    const TensorInfo &info(const std::string &name) const; // throws when absent
    torch::Tensor tensor(const std::string &name) const;   // zero-copy view, see SafetensorsFile
    std::vector<std::string> names() const;                // sorted
    std::int64_t parameterCount() const;                   // elements over all tensors

private:
    void addFile(const std::shared_ptr<SafetensorsFile> &file);

    std::filesystem::path m_folder;
    std::filesystem::path m_configPath;
    nlohmann::json m_config = nlohmann::json::object();
    std::string m_family;
    bool m_openClip = false;
    std::map<std::string, std::string> m_components;
    std::vector<std::shared_ptr<SafetensorsFile>> m_files;
    std::map<std::string, std::size_t> m_where; // tensor name -> index into m_files
};

// What binding a checkpoint to a module found. Missing and mismatched keys fail; unexpected warn.
struct LoadReport {
    struct Mismatch {
        std::string name; // the module's name
        std::vector<std::int64_t> model;
        std::vector<std::int64_t> checkpoint;
    };
    std::vector<std::string> missing; // module names with no checkpoint key
    std::vector<Mismatch> mismatched;
    std::vector<std::string> unexpected; // checkpoint keys nothing used
    struct NonFinite {
        std::string name; // the checkpoint's key
        std::int64_t nan = 0;
        std::int64_t inf = 0;
    };
    std::vector<NonFinite> nonFinite; // weights holding NaN or +-Inf: loaded, but warned about
    std::int64_t loaded = 0;          // tensors copied

    bool ok() const { return missing.empty() && mismatched.empty(); }
    // Every problem, one per line, after "<what>: ".
    std::string summary(const std::string &what) const;
    // Throws ml::Error(summary(what)) unless ok().
    void throwIfFailed(const std::string &what) const;
    // One warning per weight holding NaN or Inf ("weight 'k' holds 3 NaN ..."), the first 8 then a count.
    std::vector<std::string> nonFiniteWarnings() const;
};

struct BindOptions {
    // Checkpoint key of a module name: prefix + name, then alias() when set (OpenCLIP names).
    std::string prefix;
    std::function<std::string(const std::string &key)> alias;
    // Names (module side) that may be absent from the checkpoint: they keep their initial values.
    std::function<bool(const std::string &name)> optional;
    // Report checkpoint keys under prefix that no parameter or buffer used.
    bool reportUnexpected = true;
    // Called after each tensor (done, total): a multi-gigabyte load's progress. May throw to stop.
    std::function<void(std::int64_t done, std::int64_t total)> progress;
};

// Copies every parameter, then every buffer, of module from ckpt (converted to the module's
// dtype and device), without autograd. Problems are appended to report, nothing is thrown.
void bindParameters(torch::nn::Module &module, const Checkpoint &ckpt, const BindOptions &options, LoadReport &report);
void bindParameters(torch::nn::Module &module, const Checkpoint &ckpt, LoadReport &report);
// The same from tensors already in memory, e.g. a checkpoint seen under alias names.
void bindParameters(torch::nn::Module &module, const std::map<std::string, torch::Tensor> &tensors,
    const BindOptions &options, LoadReport &report);

} // namespace ml::io
