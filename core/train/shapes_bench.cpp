// `bench shapes`: Shapes World samples per second with every augmentation, the rate the
// trainers' data threads can draw at (a figure, formerly a test that asserted nothing on it).
#include "common/error.h"
#include "engine/bench_service.h"
#include "train/shapes_world.h"

#include <chrono>

namespace ml {

namespace {

ShapesBenchResult runShapesBench(const ShapesBenchRequest &req, JobContext &job)
{
    if (req.samples <= 0)
        throw Error("bench shapes: --samples must be positive");
    train::ShapesWorldOptions options;
    options.split = train::Split::Train;
    options.augment = train::Augmentations::all();
    const train::ShapesWorld world(req.seed, options);
    ShapesBenchResult r;
    r.samples = req.samples;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < req.samples; ++i) {
        r.bytes += static_cast<std::int64_t>(world.sample(static_cast<std::uint64_t>(i)).image.pixels.size());
        if (i % 256 == 0) {
            job.throwIfCancelled();
            job.report(i, req.samples, "generating");
        }
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.samplesPerS = r.seconds > 0 ? static_cast<double>(req.samples) / r.seconds : 0.0;
    job.report(req.samples, req.samples, "generating");
    return r;
}

} // namespace

Job makeShapesBenchJob(ShapesBenchRequest request)
{
    Job job;
    job.name = "Shapes World benchmark";
    job.lane = Lane::Inference;
    job.run = [req = std::move(request)](JobContext &ctx) -> std::any { return runShapesBench(req, ctx); };
    return job;
}

} // namespace ml
