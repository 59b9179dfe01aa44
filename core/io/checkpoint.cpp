// Hugging Face checkpoint folders: finding and checking the weight files, reading the family
// from config.json, refusing pickles with a way out, and binding weights to LibTorch modules.
#include "io/checkpoint.h"

#include "common/error.h"
#include "io/file_util.h"

#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace ml::io {

namespace fs = std::filesystem;

namespace {

const char *const kWeightNames[]
    = {"model.safetensors", "diffusion_pytorch_model.safetensors", "open_clip_model.safetensors"};
const char *const kIndexNames[] = {"model.safetensors.index.json", "diffusion_pytorch_model.safetensors.index.json"};
const char *const kPickleExtensions[] = {".bin", ".pt", ".pth", ".ckpt"};

using fileutil::fail;
using fileutil::shapeString;

bool endsWith(const std::string &s, const std::string &suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// The first of `preferred` among `names`, else the only name, else "".
template<std::size_t N> std::string pickName(const std::vector<std::string> &names, const char *const (&preferred)[N])
{
    for (const char *name : preferred)
        if (std::find(names.begin(), names.end(), name) != names.end())
            return name;
    return names.size() == 1 ? names.front() : std::string();
}

std::string stringField(const nlohmann::json &j, const char *key)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string pickleHint(const fs::path &folder, const std::vector<std::string> &pickles, const nlohmann::json &config)
{
    const std::string dir = folder.string();
    std::string loader = "from transformers import AutoModel as M";
    if (const auto cls = stringField(config, "_class_name"); !cls.empty())
        loader = "from diffusers import " + cls + " as M";
    else if (const auto it = config.find("architectures");
             it != config.end() && it->is_array() && !it->empty() && it->front().is_string())
        loader = "from transformers import " + it->front().get<std::string>() + " as M";
    std::string list, example = pickles.front();
    for (const auto &p : pickles) {
        list += (list.empty() ? "" : ", ") + p;
        if (p.find("model") != std::string::npos && example.find("model") == std::string::npos)
            example = p;
    }
    return dir + ": the weights here are pickles (" + list
        + "), which can run arbitrary code when loaded, so they are not read. Convert them to safetensors "
          "once, in Python:\n  python -c \""
        + loader + "; M.from_pretrained('" + dir + "').save_pretrained('" + dir
        + "', safe_serialization=True)\"\nor, for a plain state dict:\n  python -c \"import torch; from "
          "safetensors.torch import save_file; save_file(torch.load('"
        + (folder / example).string() + "', weights_only=True), '" + (folder / "model.safetensors").string() + "')\"";
}

} // namespace

std::string detectFamily(const nlohmann::json &config)
{
    if (const auto modelType = stringField(config, "model_type"); !modelType.empty())
        return lower(modelType);
    if (const auto className = stringField(config, "_class_name"); !className.empty()) {
        static const std::map<std::string, std::string> kClasses = {{"UNet2DModel", "unet2d"},
            {"UNet2DConditionModel", "unet2d-condition"}, {"AutoencoderKL", "autoencoder-kl"},
            {"DDPMPipeline", "ddpm-pipeline"}, {"DDIMPipeline", "ddim-pipeline"}};
        const auto it = kClasses.find(className);
        return it != kClasses.end() ? it->second : lower(className);
    }
    if (const auto it = config.find("architectures");
        it != config.end() && it->is_array() && !it->empty() && it->front().is_string()) {
        const auto arch = it->front().get<std::string>();
        static const std::pair<const char *, const char *> kPrefixes[]
            = {{"CLIP", "clip"}, {"Blip2", "blip-2"}, {"Llava", "llava"}, {"Llama", "llama"}, {"OPT", "opt"}};
        for (const auto &[prefix, family] : kPrefixes)
            if (arch.rfind(prefix, 0) == 0)
                return family;
        return lower(arch);
    }
    return {};
}

nlohmann::json readJsonFile(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, std::string("cannot open (") + (fs::exists(path) ? "not readable" : "no such file") + ")");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        fail(path, "cannot read");
    try { // parse_error, or out_of_range for a number such as 1e999
        return nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception &e) {
        std::string what = e.what(); // "[json.exception.parse_error.101] parse error at line 3, ..."
        if (const auto pos = what.find("] "); what.rfind("[json.exception", 0) == 0 && pos != std::string::npos)
            what.erase(0, pos + 2);
        fail(path, "invalid JSON: " + what);
    }
}

