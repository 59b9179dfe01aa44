// The DDPM training loop: configuration and presets, Fashion-MNIST batches, the ε-prediction
// loss, AdamW with warm-up + cosine, the EMA of the weights, DDIM sample grids, checkpoints
// (diffusers flat layout + optimiser state in safetensors) and resume.
// Ref: diffusers/examples/unconditional_image_generation/train_unconditional.py; diffusers/training_utils.py (EMAModel)
#include "train/ddpm_trainer.h"
#include "engine/train_partials.h"

#include "common/error.h"
#include "engine/model_cache.h"
#include "engine/train_presets.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/diffusion/diffusion_config.h"
#include "models/diffusion/sampler.h"
#include "models/diffusion/scheduler.h"
#include "models/diffusion/unet2d.h"
#include "train/fashion_mnist.h"
#include "train/random.h"
#include "train/train_log.h"
#include "train/train_loop.h"
#include "train/trainer_common.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/nn/functional/loss.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

constexpr const char *kStateFormat = "modallens.ddpm_trainer_state.v1";
constexpr std::uint64_t kNoiseStream = 0xD1FF0510u; // the noise / timestep stream, apart from the data's

std::string channelsText(const std::vector<std::int64_t> &c)
{
    std::string s;
    for (const auto v : c) {
        if (!s.empty())
            s += ',';
        s += std::to_string(v);
    }
    return s;
}

DdpmTrainConfig resolveConfig(const DdpmTrainRequest &r, const nlohmann::json *stored)
{
    DdpmTrainConfig c;
    if (stored) {
        c = DdpmTrainConfig::fromJson(stored->at("config"));
        std::vector<std::string> conflicts;
        auto check = [&](const char *flag, bool given, bool differs, const std::string &run) {
            checkOverride(conflicts, flag, given, differs, run);
        };
        checkCommonOverrides(conflicts, r, c);
        check("--channels", !r.blockOutChannels.empty(), r.blockOutChannels != c.blockOutChannels,
            channelsText(c.blockOutChannels));
        check("--layers", r.layersPerBlock.has_value(), r.layersPerBlock != c.layersPerBlock,
            std::to_string(c.layersPerBlock));
        check("--flip", r.randomFlip.has_value(), r.randomFlip != c.randomFlip, c.randomFlip ? "flip" : "no flip");
        throwIfConflicts(r.outDir, conflicts);
    } else {
        c = DdpmTrainConfig::fromPreset(r.preset.empty() ? "mini" : r.preset);
        applyCommonOverrides(r, c);
        if (!r.blockOutChannels.empty())
            c.blockOutChannels = r.blockOutChannels;
        c.layersPerBlock = r.layersPerBlock.value_or(c.layersPerBlock);
        c.randomFlip = r.randomFlip.value_or(c.randomFlip);
    }
    applyLoopOverrides(r, c);
    c.sampleSteps = r.sampleSteps.value_or(c.sampleSteps);
    if (c.steps < 1)
        throw Error("steps must be at least 1");
    if (c.batch < 1)
        throw Error("batch must be at least 1");
    if (c.imageSize < 1 || c.blockOutChannels.empty())
        throw Error("the image size and the block channels must be positive");
    // The first level alone keeps a few feature maps per ResNet block for the backward pass.
    checkBatchFits(r.outDir, stored != nullptr, c.batch,
        16.0 * double(c.imageSize) * double(c.imageSize) * double(c.blockOutChannels.front())
            * double(c.layersPerBlock));
    if (c.lr <= 0 || c.layersPerBlock < 1 || c.logEvery < 1 || c.sampleSteps < 1)
        throw Error("the learning rate, layers per block, the log interval and the sample steps must be positive");
    for (const auto ch : c.blockOutChannels)
        if (ch % c.normGroups != 0)
            throw Error("every block's channels must be a multiple of " + std::to_string(c.normGroups)
                + " (the GroupNorm groups); got " + channelsText(c.blockOutChannels));
    return c;
}

