// The interactive denoising session of core/engine/denoise_session.h over the step-able Sampler:
// runs as lists of stored steps (8-bit previews within the history budget, float tensors within the
// memory budget), the sampler re-positioned on whichever run is stepped, and the forward process on
// an image.
#include "engine/denoise_session.h"

#include "common/error.h"
#include "engine/model_cache.h"
#include "models/diffusion/diffusion_loader.h"
#include "models/diffusion/sampler.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#endif

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <optional>

namespace ml {

namespace fs = std::filesystem;
using namespace ml::diffusion;
using Clock = std::chrono::steady_clock;

namespace {

// [C, H, W] float -> 8-bit RGB, [-range, range] to [0, 255].
io::RgbImage rgbOf(const torch::Tensor &chw, double range)
{
    auto x = chw.detach().to(torch::kCPU, torch::kFloat);
    if (x.size(0) == 1)
        x = x.expand({3, x.size(1), x.size(2)});
    else if (x.size(0) == 2)
        x = at::cat({x, x.slice(0, 0, 1)}, 0);
    else if (x.size(0) > 3)
        x = x.slice(0, 0, 3);
    const auto px
        = (x * (0.5 / range) + 0.5).clamp_(0, 1).mul_(255).round_().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
    io::RgbImage img;
    img.height = static_cast<int>(px.size(0));
    img.width = static_cast<int>(px.size(1));
    img.pixels.assign(px.data_ptr<std::uint8_t>(), px.data_ptr<std::uint8_t>() + px.numel());
    return img;
}

FloatImage floatOf(const torch::Tensor &chw)
{
    FloatImage f;
    if (!chw.defined())
        return f;
    const auto c = chw.detach().to(torch::kCPU, torch::kFloat).contiguous();
    f.channels = static_cast<int>(c.size(0));
    f.height = static_cast<int>(c.size(1));
    f.width = static_cast<int>(c.size(2));
    f.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return f;
}

std::int64_t bytesOf(const torch::Tensor &t)
{
    return t.defined() ? static_cast<std::int64_t>(t.numel() * t.element_size()) : 0;
}

} // namespace

io::RgbImage toRgbPreview(const FloatImage &image, double range)
{
    if (image.empty())
        return {};
    if (image.data.size() != static_cast<std::size_t>(image.channels) * image.height * image.width)
        throw Error("a float image's data does not match its size");
    const auto t = torch::from_blob(const_cast<float *>(image.data.data()), {image.channels, image.height, image.width},
        torch::TensorOptions().dtype(torch::kFloat));
    return rgbOf(t, range);
}

struct DenoiseSession::Impl {
    struct StepData {
        StepPreviews previews;
        torch::Tensor sample, modelOutput, predOriginal; // [C, H, W] on the CPU; undefined when dropped
    };
    struct Run {
        DenoiseRunInfo info;
        std::vector<StepData> own; // own[j] is step info.firstStep + j
        torch::Tensor x;           // [C, H, W]: before step info.stepsDone
    };

    std::mutex compute;      // the jobs: the sampler, the model
    mutable std::mutex data; // everything below except sampler / samplerRun

    // compute lock only
    std::unique_ptr<Sampler> sampler;
    int samplerRun = -1;

    // data lock
    std::shared_ptr<const LoadedDiffusion> loaded; // held while open: the cache counts it in use
    DenoiseSessionInfo info;
    std::optional<Scheduler> scheduler; // with the configuration's timesteps
    std::vector<std::int64_t> timesteps;
    std::map<int, Run> runs;
    int nextId = 1;
    int computing = -1;
    std::int64_t budget = kDefaultBudgetBytes;
    std::int64_t historyBudget = kDefaultHistoryBytes;
    int pinned = -1;
    int dropped = 0;
    torch::Tensor forwardX0, forwardEps; // [C, H, W]
    std::string forwardName;

    void requireOpen() const
    {
        if (!scheduler)
            throw Error("no diffusion model is open");
    }
    const Run &runAt(int id) const
    {
        const auto it = runs.find(id);
        if (it == runs.end())
            throw Error("there is no run " + std::to_string(id));
        return it->second;
    }
    Run &runAt(int id) { return const_cast<Run &>(static_cast<const Impl *>(this)->runAt(id)); }

