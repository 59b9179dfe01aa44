// The LLaVA trainer's reporting: VQA and caption evaluation during training, metrics (JSONL,
// TensorBoard, the Training panel), checkpoints and trainer state, and the README beside the weights.
#include "engine/chat_service.h"
#include "engine/train_partials.h"
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
        auto items = vlmShapesEvalSet(m_cfg.evalShapes);
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
        const std::vector<std::string> predicted = answerTexts(*answers);
        putShapesScores(eval, scoreVqa(m_evalShapes.items, predicted));
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

// Each stage's loss on its own curve: captions alone, then conversations.
void LlavaSession::writeMetric(const LoopMetric &lm)
{
    const TrainMetric m = vlmMetric(lm, m_lastLr, m_cfg.batch, m_cfg.stage1Steps, m_lastEval);
    auto values = vlmLogValues(m, lm, m_cfg.stage1Steps, "caption_loss", "train/caption_loss", m_lastEval);
    if (m.evaluated && m_lastEval.contains("captions"))
        values.push_back({"caption_acc", "eval/captions", m_lastEval.at("captions").get<double>()});
    publishMetric(*m_log, m_ctx, m_r, m, values);
}

void LlavaSession::save(std::int64_t step)
{
    std::map<std::string, torch::Tensor> state;
    addAdamWState(state, *m_model, *m_optimizer);
    saveVlmCheckpoint(m_run, *m_model, std::move(state), step, m_cfg.seed, kLlavaStateFormat);
}

nlohmann::json LlavaSession::stateFields() const
{
    return vlmStateFields(m_result, m_lastEval, m_cfg.toJson());
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
    const ZeroShotAccuracy a = accuracyFromJson(m_lastEval);
    md << "| Shapes World VQA, held-in pairs (" << a.shapesImages << " questions) | " << readmePercent(a.shapes)
       << " |\n";
    for (const auto &[type, acc] : vlmPerType(m_lastEval))
        md << "| — " << type << " | " << readmePercent(acc) << " |\n";
    md << "| Shapes World VQA, scenes with a held-out pair (" << a.shapesHeldOutImages << ") | "
       << readmePercent(a.shapesHeldOut) << " |\n"
       << "| two-object captions naming every object (" << m_lastEval.value("captions_images", std::int64_t {0})
       << ") | " << readmePercent(m_lastEval.value("captions", -1.0)) << " |\n";
    std::ofstream(m_run.dir() / "README.md", std::ios::trunc) << md.str();
}

} // namespace detail

} // namespace ml::train
