// `modallens-cli eval vqa`: exact-match VQA accuracy of a BLIP-2 or a LLaVA on a folder (vqa.json)
// or on fixed generated sets: Shapes World per question type (held-out colour-shape pairs apart)
// and Fashion-MNIST "what is this?"; and captions of two-object scenes naming every object.
#include "cli_common.h"

#include "engine/vqa_eval_service.h"

#include <cstdio>

namespace ml::cli {

namespace {

int count(const Context &ctx, const std::string &name, int fallback)
{
    const int v = ctx.args.intOr(name, fallback);
    if (ctx.args.value(name) && v <= 0)
        throw UsageError("--" + name + " must be positive");
    return v;
}

std::string percent(double v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * v);
    return v < 0 ? std::string("-") : std::string(buf);
}

int runEvalVqa(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("eval vqa takes no positional arguments");
    const auto model = ctx.args.value("model");
    if (!model || model->empty())
        throw UsageError("eval vqa needs --model M (a BLIP-2 or LLaVA folder, blip2-mini or llava-mini)");
    VqaEvalRequest req;
    req.model = *model;
    req.folder = ctx.args.valueOr("folder", "");
    req.shapes = count(ctx, "shapes", 0);
    req.fashion = count(ctx, "fashion-mnist", 0);
    req.captions = count(ctx, "captions", 0);
    if (req.folder.empty() && req.shapes == 0 && req.fashion == 0 && req.captions == 0)
        throw UsageError(
            "eval vqa needs --folder DIR (images + vqa.json), --shapes N, --fashion-mnist N or --captions N");
    if (ctx.args.value("seed")) {
        const int seed = ctx.args.intOr("seed", 0);
        if (seed < 0)
            throw UsageError("--seed must be 0 or more");
        req.seed = static_cast<std::uint64_t>(seed);
    }
    req.augmented = !ctx.args.flag("no-augment");
    req.fashionMnistDir = ctx.args.valueOr("fashion-mnist-dir", "");
    req.batchSize = count(ctx, "batch", 64);
    req.maxNewTokens = count(ctx, "max-new-tokens", 8);
    req.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<VqaEvalResult>(runJob(ctx.global, makeVqaEvalJob(req)));

    if (ctx.global.json) {
        nlohmann::json items = nlohmann::json::array();
        for (const VqaEvalItem &item : r.items) {
            nlohmann::json j = {{"question", item.question}, {"answer", item.answer}, {"type", item.type},
                {"predicted", item.predicted}, {"correct", item.correct}};
            if (!item.file.empty())
                j["file"] = item.file;
            if (item.heldOut)
                j["held_out"] = true;
            items.push_back(std::move(j));
        }
        nlohmann::json doc = {{"model", r.model}, {"overall", r.overall}, {"per_type", r.perType},
            {"per_type_n", r.perTypeN}, {"n", r.n}, {"dtype", r.dtype}, {"seconds", r.seconds}, {"items", items}};
        if (r.heldOutN > 0) {
            doc["held_out"] = r.heldOut;
            doc["held_out_n"] = r.heldOutN;
        }
        if (r.shapesN > 0) {
            doc["shapes"] = r.shapes;
            doc["shapes_n"] = r.shapesN;
        }
        if (r.fashionN > 0) {
            doc["fashion_mnist"] = r.fashion;
            doc["fashion_mnist_n"] = r.fashionN;
        }
        if (r.captionsN > 0) {
            doc["captions"] = r.captions;
            doc["captions_n"] = r.captionsN;
        }
        printJson(doc);
        return kOk;
    }
    if (r.n > 0)
        std::printf("%s: exact match %s over %lld questions (%s, %.1f s)\n", r.model.c_str(),
            percent(r.overall).c_str(), static_cast<long long>(r.n), r.dtype.c_str(), r.seconds);
    if (r.shapesN > 0 && r.fashionN > 0)
        std::printf("Shapes World %s over %lld questions, Fashion-MNIST %s over %lld\n", percent(r.shapes).c_str(),
            static_cast<long long>(r.shapesN), percent(r.fashion).c_str(), static_cast<long long>(r.fashionN));
    if (r.n > 0) {
        std::printf("\n%-10s %8s %6s\n", "type", "accuracy", "n");
        for (const auto &[type, acc] : r.perType)
            std::printf(
                "%-10s %8s %6lld\n", type.c_str(), percent(acc).c_str(), static_cast<long long>(r.perTypeN.at(type)));
    }
    if (r.heldOutN > 0)
        std::printf("\nscenes with a held-out colour-shape pair: %s over %lld questions (not in the overall figure)\n",
            percent(r.heldOut).c_str(), static_cast<long long>(r.heldOutN));
    if (r.captionsN > 0)
        std::printf("\ncaptions naming every object's colour and shape: %s of %lld two-object images (%s, %.1f s)\n",
            percent(r.captions).c_str(), static_cast<long long>(r.captionsN), r.dtype.c_str(), r.seconds);
    return kOk;
}

} // namespace

std::vector<Command> evalVqaCommands()
{
    return {
        {"eval vqa",
            "eval vqa --model M (--folder DIR | --shapes N | --fashion-mnist N | --captions N) [--seed S] "
            "[--no-augment] [--fashion-mnist-dir DIR] [--batch 64] [--json]  exact-match VQA accuracy of a BLIP-2 or "
            "LLaVA, per question type; captions of two-object scenes naming every object",
            {"model", "folder", "shapes", "fashion-mnist", "captions", "seed", "fashion-mnist-dir", "batch",
                "max-new-tokens"},
            {"no-augment"}, runEvalVqa},
    };
}

} // namespace ml::cli
