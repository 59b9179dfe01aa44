// UNet2DModel loading: the layout (flat or pipeline), config, weights bound by diffusers' names
// (old attention names aliased), the scheduler config, one report of problems.
#include "models/diffusion/diffusion_loader.h"

#include "common/error.h"
#include "engine/model_cache.h"
#include "io/checkpoint.h"

#include <nlohmann/json.hpp>

#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <limits>

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
    for (auto &w : report.nonFiniteWarnings())
        out.warnings.push_back(std::move(w));

    model->to(device, dtype);
    model->eval();
    for (const auto &p : model->parameters())
        out.parameters += p.numel();
    out.unet = model;
    return out;
}

std::int64_t estimateUnetParameters(const UNet2DConfig &cfg)
{
    // Ref: diffusers/models/unets/unet_2d.py and resnet.py, attention_processor.py (Attention)
    const auto &ch = cfg.block_out_channels;
    if (ch.empty())
        return 0;
    const auto d = [](std::int64_t x) { return static_cast<double>(std::max<std::int64_t>(x, 0)); };
    const double temb = 4 * d(ch.front());
    const double timeShift = cfg.resnet_time_scale_shift == "scale_shift" ? 2.0 : 1.0;
    const auto conv3 = [](double in, double out) { return in * out * 9 + out; };
    const auto resnet = [&](double in, double out) {
        return 2 * in + conv3(in, out) + temb * timeShift * out + timeShift * out + 2 * out + conv3(out, out)
            + (in != out ? in * out + out : 0.0);
    };
    const auto attention = [&](double c) {
        const double head = d(cfg.headDim(static_cast<std::int64_t>(c)));
        const double inner = head > 0 ? std::floor(c / head) * head : c;
        return 2 * c + 3 * (c * inner + inner) + inner * c + c;
    };
    const auto n = ch.size();
    const double layers = d(cfg.layers_per_block);
    double p = conv3(d(cfg.in_channels), d(ch.front())) + d(ch.front()) * temb + temb + temb * temb + temb;
    if (cfg.time_embedding_type == "learned" && cfg.num_train_timesteps)
        p += d(*cfg.num_train_timesteps) * d(ch.front());
    if (cfg.num_class_embeds && !cfg.class_embed_type)
        p += d(*cfg.num_class_embeds) * temb;
    double out = d(ch.front());
    for (std::size_t i = 0; i < n; ++i) {
        const double in = out;
        out = d(ch[i]);
        const bool attn = i < cfg.down_block_types.size() && cfg.down_block_types[i] == "AttnDownBlock2D";
        p += resnet(in, out) + (layers - 1) * resnet(out, out) + (attn ? layers * attention(out) : 0.0);
        if (i + 1 != n)
            p += conv3(out, out);
    }
    const double last = d(ch.back());
    p += 2 * resnet(last, last) + (cfg.add_attention ? attention(last) : 0.0);
    out = last;
    for (std::size_t i = 0; i < n; ++i) {
        const double prev = out;
        out = d(ch[n - 1 - i]);
        const double in = d(ch[n - 1 - std::min(i + 1, n - 1)]);
        const bool attn = i < cfg.up_block_types.size() && cfg.up_block_types[i] == "AttnUpBlock2D";
        for (double j = 0; j < layers + 1; ++j)
            p += resnet((j == 0 ? prev : out) + (j == layers ? in : out), out) + (attn ? attention(out) : 0.0);
        if (i + 1 != n)
            p += conv3(out, out);
    }
    p += 2 * d(ch.front()) + conv3(d(ch.front()), d(cfg.out_channels));
    return p >= 4e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(p);
}

DiffusionEstimate estimateDiffusion(const fs::path &folder, torch::ScalarType dtype)
{
    // A flat UNet folder, or a pipeline's unet/ (the loader resolves the layout the same way).
    fs::path config = folder / "config.json";
    if (!fs::is_regular_file(config) && fs::is_regular_file(folder / "unet" / "config.json"))
        config = folder / "unet" / "config.json";
    if (!fs::is_regular_file(config))
        return {0, config.string()};
    try {
        const auto j = io::readJsonFile(config);
        if (j.value("_class_name", std::string()) != "UNet2DModel")
            return {0, config.string()};
        const double params = static_cast<double>(estimateUnetParameters(UNet2DConfig::fromJson(j)));
        const double bytes = params * static_cast<double>(c10::elementSize(dtype));
        return {bytes >= 4e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(bytes),
            config.string()};
    } catch (const std::exception &) {
        return {0, config.string()}; // the load reports what is wrong with it
    }
}

std::shared_ptr<const LoadedDiffusion> acquireDiffusion(
    ModelCache &cache, const fs::path &folder, const std::string &dtype, const std::string &device)
{
    const auto type = scalarTypeOf(dtype);
    const auto estimate = estimateDiffusion(folder, type);
    return cache.acquire<const LoadedDiffusion>(
        makeModelKey("unet2d", folder.string(), dtype, device), estimate.bytes, estimate.configFile, [&] {
            auto loaded = std::make_shared<LoadedDiffusion>(loadDiffusion(folder, type, torch::Device(device)));
            std::int64_t bytes = 0;
            for (const auto &p : loaded->unet->parameters())
                bytes += static_cast<std::int64_t>(p.nbytes());
            for (const auto &b : loaded->unet->buffers())
                bytes += static_cast<std::int64_t>(b.nbytes());
            return ModelCache::Loaded {std::move(loaded), bytes};
        });
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
