// `bench train`: steps/s of CLIP training for the presets and a wider mini, each a short run in
// a scratch folder without evaluation (formerly a test that asserted nothing on the figures).
#include "common/error.h"
#include "engine/bench_service.h"
#include "engine/clip_train_service.h"
#include "engine/train_types.h"

#include <ATen/Parallel.h>

#include <filesystem>
#include <random>

namespace ml {

namespace {

namespace fs = std::filesystem;

TrainBenchResult runTrainBench(const TrainBenchRequest &req, JobContext &job)
{
    if (req.tinySteps <= 0 || req.miniSteps <= 0)
        throw Error("bench train: the step counts must be positive");
    struct Case {
        const char *name, *preset;
        std::int64_t width, layers, steps;
    };
    const Case cases[] = {{"tiny", "tiny", -1, -1, req.tinySteps}, {"mini", "mini", -1, -1, req.miniSteps},
        {"mini-w192-l6", "mini", 192, 6, req.miniSteps}};
    std::random_device rd;
    const fs::path scratch = fs::temp_directory_path() / ("modallens-bench-train-" + std::to_string(rd()));
    struct Remove {
        fs::path dir;
        ~Remove()
        {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } remove {scratch};

    TrainBenchResult r;
    r.threads = at::get_num_threads();
    for (const Case &c : cases) {
        ClipTrainRequest train;
        train.preset = c.preset;
        train.width = c.width;
        train.layers = c.layers;
        train.outDir = (scratch / c.name).string();
        train.steps = c.steps;
        train.evalEvery = 0;
        train.evalShapesPerClass = 0;
        train.evalFashion = 0;
        train.checkpointEvery = 0;
        train.logEvery = 2;
        train.dtype = req.dtype;
        job.report(static_cast<std::int64_t>(r.cases.size()), 3, std::string("training ") + c.name);
        const auto t = std::any_cast<ClipTrainResult>(makeClipTrainJob(train).run(job));
        r.cases.push_back({c.name, t.steps, t.stepsPerS, t.imagesPerS, t.dataSecondsPerBatch, t.dataWaitSeconds,
            t.finalLoss, t.parameters, t.dtype});
    }
    return r;
}

} // namespace

Job makeTrainBenchJob(TrainBenchRequest request)
{
    Job job;
    job.name = "Training benchmark";
    job.lane = Lane::Training;
    job.run = [req = std::move(request)](JobContext &ctx) -> std::any { return runTrainBench(req, ctx); };
    return job;
}

} // namespace ml
