// Zero-shot evaluation of any CLIP checkpoint through the CLIP runtime (its own preprocessing,
// so real CLIPs work too) on the sets the trainer evaluates on.
#include "engine/zero_shot_eval_service.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "models/clip/clip_runtime.h"
#include "train/fashion_mnist.h"
#include "train/zero_shot_eval.h"

#include <cstring>
#include <optional>

namespace ml {

ZeroShotEvalResult evaluateZeroShot(const ZeroShotEvalRequest &request, JobContext *ctx)
{
    const ComputeOptions compute {"auto", request.dtype};
    std::optional<ModelCache> own; // called without a job: a cache of its own
    const auto runtime = clip::acquireClipRuntime(ctx ? ctx->models() : own.emplace(), resolveModelPath(request.model),
        resolveDtype(compute), resolveDevice(compute));

    train::EvalSet set;
    if (request.dataset == "shapes") {
        const std::int64_t perClass = request.limit > 0 ? (request.limit + 23) / 24 : 100;
        set = train::shapesEvalSet(request.seed, perClass, request.augmented);
    } else if (request.dataset == "fashion-mnist") {
        const std::filesystem::path dir = request.fashionMnistDir.empty()
            ? train::FashionMnist::defaultFolder()
            : std::filesystem::path(request.fashionMnistDir);
        set = train::fashionEvalSet(train::FashionMnist::load(train::FashionSplit::Test, dir), request.limit);
    } else {
        throw Error("unknown evaluation dataset '" + request.dataset + "' (shapes or fashion-mnist)");
    }

    auto cancelled = [ctx] { return ctx && ctx->isCancelled(); };
    const auto textEmbeddings = runtime->embedTexts(train::flatPrompts(set), 64, cancelled);
    if (cancelled())
        throw Cancelled();
    const auto classes = train::classEmbeddings(set, textEmbeddings);

    const kernels::PreprocessParams &params = runtime->preprocess();
    const auto N = static_cast<std::int64_t>(set.images.size());
    const int batch = std::max(1, request.batchSize);
    std::vector<torch::Tensor> chunks;
    for (std::int64_t start = 0; start < N; start += batch) {
        if (cancelled())
            throw Cancelled();
        const std::int64_t n = std::min<std::int64_t>(batch, N - start);
        const int h = set.images[start].height, w = set.images[start].width;
        std::vector<std::uint8_t> rgb(static_cast<std::size_t>(n * h * w * 3));
        for (std::int64_t i = 0; i < n; ++i)
            std::memcpy(
                rgb.data() + i * h * w * 3, set.images[start + i].pixels.data(), static_cast<std::size_t>(h * w * 3));
        const auto geometry = kernels::preprocessGeometry(h, w, params);
        auto pixels = torch::empty({n, 3, geometry.outHeight, geometry.outWidth}, torch::kFloat); // [n, 3, S, S]
        kernels::preprocessBatchCpu(rgb.data(), static_cast<int>(n), h, w, params, pixels.data_ptr<float>());
        chunks.push_back(runtime->embedPixels(pixels).cpu());
        if (ctx)
            ctx->report(start + n, N, "evaluating");
    }
    const auto scores = train::scoreZeroShot(set, torch::cat(chunks), classes.cpu(), runtime->inference().logitScale());

    ZeroShotEvalResult result;
    result.dataset = request.dataset;
    result.images = N;
    result.accuracy = scores.accuracy;
    result.heldOutImages = scores.heldOutImages;
    result.heldOutAccuracy = scores.heldOutAccuracy;
    result.classes = set.classes;
    result.perClassAccuracy = scores.perClassAccuracy;
    result.confusion = scores.confusion;
    return result;
}

Job makeZeroShotEvalJob(ZeroShotEvalRequest request)
{
    Job job;
    job.name = "Zero-shot evaluation (" + request.dataset + ")";
    job.lane = Lane::Inference;
    job.run = [request = std::move(request)](JobContext &ctx) -> std::any { return evaluateZeroShot(request, &ctx); };
    return job;
}

} // namespace ml
