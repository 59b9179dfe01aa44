// The diffusion service of core/engine/diffusion_service.h: the denoise job (trajectory file, PNG
// grid, live step previews) and the `bench ddpm` job, over the step-able Sampler.
#include "engine/diffusion_service.h"

#include "common/error.h"
#include "engine/engine.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/diffusion/denoise_memory.h"
#include "models/diffusion/diffusion_loader.h"
#include "models/diffusion/sampler.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/animation_export.h"
#include "io/media.h"
#endif

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

namespace ml {

namespace fs = std::filesystem;
using namespace ml::diffusion;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

torch::Tensor readNamedTensor(const std::string &file, const std::string &name)
{
    const auto st = io::SafetensorsFile::open(file);
    if (!st->contains(name)) {
        std::string have;
        for (const auto &t : st->tensors())
            have += (have.empty() ? "" : ", ") + t.name;
        throw Error(file + ": no tensor '" + name + "' (the file holds: " + (have.empty() ? "nothing" : have) + ")");
    }
    return st->tensor(name).to(torch::kFloat).clone();
}

std::vector<float> toVector(const torch::Tensor &t)
{
    const auto c = t.to(torch::kCPU, torch::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// [C, H, W] in [-1, 1] -> [H, W, 3] uint8 (one channel shown as grey; more than 3: the first 3).
torch::Tensor previewPixels(const torch::Tensor &chw)
{
    auto x = chw.to(torch::kFloat);
    if (x.size(0) == 1)
        x = x.expand({3, x.size(1), x.size(2)});
    else if (x.size(0) == 2)
        x = at::cat({x, x.slice(0, 0, 1)}, 0);
    else if (x.size(0) > 3)
        x = x.slice(0, 0, 3);
    return (x * 0.5 + 0.5).clamp_(0, 1).mul_(255).round_().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
}

#ifdef MODALLENS_HAVE_MEDIA
// Columns: up to 10 steps evenly spaced, then the result; per sample of the batch one row of x_t
// and one of x̂0. Small samples are enlarged (nearest) to at least 64 pixels.
void writeGrid(const std::string &file, const std::vector<StepRecord> &history, const torch::Tensor &final)
{
    const auto B = final.size(0), H = final.size(2), W = final.size(3);
    const std::int64_t n = static_cast<std::int64_t>(history.size());
    std::vector<std::int64_t> cols;
    const std::int64_t shown = std::min<std::int64_t>(n, 10);
    for (std::int64_t i = 0; i < shown; ++i)
        cols.push_back(shown == 1 ? 0 : i * (n - 1) / (shown - 1));
    const std::int64_t zoom = std::max<std::int64_t>(1, (64 + std::min(H, W) - 1) / std::min(H, W));
    const std::int64_t cellH = H * zoom, cellW = W * zoom, gap = 2;
    const auto numCols = static_cast<std::int64_t>(cols.size()) + 1, numRows = 2 * B;
    io::RgbImage grid;
    grid.width = static_cast<int>(numCols * cellW + (numCols - 1) * gap);
    grid.height = static_cast<int>(numRows * cellH + (numRows - 1) * gap);
    grid.pixels.assign(static_cast<std::size_t>(grid.width) * grid.height * 3, 255);
    const auto put = [&](const torch::Tensor &chw, std::int64_t row, std::int64_t col) {
        const auto px = previewPixels(chw);
        const auto *src = px.data_ptr<std::uint8_t>();
        for (std::int64_t y = 0; y < cellH; ++y) {
            auto *dst = grid.row(static_cast<int>(row * (cellH + gap) + y)) + col * (cellW + gap) * 3;
            for (std::int64_t x = 0; x < cellW; ++x)
                std::copy_n(src + ((y / zoom) * W + x / zoom) * 3, 3, dst + x * 3);
        }
    };
    for (std::int64_t b = 0; b < B; ++b) {
        for (std::size_t c = 0; c < cols.size(); ++c) {
            const auto &rec = history[static_cast<std::size_t>(cols[c])];
            put(rec.sample[b], 2 * b, static_cast<std::int64_t>(c));
            put(rec.predOriginalSample[b], 2 * b + 1, static_cast<std::int64_t>(c));
        }
        put(final[b], 2 * b, numCols - 1);
        put(final[b], 2 * b + 1, numCols - 1);
    }
    io::saveImage(grid, file);
}
#endif

#ifdef MODALLENS_HAVE_MEDIA
// One video frame: x_t and x̂0 of one sample ([C, H, W] each) side by side, a 1-pixel white gap.
io::RgbImage sideBySide(const torch::Tensor &left, const torch::Tensor &right)
{
    const auto a = previewPixels(left), b = previewPixels(right);
    const int h = static_cast<int>(a.size(0)), w = static_cast<int>(a.size(1));
    io::RgbImage frame;
    frame.width = 2 * w + 1;
    frame.height = h;
    frame.pixels.assign(static_cast<std::size_t>(frame.width) * h * 3, 255);
    for (int y = 0; y < h; ++y) {
        std::copy_n(a.data_ptr<std::uint8_t>() + static_cast<std::size_t>(y) * w * 3, w * 3, frame.row(y));
        std::copy_n(
            b.data_ptr<std::uint8_t>() + static_cast<std::size_t>(y) * w * 3, w * 3, frame.row(y) + (w + 1) * 3);
    }
    return frame;
}
#endif

void writeTrajectory(const std::string &file, const Sampler &sampler, const std::string &modelName)
{
    const auto &h = sampler.history();
    std::vector<torch::Tensor> samples, outputs, preds, noises;
    for (const auto &r : h) {
        samples.push_back(r.sample.to(torch::kCPU));
        outputs.push_back(r.modelOutput.to(torch::kCPU));
        preds.push_back(r.predOriginalSample.to(torch::kCPU));
        noises.push_back(r.noise.to(torch::kCPU));
    }
    std::map<std::string, torch::Tensor> tensors {
        {"timesteps", torch::tensor(sampler.timesteps(), torch::kLong)},
        {"sample", torch::stack(samples)},
        {"model_output", torch::stack(outputs)},
        {"pred_original_sample", torch::stack(preds)},
        {"variance_noise", torch::stack(noises)},
        {"final", sampler.current().to(torch::kCPU)},
    };
    std::map<std::string, std::string> meta {{"model", modelName},
        {"scheduler", schedulerKindName(sampler.scheduler().kind())}, {"steps", std::to_string(sampler.numSteps())},
        {"eta", std::to_string(sampler.eta())}, {"seed", std::to_string(sampler.seed())}};
    io::saveSafetensors(file, tensors, meta);
}

DenoiseResult runDenoise(const DenoiseRequest &req, JobContext &ctx)
{
    const std::string device = resolveDevice(req.compute);
    const std::string dtype = resolveDtype(req.compute, Workload::Diffusion);
#ifndef MODALLENS_HAVE_MEDIA
    if (!req.pngFile.empty())
        throw Error(req.pngFile + ": PNG output needs a build with media I/O (MODALLENS_MEDIA=ON)");
    if (!req.videoFile.empty())
        throw Error(req.videoFile + ": video output needs a build with media I/O (MODALLENS_MEDIA=ON)");
#else
    if (!req.videoFile.empty())
        io::checkAnimationPath(req.videoFile); // before the run, not after minutes of denoising
#endif
    const auto loaded = acquireDiffusion(ctx.models(), resolveModelPath(req.model), dtype, device);
    const SchedulerKind kind = req.scheduler.empty() ? schedulerKindFromClassName(loaded->scheduler.class_name)
                                                     : schedulerKindFromName(req.scheduler);
    const int steps = req.steps > 0
        ? req.steps
        : (kind == SchedulerKind::Ddpm ? static_cast<int>(loaded->scheduler.num_train_timesteps) : 50);
    if (kind == SchedulerKind::Ddpm && req.eta != 0.0)
        throw Error("--eta applies to DDIM only (the DDPM step has no eta)");
    Sampler sampler(loaded->unet, Scheduler(loaded->scheduler, kind), steps, req.eta);
    const bool keep = !req.trajectoryFile.empty() || !req.pngFile.empty();
    const auto checkMemory = [&](std::int64_t batch, std::int64_t h, std::int64_t w) {
        checkDenoiseMemory(
            estimateDenoiseMemory(loaded->unet->config(), batch, h, w, steps, keep, dtype == "fp32" ? 4 : 2),
            "a run of " + std::to_string(batch) + " samples at " + std::to_string(w) + " x " + std::to_string(h)
                + " px",
            device == "cuda");
    };

    if (!req.initNoiseFile.empty()) {
        sampler.start(readNamedTensor(req.initNoiseFile, "init_noise"), req.seed);
        const auto &x = sampler.current(); // [B, C, H, W]
        checkMemory(x.size(0), x.size(2), x.size(3));
    } else {
        const auto &cfg = loaded->unet->config();
        const std::int64_t h = req.height > 0 ? req.height : cfg.sample_height;
        const std::int64_t w = req.width > 0 ? req.width : cfg.sample_width;
        if (h <= 0 || w <= 0)
            throw Error(loaded->unetFolder.string() + ": config.json has no sample_size; give the size");
        checkMemory(req.batch, h, w); // before the noise: a batch of millions is itself gigabytes
        sampler.start(req.seed, req.batch, h, w);
    }
    if (!req.varianceNoiseFile.empty()) {
        try {
            sampler.setVarianceNoise(readNamedTensor(req.varianceNoiseFile, "variance_noise"));
        } catch (const Error &e) {
            const std::string what = e.what();
            throw Error(what.rfind(req.varianceNoiseFile, 0) == 0 ? what : req.varianceNoiseFile + ": " + what);
        }
    }
    sampler.setKeepHistory(keep);

    DenoiseResult result;
    result.modelName = loaded->name;
    result.scheduler = schedulerKindName(kind);
    result.steps = steps;
    result.eta = req.eta;
    result.seed = req.seed;
    result.timesteps = sampler.timesteps();
    result.dtype = dtype;
    result.device = device;
    result.warnings = loaded->warnings;

#ifdef MODALLENS_HAVE_MEDIA
    std::vector<io::RgbImage> frames;
#endif
    const auto t0 = Clock::now();
    ctx.report(0, steps, "denoising");
    while (!sampler.finished()) {
        ctx.throwIfCancelled();
        const auto &rec = sampler.step();
        ctx.report(rec.index + 1, steps, "denoising");
        if (req.streamPreviews) {
            DenoiseStep s;
            s.index = static_cast<int>(rec.index);
            s.total = steps;
            s.timestep = rec.timestep;
            s.channels = static_cast<int>(rec.sample.size(1));
            s.height = static_cast<int>(rec.sample.size(2));
            s.width = static_cast<int>(rec.sample.size(3));
            s.sample = toVector(rec.sample[0]);
            s.modelOutput = toVector(rec.modelOutput[0]);
            s.predOriginalSample = toVector(rec.predOriginalSample[0]);
            ctx.partial("denoise-step", std::move(s));
        }
#ifdef MODALLENS_HAVE_MEDIA
        if (!req.videoFile.empty())
            frames.push_back(sideBySide(rec.sample[0].to(torch::kCPU), rec.predOriginalSample[0].to(torch::kCPU)));
#endif
    }
    result.seconds = secondsSince(t0);
    result.msPerStep = 1000.0 * result.seconds / steps;
    result.shape = sampler.current().sizes().vec();
    result.final = toVector(sampler.current());

    if (!req.trajectoryFile.empty())
        writeTrajectory(req.trajectoryFile, sampler, loaded->name);
#ifdef MODALLENS_HAVE_MEDIA
    if (!req.pngFile.empty())
        writeGrid(req.pngFile, sampler.history(), sampler.current().to(torch::kCPU));
    if (!req.videoFile.empty()) {
        const auto last = sampler.current()[0].to(torch::kCPU);
        frames.push_back(sideBySide(last, last));
        const double fps = req.fps > 0 ? req.fps : std::clamp(steps / 4.0, 2.0, 30.0);
        ctx.report(0, static_cast<std::int64_t>(frames.size()), "writing video");
        io::writeAnimation(req.videoFile, frames, fps, 256, [&ctx](int done, int total) {
            ctx.report(done, total, "writing video");
            return !ctx.isCancelled();
        });
    }
#endif
    return result;
}

// google/ddpm-cifar10-32's UNet config.json (diffusers 0.0.4; attention_head_dim absent, so 8).
const char *kCifar10Config = R"({
  "_class_name": "UNet2DModel",
  "_diffusers_version": "0.0.4",
  "act_fn": "silu",
  "block_out_channels": [128, 256, 256, 256],
  "center_input_sample": false,
  "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
  "downsample_padding": 0,
  "flip_sin_to_cos": false,
  "freq_shift": 1,
  "in_channels": 3,
  "layers_per_block": 2,
  "mid_block_scale_factor": 1,
  "norm_eps": 1e-06,
  "norm_num_groups": 32,
  "out_channels": 3,
  "sample_size": 32,
  "time_embedding_type": "positional",
  "up_block_types": ["UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"]
})";
constexpr std::int64_t kCifar10Parameters = 35746307;

} // namespace

