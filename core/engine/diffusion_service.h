// DDPM / DDIM denoising as the GUI and the CLI see it: std value types in and out, one engine
// job per run (progress per step, cancel between steps), and the `bench ddpm` figures.
#pragma once

#include "engine/clip_service.h" // ComputeOptions
#include "engine/engine.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ml {

struct DenoiseRequest {
    std::string model;     // checkpoint folder (flat or pipeline) or embedded name
    std::string scheduler; // "ddpm" | "ddim" | "" (the checkpoint's scheduler_config.json class)
    int steps = 0;         // 0: diffusers' pipeline defaults, 1000 for DDPM and 50 for DDIM
    double eta = 0.0;      // DDIM only
    std::uint64_t seed = 0;
    int batch = 1;
    int height = 0, width = 0; // 0: the config's sample_size
    // .safetensors files: tensor init_noise [batch, C, H, W]; tensor variance_noise
    // [steps, ...sample shape], used in step order instead of fresh noise.
    std::string initNoiseFile, varianceNoiseFile;
    // Outputs: timesteps, sample / model_output / pred_original_sample [steps, ...], final; a PNG
    // grid of x_t and x̂0 at up to 10 steps.
    std::string trajectoryFile, pngFile;
    // An animation of the first sample (.gif, .mp4, .mkv, .mov, .webm; io/animation_export.h):
    // one frame per step showing x_t | x̂0 side by side, then the result | the result; written
    // after the run (progress stage "writing video"). fps <= 0: steps / 4 within [2, 30].
    std::string videoFile;
    double fps = 0.0;
    bool streamPreviews = false; // PartialResult "denoise-step" (DenoiseStep) after every step
    ComputeOptions compute;
};

// One step for a live view: the first sample of the batch, [C, H, W] row-major float32.
struct DenoiseStep {
    int index = 0, total = 0;
    std::int64_t timestep = 0;
    int channels = 0, height = 0, width = 0;
    std::vector<float> sample, modelOutput, predOriginalSample; // empty unless streamPreviews
};

struct DenoiseResult {
    std::string modelName;
    std::string scheduler; // "ddpm" | "ddim"
    int steps = 0;
    double eta = 0.0;
    std::uint64_t seed = 0;
    std::vector<std::int64_t> timesteps;
    std::vector<std::int64_t> shape; // [batch, C, H, W]
    std::vector<float> final;        // the generated samples, roughly in [-1, 1]
    std::string dtype, device;
    double seconds = 0.0;   // the denoising loop
    double msPerStep = 0.0; // UNet + scheduler
    std::vector<std::string> warnings;
};

Job makeDenoiseJob(DenoiseRequest request); // value: DenoiseResult; partials "denoise-step"

// `modallens-cli bench ddpm`: UNet forward + scheduler step at batch N, either a checkpoint or a
// shape built with random weights from a reference config ("ddpm-cifar10-32").
struct DdpmBenchOptions {
    std::string model; // a checkpoint, or empty with shape
    std::string shape; // "ddpm-cifar10-32", or a UNet config.json to build with random weights
    int batch = 1;
    double seconds = 10.0; // timed loop runs at least this long (and 3 steps)
    ComputeOptions compute;
};

struct DdpmBenchResult {
    double msPerStep = 0.0; // UNet + scheduler step, history kept (x_t, ε̂, x̂0 per step)
    double msUnet = 0.0;    // the UNet forward alone
    double msScheduler = 0.0;
    double msPreview = 0.0; // turning x̂0 into an 8-bit preview image (what a live view adds)
    int batch = 0;
    int steps = 0; // timed steps
    std::string dtype, device, name;
    std::int64_t parameters = 0;
    int resolution = 0;
    int threads = 0;
};

Job makeDdpmBenchJob(DdpmBenchOptions options); // value: DdpmBenchResult

// The UNet config.json of a named shape ("ddpm-cifar10-32": google/ddpm-cifar10-32's, 35,746,307
// parameters), as JSON text; throws ml::Error for an unknown name.
std::string ddpmShapeConfig(const std::string &shape);

} // namespace ml
