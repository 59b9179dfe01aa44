// The explain job of core/engine/explain_service.h: one explainer model cached between jobs,
// the image decoded and preprocessed as the model's processor says, one method run on it.
#include "engine/explain_service.h"

#include "common/error.h"
#include "engine/model_cache.h"
#include "explain/clip_explainer.h"
#include "io/checkpoint.h"
#include "models/clip/clip_runtime.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#endif

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <sstream>

namespace ml {

namespace {

// The float32 model of the explicit path plus the fast path at dtype; in float32 on the CPU the
// fast path shares the model's storage but for the fused q/k/v.
std::int64_t estimateExplainerBytes(const clip::ClipConfig &c, torch::ScalarType dtype, const std::string &device)
{
    const auto model = clip::estimateRuntimeBytes(c, torch::kFloat);
    if (dtype != torch::kFloat || device != "cpu")
        return model + clip::estimateRuntimeBytes(c, dtype);
    const auto qkv = [](double C, double L) { return L * (3 * C * C + 3 * C) * 4; };
    return model
        + static_cast<std::int64_t>(qkv(static_cast<double>(c.vision_config.hidden_size),
                                        static_cast<double>(c.vision_config.num_hidden_layers))
            + qkv(
                static_cast<double>(c.text_config.hidden_size), static_cast<double>(c.text_config.num_hidden_layers)));
}

std::shared_ptr<explain::ClipExplainer> acquireExplainer(
    ModelCache &cache, const std::string &folder, const std::string &dtype, const std::string &device)
{
    const auto type = clip::dtypeFromName(dtype);
    auto estimate = clip::estimateRuntime(folder, type);
    if (estimate.bytes > 0) {
        try {
            const auto j = io::readJsonFile(estimate.configFile);
            const auto config = std::filesystem::path(estimate.configFile).filename() == "config.json"
                ? clip::ClipConfig::fromJson(j)
                : clip::ClipConfig::fromOpenClipJson(j);
            estimate.bytes = estimateExplainerBytes(config, type, device);
        } catch (const std::exception &) {
            // the load reports it
        }
    }
    return cache.acquire<explain::ClipExplainer>(
        makeModelKey("clip-explain", folder, dtype, device), estimate.bytes, estimate.configFile, [&] {
            auto explainer = explain::ClipExplainer::load(folder, type, torch::Device(device));
            const auto bytes = explainer->residentBytes();
            return ModelCache::Loaded {std::move(explainer), bytes};
        });
}

std::vector<float> toFloats(const torch::Tensor &t)
{
    const auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous().view(-1);
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// The words of a query, punctuation at either end dropped: "a red circle." -> a, red, circle.
std::vector<std::string> wordsOf(const std::string &text)
{
    std::vector<std::string> words;
    std::istringstream in(text);
    for (std::string w; in >> w;) {
        std::size_t b = 0, e = w.size();
        while (b < e && std::ispunct(static_cast<unsigned char>(w[b])))
            ++b;
        while (e > b && std::ispunct(static_cast<unsigned char>(w[e - 1])))
            --e;
        if (e > b)
            words.push_back(w.substr(b, e - b));
    }
    return words;
}

std::string imageLabel(const ExplainRequest &r)
{
    return r.image.empty() ? std::string("the image") : r.image;
}

ExplainResult runExplain(const ExplainRequest &req, JobContext &ctx)
{
    at::get_num_threads(); // this worker thread takes the engine's thread count
    ExplainResult result;
    result.method = req.method;
    result.device = resolveDevice(req.compute);
    result.dtype = resolveDtype(req.compute, Workload::Explain);
    if (req.method == ExplainMethod::Relevance && req.text.empty())
        throw Error("relevance explains an image-text similarity: give the text (--text)");

    // The image first: a bad file should not wait for a model to load.
    std::vector<std::uint8_t> decoded;
    int width = req.width, height = req.height;
    const std::uint8_t *rgb = req.rgb.data();
    if (req.rgb.empty() && req.videoTimeS) {
#ifdef MODALLENS_HAVE_MEDIA
        ctx.report(0, 0, kExplainStageDecoding);
        io::VideoDecoder decoder(req.image);
        io::VideoFrame frame = decoder.frameAt(std::max(0.0, *req.videoTimeS));
        width = frame.image.width;
        height = frame.image.height;
        decoded = std::move(frame.image.pixels);
        rgb = decoded.data();
        result.frameTimeS = frame.timeS;
#else
        throw Error(imageLabel(req) + ": this build has no video decoding (MODALLENS_MEDIA=OFF)");
#endif
    } else if (req.rgb.empty()) {
#ifdef MODALLENS_HAVE_MEDIA
        auto image = io::loadImage(req.image);
        width = image.width;
        height = image.height;
        decoded = std::move(image.pixels);
        rgb = decoded.data();
#else
        throw Error(imageLabel(req) + ": this build has no image decoding (MODALLENS_MEDIA=OFF)");
#endif
    } else if (width <= 0 || height <= 0
        || req.rgb.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3) {
        throw Error(imageLabel(req) + ": RGB buffer of " + std::to_string(req.rgb.size()) + " bytes does not match "
            + std::to_string(width) + "x" + std::to_string(height) + "x3");
    }

    ctx.report(0, 0, kExplainStageLoading);
    const std::string folder = resolveModelPath(req.model);
    const auto explainer = acquireExplainer(ctx.models(), folder, result.dtype, result.device);
    result.modelName = std::filesystem::path(folder).lexically_normal().filename().string();
    if (result.modelName.empty())
        result.modelName = std::filesystem::path(folder).lexically_normal().parent_path().filename().string();
    ctx.throwIfCancelled();

    torch::Tensor crop;
    try {
        crop = explainer->cropOf(rgb, width, height);
    } catch (const Error &e) {
        throw Error(imageLabel(req) + ": " + e.what());
    }
    const auto pixels = explainer->pixelsOf(crop);
    result.imageSize = static_cast<int>(explainer->imageSize());
    result.inputRgb.assign(crop.data_ptr<std::uint8_t>(), crop.data_ptr<std::uint8_t>() + crop.numel());
    result.gridH = result.gridW = static_cast<int>(explainer->gridSize());
    result.layers = static_cast<int>(explainer->layers());
    result.heads = static_cast<int>(explainer->heads());
    const auto fusion = explain::headFusionFromName(req.headFusion);

    const auto t0 = std::chrono::steady_clock::now();
    switch (req.method) {
    case ExplainMethod::Attention: {
        ctx.report(0, 1, kExplainStageExplaining);
        const int layer = req.layer < 0 ? result.layers + req.layer : req.layer;
        if (layer < 0 || layer >= result.layers)
            throw Error("layer " + std::to_string(req.layer) + " does not exist (the vision tower has "
                + std::to_string(result.layers) + " layers, 0.." + std::to_string(result.layers - 1) + ")");
        const auto trace = explainer->vision(pixels);
        const auto &attention = trace.attentions[static_cast<std::size_t>(layer)];
        result.layer = layer;
        result.map = toFloats(explain::rawAttention(attention, req.head, fusion, req.queryToken));
        if (req.allHeads)
            for (int h = 0; h < result.heads; ++h)
                result.headMaps.push_back({"head " + std::to_string(h),
                    toFloats(explain::rawAttention(attention, h, fusion, req.queryToken))});
        result.fastPathMaxAbsDiff = trace.fastPathMaxAbsDiff;
        break;
    }
    case ExplainMethod::Rollout: {
        ctx.report(0, 1, kExplainStageExplaining);
        const auto trace = explainer->vision(pixels);
        result.map
            = toFloats(explain::clsToPatches(explain::attentionRollout(trace.attentions, fusion, req.discardRatio)));
        result.fastPathMaxAbsDiff = trace.fastPathMaxAbsDiff;
        break;
    }
    case ExplainMethod::Relevance: {
        const auto words = req.perWord ? wordsOf(req.text) : std::vector<std::string> {};
        const auto total = static_cast<std::int64_t>(1 + words.size());
        ctx.report(0, total, kExplainStageExplaining);
        const auto ids = explainer->tokenIds(req.text);
        const auto r = explainer->relevance(pixels, ids, req.startLayer);
        result.map = toFloats(r.imageRelevance.select(0, 0).slice(0, 1));
        result.tokens = explainer->tokenStrings(ids);
        result.tokenRelevance = toFloats(r.textRelevance.select(0, r.eosIndex));
        result.similarity = r.similarity;
        result.fastPathMaxAbsDiff = r.fastPathMaxAbsDiff;
        for (std::size_t i = 0; i < words.size(); ++i) {
            ctx.throwIfCancelled();
            ctx.report(static_cast<std::int64_t>(1 + i), total, kExplainStageExplaining);
            const auto w = explainer->relevance(pixels, explainer->tokenIds(words[i]), req.startLayer);
            result.wordMaps.push_back({words[i], toFloats(w.imageRelevance.select(0, 0).slice(0, 1))});
            result.fastPathMaxAbsDiff = std::max(result.fastPathMaxAbsDiff, w.fastPathMaxAbsDiff);
        }
        ctx.report(total, total, kExplainStageExplaining);
        break;
    }
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

} // namespace

ExplainMethod explainMethodFromName(const std::string &name)
{
    if (name == "attention")
        return ExplainMethod::Attention;
    if (name == "rollout")
        return ExplainMethod::Rollout;
    if (name == "relevance")
        return ExplainMethod::Relevance;
    throw Error("unknown method '" + name + "' (expected attention, rollout or relevance)");
}

const char *explainMethodName(ExplainMethod method)
{
    switch (method) {
    case ExplainMethod::Attention:
        return "attention";
    case ExplainMethod::Rollout:
        return "rollout";
    case ExplainMethod::Relevance:
        return "relevance";
    }
    return "attention";
}

Job makeExplainJob(ExplainRequest request)
{
    const std::string name = std::string("Explain (") + explainMethodName(request.method) + ")";
    return {name, Lane::Inference,
        [request = std::move(request)](JobContext &ctx) -> std::any { return runExplain(request, ctx); }};
}

} // namespace ml
