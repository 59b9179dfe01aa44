// The step-able sampler: one UNet call and one scheduler step per step, every intermediate kept
// for inspection, and restarts that reproduce or branch a run.
#include "models/diffusion/sampler.h"

#include "common/error.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

namespace ml::diffusion {

Sampler::Sampler(UNet2DModel unet, Scheduler scheduler, std::int64_t numSteps, double eta)
    : m_unet(std::move(unet))
    , m_scheduler(std::move(scheduler))
    , m_eta(eta)
{
    // Above 1, DDIM's noise outweighs what is left of the signal (σ² > 1 − ᾱ_prev) and the sample
    // turns to NaN.
    if (!(eta >= 0.0 && eta <= 1.0))
        throw Error("eta must be in [0, 1] (got " + std::to_string(eta) + ")");
    m_scheduler.setTimesteps(numSteps);
    m_timesteps = m_scheduler.timesteps();
}

torch::Tensor Sampler::drawNoise()
{
    // On the CPU generator in float32, as diffusers' randn_tensor does for a CPU generator.
    return at::randn(m_shape, m_generator, torch::TensorOptions().dtype(torch::kFloat));
}

void Sampler::reseed(std::uint64_t seed, std::int64_t stepsDone)
{
    m_seed = seed;
    m_generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    drawNoise(); // x_T
    for (std::int64_t i = 0; i < stepsDone; ++i)
        if (m_scheduler.addsNoise(m_timesteps[static_cast<std::size_t>(i)], m_eta))
            drawNoise();
}

void Sampler::start(std::uint64_t seed, std::int64_t batch, std::int64_t height, std::int64_t width)
{
    if (batch < 1 || height < 1 || width < 1)
        throw Error("sample shape must be positive (batch " + std::to_string(batch) + ", " + std::to_string(height)
            + "x" + std::to_string(width) + ")");
    m_shape = {batch, m_unet->config().in_channels, height, width};
    m_seed = seed;
    m_generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    m_x = drawNoise();
    m_index = 0;
    m_history.clear();
    m_started = true;
}

void Sampler::start(const torch::Tensor &initNoise, std::uint64_t seed)
{
    if (initNoise.dim() != 4 || initNoise.size(1) != m_unet->config().in_channels)
        throw Error(
            "initial noise must be [batch, " + std::to_string(m_unet->config().in_channels) + ", height, width]");
    m_shape = initNoise.sizes().vec();
    reseed(seed, 0);
    m_x = initNoise.to(torch::kFloat).clone();
    m_index = 0;
    m_history.clear();
    m_started = true;
}

void Sampler::startAt(const torch::Tensor &sample, std::int64_t index, std::uint64_t seed)
{
    if (sample.dim() != 4 || sample.size(1) != m_unet->config().in_channels)
        throw Error("a sample to resume from must be [batch, " + std::to_string(m_unet->config().in_channels)
            + ", height, width] (got " + c10::str(sample.sizes()) + ")");
    if (index < 0 || index > numSteps())
        throw Error("cannot resume at step " + std::to_string(index) + " of " + std::to_string(numSteps()));
    m_shape = sample.sizes().vec();
    m_varianceNoise = torch::Tensor();
    reseed(seed, index);
    m_x = sample.to(torch::kFloat).clone();
    m_index = index;
    m_history.clear();
    m_started = true;
}

void Sampler::setVarianceNoise(const torch::Tensor &noise)
{
    if (!m_started)
        throw Error("variance noise: start the sampler first (its shape follows the sample's)");
    std::vector<std::int64_t> expected {numSteps()};
    expected.insert(expected.end(), m_shape.begin(), m_shape.end());
    if (noise.sizes().vec() != expected)
        throw Error("variance noise has shape " + c10::str(noise.sizes()) + ", expected " + c10::str(expected)
            + " ([steps, ...sample shape])");
    m_varianceNoise = noise.to(torch::kFloat);
}

const StepRecord &Sampler::step()
{
    if (!m_started)
        throw Error("the sampler has not been started");
    if (finished())
        throw Error("the run is finished (" + std::to_string(numSteps()) + " steps)");
    c10::InferenceMode guard;
    const std::int64_t t = m_timesteps[static_cast<std::size_t>(m_index)];
    const auto param = m_unet->parameters().front();
    const auto x = m_x.to(param.device());
    const auto timestep = torch::tensor(t, torch::TensorOptions().dtype(torch::kLong).device(param.device()));
    const auto modelOutput = m_unet->forward(x.to(param.scalar_type()), timestep).to(torch::kFloat);

    torch::Tensor noise;
    if (m_scheduler.addsNoise(t, m_eta))
        noise = m_varianceNoise.defined() ? m_varianceNoise[m_index] : drawNoise();
    const auto out = m_scheduler.step(
        modelOutput, t, x.to(torch::kFloat), m_eta, noise.defined() ? noise.to(modelOutput.device()) : noise);

    StepRecord rec;
    rec.index = m_index;
    rec.timestep = t;
    rec.sample = m_x;
    rec.modelOutput = modelOutput;
    rec.predOriginalSample = out.predOriginalSample;
    rec.noise = noise.defined() ? noise : torch::zeros(m_shape, torch::TensorOptions().dtype(torch::kFloat));
    m_x = out.prevSample;
    ++m_index;
    if (m_keepHistory) {
        m_history.push_back(std::move(rec));
        return m_history.back();
    }
    m_last = std::move(rec);
    return m_last;
}

void Sampler::run(const std::function<bool(const StepRecord &)> &onStep)
{
    while (!finished()) {
        const auto &rec = step();
        if (onStep && !onStep(rec))
            return;
    }
}

void Sampler::restartFrom(std::int64_t index, std::optional<std::uint64_t> seed)
{
    // The history starts at step 0, or where startAt() resumed.
    const std::int64_t first = m_history.empty() ? 0 : m_history.front().index;
    if (index < first || index >= first + static_cast<std::int64_t>(m_history.size()))
        throw Error("cannot restart from step " + std::to_string(index) + ": " + std::to_string(m_history.size())
            + " steps are stored");
    m_x = m_history[static_cast<std::size_t>(index - first)].sample;
    m_history.resize(static_cast<std::size_t>(index - first));
    m_index = index;
    if (seed) {
        m_varianceNoise = torch::Tensor();
        reseed(*seed, index);
    } else if (!m_varianceNoise.defined()) {
        reseed(m_seed, index);
    }
}

} // namespace ml::diffusion
