// `modallens-cli ground`: which image patches each word of a LLaVA's answer relied on (attention,
// relevancy or the context-corrected map), printed per word, saved as safetensors and as overlay
// PNGs.
#include "cli_common.h"

#include "common/error.h"
#include "engine/grounding_service.h"
#include "explain/heatmap.h"
#include "io/safetensors.h"

#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#endif

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace ml::cli {

namespace {

// "03-circle.png": the word's index, then its letters and digits (used where the build writes images).
[[maybe_unused]] std::string pngName(int index, const std::string &word)
{
    std::string safe;
    for (unsigned char c : word)
        if (std::isalnum(c))
            safe.push_back(static_cast<char>(std::tolower(c)));
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%02d", index);
    std::string name = prefix;
    if (!safe.empty()) {
        name += '-';
        name += safe;
    }
    name += ".png";
    return name;
}

void writePngs(const GroundingResult &g, const std::vector<std::vector<float>> &maps, const std::string &dir)
{
#ifdef MODALLENS_HAVE_MEDIA
    fs::create_directories(dir);
    const int S = g.imageSize, k = std::max(1, (224 + S - 1) / S);
    io::RgbImage base;
    base.width = base.height = S * k;
    base.pixels.resize(static_cast<std::size_t>(S * k) * static_cast<std::size_t>(S * k) * 3);
    for (int y = 0; y < S * k; ++y)
        for (int x = 0; x < S * k; ++x)
            for (int c = 0; c < 3; ++c)
                base.row(y)[x * 3 + c] = g.inputRgb[(static_cast<std::size_t>(y / k) * S + x / k) * 3 + c];
    for (std::size_t w = 0; w < maps.size(); ++w) {
        io::RgbImage out = base;
        out.pixels = explain::overlayHeatmap(base.pixels.data(), base.width, base.height, maps[w], g.gridH, g.gridW);
        io::saveImage(out, (fs::path(dir) / pngName(static_cast<int>(w), g.words[w].text)).string());
    }
#else
    (void)g;
    (void)maps;
    throw Error(dir + ": this build has no image encoding (MODALLENS_MEDIA=OFF)");
#endif
}

int runGround(Context &ctx)
{
    GroundingRequest req;
    req.model = ctx.args.valueOr("model", "llava-mini");
    const auto image = ctx.args.value("image");
    if (!image || image->empty())
        throw UsageError("--image PATH is required");
    req.image = *image;
    if (ctx.args.value("time"))
        req.videoTimeS = ctx.args.doubleOr("time", 0.0);
    const auto prompt = ctx.args.value("prompt");
    if (!prompt || prompt->empty())
        throw UsageError("--prompt TEXT is required");
    req.prompt = *prompt;
    req.maxNewTokens = ctx.args.intOr("max-new-tokens", 32);
    if (req.maxNewTokens <= 0 || req.maxNewTokens > 1024)
        throw UsageError("--max-new-tokens must be between 1 and 1024");
    const auto methodName = ctx.args.valueOr("method", "relevancy");
    const auto method = groundingMethodFromName(methodName);
    if (!method)
        throw UsageError("--method must be attention, relevancy or corrected, not '" + methodName + "'");
    req.relevancy = *method != GroundingMethod::Attention || ctx.args.flag("all-methods");
    req.compute = {ctx.global.device, ctx.global.dtype};
    const auto g = std::any_cast<GroundingResult>(runJob(ctx.global, makeGroundingJob(req)));

    std::vector<std::vector<float>> maps;
    for (int w = 0; w < static_cast<int>(g.words.size()); ++w)
        maps.push_back(wordMap(g, *method, w));
    const auto N = static_cast<std::int64_t>(g.gridH) * g.gridW;
    if (const auto out = ctx.args.value("out")) {
        auto t = torch::zeros({static_cast<std::int64_t>(maps.size()), g.gridH, g.gridW});
        for (std::size_t w = 0; w < maps.size(); ++w)
            std::copy(maps[w].begin(), maps[w].end(), t.data_ptr<float>() + static_cast<std::int64_t>(w) * N);
        nlohmann::json words = nlohmann::json::array();
        for (const auto &w : g.words)
            words.push_back(w.text);
        io::saveSafetensors(*out, {{"maps", t}},
            {{"method", groundingMethodName(*method)}, {"words", words.dump()},
                {"grid", std::to_string(g.gridH) + "x" + std::to_string(g.gridW)}, {"answer", g.chat.text}});
    }
    if (const auto png = ctx.args.value("png"))
        writePngs(g, maps, *png);
    if (ctx.global.json) {
        nlohmann::json words = nlohmann::json::array();
        for (std::size_t w = 0; w < maps.size(); ++w) {
            const auto &word = g.words[w];
            const auto top = std::max_element(maps[w].begin(), maps[w].end()) - maps[w].begin();
            double share = 0;
            for (int t = word.firstToken; t < word.endToken; ++t)
                share += g.imageShare[static_cast<std::size_t>(t)] / (word.endToken - word.firstToken);
            words.push_back({{"word", word.text}, {"tokens", {word.firstToken, word.endToken}},
                {"top_patch", {top / g.gridW, top % g.gridW}}, {"image_share", share}, {"map", maps[w]}});
        }
        printJson({{"answer", g.chat.text}, {"method", groundingMethodName(*method)}, {"grid", {g.gridH, g.gridW}},
            {"words", words}, {"model", g.chat.modelName}, {"dtype", g.chat.dtype}});
        return kOk;
    }
    std::printf("%s\n", g.chat.text.c_str());
    std::printf("word            top patch (row, col)   image share   (%s, %dx%d patches)\n",
        groundingMethodName(*method), g.gridH, g.gridW);
    for (std::size_t w = 0; w < maps.size(); ++w) {
        const auto &word = g.words[w];
        const auto top = std::max_element(maps[w].begin(), maps[w].end()) - maps[w].begin();
        double share = 0;
        for (int t = word.firstToken; t < word.endToken; ++t)
            share += g.imageShare[static_cast<std::size_t>(t)] / (word.endToken - word.firstToken);
        std::printf("%-15s (%2ld, %2ld)               %5.2f\n", word.text.c_str(), static_cast<long>(top / g.gridW),
            static_cast<long>(top % g.gridW), share);
    }
    return kOk;
}

void printMethod(const char *name, const GroundingMethodScores &s)
{
    std::printf("%-10s  %6.1f %%    %6.1f %%    %6.1f %%    %.3f vs %.3f\n", name, 100 * s.pointingSingle,
        100 * s.pointingTwo, 100 * s.deletionBeatsRandom, s.meanDrop, s.meanRandomDrop);
}

nlohmann::json methodJson(const GroundingMethodScores &s)
{
    return {{"pointing_single", s.pointingSingle}, {"pointing_two", s.pointingTwo},
        {"deletion_beats_random", s.deletionBeatsRandom}, {"mean_drop", s.meanDrop},
        {"mean_random_drop", s.meanRandomDrop}};
}

int runEvalGrounding(Context &ctx)
{
    GroundingEvalOptions o;
    o.model = ctx.args.valueOr("model", "llava-mini");
    o.images = ctx.args.intOr("images", 200);
    o.seed = static_cast<std::uint64_t>(ctx.args.intOr("seed", static_cast<int>(o.seed)));
    o.randomDraws = ctx.args.intOr("random-draws", o.randomDraws);
    o.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<GroundingEvalResult>(runJob(ctx.global, makeGroundingEvalJob(o)));
    if (ctx.global.json) {
        printJson({{"images", r.images}, {"answers", r.answers}, {"accuracy", r.accuracy},
            {"single_counted", r.singleCounted}, {"two_counted", r.twoCounted}, {"chance_single", r.chanceSingle},
            {"chance_two", r.chanceTwo}, {"attention", methodJson(r.attention)}, {"relevancy", methodJson(r.relevancy)},
            {"corrected", methodJson(r.corrected)}, {"model", r.modelName}, {"dtype", r.dtype}, {"seed", o.seed},
            {"random_draws", o.randomDraws}, {"seconds", r.seconds}});
        return kOk;
    }
    std::printf("%s (%s), %d Shapes images (half one object, half two), %d answers, %.1f %% right\n",
        r.modelName.c_str(), r.dtype.c_str(), r.images, r.answers, 100 * r.accuracy);
    std::printf("pointing game: the answer word's top patch on the named object (right answers: %d one-object, "
                "%d two-object; chance %.1f %% / %.1f %%)\n",
        r.singleCounted, r.twoCounted, 100 * r.chanceSingle, 100 * r.chanceTwo);
    std::printf("deletion: hiding the top 10 %% of patches (in the background colour) lowers the word more than "
                "hiding 10 %% random ones (%d random sets per answer)\n",
        o.randomDraws);
    std::printf("method      one object  two objects  deletion    mean drop (nats) top vs random\n");
    printMethod("attention", r.attention);
    printMethod("relevancy", r.relevancy);
    printMethod("corrected", r.corrected);
    std::printf("(%.0f s)\n", r.seconds);
    return kOk;
}

} // namespace

std::vector<Command> groundCommands()
{
    return {
        {"ground",
            "ground --model M --image PATH --prompt TEXT [--method attention|relevancy|corrected] [--all-methods] "
            "[--max-new-tokens N] [--time S] [--out MAPS.safetensors] [--png DIR]  which image patches each word of "
            "a LLaVA's answer relied on (one map per word)",
            {"model", "image", "prompt", "method", "max-new-tokens", "time", "out", "png"}, {"all-methods"}, runGround},
        {"eval grounding",
            "eval grounding [--model M] [--images N] [--seed S] [--random-draws R]  are a LLaVA's per-word maps "
            "faithful: the pointing game on one- and two-object Shapes images and the deletion test, per method "
            "(against the mean drop of R random sets of patches, default 5)",
            {"model", "images", "seed", "random-draws"}, {}, runEvalGrounding},
    };
}

} // namespace ml::cli
