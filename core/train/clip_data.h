// Contrastive training data for CLIP: batches mixed from Fashion-MNIST and single- and
// multi-object Shapes World scenes, their truth matrix, and a background thread that builds them.
#pragma once

#include "io/media.h"
#include "train/fashion_mnist.h"
#include "train/shapes_world.h"

#include <torch/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ml::text {
class ClipTokenizer;
} // namespace ml::text

namespace ml::train {

// Fractions of a batch; need not sum to one (they are renormalised).
struct DataMix {
    double fashion = 0.35;
    double single = 0.40; // one-object Shapes scenes
    double multi = 0.25;  // two or three objects
};

// The cumulative cuts a uniform draw in [0, 1) is compared with: below `fashion` a Fashion-MNIST
// image, below `single` a one-object scene, else several objects. Negative shares count as 0;
// without Fashion-MNIST its share goes to Shapes. Throws ml::Error when no source is left.
struct MixCuts {
    double fashion = 0, single = 0;
};
MixCuts mixCuts(DataMix mix, bool hasFashion);

// CLIP's image normalisation (OPENAI_CLIP_MEAN / STD), as written to preprocessor_config.json.
inline constexpr float kClipMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
inline constexpr float kClipStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};

// [B, 3, H, W] float32, rescaled to [0, 1] and normalised with kClipMean / kClipStd, by plain
// loops (no ATen parallelism, so a data thread does not compete with the training step's pool).
torch::Tensor normalisedPixels(const std::vector<io::RgbImage> &images);

struct ClipItem {
    io::RgbImage image;                  // 64 x 64
    std::string caption;                 // what the text tower reads
    int fashionLabel = -1;               // Fashion-MNIST class, -1 for Shapes
    Scene scene;                         // Shapes: what is drawn
    std::vector<ObjectMention> mentions; // Shapes: what the caption says
};

// truth[i][j] = 1 when caption j is true of image i: the same Fashion-MNIST class, or
// describes(mentions_j, scene_i); never across the two sources. [B, B] float32, diagonal 1.
torch::Tensor truthMatrix(const std::vector<ClipItem> &items);

// The item stream: batch b is a pure function of (seed, mix, b), so resuming at a step draws
// exactly the batches the uninterrupted run would have drawn.
class ClipDataSource {
public:
    // fashion: the training split, or null (its share then goes to Shapes).
    ClipDataSource(std::uint64_t seed, DataMix mix, std::shared_ptr<const FashionMnist> fashion);

    std::vector<ClipItem> batch(std::int64_t index, std::int64_t size) const;
    // Captions of the first `batches` batches: the corpus the BPE tokenizer is learnt from.
    std::vector<std::string> captionCorpus(std::int64_t batches, std::int64_t size) const;

private:
    std::uint64_t m_seed;
    std::shared_ptr<const FashionMnist> m_fashion;
    ShapesWorld m_single, m_multi;
    MixCuts m_cuts; // after m_fashion: computed from it
};

struct ClipBatch {
    std::int64_t index = 0;
    torch::Tensor pixels; // [B, 3, 64, 64] float32, normalised
    // [B, T] int64, T = the longest caption (<= context length), padded with <|endoftext|>: with
    // causal attention and pooling at the first EOS, padding needs no attention mask.
    torch::Tensor inputIds;
    torch::Tensor truth; // [B, B] float32
};

// Tokenised, tensorised batch `index` of `source`.
ClipBatch makeClipBatch(
    const ClipDataSource &source, const text::ClipTokenizer &tokenizer, std::int64_t index, std::int64_t size);

// Builds batches first, first + 1, ... on its own thread, `depth` ahead of the consumer.
class BatchPrefetcher {
public:
    BatchPrefetcher(std::function<ClipBatch(std::int64_t)> make, std::int64_t first, std::size_t depth = 3);
    ~BatchPrefetcher(); // stops and joins
    BatchPrefetcher(const BatchPrefetcher &) = delete;
    BatchPrefetcher &operator=(const BatchPrefetcher &) = delete;

    ClipBatch next();                                    // in index order; rethrows what the builder threw
    double waitSeconds() const { return m_waitSeconds; } // total time next() blocked (consumer thread)
    double makeSeconds() const;                          // mean time to build one batch

private:
    void loop();
    std::function<ClipBatch(std::int64_t)> m_make;
    std::int64_t m_nextToMake;
    std::size_t m_depth;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<ClipBatch> m_ready;
    std::exception_ptr m_error;
    bool m_stop = false;
    double m_waitSeconds = 0.0;
    double m_makeSeconds = 0.0;
    std::int64_t m_made = 0;
    std::thread m_thread;
};

} // namespace ml::train