// The UNet's parameters as a name -> tensor map (detached).
std::map<std::string, torch::Tensor> weightsOf(diffusion::UNet2DModelImpl &model)
{
    std::map<std::string, torch::Tensor> w;
    for (const auto &p : model.named_parameters())
        w[p.key()] = p.value().detach();
    for (const auto &b : model.named_buffers())
        w[b.key()] = b.value().detach();
    return w;
}

// Copies file's tensors (prefix + name) into model's parameters; throws naming what is missing.
void loadInto(diffusion::UNet2DModelImpl &model, const io::SafetensorsFile &file, const std::string &prefix)
{
    torch::NoGradGuard noGrad;
    for (auto &p : model.named_parameters()) {
        const std::string key = prefix + p.key();
        if (!file.contains(key))
            throw Error(file.path().string() + ": no tensor '" + key + "'");
        const auto t = file.tensor(key).to(torch::kFloat);
        if (t.sizes() != p.value().sizes())
            throw Error(file.path().string() + ": tensor '" + key + "' has the wrong shape");
        p.value().copy_(t);
    }
}

// [B, 1 | 3, H, W] in [-1, 1] -> one image, `cols` per row, each enlarged by zoom, 2 px white gaps.
io::RgbImage gridImage(const torch::Tensor &samples, std::int64_t cols, std::int64_t zoom)
{
    const auto x = ((samples.to(torch::kFloat) * 0.5 + 0.5).clamp(0, 1) * 255).round().to(torch::kUInt8).contiguous();
    const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    const auto rows = (B + cols - 1) / cols, gap = std::int64_t {2};
    io::RgbImage img;
    img.width = static_cast<int>(cols * W * zoom + (cols - 1) * gap);
    img.height = static_cast<int>(rows * H * zoom + (rows - 1) * gap);
    img.pixels.assign(static_cast<std::size_t>(img.width) * img.height * 3, 255);
    const auto *src = x.data_ptr<std::uint8_t>();
    for (std::int64_t b = 0; b < B; ++b) {
        const auto ox = (b % cols) * (W * zoom + gap), oy = (b / cols) * (H * zoom + gap);
        for (std::int64_t y = 0; y < H * zoom; ++y) {
            auto *dst = img.row(static_cast<int>(oy + y)) + ox * 3;
            for (std::int64_t xx = 0; xx < W * zoom; ++xx)
                for (std::int64_t c = 0; c < 3; ++c)
                    dst[xx * 3 + c] = src[((b * C + std::min(c, C - 1)) * H + y / zoom) * W + xx / zoom];
        }
    }
    return img;
}

} // namespace

// --- configuration -------------------------------------------------------------------------------

DdpmTrainConfig DdpmTrainConfig::fromPreset(const std::string &name)
{
    DdpmTrainConfig c; // the defaults are mini's
    c.preset = name;
    if (name == "mini")
        return c;
    if (name == "tiny") {
        c.steps = 60;
        c.batch = 8;
        c.lr = 2e-3;
        c.warmupFraction = 0.1;
        c.blockOutChannels = {16, 32};
        c.layersPerBlock = 1;
        c.logEvery = 5;
        c.evalEvery = 0;
        c.checkpointEvery = 0;
        c.sampleCount = 4;
        c.sampleSteps = 5;
        return c;
    }
    throw Error("unknown preset '" + name + "' (mini or tiny)");
}

nlohmann::json DdpmTrainConfig::toJson() const
{
    return {{"preset", preset}, {"steps", steps}, {"batch", batch}, {"lr", lr}, {"weight_decay", weightDecay},
        {"warmup_fraction", warmupFraction}, {"clip_norm", clipNorm}, {"ema_decay", emaDecay},
        {"random_flip", randomFlip}, {"seed", seed}, {"image_size", imageSize},
        {"block_out_channels", blockOutChannels}, {"layers_per_block", layersPerBlock},
        {"attention_head_dim", attentionHeadDim}, {"norm_num_groups", normGroups}, {"train_timesteps", trainTimesteps},
        {"beta_schedule", betaSchedule}, {"log_every", logEvery}, {"eval_every", evalEvery},
        {"checkpoint_every", checkpointEvery}, {"sample_count", sampleCount}, {"sample_steps", sampleSteps},
        {"sample_seed", sampleSeed}};
}

