// The BLIP-2 training loop. Stage 1 (image-text contrastive + matching, simplified): a caption's
// embedding comes from the CLIP text tower whose vision tower BLIP-2 starts from, kept frozen
// (Hugging Face's Blip2ForConditionalGeneration has no Q-Former text path to save); an image's
// similarity to it is the best cosine over the projected query outputs; matching is a linear head
// on the product and difference of the mean query's projection and the caption embedding, with the
// hardest in-batch negatives. Stage 2: the decoder's cross-entropy on answer tokens only, the
// prefix the projected queries, the vision tower fine-tuned at visionLrScaleStage2 (0: frozen).
// Checkpoints in HF Blip2 layout.
// Ref: transformers/models/blip_2/modeling_blip_2.py; LAVIS blip2_qformer.py (ITC max over queries)
#include "train/blip2_trainer.h"

#include "common/error.h"
#include "engine/model_discovery.h"
#include "engine/train_partials.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/blip2/blip2_config.h"
#include "models/blip2/blip2_model.h"
#include "models/blip2/vqa_eval.h"
#include "models/clip/clip_loader.h"
#include "text/clip_tokenizer.h"
#include "text/gpt2_tokenizer.h"
#include "train/blip2_data.h"
#include "train/blip2_session.h"
#include "train/bpe_trainer.h"
#include "train/run_folder.h"
#include "train/train_log.h"
#include "train/train_loop.h"
#include "train/trainer_common.h"

#include <ATen/autocast_mode.h>
#include <nlohmann/json.hpp>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>

#include <cmath>
#include <optional>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

const double kMaxLogitScale = std::log(100.0);

Blip2TrainConfig resolveConfig(const Blip2TrainRequest &r, const nlohmann::json *stored)
{
    auto c = resolveVlmConfig<Blip2TrainConfig>(r, stored);
    c.evalFashion = r.evalFashion.value_or(c.evalFashion);
    if (c.batch < 2)
        throw Error("batch must be at least 2 (the contrastive stage compares the images of a batch)");
    checkBatchFits(r.outDir, stored != nullptr, c.batch, kVlmItemBytes);
    checkVlmSteps(c.steps, c.stage1Steps, c.lr, c.logEvery);
    return c;
}

} // namespace

