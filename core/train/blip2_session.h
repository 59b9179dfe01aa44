// The BLIP-2 trainer's session, shared by blip2_trainer.cpp (setup, stages, losses, steps) and
// blip2_trainer_report.cpp (evaluation, metrics, checkpoints, the run's README). Internal to
// core/train: the public interface is blip2_trainer.h.
#pragma once

#include "engine/train_partials.h"
#include "models/blip2/blip2_model.h"
#include "models/blip2/vqa_eval.h"
#include "models/clip/clip_loader.h"
#include "text/clip_tokenizer.h"
#include "text/gpt2_tokenizer.h"
#include "train/blip2_data.h"
#include "train/blip2_trainer.h"
#include "train/run_folder.h"
#include "train/train_log.h"
#include "train/train_loop.h"
#include "train/trainer_common.h"
#include "train/vlm_trainer_common.h"

#include <nlohmann/json.hpp>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml::train::detail {

// Stage 1's heads, which only training needs (saved in trainer_state.safetensors for a resume).
class Stage1HeadsImpl : public torch::nn::Module {
public:
    Stage1HeadsImpl(std::int64_t queryWidth, std::int64_t embedDim, double initTemperature)
    {
        vision_proj = register_module("vision_proj", torch::nn::Linear(queryWidth, embedDim));
        itm_head = register_module("itm_head", torch::nn::Linear(2 * embedDim, 2));
        logit_scale
            = register_parameter("logit_scale", torch::tensor(static_cast<float>(std::log(1.0 / initTemperature))));
    }
    torch::nn::Linear vision_proj {nullptr}, itm_head {nullptr};
    torch::Tensor logit_scale;
};
TORCH_MODULE(Stage1Heads);

// A VQA evaluation set, preprocessed and tokenised once.
struct PreparedVqa {
    std::vector<VqaItem> items;
    torch::Tensor pixels; // [N, 3, 64, 64]
    std::vector<std::vector<std::int64_t>> promptIds;
};

PreparedVqa prepareVqa(std::vector<VqaItem> items, const text::Gpt2Tokenizer &tokenizer);

class Blip2Session {
public:
    Blip2Session(const Blip2TrainRequest &r, JobContext &ctx);
    Blip2TrainResult run();

private:
    void loadData();
    void buildModel();
    void initialiseWeights();
    void prepareEvals();
    void enterStage(bool generative);
    void setLearningRates(std::int64_t step);
    StepResult step(std::int64_t step);
    torch::Tensor contrastiveLoss(const Blip2Batch &batch);
    torch::Tensor generativeLoss(const Blip2Batch &batch);
    bool evaluateAt(std::int64_t step);
    void writeMetric(const LoopMetric &lm);
    void save(std::int64_t step);
    nlohmann::json stateFields() const;
    void writeReadme(const TrainLoopOutcome &out) const;
    template<typename Session> friend void train::runVlmLoop(Session &s);

    const Blip2TrainRequest &m_r;
    JobContext &m_ctx;
    TrainerState m_run;
    Blip2TrainConfig m_cfg;
    Blip2TrainResult m_result;
    bool m_bf16 = false;
    std::shared_ptr<const FashionMnist> m_fashionTest;
    std::shared_ptr<const Blip2DataSource> m_source;
    std::optional<text::Gpt2Tokenizer> m_tokenizer;
    std::optional<text::ClipTokenizer> m_clipTokenizer;
    clip::ClipModel m_clip {nullptr}; // the frozen text tower of stage 1
    blip2::Blip2Model m_model {nullptr};
    Stage1Heads m_heads {nullptr};
    std::vector<torch::Tensor> m_params;
    std::vector<double> m_groupScale; // of lr, per optimiser group
    std::unique_ptr<torch::optim::AdamW> m_optimizer;
    int m_stage = 0; // 1 or 2 once entered
    PreparedVqa m_evalShapes, m_evalFashion;
    nlohmann::json m_lastEval = nlohmann::json::object(); // {"shapes", "shapes_held_out", "fashion_mnist", "per_type"}
    double m_lastLr = 0.0;
    TrainLog *m_log = nullptr;
};

} // namespace ml::train::detail