DdpmTrainConfig DdpmTrainConfig::fromJson(const nlohmann::json &j)
{
    DdpmTrainConfig c;
    auto get = [&](const char *key, auto &field) {
        if (j.contains(key))
            j.at(key).get_to(field);
    };
    get("preset", c.preset);
    get("steps", c.steps);
    get("batch", c.batch);
    get("lr", c.lr);
    get("weight_decay", c.weightDecay);
    get("warmup_fraction", c.warmupFraction);
    get("clip_norm", c.clipNorm);
    get("ema_decay", c.emaDecay);
    get("random_flip", c.randomFlip);
    get("seed", c.seed);
    get("image_size", c.imageSize);
    get("block_out_channels", c.blockOutChannels);
    get("layers_per_block", c.layersPerBlock);
    get("attention_head_dim", c.attentionHeadDim);
    get("norm_num_groups", c.normGroups);
    get("train_timesteps", c.trainTimesteps);
    get("beta_schedule", c.betaSchedule);
    get("log_every", c.logEvery);
    get("eval_every", c.evalEvery);
    get("checkpoint_every", c.checkpointEvery);
    get("sample_count", c.sampleCount);
    get("sample_steps", c.sampleSteps);
    get("sample_seed", c.sampleSeed);
    return c;
}

std::int64_t DdpmTrainConfig::warmupSteps() const
{
    return warmupStepsFor(warmupFraction, steps);
}

nlohmann::json DdpmTrainConfig::unetConfigJson() const
{
    std::vector<std::string> down, up;
    const auto n = blockOutChannels.size();
    for (std::size_t i = 0; i < n; ++i) {
        down.push_back(i + 1 == n ? "AttnDownBlock2D" : "DownBlock2D");
        up.push_back(i == 0 ? "AttnUpBlock2D" : "UpBlock2D");
    }
    return {{"_class_name", "UNet2DModel"}, {"_diffusers_version", "0.27.0"}, {"sample_size", imageSize},
        {"in_channels", 1}, {"out_channels", 1}, {"center_input_sample", false}, {"time_embedding_type", "positional"},
        {"freq_shift", 0}, {"flip_sin_to_cos", true}, {"down_block_types", down}, {"up_block_types", up},
        {"block_out_channels", blockOutChannels}, {"layers_per_block", layersPerBlock}, {"mid_block_scale_factor", 1},
        {"downsample_padding", 1}, {"downsample_type", "conv"}, {"upsample_type", "conv"}, {"dropout", 0.0},
        {"act_fn", "silu"}, {"attention_head_dim", attentionHeadDim}, {"norm_num_groups", normGroups},
        {"attn_norm_num_groups", nullptr}, {"norm_eps", 1e-5}, {"resnet_time_scale_shift", "default"},
        {"add_attention", true}, {"class_embed_type", nullptr}, {"num_class_embeds", nullptr},
        {"num_train_timesteps", nullptr}};
}

nlohmann::json DdpmTrainConfig::schedulerConfigJson() const
{
    return {{"_class_name", "DDPMScheduler"}, {"_diffusers_version", "0.27.0"}, {"num_train_timesteps", trainTimesteps},
        {"beta_start", 0.0001}, {"beta_end", 0.02}, {"beta_schedule", betaSchedule}, {"trained_betas", nullptr},
        {"variance_type", "fixed_small"}, {"clip_sample", true}, {"clip_sample_range", 1.0},
        {"prediction_type", "epsilon"}, {"thresholding", false}, {"dynamic_thresholding_ratio", 0.995},
        {"sample_max_value", 1.0}, {"timestep_spacing", "leading"}, {"steps_offset", 0},
        {"rescale_betas_zero_snr", false}};
}

double learningRate(const DdpmTrainConfig &config, std::int64_t step)
{
    return warmupCosineLr(config.lr, config.warmupSteps(), config.steps, step);
}

double emaDecayAt(const DdpmTrainConfig &config, std::int64_t updates)
{
    return std::min(config.emaDecay, static_cast<double>(1 + updates) / static_cast<double>(10 + updates));
}

