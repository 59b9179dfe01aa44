// `modallens-cli search`: a library searched by text and/or image, with the JSON shape of
// ../shared/specs/cli.md (plus a few extra fields); `duplicates`: its near-duplicate groups.
#include "cli_common.h"

#include "common/error.h"

#ifdef MODALLENS_HAVE_INDEX
#include "engine/index_service.h"
#endif

#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

namespace ml::cli {

namespace {

#ifndef MODALLENS_HAVE_INDEX
int runSearchCommand(Context &)
{
    throw Error(kNoIndexBuild);
}

int runDuplicatesCommand(Context &)
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

// Local midnight starting YYYY-MM-DD, in seconds since the epoch; a UsageError naming `option`
// for anything else (including dates that do not exist, such as 2025-02-30).
std::int64_t parseDate(const std::string &option, const std::string &text)
{
    const auto bad = [&] { return UsageError("--" + option + " '" + text + "' is not a date of the form YYYY-MM-DD"); };
    if (text.size() != 10 || text[4] != '-' || text[7] != '-')
        throw bad();
    for (std::size_t i = 0; i < text.size(); ++i)
        if (i != 4 && i != 7 && !std::isdigit(static_cast<unsigned char>(text[i])))
            throw bad();
    std::tm tm {};
    tm.tm_year = std::stoi(text.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(text.substr(5, 2)) - 1;
    tm.tm_mday = std::stoi(text.substr(8, 2));
    tm.tm_isdst = -1; // local time, whatever the season
    const int year = tm.tm_year, month = tm.tm_mon, day = tm.tm_mday;
    const std::time_t t = std::mktime(&tm);
    if (t == static_cast<std::time_t>(-1) || tm.tm_year != year || tm.tm_mon != month || tm.tm_mday != day || year < 70)
        throw bad();
    return static_cast<std::int64_t>(t);
}

// --kind, --folder (repeatable), --since, --until: which files a search or the duplicate view sees.
SearchFilter parseFilter(const Context &ctx)
{
    SearchFilter f;
    if (const auto kind = ctx.args.value("kind")) {
        if (*kind == "image")
            f.videos = false;
        else if (*kind == "video")
            f.images = false;
        else
            throw UsageError("--kind must be image or video, not '" + *kind + "'");
    }
    for (const auto &dir : ctx.args.values("folder")) {
        if (dir.empty())
            throw UsageError("--folder needs a folder");
        std::error_code ec;
        const auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(dir, ec), ec);
        if (ec)
            throw UsageError("--folder " + dir + ": " + ec.message());
        f.folders.push_back(canonical.string());
    }
    if (const auto since = ctx.args.value("since"))
        f.fromS = parseDate("since", *since);
    if (const auto until = ctx.args.value("until")) {
        // Inclusive: up to the last second of that day (the next local midnight, less one second).
        const auto start = parseDate("until", *until);
        std::tm tm {};
        const std::time_t t = static_cast<std::time_t>(start);
        localtime_r(&t, &tm);
        tm.tm_mday += 1;
        tm.tm_hour = 0;
        tm.tm_min = 0;
        tm.tm_sec = 0;
        tm.tm_isdst = -1;
        f.toS = static_cast<std::int64_t>(std::mktime(&tm)) - 1;
    }
    if (f.fromS != 0 && f.toS != 0 && f.fromS > f.toS)
        throw UsageError(
            "--since " + ctx.args.valueOr("since", "") + " is after --until " + ctx.args.valueOr("until", ""));
    return f;
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
    const auto agg = ctx.args.valueOr("video-agg", "best");
    if (agg != "mean" && agg != "max" && agg != "best")
        throw UsageError("--video-agg must be mean, max or best");
    req.videoAggregate = parseVideoAggregate(agg);
    req.filter = parseFilter(ctx);
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
        nlohmann::json doc {
            {"results", results}, {"vectors", r.vectors}, {"approximate", r.approximate}, {"model", r.modelId}};
        if (r.approximate) {
            doc["approx_kind"] = r.approxKind;
            doc["recall_at_10"] = r.recallAt10;
        }
        if (r.indexBuilding)
            doc["index_building"] = true;
        printJson(doc);
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
    if (r.approximate)
        std::printf("(approximate: %s, recall@10 %.3f)\n", r.approxKind.c_str(), r.recallAt10);
    return kOk;
}

int runDuplicatesCommand(Context &ctx)
{
    DuplicatesRequest req;
    req.library = requiredLibrary(ctx);
    if (!ctx.args.positional().empty())
        throw UsageError("duplicates takes no positional arguments, not '" + ctx.args.positional().front() + "'");
    req.model = ctx.args.valueOr("model", "clip-mini");
    req.threshold = ctx.args.doubleOr("threshold", 0.95);
    if (!(req.threshold > 0 && req.threshold <= 1))
        throw UsageError("--threshold must be in (0, 1]");
    req.maxHashDistance = ctx.args.intOr("max-hash-distance", req.maxHashDistance);
    if (req.maxHashDistance < -1 || req.maxHashDistance > 64)
        throw UsageError("--max-hash-distance must be in [0, 64] bits, or -1 for vectors only");
    req.filter = parseFilter(ctx);
    req.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<DuplicatesResult>(runJob(ctx.global, makeDuplicatesJob(req)));
    for (const auto &f : r.unreadable)
        warn(ctx.global, f.error + " (left out of the near-duplicate groups)");
    if (ctx.global.json) {
        nlohmann::json groups = nlohmann::json::array(), unreadable = nlohmann::json::array();
        for (const auto &g : r.groups)
            groups.push_back({{"files", g.files}, {"scores", g.scores}, {"hash_distances", g.hashDistances}});
        for (const auto &f : r.unreadable)
            unreadable.push_back({{"file", f.file}, {"error", f.error}});
        printJson({{"groups", groups}, {"files", r.files}, {"model", r.modelId}, {"threshold", req.threshold},
            {"hash", r.hashed ? "phash" : "none"}, {"max_hash_distance", r.hashed ? req.maxHashDistance : -1},
            {"candidate_pairs", r.candidatePairs}, {"rejected_pairs", r.rejectedPairs}, {"unreadable", unreadable}});
        return kOk;
    }
    char test[128];
    if (r.hashed)
        std::snprintf(test, sizeof test, "cosine >= %.3f, perceptual hashes at most %d of 64 bits apart", req.threshold,
            req.maxHashDistance);
    else
        std::snprintf(test, sizeof test, "cosine >= %.3f, vectors only", req.threshold);
    if (r.groups.empty())
        std::printf("no near-duplicates among %lld files (%s)\n", static_cast<long long>(r.files), test);
    else
        std::printf("%zu groups among %lld files (%s)\n", r.groups.size(), static_cast<long long>(r.files), test);
    if (r.rejectedPairs > 0)
        std::printf("%lld of %lld pairs with similar vectors were told apart by their pictures\n",
            static_cast<long long>(r.rejectedPairs), static_cast<long long>(r.candidatePairs));
    for (std::size_t i = 0; i < r.groups.size(); ++i) {
        const auto &g = r.groups[i];
        std::printf("group %zu (%zu files)\n", i + 1, g.files.size());
        for (std::size_t j = 0; j < g.files.size(); ++j) {
            if (g.hashDistances[j] >= 0)
                std::printf(
                    "  %.4f  %2d bits  %s\n", static_cast<double>(g.scores[j]), g.hashDistances[j], g.files[j].c_str());
            else
                std::printf("  %.4f  %s\n", static_cast<double>(g.scores[j]), g.files[j].c_str());
        }
    }
    return kOk;
}
#endif

} // namespace

std::vector<Command> searchCommands()
{
    return {
        {"search",
            "search --library DB (--text Q | --image PATH) [--k N] [--video-agg mean|max|best] [--model M] "
            "[--weight W] [--template T] [--kind image|video] [--folder DIR]... [--since YYYY-MM-DD] "
            "[--until YYYY-MM-DD]  search a library (dates: modification time, local, inclusive; a video scores "
            "by its best moment, the mean of the frames around its best one, unless --video-agg says mean of "
            "all frames or max: the best frame)",
            {"library", "text", "image", "k", "video-agg", "model", "weight", "template", "kind", "folder", "since",
                "until"},
            {}, runSearchCommand},
        {"duplicates",
            "duplicates --library DB [--model M] [--threshold T] [--max-hash-distance D] [--kind image|video] "
            "[--folder DIR]... [--since YYYY-MM-DD] [--until YYYY-MM-DD]  groups of near-duplicate files. "
            "Candidates: files whose CLIP vectors have a cosine similarity >= T (default 0.95). Each is confirmed by "
            "its picture: their perceptual hashes (PHash, 64 bits) may differ in at most D bits (default 6; -1: "
            "vectors only). A re-encoded or resized copy differs in 0 to 2 bits; two different coats, which a small "
            "CLIP puts above T, in 10 or more. Videos are compared at 25, 50 and 75 % of their length",
            {"library", "model", "threshold", "max-hash-distance", "kind", "folder", "since", "until"}, {},
            runDuplicatesCommand},
    };
}

} // namespace ml::cli
