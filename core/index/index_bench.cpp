// `bench index`: N distinct 640x480 JPEGs and one S-second 640x480 H.264 clip, each indexed into
// a fresh library in a scratch folder; the indexer's own images/s (its embedding phase).
#include "common/error.h"
#include "engine/bench_service.h"
#include "engine/index_service.h"
#include "index/indexer.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media_bench.h"
#include "io/media_encode.h"
#include "io/safetensors.h"
#include "models/clip/clip_model.h"
#endif

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

namespace ml {

namespace {

namespace fs = std::filesystem;

#ifdef MODALLENS_HAVE_MEDIA
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

void writeJson(const fs::path &path, const nlohmann::json &j)
{
    std::ofstream out(path);
    out << j.dump(2);
    if (!out.flush())
        throw Error(path.string() + ": cannot write");
}

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
    writeJson(dir / "config.json",
        {{"architectures", {"CLIPModel"}}, {"model_type", "clip"}, {"projection_dim", 512},
            {"logit_scale_init_value", 2.6592}, {"text_config", nlohmann::json::object()},
            {"vision_config", nlohmann::json::object()}});
    writeJson(dir / "preprocessor_config.json",
        {{"crop_size", {{"height", 224}, {"width", 224}}}, {"size", {{"shortest_edge", 224}}}, {"do_center_crop", true},
            {"do_normalize", true}, {"do_rescale", true}, {"do_resize", true}, {"resample", 3},
            {"rescale_factor", 1.0 / 255.0}, {"image_mean", {0.48145466, 0.4578275, 0.40821073}},
            {"image_std", {0.26862954, 0.26130258, 0.27577711}}});
    const fs::path mini = resolveModelPath("clip-mini");
    for (const char *name : {"vocab.json", "merges.txt"})
        fs::copy_file(mini / name, dir / name, fs::copy_options::overwrite_existing);
}

IndexBenchResult runIndexBench(const IndexBenchRequest &req, JobContext &job)
{
    if (req.images < 0 || !(req.videoSeconds >= 0) || req.images + req.videoSeconds <= 0)
        throw Error("bench index: --images and --video-seconds must not be negative, and not both 0");
    if (!(req.fps > 0) || req.fps > 60)
        throw Error("bench index: --fps must be in (0, 60]");
    const int W = 640, H = 480, videoFps = 30;
    const int videoFrames = static_cast<int>(req.videoSeconds * videoFps + 0.5);

    IndexBenchResult r;
    r.threads = at::get_num_threads();
    r.dtype = resolveDtype(req.compute);
    r.model = req.vitB32 ? "ViT-B/32 shape (random weights)" : req.model;
    ScratchDir scratch;
    const fs::path photos = scratch.path / "photos", videos = scratch.path / "videos";
    const std::string model = req.vitB32 ? (scratch.path / "vit-b32").string() : req.model;
    fs::create_directories(photos);
    fs::create_directories(videos);
    for (int i = 0; i < req.images; ++i) {
        job.throwIfCancelled();
        io::saveImage(io::syntheticPhoto(W, H, static_cast<std::uint32_t>(i + 1)),
            photos / ("photo_" + std::to_string(i) + ".jpg"), 90);
        job.report(i + 1, req.images, "writing JPEGs");
    }
    if (videoFrames > 0) {
        io::VideoEncoder enc;
        enc.open(videos / "clip.mp4", "h264", W, H, videoFps);
        io::RgbImage base;
        for (int i = 0; i < videoFrames; ++i) {
            job.throwIfCancelled();
            if (i % (videoFps * 10) == 0) // a new scene every 10 s
                base = io::syntheticPhoto(W, H, static_cast<std::uint32_t>(1000 + i));
            io::RgbImage frame = base;
            const int x0 = (i * 8) % (W - 120);
            for (int y = 180; y < 300; ++y)
                std::fill(frame.row(y) + x0 * 3, frame.row(y) + (x0 + 120) * 3, static_cast<std::uint8_t>(i % 255));
            enc.write(frame);
            job.report(i + 1, videoFrames, "encoding clip");
        }
        enc.finish();
    }
    if (req.vitB32) {
        job.report(0, 0, "writing ViT-B/32-shaped checkpoint");
        writeVitB32Checkpoint(model);
    }

    const auto index = [&](const fs::path &folder, const char *db) {
        IndexRequest ir;
        ir.library = (scratch.path / db).string();
        ir.folders = {folder.string()};
        ir.model = model;
        ir.compute = req.compute;
        ir.videoFps = req.fps;
        auto result = index::runIndex(ir, job);
        if (!result.failed.empty())
            throw Error("bench index: " + result.failed.front().file + ": " + result.failed.front().error);
        return result;
    };
    if (req.images > 0)
        r.imagesPerS = index(photos, "images.db").imagesPerS;
    if (videoFrames > 0) {
        const auto v = index(videos, "video.db");
        r.videoFrames = v.frames;
        if (v.frames > 0 && v.imagesPerS > 0)
            r.videoXRealtime = req.videoSeconds / (static_cast<double>(v.frames) / v.imagesPerS);
    }
    return r;
}
#endif

} // namespace

Job makeIndexBenchJob(IndexBenchRequest request)
{
    Job job;
    job.name = "Index benchmark";
    job.lane = Lane::Inference;
#ifdef MODALLENS_HAVE_MEDIA
    job.run = [req = std::move(request)](JobContext &ctx) -> std::any { return runIndexBench(req, ctx); };
#else
    job.run = [](JobContext &) -> std::any { throw Error("bench index: this build has no media I/O"); };
    (void)request;
#endif
    return job;
}

} // namespace ml
