// `modallens-cli models | tokenize | embed | classify | eval zero-shot`: the CLIP service from
// the command line, with the JSON shapes of ../shared/specs/cli.md.
#include "cli_common.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "io/safetensors.h"

#include <cstdio>
#include <iostream>
#include <sstream>

namespace ml::cli {

namespace {

ComputeOptions compute(const GlobalOptions &g)
{
    return {g.device, g.dtype};
}

std::string requiredModel(const Context &ctx)
{
    const auto m = ctx.args.value("model");
    if (!m || m->empty())
        throw UsageError("--model FOLDER (or an embedded model name) is required");
    return *m;
}

std::string trim(const std::string &s)
{
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

std::vector<std::string> splitLabels(const std::string &list)
{
    std::vector<std::string> labels;
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ';');) {
        item = trim(item);
        if (!item.empty())
            labels.push_back(item);
    }
    if (labels.empty())
        throw UsageError("--labels needs at least one label, e.g. --labels \"cat;dog;car\"");
    return labels;
}

std::vector<std::string> templatesOf(const Context &ctx)
{
    auto templates = ctx.args.values("template");
    if (templates.empty())
        return {"a photo of a {}."};
    for (const auto &t : templates)
        if (t.find("{}") == std::string::npos)
            throw UsageError("--template \"" + t + "\" has no {} where the label goes");
    return templates;
}

// --prompt FILE: a learnt (CoOp) prompt instead of templates; "" when not given.
std::string learntPromptOf(const Context &ctx)
{
    const auto prompt = ctx.args.value("prompt");
    if (!prompt)
        return {};
    if (prompt->empty())
        throw UsageError("--prompt needs a learnt prompt file (.safetensors from `train coop`)");
    if (ctx.args.value("template"))
        throw UsageError("give --template or --prompt (a learnt prompt), not both");
    return *prompt;
}

std::string humanCount(std::int64_t n)
{
    char buf[32];
    if (n >= 1'000'000'000)
        std::snprintf(buf, sizeof buf, "%.2fB", n / 1e9);
    else if (n >= 1'000'000)
        std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
    else if (n >= 1000)
        std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
    return buf;
}

int runModels(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("models takes no positional arguments (use --dir DIR to add folders)");
    const auto dirs = ctx.args.values("dir");
    const auto familyArg = ctx.args.value("family");
    const ModelFamily family = familyArg ? familyFromName(*familyArg) : ModelFamily::Unknown;
    if (familyArg && family == ModelFamily::Unknown)
        throw UsageError("--family '" + *familyArg + "': one of clip, unet2d, blip-2, llava");
    auto value = runJob(
        ctx.global, {"List models", Lane::Io, [dirs](JobContext &) -> std::any { return discoverModels(dirs); }});
    auto entries = std::any_cast<std::vector<ModelEntry>>(value);
    if (familyArg)
        entries = ofFamily(std::move(entries), family);
    if (ctx.global.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto &e : entries) {
            nlohmann::json j {{"path", e.path}, {"family", e.family}, {"name", e.name}, {"parameters", e.parameters},
                {"source", e.source}};
            if (!e.error.empty())
                j["error"] = e.error;
            out.push_back(std::move(j));
        }
        printJson(out);
        return kOk;
    }
    if (entries.empty()) {
        std::cout << "no checkpoints found (looked in the given folders, " << appModelDir()
                  << ", the embedded models and the Hugging Face cache)\n";
        return kOk;
    }
    std::printf("%-32s %-12s %10s  %-9s %s\n", "name", "family", "parameters", "source", "path");
    for (const auto &e : entries) {
        std::printf("%-32s %-12s %10s  %-9s %s\n", e.name.c_str(), e.family.empty() ? "?" : e.family.c_str(),
            humanCount(e.parameters).c_str(), e.source.c_str(), e.path.c_str());
        if (!e.error.empty())
            warn(ctx.global, e.name + ": " + e.error.substr(0, e.error.find('\n')));
    }
    return kOk;
}

int runTokenize(Context &ctx)
{
    const std::string model = requiredModel(ctx);
    const auto &texts = ctx.args.positional();
    if (texts.empty())
        throw UsageError("tokenize needs at least one TEXT");
    const auto r = std::any_cast<TokenizeResult>(runJob(ctx.global, makeTokenizeJob(model, texts)));
    if (ctx.global.json) {
        printJson({{"input_ids", r.inputIds}, {"attention_mask", r.attentionMask}});
        return kOk;
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
        std::size_t n = 0;
        for (const auto m : r.attentionMask[i])
            n += m != 0;
        std::cout << texts[i] << "\n  " << n << " tokens:";
        for (std::size_t j = 0; j < n; ++j)
            std::cout << " " << r.inputIds[i][j];
        std::cout << "  (padded to " << r.inputIds[i].size() << ")\n";
    }
    return kOk;
}

int runEmbed(Context &ctx)
{
    const std::string model = requiredModel(ctx);
    const auto images = ctx.args.values("image");
    const auto texts = ctx.args.values("text");
    if (!ctx.args.positional().empty())
        throw UsageError(
            "embed takes its inputs as --image PATH... or --text TEXT..., not '" + ctx.args.positional().front() + "'");
    if (images.empty() == texts.empty())
        throw UsageError("embed needs either --image PATH... or --text TEXT... (not both)");
    const bool isImages = !images.empty();
    const auto &inputs = isImages ? images : texts;
    const auto r = std::any_cast<EmbedResult>(runJob(ctx.global,
        isImages ? makeEmbedImagesJob(model, images, compute(ctx.global))
                 : makeEmbedTextsJob(model, texts, compute(ctx.global))));

    const int failed = printErrors(r.errors);
    if (const auto out = ctx.args.value("out")) {
        if (failed)
            std::cerr << "modallens-cli: error: " << *out << " not written: " << failed << " input(s) failed"
                      << std::endl;
        else {
            const auto rows = static_cast<std::int64_t>(r.embeddings.size());
            const auto dim = rows ? static_cast<std::int64_t>(r.embeddings.front().size()) : 0;
            auto t = torch::empty({rows, dim}, torch::kFloat);
            for (std::int64_t i = 0; i < rows; ++i)
                std::copy(r.embeddings[static_cast<std::size_t>(i)].begin(),
                    r.embeddings[static_cast<std::size_t>(i)].end(), t[i].data_ptr<float>());
            io::saveSafetensors(*out, {{"embeddings", t}}, {{"model", model}, {"dtype", r.dtype}});
        }
    }
    if (ctx.global.json) {
        nlohmann::json rows = nlohmann::json::array();
        for (std::size_t i = 0; i < r.embeddings.size(); ++i)
            rows.push_back(r.errors[i].empty() ? nlohmann::json(r.embeddings[i]) : nlohmann::json(nullptr));
        nlohmann::json doc {{"embeddings", rows}};
        if (failed) {
            nlohmann::json errors = nlohmann::json::array();
            for (std::size_t i = 0; i < r.errors.size(); ++i)
                if (!r.errors[i].empty())
                    errors.push_back({{"input", inputs[i]}, {"error", r.errors[i]}});
            doc["errors"] = errors;
        }
        printJson(doc);
    } else {
        for (std::size_t i = 0; i < r.embeddings.size(); ++i) {
            if (!r.errors[i].empty())
                continue;
            const auto &e = r.embeddings[i];
            std::printf("%s\n  [", inputs[i].c_str());
            for (std::size_t j = 0; j < std::min<std::size_t>(6, e.size()); ++j)
                std::printf("%s%.5f", j ? ", " : "", static_cast<double>(e[j]));
            std::printf("%s] (%zu values, %s)\n", e.size() > 6 ? ", ..." : "", e.size(), r.dtype.c_str());
        }
    }
    return failed ? kFailed : kOk;
}

int runClassify(Context &ctx)
{
    ClassifyRequest req;
    req.model = requiredModel(ctx);
    const auto labels = ctx.args.value("labels");
    if (!labels)
        throw UsageError("--labels \"L1;L2;...\" is required");
    req.labels = splitLabels(*labels);
    req.templates = templatesOf(ctx);
    req.learntPrompt = learntPromptOf(ctx);
    req.images = ctx.args.positional();
    if (req.images.empty())
        throw UsageError("classify needs at least one IMAGE");
    req.compute = compute(ctx.global);
    req.batchSize = ctx.args.intOr("batch", 32);
    if (req.batchSize <= 0)
        throw UsageError("--batch must be positive");
    const auto r = std::any_cast<ClassifyResult>(runJob(ctx.global, makeClassifyJob(req)));

    std::vector<std::string> errors;
    for (const auto &img : r.images)
        errors.push_back(img.error);
    const int failed = printErrors(errors);
    if (ctx.global.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto &img : r.images) {
            nlohmann::json entry {{"file", img.file}};
            if (!img.error.empty()) {
                entry["error"] = img.error;
                entry["scores"] = nlohmann::json::array();
            } else {
                nlohmann::json scores = nlohmann::json::array();
                for (const auto &s : img.scores)
                    scores.push_back({{"label", s.label}, {"prob", s.prob}});
                entry["scores"] = scores;
            }
            out.push_back(std::move(entry));
        }
        printJson(out);
    } else {
        const std::size_t shown = std::min<std::size_t>(5, req.labels.size());
        for (const auto &img : r.images) {
            if (!img.error.empty())
                continue;
            std::printf("%s\n", img.file.c_str());
            for (std::size_t i = 0; i < shown; ++i)
                std::printf("  %6.2f%%  %s\n", 100.0 * img.scores[i].prob, img.scores[i].label.c_str());
        }
        std::printf(
            "(%s, %s on %s, logit scale %.1f)\n", r.modelName.c_str(), r.dtype.c_str(), r.device.c_str(), r.logitScale);
    }
    return failed ? kFailed : kOk;
}