Checkpoint Checkpoint::open(const fs::path &path)
{
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status))
        fail(path, "no such file or folder");
    Checkpoint ckpt;
    const bool singleFile = !fs::is_directory(status);
    ckpt.m_folder = singleFile ? path.parent_path() : path;
    const fs::path &folder = ckpt.m_folder;

    // Config: config.json, else OpenCLIP's, else a diffusers pipeline's model_index.json.
    for (const char *name : {"config.json", "open_clip_config.json", "model_index.json"})
        if (fs::is_regular_file(folder / name)) {
            ckpt.m_configPath = folder / name;
            ckpt.m_config = readJsonFile(ckpt.m_configPath);
            if (!ckpt.m_config.is_object())
                fail(ckpt.m_configPath, "not a JSON object");
            break;
        }
    ckpt.m_openClip = ckpt.m_configPath.filename() == "open_clip_config.json";
    ckpt.m_family = ckpt.m_openClip ? "clip" : detectFamily(ckpt.m_config);
    if (!singleFile && fs::is_regular_file(folder / "model_index.json")) {
        const auto index = ckpt.m_configPath.filename() == "model_index.json"
            ? ckpt.m_config
            : readJsonFile(folder / "model_index.json");
        if (index.is_object())
            for (const auto &[name, value] : index.items())
                if (value.is_array() && value.size() == 2 && value[1].is_string())
                    ckpt.m_components[name] = value[1].get<std::string>();
    }

    if (singleFile) {
        ckpt.addFile(SafetensorsFile::open(path));
        return ckpt;
    }

    std::vector<std::string> safetensors, indexes, pickles;
    for (const auto &entry : fs::directory_iterator(folder, ec)) {
        if (!entry.is_regular_file())
            continue;
        const std::string name = entry.path().filename().string();
        if (endsWith(name, ".safetensors"))
            safetensors.push_back(name);
        else if (endsWith(name, ".safetensors.index.json"))
            indexes.push_back(name);
        for (const char *ext : kPickleExtensions)
            if (endsWith(name, ext))
                pickles.push_back(name);
    }
    if (ec)
        fail(folder, "cannot list the folder (" + ec.message() + ")");
    std::sort(safetensors.begin(), safetensors.end());
    std::sort(indexes.begin(), indexes.end());
    std::sort(pickles.begin(), pickles.end());

    if (const std::string indexName = pickName(indexes, kIndexNames); !indexName.empty()) {
        const fs::path indexPath = folder / indexName;
        const auto index = readJsonFile(indexPath);
        const auto map = index.is_object() ? index.find("weight_map") : index.end();
        if (map == index.end() || !map->is_object())
            fail(indexPath, "no \"weight_map\" object");
        std::map<std::string, std::vector<std::string>> byShard; // shard -> tensor names
        for (const auto &[tensor, shard] : map->items()) {
            if (!shard.is_string())
                fail(indexPath, "weight_map entry '" + tensor + "' is not a file name");
            const fs::path shardPath(shard.get<std::string>());
            if (shardPath.empty() || shardPath.is_absolute() || shardPath.filename() != shardPath)
                fail(indexPath,
                    "shard '" + shardPath.string() + "' (tensor '" + tensor + "') is not a file name in the folder");
            byShard[shardPath.string()].push_back(tensor);
        }
        if (byShard.empty())
            fail(indexPath, "weight_map is empty");
        std::string missingShards;
        for (const auto &[shard, tensors] : byShard)
            if (!fs::is_regular_file(folder / shard))
                missingShards += (missingShards.empty() ? "" : ", ") + ("'" + shard + "'") + " ("
                    + std::to_string(tensors.size()) + " tensors, e.g. '" + tensors.front() + "')";
        if (!missingShards.empty())
            fail(indexPath, "missing shard file(s): " + missingShards);
        std::string absent;
        for (const auto &[shard, tensors] : byShard) {
            const auto file = SafetensorsFile::open(folder / shard);
            for (const auto &tensor : tensors) {
                if (!file->contains(tensor))
                    absent += (absent.empty() ? "" : ", ") + ("'" + tensor + "' (in '" + shard + "')");
                else
                    ckpt.m_where[tensor] = ckpt.m_files.size();
            }
            ckpt.m_files.push_back(file);
        }
        if (!absent.empty())
            fail(indexPath, "tensors mapped to a shard that lacks them: " + absent);
        return ckpt;
    }

    if (const std::string weightName = pickName(safetensors, kWeightNames); !weightName.empty()) {
        ckpt.addFile(SafetensorsFile::open(folder / weightName));
        return ckpt;
    }
    if (!safetensors.empty()) {
        std::string list;
        for (const auto &s : safetensors)
            list += (list.empty() ? "" : ", ") + s;
        fail(folder,
            "several .safetensors files (" + list
                + ") and no model.safetensors or *.safetensors.index.json to say which hold the model");
    }
    if (!pickles.empty())
        throw Error(pickleHint(folder, pickles, ckpt.m_config));
    if (ckpt.isPipeline())
        return ckpt; // the weights are in the components' sub-folders
    fail(folder,
        "no weights found (expected model.safetensors, diffusion_pytorch_model.safetensors, "
        "open_clip_model.safetensors, a *.safetensors.index.json with its shards, or one *.safetensors)");
}