std::string ddpmShapeConfig(const std::string &shape)
{
    if (shape == "ddpm-cifar10-32")
        return kCifar10Config;
    throw Error("unknown shape '" + shape + "' (known: ddpm-cifar10-32, or a UNet config.json file)");
}

namespace {

DdpmBenchResult runBench(const DdpmBenchOptions &opt, JobContext &ctx)
{
    if (opt.batch < 1)
        throw Error("--batch must be at least 1");
    const std::string device = resolveDevice(opt.compute);
    const std::string dtype = resolveDtype(opt.compute, Workload::Diffusion);
    DdpmBenchResult r;
    r.batch = opt.batch;
    r.dtype = dtype;
    r.device = device;
    r.threads = at::get_num_threads();

    ctx.report(0, 0, "building the model");
    UNet2DModel unet {nullptr};
    SchedulerConfig schedCfg;
    std::shared_ptr<const LoadedDiffusion> loaded; // held for the whole bench: the cache counts it in use
    if (!opt.model.empty()) {
        loaded = acquireDiffusion(ctx.models(), resolveModelPath(opt.model), dtype, device);
        unet = loaded->unet;
        schedCfg = loaded->scheduler;
        r.name = loaded->name;
    } else {
        const bool isFile = opt.shape.find(".json") != std::string::npos;
        const auto config = isFile ? io::readJsonFile(opt.shape) : nlohmann::json::parse(ddpmShapeConfig(opt.shape));
        unet = buildRandomUNet(config, opt.shape, 0);
        unet->to(torch::Device(device), diffusion::scalarTypeOf(dtype));
        r.name = isFile ? fs::path(opt.shape).parent_path().filename().string() : opt.shape;
        schedCfg.variance_type = "fixed_large"; // google/ddpm-cifar10-32's scheduler
    }
    for (const auto &p : unet->parameters())
        r.parameters += p.numel();
    if (opt.model.empty() && opt.shape == "ddpm-cifar10-32" && r.parameters != kCifar10Parameters)
        throw Error("ddpm-cifar10-32 shape has " + std::to_string(r.parameters) + " parameters, expected "
            + std::to_string(kCifar10Parameters));
    const auto &cfg = unet->config();
    const std::int64_t size = cfg.sample_height > 0 ? cfg.sample_height : 32;
    r.resolution = static_cast<int>(size);

    Sampler sampler(unet, Scheduler(schedCfg, SchedulerKind::Ddpm), schedCfg.num_train_timesteps);
    const std::int64_t width = cfg.sample_width > 0 ? cfg.sample_width : size;
    checkDenoiseMemory(estimateDenoiseMemory(cfg, opt.batch, size, width, 1, false, dtype == "fp32" ? 4 : 2),
        "a step of batch " + std::to_string(opt.batch), device == "cuda");
    sampler.start(0, opt.batch, size, width);
    const auto stepOnce = [&] {
        if (sampler.finished())
            sampler.restartFrom(0);
        sampler.step();
    };
    stepOnce(); // warm-up: allocations, oneDNN primitives
    stepOnce();

    ctx.report(0, 0, "timing UNet + scheduler step");
    auto t0 = Clock::now();
    int n = 0;
    while (n < 3 || secondsSince(t0) < opt.seconds) {
        ctx.throwIfCancelled();
        stepOnce();
        ++n;
    }
    r.steps = n;
    r.msPerStep = 1000.0 * secondsSince(t0) / n;

    // The parts, each for about a fifth of the time.
    c10::InferenceMode guard;
    const auto param = unet->parameters().front();
    const auto x = sampler.current().to(param.device(), param.scalar_type());
    const auto t = torch::tensor(std::int64_t(500), torch::TensorOptions().dtype(torch::kLong).device(param.device()));
    const int parts = std::max(3, n / 5);
    t0 = Clock::now();
    torch::Tensor eps;
    for (int i = 0; i < parts; ++i) {
        ctx.throwIfCancelled();
        eps = unet->forward(x, t).to(torch::kFloat);
    }
    r.msUnet = 1000.0 * secondsSince(t0) / parts;
    const auto noise = torch::randn_like(eps);
    const auto xs = x.to(torch::kFloat);
    const int many = 200;
    t0 = Clock::now();
    StepOutput out;
    for (int i = 0; i < many; ++i)
        out = sampler.scheduler().step(eps, 500, xs, 0.0, noise);
    r.msScheduler = 1000.0 * secondsSince(t0) / many;
    t0 = Clock::now();
    for (int i = 0; i < many; ++i)
        for (std::int64_t b = 0; b < out.predOriginalSample.size(0); ++b)
            previewPixels(out.predOriginalSample[b].to(torch::kCPU));
    r.msPreview = 1000.0 * secondsSince(t0) / many;
    return r;
}

} // namespace

Job makeDenoiseJob(DenoiseRequest request)
{
    Job job;
    job.name = "Denoise";
    job.lane = Lane::Inference;
    job.run = [request = std::move(request)](JobContext &ctx) -> std::any { return runDenoise(request, ctx); };
    return job;
}

Job makeDdpmBenchJob(DdpmBenchOptions options)
{
    Job job;
    job.name = "Benchmark DDPM";
    job.lane = Lane::Inference;
    job.run = [options = std::move(options)](JobContext &ctx) -> std::any { return runBench(options, ctx); };
    return job;
}

} // namespace ml
