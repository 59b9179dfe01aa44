// CoOp prompt tuning: image features of the shots and held-out images computed once with the
// frozen image tower, then only the context vectors learn, through the frozen text tower.
// Ref: KaiyangZhou/CoOp, trainers/coop.py (PromptLearner, TextEncoder, CustomCLIP)
#include "train/coop.h"

#include "common/error.h"
#include "engine/thread_pool.h"
#include "models/clip/clip_loader.h"
#include "models/clip/clip_prompt.h"
#include "models/clip/clip_runtime.h"
#include "train/random.h"
#include "train/train_loop.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <numbers>
#include <numeric>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

using Clock = TrainClock;

// Measured with clip-mini at 4 shots on Shapes World (count, size, shape, colour, position) and
// Fashion-MNIST folders (`modallens-cli bench coop`): AdamW and the paper's SGD
// (lr 0.002, momentum 0.9) both level off within 200 cosine-decayed steps and end within a
// point or two of each other; more steps only fit the shots better. AdamW is the default as its
// step does not scale with the gradients, which scale with the model's logit scale (about 28 for
// clip-mini, 100 for OpenAI's CLIPs, for which the paper tuned SGD's lr).
constexpr std::int64_t kDefaultSteps = 200;
constexpr double kDefaultAdamWLr = 2e-3;
constexpr double kDefaultSgdLr = 2e-3;
constexpr double kInitStd = 0.02; // N(0, 0.02), the paper's random initialisation
constexpr int kNearestWords = 3;
constexpr std::size_t kFeatureBatch = 64;

// Fisher-Yates with the portable generator, so a seed picks the same shots everywhere.
void shuffle(std::vector<std::size_t> &v, Rng &rng)
{
    for (std::size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[static_cast<std::size_t>(rng.below(i))]);
}

std::string plural(std::size_t n, const char *what)
{
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

struct Features {
    torch::Tensor shots; // [N, P] float32, L2-normalised, on the training device
    torch::Tensor shotLabels;
    torch::Tensor heldOut; // [H, P], images that decoded
    std::vector<int> heldOutLabels;
};

// Decodes, preprocesses and embeds every file once (the next batch decodes while this one runs).
// A shot that cannot be read is an error (the split would not be K per class); a held-out image
// that cannot be read is left out with a warning.
Features embedImages(clip::ClipRuntime &rt, const LabelledFolder &folder, const FewShotSplit &split,
    torch::Device device, JobContext &ctx, std::vector<std::string> &warnings)
{
    std::vector<std::string> files;
    std::vector<int> labels;
    for (const auto *part : {&split.shots, &split.heldOut})
        for (const auto i : *part) {
            files.push_back(folder.entries()[i].file.string());
            labels.push_back(folder.entries()[i].label);
        }
    const auto cancelled = [&ctx] { return ctx.isCancelled(); };
    ThreadPool pool(0);
    std::vector<torch::Tensor> parts;
    std::vector<std::size_t> kept; // indices into files
    std::vector<std::string> shotErrors;
    const auto total = static_cast<std::int64_t>(files.size());
    ctx.report(0, total, "embedding images");
    for (std::size_t first = 0; first < files.size(); first += kFeatureBatch) {
        ctx.throwIfCancelled();
        const std::vector<std::string> chunk(files.begin() + static_cast<std::ptrdiff_t>(first),
            files.begin() + static_cast<std::ptrdiff_t>(std::min(files.size(), first + kFeatureBatch)));
        const auto pixels = clip::preprocessFiles(chunk, rt.preprocess(), rt.imageSize(), pool, cancelled);
        std::vector<std::int64_t> ok;
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            if (pixels.errors[i].empty()) {
                ok.push_back(static_cast<std::int64_t>(i));
                kept.push_back(first + i);
            } else if (first + i < split.shots.size()) {
                shotErrors.push_back(pixels.errors[i]);
            } else {
                warnings.push_back(pixels.errors[i] + " (left out of the evaluation)");
            }
        }
        if (!ok.empty()) {
            const auto input = ok.size() == chunk.size()
                ? pixels.pixels
                : pixels.pixels.index_select(0, torch::tensor(ok, torch::kLong));
            parts.push_back(rt.embedPixels(input).to(torch::kCPU, torch::kFloat));
        }
        ctx.report(static_cast<std::int64_t>(std::min(files.size(), first + kFeatureBatch)), total, "embedding images");
    }
    if (!shotErrors.empty()) {
        std::string msg = "cannot read " + plural(shotErrors.size(), "training image") + ":";
        for (const auto &e : shotErrors)
            msg += "\n  " + e;
        throw Error(msg);
    }
    const auto all = at::cat(parts); // [kept, P]
    const auto nShots = static_cast<std::int64_t>(split.shots.size());
    Features f;
    f.shots = all.slice(0, 0, nShots).to(device);
    std::vector<std::int64_t> shotLabels(labels.begin(), labels.begin() + nShots);
    f.shotLabels = torch::tensor(shotLabels, torch::kLong).to(device);
    f.heldOut = all.slice(0, nShots);
    for (std::size_t k = static_cast<std::size_t>(nShots); k < kept.size(); ++k)
        f.heldOutLabels.push_back(labels[kept[k]]);
    return f;
}