void Checkpoint::addFile(const std::shared_ptr<SafetensorsFile> &file)
{
    for (const auto &t : file->tensors())
        m_where[t.name] = m_files.size();
    m_files.push_back(file);
}

fs::path Checkpoint::subfolderPath(const std::string &component) const
{
    if (!m_components.count(component)) {
        std::string known;
        for (const auto &[name, cls] : m_components)
            known += (known.empty() ? "" : ", ") + name;
        fail(m_folder,
            "no pipeline component '" + component + "' (model_index.json lists: " + (known.empty() ? "none" : known)
                + ")");
    }
    return m_folder / component;
}

Checkpoint Checkpoint::subfolder(const std::string &component) const
{
    return open(subfolderPath(component));
}

const TensorInfo &Checkpoint::info(const std::string &name) const
{
    const auto it = m_where.find(name);
    if (it == m_where.end())
        fail(m_folder, "the checkpoint has no tensor '" + name + "'");
    return m_files[it->second]->info(name);
}

torch::Tensor Checkpoint::tensor(const std::string &name) const
{
    const auto it = m_where.find(name);
    if (it == m_where.end())
        fail(m_folder, "the checkpoint has no tensor '" + name + "'");
    return m_files[it->second]->tensor(name);
}

std::vector<std::string> Checkpoint::names() const
{
    std::vector<std::string> out;
    out.reserve(m_where.size());
    for (const auto &[name, file] : m_where)
        out.push_back(name);
    return out;
}

std::int64_t Checkpoint::parameterCount() const
{
    std::int64_t total = 0;
    for (const auto &[name, file] : m_where)
        total += m_files[file]->info(name).numel();
    return total;
}

std::string LoadReport::summary(const std::string &what) const
{
    std::ostringstream s;
    s << what << ": the checkpoint does not fit the model (" << missing.size() << " missing, " << mismatched.size()
      << " mismatched, " << unexpected.size() << " unexpected)";
    for (const auto &name : missing)
        s << "\n  missing: " << name;
    for (const auto &m : mismatched)
        s << "\n  mismatched: " << m.name << ": checkpoint " << shapeString(m.checkpoint) << ", model "
          << shapeString(m.model);
    for (const auto &name : unexpected)
        s << "\n  unexpected: " << name;
    return s.str();
}

