// UNet2D + DDPM / DDIM on CUDA against the golden fixtures (fixtures/ddpm, diffusers 0.27): time
// embeddings, UNet outputs and the four 10-step trajectories (with the fixture's injected noise)
// in float32 within the manifest's tolerances, as tests/test_diffusion.cpp checks them on the
// CPU; then the same trajectories with the UNet in float16, against float32 on CUDA.
#include "gpu_check.h"

#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/diffusion/diffusion_loader.h"
#include "models/diffusion/sampler.h"
#include "models/diffusion/scheduler.h"

#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace ml::diffusion;
using ml::gpucheck::run;

namespace {

// Half precision against float32. One UNet forward on the fixture's input: cosine >= 0.9999 (bf16
// gives 0.9999 on the CPU; fp16 keeps 3 more mantissa bits). A 10-step trajectory compounds the
// rounding, DDIM's most (x0 = (x - sqrt(1 - a) eps) / sqrt(a) divides by sqrt(a) ~ 0.01 early on):
// bf16 on this project's CPU (LibTorch 1.13) ends that far from float32:
struct HalfDrift {
    const char *trajectory;
    double maxDiff;   // max |bf16 - fp32| over every step's x_t and the result
    double finalMean; // mean |bf16 - fp32| of the result
};
constexpr HalfDrift kBf16CpuDrift[] = {
    {"ddpm_fixed_small", 0.065, 0.0025},
    {"ddpm_fixed_large", 0.093, 0.0019},
    {"ddim_eta0", 0.68, 0.12},
    {"ddim_eta0p5", 0.31, 0.019},
};
// fp16 rounds 8x finer than bf16, so its drift should be ~1/8 of bf16's. Asserted: at most half of
// what bf16 drifts on the same GPU in the same run, and under the CPU figures above (a broken half
// path, wrong casts or overflow, gives O(1) differences or non-finite values).
constexpr double kFp16OverBf16 = 0.5;
constexpr double kUnetFp16Cosine = 0.9999;

const torch::Device kCuda(torch::kCUDA);
const char *const kTrajectories[] = {"ddpm_fixed_small", "ddpm_fixed_large", "ddim_eta0", "ddim_eta0p5"};

struct Fixture {
    fs::path dir;
    nlohmann::json manifest;
    std::shared_ptr<ml::io::SafetensorsFile> expected;
    torch::Tensor tensor(const std::string &name) const { return expected->tensor(name); }
};

Scheduler fixtureScheduler(const Fixture &f, const std::string &trajectory)
{
    const std::string folder = trajectory.rfind("ddim", 0) == 0 ? "scheduler_ddim" : "scheduler_" + trajectory;
    const auto cfg = SchedulerConfig::fromJson(ml::io::readJsonFile(f.dir / folder / "scheduler_config.json"));
    return Scheduler(cfg, schedulerKindFromClassName(cfg.class_name));
}

double fixtureEta(const std::string &trajectory)
{
    return trajectory == "ddim_eta0p5" ? 0.5 : 0.0;
}

struct Trajectory {
    std::vector<std::int64_t> timesteps;
    torch::Tensor samples, outputs, preds, noises, final; // [steps, ...] on the CPU; final [1, 3, H, W]
    bool finalOnCuda = false;
};

// The fixture's run with its initial and per-step noise, every record brought to the CPU.
Trajectory runTrajectory(const Fixture &f, const UNet2DModel &unet, const std::string &name)
{
    Sampler sampler(unet, fixtureScheduler(f, name), 10, fixtureEta(name));
    sampler.start(f.tensor("init_noise"), 0);
    sampler.setVarianceNoise(f.tensor(name + ".variance_noise"));
    sampler.run();
    std::vector<torch::Tensor> samples, outputs, preds, noises;
    for (const auto &r : sampler.history()) {
        samples.push_back(r.sample.to(torch::kCPU));
        outputs.push_back(r.modelOutput.to(torch::kCPU));
        preds.push_back(r.predOriginalSample.to(torch::kCPU));
        noises.push_back(r.noise.to(torch::kCPU));
    }
    Trajectory t;
    t.timesteps = sampler.timesteps();
    t.samples = torch::stack(samples);
    t.outputs = torch::stack(outputs);
    t.preds = torch::stack(preds);
    t.noises = torch::stack(noises);
    t.finalOnCuda = sampler.current().device().is_cuda();
    t.final = sampler.current().to(torch::kCPU);
    return t;
}

void timeEmbeddingsAndUnet(const Fixture &f, LoadedDiffusion &model)
{
    c10::InferenceMode guard;
    const auto &m = f.manifest;
    for (const std::int64_t t : {0, 500, 999}) {
        const auto ts = torch::tensor(t).to(kCuda);
        const std::string suffix = "_t" + std::to_string(t);
        const auto proj = model.unet->timeProjection(ts, 2);
        GPU_CHECK_ON_CUDA(proj, "time projection" + suffix);
        GPU_CHECK_GOLDEN(m, proj, f.tensor("time_proj" + suffix), "time_proj" + suffix, "time_proj" + suffix);
        GPU_CHECK_GOLDEN(m, model.unet->timeEmbedding(proj), f.tensor("time_embedding" + suffix),
            "time_embedding" + suffix, "time_embedding" + suffix);
        const auto out = model.unet->forward(f.tensor("unet_input_sample").to(kCuda), ts);
        GPU_CHECK_ON_CUDA(out, "unet output" + suffix);
        GPU_CHECK_GOLDEN(m, out, f.tensor("unet_output" + suffix), "unet_output" + suffix, "unet_output" + suffix);
    }
}

void trajectoriesMatchReference(const Fixture &f, const LoadedDiffusion &model)
{
    const auto &m = f.manifest;
    for (const std::string name : kTrajectories) {
        const auto t = runTrajectory(f, model.unet, name);
        GPU_CHECK(t.finalOnCuda, name + ": the run's state stayed on CUDA");
        GPU_CHECK_EQUAL(torch::tensor(t.timesteps), f.tensor(name + ".timesteps"), name + ".timesteps");
        GPU_CHECK_GOLDEN(m, t.samples, f.tensor(name + ".sample"), name + ".sample", name + ".sample");
        GPU_CHECK_GOLDEN(
            m, t.outputs, f.tensor(name + ".model_output"), name + ".model_output", name + ".model_output");
        GPU_CHECK_GOLDEN(m, t.preds, f.tensor(name + ".pred_original_sample"), name + ".pred_original_sample",
            name + ".pred_original_sample");
        GPU_CHECK_GOLDEN(m, t.final, f.tensor(name + ".final"), name + ".final", name + ".final");
        if (name != "ddim_eta0") // eta 0 takes no noise; the others record exactly what they added
            GPU_CHECK_EQUAL(t.noises, f.tensor(name + ".variance_noise"), name + ": the noise added");
    }
}

void fp16CloseToFp32(const Fixture &f, LoadedDiffusion &fp32)
{
    auto fp16 = loadDiffusion(f.dir, torch::kHalf, kCuda);
    auto bf16 = loadDiffusion(f.dir, torch::kBFloat16, kCuda);
    GPU_CHECK_PARAMETERS(fp16.unet->parameters(), torch::kHalf, "UNet fp16");
    GPU_CHECK_PARAMETERS(bf16.unet->parameters(), torch::kBFloat16, "UNet bf16");
    {
        c10::InferenceMode guard;
        const auto x = f.tensor("unet_input_sample").to(kCuda);
        for (const std::int64_t t : {0, 500, 999}) {
            const auto ts = torch::tensor(t).to(kCuda);
            const auto out16 = fp16.unet->forward(x, ts), out32 = fp32.unet->forward(x, ts);
            GPU_CHECK(out16.scalar_type() == torch::kHalf, "fp16 UNet computes in float16");
            GPU_CHECK_COSINE(out16.to(torch::kFloat), out32, kUnetFp16Cosine,
                "UNet output t=" + std::to_string(t) + " fp16 vs fp32");
        }
    }
    for (const auto &cpu : kBf16CpuDrift) {
        const std::string name = cpu.trajectory;
        const auto a = runTrajectory(f, fp32.unet, name);
        const auto drift = [&](const Trajectory &b) {
            const double steps = (b.samples - a.samples).abs().max().item<double>();
            const auto last = (b.final - a.final).abs();
            return std::pair {std::max(steps, last.max().item<double>()), last.mean().item<double>()};
        };
        const auto [max16, mean16] = drift(runTrajectory(f, fp16.unet, name));
        const auto [maxBf, meanBf] = drift(runTrajectory(f, bf16.unet, name));
        char buf[400];
        std::snprintf(buf, sizeof buf,
            "%s vs fp32: fp16 max |diff| %.4g, final mean %.4g; bf16 max %.4g, mean %.4g (fp16 <= %.1f x bf16, "
            "and < %.3g / %.3g)",
            name.c_str(), max16, mean16, maxBf, meanBf, kFp16OverBf16, cpu.maxDiff, cpu.finalMean);
        GPU_CHECK(std::isfinite(max16) && std::isfinite(maxBf) && max16 <= kFp16OverBf16 * maxBf
                && mean16 <= kFp16OverBf16 * meanBf && max16 < cpu.maxDiff && mean16 < cpu.finalMean,
            buf);
    }
}

} // namespace

int main()
{
    ml::gpucheck::skipUnlessCuda();
    Fixture f;
    f.dir = ml::gpucheck::requireFixture("ddpm");
    f.manifest = ml::gpucheck::readManifest(f.dir);
    f.expected = ml::io::SafetensorsFile::open(f.dir / "expected.safetensors");
    ml::gpucheck::strictFloat32();
    auto model = loadDiffusion(f.dir, torch::kFloat, kCuda);
    GPU_CHECK_PARAMETERS(model.unet->parameters(), torch::kFloat, "UNet fp32");
    run("timeEmbeddingsAndUnet", [&] { timeEmbeddingsAndUnet(f, model); });
    run("trajectoriesMatchReference", [&] { trajectoriesMatchReference(f, model); });
    run("fp16CloseToFp32", [&] { fp16CloseToFp32(f, model); });
    return ml::gpucheck::finish();
}
