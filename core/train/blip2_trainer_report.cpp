// The BLIP-2 trainer's reporting: VQA evaluation during training, metrics (JSONL, TensorBoard,
// the Training panel), checkpoints and trainer state, and the README written beside the weights.
#include "train/blip2_session.h"

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
        m_evalShapes = prepareVqa(vlmShapesEvalSet(m_cfg.evalShapes), *m_tokenizer);
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
        const std::vector<std::string> predicted = answerTexts(*answers);
        const VqaScores s = scoreVqa(set->items, predicted);
        if (set == &m_evalShapes) {
            putShapesScores(eval, s);
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

// Each stage's loss on its own curve: their scales differ.
void Blip2Session::writeMetric(const LoopMetric &lm)
{
    TrainMetric m = vlmMetric(lm, m_lastLr, m_cfg.batch, m_cfg.stage1Steps, m_lastEval);
    m.temperature = 1.0 / m_heads->logit_scale.exp().item<double>();
    const auto values = vlmLogValues(m, lm, m_cfg.stage1Steps, "itc_itm_loss", "train/itc_itm_loss", m_lastEval);
    publishMetric(*m_log, m_ctx, m_r, m, values);
}

void Blip2Session::save(std::int64_t step)
{
    std::map<std::string, torch::Tensor> state;
    addAdamWState(state, *m_model, *m_optimizer);
    addAdamWState(state, *m_heads, *m_optimizer); // the heads' names are none of the model's
    for (const auto &p : m_heads->named_parameters())
        state["stage1." + p.key()] = p.value().detach().contiguous();
    saveVlmCheckpoint(m_run, *m_model, std::move(state), step, m_cfg.seed, kBlip2StateFormat);
}

nlohmann::json Blip2Session::stateFields() const
{
    return vlmStateFields(m_result, m_lastEval, m_cfg.toJson());
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
    const ZeroShotAccuracy a = accuracyFromJson(m_lastEval);
    md << "| Shapes World, held-in pairs (" << a.shapesImages << " questions) | " << readmePercent(a.shapes) << " |\n";
    for (const auto &[type, acc] : vlmPerType(m_lastEval))
        md << "| — " << type << " | " << readmePercent(acc) << " |\n";
    md << "| Shapes World, scenes with a held-out pair (" << a.shapesHeldOutImages << ") | "
       << readmePercent(a.shapesHeldOut) << " |\n"
       << "| Fashion-MNIST test, \"what is this?\" (" << a.fashionImages << ") | " << readmePercent(a.fashion)
       << " |\n";
    std::ofstream(m_run.dir() / "README.md", std::ios::trunc) << md.str();
}

} // namespace detail

} // namespace ml::train