namespace detail {

Blip2Session::Blip2Session(const Blip2TrainRequest &r, JobContext &ctx)
    : m_r(r)
    , m_ctx(ctx)
    , m_run(r.outDir, r.resume, kBlip2StateFormat, "ModalLens BLIP-2 trainer state")
    , m_cfg(resolveConfig(r, m_run.stored()))
{
    startVlmResult(m_result, m_run, m_cfg, r.dtype);
    m_bf16 = m_result.dtype == "bf16";
    m_lastEval = storedEvaluation(m_run);
}

Blip2TrainResult Blip2Session::run()
{
    loadData();
    buildModel();
    prepareEvals();
    runVlmLoop(*this);
    return m_result;
}

void Blip2Session::loadData()
{
    m_ctx.report(0, 0, "loading data");
    const fs::path fashionDir
        = m_r.fashionMnistDir.empty() ? FashionMnist::defaultFolder() : fs::path(m_r.fashionMnistDir);
    std::shared_ptr<const FashionMnist> fashionTrain;
    if (FashionMnist::available(FashionSplit::Train, fashionDir)
        && FashionMnist::available(FashionSplit::Test, fashionDir)) {
        fashionTrain = std::make_shared<const FashionMnist>(FashionMnist::load(FashionSplit::Train, fashionDir));
        m_fashionTest = std::make_shared<const FashionMnist>(FashionMnist::load(FashionSplit::Test, fashionDir));
    } else {
        m_result.warnings.push_back(fashionDir.string()
            + ": Fashion-MNIST not found (install dataset-fashion-mnist or pass --fashion-mnist DIR); training on "
              "Shapes World only");
    }
    m_source = std::make_shared<const Blip2DataSource>(
        m_cfg.seed, Blip2Mix {{m_cfg.mixFashion, m_cfg.mixSingle, m_cfg.mixMulti}}, fashionTrain);
    m_ctx.throwIfCancelled();
}

void Blip2Session::buildModel()
{
    const fs::path &dir = m_run.dir();
    const bool resume = m_run.stored() != nullptr;
    fs::create_directories(dir);
    const fs::path clipDir = resolveModelPath(m_cfg.visionFrom);
    m_ctx.report(0, 0, "loading " + m_cfg.visionFrom);
    auto clip = clip::loadClip(clipDir);
    m_clip = clip.model;
    m_clipTokenizer.emplace(text::ClipTokenizer::fromFolder(
        clipDir, static_cast<std::size_t>(m_clip->config().text_config.max_position_embeddings)));
    for (auto &p : m_clip->parameters())
        p.set_requires_grad(false);

    if (!resume) {
        m_ctx.report(0, 0, "learning the tokenizer");
        BpeTrainerOptions options;
        options.vocabSize = static_cast<std::size_t>(m_cfg.bpeVocabSize);
        options.format = BpeFormat::Gpt2;
        BpeTrainer bpe(options);
        bpe.add(m_source->textCorpus(m_cfg.bpeCorpusBatches, m_cfg.batch));
        bpe.train().save(dir);
    }
    const fs::path vocab = dir / "vocab.json";
    nlohmann::json configJson;
    if (resume) {
        configJson = io::readJsonFile(dir / "config.json");
    } else {
        const nlohmann::json clipConfig = io::readJsonFile(clipDir / "config.json");
        // The tokenizer files first, so that the vocabulary's size is read back as the tokenizer sees it.
        const auto probe = text::Gpt2Tokenizer(vocab, dir / "merges.txt");
        configJson = blip2ConfigJson(
            m_cfg, clipConfig.at("vision_config"), static_cast<std::int64_t>(probe.vocabSize()), 1, 2, 2);
        configJson = blip2::Blip2Config::fromJson(configJson, (dir / "config.json").string()).toJson();
        writeBlip2FolderFiles(dir, configJson, configJson.at("vision_config").value("image_size", std::int64_t {64}));
    }
    m_tokenizer.emplace(text::Gpt2Tokenizer::fromFolder(dir));
    if (m_tokenizer->bosId() != 2 || m_tokenizer->eosId() != 2 || m_tokenizer->padId() != 1)
        throw Error(vocab.string() + ": expected OPT's special tokens (</s> = 2, <pad> = 1)");
    const blip2::Blip2Config modelCfg = blip2::Blip2Config::fromJson(configJson, (dir / "config.json").string());
    m_ctx.throwIfCancelled();

    torch::manual_seed(m_cfg.seed);
    m_model = blip2::Blip2Model(modelCfg);
    m_heads = Stage1Heads(m_cfg.qformerHidden, m_clip->config().projection_dim, m_cfg.initTemperature);
    if (resume) {
        const auto state = loadResumedWeights(*m_model, dir, m_run.startStep());
        torch::NoGradGuard noGrad;
        for (auto &p : m_heads->named_parameters())
            p.value().copy_(state->tensor("stage1." + p.key()));
    } else {
        initialiseWeights();
    }
    m_model->train();
    for (const auto &p : m_model->parameters())
        m_result.parameters += p.numel();

    // Groups: vision decayed / not, the rest decayed / not; the vision tower at visionLrScale.
    VlmParamGroups groups;
    for (const auto &p : m_model->named_parameters())
        groups.add(p.key(), p.value(), p.key().starts_with("vision_model."));
    for (const auto &p : m_heads->named_parameters())
        groups.add(p.key(), p.value(), false);
    m_optimizer = makeVlmAdamW(groups, m_cfg.lr, m_cfg.weightDecay, m_cfg.visionLrScale, false, m_groupScale, m_params);
    if (resume) {
        const auto state = io::SafetensorsFile::open(dir / "trainer_state.safetensors");
        loadAdamWState(*state, *m_model, *m_optimizer);
        loadAdamWState(*state, *m_heads, *m_optimizer);
    }
}

// Hugging Face's initialisation, then the vision tower from the CLIP.
void Blip2Session::initialiseWeights()
{
    initialiseLikeHf(*m_model);
    torch::NoGradGuard noGrad;
    std::map<std::string, torch::Tensor> clipWeights;
    for (const auto &p : m_clip->named_parameters())
        clipWeights[p.key()] = p.value();
    const auto vision = clipVisionToBlip2(clipWeights);
    std::vector<std::string> problems;
    for (auto &p : m_model->named_parameters()) {
        if (!p.key().starts_with("vision_model."))
            continue;
        const auto it = vision.find(p.key());
        if (it == vision.end())
            problems.push_back(p.key() + " (missing)");
        else if (it->second.numel() != p.value().numel())
            problems.push_back(p.key() + " (CLIP " + std::to_string(it->second.numel()) + " values, BLIP-2 "
                + std::to_string(p.value().numel()) + ")");
        else
            p.value().copy_(it->second.reshape(p.value().sizes()));
    }
    if (!problems.empty())
        throw Error(m_cfg.visionFrom + ": its vision tower does not convert to BLIP-2's: " + problems.front()
            + (problems.size() > 1 ? " and " + std::to_string(problems.size() - 1) + " more" : ""));
}

// Stage 1 trains the vision tower, the queries, the Q-Former and its heads; stage 2 freezes the
// heads and, unless visionLrScaleStage2 says otherwise, the vision tower (BLIP-2's frozen image
// encoder), and trains the rest.
void Blip2Session::enterStage(bool generative)
{
    const int stage = generative ? 2 : 1;
    if (m_stage == stage)
        return;
    m_stage = stage;
    const bool visionTrains = !generative || m_cfg.visionLrScaleStage2 > 0.0;
    for (auto &p : m_model->named_parameters())
        if (p.key().starts_with("vision_model.")) {
            p.value().set_requires_grad(visionTrains);
            if (!visionTrains)
                p.value().mutable_grad() = torch::Tensor(); // AdamW skips a parameter without a gradient
        }
    for (auto &p : m_heads->parameters()) {
        p.set_requires_grad(!generative);
        if (generative)
            p.mutable_grad() = torch::Tensor();
    }
}

void Blip2Session::setLearningRates(std::int64_t step)
{
    const bool stage2 = step >= m_cfg.stage1Steps;
    m_lastLr = vlmStageLr(m_cfg.lr, m_cfg.warmupFraction, m_cfg.steps, m_cfg.stage1Steps, step);
    auto &groups = m_optimizer->param_groups();
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const double scale = g < 2 && stage2 ? m_cfg.visionLrScaleStage2 : m_groupScale[g];
        static_cast<torch::optim::AdamWOptions &>(groups[g].options()).lr(m_lastLr * scale);
    }
}

