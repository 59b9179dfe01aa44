// `modallens-cli chat`, `qformer` and `bench lm` (../shared/specs/cli.md): ask a BLIP-2 or LLaVA about an
// image (the answer streams to stdout on a TTY), look at what its Q-Former's queries attend to,
// and time greedy decoding.
#include "cli_common.h"

#include "common/error.h"
#include "engine/chat_service.h"
#include "io/safetensors.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace ml::cli {

namespace {

std::vector<std::int64_t> parseIds(const std::string &text)
{
    std::vector<std::int64_t> ids;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto comma = text.find(',', at);
        const std::string part = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        try {
            std::size_t used = 0;
            ids.push_back(std::stoll(part, &used));
            if (used != part.size())
                throw std::invalid_argument(part);
        } catch (const std::exception &) {
            throw UsageError("--prompt-ids expects comma-separated token ids, got '" + part + "'");
        }
        if (comma == std::string::npos)
            break;
        at = comma + 1;
    }
    return ids;
}

SamplingSettings readSampling(const Args &args)
{
    SamplingSettings s;
    s.maxNewTokens = args.intOr("max-new-tokens", 32);
    const bool sampled = args.value("temperature") || args.value("top-p") || args.value("top-k") || args.value("seed");
    if (args.flag("greedy") && sampled)
        throw UsageError("--greedy takes no --temperature, --top-p, --top-k or --seed");
    s.greedy = !sampled;
    s.temperature = args.doubleOr("temperature", 1.0);
    s.topP = args.doubleOr("top-p", 1.0);
    s.topK = args.intOr("top-k", 0);
    s.seed = static_cast<std::uint64_t>(args.intOr("seed", 0));
    s.repetitionPenalty = args.doubleOr("repetition-penalty", 1.0);
    s.stopStrings = args.values("stop");
    if (s.maxNewTokens <= 0 || s.maxNewTokens > 4096)
        throw UsageError("--max-new-tokens must be between 1 and 4096");
    if (s.temperature <= 0 || s.topP <= 0 || s.topP > 1 || s.topK < 0 || s.repetitionPenalty <= 0)
        throw UsageError("--temperature and --repetition-penalty must be positive, --top-p in (0, 1], --top-k >= 0");
    return s;
}

// A question too long for a command line (Linux passes at most 128 KB in one argument), as UTF-8 text.
std::string readPromptFile(const std::string &path)
{
    constexpr std::uintmax_t kMaxBytes = 64u << 20;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw Error(path + ": no such file (--prompt-file)");
    if (std::filesystem::file_size(path, ec) > kMaxBytes)
        throw Error(path + ": larger than 64 MB; no model reads a prompt that long");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof())
        throw Error(path + ": cannot read the prompt file");
    return text.str();
}

