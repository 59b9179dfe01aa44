// `modallens-cli bench ...`: figures, never pass/fail. Each benchmark prints a table, or one
// JSON document with --json.
#include "cli_common.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "engine/thread_pool.h"
#ifdef MODALLENS_HAVE_INDEX
#include "engine/index_service.h"
#include "index/vector_search.h"
#endif
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#include "io/media_encode.h"
#include "io/safetensors.h"
#include "models/clip/clip_model.h"
#endif

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <random>

namespace ml::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

[[maybe_unused]] double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[maybe_unused]] double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0.0;
    std::sort(v.begin(), v.end());
    const double rank = p / 100.0 * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(rank);
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

// A removed-on-exit scratch folder.
struct ScratchDir {
    fs::path path;
    ScratchDir()
    {
        std::random_device rd;
        path = fs::temp_directory_path() / ("modallens-bench-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~ScratchDir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

#ifdef MODALLENS_HAVE_MEDIA
// Photo-like content (smooth gradients, a few shapes, sensor noise) so JPEG sizes are real.
io::RgbImage syntheticPhoto(int w, int h, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> noise(-6, 6);
    std::uniform_int_distribution<int> coord(0, std::max(w, h));
    io::RgbImage img {w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h * 3)};
    const int cx = coord(rng) % w, cy = coord(rng) % h, r = 100 + coord(rng) % 300;
    const int hue = static_cast<int>(seed % 3);
    for (int y = 0; y < h; ++y) {
        std::uint8_t *row = img.row(y);
        for (int x = 0; x < w; ++x) {
            const bool inDisk = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
            int v[3] = {x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h) + 64};
            if (inDisk)
                v[hue] = 230;
            for (int c = 0; c < 3; ++c)
                row[x * 3 + c] = static_cast<std::uint8_t>(std::clamp(v[c] + noise(rng), 0, 255));
        }
    }
    return img;
}

int runBenchMedia(Context &ctx)
{
    const int numImages = ctx.args.intOr("images", 1000);
    const int numSeeks = ctx.args.intOr("seeks", 100);
    const int threads
        = ctx.global.threads > 0 ? ctx.global.threads : static_cast<int>(std::thread::hardware_concurrency());
    if (numImages <= 0 || numSeeks <= 0)
        throw UsageError("--images and --seeks must be positive");

    auto result = runJob(ctx.global,
        {"Media benchmark", Lane::Inference, [&](JobContext &job) -> std::any {
             ScratchDir scratch;
             const fs::path photos = scratch.path / "photos";
             fs::create_directories(photos);
             // The same few source frames, encoded once each; files differ by name only in the
             // cache key, which is what a thumbnailer sees.
             std::vector<std::vector<std::uint8_t>> jpegs;
             for (std::uint32_t i = 0; i < 8; ++i)
                 jpegs.push_back(io::encodeImage(syntheticPhoto(1920, 1080, i + 1), ".jpg", 90));
             for (int i = 0; i < numImages; ++i) {
                 job.throwIfCancelled();
                 const auto &bytes = jpegs[static_cast<std::size_t>(i) % jpegs.size()];
                 std::FILE *f = std::fopen((photos / ("photo_" + std::to_string(i) + ".jpg")).c_str(), "wb");
                 if (!f)
                     throw Error(photos.string() + ": cannot write benchmark images");
                 std::fwrite(bytes.data(), 1, bytes.size(), f);
                 std::fclose(f);
                 job.report(i + 1, numImages, "writing JPEGs");
             }

             // Thumbnails: cold cache (decode + scale + JPEG encode + write), then warm (read).
             io::ThumbnailCache cache(scratch.path / "thumbs", 256);
             ThreadPool pool(threads);
             auto runThumbs = [&](const char *stage) {
                 std::atomic<int> done {0};
                 const auto t0 = Clock::now();
                 for (int i = 0; i < numImages; ++i)
                     pool.post([&, i] {
                         cache.get(photos / ("photo_" + std::to_string(i) + ".jpg"));
                         done.fetch_add(1);
                     });
                 while (done.load() < numImages) {
                     if (job.isCancelled())
                         pool.clear();
                     job.throwIfCancelled();
                     std::this_thread::sleep_for(std::chrono::milliseconds(5));
                     job.report(done.load(), numImages, stage);
                 }
                 pool.waitIdle();
                 return numImages / secondsSince(t0);
             };
             const double coldPerS = runThumbs("thumbnails");
             const double warmPerS = runThumbs("cached");

             // Frame at time t in a 1080p H.264 clip: 20 s at 30 fps, a keyframe each second.
             const fs::path clip = scratch.path / "clip_1080p.mp4";
             const int fps = 30, seconds = 20;
             {
                 io::VideoEncoder enc;
                 enc.open(clip, "h264", 1920, 1080, fps);
                 const auto base = syntheticPhoto(1920, 1080, 99);
                 for (int i = 0; i < fps * seconds; ++i) {
                     job.throwIfCancelled();
                     io::RgbImage frame = base;
                     const int x0 = (i * 16) % (1920 - 200);
                     for (int y = 400; y < 680; ++y)
                         std::fill(
                             frame.row(y) + x0 * 3, frame.row(y) + (x0 + 200) * 3, static_cast<std::uint8_t>(i % 255));
                     enc.write(frame);
                     job.report(i + 1, fps * seconds, "encoding clip");
                 }
                 enc.finish();
             }
             io::VideoDecoder dec(clip);
             std::mt19937 rng(7);
             std::uniform_real_distribution<double> when(0.0, seconds - 0.05);
             std::vector<double> ms;
             for (int i = 0; i < numSeeks; ++i) {
                 job.throwIfCancelled();
                 const double t = when(rng);
                 const auto t0 = Clock::now();
                 dec.frameAt(t);
                 ms.push_back(secondsSince(t0) * 1000.0);
                 job.report(i + 1, numSeeks, "seeking");
             }
             std::vector<double> msSmall;
             for (int i = 0; i < numSeeks; ++i) {
                 job.throwIfCancelled();
                 const double t = when(rng);
                 const auto t0 = Clock::now();
                 dec.frameAt(t, 256);
                 msSmall.push_back(secondsSince(t0) * 1000.0);
             }
             dec.frameAt(0.0);
             io::VideoFrame frame;
             int decoded = 0;
             const auto t0 = Clock::now();
             while (decoded < 150 && dec.next(frame))
                 ++decoded;
             const double sequentialFps = decoded / secondsSince(t0);

             return nlohmann::json {{"images", numImages}, {"threads", threads}, {"thumbnails_per_s", coldPerS},
                 {"cached_thumbnails_per_s", warmPerS}, {"frame_at_p50_ms", percentile(ms, 50)},
                 {"frame_at_p99_ms", percentile(ms, 99)}, {"frame_at_256px_p50_ms", percentile(msSmall, 50)},
                 {"frame_at_256px_p99_ms", percentile(msSmall, 99)}, {"sequential_decode_fps", sequentialFps},
                 {"video", "1920x1080 H.264, 30 fps, keyframe every 1 s"}};
         }});
    const auto out = std::any_cast<nlohmann::json>(result);
    if (ctx.global.json) {
        printJson(out);
        return kOk;
    }
    std::printf("%-34s %10s\n", "figure", "value");
    std::printf("%-34s %10.1f\n", "thumbnails/s (1920x1080 JPEG, cold)", out["thumbnails_per_s"].get<double>());
    std::printf("%-34s %10.1f\n", "thumbnails/s (cached)", out["cached_thumbnails_per_s"].get<double>());
    std::printf("%-34s %10.1f\n", "frame-at-time p50 ms (1080p H.264)", out["frame_at_p50_ms"].get<double>());
    std::printf("%-34s %10.1f\n", "frame-at-time p99 ms (1080p H.264)", out["frame_at_p99_ms"].get<double>());
    std::printf("%-34s %10.1f\n", "frame-at-time p50 ms (to 256 px)", out["frame_at_256px_p50_ms"].get<double>());
    std::printf("%-34s %10.1f\n", "sequential decode fps (1080p)", out["sequential_decode_fps"].get<double>());
    std::printf("(%d images, %d threads)\n", numImages, threads);
    return kOk;
}

#endif

#if defined(MODALLENS_HAVE_MEDIA) && defined(MODALLENS_HAVE_INDEX)
// A random ViT-B/32-shaped CLIP (ClipConfig's defaults: 12 x 768 vision at 224 px, patch 32;
// 12 x 512 text; projection 512) written as a Hugging Face folder, tokenizer from clip-mini.
void writeVitB32Checkpoint(const fs::path &dir)
{
    fs::create_directories(dir);
    at::manual_seed(0);
    clip::ClipModel model(clip::ClipConfig {});
    std::map<std::string, torch::Tensor> tensors;
    {
        at::NoGradGuard noGrad;
        for (const auto &p : model->named_parameters())
            tensors[p.key()] = p.value().detach();
    }
    io::saveSafetensors(dir / "model.safetensors", tensors);
    const nlohmann::json config {{"architectures", {"CLIPModel"}}, {"model_type", "clip"}, {"projection_dim", 512},
        {"logit_scale_init_value", 2.6592}, {"text_config", nlohmann::json::object()},
        {"vision_config", nlohmann::json::object()}};
    std::ofstream(dir / "config.json") << config.dump(2);
    const nlohmann::json preprocessor {{"crop_size", {{"height", 224}, {"width", 224}}},
        {"size", {{"shortest_edge", 224}}}, {"do_center_crop", true}, {"do_normalize", true}, {"do_rescale", true},
        {"do_resize", true}, {"resample", 3}, {"rescale_factor", 1.0 / 255.0},
        {"image_mean", {0.48145466, 0.4578275, 0.40821073}}, {"image_std", {0.26862954, 0.26130258, 0.27577711}}};
    std::ofstream(dir / "preprocessor_config.json") << preprocessor.dump(2);
    const fs::path mini = resolveModelPath("clip-mini");
    for (const char *name : {"vocab.json", "merges.txt"})
        fs::copy_file(mini / name, dir / name, fs::copy_options::overwrite_existing);
}

// Indexing throughput: N distinct 640x480 JPEGs and one S-second 640x480 H.264 clip, each
// indexed into a fresh library. images/s and the video's multiple of real time cover the
// indexer's embedding phase (decode, preprocess, embed, commit), not model loading or scanning.
int runBenchIndex(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("bench index takes no positional arguments");
    const int numImages = ctx.args.intOr("images", 300);
    const double videoSeconds = ctx.args.doubleOr("video-seconds", 60.0);
    const double fps = ctx.args.doubleOr("fps", 1.0);
    const bool vitB32 = ctx.args.flag("vit-b32");
    if (vitB32 && ctx.args.value("model"))
        throw UsageError("--model and --vit-b32 exclude each other");
    if (numImages < 0 || !(videoSeconds >= 0) || numImages + videoSeconds <= 0)
        throw UsageError("--images and --video-seconds must not be negative, and not both 0");
    if (!(fps > 0) || fps > 60)
        throw UsageError("--fps must be in (0, 60]");
    const ComputeOptions compute {ctx.global.device, ctx.global.dtype};
    const int W = 640, H = 480, videoFps = 30;
    const int videoFrames = static_cast<int>(videoSeconds * videoFps + 0.5);

    ScratchDir scratch;
    const fs::path photos = scratch.path / "photos", videos = scratch.path / "videos";
    std::string model = vitB32 ? (scratch.path / "vit-b32").string() : ctx.args.valueOr("model", "clip-mini");
    int threads = 0;
    runJob(ctx.global, {"Index benchmark media", Lane::Inference, [&](JobContext &job) -> std::any {
                            threads = at::get_num_threads();
                            fs::create_directories(photos);
                            fs::create_directories(videos);
                            for (int i = 0; i < numImages; ++i) {
                                job.throwIfCancelled();
                                io::saveImage(syntheticPhoto(W, H, static_cast<std::uint32_t>(i + 1)),
                                    photos / ("photo_" + std::to_string(i) + ".jpg"), 90);
                                job.report(i + 1, numImages, "writing JPEGs");
                            }
                            if (videoFrames > 0) {
                                io::VideoEncoder enc;
                                enc.open(videos / "clip.mp4", "h264", W, H, videoFps);
                                io::RgbImage base;
                                for (int i = 0; i < videoFrames; ++i) {
                                    job.throwIfCancelled();
                                    if (i % (videoFps * 10) == 0) // a new scene every 10 s
                                        base = syntheticPhoto(W, H, static_cast<std::uint32_t>(1000 + i));
                                    io::RgbImage frame = base;
                                    const int x0 = (i * 8) % (W - 120);
                                    for (int y = 180; y < 300; ++y)
                                        std::fill(frame.row(y) + x0 * 3, frame.row(y) + (x0 + 120) * 3,
                                            static_cast<std::uint8_t>(i % 255));
                                    enc.write(frame);
                                    job.report(i + 1, videoFrames, "encoding clip");
                                }
                                enc.finish();
                            }
                            if (vitB32) {
                                job.report(0, 0, "writing ViT-B/32-shaped checkpoint");
                                writeVitB32Checkpoint(model);
                            }
                            return {};
                        }});

    const auto index = [&](const fs::path &folder, const char *db) {
        IndexRequest req;
        req.library = (scratch.path / db).string();
        req.folders = {folder.string()};
        req.model = model;
        req.compute = compute;
        req.videoFps = fps;
        auto r = std::any_cast<IndexResult>(runJob(ctx.global, makeIndexJob(req)));
        if (!r.failed.empty())
            throw Error("bench index: " + r.failed.front().file + ": " + r.failed.front().error);
        return r;
    };
    double imagesPerS = 0.0, xRealtime = 0.0;
    std::int64_t frames = 0;
    if (numImages > 0)
        imagesPerS = index(photos, "images.db").imagesPerS;
    if (videoFrames > 0) {
        const auto r = index(videos, "video.db");
        frames = r.frames;
        if (r.frames > 0 && r.imagesPerS > 0)
            xRealtime = videoSeconds / (static_cast<double>(r.frames) / r.imagesPerS);
    }
    const std::string modelName = vitB32 ? "ViT-B/32 shape (random weights)" : ctx.args.valueOr("model", "clip-mini");
    const std::string dtype = resolveDtype(compute);
    if (ctx.global.json) {
        printJson({{"images", numImages}, {"images_per_s", imagesPerS}, {"video_seconds", videoSeconds},
            {"video_x_realtime", xRealtime}, {"video_frames", frames}, {"fps", fps}, {"model", modelName},
            {"threads", threads}, {"dtype", dtype}});
        return kOk;
    }
    std::printf("%-36s %10s\n", "figure", "value");
    std::printf("%-36s %10.1f\n", "images/s (640x480 JPEG)", imagesPerS);
    std::printf("%-36s %9.1fx\n", "video indexing, multiple of real time", xRealtime);
    std::printf("(%s, %s, %d threads; %d images; %.0f s 640x480 H.264 clip at %g frame/s, %lld frames embedded)\n",
        modelName.c_str(), dtype.c_str(), threads, numImages, videoSeconds, fps, static_cast<long long>(frames));
    return kOk;
}
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
            {"flop_convention", "multiply-adds (as in 'ViT-B/32 = 4.4 GFLOP')"}};
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
    if (o.text) {
        std::printf("%-40s %10.1f\n", "text/s (batch 32, 77 tokens)", r.textPerS);
        std::printf("%-40s %10.1f\n", "text/s (batch 32, 8-token prompt)", r.textPromptPerS);
    }
    std::printf("%-40s %10.1f\n", "GFLOP/s (4.41 GFLOP/image, mult-adds)", r.gflopPerS);
    std::printf("%-40s %10.1f\n", "plain matrix product GFLOP/s", r.matmulGflopPerS);
    std::printf("%-40s %10.1f\n", "forward ms/batch", r.forwardSeconds * 1000);
    std::printf("%-40s %9.0f%%\n", "  of which matrix products", 100.0 * gemmShare);
    if (r.preprocess)
        std::printf("%-40s %10.1f\n", "preprocess ms/batch", r.preprocessSeconds * 1000);
    std::printf("(ViT-B/32-shaped tower, random weights; batch %d, %s on %s, %d threads)\n", r.batch, r.dtype.c_str(),
        r.device.c_str(), r.threads);
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
    const auto vectorsArg = ctx.args.value("vectors");
    if (!vectorsArg)
        throw UsageError("bench search needs --vectors N");
    const std::int64_t n = ctx.args.intOr("vectors", 0);
    const std::int64_t dim = ctx.args.intOr("dim", 512);
    const std::int64_t numQueries = ctx.args.intOr("queries", 200);
    if (n <= 0 || dim <= 0 || numQueries <= 0)
        throw UsageError("--vectors, --dim and --queries must be positive");
    if (ctx.args.flag("exact") && ctx.args.flag("approx"))
        throw UsageError("--exact and --approx exclude each other");
    index::VectorSearchOptions options;
    // Without FAISS the default is exact search at any size; --approx says why there is none.
    const bool approx = ctx.args.flag("approx")
        || (!ctx.args.flag("exact") && n >= options.approxThreshold && index::VectorSearch::approxAvailable());
    constexpr std::int64_t k = 10;

    auto result = runJob(ctx.global,
        {"Search benchmark", Lane::Inference, [&](JobContext &job) -> std::any {
             index::VectorSearch vs(dim, options);
             torch::Tensor queries;
             double buildS = 0.0;
             {
                 job.report(0, 1, "generating vectors");
                 const auto data = index::makeClusteredVectors(n, dim, 1000, 42); // [N, D]
                 queries = index::makeNearbyQueries(data, numQueries, 43);        // [Q, D]
                 std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
                 std::iota(ids.begin(), ids.end(), 0);
                 job.throwIfCancelled();
                 const auto t0 = Clock::now();
                 vs.add(data, ids);
                 buildS = secondsSince(t0);
             }
             std::optional<index::ApproxInfo> info;
             if (approx) {
                 info = vs.buildApprox([&] { return job.isCancelled(); },
                     [&](std::int64_t done, std::int64_t total, const std::string &stage) {
                         job.report(done, total, stage);
                     });
                 buildS += info->buildSeconds;
             }
             auto once = [&](std::int64_t i) {
                 return approx ? vs.searchApprox(queries[i], k) : vs.searchExact(queries[i], k);
             };
             for (std::int64_t i = 0; i < std::min<std::int64_t>(3, numQueries); ++i)
                 once(i); // warm caches and the thread pool
             std::vector<double> ms;
             std::vector<std::vector<index::SearchHit>> got;
             for (std::int64_t i = 0; i < numQueries; ++i) {
                 job.throwIfCancelled();
                 const auto t0 = Clock::now();
                 got.push_back(once(i));
                 ms.push_back(secondsSince(t0) * 1000.0);
                 job.report(i + 1, numQueries, "searching");
             }
             const double recall = approx ? index::recallAtK(got, vs.searchExactBatch(queries, k), k) : 1.0;
             nlohmann::json out {{"p50_ms", percentile(ms, 50)}, {"p99_ms", percentile(ms, 99)},
                 {"recall_at_10", recall}, {"build_s", buildS}, {"mode", approx ? "approx" : "exact"}, {"vectors", n},
                 {"dim", dim}, {"queries", numQueries}, {"storage", "fp16"}, {"threads", at::get_num_threads()}};
             if (info) {
                 out["index"] = info->kind;
                 out["nlist"] = info->nlist;
                 out["nprobe"] = info->nprobe;
                 out["train_vectors"] = info->trainVectors;
                 out["recall_at_10_at_build"] = info->recallAt10;
             }
             return out;
         }});
    const auto out = std::any_cast<nlohmann::json>(result);
    if (ctx.global.json) {
        printJson(out);
        return kOk;
    }
    std::printf("%-28s %10s\n", "figure", "value");
    std::printf("%-28s %10.2f\n", "p50 ms per query", out["p50_ms"].get<double>());
    std::printf("%-28s %10.2f\n", "p99 ms per query", out["p99_ms"].get<double>());
    std::printf("%-28s %10.3f\n", "recall@10 vs exact", out["recall_at_10"].get<double>());
    std::printf("%-28s %10.2f\n", "build s", out["build_s"].get<double>());
    std::printf("(%s search, %lld x %lld clustered unit vectors, %lld queries, top-10, %d threads%s)\n",
        out["mode"].get<std::string>().c_str(), static_cast<long long>(n), static_cast<long long>(dim),
        static_cast<long long>(numQueries), out["threads"].get<int>(),
        out.contains("index")
            ? (", " + out["index"].get<std::string>() + " nprobe " + std::to_string(out["nprobe"].get<std::int64_t>()))
                  .c_str()
            : "");
    return kOk;
#endif
}

} // namespace

std::vector<Command> benchCommands()
{
    std::vector<Command> out;
    out.push_back({"bench clip",
        "bench clip [--batch N] [--seconds S] [--preprocess] [--no-text]  CLIP images/s (ViT-B/32 shape), text/s",
        {"batch", "seconds"}, {"preprocess", "no-text"}, runBenchClip});
    out.push_back({"bench search",
        "bench search --vectors N [--dim 512] [--queries Q] [--exact | --approx]  top-10 latency, recall@10",
        {"vectors", "dim", "queries"}, {"exact", "approx"}, runBenchSearch});
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
