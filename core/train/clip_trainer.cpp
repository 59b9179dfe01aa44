// The CLIP training loop: configuration and presets, initialisation, the soft-target loss,
// AdamW groups and schedule, periodic held-out evaluation, checkpoints (HF layout + optimiser
// state in safetensors, never pickles) and resume.
// Ref: transformers/models/clip/modeling_clip.py (clip_loss, _init_weights); open_clip/loss.py
#include "train/clip_trainer.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/clip/clip_loader.h"
#include "text/clip_tokenizer.h"
#include "train/bpe_trainer.h"
#include "train/train_log.h"
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

using Clock = TrainClock;

// The heads of a tower of the given width: 32-wide heads, 8-wide below a width of 64.
std::int64_t headsFor(std::int64_t width)
{
    return width >= 64 ? width / 32 : std::max<std::int64_t>(1, width / 8);
}

// bf16 autocast on this thread while alive (autocast state is thread-local).
class AutocastScope {
public:
    explicit AutocastScope(bool enable) : m_enabled(enable)
    {
        if (m_enabled) {
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
            at::autocast::set_cpu_enabled(true);
        }
    }
    ~AutocastScope()
    {
        if (m_enabled) {
            at::autocast::set_cpu_enabled(false);
            at::autocast::clear_cache();
        }
    }
    AutocastScope(const AutocastScope &) = delete;
    AutocastScope &operator=(const AutocastScope &) = delete;

private:
    bool m_enabled;
};

