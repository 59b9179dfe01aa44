// `modallens-cli bench ...`: figures, never pass/fail. Each benchmark is one call into core
// (engine/bench_service.h, io/media_bench.h, clip_service.h); this file parses the options and
// prints a table, or one JSON document with --json.
#include "cli_common.h"

#include "common/error.h"
#include "engine/bench_service.h"
#include "engine/clip_service.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media_bench.h"
#endif

#include <cstdio>
#include <thread>

namespace ml::cli {

namespace {

#ifdef MODALLENS_HAVE_MEDIA
int runBenchMedia(Context &ctx)
{
    io::MediaBenchRequest req;
    req.images = ctx.args.intOr("images", 1000);
    req.seeks = ctx.args.intOr("seeks", 100);
    req.threads = ctx.global.threads > 0 ? ctx.global.threads : static_cast<int>(std::thread::hardware_concurrency());
    if (req.images <= 0 || req.seeks <= 0)
        throw UsageError("--images and --seeks must be positive");
    const auto r = std::any_cast<io::MediaBenchResult>(runJob(ctx.global,
        {"Media benchmark", Lane::Inference, [&](JobContext &job) -> std::any {
             return io::benchMedia(req, [&](std::int64_t done, std::int64_t total, const std::string &stage) {
                 job.throwIfCancelled();
                 job.report(done, total, stage);
             });
         }}));
    if (ctx.global.json) {
        printJson({{"images", r.images}, {"threads", r.threads}, {"thumbnails_per_s", r.thumbnailsPerS},
            {"cached_thumbnails_per_s", r.cachedThumbnailsPerS}, {"frame_at_p50_ms", r.frameAtP50Ms},
            {"frame_at_p99_ms", r.frameAtP99Ms}, {"frame_at_256px_p50_ms", r.frameAt256pxP50Ms},
            {"frame_at_256px_p99_ms", r.frameAt256pxP99Ms}, {"sequential_decode_fps", r.sequentialDecodeFps},
            {"video", r.video}});
        return kOk;
    }
    std::printf("%-34s %10s\n", "figure", "value");
    std::printf("%-34s %10.1f\n", "thumbnails/s (1920x1080 JPEG, cold)", r.thumbnailsPerS);
    std::printf("%-34s %10.1f\n", "thumbnails/s (cached)", r.cachedThumbnailsPerS);
    std::printf("%-34s %10.1f\n", "frame-at-time p50 ms (1080p H.264)", r.frameAtP50Ms);
    std::printf("%-34s %10.1f\n", "frame-at-time p99 ms (1080p H.264)", r.frameAtP99Ms);
    std::printf("%-34s %10.1f\n", "frame-at-time p50 ms (to 256 px)", r.frameAt256pxP50Ms);
    std::printf("%-34s %10.1f\n", "sequential decode fps (1080p)", r.sequentialDecodeFps);
    std::printf("(%d images, %d threads)\n", r.images, r.threads);
    return kOk;
}

#ifdef MODALLENS_HAVE_INDEX
// Indexing throughput: images/s and the video's multiple of real time (the indexer's embedding phase).
int runBenchIndex(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("bench index takes no positional arguments");
    IndexBenchRequest req;
    req.images = ctx.args.intOr("images", 300);
    req.videoSeconds = ctx.args.doubleOr("video-seconds", 60.0);
    req.fps = ctx.args.doubleOr("fps", 1.0);
    req.vitB32 = ctx.args.flag("vit-b32");
    req.model = ctx.args.valueOr("model", "clip-mini");
    req.compute = {ctx.global.device, ctx.global.dtype};
    if (req.vitB32 && ctx.args.value("model"))
        throw UsageError("--model and --vit-b32 exclude each other");
    if (req.images < 0 || !(req.videoSeconds >= 0) || req.images + req.videoSeconds <= 0)
        throw UsageError("--images and --video-seconds must not be negative, and not both 0");
    if (!(req.fps > 0) || req.fps > 60)
        throw UsageError("--fps must be in (0, 60]");
    const auto r = std::any_cast<IndexBenchResult>(runJob(ctx.global, makeIndexBenchJob(req)));
    if (ctx.global.json) {
        printJson({{"images", req.images}, {"images_per_s", r.imagesPerS}, {"video_seconds", req.videoSeconds},
            {"video_x_realtime", r.videoXRealtime}, {"video_frames", r.videoFrames}, {"fps", req.fps},
            {"model", r.model}, {"threads", r.threads}, {"dtype", r.dtype}});
        return kOk;
    }
    std::printf("%-36s %10s\n", "figure", "value");
    std::printf("%-36s %10.1f\n", "images/s (640x480 JPEG)", r.imagesPerS);
    std::printf("%-36s %9.1fx\n", "video indexing, multiple of real time", r.videoXRealtime);
    std::printf("(%s, %s, %d threads; %d images; %.0f s 640x480 H.264 clip at %g frame/s, %lld frames embedded)\n",
        r.model.c_str(), r.dtype.c_str(), r.threads, req.images, req.videoSeconds, req.fps,
        static_cast<long long>(r.videoFrames));
    return kOk;
}
#endif
#endif

// ViT-B/32-shaped CLIP: images/s (optionally from decoded 640x480 photos), text/s, GFLOP/s.
int runBenchClip(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("bench clip takes no positional arguments");
    ClipBenchOptions o;
    o.batch = ctx.args.intOr("batch", 32);
    o.seconds = ctx.args.doubleOr("seconds", 10.0);
    o.preprocess = ctx.args.flag("preprocess");
    o.text = !ctx.args.flag("no-text");
    o.engine = ctx.args.valueOr("engine", "auto");
    o.compare = !ctx.args.flag("no-compare");
    o.compute = {ctx.global.device, ctx.global.dtype};
    if (o.batch <= 0 || o.seconds <= 0)
        throw UsageError("--batch and --seconds must be positive");
    const auto r = std::any_cast<ClipBenchResult>(runJob(ctx.global, makeClipBenchJob(o)));
    const double gemmShare = r.forwardSeconds > 0 ? r.gemmSeconds / r.forwardSeconds : 0.0;
    if (ctx.global.json) {
        nlohmann::json out {{"images_per_s", r.imagesPerS}, {"batch", r.batch}, {"dtype", r.dtype},
            {"preprocess", r.preprocess}, {"device", r.device}, {"threads", r.threads},
            {"gflop_per_image", r.gflopPerImage}, {"gflop_per_s", r.gflopPerS},
            {"matmul_gflop_per_s", r.matmulGflopPerS},
            {"fraction_of_matmul", r.matmulGflopPerS > 0 ? r.gflopPerS / r.matmulGflopPerS : 0.0},
            {"forward_ms_per_batch", r.forwardSeconds * 1000}, {"gemm_ms_per_batch", r.gemmSeconds * 1000},
            {"flop_convention", "multiply-adds (as in 'ViT-B/32 = 4.4 GFLOP')"}, {"engine", r.engine},
            {"onednn_isa", r.isa}};
        if (r.torchImagesPerS > 0) {
            out["before_images_per_s"] = r.torchImagesPerS;
            out["speedup_over_before"] = r.imagesPerS / r.torchImagesPerS;
            out["torch_matmul_gflop_per_s"] = r.torchMatmulGflopPerS;
        }
        if (r.preprocess)
            out["preprocess_ms_per_batch"] = r.preprocessSeconds * 1000;
        if (o.text) {
            out["text_per_s"] = r.textPerS;
            out["text_prompt_per_s"] = r.textPromptPerS;
        }
        printJson(out);
        return kOk;
    }
    std::printf("%-40s %10s\n", "figure", "value");
    std::printf("%-40s %10.2f\n", r.preprocess ? "images/s (from 640x480 RGB)" : "images/s", r.imagesPerS);
    if (r.torchImagesPerS > 0)
        std::printf("%-40s %10.2f  (%.2fx)\n", "  before: LibTorch operators", r.torchImagesPerS,
            r.imagesPerS / r.torchImagesPerS);
    if (o.text) {
        std::printf("%-40s %10.1f\n", "text/s (batch 32, 77 tokens)", r.textPerS);
        std::printf("%-40s %10.1f\n", "text/s (batch 32, 8-token prompt)", r.textPromptPerS);
    }
    std::printf("%-40s %10.1f\n", "GFLOP/s (4.41 GFLOP/image, mult-adds)", r.gflopPerS);
    std::printf("%-40s %10.1f\n", "plain matrix product GFLOP/s", r.matmulGflopPerS);
    std::printf("%-40s %9.0f%%\n", "  forward's share of it", 100.0 * r.gflopPerS / r.matmulGflopPerS);
    if (r.torchMatmulGflopPerS > 0)
        std::printf("%-40s %10.1f\n", "  LibTorch's plain product GFLOP/s", r.torchMatmulGflopPerS);
    std::printf("%-40s %10.1f\n", "forward ms/batch", r.forwardSeconds * 1000);
    std::printf("%-40s %9.0f%%\n", "  of which matrix products", 100.0 * gemmShare);
    if (r.preprocess)
        std::printf("%-40s %10.1f\n", "preprocess ms/batch", r.preprocessSeconds * 1000);
    std::printf("(ViT-B/32-shaped tower, random weights; batch %d, %s on %s, %d threads; engine %s, oneDNN isa %s)\n",
        r.batch, r.dtype.c_str(), r.device.c_str(), r.threads, r.engine.c_str(), r.isa.c_str());
    return kOk;
}

// Single-query top-10 latency over N clustered unit vectors (exact fp16 or the FAISS IVF path),
// with recall@10 against exact search on the same queries.
int runBenchSearch(Context &ctx)
{
#ifndef MODALLENS_HAVE_INDEX
    (void)ctx;
    throw Error(kNoIndexBuild);
#else
    if (!ctx.args.positional().empty())
        throw UsageError("bench search takes no positional arguments");
    if (!ctx.args.value("vectors"))
        throw UsageError("bench search needs --vectors N");
    SearchBenchRequest req;
    req.vectors = ctx.args.intOr("vectors", 0);
    req.dim = ctx.args.intOr("dim", 512);
    req.queries = ctx.args.intOr("queries", 200);
    if (req.vectors <= 0 || req.dim <= 0 || req.queries <= 0)
        throw UsageError("--vectors, --dim and --queries must be positive");
    if (ctx.args.flag("exact") && ctx.args.flag("approx"))
        throw UsageError("--exact and --approx exclude each other");
    req.mode = ctx.args.flag("approx") ? SearchBenchRequest::Mode::Approx
        : ctx.args.flag("exact")       ? SearchBenchRequest::Mode::Exact
                                       : SearchBenchRequest::Mode::Auto;
    const auto r = std::any_cast<SearchBenchResult>(runJob(ctx.global, makeSearchBenchJob(req)));
    if (ctx.global.json) {
        nlohmann::json out {{"p50_ms", r.p50Ms}, {"p99_ms", r.p99Ms}, {"recall_at_10", r.recallAt10},
            {"build_s", r.buildSeconds}, {"mode", r.mode}, {"vectors", r.vectors}, {"dim", r.dim},
            {"queries", r.queries}, {"storage", "fp16"}, {"threads", r.threads}};
        if (!r.index.empty()) {
            out["index"] = r.index;
            out["nlist"] = r.nlist;
            out["nprobe"] = r.nprobe;
            out["train_vectors"] = r.trainVectors;
            out["recall_at_10_at_build"] = r.recallAt10AtBuild;
        }
        printJson(out);
        return kOk;
    }
    std::printf("%-28s %10s\n", "figure", "value");
    std::printf("%-28s %10.2f\n", "p50 ms per query", r.p50Ms);
    std::printf("%-28s %10.2f\n", "p99 ms per query", r.p99Ms);
    std::printf("%-28s %10.3f\n", "recall@10 vs exact", r.recallAt10);
    std::printf("%-28s %10.2f\n", "build s", r.buildSeconds);
    const std::string approxInfo = r.index.empty() ? "" : ", " + r.index + " nprobe " + std::to_string(r.nprobe);
    std::printf("(%s search, %lld x %lld clustered unit vectors, %lld queries, top-10, %d threads%s)\n", r.mode.c_str(),
        static_cast<long long>(r.vectors), static_cast<long long>(r.dim), static_cast<long long>(r.queries), r.threads,
        approxInfo.c_str());
    return kOk;
#endif
}

// Shapes World samples/s with every augmentation (64x64), the trainers' data rate.
int runBenchShapes(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("bench shapes takes no positional arguments");
    ShapesBenchRequest req;
    req.samples = ctx.args.intOr("samples", 10000);
    if (req.samples <= 0)
        throw UsageError("--samples must be positive");
    const auto r = std::any_cast<ShapesBenchResult>(runJob(ctx.global, makeShapesBenchJob(req)));
    if (ctx.global.json) {
        printJson({{"samples", r.samples}, {"seconds", r.seconds}, {"samples_per_s", r.samplesPerS}, {"bytes", r.bytes},
            {"size", "64x64 RGB"}, {"augmentations", "all"}});
        return kOk;
    }
    std::printf("%-40s %10s\n", "figure", "value");
    std::printf("%-40s %10.0f\n", "samples/s (64x64, every augmentation)", r.samplesPerS);
    std::printf(
        "(%lld Shapes World training samples in %.2f s, one thread)\n", static_cast<long long>(r.samples), r.seconds);
    return kOk;
}

// CLIP training steps/s: the presets and a wider mini, short runs without evaluation.
int runBenchTrain(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("bench train takes no positional arguments");
    TrainBenchRequest req;
    req.tinySteps = ctx.args.intOr("tiny-steps", 60);
    req.miniSteps = ctx.args.intOr("mini-steps", 12);
    req.dtype = ctx.global.dtype;
    if (req.tinySteps <= 0 || req.miniSteps <= 0)
        throw UsageError("--tiny-steps and --mini-steps must be positive");
    if (req.dtype == "fp16")
        throw UsageError("--dtype fp16 is for GPUs; training on the CPU takes auto, fp32 or bf16");
    const auto r = std::any_cast<TrainBenchResult>(runJob(ctx.global, makeTrainBenchJob(req)));
    if (ctx.global.json) {
        nlohmann::json cases = nlohmann::json::array();
        for (const auto &c : r.cases)
            cases.push_back(
                {{"name", c.name}, {"steps", c.steps}, {"steps_per_s", c.stepsPerS}, {"images_per_s", c.imagesPerS},
                    {"data_s_per_batch", c.dataSecondsPerBatch}, {"data_wait_s", c.dataWaitSeconds},
                    {"final_loss", c.finalLoss}, {"parameters", c.parameters}, {"dtype", c.dtype}});
        printJson({{"cases", cases}, {"threads", r.threads}});
        return kOk;
    }
    std::printf("%-14s %6s %9s %9s %6s %11s %9s %8s\n", "case", "steps", "steps/s", "images/s", "dtype", "parameters",
        "data s/b", "waited s");
    for (const auto &c : r.cases)
        std::printf("%-14s %6lld %9.3f %9.1f %6s %11lld %9.3f %8.2f\n", c.name.c_str(), static_cast<long long>(c.steps),
            c.stepsPerS, c.imagesPerS, c.dtype.c_str(), static_cast<long long>(c.parameters), c.dataSecondsPerBatch,
            c.dataWaitSeconds);
    std::printf("(CLIP training, no evaluation; %d threads; data s/b: building one "
                "batch on the data thread, waited s: steps waiting for data)\n",
        r.threads);
    return kOk;
}

// CoOp on five Shapes World label sets (+ Fashion-MNIST), unified and class-specific.
int runBenchCoop(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("bench coop takes no positional arguments");
    CoopBenchRequest req;
    req.model = ctx.args.valueOr("model", "clip-mini");
    req.optimizer = ctx.args.valueOr("optimizer", "");
    req.steps = ctx.args.intOr("steps", -1);
    req.lr = ctx.args.doubleOr("lr", -1.0);
    req.compute = {ctx.global.device, ctx.global.dtype};
    if (ctx.args.value("steps") && req.steps <= 0)
        throw UsageError("--steps must be positive");
    if (ctx.args.value("lr") && !(req.lr > 0))
        throw UsageError("--lr must be positive");
    if (!req.optimizer.empty() && req.optimizer != "adamw" && req.optimizer != "sgd")
        throw UsageError("--optimizer: adamw or sgd");
    const auto r = std::any_cast<CoopBenchResult>(runJob(ctx.global, makeCoopBenchJob(req)));
    if (ctx.global.json) {
        nlohmann::json cases = nlohmann::json::array();
        for (const auto &c : r.cases)
            cases.push_back({{"label_set", c.labelSet}, {"class_specific", c.classSpecific}, {"optimizer", c.optimizer},
                {"lr", c.lr}, {"steps", c.steps}, {"accuracy_before", c.accuracyBefore},
                {"accuracy_after", c.accuracyAfter}, {"eval_images", c.evalImages}, {"steps_per_s", c.stepsPerS},
                {"feature_s", c.featureSeconds}, {"seconds", c.seconds}, {"reading", c.reading}});
        printJson({{"model", req.model}, {"dtype", resolveDtype(req.compute)}, {"cases", cases}});
        return kOk;
    }
    std::printf("%-14s %-7s %9s %8s %9s %7s %8s  %s\n", "label set", "prompt", "template", "learnt", "held-out",
        "steps", "steps/s", "learnt context reads");
    for (const auto &c : r.cases)
        std::printf("%-14s %-7s %8.1f%% %7.1f%% %9lld %7lld %8.1f  \"%s\"\n", c.labelSet.c_str(),
            c.classSpecific ? "csc" : "unified", 100.0 * c.accuracyBefore, 100.0 * c.accuracyAfter,
            static_cast<long long>(c.evalImages), static_cast<long long>(c.steps), c.stepsPerS, c.reading.c_str());
    std::printf("(%s, %s features; %s lr %.0e; 4 shots per class, the rest held out; template \"a photo of a {}.\")\n",
        req.model.c_str(), resolveDtype(req.compute).c_str(), r.cases.empty() ? "" : r.cases.front().optimizer.c_str(),
        r.cases.empty() ? 0.0 : r.cases.front().lr);
    return kOk;
}

} // namespace

std::vector<Command> benchCommands()
{
    std::vector<Command> out;
    out.push_back({"bench clip",
        "bench clip [--batch N] [--seconds S] [--preprocess] [--no-text] [--engine auto|onednn|torch] [--no-compare]  "
        "CLIP images/s (ViT-B/32 shape) beside the LibTorch path, text/s",
        {"batch", "seconds", "engine"}, {"preprocess", "no-text", "no-compare"}, runBenchClip});
    out.push_back({"bench search",
        "bench search --vectors N [--dim 512] [--queries Q] [--exact | --approx]  top-10 latency, recall@10",
        {"vectors", "dim", "queries"}, {"exact", "approx"}, runBenchSearch});
    out.push_back({"bench shapes",
        "bench shapes [--samples N]  Shapes World samples/s with every augmentation (the trainers' data rate)",
        {"samples"}, {}, runBenchShapes});
    out.push_back({"bench train",
        "bench train [--tiny-steps N] [--mini-steps N]  CLIP training steps/s: tiny, mini, mini at width 192 x 6 "
        "layers",
        {"tiny-steps", "mini-steps"}, {}, runBenchTrain});
    out.push_back({"bench coop",
        "bench coop [--model M] [--optimizer adamw|sgd] [--steps N] [--lr LR]  CoOp vs the template on five Shapes "
        "World label sets (+ Fashion-MNIST)",
        {"model", "optimizer", "steps", "lr"}, {}, runBenchCoop});
#ifdef MODALLENS_HAVE_MEDIA
    out.push_back(
        {"bench media", "bench media [--images N] [--seeks N]  thumbnails/s for 1920x1080 JPEGs, frame-at-time latency",
            {"images", "seeks"}, {}, runBenchMedia});
#ifdef MODALLENS_HAVE_INDEX
    out.push_back({"bench index",
        "bench index [--images N] [--video-seconds S] [--model M | --vit-b32] [--fps F]  indexing images/s, video "
        "x real time",
        {"images", "video-seconds", "model", "fps"}, {"vit-b32"}, runBenchIndex});
#endif
#endif
    return out;
}

} // namespace ml::cli