torch::Tensor addNoiseBatch(const torch::Tensor &alphasCumprod, const torch::Tensor &x0, const torch::Tensor &noise,
    const torch::Tensor &timesteps)
{
    TORCH_CHECK(x0.sizes() == noise.sizes(), "x0 and noise differ in shape: ", x0.sizes(), " vs ", noise.sizes());
    TORCH_CHECK(timesteps.dim() == 1 && timesteps.size(0) == x0.size(0), "expected timesteps [", x0.size(0), "]");
    std::vector<std::int64_t> shape(static_cast<std::size_t>(x0.dim()), 1);
    shape[0] = x0.size(0);
    const auto a = alphasCumprod.index_select(0, timesteps).to(x0.scalar_type()).view(shape); // [B, 1, 1, 1]
    return a.sqrt() * x0 + (1 - a).sqrt() * noise;
}

namespace {

torch::Tensor readPaddedFashionImages(const fs::path &dir, std::int64_t side)
{
    const auto data = FashionMnist::load(FashionSplit::Train, dir);
    const std::int64_t s = FashionMnist::kSide;
    if (side < s)
        throw Error("the image size must be at least 28 for Fashion-MNIST (got " + std::to_string(side) + ")");
    const auto N = static_cast<std::int64_t>(data.size());
    auto out = torch::zeros({N, side, side}, torch::kUInt8); // [N, side, side]
    auto *dst = out.data_ptr<std::uint8_t>();
    const std::int64_t off = (side - s) / 2;
    for (std::int64_t i = 0; i < N; ++i) {
        const auto *src = data.pixels(static_cast<std::size_t>(i));
        for (std::int64_t y = 0; y < s; ++y)
            std::memcpy(dst + (i * side + y + off) * side + off, src + y * s, static_cast<std::size_t>(s));
    }
    return out;
}

} // namespace

std::shared_ptr<const torch::Tensor> paddedFashionImages(ModelCache &cache, const fs::path &dir, std::int64_t side)
{
    constexpr double kTrainImages = 60000; // Fashion-MNIST's training split
    const double bytes = kTrainImages * static_cast<double>(side) * static_cast<double>(side);
    return cache.acquire<const torch::Tensor>(
        makeModelKey("dataset", dir.string(), "uint8 " + std::to_string(side) + " px", "cpu"),
        bytes >= 4e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(bytes), dir.string(), [&] {
            auto images = std::make_shared<torch::Tensor>(readPaddedFashionImages(dir, side));
            const auto n = static_cast<std::int64_t>(images->nbytes());
            return ModelCache::Loaded {std::move(images), n};
        });
}

// --- the run -------------------------------------------------------------------------------------

namespace {

// One session of a run: the data, UNet, its EMA and optimiser the loop's hooks work on.
class DdpmSession {
public:
    DdpmSession(const DdpmTrainRequest &r, JobContext &ctx)
        : m_r(r)
        , m_ctx(ctx)
        , m_run(r.outDir, r.resume, kStateFormat, "ModalLens DDPM trainer state")
        , m_cfg(resolveConfig(r, m_run.stored()))
        , m_schedCfg(diffusion::SchedulerConfig::fromJson(m_cfg.schedulerConfigJson()))
        , m_alphasCumprod(diffusion::Scheduler(m_schedCfg, diffusion::SchedulerKind::Ddpm).alphasCumprod())
    {
        m_run.checkStepsLeft(m_cfg.steps);
        m_result.outDir = m_run.dir().string();
        m_result.preset = m_cfg.preset;
        m_result.startStep = m_run.startStep();
        m_result.totalSteps = m_cfg.steps;
    }

