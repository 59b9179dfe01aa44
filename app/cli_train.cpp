// `modallens-cli train clip|ddpm|blip2|llava`: CLIP, DDPM, BLIP-2 and LLaVA training into a run
// folder (HF checkpoint, metrics.jsonl, TensorBoard events), with resume.
#include "cli_common.h"

#include "common/error.h"
#include "engine/blip2_train_service.h"
#include "engine/clip_train_service.h"
#include "engine/ddpm_train_service.h"
#include "engine/llava_train_service.h"
#include "engine/zero_shot_eval_service.h"
#include "train/run_folder.h"
#include "train/train_log.h"

#include <cstdio>
#include <iostream>
#include <optional>

namespace ml::cli {

namespace {

std::string percent(double v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * v);
    return v < 0 ? std::string("-") : std::string(buf);
}

// "61.0% of 100 images": a held-out figure with the number of images behind it.
std::string percentOf(double v, std::int64_t images)
{
    return v < 0 || images <= 0 ? percent(v) : percent(v) + " of " + std::to_string(images) + " images";
}

// A trainer's progress line to stderr, without its end: step, loss, lr, speed and time left.
void printStepProgress(const TrainMetric &m)
{
    std::fprintf(stderr, "step %lld/%lld  loss %.4f  lr %.2e  %.2f steps/s  %.0f img/s", static_cast<long long>(m.step),
        static_cast<long long>(m.totalSteps), m.loss, m.lr, m.stepsPerS, m.imagesPerS);
    if (m.etaSeconds >= 0)
        std::fprintf(stderr, "  eta %.0f min", m.etaSeconds / 60.0);
}

std::int64_t positiveOr(const Context &ctx, const std::string &name, std::int64_t fallback, bool zeroAllowed = false)
{
    const int v = ctx.args.intOr(name, static_cast<int>(fallback));
    if (ctx.args.value(name) && (v < 0 || (v == 0 && !zeroAllowed)))
        throw UsageError("--" + name + " must be " + (zeroAllowed ? "0 or more" : "positive"));
    return v;
}

// The option's value when given (checked as positiveOr does), nothing otherwise.
std::optional<std::int64_t> givenCount(const Context &ctx, const std::string &name, bool zeroAllowed = false)
{
    if (!ctx.args.value(name))
        return std::nullopt;
    return positiveOr(ctx, name, 0, zeroAllowed);
}

// --resume: the folder must hold a run of this command's model (read through core/train/run_folder);
// a run of the other model names the command that continues it.
void checkResumeFolder(const std::string &outDir, train::RunKind kind)
{
    const train::RunState state = train::readRunState(outDir); // throws, naming the folder or the file
    const char *names[] = {"CLIP", "DDPM", "BLIP-2", "LLaVA"};
    if (state.kind != kind)
        throw Error(outDir + ": holds a " + names[static_cast<int>(state.kind)] + " run; continue it with `train "
            + train::runKindName(state.kind) + " --resume`");
}

// What `train clip` and `train ddpm` read alike: the run folder, resume, the preset and the
// optimiser's steps, batch, seed, learning rate and log / eval / checkpoint cadence.
template<class Request> void readCommonTrainArgs(const Context &ctx, const std::string &command, Request &req)
{
    if (!ctx.args.positional().empty())
        throw UsageError(command + " takes no positional arguments");
    const auto out = ctx.args.value("out");
    if (!out || out->empty())
        throw UsageError("--out DIR (the run folder) is required");
    req.outDir = *out;
    req.resume = ctx.args.flag("resume");
    req.preset = ctx.args.valueOr("preset", "");
    if (!req.preset.empty() && req.preset != "mini" && req.preset != "tiny")
        throw UsageError("--preset must be mini or tiny");
    req.steps = givenCount(ctx, "steps");
    req.batch = givenCount(ctx, "batch");
    if (const auto seed = givenCount(ctx, "seed", true))
        req.seed = static_cast<std::uint64_t>(*seed);
    req.evalEvery = givenCount(ctx, "eval-every", true);
    req.logEvery = givenCount(ctx, "log-every");
    req.checkpointEvery = givenCount(ctx, "checkpoint-every", true);
    if (ctx.args.value("lr")) {
        req.lr = ctx.args.doubleOr("lr", -1.0);
        if (*req.lr <= 0)
            throw UsageError("--lr must be positive");
    }
    if constexpr (requires { req.fashionMnistDir; }) // LLaVA trains on Shapes World alone
        req.fashionMnistDir = ctx.args.valueOr("fashion-mnist", "");
    if (req.resume)
        checkResumeFolder(req.outDir,
            command == "train ddpm"        ? train::RunKind::Ddpm
                : command == "train blip2" ? train::RunKind::Blip2
                : command == "train llava" ? train::RunKind::Llava
                                           : train::RunKind::Clip);
}

int runTrainClip(Context &ctx)
{
    ClipTrainRequest req;
    readCommonTrainArgs(ctx, "train clip", req);
    req.width = givenCount(ctx, "width");
    req.layers = givenCount(ctx, "layers");
    req.dtype = ctx.global.dtype;
    if (req.dtype == "fp16")
        throw UsageError("--dtype fp16 is for GPUs; training on the CPU takes auto, fp32 or bf16");
    if (!ctx.global.quiet)
        req.onMetric = [](const TrainMetric &m) {
            std::fprintf(stderr, "step %lld/%lld  loss %.4f  lr %.2e  T %.4f  %.0f img/s",
                static_cast<long long>(m.step), static_cast<long long>(m.totalSteps), m.loss, m.lr, m.temperature,
                m.imagesPerS);
            if (m.evaluated)
                std::fprintf(stderr, "  shapes %s (held-out %s of %lld)  fashion %s",
                    percent(m.evaluation.shapes).c_str(), percent(m.evaluation.shapesHeldOut).c_str(),
                    static_cast<long long>(m.evaluation.shapesHeldOutImages), percent(m.evaluation.fashion).c_str());
            std::fprintf(stderr, "\n");
        };

    const auto r = std::any_cast<ClipTrainResult>(runJob(ctx.global, makeClipTrainJob(req)));
    for (const auto &w : r.warnings)
        warn(ctx.global, w);
    if (ctx.global.json) {
        printJson({{"out", r.outDir}, {"preset", r.preset}, {"start_step", r.startStep}, {"steps", r.steps},
            {"total_steps", r.totalSteps}, {"stopped", r.stopped}, {"final_loss", r.finalLoss}, {"seconds", r.seconds},
            {"steps_per_s", r.stepsPerS}, {"images_per_s", r.imagesPerS}, {"dtype", r.dtype},
            {"parameters", r.parameters}, {"evaluation", train::accuracyJson(r.evaluation)}, {"warnings", r.warnings}});
        return kOk;
    }
    std::printf("trained %s: steps %lld..%lld of %lld in %.1f s (%.2f steps/s, %.0f images/s, %s)\n", r.preset.c_str(),
        static_cast<long long>(r.startStep), static_cast<long long>(r.steps), static_cast<long long>(r.totalSteps),
        r.seconds, r.stepsPerS, r.imagesPerS, r.dtype.c_str());
    std::printf("final loss %.4f; zero-shot: shapes %s, held-out pairs %s, fashion-mnist %s\n", r.finalLoss,
        percentOf(r.evaluation.shapes, r.evaluation.shapesImages).c_str(),
        percentOf(r.evaluation.shapesHeldOut, r.evaluation.shapesHeldOutImages).c_str(),
        percentOf(r.evaluation.fashion, r.evaluation.fashionImages).c_str());
    std::printf("checkpoint: %s (metrics.jsonl and TensorBoard events beside it)\n", r.outDir.c_str());
    return kOk;
}

std::vector<std::int64_t> parseChannels(const std::string &text)
{
    std::vector<std::int64_t> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto comma = text.find(',', pos);
        const std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        std::size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(part, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (part.empty() || used != part.size() || v <= 0)
            throw UsageError(
                "--channels must be positive integers separated by commas, e.g. 32,64,128 (got '" + text + "')");
        out.push_back(v);
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    return out;
}

int runTrainDdpm(Context &ctx)
{
    DdpmTrainRequest req;
    readCommonTrainArgs(ctx, "train ddpm", req);
    if (ctx.args.flag("flip"))
        req.randomFlip = true;
    req.layersPerBlock = givenCount(ctx, "layers");
    req.sampleSteps = givenCount(ctx, "sample-steps");
    if (const auto channels = ctx.args.value("channels"))
        req.blockOutChannels = parseChannels(*channels);
    if (ctx.global.dtype != "auto" && ctx.global.dtype != "fp32")
        throw UsageError("train ddpm trains in fp32 (--dtype auto or fp32)");
    if (!ctx.global.quiet)
        req.onMetric = [](const TrainMetric &m) {
            printStepProgress(m);
            std::fprintf(stderr, "\n");
        };

    const auto r = std::any_cast<DdpmTrainResult>(runJob(ctx.global, makeDdpmTrainJob(req)));
    for (const auto &w : r.warnings)
        warn(ctx.global, w);
    if (ctx.global.json) {
        printJson({{"out", r.outDir}, {"preset", r.preset}, {"start_step", r.startStep}, {"steps", r.steps},
            {"total_steps", r.totalSteps}, {"stopped", r.stopped}, {"final_loss", r.finalLoss}, {"seconds", r.seconds},
            {"steps_per_s", r.stepsPerS}, {"images_per_s", r.imagesPerS}, {"dtype", "fp32"},
            {"parameters", r.parameters}, {"weight_bytes", r.weightBytes}, {"sample_grid", r.sampleGrid},
            {"warnings", r.warnings}});
        return kOk;
    }
    std::printf("trained %s: steps %lld..%lld of %lld in %.1f s (%.2f steps/s, %.0f images/s, fp32)\n",
        r.preset.c_str(), static_cast<long long>(r.startStep), static_cast<long long>(r.steps),
        static_cast<long long>(r.totalSteps), r.seconds, r.stepsPerS, r.imagesPerS);
    std::printf("final loss %.4f; %lld parameters (EMA weights, %.1f MB)\n", r.finalLoss,
        static_cast<long long>(r.parameters), static_cast<double>(r.weightBytes) / 1e6);
    if (!r.sampleGrid.empty())
        std::printf("sample grid: %s\n", r.sampleGrid.c_str());
    std::printf(
        "checkpoint: %s (diffusers layout; metrics.jsonl and TensorBoard events beside it)\n", r.outDir.c_str());
    return kOk;
}

// The command as given (global options and the options this command reads), for a README.
std::string commandLine(const Context &ctx, const std::string &command, const std::vector<std::string> &options,
    const std::vector<std::string> &flags)
{
    std::string line = "modallens-cli";
    if (ctx.global.threads > 0)
        line += " --threads " + std::to_string(ctx.global.threads);
    if (ctx.global.dtype != "auto")
        line += " --dtype " + ctx.global.dtype;
    line += " " + command;
    for (const std::string &name : options)
        if (const auto v = ctx.args.value(name))
            line += " --" + name + " " + *v;
    for (const std::string &name : flags)
        if (ctx.args.flag(name))
            line += " --" + name;
    return line;
}

// What `train blip2` and `train llava` read besides the common arguments: stage 1's steps, the CLIP
// to start from, the dtype, and the command line for the README.
template<class Request>
void readVlmTrainArgs(
    const Context &ctx, const std::string &command, const std::vector<std::string> &options, Request &req)
{
    readCommonTrainArgs(ctx, command, req);
    req.stage1Steps = givenCount(ctx, "stage1-steps", true);
    req.visionFrom = ctx.args.valueOr("vision-from", "");
    req.dtype = ctx.global.dtype;
    req.command = commandLine(ctx, command, options, {"resume"});
    if (req.dtype == "fp16")
        throw UsageError("--dtype fp16 is for GPUs; training on the CPU takes auto, fp32 or bf16");
}

// The job's result, its warnings printed.
template<class Result> Result runVlmTrainJob(const Context &ctx, Job job)
{
    auto r = std::any_cast<Result>(runJob(ctx.global, std::move(job)));
    for (const auto &w : r.warnings)
        warn(ctx.global, w);
    return r;
}

// The --json fields `train blip2` and `train llava` share.
nlohmann::json vlmTrainJson(const VlmTrainResult &r)
{
    return {{"out", r.outDir}, {"preset", r.preset}, {"start_step", r.startStep}, {"steps", r.steps},
        {"total_steps", r.totalSteps}, {"stage1_steps", r.stage1Steps}, {"stopped", r.stopped},
        {"final_loss", r.finalLoss}, {"seconds", r.seconds}, {"steps_per_s", r.stepsPerS},
        {"images_per_s", r.imagesPerS}, {"dtype", r.dtype}, {"parameters", r.parameters},
        {"weight_bytes", r.weightBytes}, {"evaluation", train::accuracyJson(r.evaluation)}, {"per_type", r.perType},
        {"warnings", r.warnings}};
}

// "trained PRESET: steps A..B of N (S STAGE1) in T s (X steps/s, DTYPE)".
void printVlmTrained(const VlmTrainResult &r, const char *stage1)
{
    std::printf("trained %s: steps %lld..%lld of %lld (%lld %s) in %.1f s (%.2f steps/s, %s)\n", r.preset.c_str(),
        static_cast<long long>(r.startStep), static_cast<long long>(r.steps), static_cast<long long>(r.totalSteps),
        static_cast<long long>(r.stage1Steps), stage1, r.seconds, r.stepsPerS, r.dtype.c_str());
}

void printPerType(const std::map<std::string, double> &perType)
{
    for (const auto &[type, acc] : perType)
        std::printf("  %-8s %s\n", type.c_str(), percent(acc).c_str());
}

const std::vector<std::string> kBlip2Options = {"preset", "out", "steps", "stage1-steps", "batch", "lr", "seed",
    "fashion-mnist", "eval-every", "log-every", "checkpoint-every", "vision-from"};

int runTrainBlip2(Context &ctx)
{
    Blip2TrainRequest req;
    readVlmTrainArgs(ctx, "train blip2", kBlip2Options, req);
    if (!ctx.global.quiet)
        req.onMetric = [](const TrainMetric &m) {
            printStepProgress(m);
            if (m.evaluated)
                std::fprintf(stderr, "  vqa: shapes %s (held-out pairs %s)  fashion %s",
                    percent(m.evaluation.shapes).c_str(), percent(m.evaluation.shapesHeldOut).c_str(),
                    percent(m.evaluation.fashion).c_str());
            std::fprintf(stderr, "\n");
        };

    const auto r = runVlmTrainJob<Blip2TrainResult>(ctx, makeBlip2TrainJob(req));
    if (ctx.global.json) {
        printJson(vlmTrainJson(r));
        return kOk;
    }
    printVlmTrained(r, "contrastive");
    std::printf("final loss %.4f; %lld parameters (%.1f MB); VQA: shapes %s, held-out pairs %s, fashion-mnist %s\n",
        r.finalLoss, static_cast<long long>(r.parameters), static_cast<double>(r.weightBytes) / 1e6,
        percentOf(r.evaluation.shapes, r.evaluation.shapesImages).c_str(),
        percentOf(r.evaluation.shapesHeldOut, r.evaluation.shapesHeldOutImages).c_str(),
        percentOf(r.evaluation.fashion, r.evaluation.fashionImages).c_str());
    printPerType(r.perType);
    std::printf("checkpoint: %s (Hugging Face Blip2 layout; metrics.jsonl and TensorBoard events beside it)\n",
        r.outDir.c_str());
    return kOk;
}

const std::vector<std::string> kLlavaOptions = {"preset", "out", "steps", "stage1-steps", "batch", "lr", "seed",
    "eval-every", "log-every", "checkpoint-every", "vision-from"};

int runTrainLlava(Context &ctx)
{
    LlavaTrainRequest req;
    readVlmTrainArgs(ctx, "train llava", kLlavaOptions, req);
    if (!ctx.global.quiet)
        req.onMetric = [](const TrainMetric &m) {
            printStepProgress(m);
            if (m.evaluated)
                std::fprintf(stderr, "  vqa: shapes %s (held-out pairs %s)", percent(m.evaluation.shapes).c_str(),
                    percent(m.evaluation.shapesHeldOut).c_str());
            std::fprintf(stderr, "\n");
        };

    const auto r = runVlmTrainJob<LlavaTrainResult>(ctx, makeLlavaTrainJob(req));
    if (ctx.global.json) {
        auto doc = vlmTrainJson(r);
        doc["captions"] = r.captions;
        doc["caption_images"] = r.captionImages;
        printJson(doc);
        return kOk;
    }
    printVlmTrained(r, "on captions");
    std::printf("final loss %.4f; %lld parameters (%.1f MB); VQA: shapes %s, held-out pairs %s; captions %s\n",
        r.finalLoss, static_cast<long long>(r.parameters), static_cast<double>(r.weightBytes) / 1e6,
        percentOf(r.evaluation.shapes, r.evaluation.shapesImages).c_str(),
        percentOf(r.evaluation.shapesHeldOut, r.evaluation.shapesHeldOutImages).c_str(),
        percentOf(r.captions, r.captionImages).c_str());
    printPerType(r.perType);
    std::printf("checkpoint: %s (llava-hf layout; metrics.jsonl and TensorBoard events beside it)\n", r.outDir.c_str());
    return kOk;
}

} // namespace

int runEvalDataset(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("eval zero-shot takes no positional arguments");
    if (ctx.args.value("folder"))
        throw UsageError("give either --folder or --dataset, not both");
    ZeroShotEvalRequest req;
    const auto model = ctx.args.value("model");
    if (!model || model->empty())
        throw UsageError("--model FOLDER (or an embedded model name) is required");
    req.model = *model;
    req.dataset = *ctx.args.value("dataset");
    if (req.dataset != "shapes" && req.dataset != "fashion-mnist")
        throw UsageError("--dataset must be shapes or fashion-mnist");
    if (ctx.args.value("template"))
        throw UsageError("--dataset sets use their own prompts; --template goes with --folder");
    req.limit = positiveOr(ctx, "limit", 0, true);
    req.batchSize = static_cast<int>(positiveOr(ctx, "batch", 128));
    if (ctx.args.value("seed"))
        req.seed = static_cast<std::uint64_t>(positiveOr(ctx, "seed", 0, true));
    req.augmented = !ctx.args.flag("no-augment");
    req.fashionMnistDir = ctx.args.valueOr("fashion-mnist", "");
    req.dtype = ctx.global.dtype;
    const auto r = std::any_cast<ZeroShotEvalResult>(runJob(ctx.global, makeZeroShotEvalJob(req)));

    if (ctx.global.json) {
        nlohmann::json doc
            = {{"dataset", r.dataset}, {"accuracy", r.accuracy}, {"images", r.images}, {"classes", r.classes},
                {"per_class", perClassJson(r.classes, r.confusion, r.perClassAccuracy)}, {"confusion", r.confusion}};
        if (r.heldOutAccuracy >= 0) {
            doc["held_out_accuracy"] = r.heldOutAccuracy;
            doc["held_out_images"] = r.heldOutImages;
        }
        printJson(doc);
        return kOk;
    }
    std::printf("%s: accuracy %s over %lld images, %zu classes\n", r.dataset.c_str(), percent(r.accuracy).c_str(),
        static_cast<long long>(r.images), r.classes.size());
    if (r.heldOutAccuracy >= 0)
        std::printf("held-out colour-shape pairs: %s over %lld images\n", percent(r.heldOutAccuracy).c_str(),
            static_cast<long long>(r.heldOutImages));
    std::printf("\n");
    printPerClassTable(r.classes, r.confusion, r.perClassAccuracy, r.classes.size() <= 12);
    return kOk;
}

std::vector<Command> trainCommands()
{
    std::vector<Command> commands {
        {"train clip",
            "train clip --preset mini|tiny --out DIR [--steps N] [--batch N] [--lr X] [--seed S] [--resume] "
            "[--fashion-mnist DIR] [--eval-every N]  contrastive CLIP training",
            {"preset", "out", "steps", "batch", "lr", "seed", "fashion-mnist", "eval-every", "log-every",
                "checkpoint-every", "width", "layers"},
            {"resume"}, runTrainClip},
        {"train ddpm",
            "train ddpm --preset mini|tiny --out DIR [--steps N] [--batch N] [--lr X] [--seed S] [--resume] "
            "[--fashion-mnist DIR] [--eval-every N] [--flip]  DDPM training of a UNet on Fashion-MNIST (32x32)",
            {"preset", "out", "steps", "batch", "lr", "seed", "fashion-mnist", "eval-every", "log-every",
                "checkpoint-every", "channels", "layers", "sample-steps"},
            {"resume", "flip"}, runTrainDdpm},
        {"train blip2",
            "train blip2 --preset mini|tiny --out DIR [--steps N] [--stage1-steps N] [--batch N] [--lr X] [--seed S] "
            "[--resume] [--fashion-mnist DIR] [--eval-every N]  BLIP-2 (blip2-mini) on Shapes World VQA, captions and "
            "Fashion-MNIST: contrastive stage, then generative",
            kBlip2Options, {"resume"}, runTrainBlip2},
        {"train llava",
            "train llava --preset mini|tiny --out DIR [--steps N] [--stage1-steps N] [--batch N] [--lr X] [--seed S] "
            "[--resume] [--eval-every N]  LLaVA (llava-mini) on Shapes World: captions, then multi-turn questions",
            kLlavaOptions, {"resume"}, runTrainLlava},
    };
    const auto vqa = evalVqaCommands();
    commands.insert(commands.end(), vqa.begin(), vqa.end());
    return commands;
}

} // namespace ml::cli
