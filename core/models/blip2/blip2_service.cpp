// The chat, Q-Former and query-ablation jobs of chat_service.h over a BLIP-2 runtime from the
// engine's model cache (a LLaVA folder's chat goes to llava_chat.cpp).
#include "common/error.h"
#include "engine/chat_service.h"
#include "engine/model_discovery.h"
#include "io/sha256.h"
#include "models/blip2/blip2_runtime.h"
#include "models/llava/llava_chat.h"
#include "models/lm/generate.h"
#include "models/lm/still_image.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace ml {

namespace {

struct Loaded {
    std::shared_ptr<blip2::Blip2Runtime> rt;
    torch::Tensor pixels;
    std::string dtype, device;
};

Loaded loadFor(JobContext &ctx, const std::string &model, const std::string &image, const std::optional<double> &timeS,
    const ComputeOptions &compute, const ChatRequest *probe = nullptr)
{
    Loaded l;
    l.device = resolveDevice(compute);
    l.dtype = resolveDtype(compute, Workload::Language);
    ctx.report(0, 0, kChatStageImage); // a bad file should not wait for a model to load
    lm::Still still = lm::readStill(image, timeS);
    ctx.report(0, 0, kChatStageLoading);
    const std::string folder = resolveModelPath(model);
    l.rt = blip2::acquireBlip2Runtime(
        ctx.models(), folder, l.dtype, l.device, [&](std::int64_t done, std::int64_t total) {
            ctx.throwIfCancelled();
            ctx.report(done, total, kChatStageLoading);
        });
    ctx.warn(folder, l.rt->warnings());
    const auto &p = l.rt->processor();
    if (probe && !probe->regionMask.empty()) {
        std::uint8_t fill[3];
        lm::borderColour(still, fill);
        lm::hideRegion(still, probe->regionMask, probe->regionWidth, probe->regionHeight, fill);
    }
    l.pixels = p(still.rgb.data(), still.height, still.width);
    if (probe)
        lm::hidePatches(l.pixels, probe->hiddenPatches, static_cast<int>(l.rt->config().vision.patch_size),
            lm::borderColour(l.pixels));
    return l;
}

ImageAttention toImageAttention(const torch::Tensor &a) // [tokens, layers, heads, positions]
{
    ImageAttention out;
    if (!a.defined())
        return out;
    const auto t = a.to(torch::kFloat).contiguous();
    out.tokens = static_cast<int>(t.size(0));
    out.layers = static_cast<int>(t.size(1));
    out.heads = static_cast<int>(t.size(2));
    out.positions = static_cast<int>(t.size(3));
    out.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    return out;
}

ChatResult runChat(const ChatRequest &req, JobContext &ctx)
{
    if (familyOfFolder(resolveModelPath(req.model)) == ModelFamily::Llava)
        return llava::runChat(req, ctx);
    at::get_num_threads(); // this worker thread takes the engine's thread count
    auto l = loadFor(ctx, req.model, req.image, req.videoTimeS, req.compute, &req);
    auto &rt = *l.rt;
    ChatResult r;
    r.modelName = rt.name();
    r.family = "blip-2";
    r.dtype = l.dtype;
    r.device = l.device;
    r.imageSha256 = io::sha256File(req.image);
    ctx.report(0, 0, kChatStagePrompt);
    if (!req.promptIds.empty()) {
        r.promptIds = req.promptIds;
    } else {
        if (req.prompt.empty())
            throw Error("the question is empty");
        r.promptText = req.rawPrompt ? req.prompt : blip2::Blip2Runtime::formatPrompt(req.history, req.prompt);
        r.promptIds = rt.encodePrompt(r.promptText);
    }
    const auto maxPositions = rt.model()->languageModel()->maxPositions();
    const auto queryCount = rt.config().num_query_tokens;
    ctx.warn("",
        {lm::fitPrompt(
            r.promptIds, 1, queryCount, lm::promptBudget(maxPositions, req.sampling.maxNewTokens), maxPositions)});
    const auto queries = rt.queryEmbeds(l.pixels);
    const auto embeds = rt.promptEmbeds(queries, r.promptIds);

    lm::GenerateOptions o;
    o.sampling = req.sampling;
    o.eosId = rt.config().text.eos_token_id;
    o.decode = [&](const std::vector<std::int64_t> &ids) { return rt.decode(ids); };
    o.tokenText = [&](std::int64_t id) { return rt.tokenText(id); };
    o.cancelled = [&] { return ctx.isCancelled(); };
    o.seenIds = r.promptIds;
    o.attentions = req.explain;
    o.attendBegin = 0;
    o.attendEnd = queries.size(1);
    const auto total = std::max(1, req.sampling.maxNewTokens);
    o.onToken = [&](const ChatToken &t) {
        ctx.partial(kChatTokenPartial, t);
        ctx.report(t.index + 1, total, kChatStageGenerating);
    };
    auto g = lm::generate(*rt.model()->languageModel(), embeds, o);
    if (g.stopReason == "cancelled")
        throw Cancelled();
    r.tokens = std::move(g.tokens);
    r.text = llava::trimAnswer(g.text);
    r.stopReason = g.stopReason;
    r.firstTokenMs = g.firstTokenMs;
    r.tokensPerS = g.tokensPerS;
    r.imageAttention = toImageAttention(g.attention);
    return r;
}

QFormerResult runQFormer(const QFormerRequest &req, JobContext &ctx)
{
    at::get_num_threads();
    auto l = loadFor(ctx, req.model, req.image, req.videoTimeS, req.compute);
    ctx.report(0, 1, "Q-Former");
    auto r = blip2::inspectQFormer(*l.rt, l.pixels);
    r.modelName = l.rt->name();
    r.dtype = l.dtype;
    r.device = l.device;
    ctx.report(1, 1, "Q-Former");
    return r;
}

QueryAblationResult runAblation(const QueryAblationRequest &req, JobContext &ctx)
{
    at::get_num_threads();
    if (req.promptIds.empty() || req.answerIds.empty())
        throw Error("query ablation needs an answer: ask a question first");
    auto l = loadFor(ctx, req.model, req.image, req.videoTimeS, req.compute);
    auto &rt = *l.rt;
    auto &lm = *rt.model()->languageModel();
    const auto queries = rt.queryEmbeds(l.pixels);
    const auto Q = queries.size(1);
    const auto total = Q + static_cast<std::int64_t>(req.groups.size()) + 1;
    auto score = [&](const std::vector<int> &zeroed) {
        auto qs = queries.clone();
        for (int q : zeroed) {
            if (q < 0 || q >= Q)
                throw Error("query " + std::to_string(q) + " does not exist (the model has " + std::to_string(Q) + ")");
            qs[0][q].zero_();
        }
        return lm::continuationLogProb(lm, rt.promptEmbeds(qs, req.promptIds), req.answerIds);
    };
    QueryAblationResult r;
    std::int64_t done = 0;
    ctx.report(done, total, "ablating queries");
    r.logProb = score({});
    ctx.report(++done, total, "ablating queries");
    for (int q = 0; q < Q; ++q) {
        ctx.throwIfCancelled();
        r.perQuery.push_back(r.logProb - score({q}));
        ctx.report(++done, total, "ablating queries");
    }
    for (const auto &group : req.groups) {
        ctx.throwIfCancelled();
        r.perGroup.push_back(r.logProb - score(group));
        ctx.report(++done, total, "ablating queries");
    }
    return r;
}

} // namespace

Job makeChatJob(ChatRequest request)
{
    return {
        "Chat", Lane::Inference, [req = std::move(request)](JobContext &ctx) -> std::any { return runChat(req, ctx); }};
}

Job makeQFormerJob(QFormerRequest request)
{
    return {"Q-Former", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return runQFormer(req, ctx); }};
}

Job makeQueryAblationJob(QueryAblationRequest request)
{
    return {"Query ablation", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return runAblation(req, ctx); }};
}

} // namespace ml
