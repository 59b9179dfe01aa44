// What the BLIP-2 and LLaVA trainers share (see vlm_trainer_common.h).
#include "train/vlm_trainer_common.h"

#include "common/error.h"
#include "engine/train_partials.h"
#include "io/safetensors.h"
#include "train/blip2_trainer.h"

#include <torch/nn/utils/clip_grad.h>

#include <algorithm>
#include <cctype>

namespace ml::train {

void checkVlmSteps(std::int64_t steps, std::int64_t stage1Steps, double lr, std::int64_t logEvery)
{
    if (steps < 1 || stage1Steps < 0 || stage1Steps >= steps)
        throw Error("steps must be at least 1 and more than the stage-1 steps (got " + std::to_string(steps)
            + " steps, " + std::to_string(stage1Steps) + " of stage 1)");
    if (lr <= 0 || logEvery < 1)
        throw Error("the learning rate and the log interval must be positive");
}

nlohmann::json storedEvaluation(const TrainerState &run)
{
    if (const auto *s = run.stored(); s && s->contains("evaluation"))
        return s->at("evaluation");
    return nlohmann::json::object();
}

void initialiseLikeHf(torch::nn::Module &module)
{
    torch::NoGradGuard noGrad;
    for (auto &p : module.named_parameters()) {
        torch::Tensor w = p.value();
        std::string lower = p.key();
        for (char &ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (w.dim() >= 2)
            w.normal_(0.0, 0.02);
        else if (lower.find("norm") != std::string::npos && lower.ends_with(".weight"))
            w.fill_(1.0);
        else
            w.zero_();
    }
}

std::shared_ptr<io::SafetensorsFile> loadResumedWeights(
    torch::nn::Module &module, const std::filesystem::path &dir, std::int64_t startStep)
{
    const auto weights = io::SafetensorsFile::open(dir / "model.safetensors");
    auto state = io::SafetensorsFile::open(dir / "trainer_state.safetensors");
    checkStateStep(*state, startStep);
    torch::NoGradGuard noGrad;
    for (auto &p : module.named_parameters()) {
        if (!weights->contains(p.key()))
            throw Error(weights->path().string() + ": no '" + p.key() + "'");
        p.value().copy_(weights->tensor(p.key()));
    }
    return state;
}

void VlmParamGroups::add(const std::string &name, const torch::Tensor &value, bool vision)
{
    groups[(vision ? 0 : 2) + (blip2DecaysWeight(name, value) ? 0 : 1)].push_back(value);
}

std::unique_ptr<torch::optim::AdamW> makeVlmAdamW(const VlmParamGroups &g, double lr, double weightDecay,
    double visionLrScale, bool skipEmpty, std::vector<double> &groupScale, std::vector<torch::Tensor> &params)
{
    std::vector<torch::optim::OptimizerParamGroup> optGroups;
    for (std::size_t i = 0; i < g.groups.size(); ++i) {
        const auto &group = g.groups[i];
        if (skipEmpty && group.empty())
            continue;
        optGroups.emplace_back(group,
            std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr)
                                                             .betas({0.9, 0.98})
                                                             .eps(1e-6)
                                                             .weight_decay(i % 2 == 0 ? weightDecay : 0.0)));
        groupScale.push_back(i < 2 ? visionLrScale : 1.0);
        params.insert(params.end(), group.begin(), group.end());
    }
    return std::make_unique<torch::optim::AdamW>(std::move(optGroups));
}

double vlmStageLr(double lr, double warmupFraction, std::int64_t steps, std::int64_t stage1Steps, std::int64_t step)
{
    const bool stage2 = step >= stage1Steps;
    const std::int64_t length = stage2 ? steps - stage1Steps : stage1Steps;
    const std::int64_t at = stage2 ? step - stage1Steps : step;
    return warmupCosineLr(lr, warmupStepsFor(warmupFraction, length), length, at);
}

void optimiserStep(torch::optim::Optimizer &optimizer, const torch::Tensor &loss,
    const std::vector<torch::Tensor> &params, double clipNorm)
{
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(params, clipNorm);
    optimizer.step();
}

