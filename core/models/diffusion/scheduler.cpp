// DDPM / DDIM: beta schedules, timestep spacing and the reverse step. Scalars are float32 and
// combined in diffusers' order, so tables and steps match the reference to the last bit or so.
#include "models/diffusion/scheduler.h"

#include "common/error.h"

#include <ATen/ATen.h>

#include <cmath>

namespace ml::diffusion {

SchedulerKind schedulerKindFromName(const std::string &name)
{
    if (name == "ddpm")
        return SchedulerKind::Ddpm;
    if (name == "ddim")
        return SchedulerKind::Ddim;
    throw Error("unknown scheduler '" + name + "' (expected ddpm or ddim)");
}

std::string schedulerKindName(SchedulerKind kind)
{
    return kind == SchedulerKind::Ddim ? "ddim" : "ddpm";
}

SchedulerKind schedulerKindFromClassName(const std::string &className)
{
    return className == "DDIMScheduler" ? SchedulerKind::Ddim : SchedulerKind::Ddpm;
}

namespace {

// Ref: diffusers/schedulers/scheduling_ddpm.py, betas_for_alpha_bar (cosine, max_beta 0.999), in float64.
torch::Tensor cosineBetas(std::int64_t T)
{
    const auto alphaBar = [](double t) {
        const double c = std::cos((t + 0.008) / 1.008 * M_PI / 2);
        return c * c;
    };
    std::vector<double> betas(static_cast<std::size_t>(T));
    for (std::int64_t i = 0; i < T; ++i) {
        const double t1 = static_cast<double>(i) / static_cast<double>(T);
        const double t2 = static_cast<double>(i + 1) / static_cast<double>(T);
        betas[static_cast<std::size_t>(i)] = std::min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
    }
    return torch::tensor(betas, torch::kDouble).to(torch::kFloat);
}

// Ref: diffusers rescale_zero_terminal_snr (Lin et al. 2023, Algorithm 1).
torch::Tensor rescaleZeroTerminalSnr(const torch::Tensor &betas)
{
    auto alphasBarSqrt = torch::cumprod(1.0 - betas, 0).sqrt();
    const auto first = alphasBarSqrt[0].clone();
    const auto last = alphasBarSqrt[-1].clone();
    alphasBarSqrt = (alphasBarSqrt - last) * (first / (first - last));
    const auto alphasBar = alphasBarSqrt.pow(2);
    const auto alphas = at::cat({alphasBar.slice(0, 0, 1), alphasBar.slice(0, 1) / alphasBar.slice(0, 0, -1)});
    return 1 - alphas;
}

} // namespace

Scheduler::Scheduler(SchedulerConfig cfg, SchedulerKind kind) : m_cfg(std::move(cfg)), m_kind(kind)
{
    auto problems = m_cfg.validate();
    if (kind == SchedulerKind::Ddpm && m_cfg.variance_type != "fixed_small" && m_cfg.variance_type != "fixed_small_log"
        && m_cfg.variance_type != "fixed_large")
        problems.push_back("variance_type '" + m_cfg.variance_type
            + "' is not supported (supported: fixed_small, fixed_small_log, fixed_large)");
    if (!problems.empty()) {
        std::string msg = "invalid scheduler config:";
        for (const auto &p : problems)
            msg += "\n  " + p;
        throw Error(msg);
    }
    const std::int64_t T = m_cfg.num_train_timesteps;
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat);
    if (!m_cfg.trained_betas.empty())
        m_betas = torch::tensor(m_cfg.trained_betas, torch::kDouble).to(torch::kFloat);
    else if (m_cfg.beta_schedule == "linear")
        m_betas = torch::linspace(m_cfg.beta_start, m_cfg.beta_end, T, f32);
    else if (m_cfg.beta_schedule == "scaled_linear")
        m_betas = torch::linspace(std::sqrt(m_cfg.beta_start), std::sqrt(m_cfg.beta_end), T, f32).pow(2);
    else if (m_cfg.beta_schedule == "squaredcos_cap_v2")
        m_betas = cosineBetas(T);
    else // sigmoid
        m_betas
            = torch::sigmoid(torch::linspace(-6, 6, T, f32)) * (m_cfg.beta_end - m_cfg.beta_start) + m_cfg.beta_start;
    if (m_cfg.rescale_betas_zero_snr)
        m_betas = rescaleZeroTerminalSnr(m_betas);
    m_alphas = 1.0 - m_betas;
    m_alphasCumprod = torch::cumprod(m_alphas, 0);
    if (m_cfg.rescale_betas_zero_snr) // diffusers: a tiny ᾱ_T instead of 0 keeps the first step finite
        m_alphasCumprod[-1] = std::pow(2.0, -24);
    const auto host = m_alphasCumprod.contiguous();
    m_alphasCumprodHost.assign(host.data_ptr<float>(), host.data_ptr<float>() + T);
    m_finalAlphaCumprod = (kind == SchedulerKind::Ddim && !m_cfg.set_alpha_to_one) ? m_alphasCumprodHost.front() : 1.0f;
    setTimesteps(T);
    m_numInferenceSteps = 0; // until set_timesteps: DDPM steps t -> t - 1
}