    // The stored step `index` as seen from run `id`: its own, or its parent's before it branched.
    const StepData *stepOf(int id, int index) const
    {
        for (int guard = 0; guard < 1000; ++guard) {
            const auto it = runs.find(id);
            if (it == runs.end())
                return nullptr;
            const Run &r = it->second;
            if (index >= r.info.firstStep) {
                const auto j = static_cast<std::size_t>(index - r.info.firstStep);
                return j < r.own.size() ? &r.own[j] : nullptr;
            }
            if (r.info.origin != DenoiseRunInfo::Origin::Branch)
                return nullptr;
            id = r.info.parent;
        }
        return nullptr;
    }

    std::int64_t totalBytes() const
    {
        std::int64_t n = 0;
        for (const auto &[id, r] : runs)
            n += r.info.tensorBytes;
        return n;
    }

    // Oldest runs' tensors first, never the run being computed.
    void enforceTensorBudget()
    {
        std::int64_t total = totalBytes();
        for (auto &[id, r] : runs) {
            if (total <= budget)
                break;
            if (id == computing || !r.info.hasTensors || r.info.tensorBytes == 0)
                continue;
            for (auto &s : r.own) {
                s.sample = torch::Tensor();
                s.modelOutput = torch::Tensor();
                s.predOriginal = torch::Tensor();
            }
            total -= r.info.tensorBytes;
            r.info.tensorBytes = 0;
            r.info.hasTensors = false;
        }
    }

    std::int64_t historyBytes() const
    {
        std::int64_t n = 0;
        for (const auto &[id, r] : runs)
            n += r.info.previewBytes;
        return n;
    }

    bool isBranchedFrom(int id) const
    {
        return std::any_of(runs.begin(), runs.end(), [id](const auto &kv) {
            return kv.second.info.origin == DenoiseRunInfo::Origin::Branch && kv.second.info.parent == id;
        });
    }

    // Whole runs, oldest first, while the history is over its budget (see setHistoryBudget). A
    // parent becomes droppable once its branches are gone, hence the passes.
    void enforceHistory()
    {
        std::int64_t total = historyBytes();
        for (bool droppedOne = true; total > historyBudget && droppedOne && !runs.empty();) {
            droppedOne = false;
            const int newest = runs.rbegin()->first;
            for (auto it = runs.begin(); it != runs.end() && total > historyBudget;) {
                const int id = it->first;
                if (id == computing || id == pinned || id == newest || isBranchedFrom(id)) {
                    ++it;
                    continue;
                }
                total -= it->second.info.previewBytes;
                it = runs.erase(it);
                ++dropped;
                droppedOne = true;
            }
        }
    }

    void enforceBudgets()
    {
        enforceTensorBudget();
        enforceHistory();
    }

    int addRun(DenoiseRunInfo runInfo, torch::Tensor x)
    {
        runInfo.id = nextId++;
        runInfo.stepsDone = runInfo.firstStep;
        runInfo.finished = runInfo.stepsDone >= static_cast<int>(timesteps.size());
        runInfo.previewBytes = bytesOf(x);
        Run r;
        r.info = runInfo;
        r.x = std::move(x);
        runs.emplace(runInfo.id, std::move(r));
        enforceHistory();
        return runInfo.id;
    }

