// UNet2DModel loading: the layout (flat or pipeline), config, weights bound by diffusers' names
// (old attention names aliased), the scheduler config, one report of problems.
#include "models/diffusion/diffusion_loader.h"

#include "common/error.h"
#include "io/checkpoint.h"

#include <nlohmann/json.hpp>

#include <torch/utils.h>

namespace ml::diffusion {

namespace fs = std::filesystem;

namespace {

// diffusers < 0.14 named the attention projections query/key/value/proj_attn.
std::string legacyAttentionName(const std::string &key)
{
    static const std::pair<const char *, const char *> kRenames[]
        = {{".to_q.", ".query."}, {".to_k.", ".key."}, {".to_v.", ".value."}, {".to_out.0.", ".proj_attn."}};
    for (const auto &[now, old] : kRenames)
        if (const auto pos = key.find(now); pos != std::string::npos)
            return key.substr(0, pos) + old + key.substr(pos + std::string(now).size());
    return key;
}

} // namespace

LoadedDiffusion loadDiffusion(const fs::path &folder, torch::ScalarType dtype, torch::Device device)
{
    LoadedDiffusion out;
    out.folder = folder;
    out.name = (folder.filename().empty() ? folder.parent_path() : folder).filename().string();

    io::Checkpoint root = io::Checkpoint::open(folder);
    io::Checkpoint ckpt = root;
    fs::path schedulerPath = root.folder() / "scheduler_config.json";
    if (root.isPipeline() && root.family() != "unet2d") {
        if (!root.components().count("unet"))
            throw Error(root.configPath().string() + ": a diffusers pipeline without a 'unet' component");
        ckpt = root.subfolder("unet");
        if (root.components().count("scheduler"))
            schedulerPath = root.subfolderPath("scheduler") / "scheduler_config.json";
    }
    out.unetFolder = ckpt.folder();
    if (ckpt.family() != "unet2d")
        throw Error((ckpt.configPath().empty() ? ckpt.folder() : ckpt.configPath()).string()
            + ": not a diffusers UNet2DModel checkpoint (config says '"
            + (ckpt.family().empty() ? std::string("nothing") : ckpt.family()) + "')");

    std::vector<std::string> problems;
    UNet2DConfig cfg;
    try {
        cfg = UNet2DConfig::fromJson(ckpt.config());
        problems = cfg.validate();
    } catch (const Error &e) {
        problems.push_back(e.what());
    }
    if (!problems.empty()) {
        std::string msg = ckpt.configPath().string() + ": cannot build UNet2DModel:";
        for (const auto &p : problems)
            msg += "\n  " + p;
        throw Error(msg);
    }

    if (fs::is_regular_file(schedulerPath)) {
        const auto j = io::readJsonFile(schedulerPath);
        try {
            out.scheduler = SchedulerConfig::fromJson(j);
        } catch (const Error &e) {
            throw Error(schedulerPath.string() + ": " + e.what());
        }
        if (const auto p = out.scheduler.validate(); !p.empty()) {
            std::string msg = schedulerPath.string() + ": unusable scheduler config:";
            for (const auto &x : p)
                msg += "\n  " + x;
            throw Error(msg);
        }
        out.hasSchedulerConfig = true;
    } else {
        out.warnings.push_back("no scheduler_config.json; using diffusers' DDPMScheduler defaults (linear betas "
                               "0.0001..0.02 over 1000 steps, fixed_small, clip_sample)");
    }

    UNet2DModel model(cfg);
    io::LoadReport report;
    io::BindOptions options;
    options.alias = [&ckpt](const std::string &key) {
        if (ckpt.contains(key))
            return key;
        const auto old = legacyAttentionName(key);
        return ckpt.contains(old) ? old : key;
    };
    io::bindParameters(*model, ckpt, options, report);
    report.throwIfFailed(ckpt.files().empty() ? ckpt.folder().string() : ckpt.files().front()->path().string());
    for (const auto &key : report.unexpected)
        out.warnings.push_back("unused weight '" + key + "'");

    model->to(device, dtype);
    model->eval();
    for (const auto &p : model->parameters())
        out.parameters += p.numel();
    out.unet = model;
    return out;
}

UNet2DModel buildRandomUNet(const nlohmann::json &config, const std::string &whatForErrors, std::uint64_t seed)
{
    try {
        const UNet2DConfig cfg = UNet2DConfig::fromJson(config);
        torch::manual_seed(seed);
        UNet2DModel model(cfg);
        model->eval();
        return model;
    } catch (const Error &e) {
        throw Error(whatForErrors + ": " + e.what());
    }
}

torch::ScalarType scalarTypeOf(const std::string &dtype)
{
    if (dtype == "bf16")
        return torch::kBFloat16;
    if (dtype == "fp16")
        return torch::kHalf;
    return torch::kFloat;
}

} // namespace ml::diffusion
