// Training as the GUI's Training panel and the CLI see it: CLIP contrastive training as an engine
// job (progress, cancel, pause), its streamed metrics and samples, and zero-shot evaluation.
#pragma once

#include "engine/engine.h"
#include "io/media.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ml {

// Shared between the job and whoever drives it (panel buttons, tests), one per run; every call is
// thread-safe. Pause is honoured between steps; stop() ends the run like the last step would (a
// checkpoint, then a normal result), whereas Engine::cancel() checkpoints and ends it as cancelled.
class TrainControl {
public:
    void pause() { m_pause.store(true); }
    void resume() { m_pause.store(false); }
    void stop() { m_stop.store(true); }
    bool pauseRequested() const { return m_pause.load(); }
    bool stopRequested() const { return m_stop.load(); }
    // True while the job sits idle because of pause() (set by the job).
    bool isPaused() const { return m_idle.load(); }
    void setPausedState(bool idle) { m_idle.store(idle); }

private:
    std::atomic<bool> m_pause {false}, m_stop {false}, m_idle {false};
};

// Held-out accuracies; < 0 where not measured. Each with the number of images it was measured on,
// so that a figure from a few images is read as the rough figure it is.
struct ZeroShotAccuracy {
    double shapes = -1.0;        // Shapes World 24-way, all pairs
    double shapesHeldOut = -1.0; // the four held-out colour-shape pairs only
    double fashion = -1.0;       // Fashion-MNIST 10-way (test split)
    std::int64_t shapesImages = 0, shapesHeldOutImages = 0, fashionImages = 0;
};

// PartialResult{"metric", TrainMetric} every logged step.
struct TrainMetric {
    std::int64_t step = 0; // optimiser steps done, counting those before a resume
    std::int64_t totalSteps = 0;
    double loss = 0.0;        // mean over the steps since the previous metric
    double lr = 0.0;          // of the weight-decayed group
    double temperature = 0.0; // 1 / exp(logit_scale)
    double imagesPerS = 0.0;  // training steps only (no evaluation, no checkpoints)
    double stepsPerS = 0.0;
    double etaSeconds = -1.0;
    double elapsedSeconds = 0.0; // this session, pauses excluded
    ZeroShotAccuracy evaluation; // set on the steps where the held-out set was evaluated
    bool evaluated = false;
};

// PartialResult{"samples", TrainSamples} after each evaluation: a fixed set of held-out images.
struct TrainSample {
    io::RgbImage image; // 64 x 64
    std::string trueLabel;
    std::string predictedLabel;
    float prob = 0.0f; // of the predicted label
};
struct TrainSamples {
    std::int64_t step = 0;
    std::vector<TrainSample> samples;
};

// Everything but outDir may stay unset (< 0 / empty): the preset (or, on resume, the run) decides.
struct ClipTrainRequest {
    std::string preset;  // "mini" (clip-mini, the embedded default) | "tiny" (tests); "" = mini
    std::string outDir;  // the run folder: the latest checkpoint in HF layout, metrics, events
    bool resume = false; // continue the run in outDir (its config; steps may be raised)

    std::int64_t steps = -1; // total optimiser steps of the run
    std::int64_t batch = -1;
    double lr = -1.0;
    std::int64_t seed = -1;
    std::int64_t width = -1;  // vision tower width (heads keep a head size of 32, or 8 below 64)
    std::int64_t layers = -1; // vision tower depth

    // The data mix: fractions of each batch (renormalised). Fashion-MNIST's share moves to
    // Shapes, with a warning, when its files are missing.
    double fashionFraction = -1.0, singleFraction = -1.0, multiFraction = -1.0;
    std::string fashionMnistDir; // "" = /usr/share/datasets/fashion-mnist

    std::int64_t logEvery = -1;           // metrics.jsonl / TensorBoard / "metric" partial
    std::int64_t evalEvery = -1;          // held-out evaluation + "samples" partial; 0 = only at the end
    std::int64_t checkpointEvery = -1;    // 0 = only at the end (and on cancel / stop)
    std::int64_t evalShapesPerClass = -1; // held-out set sizes
    std::int64_t evalFashion = -1;

    std::string dtype = "auto"; // auto|fp32|bf16: bf16 autocast only where the CPU has native bf16

    std::shared_ptr<TrainControl> control;             // optional: pause / stop
    std::function<void(const TrainMetric &)> onMetric; // optional, on the training thread
};

struct ClipTrainResult {
    std::string outDir;
    std::string preset;
    std::int64_t startStep = 0; // where this session began (0, or the step resumed from)
    std::int64_t steps = 0;     // steps done in total
    std::int64_t totalSteps = 0;
    bool stopped = false; // ended by TrainControl::stop() before totalSteps
    double finalLoss = 0.0;
    double seconds = 0.0; // this session, pauses excluded
    double stepsPerS = 0.0;
    double imagesPerS = 0.0;
    double dataSecondsPerBatch = 0.0; // building one batch on the data thread
    double dataWaitSeconds = 0.0;     // total time steps waited for data (ideally ~0)
    std::string dtype;                // "fp32" | "bf16"
    std::int64_t parameters = 0;
    ZeroShotAccuracy evaluation; // of the last evaluation
    std::vector<std::string> warnings;
};

// Lane::Training. Value: ClipTrainResult. Partials: "metric" (TrainMetric), "samples"
// (TrainSamples), "checkpoint" (std::string, the folder, after each write). Cancel stops between
// steps (or within an evaluation), writes a checkpoint at the current step, then ends as cancelled.
Job makeClipTrainJob(ClipTrainRequest request);

// Zero-shot accuracy of any CLIP checkpoint on a fixed evaluation set: Shapes World single-object
// images of all 24 colour-shape pairs (labels "a {colour} {shape}"), or the Fashion-MNIST test
// split (prompts: the training caption templates, ensembled).
struct ZeroShotEvalRequest {
    std::string model;              // folder or embedded name
    std::string dataset = "shapes"; // "shapes" | "fashion-mnist"
    std::int64_t limit = 0;         // images; 0 = 2,400 Shapes (100 per pair) / all 10,000 Fashion-MNIST; Shapes
                                    // rounds up to a multiple of 24 (the same number of images per pair)
    std::uint64_t seed = 20240;     // Shapes set
    bool augmented = true;          // Shapes drawn with the spec's augmentations
    std::string fashionMnistDir;    // "" = the default folder
    std::string dtype = "auto";
    int batchSize = 128;
};

struct ZeroShotEvalResult {
    std::string dataset;
    std::int64_t images = 0;
    double accuracy = 0.0;
    std::int64_t heldOutImages = 0; // Shapes: the four held-out pairs
    double heldOutAccuracy = -1.0;
    std::vector<std::string> classes;
    std::vector<double> perClassAccuracy;
    std::vector<std::vector<int>> confusion; // [true][predicted]
};

// Runs on the calling thread; ctx (optional) gets progress and may cancel. Throws ml::Error.
ZeroShotEvalResult evaluateZeroShot(const ZeroShotEvalRequest &request, JobContext *ctx = nullptr);
Job makeZeroShotEvalJob(ZeroShotEvalRequest request); // Lane::Inference; value: ZeroShotEvalResult

} // namespace ml