struct Accuracy {
    double overall = 0.0;
    std::vector<double> perClass;
};

// Top-1 of image features [H, P] against label rows [C, P].
Accuracy accuracyOf(
    const torch::Tensor &features, const std::vector<int> &labels, const torch::Tensor &text, std::size_t classes)
{
    Accuracy a;
    a.perClass.assign(classes, 0.0);
    if (labels.empty())
        return a;
    const auto predicted = features.matmul(text.to(torch::kCPU, torch::kFloat).t()).argmax(1).contiguous(); // [H]
    const auto *p = predicted.data_ptr<std::int64_t>();
    std::vector<int> correct(classes, 0), count(classes, 0);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto c = static_cast<std::size_t>(labels[i]);
        ++count[c];
        correct[c] += p[i] == labels[i];
    }
    const int right = std::accumulate(correct.begin(), correct.end(), 0);
    a.overall = static_cast<double>(right) / static_cast<double>(labels.size());
    for (std::size_t c = 0; c < classes; ++c)
        a.perClass[c] = count[c] ? static_cast<double>(correct[c]) / count[c] : 0.0;
    return a;
}

// Frozen text tower + projection, float32, on the training device; its vision tower is dropped.
struct TextTower {
    clip::ClipTextTransformer model {nullptr};
    torch::nn::Linear projection {nullptr};

    torch::Tensor embed(const torch::Tensor &tokenEmbeds, const torch::Tensor &eosIndex)
    {
        auto e = projection(model->forwardEmbeds(tokenEmbeds, eosIndex).pooled);
        return e / e.norm(2, -1, true); // [L, P]
    }
};

TextTower loadTextTower(const fs::path &folder, torch::Device device)
{
    clip::LoadedClip loaded = clip::loadClip(folder, torch::kFloat);
    TextTower t {loaded.model->textModel(), loaded.model->textProjection()};
    t.model->to(device);
    t.projection->to(device);
    for (auto &p : t.model->parameters())
        p.set_requires_grad(false);
    for (auto &p : t.projection->parameters())
        p.set_requires_grad(false);
    return t; // `loaded` goes, and the vision tower with it
}

std::vector<CoopContextWords> nearestWords(
    const torch::Tensor &ctx, const torch::Tensor &table, const text::ClipTokenizer &tokenizer)
{
    c10::InferenceMode guard;
    const auto D = ctx.size(-1), M = ctx.size(-2);
    const auto flat = ctx.detach().reshape({-1, D}).to(table.device(), torch::kFloat); // [rows, D]
    const auto k = std::min<std::int64_t>(kNearestWords, table.size(0));
    const auto top = at::cdist(flat, table).topk(k, 1, /*largest=*/false); // [rows, k]
    const auto distances = std::get<0>(top).to(torch::kCPU, torch::kDouble).contiguous();
    const auto ids = std::get<1>(top).to(torch::kCPU).contiguous();
    std::vector<CoopContextWords> out;
    for (std::int64_t r = 0; r < flat.size(0); ++r) {
        CoopContextWords w;
        w.classIndex = ctx.dim() == 3 ? static_cast<int>(r / M) : -1;
        w.position = static_cast<int>(r % M);
        for (std::int64_t j = 0; j < k; ++j)
            w.nearest.push_back(
                {clip::tokenText(tokenizer, ids[r][j].item<std::int64_t>()), distances[r][j].item<double>()});
        out.push_back(std::move(w));
    }
    return out;
}

} // namespace

