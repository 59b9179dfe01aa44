// The CLIP training loop: configuration and presets, initialisation, the soft-target loss,
// AdamW groups and schedule, periodic held-out evaluation, checkpoints (HF layout + optimiser
// state in safetensors, never pickles) and resume.
// Ref: transformers/models/clip/modeling_clip.py (clip_loss, _init_weights); open_clip/loss.py
#include "train/clip_trainer.h"
#include "engine/train_partials.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/clip/clip_loader.h"
#include "text/clip_tokenizer.h"
#include "train/bpe_trainer.h"
#include "train/train_log.h"
#include "train/train_loop.h"
#include "train/trainer_common.h"
#include "train/zero_shot_eval.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <nlohmann/json.hpp>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <cmath>
#include <optional>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

constexpr const char *kStateFormat = "modallens.trainer_state.v1";
const double kMaxLogitScale = std::log(100.0);

// The heads of a tower of the given width: 32-wide heads, 8-wide below a width of 64.
std::int64_t headsFor(std::int64_t width)
{
    return width >= 64 ? width / 32 : std::max<std::int64_t>(1, width / 8);
}

// The run's configuration: the preset with the request's overrides, or (resume) the stored one.
ClipTrainConfig resolveConfig(const ClipTrainRequest &r, const nlohmann::json *stored)
{
    ClipTrainConfig c;
    if (stored) {
        c = ClipTrainConfig::fromJson(stored->at("config"));
        std::vector<std::string> conflicts;
        checkCommonOverrides(conflicts, r, c);
        checkOverride(conflicts, "width", r.width.has_value(), r.width != c.visionWidth, std::to_string(c.visionWidth));
        checkOverride(
            conflicts, "layers", r.layers.has_value(), r.layers != c.visionLayers, std::to_string(c.visionLayers));
        checkOverride(conflicts, "data mix", r.fashionFraction || r.singleFraction || r.multiFraction, true, "mix");
        throwIfConflicts(r.outDir, conflicts);
    } else {
        c = ClipTrainConfig::fromPreset(r.preset.empty() ? "mini" : r.preset);
        applyCommonOverrides(r, c);
        if (r.width) {
            c.visionWidth = *r.width;
            c.visionHeads = headsFor(*r.width);
        }
        c.visionLayers = r.layers.value_or(c.visionLayers);
        c.mix.fashion = r.fashionFraction.value_or(c.mix.fashion);
        c.mix.single = r.singleFraction.value_or(c.mix.single);
        c.mix.multi = r.multiFraction.value_or(c.mix.multi);
    }
    applyLoopOverrides(r, c);
    c.evalShapesPerClass = r.evalShapesPerClass.value_or(c.evalShapesPerClass);
    c.evalFashion = r.evalFashion.value_or(c.evalFashion);
    if (c.batch < 2)
        throw Error("batch must be at least 2 (contrastive training compares the items of a batch)");
    if (c.steps < 1)
        throw Error("steps must be at least 1");
    if (c.lr <= 0 || c.visionWidth < 1 || c.visionLayers < 1 || c.logEvery < 1)
        throw Error("the learning rate, the vision width and layers and the log interval must be positive");
    if (c.mix.fashion < 0 || c.mix.single < 0 || c.mix.multi < 0)
        throw Error("the data mix's fractions must be 0 or more");
    // Each layer keeps about 8 width-sized rows per token for the backward pass, in fp32.
    const auto visionTokens = (c.imageSize / std::max<std::int64_t>(1, c.patchSize))
            * (c.imageSize / std::max<std::int64_t>(1, c.patchSize))
        + 1;
    checkBatchFits(r.outDir, stored != nullptr, c.batch,
        32.0
            * (double(visionTokens) * double(c.visionWidth) * double(c.visionLayers)
                + double(c.contextLength) * double(c.textWidth) * double(c.textLayers)));
    return c;
}

// A held-out set ready for the in-memory model: pixels and tokenised prompts.
struct PreparedEval {
    EvalSet set;
    torch::Tensor pixels;    // [N, 3, 64, 64]
    torch::Tensor promptIds; // [prompts, T]
};