std::map<std::string, double> vlmPerType(const nlohmann::json &lastEval)
{
    return lastEval.value("per_type", std::map<std::string, double> {});
}

std::vector<VqaItem> vlmShapesEvalSet(std::int64_t count)
{
    return shapesVqaSet(kVqaEvalSeed, static_cast<int>(count), static_cast<int>(std::max<std::int64_t>(1, count / 5)));
}

void putShapesScores(nlohmann::json &eval, const VqaScores &s)
{
    eval["shapes"] = s.shapes;
    eval["shapes_images"] = s.shapesN;
    eval["shapes_held_out"] = s.heldOut;
    eval["shapes_held_out_images"] = s.heldOutN;
    eval["per_type"] = s.perType;
}

TrainMetric vlmMetric(
    const LoopMetric &lm, double lr, std::int64_t batch, std::int64_t stage1Steps, const nlohmann::json &lastEval)
{
    TrainMetric m;
    m.step = lm.step;
    m.totalSteps = lm.totalSteps;
    m.loss = lm.loss;
    m.lr = lr;
    m.stepsPerS = lm.stepsPerS;
    m.imagesPerS = m.stepsPerS * static_cast<double>(batch);
    m.etaSeconds = lm.etaSeconds;
    m.elapsedSeconds = lm.elapsedSeconds;
    m.evaluated = lm.evaluated && lm.step > stage1Steps && lastEval.contains("shapes");
    if (m.evaluated)
        m.evaluation = accuracyFromJson(lastEval);
    return m;
}

std::vector<LogValue> vlmLogValues(const TrainMetric &m, const LoopMetric &lm, std::int64_t stage1Steps,
    const char *stage1Loss, const char *stage1Tag, const nlohmann::json &lastEval)
{
    std::vector<LogValue> values;
    if (lm.intervalSteps > 0) {
        const bool stage2 = lm.step > stage1Steps;
        values.push_back({"loss", "train/loss", m.loss});
        values.push_back({stage2 ? "lm_loss" : stage1Loss, stage2 ? "train/lm_loss" : stage1Tag, m.loss});
        values.push_back({"lr", "train/lr", m.lr});
        values.push_back({"stage", "", stage2 ? 2.0 : 1.0});
        values.push_back({"images_per_s", "train/images_per_s", m.imagesPerS});
    }
    if (!m.evaluated)
        return values;
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
    for (const auto &[type, acc] : vlmPerType(lastEval))
        values.push_back({"vqa_" + type, "eval/vqa_" + type, acc});
    return values;
}

void publishMetric(
    TrainLog &log, JobContext &ctx, const VlmTrainRequest &r, const TrainMetric &m, const std::vector<LogValue> &values)
{
    log.write(m.step, values);
    ctx.partial(kTrainMetricPartial, m);
    if (r.onMetric)
        r.onMetric(m);
}

void saveVlmCheckpoint(const TrainerState &run, torch::nn::Module &model, std::map<std::string, torch::Tensor> state,
    std::int64_t step, std::uint64_t seed, const char *format)
{
    std::map<std::string, torch::Tensor> weights;
    for (const auto &p : model.named_parameters())
        weights[p.key()] = p.value().detach().contiguous();
    state["trainer.step"] = torch::tensor(step, torch::kLong);
    state["trainer.seed"] = torch::tensor(static_cast<std::int64_t>(seed), torch::kLong);
    io::saveSafetensors(run.dir() / "model.safetensors", weights, {{"format", "pt"}});
    io::saveSafetensors(
        run.dir() / "trainer_state.safetensors", state, {{"format", format}, {"step", std::to_string(step)}});
}

nlohmann::json vlmStateFields(const VlmTrainResult &r, const nlohmann::json &lastEval, const nlohmann::json &config)
{
    return {{"dtype", r.dtype}, {"evaluation", lastEval}, {"parameters", r.parameters}, {"config", config}};
}

} // namespace ml::train
