// An interactive denoising session, as the Diffusion panel drives it: one model and one sampler
// configuration (scheduler, steps, eta), any number of runs over it (a seed's run, a branch from
// a step of another run with a new seed, a reconstruction of a noised image), every step kept as
// 8-bit previews within a history budget and, for the newest runs within a memory budget, as full
// float tensors.
// Std value types only: ui/ includes this file, never LibTorch.
//
// Thread-safety: the compute jobs (open, run, forward image, reconstruct) run on an engine
// worker and take the session's compute lock for their whole length (one at a time); the data
// (runs, previews, tensors, the forward image) sits behind a second lock that is held only to
// copy in or out, so the GUI thread reading a stored step never waits for a UNet call.
#pragma once

#include "engine/clip_service.h" // ComputeOptions
#include "engine/engine.h"
#include "io/media.h" // RgbImage (a plain struct)

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml {

struct DenoiseSessionConfig {
    std::string model = "ddpm-mini"; // checkpoint folder (flat or pipeline) or embedded name
    std::string scheduler = "ddpm";  // "ddpm" | "ddim"
    int steps = 0;                   // 0: 1000 (the train timesteps) for DDPM, 50 for DDIM
    double eta = 0.0;                // DDIM only
    ComputeOptions compute;
};

// A float image [channels, height, width], row-major, as the model sees it (roughly [-1, 1]).
struct FloatImage {
    int channels = 0, height = 0, width = 0;
    std::vector<float> data;
    bool empty() const { return data.empty(); }
};

// β_t, ᾱ_t and SNR_t = ᾱ_t / (1 - ᾱ_t), over every train timestep t (index t) and at the
// inference steps (index i, at timesteps[i]).
struct ScheduleTables {
    std::vector<std::int64_t> timesteps;
    std::vector<double> beta, alphaBar, snr;                // per inference step
    std::vector<double> trainBeta, trainAlphaBar, trainSnr; // per train timestep
};

// A step's pictures, 8-bit RGB at the model's resolution: x_t and x̂0 map [-1, 1] to [0, 255];
// the model output ε̂ maps [-kEpsRange, kEpsRange] (it is roughly standard normal).
struct StepPreviews {
    int run = 0, index = 0;
    std::int64_t timestep = 0;
    io::RgbImage sample, modelOutput, predOriginal;
};
constexpr double kEpsRange = 3.0;

// The session jobs' partial results (PartialResult::kind), one spelling for the jobs and the views.
inline constexpr const char *kDenoiseSessionOpenKind = "denoise-session-open"; // DenoiseSessionInfo
inline constexpr const char *kDenoiseSessionRunKind = "denoise-session-run";   // DenoiseRunStarted
inline constexpr const char *kDenoiseSessionStepKind = "denoise-session-step"; // DenoiseSessionStep

// What the last step of a run job reports (PartialResult kDenoiseSessionStepKind).
struct DenoiseSessionStep {
    StepPreviews previews;
    int total = 0;          // steps of the configuration
    double msPerStep = 0.0; // mean over the job so far
};

struct DenoiseRunInfo {
    enum class Origin { Seed, Branch, Reconstruction };
    int id = 0;
    Origin origin = Origin::Seed;
    std::uint64_t seed = 0;
    int parent = -1;   // Branch: the run branched from
    int firstStep = 0; // Branch, Reconstruction: the step it starts at (earlier steps: the parent's, or none)
    int stepsDone = 0; // steps computed: the run is at step index stepsDone
    bool finished = false;
    bool hasTensors = true; // its own steps' float tensors are kept
    std::int64_t tensorBytes = 0;
    std::int64_t previewBytes = 0; // its own steps' previews and its x
    std::string imageName;         // Reconstruction: the image it started from
};

struct DenoiseSessionInfo {
    std::string modelName, modelPath;
    std::int64_t parameters = 0;
    int channels = 0, height = 0, width = 0;
    std::string scheduler; // "ddpm" | "ddim"
    int steps = 0;
    double eta = 0.0;
    std::string predictionType;
    std::int64_t trainTimesteps = 0;
    std::string dtype, device;
    std::vector<std::string> warnings;
};

class DenoiseSession {
public:
    static constexpr std::int64_t kDefaultBudgetBytes = 256LL << 20;
    static constexpr std::int64_t kDefaultHistoryBytes = 128LL << 20;

    DenoiseSession();
    ~DenoiseSession();
    DenoiseSession(const DenoiseSession &) = delete;
    DenoiseSession &operator=(const DenoiseSession &) = delete;

    // --- compute (any thread; normally in the jobs below). Each throws ml::Error on bad input.
    // Takes the model from models (the engine's cache; without one, a cache of its own), holds it
    // while open, and sets the configuration; every run of the previous configuration is dropped.
    DenoiseSessionInfo open(const DenoiseSessionConfig &config, ModelCache *models = nullptr);
    // A new run from x_T drawn with seed; returns its id. Computes nothing yet.
    int newRun(std::uint64_t seed);
    // A new run that starts at step `index` of run `from` with x_t as stored there, then draws the
    // noise of `seed`'s run (the same seed reproduces the original ending exactly).
    int branch(int from, int index, std::uint64_t seed);
    // Steps run `run` up to `count` more steps (fewer at the end). onStep after each step, false
    // stops; it is called without the data lock held. Returns the steps done.
    int step(int run, int count, const std::function<bool(const DenoiseSessionStep &)> &onStep = {});

    // The forward process on an image: resized to the model's size (area / bilinear), its channels
    // made the model's (grey = luma), in [-1, 1]. Its noise ε is the first draw of the generator
    // seeded with noiseSeed (so ε is x_T of the run with that seed).
    void setForwardImage(const io::RgbImage &rgb, const std::string &name, std::uint64_t noiseSeed);
    bool hasForwardImage() const;
    FloatImage forwardOriginal() const;                // x0 of the image
    FloatImage forwardNoise() const;                   // ε
    FloatImage forwardSample(std::int64_t t) const;    // sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) ε
    io::RgbImage forwardPreview(std::int64_t t) const; // the same, 8-bit
    // A new run that starts at step `index` from the forward process's x_t (t = timesteps[index])
    // with noise from seed; returns its id (compute with step()).
    int reconstruct(int index, std::uint64_t seed);

    // --- data (any thread, cheap)
    DenoiseSessionInfo info() const;
    bool isOpen() const;
    ScheduleTables schedule() const;
    std::vector<std::int64_t> timesteps() const;
    std::vector<DenoiseRunInfo> runs() const;
    std::optional<DenoiseRunInfo> run(int id) const;
    // Previews of a run's step: the run's own, or for a branch its parent's before firstStep.
    std::optional<StepPreviews> previews(int run, int index) const;
    // The float tensors of a step (nullopt when the step is not computed or its tensors were
    // dropped): x_t before the step, the model output, x̂0.
    struct StepTensors {
        std::int64_t timestep = 0;
        FloatImage sample, modelOutput, predOriginal;
    };
    std::optional<StepTensors> tensors(int run, int index) const;
    // The run's x after its last computed step (x_0 when finished); kept for every run.
    FloatImage current(int run) const;
    io::RgbImage currentPreview(int run) const;

    // Full tensors are kept for the newest runs while their sum stays within the budget; the
    // oldest runs' are dropped first (their previews stay). The run being computed is never dropped.
    void setMemoryBudget(std::int64_t bytes);
    std::int64_t memoryBudget() const;
    std::int64_t tensorBytes() const;

    // The history: every run keeps its steps' previews (about 9 KB a step at 32 × 32, 9 MB for a
    // 1000-step DDPM run) while the sum stays within the history budget; beyond it whole runs go,
    // oldest first. Never dropped: the run being computed, the pinned run (the one on screen), the
    // newest run, and a run that a kept run branched from.
    void setHistoryBudget(std::int64_t bytes);
    std::int64_t historyBudget() const;
    std::int64_t historyBytes() const;
    int droppedRuns() const; // runs dropped from the history since the configuration was opened
    void pin(int run);       // -1: none

    // Frames for an animation: per step (at most maxFrames, evenly spaced, always the last) x_t and
    // x̂0 side by side, then the final sample; empty when nothing is computed.
    std::vector<io::RgbImage> trajectoryFrames(int run, int maxFrames) const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

// What a run job does, in order: opens `open` when set (partial kDenoiseSessionOpenKind with its
// DenoiseSessionInfo), makes its run (a new run with seed, a branch of `run` at step `index`
// with seed, a reconstruction from step `index` with seed, or continues `run`; partial
// kDenoiseSessionRunKind with its id), then steps it up to `count` steps (<= 0: to the end).
struct DenoiseRunRequest {
    enum class Kind { Continue, New, Branch, Reconstruct };
    Kind kind = Kind::Continue;
    int run = -1;  // Continue: the run stepped; Branch: the run branched from
    int index = 0; // Branch, Reconstruct: the step it starts at
    std::uint64_t seed = 0;
    int count = 0;
    std::optional<DenoiseSessionConfig> open;
};
struct DenoiseRunStarted {
    int run = -1;
};

// Jobs over a shared session (Lane::Inference). Values: DenoiseSessionInfo (open), int steps
// done (run: partials kDenoiseSessionStepKind after each step, progress per step, cancel between
// steps; what was computed stays).
Job makeDenoiseOpenJob(std::shared_ptr<DenoiseSession> session, DenoiseSessionConfig config);
Job makeDenoiseRunJob(std::shared_ptr<DenoiseSession> session, DenoiseRunRequest request);
Job makeDenoiseRunJob(std::shared_ptr<DenoiseSession> session, int run, int count); // Continue
// Loads an image (or a video's first frame) into session.setForwardImage(); returns the file name.
// Throws ml::Error naming the file (and without media I/O in the build). Any thread.
std::string setForwardImageFromFile(DenoiseSession &session, const std::string &path, std::uint64_t noiseSeed);
// The same as a job; value: the file name.
Job makeForwardImageJob(std::shared_ptr<DenoiseSession> session, std::string path, std::uint64_t noiseSeed);

// 8-bit RGB of a float image: one channel as grey, two as (c0, c1, c0), more than three the first
// three; [-range, range] to [0, 255].
io::RgbImage toRgbPreview(const FloatImage &image, double range = 1.0);

} // namespace ml