    torch::Tensor forwardAt(std::int64_t t) const
    {
        if (!forwardX0.defined())
            throw Error("no image is set for the forward process");
        return scheduler->addNoise(forwardX0, forwardEps, t);
    }
};

DenoiseSession::DenoiseSession() : d(std::make_unique<Impl>())
{ }
DenoiseSession::~DenoiseSession() = default;

DenoiseSessionInfo DenoiseSession::open(const DenoiseSessionConfig &config, ModelCache *models)
{
    std::lock_guard<std::mutex> computeLock(d->compute);
    const std::string device = resolveDevice(config.compute);
    const std::string dtype = resolveDtype(config.compute, Workload::Diffusion);
    const std::string path = resolveModelPath(config.model);
    const SchedulerKind kind = schedulerKindFromName(config.scheduler);
    if (config.steps < 0)
        throw Error("the number of steps must be positive (got " + std::to_string(config.steps) + ")");
    if (kind == SchedulerKind::Ddpm && config.eta != 0.0)
        throw Error("eta applies to DDIM only (the DDPM step has no eta)");
    if (config.eta < 0.0 || config.eta > 1.0)
        throw Error("eta must be in [0, 1] (got " + std::to_string(config.eta) + ")");

    std::optional<ModelCache> own; // opened without an engine: a cache of its own
    const auto loaded = acquireDiffusion(models ? *models : own.emplace(), path, dtype, device);
    const auto &cfg = loaded->unet->config();
    if (cfg.sample_height <= 0 || cfg.sample_width <= 0)
        throw Error(loaded->unetFolder.string() + ": config.json has no sample_size, so the image size is unknown");
    const std::int64_t trainSteps = loaded->scheduler.num_train_timesteps;
    const int steps
        = config.steps > 0 ? config.steps : (kind == SchedulerKind::Ddpm ? static_cast<int>(trainSteps) : 50);
    if (steps > trainSteps)
        throw Error("at most " + std::to_string(trainSteps) + " steps (the model's train timesteps; asked for "
            + std::to_string(steps) + ")");
    auto sampler = std::make_unique<Sampler>(loaded->unet, Scheduler(loaded->scheduler, kind), steps, config.eta);
    Scheduler sched(loaded->scheduler, kind);
    sched.setTimesteps(steps);

    DenoiseSessionInfo info;
    info.modelName = loaded->name;
    info.modelPath = path;
    info.parameters = loaded->parameters;
    info.channels = static_cast<int>(cfg.in_channels);
    info.height = static_cast<int>(cfg.sample_height);
    info.width = static_cast<int>(cfg.sample_width);
    info.scheduler = schedulerKindName(kind);
    info.steps = steps;
    info.eta = config.eta;
    info.predictionType = loaded->scheduler.prediction_type;
    info.trainTimesteps = trainSteps;
    info.dtype = dtype;
    info.device = device;
    info.warnings = loaded->warnings;
    if (info.parameters == 0)
        for (const auto &p : loaded->unet->parameters())
            info.parameters += p.numel();

    d->sampler = std::move(sampler);
    d->samplerRun = -1;
    std::lock_guard<std::mutex> lock(d->data);
    d->loaded = loaded;
    d->info = info;
    d->scheduler = std::move(sched);
    d->timesteps = d->scheduler->timesteps();
    d->runs.clear();
    d->computing = -1;
    d->pinned = -1;
    d->dropped = 0;
    // The forward image stays (re-made at the new model's size when that changed).
    if (d->forwardX0.defined()
        && (d->forwardX0.size(0) != info.channels || d->forwardX0.size(1) != info.height
            || d->forwardX0.size(2) != info.width)) {
        d->forwardX0 = torch::Tensor();
        d->forwardEps = torch::Tensor();
        d->forwardName.clear();
    }
    return info;
}

int DenoiseSession::newRun(std::uint64_t seed)
{
    std::lock_guard<std::mutex> lock(d->data);
    d->requireOpen();
    // x_T exactly as Sampler::start(seed, 1, H, W) draws it.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto x = at::randn(
        {1, d->info.channels, d->info.height, d->info.width}, gen, torch::TensorOptions().dtype(torch::kFloat))[0];
    DenoiseRunInfo r;
    r.origin = DenoiseRunInfo::Origin::Seed;
    r.seed = seed;
    return d->addRun(r, x);
}

int DenoiseSession::branch(int from, int index, std::uint64_t seed)
{
    std::lock_guard<std::mutex> lock(d->data);
    d->requireOpen();
    const Impl::Run &parent = d->runAt(from);
    torch::Tensor x;
    if (index == parent.info.stepsDone) {
        x = parent.x;
    } else if (const auto *s = d->stepOf(from, index)) {
        if (!s->sample.defined())
            throw Error("cannot branch from step " + std::to_string(index + 1)
                + ": the tensors of that run were dropped "
                  "to stay within the memory budget ("
                + std::to_string(d->budget >> 20) + " MB); run it again");
        x = s->sample;
    } else {
        throw Error("cannot branch from step " + std::to_string(index + 1) + ": run " + std::to_string(from)
            + " has not computed it");
    }
    DenoiseRunInfo r;
    r.origin = DenoiseRunInfo::Origin::Branch;
    r.seed = seed;
    r.parent = from;
    r.firstStep = index;
    return d->addRun(r, x);
}

