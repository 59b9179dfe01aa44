// Batch assembly for contrastive training: per-batch seeded draws, Shapes World with every
// augmentation of the spec, Fashion-MNIST at 64 x 64, and the soft-target truth matrix.
#include "train/clip_data.h"

#include "common/error.h"
#include "text/clip_tokenizer.h"
#include "train/random.h"

#include <chrono>

namespace ml::train {

namespace {

constexpr int kImageSide = 64;
constexpr std::uint64_t kFashionStream = 0xFA5410u;

} // namespace

torch::Tensor normalisedPixels(const std::vector<io::RgbImage> &images)
{
    if (images.empty())
        throw Error("normalisedPixels: no images");
    const int h = images.front().height, w = images.front().width;
    auto out = torch::empty({static_cast<std::int64_t>(images.size()), 3, h, w}, torch::kFloat); // [B, 3, H, W]
    float *dst = out.data_ptr<float>();
    const std::size_t plane = static_cast<std::size_t>(h) * w;
    float scale[3], shift[3];
    for (int c = 0; c < 3; ++c) {
        scale[c] = 1.0f / (255.0f * kClipStd[c]);
        shift[c] = -kClipMean[c] / kClipStd[c];
    }
    for (std::size_t i = 0; i < images.size(); ++i) {
        const io::RgbImage &img = images[i];
        if (img.width != w || img.height != h || img.pixels.size() != plane * 3)
            throw Error("normalisedPixels: image " + std::to_string(i) + " is " + std::to_string(img.width) + "x"
                + std::to_string(img.height) + ", expected " + std::to_string(w) + "x" + std::to_string(h));
        float *d = dst + i * plane * 3;
        const std::uint8_t *s = img.pixels.data();
        for (std::size_t p = 0; p < plane; ++p)
            for (int c = 0; c < 3; ++c)
                d[c * plane + p] = static_cast<float>(s[p * 3 + c]) * scale[c] + shift[c];
    }
    return out;
}

torch::Tensor truthMatrix(const std::vector<ClipItem> &items)
{
    const auto B = static_cast<std::int64_t>(items.size());
    auto truth = torch::zeros({B, B}, torch::kFloat); // [B (images), B (captions)]
    float *t = truth.data_ptr<float>();
    for (std::int64_t i = 0; i < B; ++i)
        for (std::int64_t j = 0; j < B; ++j) {
            const ClipItem &image = items[i], &caption = items[j];
            bool match = i == j;
            if (!match && image.fashionLabel >= 0 && caption.fashionLabel >= 0)
                match = image.fashionLabel == caption.fashionLabel;
            else if (!match && image.fashionLabel < 0 && caption.fashionLabel < 0)
                match = describes(caption.mentions, image.scene);
            t[i * B + j] = match ? 1.0f : 0.0f;
        }
    return truth;
}

MixCuts mixCuts(DataMix mix, bool hasFashion)
{
    if (!hasFashion)
        mix.fashion = 0;
    const double total = std::max(0.0, mix.fashion) + std::max(0.0, mix.single) + std::max(0.0, mix.multi);
    if (total <= 0)
        throw Error("data mix: no source has a positive share");
    MixCuts cuts;
    cuts.fashion = std::max(0.0, mix.fashion) / total;
    cuts.single = cuts.fashion + std::max(0.0, mix.single) / total;
    return cuts;
}

ClipDataSource::ClipDataSource(std::uint64_t seed, DataMix mix, std::shared_ptr<const FashionMnist> fashion)
    : m_seed(seed)
    , m_fashion(std::move(fashion))
    , m_single(Rng::streamSeed(seed, 1), ShapesWorldOptions::of(Split::Train, 1, 1))
    , m_multi(Rng::streamSeed(seed, 2), ShapesWorldOptions::of(Split::Train, 2, 3))
    , m_cuts(mixCuts(mix, m_fashion && m_fashion->size() > 0))
{ }

std::vector<ClipItem> ClipDataSource::batch(std::int64_t index, std::int64_t size) const
{
    Rng rng(Rng::streamSeed(m_seed ^ 0xC11Bu, static_cast<std::uint64_t>(index)));
    std::vector<ClipItem> items(static_cast<std::size_t>(size));
    for (std::int64_t k = 0; k < size; ++k) {
        ClipItem &item = items[static_cast<std::size_t>(k)];
        const double u = rng.uniform01();
        const auto sampleIndex = static_cast<std::uint64_t>(index * size + k);
        if (u < m_cuts.fashion) {
            const std::size_t i = rng.below(m_fashion->size());
            item.fashionLabel = m_fashion->label(i);
            item.image = m_fashion->image(i, kImageSide);
            item.caption = FashionMnist::caption(item.fashionLabel, rng.nextU64() ^ kFashionStream);
        } else {
            ShapesSample s = (u < m_cuts.single ? m_single : m_multi).sample(sampleIndex);
            item.image = std::move(s.image);
            item.caption = std::move(s.caption.text);
            item.mentions = std::move(s.caption.mentions);
            item.scene = std::move(s.scene);
        }
    }
    return items;
}

std::vector<std::string> ClipDataSource::captionCorpus(std::int64_t batches, std::int64_t size) const
{
    std::vector<std::string> corpus;
    for (std::int64_t b = 0; b < batches; ++b)
        for (ClipItem &item : batch(b, size))
            corpus.push_back(std::move(item.caption));
    // Every Fashion-MNIST caption at least once, so no template word is left to bytes.
    for (int label = 0; label < FashionMnist::kClassCount; ++label)
        for (std::size_t t = 0; t < FashionMnist::captionTemplates().size(); ++t)
            corpus.push_back(FashionMnist::caption(label, t));
    return corpus;
}

ClipBatch makeClipBatch(
    const ClipDataSource &source, const text::ClipTokenizer &tokenizer, std::int64_t index, std::int64_t size)
{
    std::vector<ClipItem> items = source.batch(index, size);
    std::vector<io::RgbImage> images;
    std::vector<std::string> captions;
    images.reserve(items.size());
    captions.reserve(items.size());
    for (ClipItem &item : items) {
        images.push_back(std::move(item.image));
        captions.push_back(item.caption);
    }
    text::EncodeOptions options;
    options.truncation = true;
    options.maxLength = tokenizer.contextLength();
    options.padding = text::Padding::Longest; // causal attention: trailing padding changes nothing
    const text::BatchEncoding enc = tokenizer.encodeBatch(captions, options);
    const auto B = static_cast<std::int64_t>(enc.inputIds.size());
    const auto T = static_cast<std::int64_t>(enc.inputIds.front().size());
    ClipBatch batch;
    batch.index = index;
    batch.inputIds = torch::empty({B, T}, torch::kLong); // [B, T]
    auto *ids = batch.inputIds.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < B; ++i)
        for (std::int64_t t = 0; t < T; ++t)
            ids[i * T + t] = enc.inputIds[i][t];
    batch.truth = truthMatrix(items);
    batch.pixels = normalisedPixels(images);
    return batch;
}