PreparedEval prepareEval(EvalSet set, const text::ClipTokenizer &tokenizer)
{
    PreparedEval e;
    e.pixels = normalisedPixels(set.images);
    text::EncodeOptions options;
    options.truncation = true;
    options.maxLength = tokenizer.contextLength();
    options.padding = text::Padding::Longest;
    const auto enc = tokenizer.encodeBatch(flatPrompts(set), options);
    const auto P = static_cast<std::int64_t>(enc.inputIds.size()),
               T = static_cast<std::int64_t>(enc.inputIds[0].size());
    e.promptIds = torch::empty({P, T}, torch::kLong); // [P, T]
    for (std::int64_t i = 0; i < P; ++i)
        for (std::int64_t t = 0; t < T; ++t)
            e.promptIds.data_ptr<std::int64_t>()[i * T + t] = enc.inputIds[i][t];
    e.set = std::move(set);
    return e;
}

// Held-out scores of the model as it is now; nullopt when cancel came first.
std::optional<EvalScores> evaluate(clip::ClipModelImpl &model, const PreparedEval &e, bool bf16, JobContext &ctx)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> chunks;
    torch::Tensor text;
    {
        AutocastScope autocast(bf16); // the towers only; scoring stays in float32
        model.eval();
        const auto N = e.pixels.size(0);
        for (std::int64_t i = 0; i < N; i += 256) {
            if (ctx.isCancelled()) {
                model.train();
                return std::nullopt;
            }
            chunks.push_back(model.imageEmbeddings(e.pixels.slice(0, i, std::min(N, i + 256))));
        }
        text = model.textEmbeddings(e.promptIds, torch::Tensor());
        model.train();
    }
    const double scale = model.logitScale().exp().item<double>();
    return scoreZeroShot(e.set, torch::cat(chunks), classEmbeddings(e.set, text), scale);
}

} // namespace

// --- model, loss, optimiser ----------------------------------------------------------------------

torch::Tensor softClipLoss(const torch::Tensor &imageEmbeddings, const torch::Tensor &textEmbeddings,
    const torch::Tensor &logitScale, const torch::Tensor &truth)
{
    TORCH_CHECK(imageEmbeddings.dim() == 2 && imageEmbeddings.sizes() == textEmbeddings.sizes(),
        "expected two [B, P] embeddings, got ", imageEmbeddings.sizes(), " and ", textEmbeddings.sizes());
    const auto B = imageEmbeddings.size(0);
    TORCH_CHECK(truth.sizes() == torch::IntArrayRef({B, B}), "expected truth [", B, ", ", B, "], got ", truth.sizes());
    const auto logits = logitScale.exp() * imageEmbeddings.matmul(textEmbeddings.t()); // [B (images), B (texts)]
    const auto t = truth.to(logits.scalar_type());
    const auto imageTargets = t / t.sum(1, true);        // [B, B], rows sum to 1
    const auto textTargets = t.t() / t.t().sum(1, true); // [B, B]
    const auto imageLoss = -(imageTargets * torch::log_softmax(logits, 1)).sum(1).mean();
    const auto textLoss = -(textTargets * torch::log_softmax(logits.t(), 1)).sum(1).mean();
    return 0.5 * (imageLoss + textLoss);
}

bool decaysWeight(const std::string &name)
{
    if (name == "logit_scale" || name.ends_with(".bias") || name.ends_with("class_embedding"))
        return false;
    for (const char *noDecay : {"layer_norm", "layernorm", "layrnorm", "token_embedding", "position_embedding"})
        if (name.find(noDecay) != std::string::npos)
            return false;
    return true;
}

std::vector<torch::optim::OptimizerParamGroup> parameterGroups(torch::nn::Module &model, double lr, double weightDecay)
{
    std::vector<torch::Tensor> decayed, plain;
    for (const auto &p : model.named_parameters())
        (decaysWeight(p.key()) ? decayed : plain).push_back(p.value());
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decayed,
        std::make_unique<torch::optim::AdamWOptions>(
            torch::optim::AdamWOptions(lr).betas({0.9, 0.98}).eps(1e-6).weight_decay(weightDecay)));
    groups.emplace_back(plain,
        std::make_unique<torch::optim::AdamWOptions>(
            torch::optim::AdamWOptions(lr).betas({0.9, 0.98}).eps(1e-6).weight_decay(0.0)));
    return groups;
}