    DdpmTrainResult run()
    {
        loadData();
        buildModel();
        TrainLog log(m_run.dir(), m_run.resumeStep());
        m_log = &log;
        const double lastLoss = m_run.stored() ? m_run.stored()->value("last_loss", 0.0) : 0.0;
        const TrainLoopSettings settings {
            m_cfg.steps, m_cfg.logEvery, m_cfg.evalEvery, m_cfg.checkpointEvery, m_r.control.get(), &m_run, lastLoss};
        TrainHooks hooks;
        hooks.step = [this](std::int64_t step) { return this->step(step); };
        if (m_cfg.sampleCount >= 1)
            hooks.sample = [this](std::int64_t step) { return sampleGrid(step); };
        hooks.log = [this](const LoopMetric &m) { writeMetric(m); };
        hooks.saveCheckpoint = [this](std::int64_t step) { save(step); };
        hooks.stateFields = [this] {
            return nlohmann::json {
                {"dtype", "fp32"}, {"parameters", m_result.parameters}, {"weights", "ema"}, {"config", m_cfg.toJson()}};
        };
        const TrainLoopOutcome out = runTrainLoop(settings, hooks, m_ctx);

        setRunOutcome(m_result, out, m_cfg.batch);
        std::error_code ec;
        m_result.weightBytes
            = static_cast<std::int64_t>(fs::file_size(m_run.dir() / "diffusion_pytorch_model.safetensors", ec));
        return m_result;
    }

private:
    void loadData();
    void buildModel();
    StepResult step(std::int64_t step);
    bool sampleGrid(std::int64_t step);
    void writeMetric(const LoopMetric &lm);
    void save(std::int64_t step);

    const DdpmTrainRequest &m_r;
    JobContext &m_ctx;
    TrainerState m_run;
    DdpmTrainConfig m_cfg;
    diffusion::SchedulerConfig m_schedCfg;
    torch::Tensor m_alphasCumprod; // [T]
    DdpmTrainResult m_result;
    std::shared_ptr<const torch::Tensor> m_imageSet; // held in the engine's cache for the run
    torch::Tensor m_images;                          // [N, S, S] uint8
    diffusion::UNet2DModel m_model {nullptr}, m_ema {nullptr};
    std::vector<torch::Tensor> m_params, m_emaParams;
    std::unique_ptr<torch::optim::AdamW> m_optimizer;
    TrainLog *m_log = nullptr;
};

// All of Fashion-MNIST's training split, padded, as 8-bit.
void DdpmSession::loadData()
{
    m_ctx.report(0, 0, "loading data");
    const fs::path fashionDir
        = m_r.fashionMnistDir.empty() ? FashionMnist::defaultFolder() : fs::path(m_r.fashionMnistDir);
    if (!FashionMnist::available(FashionSplit::Train, fashionDir))
        throw Error(fashionDir.string()
            + ": Fashion-MNIST's training split not found (install dataset-fashion-mnist or pass --fashion-mnist DIR)");
    m_imageSet = paddedFashionImages(m_ctx.models(), fashionDir, m_cfg.imageSize);
    m_images = *m_imageSet;
    m_ctx.throwIfCancelled();
}

// Model, EMA copy, optimiser; the run's own on resume.
void DdpmSession::buildModel()
{
    const fs::path &dir = m_run.dir();
    const nlohmann::json unetJson = m_cfg.unetConfigJson();
    const diffusion::UNet2DConfig unetCfg = diffusion::UNet2DConfig::fromJson(unetJson);
    if (const auto problems = unetCfg.validate(); !problems.empty())
        throw Error("the UNet configuration is unusable: " + problems.front());
    fs::create_directories(dir);
    torch::manual_seed(m_cfg.seed);
    m_model = diffusion::UNet2DModel(unetCfg);
    m_ema = diffusion::UNet2DModel(unetCfg);
    m_model->train();
    m_ema->eval();
    m_params = m_model->parameters();
    m_emaParams = m_ema->parameters();
    for (auto &p : m_emaParams)
        p.set_requires_grad(false);
    for (const auto &p : m_params)
        m_result.parameters += p.numel();
    m_optimizer = std::make_unique<torch::optim::AdamW>(
        m_params, torch::optim::AdamWOptions(m_cfg.lr).betas({0.95, 0.999}).eps(1e-8).weight_decay(m_cfg.weightDecay));

    if (m_run.stored()) {
        const auto state = io::SafetensorsFile::open(dir / "trainer_state.safetensors");
        checkStateStep(*state, m_run.startStep());
        loadInto(*m_model, *state, "model.");
        loadInto(*m_ema, *io::SafetensorsFile::open(dir / "diffusion_pytorch_model.safetensors"), "");
        if (const auto missing = loadAdamWState(*state, *m_model, *m_optimizer); !missing.empty())
            throw Error(state->path().string() + ": no optimiser state for '" + missing.front() + "'");
    } else {
        torch::NoGradGuard noGrad;
        for (std::size_t i = 0; i < m_params.size(); ++i)
            m_emaParams[i].copy_(m_params[i]);
        writeJsonAtomic(dir / "config.json", unetJson);
        writeJsonAtomic(dir / "scheduler_config.json", m_cfg.schedulerConfigJson());
    }
}

StepResult DdpmSession::step(std::int64_t step)
{
    const auto B = m_cfg.batch, S = m_cfg.imageSize;
    // The batch of step `step`: its own data stream and noise stream, so a resume is exact.
    Rng rng(Rng::streamSeed(m_cfg.seed, static_cast<std::uint64_t>(step)));
    auto index = torch::empty({B}, torch::kLong);
    std::vector<std::uint8_t> flip(static_cast<std::size_t>(B), 0);
    for (std::int64_t i = 0; i < B; ++i) {
        index.data_ptr<std::int64_t>()[i]
            = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(m_images.size(0))));
        flip[static_cast<std::size_t>(i)] = m_cfg.randomFlip && rng.chance(0.5) ? 1 : 0;
    }
    torch::Tensor x0 = m_images.index_select(0, index).to(torch::kFloat).div_(127.5).sub_(1.0).unsqueeze(1);
    if (m_cfg.randomFlip) {
        const auto mask = torch::from_blob(flip.data(), {B, 1, 1, 1}, torch::kUInt8).to(torch::kBool);
        x0 = torch::where(mask, x0.flip({3}), x0); // [B, 1, S, S]
    }
    auto gen = at::make_generator<at::CPUGeneratorImpl>(
        Rng::streamSeed(m_cfg.seed ^ kNoiseStream, static_cast<std::uint64_t>(step)));
    const torch::Tensor noise = at::randn({B, 1, S, S}, gen, torch::kFloat);
    const torch::Tensor t = at::randint(0, m_cfg.trainTimesteps, {B}, gen, torch::kLong);
    const torch::Tensor xt = addNoiseBatch(m_alphasCumprod, x0, noise, t);

    setLearningRate(*m_optimizer, learningRate(m_cfg, step));
    const torch::Tensor loss = torch::nn::functional::mse_loss(m_model->forward(xt, t), noise);
    m_optimizer->zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(m_params, m_cfg.clipNorm);
    m_optimizer->step();
    {
        torch::NoGradGuard noGrad;
        const double d = emaDecayAt(m_cfg, step);
        for (std::size_t i = 0; i < m_params.size(); ++i)
            m_emaParams[i].mul_(d).add_(m_params[i].detach(), 1.0 - d);
    }
    return {loss.item<double>(), {}};
}

