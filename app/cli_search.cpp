// `modallens-cli search`: a library searched by text and/or image, with the JSON shape of
// ../shared/specs/cli.md (plus a few extra fields).
#include "cli_common.h"

#include "engine/index_service.h"

#include <cstdio>
#include <iostream>

namespace ml::cli {

namespace {

std::string requiredLibrary(const Context &ctx)
{
    const auto lib = ctx.args.value("library");
    if (!lib || lib->empty())
        throw UsageError("--library DB (the library file) is required");
    return *lib;
}

int runSearchCommand(Context &ctx)
{
    SearchRequest req;
    req.library = requiredLibrary(ctx);
    if (!ctx.args.positional().empty())
        throw UsageError(
            "search takes its query as --text Q or --image PATH, not '" + ctx.args.positional().front() + "'");
    req.text = ctx.args.valueOr("text", "");
    req.image = ctx.args.valueOr("image", "");
    if (req.text.empty() && req.image.empty())
        throw UsageError("search needs --text Q or --image PATH (or both, with --weight W for the text)");
    req.model = ctx.args.valueOr("model", "clip-mini");
    req.k = ctx.args.intOr("k", 10);
    if (req.k < 1)
        throw UsageError("--k must be at least 1");
    req.textWeight = ctx.args.doubleOr("weight", 0.5);
    if (req.textWeight < 0 || req.textWeight > 1)
        throw UsageError("--weight must be in [0, 1]");
    if (const auto t = ctx.args.value("template")) {
        if (!t->empty() && t->find("{}") == std::string::npos)
            throw UsageError("--template \"" + *t + "\" has no {} where the query goes");
        req.textTemplate = *t;
    }
    const auto agg = ctx.args.valueOr("video-agg", "mean");
    if (agg != "mean" && agg != "max" && agg != "best")
        throw UsageError("--video-agg must be mean, max or best");
    req.videoAggregate = parseVideoAggregate(agg);
    req.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<SearchResult>(runJob(ctx.global, makeSearchJob(req)));
    if (ctx.global.json) {
        nlohmann::json results = nlohmann::json::array();
        for (const auto &it : r.results) {
            nlohmann::json j {{"file", it.file}, {"kind", it.kind}, {"score", it.score}};
            if (it.kind == "video" && it.bestS >= 0) {
                j["time"] = {{"best_s", it.bestS}, {"start_s", it.startS}, {"end_s", it.endS}};
                j["series"] = {{"times", it.times}, {"scores", it.series}};
            }
            results.push_back(std::move(j));
        }
        printJson({{"results", results}, {"vectors", r.vectors}, {"approximate", r.approximate}, {"model", r.modelId}});
        return kOk;
    }
    if (r.results.empty())
        std::cout << "no results (the library has no vectors for this model; index some folders first)\n";
    for (const auto &it : r.results) {
        std::printf("%.4f  %-5s  %s", static_cast<double>(it.score), it.kind.c_str(), it.file.c_str());
        if (it.kind == "video" && it.bestS >= 0)
            std::printf("  best %.1f s (%.1f-%.1f s)", it.bestS, it.startS, it.endS);
        std::printf("\n");
    }
    return kOk;
}

} // namespace

std::vector<Command> searchCommands()
{
    return {
        {"search",
            "search --library DB (--text Q | --image PATH) [--k N] [--video-agg mean|max|best] [--model M] "
            "[--weight W] [--template T]  search a library",
            {"library", "text", "image", "k", "video-agg", "model", "weight", "template"}, {}, runSearchCommand},
    };
}

} // namespace ml::cli