void initialiseClip(clip::ClipModelImpl &model, double initTemperature)
{
    torch::NoGradGuard noGrad;
    const auto &cfg = model.config();
    for (auto &p : model.named_parameters()) {
        const std::string &name = p.key();
        torch::Tensor w = p.value();
        const bool text = name.starts_with("text_model.");
        const double C = static_cast<double>(text ? cfg.text_config.hidden_size : cfg.vision_config.hidden_size);
        const double L
            = static_cast<double>(text ? cfg.text_config.num_hidden_layers : cfg.vision_config.num_hidden_layers);
        const double inProjStd = std::pow(C, -0.5) * std::pow(2.0 * L, -0.5);
        if (name == "logit_scale")
            w.fill_(std::log(1.0 / initTemperature));
        else if (name.ends_with(".bias"))
            w.zero_();
        else if (name.find("layer_norm") != std::string::npos || name.find("layernorm") != std::string::npos
            || name.find("layrnorm") != std::string::npos)
            w.fill_(1.0);
        else if (name.ends_with("class_embedding"))
            w.normal_(0.0, std::pow(C, -0.5));
        else if (name.find("embedding") != std::string::npos) // token, position, patch
            w.normal_(0.0, 0.02);
        else if (name.find("q_proj") != std::string::npos || name.find("k_proj") != std::string::npos
            || name.find("v_proj") != std::string::npos || name.find("fc2") != std::string::npos)
            w.normal_(0.0, inProjStd);
        else if (name.find("out_proj") != std::string::npos)
            w.normal_(0.0, std::pow(C, -0.5));
        else if (name.find("fc1") != std::string::npos)
            w.normal_(0.0, std::pow(2.0 * C, -0.5));
        else if (name == "visual_projection.weight")
            w.normal_(0.0, std::pow(static_cast<double>(cfg.vision_config.hidden_size), -0.5));
        else if (name == "text_projection.weight")
            w.normal_(0.0, std::pow(static_cast<double>(cfg.text_config.hidden_size), -0.5));
        else
            throw Error("initialiseClip: no rule for parameter '" + name + "'");
    }
}

// --- the run -------------------------------------------------------------------------------------

namespace {

// The sample grid: the first image of each held-out pair, two other pairs, two garments.
std::vector<std::pair<std::size_t, std::size_t>> sampleIndices(const std::vector<PreparedEval> &evals)
{
    std::vector<std::pair<std::size_t, std::size_t>> at; // (eval set, image)
    for (std::size_t e = 0; e < evals.size(); ++e) {
        const EvalSet &set = evals[e].set;
        if (set.name != "shapes") {
            for (std::size_t i = 0; i < std::min<std::size_t>(2, set.images.size()); ++i)
                at.emplace_back(e, i);
            continue;
        }
        std::vector<bool> taken(set.classes.size(), false);
        int others = 0;
        for (std::size_t i = 0; i < set.images.size(); ++i) {
            const auto c = static_cast<std::size_t>(set.labels[i]);
            if (taken[c] || (!set.heldOut[c] && (others >= 2 || c % 7 != 0)))
                continue;
            taken[c] = true;
            others += set.heldOut[c] ? 0 : 1;
            at.emplace_back(e, i);
        }
    }
    return at;
}

ZeroShotAccuracy storedAccuracy(const nlohmann::json *stored)
{
    ZeroShotAccuracy a;
    if (!stored || !stored->contains("evaluation"))
        return a;
    const auto &e = stored->at("evaluation");
    a.shapes = e.value("shapes", -1.0);
    a.shapesHeldOut = e.value("shapes_held_out", -1.0);
    a.fashion = e.value("fashion_mnist", -1.0);
    a.shapesImages = e.value("shapes_images", std::int64_t {0});
    a.shapesHeldOutImages = e.value("shapes_held_out_images", std::int64_t {0});
    a.fashionImages = e.value("fashion_mnist_images", std::int64_t {0});
    return a;
}

// metrics.jsonl / TensorBoard values of a metric: the interval's figures, each accuracy with its
// image count (metrics.jsonl only).
std::vector<LogValue> logValues(const TrainMetric &m, bool steps)
{
    std::vector<LogValue> values;
    if (steps) {
        values.push_back({"loss", "train/loss", m.loss});
        values.push_back({"lr", "train/lr", m.lr});
        values.push_back({"temperature", "train/temperature", m.temperature});
        values.push_back({"images_per_s", "train/images_per_s", m.imagesPerS});
    }
    if (!m.evaluated)
        return values;
    const ZeroShotAccuracy &a = m.evaluation;
    const auto count = [](std::int64_t n) { return static_cast<double>(n); };
    if (a.shapes >= 0) {
        values.push_back({"shapes_acc", "eval/shapes_zero_shot", a.shapes});
        values.push_back({"shapes_images", "", count(a.shapesImages)});
    }
    if (a.shapesHeldOut >= 0) {
        values.push_back({"shapes_held_out_acc", "eval/shapes_held_out", a.shapesHeldOut});
        values.push_back({"shapes_held_out_images", "", count(a.shapesHeldOutImages)});
    }
    if (a.fashion >= 0) {
        values.push_back({"fashion_acc", "eval/fashion_mnist", a.fashion});
        values.push_back({"fashion_images", "", count(a.fashionImages)});
    }
    return values;
}

// One session of a run: the data, model and optimiser the loop's hooks work on.
class ClipSession {
public:
    ClipSession(const ClipTrainRequest &r, JobContext &ctx)
        : m_r(r)
        , m_ctx(ctx)
        , m_run(r.outDir, r.resume, kStateFormat, "ModalLens trainer state")
        , m_cfg(resolveConfig(r, m_run.stored()))
        , m_lastEval(storedAccuracy(m_run.stored()))
    {
        m_run.checkStepsLeft(m_cfg.steps);
        m_result.outDir = m_run.dir().string();
        m_result.preset = m_cfg.preset;
        m_result.startStep = m_run.startStep();
        m_result.totalSteps = m_cfg.steps;
        m_result.dtype = resolveTrainDtype(r.dtype);
        m_bf16 = m_result.dtype == "bf16";
    }

