// `modallens-cli index | search`: the media library from the command line, with the JSON shapes
// of ../shared/specs/cli.md (plus a few extra fields).
#include "cli_common.h"

#include "engine/index_service.h"

#include <cstdio>

namespace ml::cli {

namespace {

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
    req.batchSize = ctx.args.intOr("batch", 32);
    if (req.batchSize < 1)
        throw UsageError("--batch must be at least 1");
    req.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<IndexResult>(runJob(ctx.global, makeIndexJob(req)));
    for (const auto &f : r.failed)
        warn(ctx.global, f.error.find(f.file) == std::string::npos ? f.file + ": " + f.error : f.error);
    if (ctx.global.json) {
        nlohmann::json failed = nlohmann::json::array();
        for (const auto &f : r.failed)
            failed.push_back({{"file", f.file}, {"error", f.error}});
        printJson({{"added", r.added}, {"updated", r.updated}, {"removed", r.removed}, {"failed", failed},
            {"seconds", r.seconds}, {"unchanged", r.unchanged}, {"touched", r.touched}, {"moved", r.moved},
            {"frames", r.frames}, {"images_per_s", r.imagesPerS}, {"model", r.modelId},
            {"model_changed", r.modelChanged}});
    } else {
        std::printf("added %lld, updated %lld, removed %lld, moved %lld, unchanged %lld, failed %zu "
                    "(%lld video frames) in %.2f s, %.1f images/s\n",
            static_cast<long long>(r.added), static_cast<long long>(r.updated), static_cast<long long>(r.removed),
            static_cast<long long>(r.moved), static_cast<long long>(r.unchanged), r.failed.size(),
            static_cast<long long>(r.frames), r.seconds, r.imagesPerS);
    }
    return kOk;
}

} // namespace

std::vector<Command> indexCommands()
{
    return {
        {"index", "index --library DB [--model M] [--video-fps F] [--batch N] FOLDER_OR_FILE...  add/update a library",
            {"library", "model", "video-fps", "batch"}, {}, runIndexCommand},
    };
}

} // namespace ml::cli