int DenoiseSession::reconstruct(int index, std::uint64_t seed)
{
    std::lock_guard<std::mutex> lock(d->data);
    d->requireOpen();
    if (index < 0 || index >= static_cast<int>(d->timesteps.size()))
        throw Error("no step " + std::to_string(index + 1) + " (the configuration has "
            + std::to_string(d->timesteps.size()) + ")");
    const auto x = d->forwardAt(d->timesteps[static_cast<std::size_t>(index)]);
    DenoiseRunInfo r;
    r.origin = DenoiseRunInfo::Origin::Reconstruction;
    r.seed = seed;
    r.firstStep = index;
    r.imageName = d->forwardName;
    return d->addRun(r, x);
}

int DenoiseSession::step(int run, int count, const std::function<bool(const DenoiseSessionStep &)> &onStep)
{
    std::lock_guard<std::mutex> computeLock(d->compute);
    torch::Tensor x;
    int position = 0, total = 0;
    std::uint64_t seed = 0;
    {
        std::lock_guard<std::mutex> lock(d->data);
        d->requireOpen();
        const Impl::Run &r = d->runAt(run);
        x = r.x;
        position = r.info.stepsDone;
        seed = r.info.seed;
        total = static_cast<int>(d->timesteps.size());
        d->computing = run;
    }
    struct Done {
        Impl *d;
        ~Done()
        {
            std::lock_guard<std::mutex> lock(d->data);
            d->computing = -1;
            d->enforceBudgets();
        }
    } done {d.get()};
    Sampler &sampler = *d->sampler;
    if (d->samplerRun != run || sampler.stepIndex() != position) {
        sampler.setKeepHistory(false);
        sampler.startAt(x.unsqueeze(0), position, seed);
        d->samplerRun = run;
    }
    int n = 0;
    const auto t0 = Clock::now();
    while (n < count && !sampler.finished()) {
        const auto &rec = sampler.step();
        Impl::StepData s;
        s.sample = rec.sample[0].to(torch::kCPU);
        s.modelOutput = rec.modelOutput[0].to(torch::kCPU);
        s.predOriginal = rec.predOriginalSample[0].to(torch::kCPU);
        s.previews.run = run;
        s.previews.index = static_cast<int>(rec.index);
        s.previews.timestep = rec.timestep;
        s.previews.sample = rgbOf(s.sample, 1.0);
        s.previews.modelOutput = rgbOf(s.modelOutput, kEpsRange);
        s.previews.predOriginal = rgbOf(s.predOriginal, 1.0);
        ++n;
        DenoiseSessionStep report;
        report.previews = s.previews;
        report.total = total;
        report.msPerStep = 1000.0 * std::chrono::duration<double>(Clock::now() - t0).count() / n;
        {
            std::lock_guard<std::mutex> lock(d->data);
            const auto it = d->runs.find(run);
            if (it == d->runs.end()) // the configuration changed under the job
                return n;
            Impl::Run &r = it->second;
            r.info.tensorBytes += bytesOf(s.sample) + bytesOf(s.modelOutput) + bytesOf(s.predOriginal);
            r.info.previewBytes += static_cast<std::int64_t>(s.previews.sample.pixels.size()
                + s.previews.modelOutput.pixels.size() + s.previews.predOriginal.pixels.size());
            r.own.push_back(std::move(s));
            r.x = sampler.current()[0].to(torch::kCPU);
            r.info.stepsDone = static_cast<int>(sampler.stepIndex());
            r.info.finished = sampler.finished();
            d->enforceBudgets();
        }
        if (onStep && !onStep(report))
            break;
    }
    return n;
}