// A DDIM sample grid of the EMA weights with a fixed seed; false when cancelled meanwhile.
bool DdpmSession::sampleGrid(std::int64_t step)
{
    diffusion::Sampler sampler(
        m_ema, diffusion::Scheduler(m_schedCfg, diffusion::SchedulerKind::Ddim), m_cfg.sampleSteps, 0.0);
    sampler.setKeepHistory(false);
    sampler.start(m_cfg.sampleSeed, m_cfg.sampleCount, m_cfg.imageSize, m_cfg.imageSize);
    bool cancelled = false;
    sampler.run([&](const diffusion::StepRecord &) {
        cancelled = m_ctx.isCancelled();
        return !cancelled;
    });
    if (cancelled)
        return false;
    const torch::Tensor x = sampler.current(); // [n, 1, S, S]
    DdpmSampleGrid grid;
    grid.step = step;
    grid.image = gridImage(x, std::max<std::int64_t>(1, std::llround(std::sqrt(double(m_cfg.sampleCount)))), 2);
#ifdef MODALLENS_HAVE_MEDIA
    const fs::path &dir = m_run.dir();
    fs::create_directories(dir / "samples");
    char name[48];
    std::snprintf(name, sizeof name, "step_%07lld.png", static_cast<long long>(step));
    const fs::path file = dir / "samples" / name;
    io::saveImage(grid.image, file);
    fs::copy_file(file, dir / "samples.png", fs::copy_options::overwrite_existing);
    grid.file = file.string();
    m_result.sampleGrid = grid.file;
#endif
    TrainSamples samples;
    samples.step = step;
    const auto zoom = 64 / m_cfg.imageSize > 0 ? 64 / m_cfg.imageSize : 1;
    for (std::int64_t i = 0; i < x.size(0); ++i)
        samples.samples.push_back({gridImage(x.slice(0, i, i + 1), 1, zoom), "", "", 0.0f});
    m_ctx.partial(kTrainSamplesPartial, std::move(samples));
    m_ctx.partial(kTrainSampleGridPartial, std::move(grid));
    return true;
}

