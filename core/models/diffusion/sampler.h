// A denoising run that can be stepped, inspected and branched: x_t, the model output (ε̂) and
// the predicted clean sample x̂0 at every step, with the noise from one seeded generator or
// injected tensors, so that any run can be replayed or restarted from a stored step exactly.
#pragma once

#include "models/diffusion/scheduler.h"
#include "models/diffusion/unet2d.h"

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace ml::diffusion {

struct StepRecord {
    std::int64_t index = 0;           // 0 .. numSteps - 1
    std::int64_t timestep = 0;        // t
    torch::Tensor sample;             // x_t before the step
    torch::Tensor modelOutput;        // the UNet's output (ε̂ for epsilon prediction)
    torch::Tensor predOriginalSample; // x̂0 (after clipping)
    torch::Tensor noise;              // the noise added (zeros when the step adds none)
};

// The noise of a run with seed S is the stream of one CPU generator seeded with S, exactly as
// diffusers' DDPMPipeline / DDIMPipeline draw it on CPU: x_T first, then one draw per step that
// adds noise. Restarting at step i with seed S' continues as the run with seed S' would have at
// step i (so S' == S reproduces the original run, another seed branches).
class Sampler {
public:
    Sampler(UNet2DModel unet, Scheduler scheduler, std::int64_t numSteps, double eta = 0.0);

    // x_T drawn from the generator seeded with seed: [batch, in_channels, height, width].
    void start(std::uint64_t seed, std::int64_t batch, std::int64_t height, std::int64_t width);
    // x_T given; later noise from the generator seeded with seed (its x_T draw is skipped, so the
    // stream stays the one start(seed, ...) would use).
    void start(const torch::Tensor &initNoise, std::uint64_t seed);
    // Resumes at step `index` (0 .. numSteps) with x_t = sample, the noise from there on the
    // stream seed's run draws at that step (see above): a stored step of any run, or a forward-
    // process x_t to denoise from. History restarts empty (records keep their step index).
    void startAt(const torch::Tensor &sample, std::int64_t index, std::uint64_t seed);
    // Per-step noise given ([numSteps, ...sample shape], row i for step i), instead of the generator.
    void setVarianceNoise(const torch::Tensor &noise);

    std::int64_t numSteps() const { return static_cast<std::int64_t>(m_timesteps.size()); }
    std::int64_t stepIndex() const { return m_index; } // the next step to run
    bool finished() const { return m_index >= numSteps(); }
    const torch::Tensor &current() const { return m_x; } // x_t before the next step; the result when finished
    const std::vector<std::int64_t> &timesteps() const { return m_timesteps; }
    const Scheduler &scheduler() const { return m_scheduler; }
    UNet2DModel &unet() { return m_unet; }
    std::uint64_t seed() const { return m_seed; }
    double eta() const { return m_eta; }

    // Keep every StepRecord (default). Off, step() still returns the last one.
    void setKeepHistory(bool keep) { m_keepHistory = keep; }
    const std::vector<StepRecord> &history() const { return m_history; }

    // Runs the UNet and the scheduler for the next step (under InferenceMode).
    const StepRecord &step();
    // Steps until finished, or until onStep returns false.
    void run(const std::function<bool(const StepRecord &)> &onStep = {});

    // Back to the state before step `index` (a stored step), dropping later records. With a seed,
    // the noise from there on is that seed's stream (see above; injected variance noise is then
    // no longer used); without, the current noise source continues.
    void restartFrom(std::int64_t index, std::optional<std::uint64_t> seed = std::nullopt);

private:
    torch::Tensor drawNoise(); // one generator draw shaped like the sample
    void reseed(std::uint64_t seed, std::int64_t stepsDone);

    UNet2DModel m_unet;
    Scheduler m_scheduler;
    std::vector<std::int64_t> m_timesteps;
    double m_eta;
    std::uint64_t m_seed = 0;
    at::Generator m_generator;
    torch::Tensor m_varianceNoise; // undefined: generator
    std::vector<std::int64_t> m_shape;
    torch::Tensor m_x;
    std::int64_t m_index = 0;
    bool m_started = false;
    bool m_keepHistory = true;
    std::vector<StepRecord> m_history;
    StepRecord m_last;
};

} // namespace ml::diffusion