void DenoiseSession::setForwardImage(const io::RgbImage &rgb, const std::string &name, std::uint64_t noiseSeed)
{
    if (rgb.empty() || rgb.pixels.size() != static_cast<std::size_t>(rgb.width) * rgb.height * 3)
        throw Error(name + ": not a usable RGB image");
    std::lock_guard<std::mutex> lock(d->data);
    d->requireOpen();
    const std::int64_t C = d->info.channels, H = d->info.height, W = d->info.width;
    c10::InferenceMode guard;
    auto img = torch::from_blob(const_cast<std::uint8_t *>(rgb.pixels.data()), {rgb.height, rgb.width, 3},
        torch::TensorOptions().dtype(torch::kUInt8))
                   .permute({2, 0, 1})
                   .to(torch::kFloat)
                   .div_(255.0)
                   .unsqueeze(0);
    // Centre crop to the model's aspect, then area-average down (or bilinear up) to its size.
    const double aspect = static_cast<double>(W) / static_cast<double>(H);
    std::int64_t ch = rgb.height, cw = rgb.width;
    if (static_cast<double>(cw) / static_cast<double>(ch) > aspect)
        cw = std::max<std::int64_t>(1, std::llround(static_cast<double>(ch) * aspect));
    else
        ch = std::max<std::int64_t>(1, std::llround(static_cast<double>(cw) / aspect));
    img = img.slice(2, (rgb.height - ch) / 2, (rgb.height - ch) / 2 + ch)
              .slice(3, (rgb.width - cw) / 2, (rgb.width - cw) / 2 + cw);
    if (ch >= H && cw >= W)
        img = at::adaptive_avg_pool2d(img, {H, W});
    else
        img = at::upsample_bilinear2d(img, {H, W}, false);
    img = img[0];
    torch::Tensor x0;
    if (C == 3) {
        x0 = img;
    } else {
        const auto luma = img[0] * 0.299 + img[1] * 0.587 + img[2] * 0.114;
        x0 = luma.unsqueeze(0).expand({C, H, W});
    }
    x0 = (x0 * 2.0 - 1.0).clamp(-1.0, 1.0).contiguous().clone();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(noiseSeed);
    d->forwardEps = at::randn({1, C, H, W}, gen, torch::TensorOptions().dtype(torch::kFloat))[0];
    d->forwardX0 = x0;
    d->forwardName = name;
}

bool DenoiseSession::hasForwardImage() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return d->forwardX0.defined();
}

FloatImage DenoiseSession::forwardOriginal() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return floatOf(d->forwardX0);
}

FloatImage DenoiseSession::forwardNoise() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return floatOf(d->forwardEps);
}

FloatImage DenoiseSession::forwardSample(std::int64_t t) const
{
    std::lock_guard<std::mutex> lock(d->data);
    d->requireOpen();
    return floatOf(d->forwardAt(t));
}

io::RgbImage DenoiseSession::forwardPreview(std::int64_t t) const
{
    std::lock_guard<std::mutex> lock(d->data);
    d->requireOpen();
    return rgbOf(d->forwardAt(t), 1.0);
}

DenoiseSessionInfo DenoiseSession::info() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return d->info;
}

bool DenoiseSession::isOpen() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return d->scheduler.has_value();
}

ScheduleTables DenoiseSession::schedule() const
{
    std::lock_guard<std::mutex> lock(d->data);
    ScheduleTables s;
    if (!d->scheduler)
        return s;
    const auto betas = d->scheduler->betas().to(torch::kCPU, torch::kDouble).contiguous();
    const auto abar = d->scheduler->alphasCumprod().to(torch::kCPU, torch::kDouble).contiguous();
    const auto snrOf = [](double a) { return a / std::max(1.0 - a, 1e-12); };
    s.trainBeta.assign(betas.data_ptr<double>(), betas.data_ptr<double>() + betas.numel());
    s.trainAlphaBar.assign(abar.data_ptr<double>(), abar.data_ptr<double>() + abar.numel());
    for (double a : s.trainAlphaBar)
        s.trainSnr.push_back(snrOf(a));
    s.timesteps = d->timesteps;
    for (std::int64_t t : s.timesteps) {
        const auto i = static_cast<std::size_t>(std::clamp<std::int64_t>(t, 0, betas.numel() - 1));
        s.beta.push_back(s.trainBeta[i]);
        s.alphaBar.push_back(s.trainAlphaBar[i]);
        s.snr.push_back(s.trainSnr[i]);
    }
    return s;
}

