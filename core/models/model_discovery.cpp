// Finding checkpoints of every family on disk: folders the user gave, the app's model folder, the
// embedded defaults and the Hugging Face cache. Only configs and safetensors headers are read.
#include "engine/model_discovery.h"

#include "common/error.h"
#include "io/checkpoint.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

namespace ml {

namespace fs = std::filesystem;

namespace {

std::string env(const char *name)
{
    const char *v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

fs::path homeDir()
{
    const std::string home = env("HOME");
    return home.empty() ? fs::temp_directory_path() : fs::path(home);
}

// An absolute path from an XDG-style variable, else the fallback (the spec ignores relative ones).
fs::path xdgDir(const char *variable, const fs::path &fallback)
{
    const fs::path p(env(variable));
    return !p.empty() && p.is_absolute() ? p : fallback;
}

fs::path hfHubCache()
{
    if (const std::string hub = env("HF_HUB_CACHE"); !hub.empty())
        return hub;
    if (const std::string hfHome = env("HF_HOME"); !hfHome.empty())
        return fs::path(hfHome) / "hub";
    return xdgDir("XDG_CACHE_HOME", homeDir() / ".cache") / "huggingface" / "hub";
}

std::vector<fs::path> embeddedModelDirs()
{
    std::vector<fs::path> dirs;
#ifdef MODALLENS_RESOURCES_DIR
    dirs.emplace_back(fs::path(MODALLENS_RESOURCES_DIR) / "models");
#endif
#ifdef MODALLENS_INSTALLED_MODELS_DIR
    dirs.emplace_back(MODALLENS_INSTALLED_MODELS_DIR);
#endif
    return dirs;
}

// config.json, else open_clip_config.json, else model_index.json (as io::Checkpoint reads them).
fs::path configFile(const fs::path &dir)
{
    std::error_code ec;
    for (const char *name : {"config.json", "open_clip_config.json", "model_index.json"})
        if (fs::is_regular_file(dir / name, ec))
            return dir / name;
    return {};
}

bool isCheckpointFolder(const fs::path &dir)
{
    return !configFile(dir).empty();
}

// models--ORG--NAME/snapshots/REV: the revision refs/main names, else every snapshot (sorted).
std::vector<fs::path> hfSnapshots(const fs::path &repo)
{
    std::error_code ec;
    std::vector<fs::path> snapshots;
    std::ifstream ref(repo / "refs" / "main");
    std::string revision;
    if (ref && std::getline(ref, revision) && !revision.empty() && isCheckpointFolder(repo / "snapshots" / revision))
        return {repo / "snapshots" / revision};
    for (fs::directory_iterator it(repo / "snapshots", ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec) && isCheckpointFolder(it->path()))
            snapshots.push_back(it->path());
    std::sort(snapshots.begin(), snapshots.end());
    return snapshots;
}

// The family a folder's config names: its model_type / _class_name / architectures, or a
// pipeline's unet component. Throws ml::Error naming the file when it is not JSON.
std::pair<ModelFamily, std::string> familyOf(const fs::path &config)
{
    if (config.filename() == "open_clip_config.json")
        return {ModelFamily::Clip, familyName(ModelFamily::Clip)};
    const auto j = io::readJsonFile(config);
    if (!j.is_object())
        throw Error(config.string() + ": not a JSON object");
    const std::string detected = io::detectFamily(j);
    ModelFamily family = familyFromName(detected);
    // A DDPM/DDIM pipeline (model_index.json) runs its "unet": ["diffusers", "UNet2DModel"].
    if (const auto unet = j.find("unet"); family == ModelFamily::Unknown && unet != j.end() && unet->is_array()
        && unet->size() == 2 && (*unet)[1] == "UNet2DModel")
        family = ModelFamily::UNet2D;
    return {family, family == ModelFamily::Unknown ? detected : std::string(familyName(family))};
}

ModelEntry describe(const fs::path &dir, std::string name, std::string source)
{
    ModelEntry e;
    e.path = dir.string();
    e.name = std::move(name);
    e.source = std::move(source);
    const fs::path config = configFile(dir);
    try {
        std::tie(e.kind, e.family) = familyOf(config);
    } catch (const std::exception &ex) {
        e.error = ex.what(); // "<path>/config.json: invalid JSON: ..."
        return e;
    }
    try {
        const auto ckpt = io::Checkpoint::open(dir);
        e.parameters = ckpt.parameterCount();
        for (const auto &[component, cls] : ckpt.components()) {
            try {
                e.parameters += ckpt.subfolder(component).parameterCount();
            } catch (const Error &) {
                // a scheduler or tokenizer folder: no weights
            }
        }
    } catch (const std::exception &ex) {
        e.error = ex.what();
    }
    if (e.kind == ModelFamily::Unknown && e.error.empty())
        e.error = config.string() + ": "
            + (e.family.empty() ? std::string("names no model family (no model_type, _class_name or architectures)")
                                : "model family '" + e.family + "' is not one ModalLens reads")
            + " (it reads clip, unet2d, blip-2 and llava)";
    return e;
}

class Collector {
public:
    void add(const fs::path &dir, const std::string &name, const std::string &source)
    {
        std::error_code ec;
        const auto key = fs::weakly_canonical(dir, ec).string();
        if (!m_seen.insert(ec ? dir.string() : key).second)
            return;
        m_entries.push_back(describe(dir, name, source));
    }

    // dir itself when it is a checkpoint, else its sub-folders that are.
    void scan(const fs::path &dir, const std::string &source)
    {
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
            return;
        if (isCheckpointFolder(dir)) {
            add(dir, fs::path(dir).lexically_normal().filename().string(), source);
            return;
        }
        std::vector<fs::path> children;
        for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
             it.increment(ec))
            if (it->is_directory(ec) && isCheckpointFolder(it->path()))
                children.push_back(it->path());
        std::sort(children.begin(), children.end());
        for (const auto &c : children)
            add(c, c.filename().string(), source);
    }

    // hub/models--ORG--NAME: named "ORG/NAME".
    void scanHfCache(const fs::path &hub)
    {
        std::error_code ec;
        if (!fs::is_directory(hub, ec))
            return;
        std::vector<fs::path> repos;
        for (fs::directory_iterator it(hub, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
             it.increment(ec))
            if (it->path().filename().string().rfind("models--", 0) == 0 && it->is_directory(ec))
                repos.push_back(it->path());
        std::sort(repos.begin(), repos.end());
        for (const auto &repo : repos) {
            std::string name = repo.filename().string().substr(8);
            if (const auto sep = name.find("--"); sep != std::string::npos)
                name.replace(sep, 2, "/");
            const auto snapshots = hfSnapshots(repo);
            for (const auto &s : snapshots)
                add(s, snapshots.size() > 1 ? name + "@" + s.filename().string().substr(0, 7) : name, "hf-cache");
        }
    }

    std::vector<ModelEntry> take() { return std::move(m_entries); }

private:
    std::set<std::string> m_seen;
    std::vector<ModelEntry> m_entries;
};

} // namespace

const char *familyName(ModelFamily family)
{
    switch (family) {
    case ModelFamily::Clip:
        return "clip";
    case ModelFamily::UNet2D:
        return "unet2d";
    case ModelFamily::Blip2:
        return "blip-2";
    case ModelFamily::Llava:
        return "llava";
    case ModelFamily::Unknown:
        break;
    }
    return "";
}

ModelFamily familyFromName(std::string_view name)
{
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
        [](unsigned char c) { return c == '_' ? '-' : static_cast<char>(std::tolower(c)); });
    for (const ModelFamily f : {ModelFamily::Clip, ModelFamily::UNet2D, ModelFamily::Blip2, ModelFamily::Llava})
        if (lower == familyName(f))
            return f;
    return ModelFamily::Unknown;
}

std::vector<ModelEntry> ofFamily(std::vector<ModelEntry> entries, ModelFamily family)
{
    entries.erase(
        std::remove_if(entries.begin(), entries.end(), [family](const ModelEntry &e) { return e.kind != family; }),
        entries.end());
    return entries;
}

ModelFamily familyOfFolder(const std::string &folder)
{
    const fs::path config = configFile(folder);
    if (config.empty())
        return ModelFamily::Unknown;
    try {
        return familyOf(config).first;
    } catch (const std::exception &) {
        return ModelFamily::Unknown;
    }
}

std::string appModelDir()
{
    const fs::path dir = xdgDir("XDG_DATA_HOME", homeDir() / ".local" / "share") / "ModalLens" / "models";
    std::error_code ec;
    fs::create_directories(dir, ec); // best effort: listing works without it
    return dir.string();
}

std::vector<ModelEntry> discoverModels(const std::vector<std::string> &extraDirs, bool includeStandardPlaces)
{
    Collector c;
    for (const auto &d : extraDirs)
        c.scan(d, "user");
    if (includeStandardPlaces) {
        c.scan(appModelDir(), "app");
        for (const auto &d : embeddedModelDirs())
            c.scan(d, "embedded");
        c.scanHfCache(hfHubCache());
    }
    return c.take();
}

std::string resolveModelPath(const std::string &modelArg)
{
    if (modelArg.empty())
        throw Error("no model given (a checkpoint folder, or an embedded model name such as clip-mini)");
    std::error_code ec;
    if (fs::exists(modelArg, ec))
        return modelArg;
    const fs::path relative(modelArg);
    if (relative.is_relative() && relative.filename() == relative) {
        for (const auto &d : embeddedModelDirs())
            if (fs::is_directory(d / relative, ec))
                return (d / relative).string();
        if (const fs::path app = fs::path(appModelDir()) / relative; fs::is_directory(app, ec))
            return app.string();
    }
    // "org/name": a model downloaded into the Hugging Face cache.
    if (const auto slash = modelArg.find('/');
        slash != std::string::npos && modelArg.find('/', slash + 1) == std::string::npos) {
        const fs::path repo
            = hfHubCache() / ("models--" + modelArg.substr(0, slash) + "--" + modelArg.substr(slash + 1));
        if (const auto snapshots = hfSnapshots(repo); !snapshots.empty())
            return snapshots.front().string();
    }
    throw Error("model '" + modelArg
        + "': no such folder, and no embedded, app or Hugging Face cache model has that name "
          "(see `modallens-cli models`)");
}

} // namespace ml
