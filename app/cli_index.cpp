// `modallens-cli index | search`: the media library from the command line, with the JSON shapes
// of ../shared/specs/cli.md (plus a few extra fields).
#include "cli_common.h"

#include "common/error.h"

#ifdef MODALLENS_HAVE_INDEX
#include "engine/index_service.h"
#endif

#include <algorithm>
#include <cstdio>

namespace ml::cli {

namespace {

#ifndef MODALLENS_HAVE_INDEX
int runIndexCommand(Context &)
{
    throw Error(kNoIndexBuild);
}
#else
std::string requiredLibrary(const Context &ctx)
{
    const auto lib = ctx.args.value("library");
    if (!lib || lib->empty())
        throw UsageError("--library DB (the library file) is required");
    return *lib;
}

int runIndexCommand(Context &ctx)
{
    IndexRequest req;
    req.library = requiredLibrary(ctx);
    req.folders = ctx.args.positional();
    if (req.folders.empty())
        throw UsageError("index needs at least one FOLDER_OR_FILE");
    req.model = ctx.args.valueOr("model", "clip-mini");
    req.videoFps = ctx.args.doubleOr("video-fps", 1.0);
    if (!(req.videoFps > 0) || req.videoFps > 60)
        throw UsageError("--video-fps must be in (0, 60]");
    req.minVideoFrames = ctx.args.intOr("min-video-frames", req.minVideoFrames);
    if (req.minVideoFrames < 0 || req.minVideoFrames > 1000)
        throw UsageError("--min-video-frames must be in [0, 1000] (0: --video-fps alone)");
    req.sceneThreshold = ctx.args.doubleOr("scene-threshold", req.sceneThreshold);
    if (!(req.sceneThreshold >= 0) || req.sceneThreshold > 1)
        throw UsageError("--scene-threshold must be in [0, 1] (0: no frames at scene changes)");
    req.batchSize = ctx.args.intOr("batch", 32);
    if (req.batchSize < 1)
        throw UsageError("--batch must be at least 1");
    req.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<IndexResult>(runJob(ctx.global, makeIndexJob(req)));
    for (const auto &f : r.failed)
        warn(ctx.global, f.file + ": " + f.error);
    if (!r.health.empty()) {
        // The first few by name; JSON has them all.
        std::string list;
        const std::size_t shown = std::min<std::size_t>(r.health.size(), 5);
        for (std::size_t i = 0; i < shown; ++i)
            list += (i ? "; " : "") + r.health[i].file + " (" + r.health[i].reason + ")";
        if (shown < r.health.size())
            list += "; and " + std::to_string(r.health.size() - shown) + " more";
        warn(ctx.global,
            std::to_string(r.health.size()) + " of " + std::to_string(r.healthChecked)
                + " files have suspicious vectors (is the model broken?): " + list);
    }
    if (ctx.global.json) {
        nlohmann::json failed = nlohmann::json::array(), health = nlohmann::json::array();
        for (const auto &f : r.failed)
            failed.push_back({{"file", f.file}, {"error", f.error}});
        for (const auto &h : r.health)
            health.push_back({{"file", h.file}, {"reason", h.reason}});
        printJson({{"added", r.added}, {"updated", r.updated}, {"removed", r.removed}, {"failed", failed},
            {"seconds", r.seconds}, {"unchanged", r.unchanged}, {"touched", r.touched}, {"moved", r.moved},
            {"frames", r.frames}, {"scene_frames", r.sceneFrames}, {"resampled", r.resampled},
            {"images_per_s", r.imagesPerS}, {"model", r.modelId}, {"model_changed", r.modelChanged}, {"health", health},
            {"health_checked", r.healthChecked}});
    } else {
        std::printf("added %lld, updated %lld, removed %lld, moved %lld, unchanged %lld, failed %zu "
                    "(%lld video frames, %lld at scene changes) in %.2f s, %.1f images/s\n",
            static_cast<long long>(r.added), static_cast<long long>(r.updated), static_cast<long long>(r.removed),
            static_cast<long long>(r.moved), static_cast<long long>(r.unchanged), r.failed.size(),
            static_cast<long long>(r.frames), static_cast<long long>(r.sceneFrames), r.seconds, r.imagesPerS);
    }
    return kOk;
}
#endif

} // namespace

std::vector<Command> indexCommands()
{
    return {
        {"index",
            "index --library DB [--model M] [--video-fps F] [--min-video-frames N] [--scene-threshold T] "
            "[--batch N] FOLDER_OR_FILE...  add/update a library; videos: F frames/s (default 1), faster for a clip "
            "too short for N frames (default 16; at most every frame it has; videos indexed before with fewer are "
            "sampled again), plus a frame after each cut where the picture changes by more than T (0..1, default "
            "0.25; 0: off)",
            {"library", "model", "video-fps", "min-video-frames", "scene-threshold", "batch"}, {}, runIndexCommand},
    };
}

} // namespace ml::cli