torch::Tensor Blip2Session::contrastiveLoss(const Blip2Batch &batch)
{
    torch::Tensor text;
    {
        torch::NoGradGuard noGrad;
        text = m_clip->textEmbeddings(batch.captionIds, torch::Tensor()); // [B, D] normalised
    }
    torch::Tensor queries;
    {
        AutocastScope autocast(m_bf16);
        queries = m_model->queryOutputs(m_model->imageEmbeds(batch.pixels)).lastHiddenState; // [B, Q, Hq]
    }
    queries = queries.to(torch::kFloat);
    auto z = m_heads->vision_proj(queries); // [B, Q, D]
    z = z / z.norm(2, -1, true);
    const auto perQuery = torch::einsum("iqd,jd->ijq", {z, text}); // [B (images), B (captions), Q]
    const auto sim = std::get<0>(perQuery.max(-1));                // [B, B]
    const auto itc = softContrastiveLoss(m_heads->logit_scale.exp() * sim, batch.truth);

    // Matching: each image with its caption, with the caption it is most similar to among the
    // false ones, and each caption with its most similar false image.
    auto u = m_heads->vision_proj(queries.mean(1)); // [B, D]
    u = u / u.norm(2, -1, true);
    const auto B = sim.size(0);
    std::vector<std::int64_t> imageIdx, textIdx, labels;
    {
        const auto masked = (sim.detach() - 10.0 * batch.truth).contiguous(); // true pairs pushed out of reach
        const auto *m = masked.data_ptr<float>();
        const auto *t = batch.truth.data_ptr<float>();
        for (std::int64_t i = 0; i < B; ++i) {
            imageIdx.push_back(i);
            textIdx.push_back(i);
            labels.push_back(1);
            std::int64_t bestText = -1, bestImage = -1;
            for (std::int64_t j = 0; j < B; ++j) {
                if (t[i * B + j] == 0 && (bestText < 0 || m[i * B + j] > m[i * B + bestText]))
                    bestText = j;
                if (t[j * B + i] == 0 && (bestImage < 0 || m[j * B + i] > m[bestImage * B + i]))
                    bestImage = j;
            }
            if (bestText >= 0) {
                imageIdx.push_back(i);
                textIdx.push_back(bestText);
                labels.push_back(0);
            }
            if (bestImage >= 0) {
                imageIdx.push_back(bestImage);
                textIdx.push_back(i);
                labels.push_back(0);
            }
        }
    }
    const auto ui = u.index_select(0, torch::tensor(imageIdx, torch::kLong));
    const auto tj = text.index_select(0, torch::tensor(textIdx, torch::kLong));
    const auto itmLogits = m_heads->itm_head(torch::cat({ui * tj, (ui - tj).abs()}, -1)); // [M, 2]
    const auto itm = torch::nn::functional::cross_entropy(itmLogits, torch::tensor(labels, torch::kLong));
    return itc + m_cfg.itmWeight * itm;
}

