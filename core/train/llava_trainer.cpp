// The LLaVA training loop. Stage 1 (LLaVA's feature alignment): "describe the picture." -> a
// caption, training the projector and the decoder, which starts from scratch here (LLaVA trains
// the projector alone over a pretrained Vicuna). Stage 2 (instruction tuning): one to three
// question / answer rounds about a picture in one conversation, the loss on every assistant answer
// and its </s>. The vision tower stays frozen unless visionLrScale says otherwise. Checkpoints in
// llava-hf's layout, with our own SentencePiece vocabulary.
// Ref: transformers/models/llava/modeling_llava.py (labels, merge); LLaVA train.py (preprocess_v1)
#include "train/llava_trainer.h"

#include "common/error.h"
#include "engine/model_discovery.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/clip/clip_loader.h"
#include "models/clip/clip_runtime.h"
#include "models/llava/llava_config.h"
#include "train/llava_session.h"

#include <nlohmann/json.hpp>
#include <torch/nn/functional/loss.h>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

LlavaTrainConfig resolveConfig(const LlavaTrainRequest &r, const nlohmann::json *stored)
{
    auto c = resolveVlmConfig<LlavaTrainConfig>(r, stored);
    c.evalCaptions = r.evalCaptions.value_or(c.evalCaptions);
    if (c.batch < 1)
        throw Error("batch must be at least 1");
    checkBatchFits(r.outDir, stored != nullptr, c.batch, kVlmItemBytes);
    checkVlmSteps(c.steps, c.stage1Steps, c.lr, c.logEvery);
    return c;
}

} // namespace