void LoadReport::throwIfFailed(const std::string &what) const
{
    if (!ok())
        throw Error(summary(what));
}

std::vector<std::string> LoadReport::nonFiniteWarnings() const
{
    constexpr std::size_t kShown = 8;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < nonFinite.size() && i < kShown; ++i) {
        const auto &w = nonFinite[i];
        out.push_back("weight '" + w.name + "' holds " + std::to_string(w.nan) + " NaN and " + std::to_string(w.inf)
            + " infinite value(s): results computed with it will be NaN or infinite (a damaged checkpoint?)");
    }
    if (nonFinite.size() > kShown)
        out.push_back(std::to_string(nonFinite.size() - kShown) + " more weight(s) hold NaN or infinite values");
    return out;
}

namespace {

// Where bindParameters reads from: a Checkpoint or a name -> tensor map.
struct TensorSource {
    std::function<bool(const std::string &)> contains;
    std::function<std::vector<std::int64_t>(const std::string &)> shape;
    std::function<torch::Tensor(const std::string &)> tensor;
    std::vector<std::string> names;
};

void bind(torch::nn::Module &module, const TensorSource &source, const BindOptions &options, LoadReport &report)
{
    at::NoGradGuard noGrad;
    std::set<std::string> used;
    const auto bindOne = [&](const std::string &name, torch::Tensor &target) {
        if (!target.defined())
            return;
        std::string key = options.prefix + name;
        if (options.alias)
            key = options.alias(key);
        if (!source.contains(key)) {
            if (!options.optional || !options.optional(name))
                report.missing.push_back(key);
            return;
        }
        used.insert(key);
        const auto shape = source.shape(key);
        if (target.sizes() != c10::IntArrayRef(shape)) {
            report.mismatched.push_back({key, target.sizes().vec(), shape});
            return;
        }
        target.copy_(source.tensor(key)); // converts dtype and device
        ++report.loaded;
        if (target.is_floating_point() && !at::isfinite(target).all().item<bool>()) {
            const auto nan = at::isnan(target).sum().item<std::int64_t>();
            report.nonFinite.push_back({key, nan, at::isinf(target).sum().item<std::int64_t>()});
        }
    };
    auto params = module.named_parameters();
    auto buffers = module.named_buffers();
    const auto total = static_cast<std::int64_t>(params.size() + buffers.size());
    std::int64_t done = 0;
    for (auto &p : params) {
        bindOne(p.key(), p.value());
        if (options.progress)
            options.progress(++done, total);
    }
    for (auto &b : buffers) {
        bindOne(b.key(), b.value());
        if (options.progress)
            options.progress(++done, total);
    }
    if (options.reportUnexpected)
        for (const auto &name : source.names)
            if (name.rfind(options.prefix, 0) == 0 && !used.count(name))
                report.unexpected.push_back(name);
}

} // namespace

void bindParameters(torch::nn::Module &module, const Checkpoint &ckpt, const BindOptions &options, LoadReport &report)
{
    bind(module,
        {[&](const std::string &k) { return ckpt.contains(k); },
            [&](const std::string &k) { return ckpt.info(k).shape; },
            [&](const std::string &k) { return ckpt.tensor(k); }, ckpt.names()},
        options, report);
}

void bindParameters(torch::nn::Module &module, const std::map<std::string, torch::Tensor> &tensors,
    const BindOptions &options, LoadReport &report)
{
    std::vector<std::string> names;
    for (const auto &[name, t] : tensors)
        names.push_back(name);
    bind(module,
        {[&](const std::string &k) { return tensors.count(k) != 0; },
            [&](const std::string &k) { return tensors.at(k).sizes().vec(); },
            [&](const std::string &k) { return tensors.at(k); }, std::move(names)},
        options, report);
}

void bindParameters(torch::nn::Module &module, const Checkpoint &ckpt, LoadReport &report)
{
    bindParameters(module, ckpt, BindOptions {}, report);
}

} // namespace ml::io
