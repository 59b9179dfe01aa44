// `eval ddpm`: samples from a DDPM in batches (one seeded run per batch), classified zero-shot by
// a CLIP against Fashion-MNIST's classes; real test images through the same path as an anchor.
#include "train/ddpm_eval.h"

#include "common/error.h"
#include "engine/model_cache.h"
#include "models/clip/clip_runtime.h"
#include "models/diffusion/diffusion_loader.h"
#include "models/diffusion/sampler.h"
#include "preprocess.h" // kernels/
#include "train/zero_shot_eval.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>

namespace ml::train {

io::RgbImage sampleToImage(const torch::Tensor &chw)
{
    TORCH_CHECK(chw.dim() == 3, "sampleToImage: expected [C, H, W], got ", chw.sizes());
    auto x = chw.to(torch::kCPU, torch::kFloat);
    if (x.size(0) == 1)
        x = x.expand({3, x.size(1), x.size(2)});
    else if (x.size(0) == 2)
        x = at::cat({x, x.slice(0, 0, 1)}, 0);
    else if (x.size(0) > 3)
        x = x.slice(0, 0, 3);
    const auto px
        = (x * 0.5 + 0.5).clamp_(0, 1).mul_(255).round_().to(torch::kUInt8).permute({1, 2, 0}).contiguous(); // [H, W,
                                                                                                             // 3]
    io::RgbImage image;
    image.height = static_cast<int>(px.size(0));
    image.width = static_cast<int>(px.size(1));
    image.pixels.assign(px.data_ptr<std::uint8_t>(), px.data_ptr<std::uint8_t>() + px.numel());
    return image;
}

io::RgbImage imageGrid(const std::vector<io::RgbImage> &images, int columns, int gap, int zoom)
{
    if (images.empty())
        return {};
    const int n = static_cast<int>(images.size());
    if (columns <= 0)
        columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    const int rows = (n + columns - 1) / columns;
    const int cellW = images.front().width * zoom, cellH = images.front().height * zoom;
    io::RgbImage grid;
    grid.width = columns * cellW + (columns + 1) * gap;
    grid.height = rows * cellH + (rows + 1) * gap;
    grid.pixels.assign(static_cast<std::size_t>(grid.width) * grid.height * 3, 255);
    for (int i = 0; i < n; ++i) {
        const io::RgbImage &img = images[static_cast<std::size_t>(i)];
        if (img.width * zoom != cellW || img.height * zoom != cellH)
            throw Error("imageGrid: image " + std::to_string(i) + " is " + std::to_string(img.width) + "x"
                + std::to_string(img.height) + ", the first " + std::to_string(images.front().width) + "x"
                + std::to_string(images.front().height));
        const int x0 = gap + (i % columns) * (cellW + gap), y0 = gap + (i / columns) * (cellH + gap);
        for (int y = 0; y < cellH; ++y) {
            std::uint8_t *dst = grid.row(y0 + y) + static_cast<std::size_t>(x0) * 3;
            const std::uint8_t *src = img.row(y / zoom);
            for (int x = 0; x < cellW; ++x)
                std::memcpy(dst + 3 * x, src + 3 * (x / zoom), 3);
        }
    }
    return grid;
}

io::RgbImage paddedFashionImage(const FashionMnist &data, std::size_t i, int height, int width)
{
    const int s = FashionMnist::kSide;
    if (height < s || width < s)
        throw Error("Fashion-MNIST images are 28 x 28; the model's samples (" + std::to_string(height) + " x "
            + std::to_string(width) + ") are smaller");
    io::RgbImage image;
    image.width = width;
    image.height = height;
    image.pixels.assign(static_cast<std::size_t>(width) * height * 3, 0);
    const std::uint8_t *src = data.pixels(i);
    const int top = (height - s) / 2, left = (width - s) / 2;
    for (int y = 0; y < s; ++y)
        for (int x = 0; x < s; ++x)
            std::memset(image.row(top + y) + 3 * (left + x), src[y * s + x], 3);
    return image;
}

io::RgbImage centreCrop(const io::RgbImage &image, int side)
{
    if (side <= 0 || (side >= image.width && side >= image.height))
        return image;
    const int w = std::min(side, image.width), h = std::min(side, image.height);
    const int left = (image.width - w) / 2, top = (image.height - h) / 2;
    io::RgbImage out;
    out.width = w;
    out.height = h;
    out.pixels.resize(static_cast<std::size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y)
        std::memcpy(out.row(y), image.row(top + y) + 3 * left, static_cast<std::size_t>(w) * 3);
    return out;
}

DdpmEvalScores classifyFashionImages(clip::ClipRuntime &classifier, const std::vector<io::RgbImage> &images,
    double threshold, const std::vector<int> *labels, int batch, const std::function<bool()> &cancelled)
{
    EvalSet set; // the classes and prompts of `eval zero-shot --dataset fashion-mnist`
    for (int c = 0; c < FashionMnist::kClassCount; ++c) {
        set.classes.push_back(FashionMnist::classNames()[static_cast<std::size_t>(c)]);
        std::vector<std::string> prompts;
        for (std::size_t t = 0; t < FashionMnist::captionTemplates().size(); ++t)
            prompts.push_back(FashionMnist::caption(c, t));
        set.prompts.push_back(std::move(prompts));
    }
    const auto classes = classEmbeddings(set, classifier.embedTexts(flatPrompts(set), 64, cancelled)).cpu(); // [L, P]
    if (cancelled && cancelled())
        throw Cancelled();

    DdpmEvalScores scores;
    scores.images = static_cast<int>(images.size());
    for (const auto &name : set.classes)
        scores.perClass.push_back({name, 0, 0});
    if (images.empty())
        return scores;
    const kernels::PreprocessParams &params = classifier.preprocess();
    const int h = images.front().height, w = images.front().width;
    const auto geometry = kernels::preprocessGeometry(h, w, params);
    const auto n = static_cast<std::int64_t>(images.size());
    const std::int64_t step = std::max(1, batch);
    std::vector<torch::Tensor> probs;
    for (std::int64_t start = 0; start < n; start += step) {
        if (cancelled && cancelled())
            throw Cancelled();
        const std::int64_t m = std::min(step, n - start);
        std::vector<std::uint8_t> rgb(static_cast<std::size_t>(m) * h * w * 3);
        for (std::int64_t i = 0; i < m; ++i) {
            const io::RgbImage &img = images[static_cast<std::size_t>(start + i)];
            if (img.width != w || img.height != h)
                throw Error("classifyFashionImages: images of different sizes");
            std::memcpy(rgb.data() + static_cast<std::size_t>(i) * h * w * 3, img.pixels.data(), img.pixels.size());
        }
        auto pixels = torch::empty({m, 3, geometry.outHeight, geometry.outWidth}, torch::kFloat); // [m, 3, S, S]
        kernels::preprocessBatchCpu(rgb.data(), static_cast<int>(m), h, w, params, pixels.data_ptr<float>());
        const auto embeddings = classifier.embedPixels(pixels).cpu().to(torch::kFloat); // [m, P], normalised
        probs.push_back(torch::softmax(classifier.inference().logitScale() * embeddings.matmul(classes.t()), -1));
    }
    const auto all = torch::cat(probs).contiguous(); // [N, L]
    const auto [best, arg] = all.max(-1);
    const auto bestC = best.contiguous();
    const auto argC = arg.contiguous();
    int confident = 0, correct = 0;
    double sumProb = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        const float p = bestC.data_ptr<float>()[i];
        const auto c = static_cast<std::size_t>(argC.data_ptr<std::int64_t>()[i]);
        ++scores.perClass[c].count;
        sumProb += p;
        if (p >= threshold) {
            ++confident;
            ++scores.perClass[c].confident;
        }
        if (labels)
            correct += labels->at(static_cast<std::size_t>(i)) == static_cast<int>(c);
    }
    scores.shareConfident = static_cast<double>(confident) / static_cast<double>(n);
    scores.meanMaxProb = sumProb / static_cast<double>(n);
    if (labels)
        scores.accuracy = static_cast<double>(correct) / static_cast<double>(n);
    return scores;
}

} // namespace ml::train