int runEvalZeroShot(Context &ctx)
{
    if (ctx.args.value("dataset")) {
        if (ctx.args.value("prompt"))
            throw UsageError("--prompt (a learnt prompt) goes with --folder; --dataset sets use their own prompts");
        return runEvalDataset(ctx); // cli_train.cpp: the built-in Shapes World / Fashion-MNIST sets
    }
    EvaluateRequest req;
    req.model = requiredModel(ctx);
    const auto folder = ctx.args.value("folder");
    if (!folder)
        throw UsageError(
            "--folder DIR (one sub-folder of images per class) or --dataset shapes|fashion-mnist is required");
    if (!ctx.args.positional().empty())
        throw UsageError("eval zero-shot takes no positional arguments");
    req.folder = *folder;
    req.templates = templatesOf(ctx);
    req.learntPrompt = learntPromptOf(ctx);
    req.compute = compute(ctx.global);
    req.batchSize = ctx.args.intOr("batch", 32);
    if (req.batchSize <= 0)
        throw UsageError("--batch must be positive");
    const auto r = std::any_cast<EvaluateResult>(runJob(ctx.global, makeEvaluateJob(req)));

    int counted = 0;
    nlohmann::json failed = nlohmann::json::array();
    for (const auto &img : r.images)
        if (img.error.empty())
            ++counted;
        else
            failed.push_back({{"file", img.file}, {"error", img.error}});
    for (const auto &f : failed)
        warn(ctx.global, f["error"].get<std::string>());
    if (ctx.global.json) {
        printJson({{"accuracy", r.accuracy}, {"images", counted}, {"classes", r.classes},
            {"per_class", perClassJson(r.classes, r.confusion, r.perClassAccuracy)}, {"confusion", r.confusion},
            {"failed", failed}, {"logit_scale", r.logitScale}});
        return failed.empty() ? kOk : kFailed;
    }
    std::printf("accuracy %.2f%% over %d images, %zu classes\n\n", 100.0 * r.accuracy, counted, r.classes.size());
    printPerClassTable(r.classes, r.confusion, r.perClassAccuracy, true);
    if (!failed.empty())
        std::printf("\n%zu image(s) could not be read (see stderr)\n", failed.size());
    return failed.empty() ? kOk : kFailed;
}

} // namespace

