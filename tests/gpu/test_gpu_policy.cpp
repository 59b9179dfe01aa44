// The device / dtype policy (core/engine/compute.h) where CUDA is present: `--device auto
// --dtype auto` (ComputeOptions' defaults, what the GUI and the CLI pass when not told) resolve
// to cuda and fp16 for every workload and every CPU kind; explicit choices are kept; and models
// acquired through the engine's model cache with the resolved names (as the jobs do) land on
// the GPU in float16.
#include "gpu_check.h"

#include "common/error.h"
#include "engine/compute.h"
#include "engine/model_cache.h"
#include "models/blip2/blip2_runtime.h"
#include "models/diffusion/diffusion_loader.h"
#include "models/llava/llava_runtime.h"

#include <torch/torch.h>

#include <string>

using ml::gpucheck::run;

namespace {

const ml::Workload kWorkloads[]
    = {ml::Workload::Clip, ml::Workload::Explain, ml::Workload::Diffusion, ml::Workload::Language};

void resolvesCudaAndFp16()
{
    const ml::ComputeOptions automatic; // device auto, dtype auto
    const auto device = ml::resolveDevice(automatic);
    std::printf("policy: device auto -> %s\n", device.c_str());
    GPU_CHECK(device == "cuda", "device auto resolves to cuda (got " + device + ")");
    for (const auto w : kWorkloads) {
        const auto dtype = ml::resolveDtype(automatic, w);
        std::printf("policy: %s, dtype auto -> %s\n", ml::workloadName(w), dtype.c_str());
        GPU_CHECK(
            dtype == "fp16", std::string(ml::workloadName(w)) + ": dtype auto resolves to fp16 (got " + dtype + ")");
        for (const char *kind : {"avx2", "avx512", "avx512-bf16", "amx"}) {
            const auto d = ml::resolveDtype(automatic, w, ml::cpuKindFrom(kind));
            GPU_CHECK(d == "fp16", std::string(ml::workloadName(w)) + " believing a " + kind + " CPU: " + d);
        }
    }
}

void explicitChoicesKept()
{
    ml::ComputeOptions cpu;
    cpu.device = "cpu";
    GPU_CHECK(ml::resolveDevice(cpu) == "cpu", "device cpu stays cpu");
    GPU_CHECK(ml::resolveDtype(cpu, ml::Workload::Diffusion) == "fp32", "dtype auto on the CPU is never fp16");
    ml::ComputeOptions fp32;
    fp32.dtype = "fp32";
    GPU_CHECK(ml::resolveDevice(fp32) == "cuda" && ml::resolveDtype(fp32) == "fp32", "dtype fp32 on cuda kept");
    ml::ComputeOptions cuda;
    cuda.device = "cuda";
    GPU_CHECK(ml::resolveDevice(cuda) == "cuda", "device cuda accepted where there is one");
    bool refused = false;
    try {
        cpu.dtype = "fp16";
        ml::resolveDtype(cpu);
    } catch (const ml::Error &) {
        refused = true;
    }
    GPU_CHECK(refused, "fp16 on the CPU is still refused");
}

// What a job does with the defaults: resolve, then acquire through the model cache.
void modelsLandOnTheGpu()
{
    const ml::ComputeOptions automatic;
    const auto device = ml::resolveDevice(automatic);
    ml::ModelCache cache;
    const auto fixtures = ml::gpucheck::fixturesDir();

    const auto unet = ml::diffusion::acquireDiffusion(
        cache, fixtures / "ddpm", ml::resolveDtype(automatic, ml::Workload::Diffusion), device);
    GPU_CHECK_PARAMETERS(unet->unet->parameters(), torch::kHalf, "UNet from the cache");

    const auto llava = ml::llava::acquireLlavaRuntime(
        cache, fixtures / "llava", ml::resolveDtype(automatic, ml::Workload::Language), device);
    GPU_CHECK(llava->device().is_cuda() && llava->dtype() == torch::kHalf, "LLaVA runtime: cuda, float16");
    GPU_CHECK_PARAMETERS(llava->model()->parameters(), torch::kHalf, "LLaVA from the cache");

    const auto blip2 = ml::blip2::acquireBlip2Runtime(
        cache, fixtures / "blip2", ml::resolveDtype(automatic, ml::Workload::Language), device);
    GPU_CHECK(blip2->device().is_cuda() && blip2->dtype() == torch::kHalf, "BLIP-2 runtime: cuda, float16");
    GPU_CHECK_PARAMETERS(blip2->model()->parameters(), torch::kHalf, "BLIP-2 from the cache");
}

} // namespace

int main()
{
    ml::gpucheck::skipUnlessCuda();
    for (const char *family : {"ddpm", "llava", "blip2"})
        ml::gpucheck::requireFixture(family);
    run("resolvesCudaAndFp16", resolvesCudaAndFp16);
    run("explicitChoicesKept", explicitChoicesKept);
    run("modelsLandOnTheGpu", modelsLandOnTheGpu);
    return ml::gpucheck::finish();
}