std::vector<std::int64_t> DenoiseSession::timesteps() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return d->timesteps;
}

std::vector<DenoiseRunInfo> DenoiseSession::runs() const
{
    std::lock_guard<std::mutex> lock(d->data);
    std::vector<DenoiseRunInfo> out;
    for (const auto &[id, r] : d->runs)
        out.push_back(r.info);
    return out;
}

std::optional<DenoiseRunInfo> DenoiseSession::run(int id) const
{
    std::lock_guard<std::mutex> lock(d->data);
    const auto it = d->runs.find(id);
    if (it == d->runs.end())
        return std::nullopt;
    return it->second.info;
}

std::optional<StepPreviews> DenoiseSession::previews(int run, int index) const
{
    std::lock_guard<std::mutex> lock(d->data);
    if (const auto *s = d->stepOf(run, index))
        return s->previews;
    return std::nullopt;
}

std::optional<DenoiseSession::StepTensors> DenoiseSession::tensors(int run, int index) const
{
    std::lock_guard<std::mutex> lock(d->data);
    const auto *s = d->stepOf(run, index);
    if (!s || !s->sample.defined())
        return std::nullopt;
    StepTensors t;
    t.timestep = s->previews.timestep;
    t.sample = floatOf(s->sample);
    t.modelOutput = floatOf(s->modelOutput);
    t.predOriginal = floatOf(s->predOriginal);
    return t;
}

FloatImage DenoiseSession::current(int run) const
{
    std::lock_guard<std::mutex> lock(d->data);
    return floatOf(d->runAt(run).x);
}

io::RgbImage DenoiseSession::currentPreview(int run) const
{
    std::lock_guard<std::mutex> lock(d->data);
    return rgbOf(d->runAt(run).x, 1.0);
}

void DenoiseSession::setMemoryBudget(std::int64_t bytes)
{
    std::lock_guard<std::mutex> lock(d->data);
    d->budget = std::max<std::int64_t>(0, bytes);
    d->enforceTensorBudget();
}

std::int64_t DenoiseSession::memoryBudget() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return d->budget;
}

std::int64_t DenoiseSession::tensorBytes() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return d->totalBytes();
}

void DenoiseSession::setHistoryBudget(std::int64_t bytes)
{
    std::lock_guard<std::mutex> lock(d->data);
    d->historyBudget = std::max<std::int64_t>(0, bytes);
    d->enforceHistory();
}

std::int64_t DenoiseSession::historyBudget() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return d->historyBudget;
}

std::int64_t DenoiseSession::historyBytes() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return d->historyBytes();
}

int DenoiseSession::droppedRuns() const
{
    std::lock_guard<std::mutex> lock(d->data);
    return d->dropped;
}

void DenoiseSession::pin(int run)
{
    std::lock_guard<std::mutex> lock(d->data);
    d->pinned = run;
}

std::vector<io::RgbImage> DenoiseSession::trajectoryFrames(int run, int maxFrames) const
{
    std::lock_guard<std::mutex> lock(d->data);
    const auto it = d->runs.find(run);
    if (it == d->runs.end())
        return {};
    const Impl::Run &r = it->second;
    std::vector<const StepPreviews *> steps;
    for (int i = 0; i < r.info.stepsDone; ++i)
        if (const auto *s = d->stepOf(run, i))
            steps.push_back(&s->previews);
    if (steps.empty())
        return {};
    const auto n = static_cast<int>(steps.size());
    const int shown = std::clamp(maxFrames, 1, n);
    const io::RgbImage final = rgbOf(r.x, 1.0);
    const int w = final.width, h = final.height, gap = std::max(1, w / 16);
    const auto compose = [&](const io::RgbImage &left, const io::RgbImage &right) {
        io::RgbImage f;
        f.width = 2 * w + gap;
        f.height = h;
        f.pixels.assign(static_cast<std::size_t>(f.width) * f.height * 3, 40);
        for (int y = 0; y < h; ++y) {
            std::copy_n(left.row(y), w * 3, f.row(y));
            std::copy_n(right.row(y), w * 3, f.row(y) + (w + gap) * 3);
        }
        return f;
    };
    std::vector<io::RgbImage> frames;
    for (int k = 0; k < shown; ++k) {
        const int i = shown == 1 ? n - 1 : static_cast<int>(static_cast<std::int64_t>(k) * (n - 1) / (shown - 1));
        frames.push_back(
            compose(steps[static_cast<std::size_t>(i)]->sample, steps[static_cast<std::size_t>(i)]->predOriginal));
    }
    frames.push_back(compose(final, final));
    return frames;
}