int runChat(Context &ctx)
{
    ChatRequest req;
    req.model = ctx.args.valueOr("model", "blip2-mini");
    const auto image = ctx.args.value("image");
    if (!image || image->empty())
        throw UsageError("--image PATH is required");
    req.image = *image;
    if (const auto t = ctx.args.value("time"))
        req.videoTimeS = ctx.args.doubleOr("time", 0.0);
    auto prompt = ctx.args.value("prompt");
    const auto promptFile = ctx.args.value("prompt-file");
    const auto ids = ctx.args.value("prompt-ids");
    if (int(static_cast<bool>(prompt)) + int(static_cast<bool>(promptFile)) + int(static_cast<bool>(ids)) != 1)
        throw UsageError(
            "give the question as --prompt TEXT, --prompt-file FILE or --prompt-ids N,N,... (one of them)");
    if (promptFile)
        prompt = readPromptFile(*promptFile);
    if (prompt)
        req.prompt = *prompt;
    if (ids)
        req.promptIds = parseIds(*ids);
    req.rawPrompt = !ctx.args.flag("format"); // the spec: BLIP-2 prompts are passed as given
    req.sampling = readSampling(ctx.args);
    req.compute = {ctx.global.device, ctx.global.dtype};
    const bool stream = !ctx.global.json && isatty(STDOUT_FILENO) != 0;
    std::function<void(const PartialResult &)> onPartial;
    if (stream)
        onPartial = [](const PartialResult &p) {
            if (p.kind != kChatTokenPartial)
                return;
            std::fputs(std::any_cast<ChatToken>(p.value).text.c_str(), stdout);
            std::fflush(stdout);
        };
    const auto r = std::any_cast<ChatResult>(runJob(ctx.global, makeChatJob(req), onPartial));
    if (ctx.global.json) {
        nlohmann::json tokens = nlohmann::json::array(), probs = nlohmann::json::array(), top = nlohmann::json::array();
        for (const auto &t : r.tokens) {
            tokens.push_back(t.id);
            probs.push_back(t.prob);
            nlohmann::json alts = nlohmann::json::array();
            for (const auto &a : t.top)
                alts.push_back({{"id", a.id}, {"text", a.text}, {"prob", a.prob}});
            top.push_back(alts);
        }
        printJson({{"text", r.text}, {"token_ids", tokens}, {"token_probs", probs}, {"top5", top},
            {"stop_reason", r.stopReason}, {"prompt_ids", r.promptIds}, {"model", r.modelName}, {"dtype", r.dtype},
            {"device", r.device}, {"first_token_ms", r.firstTokenMs}, {"tokens_per_s", r.tokensPerS},
            {"image_sha256", r.imageSha256}});
        return kOk;
    }
    if (stream)
        std::printf("\n");
    else
        std::printf("%s\n", r.text.c_str());
    warn(ctx.global,
        r.modelName + " (" + r.dtype + "): " + std::to_string(r.tokens.size()) + " tokens, stop: " + r.stopReason);
    return kOk;
}

int runQFormer(Context &ctx)
{
    QFormerRequest req;
    req.model = ctx.args.valueOr("model", "blip2-mini");
    const auto image = ctx.args.value("image");
    if (!image || image->empty())
        throw UsageError("--image PATH is required");
    req.image = *image;
    if (ctx.args.value("time"))
        req.videoTimeS = ctx.args.doubleOr("time", 0.0);
    req.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<QFormerResult>(runJob(ctx.global, makeQFormerJob(req)));
    if (const auto out = ctx.args.value("out")) {
        const auto L = static_cast<std::int64_t>(r.crossLayers.size());
        auto cross = torch::from_blob(
            const_cast<float *>(r.crossAttentions.data()), {L, r.heads, r.queries, r.patches}, torch::kFloat)
                         .clone();
        auto self = torch::from_blob(
            const_cast<float *>(r.selfAttentions.data()), {r.layers, r.heads, r.queries, r.queries}, torch::kFloat)
                        .clone();
        auto sim
            = torch::from_blob(const_cast<float *>(r.similarity.data()), {r.queries, r.queries}, torch::kFloat).clone();
        std::string layers;
        for (int l : r.crossLayers) {
            if (!layers.empty())
                layers += ',';
            layers += std::to_string(l);
        }
        io::saveSafetensors(*out, {{"cross_attentions", cross}, {"self_attentions", self}, {"query_similarity", sim}},
            {{"cross_attention_layers", layers}, {"grid", std::to_string(r.gridH) + "x" + std::to_string(r.gridW)},
                {"cls_first", r.hasCls ? "true" : "false"}});
    }
    if (ctx.global.json) {
        printJson({{"queries", r.queries}, {"layers", r.crossLayers.size()}, {"heads", r.heads},
            {"grid", {r.gridH, r.gridW}}, {"cross_attention_layers", r.crossLayers}, {"patches", r.patches},
            {"model", r.modelName}, {"dtype", r.dtype}});
        return kOk;
    }
    std::printf("%s: %d queries, cross-attention in layers", r.modelName.c_str(), r.queries);
    for (int l : r.crossLayers)
        std::printf(" %d", l);
    std::printf(" (%d heads) over %dx%d patches + CLS\nquery  peak patch (row, col)  weight  most similar query\n",
        r.heads, r.gridH, r.gridW);
    for (int q = 0; q < r.queries; ++q) {
        const auto map = queryPatchMap(r, q);
        const auto best = std::max_element(map.begin(), map.end()) - map.begin();
        int twin = -1;
        float twinSim = -2.0f;
        for (int k = 0; k < r.queries; ++k)
            if (k != q && r.similarity[static_cast<std::size_t>(q * r.queries + k)] > twinSim) {
                twinSim = r.similarity[static_cast<std::size_t>(q * r.queries + k)];
                twin = k;
            }
        std::printf("%5d  (%2ld, %2ld)               %.3f   %d (cos %.2f)\n", q, static_cast<long>(best / r.gridW),
            static_cast<long>(best % r.gridW), static_cast<double>(map[static_cast<std::size_t>(best)]), twin,
            static_cast<double>(twinSim));
    }
    return kOk;
}

