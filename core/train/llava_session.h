// The LLaVA trainer's session, shared by llava_trainer.cpp (setup, stages, the loss, steps) and
// llava_trainer_report.cpp (evaluation, metrics, checkpoints, the run's README). Internal to
// core/train: the public interface is llava_trainer.h.
#pragma once

#include "models/llava/llava_model.h"
#include "preprocess.h" // kernels/
#include "text/llama_tokenizer.h"
#include "train/blip2_data.h"
#include "train/llava_data.h"
#include "train/llava_trainer.h"
#include "train/run_folder.h"
#include "train/train_log.h"
#include "train/train_loop.h"
#include "train/trainer_common.h"
#include "train/vlm_trainer_common.h"

#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml::train::detail {

// An evaluation set, preprocessed and tokenised once: VQA items or caption images.
struct PreparedLlavaSet {
    std::vector<VqaItem> items;      // VQA
    std::vector<CaptionItem> scenes; // captions
    torch::Tensor pixels;            // [N, 3, S, S]
    std::vector<std::vector<std::int64_t>> promptIds;
};

class LlavaSession {
public:
    LlavaSession(const LlavaTrainRequest &r, JobContext &ctx);
    LlavaTrainResult run();

private:
    void buildModel();
    void learnTokenizer(const std::filesystem::path &dir);
    void initialiseWeights(const std::filesystem::path &clipDir);
    void buildOptimizer();
    void prepareEvals();
    PreparedLlavaSet prepare(const std::vector<io::RgbImage> &images, const std::vector<std::string> &questions) const;
    void setLearningRates(std::int64_t step);
    StepResult step(std::int64_t step);
    torch::Tensor loss(const std::vector<LlavaExample> &examples);
    bool evaluateAt(std::int64_t step);
    void writeMetric(const LoopMetric &lm);
    void save(std::int64_t step);
    nlohmann::json stateFields() const;
    void writeReadme(const TrainLoopOutcome &out) const;
    template<typename Session> friend void train::runVlmLoop(Session &s);

    const LlavaTrainRequest &m_r;
    JobContext &m_ctx;
    TrainerState m_run;
    LlavaTrainConfig m_cfg;
    LlavaTrainResult m_result;
    bool m_bf16 = false;
    std::shared_ptr<const LlavaDataSource> m_source;
    std::optional<text::LlamaTokenizer> m_tokenizer;
    LlavaVocab m_vocab;
    kernels::PreprocessParams m_preprocess;
    llava::LlavaModel m_model {nullptr};
    std::vector<torch::Tensor> m_params; // what the optimiser trains
    std::vector<double> m_groupScale;    // of lr, per optimiser group
    std::unique_ptr<torch::optim::AdamW> m_optimizer;
    PreparedLlavaSet m_evalShapes, m_evalCaptions;
    nlohmann::json m_lastEval = nlohmann::json::object(); // {"shapes", "shapes_held_out", "per_type", "captions"}
    double m_lastLr = 0.0;
    TrainLog *m_log = nullptr;
};

} // namespace ml::train::detail