// The run's configuration: the preset with the request's overrides, or (resume) the stored one.
ClipTrainConfig resolveConfig(const ClipTrainRequest &r, const nlohmann::json *stored)
{
    ClipTrainConfig c;
    if (stored) {
        c = ClipTrainConfig::fromJson(stored->at("config"));
        std::vector<std::string> conflicts;
        checkOverride(conflicts, "--preset", !r.preset.empty(), r.preset != c.preset, c.preset);
        checkOverride(conflicts, "--batch", r.batch > 0, r.batch != c.batch, std::to_string(c.batch));
        checkOverride(conflicts, "--lr", r.lr > 0, r.lr != c.lr, std::to_string(c.lr));
        checkOverride(
            conflicts, "--seed", r.seed >= 0, static_cast<std::uint64_t>(r.seed) != c.seed, std::to_string(c.seed));
        checkOverride(conflicts, "width", r.width > 0, r.width != c.visionWidth, std::to_string(c.visionWidth));
        checkOverride(conflicts, "layers", r.layers > 0, r.layers != c.visionLayers, std::to_string(c.visionLayers));
        checkOverride(conflicts, "data mix", r.fashionFraction >= 0 || r.singleFraction >= 0 || r.multiFraction >= 0,
            true, "mix");
        throwIfConflicts(r.outDir, conflicts);
    } else {
        c = ClipTrainConfig::fromPreset(r.preset.empty() ? "mini" : r.preset);
        if (r.batch > 0)
            c.batch = r.batch;
        if (r.lr > 0)
            c.lr = r.lr;
        if (r.seed >= 0)
            c.seed = static_cast<std::uint64_t>(r.seed);
        if (r.width > 0) {
            c.visionWidth = r.width;
            c.visionHeads = headsFor(r.width);
        }
        if (r.layers > 0)
            c.visionLayers = r.layers;
        if (r.fashionFraction >= 0)
            c.mix.fashion = r.fashionFraction;
        if (r.singleFraction >= 0)
            c.mix.single = r.singleFraction;
        if (r.multiFraction >= 0)
            c.mix.multi = r.multiFraction;
    }
    if (r.steps > 0)
        c.steps = r.steps;
    if (r.logEvery > 0)
        c.logEvery = r.logEvery;
    if (r.evalEvery >= 0)
        c.evalEvery = r.evalEvery;
    if (r.checkpointEvery >= 0)
        c.checkpointEvery = r.checkpointEvery;
    if (r.evalShapesPerClass >= 0)
        c.evalShapesPerClass = r.evalShapesPerClass;
    if (r.evalFashion >= 0)
        c.evalFashion = r.evalFashion;
    if (c.batch < 2)
        throw Error("batch must be at least 2 (contrastive training compares the items of a batch)");
    if (c.steps < 1)
        throw Error("steps must be at least 1");
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

// --- configuration -------------------------------------------------------------------------------

ClipTrainConfig ClipTrainConfig::fromPreset(const std::string &name)
{
    ClipTrainConfig c; // the defaults are mini's
    c.preset = name;
    if (name == "mini")
        return c;
    if (name == "tiny") {
        c.steps = 150;
        c.batch = 32;
        c.lr = 2e-3;
        c.visionWidth = 32;
        c.visionLayers = 2;
        c.visionHeads = 4;
        c.textWidth = 32;
        c.textLayers = 2;
        c.textHeads = 4;
        c.projectionDim = 32;
        c.logEvery = 5;
        c.evalEvery = 50;
        c.checkpointEvery = 0;
        return c; // mini's held-out sets: a tiny model scores them in well under a second
    }
    throw Error("unknown preset '" + name + "' (mini or tiny)");
}

nlohmann::json ClipTrainConfig::toJson() const
{
    return {{"preset", preset}, {"steps", steps}, {"batch", batch}, {"lr", lr}, {"weight_decay", weightDecay},
        {"warmup_fraction", warmupFraction}, {"clip_norm", clipNorm}, {"init_temperature", initTemperature},
        {"seed", seed}, {"image_size", imageSize}, {"patch_size", patchSize}, {"vision_width", visionWidth},
        {"vision_layers", visionLayers}, {"vision_heads", visionHeads}, {"text_width", textWidth},
        {"text_layers", textLayers}, {"text_heads", textHeads}, {"projection_dim", projectionDim},
        {"context_length", contextLength}, {"bpe_vocab_size", bpeVocabSize}, {"bpe_corpus_batches", bpeCorpusBatches},
        {"mix", {{"fashion_mnist", mix.fashion}, {"shapes_single", mix.single}, {"shapes_multi", mix.multi}}},
        {"log_every", logEvery}, {"eval_every", evalEvery}, {"checkpoint_every", checkpointEvery},
        {"eval_shapes_per_class", evalShapesPerClass}, {"eval_fashion", evalFashion}};
}

ClipTrainConfig ClipTrainConfig::fromJson(const nlohmann::json &j)
{
    ClipTrainConfig c;
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
    get("init_temperature", c.initTemperature);
    get("seed", c.seed);
    get("image_size", c.imageSize);
    get("patch_size", c.patchSize);
    get("vision_width", c.visionWidth);
    get("vision_layers", c.visionLayers);
    get("vision_heads", c.visionHeads);
    get("text_width", c.textWidth);
    get("text_layers", c.textLayers);
    get("text_heads", c.textHeads);
    get("projection_dim", c.projectionDim);
    get("context_length", c.contextLength);
    get("bpe_vocab_size", c.bpeVocabSize);
    get("bpe_corpus_batches", c.bpeCorpusBatches);
    get("log_every", c.logEvery);
    get("eval_every", c.evalEvery);
    get("checkpoint_every", c.checkpointEvery);
    get("eval_shapes_per_class", c.evalShapesPerClass);
    get("eval_fashion", c.evalFashion);
    if (j.contains("mix")) {
        const auto &m = j.at("mix");
        c.mix.fashion = m.value("fashion_mnist", c.mix.fashion);
        c.mix.single = m.value("shapes_single", c.mix.single);
        c.mix.multi = m.value("shapes_multi", c.mix.multi);
    }
    return c;
}

std::int64_t ClipTrainConfig::warmupSteps() const
{
    return warmupStepsFor(warmupFraction, steps);
}

clip::ClipConfig ClipTrainConfig::modelConfig(std::int64_t vocabSize, std::int64_t bosId, std::int64_t eosId) const
{
    clip::ClipConfig c;
    c.text_config.vocab_size = vocabSize;
    c.text_config.hidden_size = textWidth;
    c.text_config.intermediate_size = 4 * textWidth;
    c.text_config.num_hidden_layers = textLayers;
    c.text_config.num_attention_heads = textHeads;
    c.text_config.max_position_embeddings = contextLength;
    c.text_config.bos_token_id = bosId;
    c.text_config.eos_token_id = eosId;
    c.text_config.pad_token_id = eosId;
    c.vision_config.hidden_size = visionWidth;
    c.vision_config.intermediate_size = 4 * visionWidth;
    c.vision_config.num_hidden_layers = visionLayers;
    c.vision_config.num_attention_heads = visionHeads;
    c.vision_config.image_size = imageSize;
    c.vision_config.patch_size = patchSize;
    c.projection_dim = projectionDim;
    c.logit_scale_init_value = std::log(1.0 / initTemperature);
    return c;
}

double learningRate(const ClipTrainConfig &config, std::int64_t step)
{
    return warmupCosineLr(config.lr, config.warmupSteps(), config.steps, step);
}

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

void writeClipFolderFiles(const fs::path &dir, const clip::ClipConfig &config, std::int64_t bosId, std::int64_t eosId)
{
    const auto &t = config.text_config;
    const auto &v = config.vision_config;
    const nlohmann::json text {{"model_type", "clip_text_model"}, {"vocab_size", t.vocab_size},
        {"hidden_size", t.hidden_size}, {"intermediate_size", t.intermediate_size},
        {"num_hidden_layers", t.num_hidden_layers}, {"num_attention_heads", t.num_attention_heads},
        {"max_position_embeddings", t.max_position_embeddings}, {"hidden_act", t.hidden_act},
        {"layer_norm_eps", t.layer_norm_eps}, {"bos_token_id", bosId}, {"eos_token_id", eosId}, {"pad_token_id", eosId},
        {"projection_dim", config.projection_dim}};
    const nlohmann::json vision {{"model_type", "clip_vision_model"}, {"hidden_size", v.hidden_size},
        {"intermediate_size", v.intermediate_size}, {"num_hidden_layers", v.num_hidden_layers},
        {"num_attention_heads", v.num_attention_heads}, {"num_channels", v.num_channels}, {"image_size", v.image_size},
        {"patch_size", v.patch_size}, {"hidden_act", v.hidden_act}, {"layer_norm_eps", v.layer_norm_eps},
        {"projection_dim", config.projection_dim}};
    writeJsonAtomic(dir / "config.json",
        {{"architectures", {"CLIPModel"}}, {"model_type", "clip"}, {"projection_dim", config.projection_dim},
            {"logit_scale_init_value", config.logit_scale_init_value}, {"initializer_factor", 1.0},
            {"torch_dtype", "float32"}, {"text_config", text}, {"vision_config", vision}});

    const int side = static_cast<int>(v.image_size);
    writeJsonAtomic(dir / "preprocessor_config.json",
        {{"crop_size", {{"height", side}, {"width", side}}}, {"do_center_crop", true}, {"do_convert_rgb", true},
            {"do_normalize", true}, {"do_rescale", true}, {"do_resize", true},
            {"image_mean", {kClipMean[0], kClipMean[1], kClipMean[2]}}, {"image_processor_type", "CLIPImageProcessor"},
            {"image_std", {kClipStd[0], kClipStd[1], kClipStd[2]}}, {"processor_class", "CLIPProcessor"},
            {"resample", 3}, {"rescale_factor", 1.0 / 255.0}, {"size", {{"shortest_edge", side}}}});

    auto special = [](const char *content) {
        return nlohmann::json {
            {"content", content}, {"lstrip", false}, {"normalized", true}, {"rstrip", false}, {"single_word", false}};
    };
    writeJsonAtomic(dir / "special_tokens_map.json",
        {{"bos_token", special("<|startoftext|>")}, {"eos_token", special("<|endoftext|>")},
            {"pad_token", "<|endoftext|>"}, {"unk_token", special("<|endoftext|>")}});
    auto decoder = [&](const char *content) {
        auto j = special(content);
        j["special"] = true;
        return j;
    };
    writeJsonAtomic(dir / "tokenizer_config.json",
        {{"added_tokens_decoder",
             {{std::to_string(bosId), decoder("<|startoftext|>")}, {std::to_string(eosId), decoder("<|endoftext|>")}}},
            {"bos_token", "<|startoftext|>"}, {"clean_up_tokenization_spaces", true}, {"eos_token", "<|endoftext|>"},
            {"errors", "replace"}, {"model_max_length", t.max_position_embeddings}, {"pad_token", "<|endoftext|>"},
            {"processor_class", "CLIPProcessor"}, {"tokenizer_class", "CLIPTokenizer"},
            {"unk_token", "<|endoftext|>"}});
}

// --- the run -------------------------------------------------------------------------------------

ClipTrainer::ClipTrainer(ClipTrainRequest request) : m_request(std::move(request))
{ }

ClipTrainResult ClipTrainer::run(JobContext &ctx)
{
    const ClipTrainRequest &r = m_request;
    if (r.outDir.empty())
        throw Error("training needs an output folder (--out DIR)");
    const fs::path dir = r.outDir;
    const fs::path statePath = dir / "trainer_state.json";
    ClipTrainResult result;
    result.outDir = dir.string();

    // Configuration: the preset with overrides, or the run being resumed.
    const std::optional<nlohmann::json> stored
        = openTrainerState(dir, r.resume, kStateFormat, "ModalLens trainer state");
    const ClipTrainConfig cfg = resolveConfig(r, stored ? &*stored : nullptr);
    const std::int64_t startStep = stored ? stored->at("step").get<std::int64_t>() : 0;
    if (stored)
        checkStepsLeft(dir, startStep, cfg.steps);
    result.preset = cfg.preset;
    result.startStep = startStep;
    result.totalSteps = cfg.steps;

    std::string dtype = r.dtype.empty() ? "auto" : r.dtype;
    if (dtype == "auto")
        dtype = cpuHasNativeBf16() ? "bf16" : "fp32";
    if (dtype != "fp32" && dtype != "bf16")
        throw Error("training dtype must be auto, fp32 or bf16 on the CPU (got '" + dtype + "')");
    const bool bf16 = dtype == "bf16";
    result.dtype = dtype;

    // Data.
    ctx.report(0, 0, "loading data");
    const fs::path fashionDir = r.fashionMnistDir.empty() ? FashionMnist::defaultFolder() : fs::path(r.fashionMnistDir);
    std::shared_ptr<const FashionMnist> fashionTrain, fashionTest;
    if (cfg.mix.fashion > 0 || cfg.evalFashion > 0) {
        if (FashionMnist::available(FashionSplit::Train, fashionDir)
            && FashionMnist::available(FashionSplit::Test, fashionDir)) {
            fashionTrain = std::make_shared<const FashionMnist>(FashionMnist::load(FashionSplit::Train, fashionDir));
            fashionTest = std::make_shared<const FashionMnist>(FashionMnist::load(FashionSplit::Test, fashionDir));
        } else {
            result.warnings.push_back(fashionDir.string()
                + ": Fashion-MNIST not found (install dataset-fashion-mnist or pass --fashion-mnist DIR); training on "
                  "Shapes World only");
        }
    }
    const ClipDataSource source(cfg.seed, cfg.mix, cfg.mix.fashion > 0 ? fashionTrain : nullptr);
    ctx.throwIfCancelled();

    // Tokenizer: learnt from the caption corpus on a fresh run, the run's own on resume.
    fs::create_directories(dir);
    if (!stored) {
        ctx.report(0, 0, "learning the tokenizer");
        BpeTrainer bpe({static_cast<std::size_t>(cfg.bpeVocabSize), 2});
        bpe.add(source.captionCorpus(cfg.bpeCorpusBatches, cfg.batch));
        bpe.train().save(dir);
    }
    const auto tokenizer = text::ClipTokenizer::fromFolder(dir, static_cast<std::size_t>(cfg.contextLength));
    const auto vocabSize = static_cast<std::int64_t>(tokenizer.vocabSize());
    const clip::ClipConfig modelCfg = cfg.modelConfig(vocabSize, tokenizer.bosId(), tokenizer.eosId());
    ctx.throwIfCancelled();

    // Model and optimiser.
    clip::ClipModel model {nullptr};
    if (stored) {
        model = clip::loadClip(dir).model;
        model->train();
    } else {
        writeClipFolderFiles(dir, modelCfg, tokenizer.bosId(), tokenizer.eosId());
        torch::manual_seed(cfg.seed);
        model = clip::ClipModel(modelCfg);
        initialiseClip(*model, cfg.initTemperature);
    }
    std::vector<torch::Tensor> params = model->parameters();
    for (const auto &p : params)
        result.parameters += p.numel();
    torch::optim::AdamW optimizer(parameterGroups(*model, cfg.lr, cfg.weightDecay));
    if (stored) {
        const auto state = io::SafetensorsFile::open(dir / "trainer_state.safetensors");
        checkStateStep(*state, startStep);
        const auto missing = loadAdamWState(*state, *model, optimizer);
        if (!missing.empty() && startStep > 0)
            throw Error(state->path().string() + ": no optimiser state for " + std::to_string(missing.size())
                + " parameters, e.g. '" + missing.front() + "'");
    }

    // Held-out sets, prepared once.
    ctx.report(0, 0, "preparing the evaluation set");
    std::vector<PreparedEval> evals;
    if (cfg.evalShapesPerClass > 0)
        evals.push_back(prepareEval(shapesEvalSet(kHeldOutShapesSeed, cfg.evalShapesPerClass, true), tokenizer));
    if (cfg.evalFashion > 0 && fashionTest)
        evals.push_back(prepareEval(fashionEvalSet(*fashionTest, cfg.evalFashion), tokenizer));
    // The sample grid: the first image of each held-out pair, two other pairs, two garments.
    std::vector<std::pair<std::size_t, std::size_t>> sampleAt; // (eval set, image)
    for (std::size_t e = 0; e < evals.size(); ++e) {
        const EvalSet &set = evals[e].set;
        if (set.name == "shapes") {
            std::vector<bool> taken(set.classes.size(), false);
            int others = 0;
            for (std::size_t i = 0; i < set.images.size(); ++i) {
                const auto c = static_cast<std::size_t>(set.labels[i]);
                if (taken[c] || (!set.heldOut[c] && (others >= 2 || c % 7 != 0)))
                    continue;
                taken[c] = true;
                others += set.heldOut[c] ? 0 : 1;
                sampleAt.emplace_back(e, i);
            }
        } else {
            for (std::size_t i = 0; i < std::min<std::size_t>(2, set.images.size()); ++i)
                sampleAt.emplace_back(e, i);
        }
    }

    TrainLog log(dir, stored ? std::optional<std::int64_t>(startStep) : std::nullopt);
    // The data thread gets its own tokenizer, so the two threads never share its cache lock.
    auto dataTokenizer = std::make_shared<const text::ClipTokenizer>(
        text::ClipTokenizer::fromFolder(dir, static_cast<std::size_t>(cfg.contextLength)));
    BatchPrefetcher prefetch([&source, dataTokenizer, batch = cfg.batch](
                                 std::int64_t index) { return makeClipBatch(source, *dataTokenizer, index, batch); },
        startStep, 3);

    const auto control = r.control;
    StepTimes times;
    double elapsedBefore = stored ? stored->value("elapsed_seconds", 0.0) : 0.0;
    std::int64_t step = startStep, savedStep = stored ? startStep : -1;
    double lastLoss = 0.0;
    ZeroShotAccuracy lastEval;
    if (stored && stored->contains("evaluation")) {
        const auto &e = stored->at("evaluation");
        lastEval.shapes = e.value("shapes", -1.0);
        lastEval.shapesHeldOut = e.value("shapes_held_out", -1.0);
        lastEval.fashion = e.value("fashion_mnist", -1.0);
        lastEval.shapesImages = e.value("shapes_images", std::int64_t {0});
        lastEval.shapesHeldOutImages = e.value("shapes_held_out_images", std::int64_t {0});
        lastEval.fashionImages = e.value("fashion_mnist_images", std::int64_t {0});
    }

    auto currentLr = [&] { return optimizer.param_groups().front().options().get_lr(); };
    auto temperature = [&] { return 1.0 / model->logitScale().exp().item<double>(); };

    auto saveCheckpoint = [&] {
        const auto t0 = Clock::now();
        ctx.report(step - startStep, cfg.steps - startStep, "saving checkpoint");
        std::map<std::string, torch::Tensor> weights, state;
        for (const auto &p : model->named_parameters())
            weights[p.key()] = p.value().detach();
        addAdamWState(state, *model, optimizer);
        state["trainer.step"] = torch::tensor(step, torch::kLong);
        state["trainer.data_cursor"] = torch::tensor(step, torch::kLong); // the next batch's index
        state["trainer.schedule_step"] = torch::tensor(step, torch::kLong);
        state["trainer.seed"] = torch::tensor(static_cast<std::int64_t>(cfg.seed), torch::kLong);
        io::saveSafetensors(dir / "model.safetensors", weights, {{"format", "pt"}});
        io::saveSafetensors(
            dir / "trainer_state.safetensors", state, {{"format", kStateFormat}, {"step", std::to_string(step)}});
        times.activeSeconds += secondsSince(t0);
        // Last: the state file names the step everything else already holds.
        writeJsonAtomic(statePath,
            {{"format", kStateFormat}, {"step", step}, {"total_steps", cfg.steps}, {"data_cursor", step},
                {"elapsed_seconds", elapsedBefore + times.activeSeconds}, {"dtype", dtype}, {"last_loss", lastLoss},
                {"evaluation", accuracyJson(lastEval)}, {"parameters", result.parameters}, {"config", cfg.toJson()}});
        savedStep = step;
        ctx.partial("checkpoint", dir.string());
        ctx.report(step - startStep, cfg.steps - startStep, "training");
    };

    // Evaluates, streams samples; false when cancelled meanwhile.
    auto runEvaluation = [&]() -> bool {
        const auto t0 = Clock::now();
        ctx.report(step - startStep, cfg.steps - startStep, "evaluating");
        ZeroShotAccuracy acc;
        std::vector<EvalScores> scores;
        for (const PreparedEval &e : evals) {
            auto s = evaluate(*model, e, bf16, ctx);
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
        for (const auto &[e, i] : sampleAt) {
            const EvalSet &set = evals[e].set;
            samples.samples.push_back({set.images[i], set.classes[static_cast<std::size_t>(set.labels[i])],
                set.classes[static_cast<std::size_t>(scores[e].predicted[i])], scores[e].prob[i]});
        }
        lastEval = acc;
        times.lastEvalSeconds = secondsSince(t0);
        times.activeSeconds += times.lastEvalSeconds;
        if (!samples.samples.empty())
            ctx.partial("samples", std::move(samples));
        ctx.report(step - startStep, cfg.steps - startStep, "training");
        return true;
    };

    auto writeMetric = [&](bool evaluated) {
        TrainMetric m;
        m.step = step;
        m.totalSteps = cfg.steps;
        m.loss = times.intervalSteps > 0 ? times.lossSum / static_cast<double>(times.intervalSteps) : lastLoss;
        m.lr = currentLr();
        m.temperature = temperature();
        m.stepsPerS = times.stepsPerSecond();
        m.imagesPerS = m.stepsPerS * static_cast<double>(cfg.batch);
        m.etaSeconds = times.etaSeconds(cfg.steps - step, cfg.evalEvery);
        m.elapsedSeconds = times.activeSeconds;
        m.evaluated = evaluated;
        if (evaluated)
            m.evaluation = lastEval;
        std::vector<LogValue> values;
        if (times.intervalSteps > 0) {
            values.push_back({"loss", "train/loss", m.loss});
            values.push_back({"lr", "train/lr", m.lr});
            values.push_back({"temperature", "train/temperature", m.temperature});
            values.push_back({"images_per_s", "train/images_per_s", m.imagesPerS});
        }
        if (evaluated) { // each accuracy with its image count (metrics.jsonl only)
            const auto count = [](std::int64_t n) { return static_cast<double>(n); };
            if (lastEval.shapes >= 0) {
                values.push_back({"shapes_acc", "eval/shapes_zero_shot", lastEval.shapes});
                values.push_back({"shapes_images", "", count(lastEval.shapesImages)});
            }
            if (lastEval.shapesHeldOut >= 0) {
                values.push_back({"shapes_held_out_acc", "eval/shapes_held_out", lastEval.shapesHeldOut});
                values.push_back({"shapes_held_out_images", "", count(lastEval.shapesHeldOutImages)});
            }
            if (lastEval.fashion >= 0) {
                values.push_back({"fashion_acc", "eval/fashion_mnist", lastEval.fashion});
                values.push_back({"fashion_images", "", count(lastEval.fashionImages)});
            }
        }
        if (values.empty())
            return;
        log.write(step, values);
        times.resetInterval();
        ctx.partial("metric", m);
        if (r.onMetric)
            r.onMetric(m);
    };

    auto stopOnCancel = [&] {
        if (times.intervalSteps > 0)
            writeMetric(false);
        if (savedStep != step)
            saveCheckpoint();
        throw Cancelled();
    };

    ctx.report(0, cfg.steps - startStep, "training");
    bool stopped = false;
    while (step < cfg.steps) {
        waitWhilePaused(control.get(), ctx, step - startStep, cfg.steps - startStep);
        if (ctx.isCancelled())
            stopOnCancel();
        if (control && control->stopRequested()) {
            stopped = true;
            break;
        }

        const auto t0 = Clock::now();
        ClipBatch batch = prefetch.next();
        setLearningRate(optimizer, learningRate(cfg, step));
        torch::Tensor image, text;
        {
            AutocastScope autocast(bf16); // the towers only; the loss stays in float32
            image = model->projectImage(model->vision(batch.pixels).pooled).to(torch::kFloat);
            text = model->projectText(model->text(batch.inputIds, torch::Tensor()).pooled).to(torch::kFloat);
        }
        image = image / image.norm(2, -1, true); // [B, P]
        text = text / text.norm(2, -1, true);    // [B, P]
        const torch::Tensor loss = softClipLoss(image, text, model->logitScale(), batch.truth);
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(params, cfg.clipNorm);
        optimizer.step();
        {
            torch::NoGradGuard noGrad;
            model->logitScale().clamp_(0.0, kMaxLogitScale);
        }
        lastLoss = loss.item<double>();
        checkFiniteLoss(lastLoss, step + 1);
        ++step;
        times.addStep(secondsSince(t0), lastLoss);

        const bool evalNow = !evals.empty() && ((cfg.evalEvery > 0 && step % cfg.evalEvery == 0) || step == cfg.steps);
        if (evalNow && !runEvaluation())
            stopOnCancel();
        if (evalNow || step % cfg.logEvery == 0 || step == cfg.steps)
            writeMetric(evalNow);
        if (cfg.checkpointEvery > 0 && step % cfg.checkpointEvery == 0 && step < cfg.steps)
            saveCheckpoint();
        // The one estimate of the time left: the status bar and the panel both show this one.
        ctx.setEtaSeconds(times.etaSeconds(cfg.steps - step, cfg.evalEvery));
        ctx.report(step - startStep, cfg.steps - startStep, "training");
    }

    if (stopped) {
        if (times.intervalSteps > 0)
            writeMetric(false);
        if (!evals.empty() && step > startStep && runEvaluation())
            writeMetric(true);
    }
    if (savedStep != step)
        saveCheckpoint();

    setRunOutcome(result, step, stopped, lastLoss, times, cfg.batch);
    result.evaluation = lastEval;
    result.dataSecondsPerBatch = prefetch.makeSeconds();
    result.dataWaitSeconds = prefetch.waitSeconds();
    return result;
}

} // namespace ml::train
