// `bench explain`: seconds per explanation on a ViT-B/32-shaped CLIP with random weights, and the
// deletion metric of each method on Shapes World images with clip-mini.
#include "common/error.h"
#include "engine/explain_service.h"
#include "explain/deletion.h"
#include "models/clip/clip_runtime.h"
#include "train/shapes_world.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>

namespace ml {

namespace {

using Clock = std::chrono::steady_clock;

template<class F> double medianSeconds(int repeats, JobContext &ctx, F f)
{
    f(); // warm-up
    std::vector<double> s;
    for (int i = 0; i < std::max(1, repeats); ++i) {
        ctx.throwIfCancelled();
        const auto t0 = Clock::now();
        f();
        s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(s.begin(), s.end());
    return s[s.size() / 2];
}

ExplainBenchResult runBench(const ExplainBenchOptions &o, JobContext &ctx)
{
    ExplainBenchResult r;
    r.threads = at::get_num_threads();
    r.device = resolveDevice(o.compute);
    const torch::Device device(r.device);
    const auto dtype = clip::dtypeFromName(resolveDtype(o.compute, Workload::Explain));

    if (o.timings) {
        ctx.report(0, 0, "building model");
        clip::ClipConfig cfg; // ViT-B/32 vision (224 px, patch 32, 12 x 768), 12 x 512 text
        at::manual_seed(0);
        explain::ClipExplainer explainer(clip::ClipModel(cfg), nullptr, kernels::PreprocessParams {}, dtype, device);
        const auto pixels = at::randn({1, 3, cfg.vision_config.image_size, cfg.vision_config.image_size});
        auto ids = at::randint(0, cfg.text_config.eos_token_id, {8}, at::TensorOptions().dtype(torch::kLong));
        ids[0] = cfg.text_config.bos_token_id;
        ids[7] = cfg.text_config.eos_token_id;
        ctx.report(0, 4, "timing");
        r.timings.push_back({"fast path (embedding only)",
            medianSeconds(o.repeats, ctx, [&] { explainer.fastImageEmbeddings(pixels); })});
        ctx.report(1, 4, "timing");
        r.timings.push_back({"attention", medianSeconds(o.repeats, ctx, [&] {
                                 const auto t = explainer.vision(pixels);
                                 explain::rawAttention(t.attentions.back(), -1, explain::HeadFusion::Mean);
                             })});
        ctx.report(2, 4, "timing");
        r.timings.push_back({"rollout", medianSeconds(o.repeats, ctx, [&] {
                                 explain::clsToPatches(explain::attentionRollout(explainer.vision(pixels).attentions));
                             })});
        ctx.report(3, 4, "timing");
        r.timings.push_back({"relevance", medianSeconds(o.repeats, ctx, [&] { explainer.relevance(pixels, ids); })});
        ctx.report(4, 4, "timing");
    }

    if (o.deletionImages > 0) {
        ctx.report(0, 0, "loading model");
        const auto explainer = explain::ClipExplainer::load(resolveModelPath(o.model), dtype, device);
        train::ShapesWorldOptions options;
        options.split = train::Split::Any;
        const train::ShapesWorld world(o.seed, options);
        const auto bg = train::kBackground;
        const auto fill = explain::normalisedColour(*explainer, bg.r, bg.g, bg.b);
        ExplainBenchDeletion rel {"relevance", 0, {}}, roll {"rollout", 0, {}}, att {"attention", 0, {}},
            rnd {"random", 0, {}};
        int wins = 0;
        for (int i = 0; i < o.deletionImages; ++i) {
            ctx.throwIfCancelled();
            ctx.report(i, o.deletionImages, "deletion metric");
            const auto sample = world.sample(static_cast<std::uint64_t>(i));
            const auto &img = sample.image;
            const auto pixels = explainer->pixelsOf(explainer->cropOf(img.pixels.data(), img.width, img.height));
            const auto a = explain::deletionAucs(*explainer, pixels, sample.caption.text, fill,
                o.seed * 1000003u + static_cast<std::uint64_t>(i), o.deletionStep);
            rel.aucs.push_back(a.relevance);
            roll.aucs.push_back(a.rollout);
            att.aucs.push_back(a.attention);
            rnd.aucs.push_back(a.random);
            wins += a.relevance < a.random ? 1 : 0;
        }
        for (auto *d : {&rel, &roll, &att, &rnd}) {
            double sum = 0.0;
            for (const double v : d->aucs)
                sum += v;
            d->meanAuc = sum / static_cast<double>(d->aucs.size());
            r.deletion.push_back(*d);
        }
        r.images = o.deletionImages;
        r.relevanceBeatsRandom = static_cast<double>(wins) / o.deletionImages;
        ctx.report(o.deletionImages, o.deletionImages, "deletion metric");
    }
    return r;
}

} // namespace

Job makeExplainBenchJob(ExplainBenchOptions options)
{
    return {"Explain benchmark", Lane::Inference,
        [o = std::move(options)](JobContext &ctx) -> std::any { return runBench(o, ctx); }};
}

} // namespace ml