namespace detail {

LlavaSession::LlavaSession(const LlavaTrainRequest &r, JobContext &ctx)
    : m_r(r)
    , m_ctx(ctx)
    , m_run(r.outDir, r.resume, kLlavaStateFormat, "ModalLens LLaVA trainer state")
    , m_cfg(resolveConfig(r, m_run.stored()))
{
    startVlmResult(m_result, m_run, m_cfg, r.dtype);
    m_bf16 = m_result.dtype == "bf16";
    m_lastEval = storedEvaluation(m_run);
}

LlavaTrainResult LlavaSession::run()
{
    m_source = std::make_shared<const LlavaDataSource>(
        m_cfg.seed, LlavaMix {m_cfg.mixSingle, m_cfg.mixCaptions, static_cast<int>(m_cfg.maxRounds)});
    buildModel();
    prepareEvals();
    runVlmLoop(*this);
    m_result.captions = m_lastEval.value("captions", -1.0);
    m_result.captionImages = m_lastEval.value("captions_images", std::int64_t {0});
    return m_result;
}

// The vocabulary from the training texts: SentencePiece BPE with LLaMA's settings.
void LlavaSession::learnTokenizer(const fs::path &dir)
{
    m_ctx.report(0, 0, "learning the tokenizer");
    text::trainSentencePiece(m_source->textCorpus(m_cfg.corpusBatches, m_cfg.batch), dir / "tokenizer.model",
        static_cast<int>(m_cfg.spVocabSize), "bpe");
}

void LlavaSession::buildModel()
{
    const fs::path &dir = m_run.dir();
    const bool resume = m_run.stored() != nullptr;
    fs::create_directories(dir);
    const fs::path clipDir = resolveModelPath(m_cfg.visionFrom);
    if (!resume) {
        learnTokenizer(dir);
        const auto pieces = text::LlamaTokenizer::fromModelFile(dir / "tokenizer.model", {}).pieceCount();
        const nlohmann::json clipConfig = io::readJsonFile(clipDir / "config.json");
        const LlavaVocab vocab {pieces};
        const auto config = llavaConfigJson(m_cfg, clipConfig.at("vision_config"), vocab);
        writeLlavaFolderFiles(dir, config, io::readJsonFile(clipDir / "preprocessor_config.json"), vocab);
    }
    const auto cfg
        = llava::LlavaConfig::fromJson(io::readJsonFile(dir / "config.json"), (dir / "config.json").string());
    m_vocab.pieces = cfg.image_token_index;
    m_tokenizer.emplace(text::LlamaTokenizer::fromFolder(dir));
    if (m_tokenizer->tokenId("<image>") != cfg.image_token_index || m_tokenizer->padId() != m_vocab.padToken()
        || m_tokenizer->vocabSize() != cfg.text.vocab_size || m_tokenizer->eosId() != cfg.text.eos_token_id)
        throw Error(
            (dir / "tokenizer_config.json").string() + ": <image>, <pad> or </s> are not where config.json says");
    m_preprocess = clip::preprocessParams(
        clip::ClipImageProcessorConfig::fromJson(io::readJsonFile(dir / "preprocessor_config.json")));
    m_ctx.throwIfCancelled();

    torch::manual_seed(static_cast<std::uint64_t>(m_cfg.seed));
    m_model = llava::LlavaModel(cfg);
    if (resume)
        loadResumedWeights(*m_model, dir, m_run.startStep());
    else
        initialiseWeights(clipDir);
    m_model->train();
    for (const auto &p : m_model->parameters())
        m_result.parameters += p.numel();
    buildOptimizer();
}

// HF's initialisation, then the vision tower from the CLIP (its first layers; CLIPVisionModel's
// keys are the CLIP's vision_model.* under vision_tower.).
void LlavaSession::initialiseWeights(const fs::path &clipDir)
{
    initialiseLikeHf(*m_model);
    m_ctx.report(0, 0, "loading " + m_cfg.visionFrom);
    const auto clip = clip::loadClip(clipDir);
    std::map<std::string, torch::Tensor> vision;
    for (const auto &p : clip.model->named_parameters())
        if (p.key().starts_with("vision_model."))
            vision["vision_tower." + p.key()] = p.value();
    std::vector<std::string> problems;
    torch::NoGradGuard noGrad;
    for (auto &p : m_model->named_parameters()) {
        if (!p.key().starts_with("vision_tower."))
            continue;
        const auto it = vision.find(p.key());
        if (it == vision.end() || it->second.sizes() != p.value().sizes())
            problems.push_back(p.key());
        else
            p.value().copy_(it->second);
    }
    if (!problems.empty())
        throw Error(m_cfg.visionFrom + ": its vision tower does not fit LLaVA's: " + problems.front()
            + (problems.size() > 1 ? " and " + std::to_string(problems.size() - 1) + " more" : ""));
}

// Groups: the vision tower (when it trains) decayed / not, the rest decayed / not.
void LlavaSession::buildOptimizer()
{
    const bool visionTrains = m_cfg.visionLrScale > 0.0;
    VlmParamGroups groups;
    for (const auto &p : m_model->named_parameters()) {
        const bool vision = p.key().starts_with("vision_tower.");
        p.value().set_requires_grad(!vision || visionTrains);
        if (!vision || visionTrains)
            groups.add(p.key(), p.value(), vision);
    }
    m_optimizer = makeVlmAdamW(groups, m_cfg.lr, m_cfg.weightDecay, m_cfg.visionLrScale, true, m_groupScale, m_params);
    if (m_run.stored())
        loadAdamWState(*io::SafetensorsFile::open(m_run.dir() / "trainer_state.safetensors"), *m_model, *m_optimizer);
}

void LlavaSession::setLearningRates(std::int64_t step)
{
    m_lastLr = vlmStageLr(m_cfg.lr, m_cfg.warmupFraction, m_cfg.steps, m_cfg.stage1Steps, step);
    auto &groups = m_optimizer->param_groups();
    for (std::size_t g = 0; g < groups.size(); ++g)
        static_cast<torch::optim::AdamWOptions &>(groups[g].options()).lr(m_lastLr * m_groupScale[g]);
}

// The merged batch as the reference's _merge_input_ids_with_image_features builds it (the image
// rows in place of the <image> token, labels -100 there), then the decoder's loss on the answers.
torch::Tensor LlavaSession::loss(const std::vector<LlavaExample> &examples)
{
    std::vector<io::RgbImage> images;
    for (const LlavaExample &ex : examples)
        images.push_back(ex.image);
    const auto pixels = llavaPixels(images, m_preprocess);
    const auto &cfg = m_model->config();
    const LlavaTokens tok = tokenizeConversations(
        examples, *m_tokenizer, cfg.image_token_index, cfg.imageTokens(), cfg.text.max_position_embeddings);
    const auto p = tok.imagePosition, T = tok.inputIds.size(1), B = tok.inputIds.size(0);
    const auto around = [p, T](const torch::Tensor &t, const torch::Tensor &middle) {
        return torch::cat({t.slice(1, 0, p), middle, t.slice(1, p + 1, T)}, 1);
    };
    torch::Tensor logits, labels;
    {
        AutocastScope autocast(m_bf16);
        const auto image = m_model->imageFeatures(pixels).projected; // [B, N, H]
        const auto N = image.size(1);
        auto &lm = m_model->languageModel();
        const auto text = lm->embedTokens(tok.inputIds);                // [B, T, H]
        const auto embeds = around(text, image.to(text.scalar_type())); // [B, T - 1 + N, H]
        const auto mask = around(tok.attentionMask, torch::ones({B, N}, torch::kLong));
        logits = lm->forward(embeds, nullptr, mask, {}).logits; // [B, T - 1 + N, V]
        labels = around(tok.labels, torch::full({B, N}, std::int64_t {-100}, torch::kLong));
    }
    return conversationLoss(logits.to(torch::kFloat), labels);
}

StepResult LlavaSession::step(std::int64_t step)
{
    const bool stage1 = step < m_cfg.stage1Steps;
    const auto examples = m_source->batch(step, m_cfg.batch, stage1);
    setLearningRates(step);
    const torch::Tensor l = loss(examples);
    optimiserStep(*m_optimizer, l, m_params, m_cfg.clipNorm);
    return {l.item<double>(), {}};
}

} // namespace detail

torch::Tensor conversationLoss(const torch::Tensor &logits, const torch::Tensor &labels)
{
    TORCH_CHECK(
        logits.dim() == 3 && labels.dim() == 2 && labels.size(0) == logits.size(0) && labels.size(1) == logits.size(1),
        "expected logits [B, L, V] and labels [B, L], got ", logits.sizes(), " and ", labels.sizes());
    const auto L = logits.size(1), V = logits.size(2);
    return torch::nn::functional::cross_entropy(logits.slice(1, 0, L - 1).reshape({-1, V}),
        labels.slice(1, 1, L).reshape({-1}), torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
}

LlavaTrainer::LlavaTrainer(LlavaTrainRequest request) : m_request(std::move(request))
{ }

LlavaTrainResult LlavaTrainer::run(JobContext &ctx)
{
    if (m_request.outDir.empty())
        throw Error("training needs an output folder (--out DIR)");
    return detail::LlavaSession(m_request, ctx).run();
}

} // namespace ml::train