int runBenchLm(Context &ctx)
{
    LmBenchOptions o;
    o.model = ctx.args.valueOr("model", "");
    o.shape = ctx.args.valueOr("shape", o.model.empty() ? "opt-125m" : "");
    if (!o.model.empty() && ctx.args.value("shape"))
        throw UsageError("give --model or --shape, not both");
    o.promptTokens = ctx.args.intOr("prompt-tokens", 0);
    o.newTokens = ctx.args.intOr("new-tokens", 128);
    o.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<LmBenchResult>(runJob(ctx.global, makeLmBenchJob(o)));
    if (ctx.global.json) {
        printJson({{"ttft_ms", r.firstTokenMs}, {"tokens_per_s", r.tokensPerS}, {"peak_rss_mb", r.peakRssMb},
            {"dtype", r.dtype}, {"shape", r.shape}, {"device", r.device}, {"threads", r.threads},
            {"parameters", r.parameters}, {"prompt_tokens", r.promptTokens}, {"new_tokens", o.newTokens},
            {"prefill_tokens_per_s", r.firstTokenMs > 0 ? 1000.0 * r.promptTokens / r.firstTokenMs : 0.0},
            {"weight_bytes_per_token", r.weightBytesPerToken}, {"read_gb_per_s", r.readGBps}});
        return kOk;
    }
    std::printf("%s (%.0fM parameters), %s on %s, %d threads, prompt %d tokens, %d new tokens, greedy, batch 1\n",
        r.shape.c_str(), static_cast<double>(r.parameters) / 1e6, r.dtype.c_str(), r.device.c_str(), r.threads,
        r.promptTokens, o.newTokens);
    std::printf("time to first token %8.1f ms (prefill %.0f tokens/s)\ntokens/s            %8.1f\npeak RSS            "
                "%8.0f MB\n",
        r.firstTokenMs, r.firstTokenMs > 0 ? 1000.0 * r.promptTokens / r.firstTokenMs : 0.0, r.tokensPerS, r.peakRssMb);
    if (r.readGBps > 0 && r.weightBytesPerToken > 0) {
        const double limit = r.readGBps * 1e9 / r.weightBytesPerToken;
        std::printf("weights per token   %8.2f GB; memory reads %.1f GB/s: at most %.1f tokens/s, reached %.0f %%\n",
            r.weightBytesPerToken / 1e9, r.readGBps, limit, 100.0 * r.tokensPerS / limit);
    }
    return kOk;
}