FewShotSplit splitFewShot(const LabelledFolder &folder, int shots, std::uint64_t seed, int evalLimit)
{
    if (shots < 1)
        throw Error("the number of shots must be at least 1 (got " + std::to_string(shots) + ")");
    const auto &names = folder.folderNames();
    if (names.size() < 2)
        throw Error(folder.root().string() + ": CoOp needs at least 2 classes (sub-folders of images), found "
            + std::to_string(names.size()) + (names.empty() ? "" : " ('" + names.front() + "')"));
    std::vector<std::vector<std::size_t>> byClass(names.size());
    for (std::size_t i = 0; i < folder.entries().size(); ++i)
        byClass[static_cast<std::size_t>(folder.entries()[i].label)].push_back(i);
    std::vector<std::string> small;
    for (std::size_t c = 0; c < byClass.size(); ++c)
        if (byClass[c].size() < static_cast<std::size_t>(shots) + 1)
            small.push_back((folder.root() / names[c]).string() + " has " + plural(byClass[c].size(), "image"));
    if (!small.empty()) {
        std::string msg = folder.root().string() + ": " + std::to_string(shots) + " shots per class need at least "
            + std::to_string(shots + 1) + " images in every class folder (the rest are held out to measure accuracy):";
        for (const auto &s : small)
            msg += "\n  " + s;
        throw Error(msg);
    }
    FewShotSplit split;
    for (std::size_t c = 0; c < byClass.size(); ++c) {
        Rng rng(Rng::streamSeed(seed, c));
        auto order = byClass[c];
        shuffle(order, rng);
        split.shots.insert(split.shots.end(), order.begin(), order.begin() + shots);
        auto rest = std::vector<std::size_t>(order.begin() + shots, order.end());
        if (evalLimit > 0 && rest.size() > static_cast<std::size_t>(evalLimit))
            rest.resize(static_cast<std::size_t>(evalLimit)); // a seeded subset: `order` was shuffled
        std::sort(rest.begin(), rest.end());
        split.heldOut.insert(split.heldOut.end(), rest.begin(), rest.end());
    }
    return split;
}

namespace {

void checkRequest(const CoopRequest &req)
{
    if (req.contextVectors < 1 && req.initWords.empty())
        throw Error(
            "the number of context vectors must be at least 1 (got " + std::to_string(req.contextVectors) + ")");
    if (req.batch < 1)
        throw Error("the batch must be at least 1 image (got " + std::to_string(req.batch) + ")");
    if (req.optimizer != "adamw" && req.optimizer != "sgd")
        throw Error("unknown optimiser '" + req.optimizer + "' (adamw or sgd)");
    if (req.templ.find("{}") == std::string::npos)
        throw Error("prompt template \"" + req.templ + "\" has no {} where the label goes");
}

// The context: the words' token embeddings (M = their count), else N(0, 0.02). [M, D] or [C, M, D]
torch::Tensor initialContext(const CoopRequest &req, const text::ClipTokenizer &tokenizer, const torch::Tensor &table,
    std::int64_t classes, std::int64_t width, torch::Device device)
{
    if (!req.initWords.empty()) {
        const auto ids = clip::wordTokenIds(tokenizer, req.initWords);
        if (ids.empty())
            throw Error("--init \"" + req.initWords + "\" gives no tokens");
        auto init = table.index_select(0, torch::tensor(ids, torch::kLong).to(device)).clone(); // [M, D]
        return req.classSpecific ? init.unsqueeze(0).repeat({classes, 1, 1}) : init;
    }
    std::vector<std::int64_t> shape {req.contextVectors, width};
    if (req.classSpecific)
        shape.insert(shape.begin(), classes);
    auto gen = at::detail::createCPUGenerator(req.seed);
    return at::normal(0.0, kInitStd, shape, gen).to(device);
}

// The learning part: only ctx is a leaf that needs its gradient, through the frozen text tower.
class CoopSession {
public:
    CoopSession(const CoopRequest &req, CoopResult &result, TextTower &tower, const clip::PromptLayout &layout,
        const Features &features, double logitScale, torch::Device device)
        : m_req(req)
        , m_result(result)
        , m_tower(tower)
        , m_layout(layout)
        , m_features(features)
        , m_logitScale(logitScale)
        , m_device(device)
        , m_order(Rng::streamSeed(req.seed, 0xC00Bu))
    { }