float Scheduler::alphaCumprod(std::int64_t t) const
{
    if (t < 0)
        return m_kind == SchedulerKind::Ddim ? m_finalAlphaCumprod : 1.0f;
    TORCH_CHECK(t < static_cast<std::int64_t>(m_alphasCumprodHost.size()), "timestep ", t, " out of range");
    return m_alphasCumprodHost[static_cast<std::size_t>(t)];
}

void Scheduler::setTimesteps(std::int64_t n)
{
    const std::int64_t T = m_cfg.num_train_timesteps;
    if (n < 1 || n > T)
        throw Error("number of steps " + std::to_string(n) + " is out of range (1 to the scheduler's "
            + std::to_string(T) + " training timesteps)");
    m_numInferenceSteps = n;
    m_timesteps.clear();
    if (m_cfg.timestep_spacing == "leading") {
        const std::int64_t ratio = T / n;
        for (std::int64_t i = n - 1; i >= 0; --i)
            m_timesteps.push_back(i * ratio + m_cfg.steps_offset);
    } else if (m_cfg.timestep_spacing == "trailing") {
        // np.round(np.arange(T, 0, -T / n)) - 1; np.round rounds half to even, as nearbyint does.
        const double ratio = static_cast<double>(T) / static_cast<double>(n);
        const auto count = static_cast<std::int64_t>(std::ceil(static_cast<double>(T) / ratio));
        for (std::int64_t i = 0; i < count; ++i)
            m_timesteps.push_back(static_cast<std::int64_t>(std::nearbyint(static_cast<double>(T) - i * ratio)) - 1);
    } else { // linspace: np.linspace(0, T - 1, n).round()[::-1]
        const double step = n > 1 ? static_cast<double>(T - 1) / static_cast<double>(n - 1) : 0.0;
        for (std::int64_t i = n - 1; i >= 0; --i)
            m_timesteps.push_back(i == n - 1 && n > 1 ? T - 1 : static_cast<std::int64_t>(std::nearbyint(i * step)));
    }
}

std::int64_t Scheduler::previousTimestep(std::int64_t t) const
{
    const std::int64_t n = m_numInferenceSteps > 0 ? m_numInferenceSteps : m_cfg.num_train_timesteps;
    return t - m_cfg.num_train_timesteps / n;
}

bool Scheduler::addsNoise(std::int64_t t, double eta) const
{
    return m_kind == SchedulerKind::Ddpm ? t > 0 : eta > 0;
}

float Scheduler::variance(std::int64_t t) const
{
    const float alphaProdT = alphaCumprod(t);
    const float alphaProdPrev = alphaCumprod(previousTimestep(t));
    const float currentBeta = 1.0f - alphaProdT / alphaProdPrev;
    if (m_cfg.variance_type == "fixed_large")
        return currentBeta;
    const float v = std::max((1.0f - alphaProdPrev) / (1.0f - alphaProdT) * currentBeta, 1e-20f);
    if (m_cfg.variance_type == "fixed_small_log")
        return std::exp(0.5f * std::log(v));
    return v;
}

