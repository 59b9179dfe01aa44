// `modallens-cli denoise` (DDPM / DDIM sampling with a trajectory file and a PNG grid) and
// `bench ddpm` (ms per UNet + scheduler step), as ../shared/specs/cli.md says.
#include "cli_common.h"

#include "common/error.h"
#include "engine/diffusion_service.h"

#include <cstdio>
#include <iostream>
#include <limits>

namespace ml::cli {

namespace {

std::uint64_t parseSeed(const std::string &s)
{
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
        v = std::stoull(s, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (s.empty() || used != s.size() || s.front() == '-')
        throw UsageError("--seed must be a non-negative integer (got '" + s + "')");
    return v;
}

int runDenoise(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("denoise takes no positional arguments");
    const auto model = ctx.args.value("model");
    if (!model)
        throw UsageError("denoise needs --model M");
    DenoiseRequest req;
    req.model = *model;
    req.scheduler = ctx.args.valueOr("scheduler", "");
    if (!req.scheduler.empty() && req.scheduler != "ddpm" && req.scheduler != "ddim")
        throw UsageError("--scheduler must be ddpm or ddim (got '" + req.scheduler + "')");
    req.steps = ctx.args.intOr("steps", 0);
    if (ctx.args.value("steps") && req.steps <= 0)
        throw UsageError("--steps must be positive");
    req.eta = ctx.args.doubleOr("eta", 0.0);
    if (!(req.eta >= 0.0 && req.eta <= 1.0))
        throw UsageError("--eta must be between 0 and 1 (above 1 DDIM's noise outweighs the signal: NaN)");
    req.seed = parseSeed(ctx.args.valueOr("seed", "0"));
    req.batch = ctx.args.intOr("batch", 1);
    if (req.batch <= 0)
        throw UsageError("--batch must be positive");
    req.height = req.width = ctx.args.intOr("size", 0);
    if (req.height < 0)
        throw UsageError("--size must be positive");
    req.initNoiseFile = ctx.args.valueOr("init-noise", "");
    req.varianceNoiseFile = ctx.args.valueOr("variance-noise", "");
    req.trajectoryFile = ctx.args.valueOr("trajectory", "");
    req.pngFile = ctx.args.valueOr("png", "");
    req.videoFile = ctx.args.valueOr("video", "");
    req.fps = ctx.args.doubleOr("fps", 0.0);
    if (ctx.args.value("fps") && (req.videoFile.empty() || !(req.fps > 0.0 && req.fps <= 100.0)))
        throw UsageError("--fps needs --video and a value in (0, 100]");
    req.compute = {ctx.global.device, ctx.global.dtype};

    const auto r = std::any_cast<DenoiseResult>(runJob(ctx.global, makeDenoiseJob(req)));
    for (const auto &w : r.warnings)
        warn(ctx.global, r.modelName + ": " + w);
    if (ctx.global.json) {
        nlohmann::json out {{"model", r.modelName}, {"scheduler", r.scheduler}, {"steps", r.steps}, {"eta", r.eta},
            {"seed", r.seed}, {"timesteps", r.timesteps}, {"shape", r.shape}, {"dtype", r.dtype}, {"device", r.device},
            {"seconds", r.seconds}, {"ms_per_step", r.msPerStep}};
        if (!req.trajectoryFile.empty())
            out["trajectory"] = req.trajectoryFile;
        if (!req.pngFile.empty())
            out["png"] = req.pngFile;
        if (!req.videoFile.empty())
            out["video"] = req.videoFile;
        printJson(out);
        return kOk;
    }
    std::printf("%s: %d %s steps (eta %g, seed %llu), %.2f s, %.1f ms/step (%s on %s)\n", r.modelName.c_str(), r.steps,
        r.scheduler.c_str(), r.eta, static_cast<unsigned long long>(r.seed), r.seconds, r.msPerStep, r.dtype.c_str(),
        r.device.c_str());
    if (!req.trajectoryFile.empty())
        std::printf("trajectory: %s\n", req.trajectoryFile.c_str());
    if (!req.pngFile.empty())
        std::printf("grid: %s\n", req.pngFile.c_str());
    if (!req.videoFile.empty())
        std::printf("video: %s\n", req.videoFile.c_str());
    return kOk;
}

int runBenchDdpm(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("bench ddpm takes no positional arguments");
    DdpmBenchOptions o;
    o.model = ctx.args.valueOr("model", "");
    o.shape = ctx.args.valueOr("shape", "");
    if (o.model.empty() == o.shape.empty())
        throw UsageError("bench ddpm needs --model M or --shape ddpm-cifar10-32 (one of them)");
    o.batch = ctx.args.intOr("batch", 1);
    o.seconds = ctx.args.doubleOr("seconds", 10.0);
    if (o.batch <= 0 || o.seconds <= 0)
        throw UsageError("--batch and --seconds must be positive");
    o.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<DdpmBenchResult>(runJob(ctx.global, makeDdpmBenchJob(o)));
    if (ctx.global.json) {
        printJson({{"ms_per_step", r.msPerStep}, {"batch", r.batch}, {"dtype", r.dtype}, {"device", r.device},
            {"model", r.name}, {"parameters", r.parameters}, {"resolution", r.resolution}, {"threads", r.threads},
            {"timed_steps", r.steps}, {"unet_ms", r.msUnet}, {"scheduler_step_ms", r.msScheduler},
            {"x0_preview_ms", r.msPreview}});
        return kOk;
    }
    std::printf("%-40s %10s\n", "figure", "value");
    std::printf("%-40s %10.2f\n", "ms/step (UNet + scheduler step)", r.msPerStep);
    std::printf("%-40s %10.2f\n", "  UNet forward ms", r.msUnet);
    std::printf("%-40s %10.3f\n", "  scheduler step ms (x_t-1 and x0)", r.msScheduler);
    std::printf("%-40s %10.3f\n", "  x0 preview (8-bit image) ms", r.msPreview);
    std::printf("(%s, %lld parameters, %d px; batch %d, %s on %s, %d threads, %d timed steps)\n", r.name.c_str(),
        static_cast<long long>(r.parameters), r.resolution, r.batch, r.dtype.c_str(), r.device.c_str(), r.threads,
        r.steps);
    return kOk;
}

} // namespace

std::vector<Command> denoiseCommands()
{
    return {
        {"denoise",
            "denoise --model M [--scheduler ddpm|ddim] [--steps N] [--eta E] [--seed S] [--batch N] [--size PX] "
            "[--init-noise FILE] [--variance-noise FILE] [--trajectory OUT.safetensors] [--png GRID.png] "
            "[--video OUT.mp4|OUT.gif [--fps F]]  sample with a diffusers UNet2DModel, keeping every step; --video "
            "animates the first sample, one frame per step with x_t (left) and the predicted clean image x0 (right), "
            "the result last, enlarged to at least 256 px (fps: steps/4 within 2..30 by default)",
            {"model", "scheduler", "steps", "eta", "seed", "batch", "size", "init-noise", "variance-noise",
                "trajectory", "png", "video", "fps"},
            {}, runDenoise},
        {"bench ddpm",
            "bench ddpm (--model M | --shape ddpm-cifar10-32) [--batch N] [--seconds S]  ms per UNet + scheduler step",
            {"model", "shape", "batch", "seconds"}, {}, runBenchDdpm},
    };
}

} // namespace ml::cli