    // Trains ctx (a copy of init) and returns it; fills the result's steps, loss and speed.
    torch::Tensor train(const torch::Tensor &init, JobContext &ctx)
    {
        const std::int64_t N = m_result.trainImages;
        m_batch = std::min<std::int64_t>(m_req.batch, N);
        const std::int64_t batchesPerEpoch = N / m_batch; // the last, partial batch is dropped (reshuffled)
        m_steps = m_req.steps ? *m_req.steps : m_req.epochs ? *m_req.epochs * batchesPerEpoch : kDefaultSteps;
        m_lr = m_req.lr.value_or(m_req.optimizer == "sgd" ? kDefaultSgdLr : kDefaultAdamWLr);
        m_result.lr = m_lr;
        m_ctxVectors = init.detach().clone().set_requires_grad(true);
        if (m_req.optimizer == "sgd")
            m_optimizer = std::make_unique<torch::optim::SGD>(
                std::vector<torch::Tensor> {m_ctxVectors}, torch::optim::SGDOptions(m_lr).momentum(0.9));
        else
            m_optimizer = std::make_unique<torch::optim::AdamW>(
                std::vector<torch::Tensor> {m_ctxVectors}, torch::optim::AdamWOptions(m_lr).weight_decay(0.0));
        m_perm.resize(static_cast<std::size_t>(N));
        m_cursor = m_perm.size(); // a new shuffled epoch on the first step

        TrainLoopSettings settings;
        settings.totalSteps = m_steps;
        settings.logEvery = std::max(1, m_req.logEvery);
        TrainHooks hooks;
        hooks.step = [this](std::int64_t step) { return this->step(step); };
        hooks.log = [this, &ctx](const LoopMetric &m) {
            CoopMetric metric {m.step, m.totalSteps, m.loss, m.extras.at(0), m_stepLr, m.stepsPerS};
            if (m_req.onMetric)
                m_req.onMetric(metric);
            ctx.partial(kCoopMetricPartial, metric);
        };
        const TrainLoopOutcome out = runTrainLoop(settings, hooks, ctx);
        m_result.steps = out.step;
        m_result.finalLoss = out.lastLoss;
        m_result.trainSeconds = out.times.activeSeconds;
        m_result.stepsPerS = out.times.trainSeconds > 0 ? static_cast<double>(out.step) / out.times.trainSeconds : 0.0;
        return m_ctxVectors;
    }

private:
    StepResult step(std::int64_t step)
    {
        if (m_cursor + static_cast<std::size_t>(m_batch) > m_perm.size()) {
            std::iota(m_perm.begin(), m_perm.end(), std::size_t {0});
            shuffle(m_perm, m_order);
            m_cursor = 0;
        }
        const std::vector<std::int64_t> pick(m_perm.begin() + static_cast<std::ptrdiff_t>(m_cursor),
            m_perm.begin() + static_cast<std::ptrdiff_t>(m_cursor) + m_batch);
        m_cursor += static_cast<std::size_t>(m_batch);
        const auto index = torch::tensor(pick, torch::kLong).to(m_device);
        const auto images = m_features.shots.index_select(0, index); // [B, P]
        const auto labels = m_features.shotLabels.index_select(0, index);

        // Cosine decay to zero over the run (the paper's schedule, without its warm-up epoch).
        m_stepLr = 0.5 * m_lr
            * (1.0 + std::cos(std::numbers::pi * static_cast<double>(step) / static_cast<double>(m_steps)));
        for (auto &group : m_optimizer->param_groups())
            group.options().set_lr(m_stepLr);

        const auto text = m_tower.embed(m_layout.embeds(m_ctxVectors), m_layout.eosIndex()); // [C, P]
        const auto logits = m_logitScale * images.matmul(text.t());                          // [B, C]
        const auto loss = at::cross_entropy_loss(logits, labels);
        m_optimizer->zero_grad();
        loss.backward();
        m_optimizer->step();
        const double accuracy = logits.argmax(1).eq(labels).to(torch::kFloat).mean().item<double>();
        return {loss.item<double>(), {accuracy}};
    }