BatchPrefetcher::BatchPrefetcher(std::function<ClipBatch(std::int64_t)> make, std::int64_t first, std::size_t depth)
    : m_make(std::move(make))
    , m_nextToMake(first)
    , m_depth(std::max<std::size_t>(1, depth))
{
    m_thread = std::thread([this] { loop(); });
}

BatchPrefetcher::~BatchPrefetcher()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
}

void BatchPrefetcher::loop()
{
    for (;;) {
        std::int64_t index;
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait(lock, [&] { return m_stop || m_ready.size() < m_depth; });
            if (m_stop)
                return;
            index = m_nextToMake++;
        }
        try {
            const auto start = std::chrono::steady_clock::now();
            ClipBatch batch = m_make(index);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::lock_guard lock(m_mutex);
            m_makeSeconds += seconds;
            ++m_made;
            m_ready.push_back(std::move(batch));
        } catch (...) {
            std::lock_guard lock(m_mutex);
            m_error = std::current_exception();
            m_stop = true;
        }
        m_cv.notify_all();
    }
}

double BatchPrefetcher::makeSeconds() const
{
    std::lock_guard lock(m_mutex);
    return m_made > 0 ? m_makeSeconds / static_cast<double>(m_made) : 0.0;
}

ClipBatch BatchPrefetcher::next()
{
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return !m_ready.empty() || m_error; });
    m_waitSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (m_ready.empty())
        std::rethrow_exception(m_error);
    ClipBatch batch = std::move(m_ready.front());
    m_ready.pop_front();
    lock.unlock();
    m_cv.notify_all();
    return batch;
}

} // namespace ml::train