torch::Tensor Scheduler::predictOriginal(
    const torch::Tensor &modelOutput, const torch::Tensor &sample, float alphaProdT, torch::Tensor *predEpsilon) const
{
    const float betaProdT = 1.0f - alphaProdT;
    const double sqrtAlpha = std::sqrt(alphaProdT), sqrtBeta = std::sqrt(betaProdT);
    torch::Tensor x0;
    if (m_cfg.prediction_type == "epsilon") {
        x0 = (sample - modelOutput * sqrtBeta) / sqrtAlpha;
        if (predEpsilon)
            *predEpsilon = modelOutput;
    } else if (m_cfg.prediction_type == "sample") {
        x0 = modelOutput;
        if (predEpsilon)
            *predEpsilon = (sample - x0 * sqrtAlpha) / sqrtBeta;
    } else { // v_prediction
        x0 = sample * sqrtAlpha - modelOutput * sqrtBeta;
        if (predEpsilon)
            *predEpsilon = modelOutput * sqrtAlpha + sample * sqrtBeta;
    }
    return x0;
}

torch::Tensor Scheduler::clipOrThreshold(torch::Tensor x0) const
{
    if (m_cfg.thresholding) {
        // Ref: diffusers _threshold_sample (Imagen's dynamic thresholding), per sample.
        const auto dtype = x0.scalar_type();
        const auto shape = x0.sizes().vec();
        auto flat = x0.to(torch::kFloat).reshape({shape[0], -1});
        auto s = torch::quantile(flat.abs(), m_cfg.dynamic_thresholding_ratio, 1);
        s = s.clamp(1.0, m_cfg.sample_max_value).unsqueeze(1);
        return (at::clamp(flat, -s, s) / s).reshape(shape).to(dtype);
    }
    if (m_cfg.clip_sample)
        return x0.clamp(-m_cfg.clip_sample_range, m_cfg.clip_sample_range);
    return x0;
}

StepOutput Scheduler::step(const torch::Tensor &modelOutput, std::int64_t t, const torch::Tensor &sample, double eta,
    const torch::Tensor &noise) const
{
    TORCH_CHECK(
        modelOutput.sizes() == sample.sizes(), "model output ", modelOutput.sizes(), " vs sample ", sample.sizes());
    const bool noisy = addsNoise(t, eta);
    if (noisy)
        TORCH_CHECK(noise.defined() && noise.sizes() == sample.sizes(), "step at t=", t, " needs noise shaped ",
            sample.sizes());
    const std::int64_t prevT = previousTimestep(t);
    const float alphaProdT = alphaCumprod(t);
    const float alphaProdPrev = alphaCumprod(prevT);
    const float betaProdT = 1.0f - alphaProdT;
    const float betaProdPrev = 1.0f - alphaProdPrev;

    if (m_kind == SchedulerKind::Ddpm) {
        const float currentAlpha = alphaProdT / alphaProdPrev;
        const float currentBeta = 1.0f - currentAlpha;
        auto x0 = clipOrThreshold(predictOriginal(modelOutput, sample, alphaProdT, nullptr));
        const float x0Coeff = std::sqrt(alphaProdPrev) * currentBeta / betaProdT;
        const float xtCoeff = std::sqrt(currentAlpha) * betaProdPrev / betaProdT;
        auto prev = x0 * static_cast<double>(x0Coeff) + sample * static_cast<double>(xtCoeff);
        if (noisy) {
            const float v = variance(t);
            const float stddev = m_cfg.variance_type == "fixed_small_log" ? v : std::sqrt(v);
            prev = prev + noise.to(prev.scalar_type()) * static_cast<double>(stddev);
        }
        return {prev, x0};
    }

    // DDIM (use_clipped_model_output = False: ε is not re-derived from the clipped x0).
    torch::Tensor eps;
    auto x0 = clipOrThreshold(predictOriginal(modelOutput, sample, alphaProdT, &eps));
    const float var = (betaProdPrev / betaProdT) * (1.0f - alphaProdT / alphaProdPrev);
    const float stddev = static_cast<float>(eta) * std::sqrt(var);
    const float dirCoeff = std::sqrt(1.0f - alphaProdPrev - stddev * stddev);
    auto prev = x0 * static_cast<double>(std::sqrt(alphaProdPrev)) + eps * static_cast<double>(dirCoeff);
    if (noisy)
        prev = prev + noise.to(prev.scalar_type()) * static_cast<double>(stddev);
    return {prev, x0};
}

torch::Tensor Scheduler::addNoise(const torch::Tensor &original, const torch::Tensor &noise, std::int64_t t) const
{
    const float a = alphaCumprod(t);
    return original * static_cast<double>(std::sqrt(a)) + noise * static_cast<double>(std::sqrt(1.0f - a));
}

} // namespace ml::diffusion