    const CoopRequest &m_req;
    CoopResult &m_result;
    TextTower &m_tower;
    const clip::PromptLayout &m_layout;
    const Features &m_features;
    const double m_logitScale;
    const torch::Device m_device;
    Rng m_order;
    std::vector<std::size_t> m_perm;
    std::size_t m_cursor = 0;
    std::int64_t m_batch = 1, m_steps = 0;
    double m_lr = 0.0, m_stepLr = 0.0;
    torch::Tensor m_ctxVectors;
    std::unique_ptr<torch::optim::Optimizer> m_optimizer;
};

// After: the learnt prompt through the same fast path classify uses, its accuracy on the shots,
// the words nearest its vectors; then the file.
void finishCoop(const CoopRequest &req, CoopResult &result, clip::ClipRuntime &rt, TextTower &tower,
    const clip::PromptLayout &layout, const Features &features, double logitScale, const torch::Tensor &ctxVectors,
    const torch::Tensor &table, JobContext &ctx)
{
    clip::LearntPrompt prompt;
    prompt.ctx = ctxVectors.detach().to(torch::kCPU).clone();
    prompt.classes = result.classes;
    prompt.classSpecific = req.classSpecific;
    prompt.model = result.modelName;
    prompt.templ = req.templ;
    prompt.init = req.initWords;
    prompt.shots = req.shots;
    prompt.seed = req.seed;
    prompt.steps = result.steps;
    ctx.report(0, 0, "scoring the learnt prompt");
    const auto after = accuracyOf(features.heldOut, features.heldOutLabels,
        rt.promptEmbeddings(result.classes, prompt, [&ctx] { return ctx.isCancelled(); }), result.classes.size());
    result.accuracyAfter = after.overall;
    result.perClassAfter = after.perClass;
    {
        torch::NoGradGuard noGrad;
        const auto text = tower.embed(layout.embeds(ctxVectors), layout.eosIndex());
        result.trainAccuracy = (logitScale * features.shots.matmul(text.t()))
                                   .argmax(1)
                                   .eq(features.shotLabels)
                                   .to(torch::kFloat)
                                   .mean()
                                   .item<double>();
    }
    result.words = nearestWords(prompt.ctx, table, rt.tokenizer());

    prompt.accuracyBefore = result.accuracyBefore;
    prompt.accuracyAfter = result.accuracyAfter;
    ctx.throwIfCancelled();
    if (!req.out.empty()) {
        clip::saveLearntPrompt(req.out, prompt);
        result.out = req.out;
    }
}

} // namespace

CoopResult trainCoop(const CoopRequest &req, JobContext &ctx)
{
    const auto start = Clock::now();
    at::get_num_threads(); // this worker thread takes the engine's thread count (OpenMP is per thread)
    checkRequest(req);
    CoopResult result;
    result.classSpecific = req.classSpecific;
    result.shots = req.shots;
    result.seed = req.seed;
    result.optimizer = req.optimizer;
    result.templ = req.templ;
    result.initWords = req.initWords;

    // Data first: a wrong folder is reported before any model loads.
    ctx.report(0, 0, "listing images");
    const LabelledFolder folder = LabelledFolder::scan(req.folder);
    const FewShotSplit split = splitFewShot(folder, req.shots, req.seed, req.evalLimit);
    result.classes = folder.classNames();
    const auto C = static_cast<std::int64_t>(result.classes.size());

    ctx.report(0, 0, "loading model");
    result.device = resolveDevice(req.compute);
    result.dtype = resolveDtype(req.compute);
    const std::string modelPath = resolveModelPath(req.model);
    const auto rt = clip::acquireClipRuntime(ctx.models(), modelPath, result.dtype, result.device);
    for (const auto &w : rt->warnings())
        result.warnings.push_back(modelPath + ": " + w);
    const torch::Device device(result.device);
    result.modelName = rt->name();
    const auto &tc = rt->inference().config().text_config;
    result.width = tc.hidden_size;
    TextTower tower = loadTextTower(modelPath, device);
    const auto &tokenizer = rt->tokenizer();
    const torch::Tensor table = tower.model->tokenTable().detach(); // [V, D]
    const torch::Tensor init = initialContext(req, tokenizer, table, C, tc.hidden_size, device);
    result.contextVectors = static_cast<int>(init.size(-2));
    // Checks that every prompt fits the context length before the slow part.
    const clip::PromptLayout layout(
        tokenizer, table, result.classes, result.contextVectors, tc.max_position_embeddings);

    const auto featuresStart = Clock::now();
    const Features features = embedImages(*rt, folder, split, device, ctx, result.warnings);
    result.featureSeconds = secondsSince(featuresStart);
    result.trainImages = features.shots.size(0);
    result.evalImages = static_cast<std::int64_t>(features.heldOutLabels.size());
    if (result.evalImages == 0)
        result.warnings.push_back("no held-out image could be read: the accuracies are not measured");
    const double logitScale = rt->inference().logitScale();

    // Before: the hand-written template, as classify would use it.
    ctx.report(0, 0, "scoring the hand-written prompt");
    const auto before = accuracyOf(features.heldOut, features.heldOutLabels,
        rt->labelEmbeddings(result.classes, {req.templ}, [&ctx] { return ctx.isCancelled(); }), result.classes.size());
    result.accuracyBefore = before.overall;
    result.perClassBefore = before.perClass;

    const torch::Tensor ctxVectors
        = CoopSession(req, result, tower, layout, features, logitScale, device).train(init, ctx);
    finishCoop(req, result, *rt, tower, layout, features, logitScale, ctxVectors, table, ctx);
    result.seconds = secondsSince(start);
    return result;
}

} // namespace ml::train
