// The BLIP-2 trainer's reporting: VQA evaluation during training, metrics (JSONL, TensorBoard,
// the Training panel), checkpoints and trainer state, and the README written beside the weights.
#include "train/blip2_session.h"

#include "io/safetensors.h"

#include <fstream>
#include <sstream>

namespace ml::train {

namespace detail {

PreparedVqa prepareVqa(std::vector<VqaItem> items, const text::Gpt2Tokenizer &tokenizer)
{
    PreparedVqa p;
    std::vector<io::RgbImage> images;
    for (const VqaItem &item : items) {
        images.push_back(item.image);
        p.promptIds.push_back(tokenizer.encode(vqaPrompt(item.question)));
    }
    p.pixels = blipPixels(images);
    p.items = std::move(items);
    return p;
}

void Blip2Session::prepareEvals()
{
    m_ctx.report(0, 0, "preparing the evaluation sets");
    if (m_cfg.evalShapes > 0)
        m_evalShapes = prepareVqa(shapesVqaSet(kVqaEvalSeed, static_cast<int>(m_cfg.evalShapes),
                                      static_cast<int>(std::max<std::int64_t>(1, m_cfg.evalShapes / 5))),
            *m_tokenizer);
    if (m_cfg.evalFashion > 0 && m_fashionTest)
        m_evalFashion = prepareVqa(fashionVqaSet(*m_fashionTest, static_cast<int>(m_cfg.evalFashion)), *m_tokenizer);
}

// VQA accuracy of the held-in, held-out and Fashion-MNIST sets (from stage 2 on: before it the
// decoder has learnt nothing), with a few answers as samples.
bool Blip2Session::evaluateAt(std::int64_t step)
{
    if (step <= m_cfg.stage1Steps)
        return true;
    blip2::GreedyOptions greedy;
    greedy.cancelled = [this] { return m_ctx.isCancelled(); };
    nlohmann::json eval = nlohmann::json::object();
    TrainSamples samples;
    samples.step = step;
    for (PreparedVqa *set : {&m_evalShapes, &m_evalFashion}) {
        if (set->items.empty())
            continue;
        std::optional<std::vector<blip2::GreedyAnswer>> answers;
        {
            AutocastScope autocast(m_bf16);
            answers = blip2::greedyAnswers(*m_model, *m_tokenizer, set->pixels, set->promptIds, greedy);
        }
        m_model->train();
        if (!answers)
            return false;
        std::vector<std::string> predicted;
        for (const auto &a : *answers)
            predicted.push_back(a.text);
        const VqaScores s = scoreVqa(set->items, predicted);
        if (set == &m_evalShapes) {
            eval["shapes"] = s.shapes;
            eval["shapes_images"] = s.shapesN;
            eval["shapes_held_out"] = s.heldOut;
            eval["shapes_held_out_images"] = s.heldOutN;
            eval["per_type"] = s.perType;
        } else {
            eval["fashion_mnist"] = s.fashion;
            eval["fashion_mnist_images"] = s.fashionN;
        }
        for (std::size_t i = 0; i < set->items.size() && samples.samples.size() < 12; i += set->items.size() / 6 + 1)
            samples.samples.push_back({set->items[i].image, set->items[i].answer, predicted[i], (*answers)[i].firstProb,
                set->items[i].question});
    }
    m_lastEval = eval;
    if (!samples.samples.empty())
        m_ctx.partial(kTrainSamplesPartial, std::move(samples));
    return true;
}

ZeroShotAccuracy Blip2Session::accuracy() const
{
    ZeroShotAccuracy a;
    a.shapes = m_lastEval.value("shapes", -1.0);
    a.shapesHeldOut = m_lastEval.value("shapes_held_out", -1.0);
    a.fashion = m_lastEval.value("fashion_mnist", -1.0);
    a.shapesImages = m_lastEval.value("shapes_images", std::int64_t {0});
    a.shapesHeldOutImages = m_lastEval.value("shapes_held_out_images", std::int64_t {0});
    a.fashionImages = m_lastEval.value("fashion_mnist_images", std::int64_t {0});
    return a;
}

std::map<std::string, double> Blip2Session::perType() const
{
    return m_lastEval.value("per_type", std::map<std::string, double> {});
}

void Blip2Session::writeMetric(const LoopMetric &lm)
{
    TrainMetric m;
    m.step = lm.step;
    m.totalSteps = lm.totalSteps;
    m.loss = lm.loss;
    m.lr = m_lastLr;
    m.temperature = 1.0 / m_heads->logit_scale.exp().item<double>();
    m.stepsPerS = lm.stepsPerS;
    m.imagesPerS = m.stepsPerS * static_cast<double>(m_cfg.batch);
    m.etaSeconds = lm.etaSeconds;
    m.elapsedSeconds = lm.elapsedSeconds;
    m.evaluated = lm.evaluated && lm.step > m_cfg.stage1Steps && m_lastEval.contains("shapes");
    if (m.evaluated)
        m.evaluation = accuracy();
    std::vector<LogValue> values;
    if (lm.intervalSteps > 0) {
        // Each stage's loss on its own curve: their scales differ.
        const bool stage2 = lm.step > m_cfg.stage1Steps;
        values.push_back({"loss", "train/loss", m.loss});
        values.push_back(
            {stage2 ? "lm_loss" : "itc_itm_loss", stage2 ? "train/lm_loss" : "train/itc_itm_loss", m.loss});
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
        if (a.fashion >= 0) {
            values.push_back({"fashion_acc", "eval/vqa_fashion_mnist", a.fashion});
            values.push_back({"fashion_images", "", static_cast<double>(a.fashionImages)});
        }
        for (const auto &[type, acc] : perType())
            values.push_back({"vqa_" + type, "eval/vqa_" + type, acc});
    }
    m_log->write(m.step, values);
    m_ctx.partial(kTrainMetricPartial, m);
    if (m_r.onMetric)
        m_r.onMetric(m);
}

void Blip2Session::save(std::int64_t step)
{
    std::map<std::string, torch::Tensor> weights, state;
    for (const auto &p : m_model->named_parameters())
        weights[p.key()] = p.value().detach().contiguous();
    addAdamWState(state, *m_model, *m_optimizer);
    addAdamWState(state, *m_heads, *m_optimizer); // the heads' names are none of the model's
    for (const auto &p : m_heads->named_parameters())
        state["stage1." + p.key()] = p.value().detach().contiguous();
    state["trainer.step"] = torch::tensor(step, torch::kLong);
    state["trainer.seed"] = torch::tensor(static_cast<std::int64_t>(m_cfg.seed), torch::kLong);
    io::saveSafetensors(m_run.dir() / "model.safetensors", weights, {{"format", "pt"}});
    io::saveSafetensors(m_run.dir() / "trainer_state.safetensors", state,
        {{"format", kBlip2StateFormat}, {"step", std::to_string(step)}});
}

nlohmann::json Blip2Session::stateFields() const
{
    return {{"dtype", m_result.dtype}, {"evaluation", m_lastEval}, {"parameters", m_result.parameters},
        {"config", m_cfg.toJson()}};
}

void Blip2Session::writeReadme(const TrainLoopOutcome &out) const
{
    const double wall = m_run.elapsedBefore() + out.times.activeSeconds;
    std::ostringstream md;
    md << "# " << m_run.dir().filename().string() << " — a BLIP-2 trained by ModalLens\n\n"
       << "A Hugging Face `Blip2ForConditionalGeneration` folder (OPT decoder) trained by `modallens-cli train "
          "blip2` on Shapes World questions and captions and Fashion-MNIST \"what is this?\".\n\n"
       << "| | |\n|---|---|\n"
       << "| command | `" << (m_r.command.empty() ? "modallens-cli train blip2 --preset " + m_cfg.preset : m_r.command)
       << "` |\n"
       << "| seed | " << m_cfg.seed << " |\n"
       << "| steps | " << m_cfg.steps << " × batch " << m_cfg.batch << " images: " << m_cfg.stage1Steps
       << " contrastive + matching (stage 1), " << m_cfg.steps - m_cfg.stage1Steps << " generative (stage 2) |\n"
       << "| wall time | " << static_cast<long long>(std::lround(wall)) << " s on " << cpuModelName() << ", "
       << m_result.dtype << " |\n"
       << "| parameters | " << m_result.parameters << " |\n\n"
       << "## VQA exact match at the end of training\n\n| set | accuracy |\n|---|---|\n";
    const ZeroShotAccuracy a = accuracy();
    md << "| Shapes World, held-in pairs (" << a.shapesImages << " questions) | " << readmePercent(a.shapes) << " |\n";
    for (const auto &[type, acc] : perType())
        md << "| — " << type << " | " << readmePercent(acc) << " |\n";
    md << "| Shapes World, scenes with a held-out pair (" << a.shapesHeldOutImages << ") | "
       << readmePercent(a.shapesHeldOut) << " |\n"
       << "| Fashion-MNIST test, \"what is this?\" (" << a.fashionImages << ") | " << readmePercent(a.fashion)
       << " |\n";
    std::ofstream(m_run.dir() / "README.md", std::ios::trunc) << md.str();
}

} // namespace detail

} // namespace ml::train