    ClipTrainResult run()
    {
        loadData();
        buildModel();
        prepareEvals();
        TrainLog log(m_run.dir(), m_run.resumeStep());
        m_log = &log;
        // The data thread gets its own tokenizer, so the two threads never share its cache lock.
        auto dataTokenizer = std::make_shared<const text::ClipTokenizer>(
            text::ClipTokenizer::fromFolder(m_run.dir(), static_cast<std::size_t>(m_cfg.contextLength)));
        BatchPrefetcher prefetch(
            [source = m_source, dataTokenizer, batch = m_cfg.batch](
                std::int64_t index) { return makeClipBatch(*source, *dataTokenizer, index, batch); },
            m_run.startStep(), 3);
        m_prefetch = &prefetch;

        const TrainLoopSettings settings {
            m_cfg.steps, m_cfg.logEvery, m_cfg.evalEvery, m_cfg.checkpointEvery, m_r.control.get(), &m_run, 0.0};
        TrainHooks hooks;
        hooks.step = [this](std::int64_t step) { return this->step(step); };
        if (!m_evals.empty())
            hooks.evaluate = [this](std::int64_t step) { return evaluateAt(step); };
        hooks.log = [this](const LoopMetric &m) { writeMetric(m); };
        hooks.saveCheckpoint = [this](std::int64_t step) { save(step); };
        hooks.stateFields = [this] { return stateFields(); };
        const TrainLoopOutcome out = runTrainLoop(settings, hooks, m_ctx);

        setRunOutcome(m_result, out, m_cfg.batch);
        m_result.evaluation = m_lastEval;
        m_result.dataSecondsPerBatch = prefetch.makeSeconds();
        m_result.dataWaitSeconds = prefetch.waitSeconds();
        return m_result;
    }

private:
    void loadData();
    void buildModel();
    void prepareEvals();
    StepResult step(std::int64_t step);
    bool evaluateAt(std::int64_t step);
    void writeMetric(const LoopMetric &lm);
    void save(std::int64_t step);
    nlohmann::json stateFields() const;

