// `modallens-cli eval ddpm`: sample quality of a DDPM trained on Fashion-MNIST, as issue 7
// reports it: of N samples, the share clip-mini names as one of the ten classes with
// probability >= 0.5, with real test images through the same path as the anchor.
#include "cli_common.h"

#include "engine/ddpm_eval_service.h"

#include <cstdio>

namespace ml::cli {

namespace {

int positive(const Context &ctx, const std::string &name, int fallback, bool zeroAllowed = false)
{
    const int v = ctx.args.intOr(name, fallback);
    if (ctx.args.value(name) && (v < 0 || (v == 0 && !zeroAllowed)))
        throw UsageError("--" + name + " must be " + (zeroAllowed ? "0 or more" : "positive"));
    return v;
}

nlohmann::json scoresJson(const DdpmEvalScores &s)
{
    nlohmann::json perClass = nlohmann::json::array();
    for (const auto &c : s.perClass)
        perClass.push_back({{"class", c.name}, {"count", c.count}, {"confident", c.confident}});
    nlohmann::json out {{"images", s.images}, {"share_confident", s.shareConfident}, {"mean_max_prob", s.meanMaxProb},
        {"per_class", perClass}};
    if (s.accuracy >= 0)
        out["accuracy"] = s.accuracy;
    return out;
}

int runEvalDdpm(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("eval ddpm takes no positional arguments");
    const auto model = ctx.args.value("model");
    if (!model || model->empty())
        throw UsageError("eval ddpm needs --model M (a DDPM folder or ddpm-mini)");
    DdpmEvalRequest req;
    req.model = *model;
    req.scheduler = ctx.args.valueOr("scheduler", "");
    if (!req.scheduler.empty() && req.scheduler != "ddpm" && req.scheduler != "ddim")
        throw UsageError("--scheduler must be ddpm or ddim (got '" + req.scheduler + "')");
    req.steps = positive(ctx, "steps", 0);
    req.eta = ctx.args.doubleOr("eta", 0.0);
    if (req.eta < 0)
        throw UsageError("--eta must be >= 0");
    const int seed = positive(ctx, "seed", 0, true);
    req.seed = static_cast<std::uint64_t>(seed);
    req.samples = positive(ctx, "samples", 256);
    req.batch = positive(ctx, "batch", 64);
    req.classifier = ctx.args.valueOr("classifier", "clip-mini");
    req.threshold = ctx.args.doubleOr("threshold", 0.5);
    if (!(req.threshold > 0.0 && req.threshold <= 1.0))
        throw UsageError("--threshold must be in (0, 1]");
    if (ctx.args.flag("no-reference") && ctx.args.value("reference"))
        throw UsageError("give --reference N or --no-reference, not both");
    if (ctx.args.flag("no-reference"))
        req.referenceImages = 0;
    else if (ctx.args.value("reference"))
        req.referenceImages = positive(ctx, "reference", 0, true);
    req.fashionMnistDir = ctx.args.valueOr("fashion-mnist", "");
    req.gridFile = ctx.args.valueOr("grid", "");
    req.crop = positive(ctx, "crop", 28, true);
    req.compute = {ctx.global.device, ctx.global.dtype};

    const auto r = std::any_cast<DdpmEvalResult>(runJob(ctx.global, makeDdpmEvalJob(req)));
    for (const auto &w : r.warnings)
        warn(ctx.global, w);
    if (ctx.global.json) {
        nlohmann::json out = scoresJson(r.samples);
        out.erase("images");
        out["samples"] = r.samples.images;
        out["threshold"] = r.threshold;
        out["model"] = r.modelName;
        out["classifier"] = r.classifierName;
        out["scheduler"] = r.scheduler;
        out["steps"] = r.steps;
        out["eta"] = r.eta;
        out["seed"] = r.seed;
        out["sample_size"] = {r.sampleChannels, r.sampleHeight, r.sampleWidth};
        out["crop"] = r.crop;
        out["seconds"] = r.seconds;
        out["sampling_seconds"] = r.samplingSeconds;
        out["reference"] = r.hasReference ? scoresJson(r.reference) : nlohmann::json(nullptr);
        if (!r.gridFile.empty())
            out["grid"] = r.gridFile;
        printJson(out);
        return kOk;
    }
    std::printf("%s: %d samples, %d %s steps (eta %g, seeds %llu..%llu), classified by %s\n", r.modelName.c_str(),
        r.samples.images, r.steps, r.scheduler.c_str(), r.eta, static_cast<unsigned long long>(r.seed),
        static_cast<unsigned long long>(r.seed + (req.samples + req.batch - 1) / req.batch - 1),
        r.classifierName.c_str());
    std::printf("confident (p >= %.2f): %.1f%% of samples", r.threshold, 100.0 * r.samples.shareConfident);
    if (r.hasReference)
        std::printf(", %.1f%% of %d real test images (accuracy %.1f%%)", 100.0 * r.reference.shareConfident,
            r.reference.images, 100.0 * r.reference.accuracy);
    std::printf("\nmean top probability: %.3f samples", r.samples.meanMaxProb);
    if (r.hasReference)
        std::printf(", %.3f real", r.reference.meanMaxProb);
    std::printf("\n\n%-14s %8s %10s", "class", "samples", "confident");
    if (r.hasReference)
        std::printf(" %8s %10s", "real", "confident");
    std::printf("\n");
    for (std::size_t c = 0; c < r.samples.perClass.size(); ++c) {
        const auto &s = r.samples.perClass[c];
        std::printf("%-14s %8d %10d", s.name.c_str(), s.count, s.confident);
        if (r.hasReference)
            std::printf(" %8d %10d", r.reference.perClass[c].count, r.reference.perClass[c].confident);
        std::printf("\n");
    }
    std::printf("\n%.1f s (sampling %.1f s)\n", r.seconds, r.samplingSeconds);
    if (!r.gridFile.empty())
        std::printf("grid: %s\n", r.gridFile.c_str());
    return kOk;
}

} // namespace

std::vector<Command> evalDdpmCommands()
{
    return {
        {"eval ddpm",
            "eval ddpm --model M [--samples 256] [--scheduler ddpm|ddim] [--steps N] [--eta E] [--seed S] [--batch 64] "
            "[--classifier clip-mini] [--threshold 0.5] [--crop 28] [--reference N | --no-reference] "
            "[--fashion-mnist DIR] [--grid OUT.png]  sample quality of a Fashion-MNIST DDPM: the share of samples the "
            "classifier names "
            "as one class with probability >= threshold (batch b uses seed S+b); the first N real test images "
            "(default: as many as samples), padded like the trainer's, are scored the same way; both are "
            "centre-cropped "
            "to --crop px (28: the trainer's padding undone; 0: none) before the classifier's preprocessing",
            {"model", "samples", "scheduler", "steps", "eta", "seed", "batch", "classifier", "threshold", "reference",
                "fashion-mnist", "grid", "crop"},
            {"no-reference"}, runEvalDdpm},
    };
}

} // namespace ml::cli
