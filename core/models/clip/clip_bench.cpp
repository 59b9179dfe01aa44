// `bench clip`: throughput of the fast CLIP path on a ViT-B/32-shaped tower with random
// weights, optionally from decoded 640x480 images, plus the text tower and a plain GEMM for scale.
#include "common/error.h"
#include "engine/clip_service.h"
#include "models/clip/clip_inference.h"
#include "models/clip/clip_runtime.h"
#include "models/cpu/onednn_matmul.h"
#include "preprocess.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <functional>
#include <random>

namespace ml {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Repeats f until `seconds` have passed (and at least `minRuns` times); seconds per run.
template<class F> double timeLoop(double seconds, int minRuns, JobContext &ctx, const std::string &stage, F f)
{
    const auto t0 = Clock::now();
    int runs = 0;
    while (runs < minRuns || since(t0) < seconds) {
        ctx.throwIfCancelled();
        f();
        ++runs;
        ctx.report(static_cast<std::int64_t>(std::min(since(t0), seconds) * 1000),
            static_cast<std::int64_t>(seconds * 1000), stage);
    }
    return since(t0) / runs;
}

// Multiply-adds of one image through the vision tower and its projection.
double visionMacs(const clip::ClipConfig &cfg)
{
    const auto &v = cfg.vision_config;
    const double C = static_cast<double>(v.hidden_size), I = static_cast<double>(v.intermediate_size);
    const double P = static_cast<double>(v.gridSize() * v.gridSize()), T = P + 1;
    const double patch = P * static_cast<double>(v.num_channels * v.patch_size * v.patch_size) * C;
    const double layer = T * (4 * C * C + 2 * C * I) + 2 * T * T * C; // projections, MLP, q.k and p.v
    return patch + static_cast<double>(v.num_hidden_layers) * layer + C * static_cast<double>(cfg.projection_dim);
}

clip::ClipInference::Engine engineFromName(const std::string &name)
{
    if (name == "auto")
        return clip::ClipInference::Engine::Auto;
    if (name == "onednn")
        return clip::ClipInference::Engine::OneDnn;
    if (name == "torch")
        return clip::ClipInference::Engine::Torch;
    throw Error("--engine must be auto, onednn or torch, not '" + name + "'");
}

// Products back to back, as in a forward: one at a time, the thread team would fall asleep between
// them and wake for each, which at one image (50 rows) costs more than the product.
constexpr int kPlainRepeats = 8;

// Seconds per batch of the tower's matrix products alone (12 layers and the patch embedding),
// and the GFLOP/s of one plain [B * T, C] x [C, I] product, on the given engine.
struct GemmFigures {
    double towerSeconds = 0.0, plainGflopPerS = 0.0;
};

GemmFigures timeGemms(const clip::ClipConfig &cfg, std::int64_t B, torch::ScalarType dtype, torch::Device device,
    bool oneDnn, double seconds, JobContext &ctx)
{
    const auto &vc = cfg.vision_config;
    const std::int64_t C = vc.hidden_size, I = vc.intermediate_size, T = vc.numPositions(), M = B * T;
    const std::int64_t Kp = 3 * vc.patch_size * vc.patch_size;
    const auto opts = at::TensorOptions().device(device).dtype(dtype);
    const auto x = at::randn({M, C}, opts), f = at::randn({M, I}, opts), patches = at::randn({B * (T - 1), Kp}, opts);
    const auto wqkv = at::randn({3 * C, C}, opts), wo = at::randn({C, C}, opts);
    const auto w1 = at::randn({I, C}, opts), w2 = at::randn({C, I}, opts), wp = at::randn({C, Kp}, opts);
    const auto bqkv = at::randn({3 * C}, opts), b1 = at::randn({I}, opts);
    std::function<void()> layer, patch, plain;
    if (oneDnn) {
        const auto t = dtype == torch::kBFloat16 ? onednn::Type::Bf16 : onednn::Type::F32;
        const auto bq = bqkv.to(torch::kFloat), bi = b1.to(torch::kFloat);
        auto out = at::empty({M, I}, opts);
        // Packed as the fused engine packs its own.
        const auto pack = [&](const at::Tensor &w) { return clip::packForCpu(w, dtype == torch::kBFloat16); };
        const clip::CpuWeight pqkv = pack(wqkv), po = pack(wo), p1 = pack(w1), p2 = pack(w2), pp = pack(wp);
        const auto mm = [t, out](const at::Tensor &a, const clip::CpuWeight &w, const at::Tensor *bias) {
            auto spec = onednn::Matmul::linear(a.size(0), w.n, a.size(1), t, t);
            spec.bias = bias != nullptr;
            spec.weiFormat = w.format;
            onednn::run(
                spec, a.data_ptr(), w.data.data_ptr(), bias ? bias->data_ptr<float>() : nullptr, out.data_ptr());
        };
        layer = [=] {
            mm(x, pqkv, &bq);
            mm(x, po, nullptr);
            mm(x, p1, &bi);
            mm(f, p2, nullptr);
        };
        patch = [=] { mm(patches, pp, nullptr); };
        plain = [=] {
            for (int i = 0; i < kPlainRepeats; ++i)
                mm(x, p1, nullptr);
        };
    } else {
        layer = [&] {
            at::addmm(bqkv, x, wqkv.t());
            at::mm(x, wo.t());
            at::addmm(b1, x, w1.t());
            at::mm(f, w2.t()).to(torch::kCPU);
        };
        patch = [&] { at::mm(patches, wp.t()).to(torch::kCPU); };
        plain = [&] {
            for (int i = 0; i < kPlainRepeats; ++i)
                at::mm(x, w1.t()).to(torch::kCPU);
        };
    }
    layer();
    GemmFigures g;
    const double perLayer = timeLoop(std::min(2.0, seconds / 4), 3, ctx, "matrix products", layer);
    g.towerSeconds
        = static_cast<double>(vc.num_hidden_layers) * perLayer + timeLoop(0.2, 3, ctx, "matrix products", patch);
    g.plainGflopPerS = static_cast<double>(kPlainRepeats * M * C * I)
        / timeLoop(std::min(1.0, seconds / 4), 3, ctx, "matrix products", plain) / 1e9;
    return g;
}

ClipBenchResult runBench(const ClipBenchOptions &o, JobContext &ctx)
{
    if (o.batch <= 0)
        throw Error("--batch must be positive");
    const auto engine = engineFromName(o.engine);
    ClipBenchResult r;
    r.threads = at::get_num_threads(); // also takes the engine's thread count on this worker
    r.device = resolveDevice(o.compute);
    r.dtype = resolveDtype(o.compute);
    r.batch = o.batch;
    r.preprocess = o.preprocess;
    const auto dtype = clip::dtypeFromName(r.dtype);
    const torch::Device device(r.device);

    ctx.report(0, 0, "building model");
    clip::ClipConfig cfg; // the defaults: ViT-B/32 vision, 12 x 512 text, projection 512
    std::unique_ptr<clip::ClipInference> inference, before;
    {
        at::manual_seed(0);
        clip::ClipModel model(cfg);
        inference = std::make_unique<clip::ClipInference>(*model, dtype, device, engine);
        if (o.compare && inference->engine() == clip::ClipInference::Engine::OneDnn)
            before = std::make_unique<clip::ClipInference>(*model, dtype, device, clip::ClipInference::Engine::Torch);
    }
    r.engine = inference->engineName();
    r.isa = onednn::isaName();
    c10::InferenceMode guard;
    const auto &vc = cfg.vision_config;
    const std::int64_t B = o.batch, S = vc.image_size;
    auto pixels = at::randn({B, 3, S, S});

    // Decoded photos, as the service holds them after io::loadImage.
    const int W = 640, H = 480;
    std::vector<std::uint8_t> photos;
    kernels::PreprocessParams params; // CLIPImageProcessor's defaults: 224 px
    if (o.preprocess) {
        photos.resize(static_cast<std::size_t>(B) * W * H * 3);
        std::mt19937 rng(1);
        std::uniform_int_distribution<int> noise(0, 15);
        for (std::size_t i = 0; i < photos.size(); ++i)
            photos[i] = static_cast<std::uint8_t>((i / 3 % W) * 200 / W + (i / 3 / W % H) * 40 / H + noise(rng));
    }
    double preprocessTotal = 0.0, forwardTotal = 0.0;
    int steps = 0;
    const auto step = [&] {
        auto t0 = Clock::now();
        if (o.preprocess) {
            float *out = pixels.data_ptr<float>();
            const std::size_t plane = static_cast<std::size_t>(3 * S * S), image = static_cast<std::size_t>(W) * H * 3;
            at::parallel_for(0, B, 1, [&](std::int64_t begin, std::int64_t end) {
                for (std::int64_t i = begin; i < end; ++i)
                    kernels::preprocessCpu(photos.data() + static_cast<std::size_t>(i) * image, H, W, params,
                        out + static_cast<std::size_t>(i) * plane);
            });
            preprocessTotal += since(t0);
            t0 = Clock::now();
        }
        inference->imageEmbeddings(pixels).to(torch::kCPU);
        forwardTotal += since(t0);
        ++steps;
    };
    ctx.report(0, 0, "warming up");
    step();
    preprocessTotal = forwardTotal = 0.0;
    steps = 0;
    const double perBatch = timeLoop(o.seconds, 2, ctx, "vision", step);
    r.imagesPerS = static_cast<double>(B) / perBatch;
    r.forwardSeconds = forwardTotal / steps;
    r.preprocessSeconds = o.preprocess ? preprocessTotal / steps : 0.0;
    r.gflopPerImage = visionMacs(cfg) / 1e9;
    r.gflopPerS = r.imagesPerS * r.gflopPerImage;

    // The tower's matrix products alone, at this batch: where the time goes.
    const bool oneDnn = inference->engine() == clip::ClipInference::Engine::OneDnn;
    const auto gemms = timeGemms(cfg, B, dtype, device, oneDnn, o.seconds, ctx);
    r.gemmSeconds = gemms.towerSeconds;
    r.matmulGflopPerS = gemms.plainGflopPerS;
    if (before) { // the code before the fused path, in the same run
        before->imageEmbeddings(pixels);
        r.torchImagesPerS = static_cast<double>(B)
            / timeLoop(std::max(1.0, o.seconds / 2), 2, ctx, "vision (LibTorch path)",
                [&] { before->imageEmbeddings(pixels).to(torch::kCPU); });
        r.torchMatmulGflopPerS = timeGemms(cfg, B, dtype, device, false, o.seconds, ctx).plainGflopPerS;
    }

    if (o.text) {
        const auto textRate = [&](std::int64_t tokens) {
            auto ids = at::randint(0, 49405, {32, tokens}, at::TensorOptions().dtype(torch::kLong));
            ids.select(1, tokens - 1).fill_(cfg.text_config.eos_token_id);
            inference->textEmbeddings(ids);
            return 32.0 / timeLoop(std::min(5.0, o.seconds / 2), 2, ctx, "text", [&] {
                inference->textEmbeddings(ids).to(torch::kCPU);
            });
        };
        r.textPerS = textRate(cfg.text_config.max_position_embeddings);
        r.textPromptPerS = textRate(8);
    }
    return r;
}

} // namespace

Job makeClipBenchJob(ClipBenchOptions options)
{
    Job job;
    job.name = "CLIP benchmark";
    job.lane = Lane::Inference;
    job.run = [o = std::move(options)](JobContext &ctx) -> std::any { return runBench(o, ctx); };
    return job;
}

} // namespace ml
