// `modallens-cli explain` (../shared/specs/cli.md) and `bench explain`: attention, rollout and
// relevance maps of a CLIP over its patch grid, unscaled, as JSON, safetensors and an overlay PNG.
#include "cli_common.h"

#include "common/error.h"
#include "engine/explain_service.h"
#include "explain/heatmap.h"
#include "io/safetensors.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#endif

#include <cstdio>
#include <iostream>

namespace ml::cli {

namespace {

nlohmann::json gridJson(const std::vector<float> &values, int h, int w)
{
    nlohmann::json rows = nlohmann::json::array();
    for (int y = 0; y < h; ++y)
        rows.push_back(std::vector<float>(values.begin() + static_cast<std::ptrdiff_t>(y) * w,
            values.begin() + static_cast<std::ptrdiff_t>(y + 1) * w));
    return rows;
}

torch::Tensor gridTensor(const std::vector<std::vector<float>> &maps, int h, int w)
{
    auto t = torch::empty({static_cast<std::int64_t>(maps.size()), h, w}, torch::kFloat);
    for (std::size_t i = 0; i < maps.size(); ++i)
        std::copy(maps[i].begin(), maps[i].end(), t[static_cast<std::int64_t>(i)].data_ptr<float>());
    return t;
}

int parseInt(const std::string &option, const std::string &v)
{
    try {
        std::size_t used = 0;
        const int n = std::stoi(v, &used);
        if (used == v.size())
            return n;
    } catch (const std::exception &) { }
    throw UsageError("--" + option + " expects a whole number, got '" + v + "'");
}

#ifdef MODALLENS_HAVE_MEDIA
// The model's input crop, enlarged by a whole factor to at least 224 px, under the heatmap.
void writeOverlay(const ExplainResult &r, const std::vector<float> &map, const std::string &path, double opacity,
    explain::ColourMap colours)
{
    const int S = r.imageSize;
    const int k = std::max(1, (224 + S - 1) / S);
    io::RgbImage image;
    image.width = image.height = S * k;
    image.pixels.resize(static_cast<std::size_t>(S * k) * static_cast<std::size_t>(S * k) * 3);
    for (int y = 0; y < S * k; ++y)
        for (int x = 0; x < S * k; ++x)
            for (int c = 0; c < 3; ++c)
                image.row(y)[x * 3 + c] = r.inputRgb[(static_cast<std::size_t>(y / k) * S + x / k) * 3 + c];
    image.pixels = explain::overlayHeatmap(
        image.pixels.data(), image.width, image.height, map, r.gridH, r.gridW, opacity, colours);
    io::saveImage(image, path);
}
#endif

int runExplain(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("explain takes the image as --image PATH, not '" + ctx.args.positional().front() + "'");
    ExplainRequest req;
    const auto model = ctx.args.value("model");
    if (!model || model->empty())
        throw UsageError("--model FOLDER (or an embedded model name) is required");
    req.model = *model;
    const auto image = ctx.args.value("image");
    if (!image || image->empty())
        throw UsageError("--image PATH is required");
    req.image = *image;
    const auto method = ctx.args.value("method");
    if (!method)
        throw UsageError("--method attention|rollout|relevance is required");
    try {
        req.method = explainMethodFromName(*method);
    } catch (const Error &e) {
        throw UsageError(std::string("--method: ") + e.what());
    }
    req.text = ctx.args.valueOr("text", "");
    if (req.method == ExplainMethod::Relevance && req.text.empty())
        throw UsageError("--method relevance explains an image-text similarity: give --text T");
    if (req.method != ExplainMethod::Relevance && !req.text.empty())
        throw UsageError("--text is used by --method relevance only");
    if (const auto layer = ctx.args.value("layer")) {
        if (req.method != ExplainMethod::Attention)
            throw UsageError("--layer applies to --method attention (relevance: --start-layer)");
        req.layer = parseInt("layer", *layer);
    }
    if (const auto head = ctx.args.value("head")) {
        if (*head == "mean" || *head == "max" || *head == "min")
            req.headFusion = *head;
        else if (req.method != ExplainMethod::Attention)
            throw UsageError("--head " + *head + ": rollout fuses the heads (--head mean|max|min)");
        else if ((req.head = parseInt("head", *head)) < 0)
            throw UsageError("--head must be a head index (0-based) or mean|max|min");
        if (req.method == ExplainMethod::Relevance)
            throw UsageError("--head applies to --method attention or rollout");
    }
    if (const auto q = ctx.args.value("query-patch")) {
        if (req.method != ExplainMethod::Attention)
            throw UsageError("--query-patch applies to --method attention");
        const int patch = parseInt("query-patch", *q);
        if (patch < 0)
            throw UsageError("--query-patch must be a patch index (0-based, row-major)");
        req.queryToken = patch + 1;
    }
    req.discardRatio = ctx.args.doubleOr("discard-ratio", 0.0);
    if (req.discardRatio < 0.0 || req.discardRatio >= 1.0)
        throw UsageError("--discard-ratio must be in [0, 1)");
    if (ctx.args.value("discard-ratio") && req.method != ExplainMethod::Rollout)
        throw UsageError("--discard-ratio applies to --method rollout");
    req.startLayer = ctx.args.intOr("start-layer", 0);
    req.perWord = ctx.args.flag("per-word");
    if (req.perWord && req.method != ExplainMethod::Relevance)
        throw UsageError("--per-word applies to --method relevance");
    req.allHeads = ctx.args.flag("all-heads");
    if (req.allHeads && req.method != ExplainMethod::Attention)
        throw UsageError("--all-heads applies to --method attention");
    const double opacity = ctx.args.doubleOr("opacity", 0.5);
    explain::ColourMap colours;
    try {
        colours = explain::colourMapFromName(ctx.args.valueOr("colormap", "jet"));
    } catch (const Error &e) {
        throw UsageError(std::string("--colormap: ") + e.what());
    }
    req.compute = {ctx.global.device, ctx.global.dtype};

    const auto r = std::any_cast<ExplainResult>(runJob(ctx.global, makeExplainJob(req)));

    if (const auto out = ctx.args.value("out")) {
        std::map<std::string, torch::Tensor> tensors {{"map", gridTensor({r.map}, r.gridH, r.gridW).select(0, 0)}};
        if (!r.headMaps.empty()) {
            std::vector<std::vector<float>> maps;
            for (const auto &m : r.headMaps)
                maps.push_back(m.values);
            tensors["head_maps"] = gridTensor(maps, r.gridH, r.gridW);
        }
        if (!r.wordMaps.empty()) {
            std::vector<std::vector<float>> maps;
            for (const auto &m : r.wordMaps)
                maps.push_back(m.values);
            tensors["word_maps"] = gridTensor(maps, r.gridH, r.gridW);
        }
        std::map<std::string, std::string> meta {{"model", req.model}, {"method", explainMethodName(req.method)}};
        if (req.method == ExplainMethod::Relevance)
            meta["text"] = req.text;
        io::saveSafetensors(*out, tensors, meta);
    }
    if (const auto png = ctx.args.value("png")) {
#ifdef MODALLENS_HAVE_MEDIA
        writeOverlay(r, r.map, *png, opacity, colours);
#else
        (void)opacity; // validated above all the same
        (void)colours;
        throw Error(*png + ": this build has no image encoding (MODALLENS_MEDIA=OFF)");
#endif
    }

    if (ctx.global.json) {
        nlohmann::json doc {{"grid", {r.gridH, r.gridW}}, {"map", gridJson(r.map, r.gridH, r.gridW)},
            {"method", explainMethodName(req.method)}, {"fast_path_max_abs_diff", r.fastPathMaxAbsDiff},
            {"seconds", r.seconds}, {"model", r.modelName}, {"device", r.device}, {"dtype", r.dtype},
            {"layers", r.layers}, {"heads", r.heads}};
        if (req.method == ExplainMethod::Attention) {
            doc["layer"] = r.layer;
            doc["head"] = req.head >= 0 ? nlohmann::json(req.head) : nlohmann::json(req.headFusion);
            doc["query_token"] = req.queryToken;
            if (!r.headMaps.empty()) {
                nlohmann::json heads = nlohmann::json::array();
                for (const auto &m : r.headMaps)
                    heads.push_back(gridJson(m.values, r.gridH, r.gridW));
                doc["head_maps"] = heads;
            }
        } else if (req.method == ExplainMethod::Rollout) {
            doc["head_fusion"] = req.headFusion;
            doc["discard_ratio"] = req.discardRatio;
        } else {
            doc["text"] = req.text;
            doc["similarity"] = r.similarity;
            nlohmann::json tokens = nlohmann::json::array();
            for (std::size_t i = 0; i < r.tokens.size(); ++i)
                tokens.push_back({{"token", r.tokens[i]}, {"relevance", r.tokenRelevance[i]}});
            doc["tokens"] = tokens;
            if (!r.wordMaps.empty()) {
                nlohmann::json words = nlohmann::json::array();
                for (const auto &m : r.wordMaps)
                    words.push_back({{"word", m.label}, {"map", gridJson(m.values, r.gridH, r.gridW)}});
                doc["words"] = words;
            }
        }
        printJson(doc);
        return kOk;
    }
    std::printf("%s map, %dx%d patches (%s, %d layers x %d heads), unscaled:\n", explainMethodName(req.method), r.gridH,
        r.gridW, r.modelName.c_str(), r.layers, r.heads);
    for (int y = 0; y < r.gridH; ++y) {
        for (int x = 0; x < r.gridW; ++x)
            std::printf(
                "%s%9.5f", x ? " " : "  ", static_cast<double>(r.map[static_cast<std::size_t>(y * r.gridW + x)]));
        std::printf("\n");
    }
    if (req.method == ExplainMethod::Relevance) {
        std::printf("similarity %.4f; token relevance:", r.similarity);
        for (std::size_t i = 0; i < r.tokens.size(); ++i)
            std::printf(" %s=%.3f", r.tokens[i].c_str(), static_cast<double>(r.tokenRelevance[i]));
        std::printf("\n");
    }
    std::printf(
        "explicit vs fast path: max |diff| %.3g (%s); %.3f s\n", r.fastPathMaxAbsDiff, r.dtype.c_str(), r.seconds);
    return kOk;
}

int runBenchExplain(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("bench explain takes no positional arguments");
    ExplainBenchOptions o;
    o.repeats = ctx.args.intOr("repeats", 3);
    o.deletionImages = ctx.args.intOr("images", 100);
    o.model = ctx.args.valueOr("model", "clip-mini");
    o.seed = static_cast<std::uint64_t>(ctx.args.intOr("seed", 2024));
    o.deletionStep = ctx.args.intOr("step", 1);
    o.timings = !ctx.args.flag("no-timings");
    o.compute = {ctx.global.device, ctx.global.dtype};
    if (o.repeats <= 0 || o.deletionImages < 0 || o.deletionStep <= 0)
        throw UsageError("--repeats and --step must be positive and --images not negative");
    const auto r = std::any_cast<ExplainBenchResult>(runJob(ctx.global, makeExplainBenchJob(o)));
    if (ctx.global.json) {
        nlohmann::json timings = nlohmann::json::object(), deletion = nlohmann::json::object();
        for (const auto &t : r.timings)
            timings[t.method] = t.seconds;
        for (const auto &d : r.deletion)
            deletion[d.method] = d.meanAuc;
        printJson({{"seconds_vit_b32_224", timings}, {"deletion_mean_auc", deletion}, {"images", r.images},
            {"relevance_beats_random", r.relevanceBeatsRandom}, {"threads", r.threads}, {"device", r.device},
            {"deletion_model", o.model}});
        return kOk;
    }
    std::printf("%-44s %10s\n", "ViT-B/32 224 px, random weights", "s/image");
    for (const auto &t : r.timings)
        std::printf("%-44s %10.3f\n", t.method.c_str(), t.seconds);
    if (!r.deletion.empty()) {
        std::printf("\n%-44s %10s\n",
            ("deletion AUC, " + o.model + ", " + std::to_string(r.images) + " images").c_str(), "mean");
        for (const auto &d : r.deletion)
            std::printf("%-44s %10.4f\n", d.method.c_str(), d.meanAuc);
        std::printf("relevance below random on %.0f %% of the images\n", 100.0 * r.relevanceBeatsRandom);
    }
    std::printf("(%s, %d threads)\n", r.device.c_str(), r.threads);
    return kOk;
}

} // namespace

std::vector<Command> explainCommands()
{
    return {
        {"explain",
            "explain --model M --image PATH [--text T] --method attention|rollout|relevance [--layer L] "
            "[--head H|mean|max|min] [--query-patch N] [--all-heads] [--discard-ratio R] [--start-layer L] "
            "[--per-word] [--out MAP.safetensors] [--png OVERLAY.png] [--opacity A] [--colormap "
            "jet|viridis|inferno|gray]"
            "  what the model looks at",
            {"model", "image", "text", "method", "layer", "head", "query-patch", "discard-ratio", "start-layer", "out",
                "png", "opacity", "colormap"},
            {"per-word", "all-heads"}, runExplain},
        {"bench explain",
            "bench explain [--repeats N] [--no-timings] [--images N] [--step K] [--model M] [--seed S]  seconds per "
            "method (ViT-B/32), deletion AUC per method (Shapes World)",
            {"repeats", "images", "step", "model", "seed"}, {"no-timings"}, runBenchExplain},
    };
}

} // namespace ml::cli