void DdpmSession::writeMetric(const LoopMetric &lm)
{
    TrainMetric m;
    m.step = lm.step;
    m.totalSteps = lm.totalSteps;
    m.loss = lm.loss;
    m.lr = m_optimizer->param_groups().front().options().get_lr();
    m.stepsPerS = lm.stepsPerS;
    m.imagesPerS = m.stepsPerS * static_cast<double>(m_cfg.batch);
    m.etaSeconds = lm.etaSeconds;
    m.elapsedSeconds = lm.elapsedSeconds;
    m_log->write(m.step,
        {{"loss", "train/loss", m.loss}, {"lr", "train/lr", m.lr}, {"steps_per_s", "train/steps_per_s", m.stepsPerS}});
    m_ctx.partial(kTrainMetricPartial, m);
    if (m_r.onMetric)
        m_r.onMetric(m);
}

void DdpmSession::save(std::int64_t step)
{
    std::map<std::string, torch::Tensor> state;
    for (const auto &p : m_model->named_parameters())
        state["model." + p.key()] = p.value().detach();
    addAdamWState(state, *m_model, *m_optimizer);
    state["trainer.step"] = torch::tensor(step, torch::kLong);
    state["trainer.seed"] = torch::tensor(static_cast<std::int64_t>(m_cfg.seed), torch::kLong);
    io::saveSafetensors(m_run.dir() / "diffusion_pytorch_model.safetensors", weightsOf(*m_ema), {{"format", "pt"}});
    io::saveSafetensors(
        m_run.dir() / "trainer_state.safetensors", state, {{"format", kStateFormat}, {"step", std::to_string(step)}});
}

} // namespace

DdpmTrainer::DdpmTrainer(DdpmTrainRequest request) : m_request(std::move(request))
{ }

DdpmTrainResult DdpmTrainer::run(JobContext &ctx)
{
    if (m_request.outDir.empty())
        throw Error("training needs an output folder (--out DIR)");
    return DdpmSession(m_request, ctx).run();
}

} // namespace ml::train

namespace ml {

Job makeDdpmTrainJob(DdpmTrainRequest request)
{
    return train::makeTrainerJob<train::DdpmTrainer>("DDPM", std::move(request));
}

std::vector<std::string> ddpmTrainPresets()
{
    return train::trainerPresetNames();
}

double ddpmPresetStepSeconds(const std::string &preset)
{
    // As clipPresetStepSeconds(), sample grids included. mini: ddpm-mini's 2,400 steps took 5,988 s
    // (resources/models/ddpm-mini/README.md); tiny: 60 steps in 15.0 s.
    constexpr double kMini = 5988.0 / 2400.0, kTiny = 15.0 / 60.0;
    return train::DdpmTrainConfig::fromPreset(preset).preset == "tiny" ? kTiny : kMini;
}

DdpmTrainRequest ddpmTrainPresetRequest(const std::string &preset)
{
    const auto c = train::DdpmTrainConfig::fromPreset(preset);
    DdpmTrainRequest r;
    train::setCommonPresetFields(r, c);
    r.blockOutChannels = c.blockOutChannels;
    r.layersPerBlock = c.layersPerBlock;
    r.randomFlip = c.randomFlip;
    r.sampleSteps = c.sampleSteps;
    return r;
}

} // namespace ml