namespace ml {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

} // namespace

DdpmEvalResult evaluateDdpm(const DdpmEvalRequest &req, JobContext *ctx)
{
    using namespace ml::diffusion;
    const auto t0 = Clock::now();
    if (req.samples <= 0 || req.batch <= 0)
        throw Error("eval ddpm: the number of samples and the batch must be positive");
    if (!(req.threshold > 0.0 && req.threshold <= 1.0))
        throw Error("eval ddpm: the threshold must be in (0, 1]");
    if (req.crop < 0)
        throw Error("eval ddpm: the crop must be 0 (none) or a side in pixels");
#ifndef MODALLENS_HAVE_MEDIA
    if (!req.gridFile.empty())
        throw Error(req.gridFile + ": PNG output needs a build with media I/O (MODALLENS_MEDIA=ON)");
#endif
    const std::string device = resolveDevice(req.compute);
    const std::string dtype = resolveDtype(req.compute, Workload::Diffusion); // the sampler's
    auto cancelled = [ctx] { return ctx && ctx->isCancelled(); };

    // Both models first, so a bad classifier fails before minutes of sampling.
    std::optional<ModelCache> own; // called without a job: a cache of its own
    ModelCache &models = ctx ? ctx->models() : own.emplace();
    const auto unet = acquireDiffusion(models, resolveModelPath(req.model), dtype, device);
    const LoadedDiffusion &loaded = *unet;
    const auto classifier
        = clip::acquireClipRuntime(models, resolveModelPath(req.classifier), resolveDtype(req.compute), device);
    const SchedulerKind kind = req.scheduler.empty() ? schedulerKindFromClassName(loaded.scheduler.class_name)
                                                     : schedulerKindFromName(req.scheduler);
    const int steps = req.steps > 0
        ? req.steps
        : (kind == SchedulerKind::Ddpm ? static_cast<int>(loaded.scheduler.num_train_timesteps) : 50);
    if (kind == SchedulerKind::Ddpm && req.eta != 0.0)
        throw Error("--eta applies to DDIM only (the DDPM step has no eta)");
    const auto &cfg = loaded.unet->config();
    if (cfg.sample_height <= 0 || cfg.sample_width <= 0)
        throw Error(loaded.unetFolder.string() + ": config.json has no sample_size");

    DdpmEvalResult result;
    result.modelName = loaded.name;
    result.classifierName = classifier->name();
    result.scheduler = schedulerKindName(kind);
    result.steps = steps;
    result.eta = req.eta;
    result.seed = req.seed;
    result.threshold = req.threshold;
    result.sampleHeight = static_cast<int>(cfg.sample_height);
    result.sampleWidth = static_cast<int>(cfg.sample_width);
    result.sampleChannels = static_cast<int>(cfg.in_channels);
    result.crop = req.crop > 0 && req.crop < std::max(result.sampleHeight, result.sampleWidth) ? req.crop : 0;
    result.warnings = loaded.warnings;
    for (const auto &w : classifier->warnings())
        result.warnings.push_back(classifier->name() + ": " + w);

    // The reference set is loaded before sampling too: a broken --fashion-mnist fails early.
    std::vector<io::RgbImage> realImages;
    std::vector<int> realLabels;
    const int wantReference = req.referenceImages.value_or(req.samples);
    if (wantReference > 0
        && (result.sampleHeight < train::FashionMnist::kSide || result.sampleWidth < train::FashionMnist::kSide)) {
        result.warnings.push_back("the samples (" + std::to_string(result.sampleHeight) + " x "
            + std::to_string(result.sampleWidth) + ") are smaller than Fashion-MNIST's 28 x 28: no reference figure");
    } else if (wantReference > 0) {
        const fs::path dir
            = req.fashionMnistDir.empty() ? train::FashionMnist::defaultFolder() : fs::path(req.fashionMnistDir);
        if (req.fashionMnistDir.empty() && !train::FashionMnist::available(train::FashionSplit::Test, dir)) {
            result.warnings.push_back("no Fashion-MNIST test split in " + dir.string() + ": no reference figure");
        } else {
            const auto test = train::FashionMnist::load(train::FashionSplit::Test, dir);
            const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(wantReference), test.size());
            for (std::size_t i = 0; i < n; ++i) {
                realImages.push_back(train::centreCrop(
                    train::paddedFashionImage(test, i, result.sampleHeight, result.sampleWidth), result.crop));
                realLabels.push_back(test.label(i));
            }
        }
    }

    const int batches = (req.samples + req.batch - 1) / req.batch;
    const std::int64_t totalSteps = static_cast<std::int64_t>(batches) * steps;
    std::vector<io::RgbImage> sampleImages, classified;
    const auto tSample = Clock::now();
    for (int b = 0; b < batches; ++b) {
        const int n = std::min(req.batch, req.samples - b * req.batch);
        Sampler sampler(loaded.unet, Scheduler(loaded.scheduler, kind), steps, req.eta);
        sampler.setKeepHistory(false);
        sampler.start(req.seed + static_cast<std::uint64_t>(b), n, cfg.sample_height, cfg.sample_width);
        while (!sampler.finished()) {
            if (cancelled())
                throw Cancelled();
            sampler.step();
            if (ctx)
                ctx->report(static_cast<std::int64_t>(b) * steps + sampler.stepIndex(), totalSteps, "sampling");
        }
        const auto x = sampler.current().to(torch::kCPU, torch::kFloat);
        for (int i = 0; i < n; ++i) {
            sampleImages.push_back(train::sampleToImage(x[i]));
            classified.push_back(train::centreCrop(sampleImages.back(), result.crop));
        }
    }
    result.samplingSeconds = std::chrono::duration<double>(Clock::now() - tSample).count();

    if (ctx)
        ctx->report(0, 1, "classifying");
    result.samples = train::classifyFashionImages(*classifier, classified, req.threshold, nullptr, 64, cancelled);
    if (!realImages.empty()) {
        result.reference
            = train::classifyFashionImages(*classifier, realImages, req.threshold, &realLabels, 64, cancelled);
        result.hasReference = true;
    }
#ifdef MODALLENS_HAVE_MEDIA
    if (!req.gridFile.empty()) {
        const int zoom = std::min(result.sampleHeight, result.sampleWidth) < 64 ? 2 : 1; // 32 px: 64 px cells
        io::saveImage(train::imageGrid(sampleImages, 0, 2, zoom), req.gridFile);
        result.gridFile = req.gridFile;
    }
#endif
    if (ctx)
        ctx->report(1, 1, "classifying");
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return result;
}

Job makeDdpmEvalJob(DdpmEvalRequest request)
{
    Job job;
    job.name = "DDPM sample quality (" + request.model + ")";
    job.lane = Lane::Inference;
    job.run = [request = std::move(request)](JobContext &ctx) -> std::any { return evaluateDdpm(request, &ctx); };
    return job;
}

} // namespace ml