// --- jobs ------------------------------------------------------------------------------------

Job makeDenoiseOpenJob(std::shared_ptr<DenoiseSession> session, DenoiseSessionConfig config)
{
    Job job;
    job.name = "Open diffusion model";
    job.lane = Lane::Inference;
    job.run = [session = std::move(session), config = std::move(config)](JobContext &ctx) -> std::any {
        ctx.report(0, 0, "loading model");
        return session->open(config, &ctx.models());
    };
    return job;
}

Job makeDenoiseRunJob(std::shared_ptr<DenoiseSession> session, DenoiseRunRequest request)
{
    using Kind = DenoiseRunRequest::Kind;
    Job job;
    job.name = request.kind == Kind::Branch ? "Denoise a branch"
        : request.kind == Kind::Reconstruct ? "Reconstruct an image"
                                            : "Denoise";
    job.lane = Lane::Inference;
    job.run = [session = std::move(session), request = std::move(request)](JobContext &ctx) -> std::any {
        if (request.open) {
            ctx.report(0, 0, "loading model");
            ctx.partial(kDenoiseSessionOpenKind, session->open(*request.open));
        }
        int id = request.run;
        switch (request.kind) {
        case Kind::New:
            id = session->newRun(request.seed);
            break;
        case Kind::Branch:
            id = session->branch(request.run, request.index, request.seed);
            break;
        case Kind::Reconstruct:
            id = session->reconstruct(request.index, request.seed);
            break;
        case Kind::Continue:
            break;
        }
        ctx.partial(kDenoiseSessionRunKind, DenoiseRunStarted {id});
        ctx.throwIfCancelled();
        const int count = request.count > 0 ? request.count : std::numeric_limits<int>::max();
        const int done = session->step(id, count, [&ctx](const DenoiseSessionStep &s) {
            ctx.report(s.previews.index + 1, s.total, "denoising");
            ctx.partial(kDenoiseSessionStepKind, s);
            return !ctx.isCancelled();
        });
        ctx.throwIfCancelled(); // paused: what was computed stays in the session
        return done;
    };
    return job;
}

Job makeDenoiseRunJob(std::shared_ptr<DenoiseSession> session, int run, int count)
{
    DenoiseRunRequest request;
    request.run = run;
    request.count = count;
    return makeDenoiseRunJob(std::move(session), std::move(request));
}

std::string setForwardImageFromFile(DenoiseSession &session, const std::string &path, std::uint64_t noiseSeed)
{
#ifdef MODALLENS_HAVE_MEDIA
    io::RgbImage rgb;
    if (io::guessMediaKind(path) == io::MediaKind::Video) {
        io::VideoDecoder decoder(path);
        rgb = decoder.frameAt(0.0).image;
    } else {
        rgb = io::loadImage(path);
    }
    const std::string name = fs::path(path).filename().string();
    session.setForwardImage(rgb, name, noiseSeed);
    return name;
#else
    (void)session;
    (void)noiseSeed;
    throw Error(path + ": decoding images needs a build with media I/O (MODALLENS_MEDIA=ON)");
#endif
}

Job makeForwardImageJob(std::shared_ptr<DenoiseSession> session, std::string path, std::uint64_t noiseSeed)
{
    Job job;
    job.name = "Forward process";
    job.lane = Lane::Inference;
    job.run = [session = std::move(session), path = std::move(path), noiseSeed](JobContext &ctx) -> std::any {
        ctx.report(0, 0, "decoding");
        return setForwardImageFromFile(*session, path, noiseSeed);
    };
    return job;
}

} // namespace ml