int runBenchQFormer(Context &ctx)
{
    QFormerFaithfulnessOptions o;
    o.model = ctx.args.valueOr("model", "blip2-mini");
    o.images = ctx.args.intOr("images", 100);
    o.seed = static_cast<std::uint64_t>(ctx.args.intOr("seed", 4242));
    o.topQueries = ctx.args.intOr("top", 5);
    o.compute = {ctx.global.device, ctx.global.dtype};
    const auto r = std::any_cast<QFormerFaithfulnessResult>(runJob(ctx.global, makeQFormerFaithfulnessJob(o)));
    if (ctx.global.json) {
        printJson(
            {{"images", r.images}, {"answer_accuracy", r.answerAccuracy}, {"top_patch_on_object", r.topPatchOnObject},
                {"top_patch_on_object_through_vision", r.topPatchOnObjectThroughVision},
                {"uniform_through_vision_on_object", r.uniformThroughVision}, {"chance_on_object", r.chanceOnObject},
                {"ablation_beats_random", r.ablationBeatsRandom}, {"mean_top_drop", r.meanTopDrop},
                {"mean_random_drop", r.meanRandomDrop}, {"model", r.modelName}, {"dtype", r.dtype},
                {"top", o.topQueries}, {"seed", o.seed}});
        return kOk;
    }
    std::printf("%s (%s), %d single-object Shapes images, \"what color is the {shape}?\"\n", r.modelName.c_str(),
        r.dtype.c_str(), r.images);
    std::printf("answered right                                   %6.1f %%\n", 100 * r.answerAccuracy);
    std::printf("answer word's map peaks on the object            %6.1f %% (chance %.1f %%)\n",
        100 * r.topPatchOnObject, 100 * r.chanceOnObject);
    std::printf("  the same through the vision tower's rollout    %6.1f %% (uniform attention through it: %.1f %%)\n",
        100 * r.topPatchOnObjectThroughVision, 100 * r.uniformThroughVision);
    std::printf("top-%d queries by ablation beat %d random ones    %6.1f %% (mean drop %.3f vs %.3f nats)\n",
        o.topQueries, o.topQueries, 100 * r.ablationBeatsRandom, r.meanTopDrop, r.meanRandomDrop);
    return kOk;
}

} // namespace

std::vector<Command> chatCommands()
{
    return {
        {"chat",
            "chat --model M --image PATH (--prompt TEXT | --prompt-file FILE | --prompt-ids N,N,...) [--format] "
            "[--time S] "
            "[--max-new-tokens N] [--greedy | --temperature T --top-p P --top-k K --seed S] [--repetition-penalty R] "
            "[--stop TEXT]  ask a BLIP-2 or a LLaVA about an image (BLIP-2 --format: wrap the prompt as 'Question: ... "
            "Answer:'; LLaVA prompts are always wrapped as 'USER: <image>\\n... ASSISTANT:' unless they hold <image>)",
            {"model", "image", "prompt", "prompt-file", "prompt-ids", "time", "max-new-tokens", "temperature", "top-p",
                "top-k", "seed", "repetition-penalty", "stop"},
            {"greedy", "format"}, runChat},
        {"qformer",
            "qformer --model M --image PATH [--time S] [--out MAPS.safetensors]  what each learnt query of a BLIP-2 "
            "Q-Former attends to",
            {"model", "image", "time", "out"}, {}, runQFormer},
        {"bench lm",
            "bench lm (--model M | --shape opt-125m|opt-2.7b|llama-1b|llama-7b) [--prompt-tokens N] [--new-tokens N]  "
            "greedy decoding at batch 1: time to first token, tokens/s, peak memory (LLaMA shapes: 576 image + 32 "
            "text prompt tokens)",
            {"model", "shape", "prompt-tokens", "new-tokens"}, {}, runBenchLm},
        {"bench qformer",
            "bench qformer [--model M] [--images N] [--seed S] [--top K]  is the Q-Former inspector faithful: the "
            "answer word's map on the object, top-K queries by ablation against K random ones",
            {"model", "images", "seed", "top"}, {}, runBenchQFormer},
    };
}

} // namespace ml::cli