    const ClipTrainRequest &m_r;
    JobContext &m_ctx;
    TrainerState m_run;
    ClipTrainConfig m_cfg;
    ClipTrainResult m_result;
    bool m_bf16 = false;
    std::shared_ptr<const FashionMnist> m_fashionTest;
    std::shared_ptr<const ClipDataSource> m_source;
    std::optional<text::ClipTokenizer> m_tokenizer;
    clip::ClipModel m_model {nullptr};
    std::vector<torch::Tensor> m_params;
    std::unique_ptr<torch::optim::AdamW> m_optimizer;
    std::vector<PreparedEval> m_evals;
    std::vector<std::pair<std::size_t, std::size_t>> m_sampleAt; // (eval set, image)
    ZeroShotAccuracy m_lastEval;
    TrainLog *m_log = nullptr;
    BatchPrefetcher *m_prefetch = nullptr;
    std::int64_t m_stateStep = 0; // of the checkpoint being written
};

void ClipSession::loadData()
{
    m_ctx.report(0, 0, "loading data");
    const fs::path fashionDir
        = m_r.fashionMnistDir.empty() ? FashionMnist::defaultFolder() : fs::path(m_r.fashionMnistDir);
    std::shared_ptr<const FashionMnist> fashionTrain;
    if (m_cfg.mix.fashion > 0 || m_cfg.evalFashion > 0) {
        if (FashionMnist::available(FashionSplit::Train, fashionDir)
            && FashionMnist::available(FashionSplit::Test, fashionDir)) {
            fashionTrain = std::make_shared<const FashionMnist>(FashionMnist::load(FashionSplit::Train, fashionDir));
            m_fashionTest = std::make_shared<const FashionMnist>(FashionMnist::load(FashionSplit::Test, fashionDir));
        } else {
            m_result.warnings.push_back(fashionDir.string()
                + ": Fashion-MNIST not found (install dataset-fashion-mnist or pass --fashion-mnist DIR); training on "
                  "Shapes World only");
        }
    }
    m_source
        = std::make_shared<const ClipDataSource>(m_cfg.seed, m_cfg.mix, m_cfg.mix.fashion > 0 ? fashionTrain : nullptr);
    m_ctx.throwIfCancelled();
}

// Tokenizer (learnt from the caption corpus on a fresh run, the run's own on resume), model and
// optimiser (the run's on resume).
void ClipSession::buildModel()
{
    const fs::path &dir = m_run.dir();
    const bool resume = m_run.stored() != nullptr;
    fs::create_directories(dir);
    if (!resume) {
        m_ctx.report(0, 0, "learning the tokenizer");
        BpeTrainer bpe({static_cast<std::size_t>(m_cfg.bpeVocabSize), 2});
        bpe.add(m_source->captionCorpus(m_cfg.bpeCorpusBatches, m_cfg.batch));
        bpe.train().save(dir);
    }
    m_tokenizer.emplace(text::ClipTokenizer::fromFolder(dir, static_cast<std::size_t>(m_cfg.contextLength)));
    const auto vocabSize = static_cast<std::int64_t>(m_tokenizer->vocabSize());
    const clip::ClipConfig modelCfg = m_cfg.modelConfig(vocabSize, m_tokenizer->bosId(), m_tokenizer->eosId());
    m_ctx.throwIfCancelled();

    if (resume) {
        m_model = clip::loadClip(dir).model;
        m_model->train();
    } else {
        writeClipFolderFiles(dir, modelCfg, m_tokenizer->bosId(), m_tokenizer->eosId());
        torch::manual_seed(m_cfg.seed);
        m_model = clip::ClipModel(modelCfg);
        initialiseClip(*m_model, m_cfg.initTemperature);
    }
    m_params = m_model->parameters();
    for (const auto &p : m_params)
        m_result.parameters += p.numel();
    m_optimizer = std::make_unique<torch::optim::AdamW>(parameterGroups(*m_model, m_cfg.lr, m_cfg.weightDecay));
    if (resume) {
        const auto state = io::SafetensorsFile::open(dir / "trainer_state.safetensors");
        checkStateStep(*state, m_run.startStep());
        const auto missing = loadAdamWState(*state, *m_model, *m_optimizer);
        if (!missing.empty() && m_run.startStep() > 0)
            throw Error(state->path().string() + ": no optimiser state for " + std::to_string(missing.size())
                + " parameters, e.g. '" + missing.front() + "'");
    }
}

// Held-out sets, prepared once.
void ClipSession::prepareEvals()
{
    m_ctx.report(0, 0, "preparing the evaluation set");
    if (m_cfg.evalShapesPerClass > 0)
        m_evals.push_back(prepareEval(shapesEvalSet(kHeldOutShapesSeed, m_cfg.evalShapesPerClass, true), *m_tokenizer));
    if (m_cfg.evalFashion > 0 && m_fashionTest)
        m_evals.push_back(prepareEval(fashionEvalSet(*m_fashionTest, m_cfg.evalFashion), *m_tokenizer));
    m_sampleAt = sampleIndices(m_evals);
}

StepResult ClipSession::step(std::int64_t step)
{
    ClipBatch batch = m_prefetch->next();
    setLearningRate(*m_optimizer, learningRate(m_cfg, step));
    torch::Tensor image, text;
    {
        AutocastScope autocast(m_bf16); // the towers only; the loss stays in float32
        image = m_model->projectImage(m_model->vision(batch.pixels).pooled).to(torch::kFloat);
        text = m_model->projectText(m_model->text(batch.inputIds, torch::Tensor()).pooled).to(torch::kFloat);
    }
    image = image / image.norm(2, -1, true); // [B, P]
    text = text / text.norm(2, -1, true);    // [B, P]
    const torch::Tensor loss = softClipLoss(image, text, m_model->logitScale(), batch.truth);
    m_optimizer->zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(m_params, m_cfg.clipNorm);
    m_optimizer->step();
    {
        torch::NoGradGuard noGrad;
        m_model->logitScale().clamp_(0.0, kMaxLogitScale);
    }
    return {loss.item<double>(), {}};
}

// Evaluates, streams samples; false when cancelled meanwhile.
bool ClipSession::evaluateAt(std::int64_t step)
{
    ZeroShotAccuracy acc;
    std::vector<EvalScores> scores;
    for (const PreparedEval &e : m_evals) {
        auto s = evaluate(*m_model, e, m_bf16, m_ctx);
        if (!s)
            return false;
        const auto images = static_cast<std::int64_t>(e.set.images.size());
        if (e.set.name == "shapes") {
            acc.shapes = s->accuracy;
            acc.shapesImages = images;
            acc.shapesHeldOut = s->heldOutAccuracy;
            acc.shapesHeldOutImages = s->heldOutImages;
        } else {
            acc.fashion = s->accuracy;
            acc.fashionImages = images;
        }
        scores.push_back(std::move(*s));
    }
    TrainSamples samples;
    samples.step = step;
    for (const auto &[e, i] : m_sampleAt) {
        const EvalSet &set = m_evals[e].set;
        samples.samples.push_back({set.images[i], set.classes[static_cast<std::size_t>(set.labels[i])],
            set.classes[static_cast<std::size_t>(scores[e].predicted[i])], scores[e].prob[i]});
    }
    m_lastEval = acc;
    if (!samples.samples.empty())
        m_ctx.partial(kTrainSamplesPartial, std::move(samples));
    return true;
}

void ClipSession::writeMetric(const LoopMetric &lm)
{
    TrainMetric m;
    m.step = lm.step;
    m.totalSteps = lm.totalSteps;
    m.loss = lm.loss;
    m.lr = m_optimizer->param_groups().front().options().get_lr();
    m.temperature = 1.0 / m_model->logitScale().exp().item<double>();
    m.stepsPerS = lm.stepsPerS;
    m.imagesPerS = m.stepsPerS * static_cast<double>(m_cfg.batch);
    m.etaSeconds = lm.etaSeconds;
    m.elapsedSeconds = lm.elapsedSeconds;
    m.evaluated = lm.evaluated;
    if (lm.evaluated)
        m.evaluation = m_lastEval;
    m_log->write(m.step, logValues(m, lm.intervalSteps > 0));
    m_ctx.partial(kTrainMetricPartial, m);
    if (m_r.onMetric)
        m_r.onMetric(m);
}

void ClipSession::save(std::int64_t step)
{
    std::map<std::string, torch::Tensor> weights, state;
    for (const auto &p : m_model->named_parameters())
        weights[p.key()] = p.value().detach();
    addAdamWState(state, *m_model, *m_optimizer);
    state["trainer.step"] = torch::tensor(step, torch::kLong);
    state["trainer.data_cursor"] = torch::tensor(step, torch::kLong); // the next batch's index
    state["trainer.schedule_step"] = torch::tensor(step, torch::kLong);
    state["trainer.seed"] = torch::tensor(static_cast<std::int64_t>(m_cfg.seed), torch::kLong);
    io::saveSafetensors(m_run.dir() / "model.safetensors", weights, {{"format", "pt"}});
    io::saveSafetensors(
        m_run.dir() / "trainer_state.safetensors", state, {{"format", kStateFormat}, {"step", std::to_string(step)}});
    m_stateStep = step;
}

nlohmann::json ClipSession::stateFields() const
{
    return {{"data_cursor", m_stateStep}, {"dtype", m_result.dtype}, {"evaluation", accuracyJson(m_lastEval)},
        {"parameters", m_result.parameters}, {"config", m_cfg.toJson()}};
}

} // namespace

ClipTrainer::ClipTrainer(ClipTrainRequest request) : m_request(std::move(request))
{ }

ClipTrainResult ClipTrainer::run(JobContext &ctx)
{
    if (m_request.outDir.empty())
        throw Error("training needs an output folder (--out DIR)");
    return ClipSession(m_request, ctx).run();
}

} // namespace ml::train
