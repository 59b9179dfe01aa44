// The chat job for LLaVA folders (chat_service.h's makeChatJob hands them here).
#include "models/llava/llava_chat.h"

#include "common/error.h"
#include "engine/model_discovery.h"
#include "io/sha256.h"
#include "models/lm/generate.h"
#include "models/lm/still_image.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace ml::llava {

ChatInput prepareChat(const InputSpec &spec, JobContext &ctx)
{
    at::get_num_threads(); // this worker thread takes the engine's thread count
    ChatInput in;
    in.device = resolveDevice(spec.compute);
    in.dtype = resolveDtype(spec.compute, Workload::Language);
    ctx.report(0, 0, kChatStageImage); // a bad file should not wait for a model to load
    auto still = lm::readStill(spec.image, spec.videoTimeS);
    ctx.report(0, 0, kChatStageLoading);
    const std::string folder = resolveModelPath(spec.model);
    in.rt = acquireLlavaRuntime(ctx.models(), folder, in.dtype, in.device, [&](std::int64_t done, std::int64_t total) {
        ctx.throwIfCancelled();
        ctx.report(done, total, kChatStageLoading);
    });
    ctx.warn(folder, in.rt->warnings());
    auto &rt = *in.rt;
    if (spec.regionMask && !spec.regionMask->empty()) {
        std::uint8_t fill[3];
        lm::borderColour(still, fill);
        lm::hideRegion(still, *spec.regionMask, spec.regionWidth, spec.regionHeight, fill);
    }
    auto pixels = rt.pixels(still.rgb.data(), still.height, still.width);
    in.imageSize = rt.imageSize();
    in.inputRgb.resize(static_cast<std::size_t>(in.imageSize) * in.imageSize * 3);
    kernels::resizeCropCpu(still.rgb.data(), still.height, still.width, rt.preprocess(), in.inputRgb.data());
    const auto &v = rt.config().vision;
    if (spec.hiddenPatches)
        lm::hidePatches(pixels, *spec.hiddenPatches, static_cast<int>(v.patch_size), lm::borderColour(pixels));
    in.gridH = in.gridW = static_cast<int>(v.gridSize());
    ctx.report(0, 0, kChatStagePrompt);
    if (!spec.promptIds.empty()) {
        in.promptIds = spec.promptIds;
    } else {
        if (spec.prompt.empty())
            throw Error("the question is empty");
        // A raw prompt is taken as given only when it places the image itself.
        const bool raw = spec.rawPrompt && spec.prompt.find("<image>") != std::string::npos;
        in.promptText = raw ? spec.prompt : LlavaRuntime::formatPrompt(spec.history, spec.prompt);
        in.promptIds = rt.encodePrompt(in.promptText);
    }
    const auto &cfg = rt.config();
    const auto images = std::count(in.promptIds.begin(), in.promptIds.end(), cfg.image_token_index);
    const auto lastImage = std::find(in.promptIds.rbegin(), in.promptIds.rend(), cfg.image_token_index);
    const auto keepHead = images > 0 ? static_cast<std::size_t>(in.promptIds.rend() - lastImage) : 1;
    const auto maxPositions = rt.model()->languageModel()->maxPositions();
    ctx.warn("",
        {lm::fitPrompt(in.promptIds, keepHead, images == 1 ? cfg.imageTokens() - 1 : 0,
            lm::promptBudget(maxPositions, spec.maxNewTokens), maxPositions)});
    torch::NoGradGuard noGrad;
    in.merged = rt.model()->merge(in.promptIds, rt.imageEmbeds(pixels));
    return in;
}

std::string trimAnswer(const std::string &text)
{
    const auto first = text.find_first_not_of(" \n\t");
    if (first == std::string::npos)
        return {};
    const auto last = text.find_last_not_of(" \n\t");
    return text.substr(first, last - first + 1);
}

ChatResult chatResultOf(const ChatInput &in)
{
    ChatResult r;
    r.modelName = in.rt->name();
    r.family = "llava";
    r.dtype = in.dtype;
    r.device = in.device;
    r.promptText = in.promptText;
    r.promptIds = in.promptIds;
    r.gridH = in.gridH;
    r.gridW = in.gridW;
    return r;
}

lm::GenerateOptions generateOptions(const ChatInput &in, JobContext &ctx, int total)
{
    const auto &rt = *in.rt;
    lm::GenerateOptions o;
    o.eosId = rt.eosId();
    o.decode = [&rt](const std::vector<std::int64_t> &ids) { return rt.decode(ids); };
    o.tokenText = [&rt](std::int64_t id) { return rt.tokenText(id); };
    o.cancelled = [&ctx] { return ctx.isCancelled(); };
    o.seenIds = in.promptIds;
    o.onToken = [&ctx, total](const ChatToken &t) {
        ctx.partial(kChatTokenPartial, t);
        ctx.report(t.index + 1, total, kChatStageGenerating);
    };
    return o;
}

ChatResult runChat(const ChatRequest &req, JobContext &ctx)
{
    InputSpec spec = inputSpec(req);
    spec.rawPrompt = req.rawPrompt;
    spec.maxNewTokens = req.sampling.maxNewTokens;
    auto in = prepareChat(spec, ctx);
    auto &rt = *in.rt;
    ChatResult r = chatResultOf(in);
    r.imageSha256 = io::sha256File(req.image);

    lm::GenerateOptions o = generateOptions(in, ctx, std::max(1, req.sampling.maxNewTokens));
    o.sampling = req.sampling;
    o.attentions = req.explain && in.merged.imageBegin >= 0;
    o.attendBegin = std::max<std::int64_t>(0, in.merged.imageBegin);
    o.attendEnd = std::max<std::int64_t>(0, in.merged.imageEnd);
    auto g = lm::generate(*rt.model()->languageModel(), in.merged.embeds, o);
    if (g.stopReason == "cancelled")
        throw Cancelled();
    r.tokens = std::move(g.tokens);
    r.text = trimAnswer(g.text);
    r.stopReason = g.stopReason;
    r.firstTokenMs = g.firstTokenMs;
    r.tokensPerS = g.tokensPerS;
    if (g.attention.defined()) {
        const auto a = g.attention.to(torch::kFloat).contiguous();
        auto &ia = r.imageAttention;
        ia.tokens = static_cast<int>(a.size(0));
        ia.layers = static_cast<int>(a.size(1));
        ia.heads = static_cast<int>(a.size(2));
        ia.positions = static_cast<int>(a.size(3));
        ia.values.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
    }
    return r;
}

} // namespace ml::llava