std::vector<Command> clipCommands()
{
    return {
        {"models",
            "models [--dir DIR]... [--family clip|unet2d|blip-2|llava]  list checkpoints (given folders, app folder, "
            "embedded, HF cache)",
            {"dir", "family"}, {}, runModels},
        {"tokenize", "tokenize --model M TEXT...  token ids, padded to the context length", {"model"}, {}, runTokenize},
        {"embed",
            "embed --model M (--image PATH... | --text TEXT...) [--out FILE.safetensors]  L2-normalised embeddings",
            {"model", "image", "text", "out"}, {}, runEmbed, {"image", "text"}},
        {"classify",
            "classify --model M --labels \"L1;L2;...\" [--template T]... [--prompt LEARNT.safetensors] [--batch N] "
            "IMAGE...  zero-shot",
            {"model", "labels", "template", "prompt", "batch"}, {}, runClassify},
        {"eval zero-shot",
            "eval zero-shot --model M (--folder DIR [--template T]... [--prompt LEARNT.safetensors] | --dataset "
            "shapes|fashion-mnist [--limit N])  "
            "accuracy on one sub-folder per class, or on a built-in evaluation set",
            {"model", "folder", "template", "prompt", "batch", "dataset", "limit", "seed", "fashion-mnist"},
            {"no-augment"}, runEvalZeroShot},
    };
}

} // namespace ml::cli