torch::Tensor Blip2Session::generativeLoss(const Blip2Batch &batch)
{
    torch::Tensor logits;
    {
        AutocastScope autocast(m_bf16);
        torch::Tensor image;
        {
            torch::NoGradGuard noGrad; // the frozen vision tower
            image = m_model->imageEmbeds(batch.pixels);
        }
        const auto prefix = m_model->projectQueries(m_model->queryOutputs(image).lastHiddenState); // [B, Q, H]
        logits = m_model->lmLogits(
            prefix.index_select(0, batch.imageIndex), batch.lm.inputIds, batch.lm.attentionMask); // [N, Q + T, V]
    }
    return answerLoss(logits.to(torch::kFloat), batch.lm.labels, m_cfg.queries);
}

StepResult Blip2Session::step(std::int64_t step)
{
    const bool generative = step >= m_cfg.stage1Steps;
    enterStage(generative);
    const Blip2Batch batch = makeBlip2Batch(
        *m_source, *m_tokenizer, generative ? nullptr : &*m_clipTokenizer, step, m_cfg.batch, m_cfg.maxTextLength());
    setLearningRates(step);
    const torch::Tensor loss = generative ? generativeLoss(batch) : contrastiveLoss(batch);
    optimiserStep(*m_optimizer, loss, m_params, m_cfg.clipNorm);
    if (!generative) {
        torch::NoGradGuard noGrad;
        m_heads->logit_scale.clamp_(0.0, kMaxLogitScale);
    }
    return {loss.item<double>(), {}};
}

} // namespace detail

torch::Tensor softContrastiveLoss(const torch::Tensor &logits, const torch::Tensor &truth)
{
    TORCH_CHECK(logits.dim() == 2 && logits.size(0) == logits.size(1) && truth.sizes() == logits.sizes(),
        "expected [B, B] logits and truth, got ", logits.sizes(), " and ", truth.sizes());
    const auto t = truth.to(logits.scalar_type());
    const auto imageTargets = t / t.sum(1, true);        // [B, B]
    const auto textTargets = t.t() / t.t().sum(1, true); // [B, B]
    const auto imageLoss = -(imageTargets * torch::log_softmax(logits, 1)).sum(1).mean();
    const auto textLoss = -(textTargets * torch::log_softmax(logits.t(), 1)).sum(1).mean();
    return 0.5 * (imageLoss + textLoss);
}

torch::Tensor answerLoss(const torch::Tensor &logits, const torch::Tensor &labels, std::int64_t queries)
{
    TORCH_CHECK(logits.dim() == 3 && labels.dim() == 2 && logits.size(0) == labels.size(0)
            && logits.size(1) == queries + labels.size(1),
        "expected logits [N, Q + T, V] and labels [N, T], got ", logits.sizes(), " and ", labels.sizes());
    const auto T = labels.size(1), V = logits.size(2);
    // Position Q + t holds token t and predicts token t + 1.
    const auto predict = logits.slice(1, queries, queries + T - 1).reshape({-1, V}); // [N (T - 1), V]
    const auto target = labels.slice(1, 1, T);                                       // [N, T - 1]
    const auto valid = target.ne(-100);
    const auto ce = torch::nn::functional::cross_entropy(predict, target.clamp_min(0).reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone))
                        .view(target.sizes()); // [N, T - 1]
    const auto count = valid.sum(1);
    const auto perText = (ce * valid).sum(1) / count.clamp_min(1);
    const auto has = count.gt(0);
    return perText.masked_select(has).mean();
}

Blip2Trainer::Blip2Trainer(Blip2TrainRequest request) : m_request(std::move(request))
{ }

Blip2TrainResult Blip2Trainer::run(JobContext &ctx)
{
    if (m_request.outDir.empty())
        throw Error("training needs an output folder (--out DIR)");
    return detail::Blip2Session(m_request, ctx).run();
}

} // namespace ml::train
