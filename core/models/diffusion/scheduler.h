// DDPM and DDIM schedulers as diffusers computes them: float32 tables, timestep spacing and one
// reverse step, with the noise passed in so that a run can be replayed exactly.
#pragma once

#include "models/diffusion/diffusion_config.h"

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ml::diffusion {

enum class SchedulerKind { Ddpm, Ddim };
SchedulerKind schedulerKindFromName(const std::string &name); // "ddpm" | "ddim"; throws ml::Error
std::string schedulerKindName(SchedulerKind kind);            // "ddpm" | "ddim"
// DDIMScheduler -> Ddim, anything else (DDPMScheduler, absent) -> Ddpm.
SchedulerKind schedulerKindFromClassName(const std::string &className);

struct StepOutput {
    torch::Tensor prevSample;         // x_{t-1}
    torch::Tensor predOriginalSample; // x̂0 after clipping / thresholding
};

// Ref: diffusers/schedulers/scheduling_ddpm.py (DDPMScheduler) and scheduling_ddim.py (DDIMScheduler)
class Scheduler {
public:
    Scheduler(SchedulerConfig cfg, SchedulerKind kind); // throws ml::Error for an unusable config

    SchedulerKind kind() const { return m_kind; }
    const SchedulerConfig &config() const { return m_cfg; }
    const torch::Tensor &betas() const { return m_betas; } // [T] float32
    const torch::Tensor &alphas() const { return m_alphas; }
    const torch::Tensor &alphasCumprod() const { return m_alphasCumprod; }
    float alphaCumprod(std::int64_t t) const; // ᾱ_t; for t < 0 DDPM's 1 and DDIM's final_alpha_cumprod

    // Inference timesteps as diffusers' set_timesteps(n) with config.timestep_spacing.
    void setTimesteps(std::int64_t numInferenceSteps);
    const std::vector<std::int64_t> &timesteps() const { return m_timesteps; }
    std::int64_t numInferenceSteps() const { return static_cast<std::int64_t>(m_timesteps.size()); }
    std::int64_t previousTimestep(std::int64_t t) const; // t - T / n

    // Whether step() at t adds noise, so needs a noise tensor: DDPM for t > 0, DDIM for eta > 0.
    bool addsNoise(std::int64_t t, double eta) const;
    // DDPM's _get_variance(t) (fixed_small is clamped at 1e-20; fixed_small_log is already a std).
    float variance(std::int64_t t) const;

    // One reverse step. noise: standard normal, shaped like sample, required when addsNoise(t, eta)
    // (ignored otherwise); eta is DDIM's (DDPM ignores it).
    StepOutput step(const torch::Tensor &modelOutput, std::int64_t t, const torch::Tensor &sample, double eta,
        const torch::Tensor &noise) const;

    // The forward process q(x_t | x_0): sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) noise.
    torch::Tensor addNoise(const torch::Tensor &original, const torch::Tensor &noise, std::int64_t t) const;

private:
    torch::Tensor predictOriginal(const torch::Tensor &modelOutput, const torch::Tensor &sample, float alphaProdT,
        torch::Tensor *predEpsilon) const;
    torch::Tensor clipOrThreshold(torch::Tensor x0) const;

    SchedulerConfig m_cfg;
    SchedulerKind m_kind;
    torch::Tensor m_betas, m_alphas, m_alphasCumprod;
    std::vector<float> m_alphasCumprodHost;
    float m_finalAlphaCumprod = 1.0f;
    std::vector<std::int64_t> m_timesteps;
    std::int64_t m_numInferenceSteps = 0;
};

} // namespace ml::diffusion
