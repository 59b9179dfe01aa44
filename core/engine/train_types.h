// What every training job shares with whoever drives it (the Training panel, the CLI, tests):
// pause / stop, the streamed "metric" and "samples" partials, held-out zero-shot accuracies.
#pragma once

#include "io/media.h"

#include <atomic>
#include <cstdint>
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
    io::RgbImage image;    // 64 x 64
    std::string trueLabel; // a VQA sample: the expected answer
    std::string predictedLabel;
    float prob = 0.0f;         // of the predicted label (a VQA answer: of its first token)
    std::string question = {}; // a VQA sample's question; "" for classification
};
struct TrainSamples {
    std::int64_t step = 0;
    std::vector<TrainSample> samples;
};

} // namespace ml
