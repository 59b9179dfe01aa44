// The LLaVA trainer's reporting: VQA and caption evaluation during training, metrics (JSONL,
// TensorBoard, the Training panel), checkpoints and trainer state, and the README beside the weights.
#include "engine/chat_service.h"
#include "engine/train_partials.h"
#include "io/safetensors.h"
#include "models/llava/llava_runtime.h"
#include "train/blip2_trainer.h" // kVqaEvalSeed
#include "train/llava_answers.h"
#include "train/llava_session.h"

#include <fstream>
#include <sstream>

namespace ml::train {

namespace {

// "frozen", or "trained at 0.1 × the learning rate".
std::string visionTraining(const LlavaTrainConfig &c)
{
    if (c.visionLrScale <= 0)
        return "frozen";
    std::ostringstream s;
    s << "trained at " << c.visionLrScale << " × the learning rate";
    return s.str();
}

} // namespace

namespace detail {

PreparedLlavaSet LlavaSession::prepare(
    const std::vector<io::RgbImage> &images, const std::vector<std::string> &questions) const
{
    PreparedLlavaSet p;
    for (const std::string &q : questions)
        p.promptIds.push_back(encodeConversation(*m_tokenizer, llava::LlavaRuntime::formatPrompt({}, q)));
    p.pixels = llavaPixels(images, m_preprocess);
    return p;
}

void LlavaSession::prepareEvals()
{
    m_ctx.report(0, 0, "preparing the evaluation sets");
    if (m_cfg.evalShapes > 0) {
        auto items = shapesVqaSet(kVqaEvalSeed, static_cast<int>(m_cfg.evalShapes),
            static_cast<int>(std::max<std::int64_t>(1, m_cfg.evalShapes / 5)));
        std::vector<io::RgbImage> images;
        std::vector<std::string> questions;
        for (const VqaItem &item : items) {
            images.push_back(item.image);
            questions.push_back(item.question);
        }
        m_evalShapes = prepare(images, questions);
        m_evalShapes.items = std::move(items);
    }
    if (m_cfg.evalCaptions > 0) {
        auto scenes = captionSet(kVqaEvalSeed, static_cast<int>(m_cfg.evalCaptions));
        std::vector<io::RgbImage> images;
        for (const CaptionItem &c : scenes)
            images.push_back(c.image);
        m_evalCaptions = prepare(images, std::vector<std::string>(scenes.size(), kLlavaCaptionPrompt));
        m_evalCaptions.scenes = std::move(scenes);
    }
}

// VQA accuracy of the held-in and held-out sets and the caption check (from stage 2 on), with a
// few answers as samples.
bool LlavaSession::evaluateAt(std::int64_t step)
{
    if (step <= m_cfg.stage1Steps)
        return true;
    LlavaAnswerOptions options;
    options.cancelled = [this] { return m_ctx.isCancelled(); };
    nlohmann::json eval = nlohmann::json::object();
    TrainSamples samples;
    samples.step = step;
    if (!m_evalShapes.items.empty()) {
        const auto answers
            = llavaGreedyAnswers(*m_model, *m_tokenizer, m_evalShapes.pixels, m_evalShapes.promptIds, options);
        m_model->train();
        if (!answers)
            return false;
        std::vector<std::string> predicted;
        for (const auto &a : *answers)
            predicted.push_back(a.text);
        const VqaScores s = scoreVqa(m_evalShapes.items, predicted);
        eval["shapes"] = s.shapes;
        eval["shapes_images"] = s.shapesN;
        eval["shapes_held_out"] = s.heldOut;
        eval["shapes_held_out_images"] = s.heldOutN;
        eval["per_type"] = s.perType;
        const auto &items = m_evalShapes.items;
        for (std::size_t i = 0; i < items.size() && samples.samples.size() < 10; i += items.size() / 5 + 1)
            samples.samples.push_back(
                {items[i].image, items[i].answer, predicted[i], (*answers)[i].firstProb, items[i].question});
    }
    if (!m_evalCaptions.scenes.empty()) {
        options.maxNewTokens = 32;
        const auto answers
            = llavaGreedyAnswers(*m_model, *m_tokenizer, m_evalCaptions.pixels, m_evalCaptions.promptIds, options);
        m_model->train();
        if (!answers)
            return false;
        std::int64_t good = 0;
        const auto &scenes = m_evalCaptions.scenes;
        for (std::size_t i = 0; i < scenes.size(); ++i)
            good += captionNamesEveryObject((*answers)[i].text, scenes[i].scene) ? 1 : 0;
        eval["captions"] = static_cast<double>(good) / static_cast<double>(scenes.size());
        eval["captions_images"] = static_cast<std::int64_t>(scenes.size());
        for (std::size_t i = 0; i < scenes.size() && i < 2; ++i)
            samples.samples.push_back({scenes[i].image, llavaCaption(scenes[i].scene), (*answers)[i].text,
                (*answers)[i].firstProb, kLlavaCaptionPrompt});
    }
    m_lastEval = eval;
    if (!samples.samples.empty())
        m_ctx.partial(kTrainSamplesPartial, std::move(samples));
    return true;
}

ZeroShotAccuracy LlavaSession::accuracy() const
{
    ZeroShotAccuracy a;
    a.shapes = m_lastEval.value("shapes", -1.0);
    a.shapesHeldOut = m_lastEval.value("shapes_held_out", -1.0);
    a.shapesImages = m_lastEval.value("shapes_images", std::int64_t {0});
    a.shapesHeldOutImages = m_lastEval.value("shapes_held_out_images", std::int64_t {0});
    return a;
}

std::map<std::string, double> LlavaSession::perType() const
{
    return m_lastEval.value("per_type", std::map<std::string, double> {});
}

void LlavaSession::writeMetric(const LoopMetric &lm)
{
    TrainMetric m;
    m.step = lm.step;
    m.totalSteps = lm.totalSteps;
    m.loss = lm.loss;
    m.lr = m_lastLr;
    m.stepsPerS = lm.stepsPerS;
    m.imagesPerS = m.stepsPerS * static_cast<double>(m_cfg.batch);
    m.etaSeconds = lm.etaSeconds;
    m.elapsedSeconds = lm.elapsedSeconds;
    m.evaluated = lm.evaluated && lm.step > m_cfg.stage1Steps && m_lastEval.contains("shapes");
    if (m.evaluated)
        m.evaluation = accuracy();
    std::vector<LogValue> values;
    if (lm.intervalSteps > 0) {
        // Each stage's loss on its own curve: captions alone, then conversations.
        const bool stage2 = lm.step > m_cfg.stage1Steps;
        values.push_back({"loss", "train/loss", m.loss});
        values.push_back(
            {stage2 ? "lm_loss" : "caption_loss", stage2 ? "train/lm_loss" : "train/caption_loss", m.loss});
        values.push_back({"lr", "train/lr", m.lr});
        values.push_back({"stage", "", stage2 ? 2.0 : 1.0});
        values.push_back({"images_per_s", "train/images_per_s", m.imagesPerS});
    }
    if (m.evaluated) {
        const ZeroShotAccuracy &a = m.evaluation;
        if (a.shapes >= 0) {
            values.push_back({"shapes_acc", "eval/vqa_shapes", a.shapes});
            values.push_back({"shapes_images", "", static_cast<double>(a.shapesImages)});
        }
        if (a.shapesHeldOut >= 0) {
            values.push_back({"shapes_held_out_acc", "eval/vqa_held_out", a.shapesHeldOut});
            values.push_back({"shapes_held_out_images", "", static_cast<double>(a.shapesHeldOutImages)});
        }
        for (const auto &[type, acc] : perType())
            values.push_back({"vqa_" + type, "eval/vqa_" + type, acc});
        if (m_lastEval.contains("captions"))
            values.push_back({"caption_acc", "eval/captions", m_lastEval.at("captions").get<double>()});
    }
    m_log->write(m.step, values);
    m_ctx.partial(kTrainMetricPartial, m);
    if (m_r.onMetric)
        m_r.onMetric(m);
}

void LlavaSession::save(std::int64_t step)
{
    std::map<std::string, torch::Tensor> weights, state;
    for (const auto &p : m_model->named_parameters())
        weights[p.key()] = p.value().detach().contiguous();
    addAdamWState(state, *m_model, *m_optimizer);
    state["trainer.step"] = torch::tensor(step, torch::kLong);
    state["trainer.seed"] = torch::tensor(static_cast<std::int64_t>(m_cfg.seed), torch::kLong);
    io::saveSafetensors(m_run.dir() / "model.safetensors", weights, {{"format", "pt"}});
    io::saveSafetensors(m_run.dir() / "trainer_state.safetensors", state,
        {{"format", kLlavaStateFormat}, {"step", std::to_string(step)}});
}

nlohmann::json LlavaSession::stateFields() const
{
    return {{"dtype", m_result.dtype}, {"evaluation", m_lastEval}, {"parameters", m_result.parameters},
        {"config", m_cfg.toJson()}};
}

void LlavaSession::writeReadme(const TrainLoopOutcome &out) const
{
    const double wall = m_run.elapsedBefore() + out.times.activeSeconds;
    const auto &cfg = m_model->config();
    std::ostringstream md;
    md << "# " << m_run.dir().filename().string() << " — a LLaVA trained by ModalLens\n\n"
       << "A Hugging Face `LlavaForConditionalGeneration` folder (llava-hf layout, LLaMA decoder) trained by "
          "`modallens-cli train llava` on Shapes World conversations: captions, then one to three question / "
          "answer rounds per picture.\n\n"
       << "| | |\n|---|---|\n"
       << "| command | `" << (m_r.command.empty() ? "modallens-cli train llava --preset " + m_cfg.preset : m_r.command)
       << "` |\n"
       << "| seed | " << m_cfg.seed << " |\n"
       << "| steps | " << m_cfg.steps << " × batch " << m_cfg.batch << " conversations: " << m_cfg.stage1Steps
       << " captions (stage 1), " << m_cfg.steps - m_cfg.stage1Steps << " conversations (stage 2) |\n"
       << "| wall time | " << static_cast<long long>(std::lround(wall)) << " s on " << cpuModelName() << ", "
       << m_result.dtype << " |\n"
       << "| vision | " << m_cfg.visionFrom << ", " << cfg.vision.num_hidden_layers << " layer(s), features of layer "
       << cfg.vision_feature_layer << ", " << cfg.imageTokens() << " image tokens, " << visionTraining(m_cfg) << " |\n"
       << "| decoder | LLaMA: hidden " << cfg.text.hidden_size << ", " << cfg.text.num_hidden_layers << " layers, "
       << cfg.text.num_attention_heads << " heads / " << cfg.text.kvHeads() << " key-value heads, intermediate "
       << cfg.text.intermediate_size << ", " << cfg.text.max_position_embeddings << " positions, vocabulary "
       << cfg.text.vocab_size << " |\n"
       << "| parameters | " << m_result.parameters << " |\n\n"
       << "## At the end of training\n\n| set | accuracy |\n|---|---|\n";
    const ZeroShotAccuracy a = accuracy();
    md << "| Shapes World VQA, held-in pairs (" << a.shapesImages << " questions) | " << readmePercent(a.shapes)
       << " |\n";
    for (const auto &[type, acc] : perType())
        md << "| — " << type << " | " << readmePercent(acc) << " |\n";
    md << "| Shapes World VQA, scenes with a held-out pair (" << a.shapesHeldOutImages << ") | "
       << readmePercent(a.shapesHeldOut) << " |\n"
       << "| two-object captions naming every object (" << m_lastEval.value("captions_images", std::int64_t {0})
       << ") | " << readmePercent(m_lastEval.value("captions", -1.0)) << " |\n";
    std::ofstream(m_run.dir() / "README.md", std::ios::trunc) << md.str();
}

} // namespace detail

} // namespace ml::train
