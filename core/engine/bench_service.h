// `modallens-cli bench search|index|shapes|train|coop`: figures, never pass/fail, one job
// each. The code lives next to what it measures: index/search_bench.cpp, index/index_bench.cpp,
// train/shapes_bench.cpp, train/train_bench.cpp, train/coop_bench.cpp. `bench media` is
// io::benchMedia (io/media_bench.h); `bench clip`, `bench explain` and `bench ddpm` are in their
// services. std value types only.
#pragma once

#include "engine/compute.h"
#include "engine/engine.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ml {

// Single-query top-10 latency over N clustered unit vectors (fp16 storage), exact or through
// the FAISS IVF index, with recall@10 against exact search on the same queries.
struct SearchBenchRequest {
    std::int64_t vectors = 0; // required, > 0
    std::int64_t dim = 512;
    std::int64_t queries = 200;
    enum class Mode { Auto, Exact, Approx } mode = Mode::Auto; // Auto: approx from the library's threshold
};

struct SearchBenchResult {
    double p50Ms = 0.0, p99Ms = 0.0;
    double recallAt10 = 1.0; // 1 for exact search
    double buildSeconds = 0.0;
    std::string mode; // "exact" | "approx"
    std::int64_t vectors = 0, dim = 0, queries = 0;
    int threads = 0;
    // Approx only (index empty otherwise): the FAISS index and its own recall check at build.
    std::string index;
    std::int64_t nlist = 0, nprobe = 0, trainVectors = 0;
    double recallAt10AtBuild = 0.0;
};
Job makeSearchBenchJob(SearchBenchRequest request); // value: SearchBenchResult; bad numbers throw ml::Error

// Indexing throughput: N distinct 640x480 JPEGs and one S-second 640x480 H.264 clip, each indexed
// into a fresh library in a scratch folder. images/s and the video's multiple of real time cover
// the indexer's embedding phase (decode, preprocess, embed, commit), not model loading or scanning.
struct IndexBenchRequest {
    int images = 300;
    double videoSeconds = 60.0;
    double fps = 1.0;                // frames indexed per second of video
    std::string model = "clip-mini"; // ignored with vitB32
    bool vitB32 = false;             // a random ViT-B/32-shaped CLIP written to the scratch folder
    ComputeOptions compute;
};

struct IndexBenchResult {
    double imagesPerS = 0.0;
    double videoXRealtime = 0.0;
    std::int64_t videoFrames = 0; // frames embedded
    std::string model;            // as shown: the name, or "ViT-B/32 shape (random weights)"
    std::string dtype;
    int threads = 0;
};
Job makeIndexBenchJob(IndexBenchRequest request); // value: IndexBenchResult; needs media I/O

// Shapes World generation: samples per second with every augmentation (64x64 pictures), the
// rate the trainers' data threads draw at.
struct ShapesBenchRequest {
    std::int64_t samples = 10000;
    std::uint64_t seed = 12;
};

struct ShapesBenchResult {
    std::int64_t samples = 0;
    double seconds = 0.0;
    double samplesPerS = 0.0;
    std::int64_t bytes = 0; // RGB bytes generated: samples x 64 x 64 x 3
};
Job makeShapesBenchJob(ShapesBenchRequest request); // value: ShapesBenchResult

// CLIP training speed: steps/s of the presets (tiny, mini) and of mini at the large end of its
// range (vision width 192, 6 layers), in a scratch folder, no evaluation.
struct TrainBenchRequest {
    std::int64_t tinySteps = 60, miniSteps = 12; // per case
    std::string dtype = "auto";                  // bf16 autocast only where the CPU has native bf16
};

struct TrainBenchCase {
    std::string name; // "tiny", "mini", "mini-w192-l6"
    std::int64_t steps = 0;
    double stepsPerS = 0.0, imagesPerS = 0.0;
    double dataSecondsPerBatch = 0.0, dataWaitSeconds = 0.0;
    double finalLoss = 0.0;
    std::int64_t parameters = 0;
    std::string dtype;
};

struct TrainBenchResult {
    std::vector<TrainBenchCase> cases;
    int threads = 0;
};
Job makeTrainBenchJob(TrainBenchRequest request); // Lane::Training; value: TrainBenchResult

// CoOp on label sets other than the tests' (colours, shapes, sizes, positions, counts and, when
// installed, Fashion-MNIST), unified and class-specific: held-out accuracy of the hand-written
// template against the learnt prompt, and what the learnt context reads as.
struct CoopBenchRequest {
    std::string model = "clip-mini";
    std::string optimizer;   // "" = CoopRequest's default
    std::int64_t steps = -1; // < 0: CoopRequest's default
    double lr = -1.0;        // < 0: CoopRequest's default
    ComputeOptions compute {"cpu", "fp32"};
};

struct CoopBenchCase {
    std::string labelSet; // "colours", ..., "fashion-mnist"
    bool classSpecific = false;
    std::string optimizer;
    double lr = 0.0;
    std::int64_t steps = 0;
    double accuracyBefore = 0.0, accuracyAfter = 0.0;
    std::int64_t evalImages = 0;
    double stepsPerS = 0.0, featureSeconds = 0.0, seconds = 0.0;
    std::string reading; // the context's nearest words in order (class-specific: the first class's)
};

struct CoopBenchResult {
    std::vector<CoopBenchCase> cases;
};
Job makeCoopBenchJob(CoopBenchRequest request); // Lane::Training; value: CoopBenchResult; needs media I/O

} // namespace ml
