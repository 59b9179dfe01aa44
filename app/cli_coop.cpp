// `modallens-cli train coop`: CoOp prompt tuning on a labelled folder; prints the accuracy of
// the hand-written and the learnt prompt on the held-out images and what the context reads as.
#include "cli_common.h"

#include "engine/coop_service.h"

#include <cstdio>
#include <iostream>

namespace ml::cli {

namespace {

int positive(const Context &ctx, const std::string &name, int fallback, bool zeroAllowed = false)
{
    const int v = ctx.args.intOr(name, fallback);
    if (ctx.args.value(name) && (v < 0 || (v == 0 && !zeroAllowed)))
        throw UsageError("--" + name + " must be " + (zeroAllowed ? "0 or more" : "positive"));
    return v;
}

nlohmann::json wordsJson(const std::vector<CoopContextWords> &words, const std::vector<std::string> &classes)
{
    nlohmann::json out = nlohmann::json::array();
    for (const auto &w : words) {
        nlohmann::json nearest = nlohmann::json::array();
        for (const auto &n : w.nearest)
            nearest.push_back({{"word", n.word}, {"distance", n.distance}});
        nlohmann::json entry {{"position", w.position}, {"nearest", nearest}};
        if (w.classIndex >= 0)
            entry["class"] = classes[static_cast<std::size_t>(w.classIndex)];
        out.push_back(std::move(entry));
    }
    return out;
}

// Pads to `width` characters (UTF-8 code points, not bytes: byte-level BPE pieces are not ASCII).
std::string padded(const std::string &text, std::size_t width)
{
    std::size_t chars = 0;
    for (const unsigned char c : text)
        chars += (c & 0xC0) != 0x80;
    return text + std::string(chars < width ? width - chars : 0, ' ');
}

void printWords(const CoopResult &r)
{
    int shownClass = -2;
    std::string reading;
    const auto flush = [&] {
        if (!reading.empty())
            std::printf("  reads as: \"%s\"\n", reading.c_str());
        reading.clear();
    };
    for (const auto &w : r.words) {
        if (w.classIndex != shownClass) {
            flush();
            shownClass = w.classIndex;
            if (w.classIndex >= 0)
                std::printf("class %s:\n", r.classes[static_cast<std::size_t>(w.classIndex)].c_str());
        }
        std::printf("  ctx %2d:", w.position + 1);
        for (const auto &n : w.nearest)
            std::printf("  %s (%.3f)", padded(n.word, 14).c_str(), n.distance);
        std::printf("\n");
        if (!w.nearest.empty())
            reading += (reading.empty() ? "" : " ") + w.nearest.front().word;
    }
    flush();
}

int runTrainCoop(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("train coop takes no positional arguments");
    CoopRequest req;
    const auto model = ctx.args.value("model");
    if (!model || model->empty())
        throw UsageError("--model FOLDER (or an embedded model name such as clip-mini) is required");
    req.model = *model;
    const auto folder = ctx.args.value("folder");
    if (!folder || folder->empty())
        throw UsageError("--folder DIR (one sub-folder of images per class) is required");
    req.folder = *folder;
    const auto out = ctx.args.value("out");
    if (!out || out->empty())
        throw UsageError("--out FILE.safetensors (where the learnt prompt goes) is required");
    req.out = *out;
    req.shots = positive(ctx, "shots", req.shots);
    req.classSpecific = ctx.args.flag("csc");
    req.initWords = ctx.args.valueOr("init", "");
    if (ctx.args.value("init") && req.initWords.find_first_not_of(" \t") == std::string::npos)
        throw UsageError("--init needs words, e.g. --init \"a photo of a\"");
    if (ctx.args.value("ctx") && !req.initWords.empty())
        throw UsageError("--init sets the number of context vectors (one per token of its words); drop --ctx");
    req.contextVectors = positive(ctx, "ctx", req.contextVectors);
    if (ctx.args.value("steps") && ctx.args.value("epochs"))
        throw UsageError("give --steps or --epochs, not both");
    if (ctx.args.value("steps"))
        req.steps = positive(ctx, "steps", 0);
    if (ctx.args.value("epochs"))
        req.epochs = positive(ctx, "epochs", 0);
    req.batch = positive(ctx, "batch", req.batch);
    if (ctx.args.value("lr")) {
        req.lr = ctx.args.doubleOr("lr", -1.0);
        if (*req.lr <= 0)
            throw UsageError("--lr must be positive");
    }
    req.optimizer = ctx.args.valueOr("optimizer", req.optimizer);
    if (req.optimizer != "adamw" && req.optimizer != "sgd")
        throw UsageError("--optimizer must be adamw or sgd");
    if (ctx.args.value("seed"))
        req.seed = static_cast<std::uint64_t>(positive(ctx, "seed", 0, true));
    req.templ = ctx.args.valueOr("template", req.templ);
    if (req.templ.find("{}") == std::string::npos)
        throw UsageError("--template \"" + req.templ + "\" has no {} where the label goes");
    req.evalLimit = positive(ctx, "eval-limit", 0, true);
    req.compute = {ctx.global.device, ctx.global.dtype};
    if (!ctx.global.quiet)
        req.onMetric = [](const CoopMetric &m) {
            std::fprintf(stderr, "step %lld/%lld  loss %.4f  shots accuracy %.1f%%  lr %.2e  %.1f steps/s\n",
                static_cast<long long>(m.step), static_cast<long long>(m.totalSteps), m.loss, 100.0 * m.trainAccuracy,
                m.lr, m.stepsPerS);
        };

    const auto r = std::any_cast<CoopResult>(runJob(ctx.global, makeCoopTrainJob(req)));
    for (const auto &w : r.warnings)
        warn(ctx.global, w);

    if (ctx.global.json) {
        nlohmann::json perClass = nlohmann::json::array();
        for (std::size_t c = 0; c < r.classes.size(); ++c)
            perClass.push_back(
                {{"class", r.classes[c]}, {"before", r.perClassBefore[c]}, {"after", r.perClassAfter[c]}});
        printJson({{"out", r.out}, {"model", r.modelName}, {"classes", r.classes}, {"class_specific", r.classSpecific},
            {"n_ctx", r.contextVectors}, {"width", r.width}, {"shots", r.shots}, {"seed", r.seed},
            {"init", r.initWords}, {"template", r.templ}, {"optimizer", r.optimizer}, {"lr", r.lr}, {"steps", r.steps},
            {"train_images", r.trainImages}, {"eval_images", r.evalImages}, {"accuracy_before", r.accuracyBefore},
            {"accuracy_after", r.accuracyAfter}, {"per_class", perClass}, {"final_loss", r.finalLoss},
            {"train_accuracy", r.trainAccuracy}, {"seconds", r.seconds}, {"feature_seconds", r.featureSeconds},
            {"train_seconds", r.trainSeconds}, {"steps_per_s", r.stepsPerS}, {"words", wordsJson(r.words, r.classes)},
            {"dtype", r.dtype}, {"device", r.device}, {"warnings", r.warnings}});
        return kOk;
    }
    std::printf("learnt a %s prompt of %d context vectors for %zu classes on %s (%d shots per class, seed %llu)\n",
        r.classSpecific ? "class-specific" : "unified", r.contextVectors, r.classes.size(), r.modelName.c_str(),
        r.shots, static_cast<unsigned long long>(r.seed));
    std::printf("held-out accuracy over %lld images: \"%s\" %.1f%%  ->  learnt prompt %.1f%%\n",
        static_cast<long long>(r.evalImages), r.templ.c_str(), 100.0 * r.accuracyBefore, 100.0 * r.accuracyAfter);
    std::printf("\n%-24s %9s %9s\n", "class", "template", "learnt");
    for (std::size_t c = 0; c < r.classes.size(); ++c)
        std::printf(
            "%-24s %8.1f%% %8.1f%%\n", r.classes[c].c_str(), 100.0 * r.perClassBefore[c], 100.0 * r.perClassAfter[c]);
    std::printf("\nnearest vocabulary words to each context vector (Euclidean distance):\n");
    printWords(r);
    std::printf("\n%lld steps (%s, lr %.2g), final loss %.4f, shots accuracy %.1f%%\n", static_cast<long long>(r.steps),
        r.optimizer.c_str(), r.lr, r.finalLoss, 100.0 * r.trainAccuracy);
    std::printf("wall time %.1f s: image features %.1f s (%lld images), training %.1f s (%.1f steps/s); %s on %s\n",
        r.seconds, r.featureSeconds, static_cast<long long>(r.trainImages + r.evalImages), r.trainSeconds, r.stepsPerS,
        r.dtype.c_str(), r.device.c_str());
    std::printf("saved: %s\n", r.out.c_str());
    return kOk;
}

} // namespace

std::vector<Command> coopCommands()
{
    return {
        {"train coop",
            "train coop --model M --folder DIR --out FILE.safetensors [--shots K] [--ctx M] [--csc] [--init WORDS] "
            "[--steps N|--epochs N] [--lr X] [--optimizer adamw|sgd] [--seed S] [--template T] [--eval-limit N]  "
            "learn a prompt (CoOp)",
            {"model", "folder", "out", "shots", "ctx", "init", "steps", "epochs", "batch", "lr", "optimizer", "seed",
                "template", "eval-limit"},
            {"csc"}, runTrainCoop},
    };
}

} // namespace ml::cli
