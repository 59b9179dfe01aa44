// BLIP-2 data: per-batch seeded draws of Shapes World scenes (their questions and caption) and
// Fashion-MNIST garments, BlipImageProcessor's preprocessing, decoder tokens with answer-only labels.
// Ref: transformers/models/blip/image_processing_blip.py; models/blip_2/modeling_blip_2.py (labels)
#include "train/blip2_data.h"

#include "common/error.h"
#include "preprocess.h" // kernels/
#include "text/clip_tokenizer.h"
#include "text/gpt2_tokenizer.h"
#include "train/random.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string_view>

namespace ml::train {

namespace {

constexpr std::uint64_t kFashionStream = 0xFA5410u;

// Lower-case words with the punctuation around each stripped.
std::vector<std::string> words(const std::string &text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string w;
    while (in >> w) {
        std::string clean;
        for (const char c : w)
            clean += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        while (!clean.empty() && std::ispunct(static_cast<unsigned char>(clean.back())))
            clean.pop_back();
        while (!clean.empty() && std::ispunct(static_cast<unsigned char>(clean.front())))
            clean.erase(clean.begin());
        if (!clean.empty())
            out.push_back(clean);
    }
    return out;
}

std::vector<Blip2Text> shapesTexts(const ShapesSample &s)
{
    std::vector<Blip2Text> texts;
    for (const QuestionAnswer &qa : s.questions)
        texts.push_back({vqaPrompt(qa.question), qa.answer, questionTypeName(qa.type)});
    return texts;
}

// " " + text: how an answer follows its prompt (GPT-2's pieces keep the space before a word).
std::string spaced(std::string_view text)
{
    std::string s;
    s.reserve(text.size() + 1);
    s += ' ';
    s += text;
    return s;
}

io::RgbImage fashionImage(const FashionMnist &fashion, std::size_t i)
{
    return fashion.image(i, FashionMnist::kSide); // 28 x 28 RGB: the processor resizes it as a user's would be
}

} // namespace

std::string vqaPrompt(const std::string &question)
{
    return "Question: " + question + " Answer:";
}

bool answerMatches(const std::string &predicted, const std::string &expected)
{
    const auto p = words(predicted), e = words(expected);
    return !e.empty() && p.size() >= e.size() && std::equal(e.begin(), e.end(), p.begin());
}

Blip2DataSource::Blip2DataSource(std::uint64_t seed, Blip2Mix mix, std::shared_ptr<const FashionMnist> fashion)
    : m_seed(seed)
    , m_fashion(std::move(fashion))
    , m_single(Rng::streamSeed(seed, 11), ShapesWorldOptions::of(Split::Train, 1, 1))
    , m_multi(Rng::streamSeed(seed, 12), ShapesWorldOptions::of(Split::Train, 2, 3))
    , m_cuts(mixCuts(mix, m_fashion && m_fashion->size() > 0))
    , m_captions(std::clamp(mix.captions, 0.0, 1.0))
{ }

std::vector<Blip2Example> Blip2DataSource::batch(std::int64_t index, std::int64_t size) const
{
    Rng rng(Rng::streamSeed(m_seed ^ 0xB1162u, static_cast<std::uint64_t>(index)));
    std::vector<Blip2Example> out(static_cast<std::size_t>(size));
    for (std::int64_t k = 0; k < size; ++k) {
        Blip2Example &ex = out[static_cast<std::size_t>(k)];
        const double u = rng.uniform01();
        const auto sampleIndex = static_cast<std::uint64_t>(index * size + k);
        if (u < m_cuts.fashion) {
            const std::size_t i = rng.below(m_fashion->size());
            const int label = m_fashion->label(i);
            ex.item.fashionLabel = label;
            ex.item.image = fashionImage(*m_fashion, i);
            ex.item.caption = FashionMnist::caption(label, rng.nextU64() ^ kFashionStream);
            ex.texts.push_back({vqaPrompt(kFashionQuestion),
                FashionMnist::captionNames()[static_cast<std::size_t>(label)], kFashionQuestionType});
        } else {
            ShapesSample s = (u < m_cuts.single ? m_single : m_multi).sample(sampleIndex);
            ex.texts = shapesTexts(s);
            ex.item.image = std::move(s.image);
            ex.item.caption = std::move(s.caption.text);
            ex.item.mentions = std::move(s.caption.mentions);
            ex.item.scene = std::move(s.scene);
        }
        if (rng.uniform01() < m_captions)
            ex.texts.push_back({"", ex.item.caption, kCaptionType});
    }
    return out;
}

std::vector<std::string> Blip2DataSource::textCorpus(std::int64_t batches, std::int64_t size) const
{
    std::vector<std::string> corpus;
    for (std::int64_t b = 0; b < batches; ++b)
        for (const Blip2Example &ex : batch(b, size))
            for (const Blip2Text &t : ex.texts) {
                corpus.push_back(t.prompt);
                corpus.push_back(spaced(t.target));
            }
    for (int label = 0; label < FashionMnist::kClassCount; ++label) {
        corpus.push_back(spaced(FashionMnist::captionNames()[static_cast<std::size_t>(label)]));
        for (std::size_t t = 0; t < FashionMnist::captionTemplates().size(); ++t)
            corpus.push_back(spaced(FashionMnist::caption(label, t)));
    }
    return corpus;
}

torch::Tensor blipPixels(const std::vector<io::RgbImage> &images, int size)
{
    if (images.empty())
        throw Error("blipPixels: no images");
    std::vector<io::RgbImage> resized;
    resized.reserve(images.size());
    for (const io::RgbImage &img : images) {
        if (img.empty() || img.pixels.size() != static_cast<std::size_t>(img.width) * img.height * 3)
            throw Error("blipPixels: an image is empty or its pixels do not match its size");
        if (img.width == size && img.height == size) {
            resized.push_back(img);
            continue;
        }
        io::RgbImage r;
        r.width = r.height = size;
        r.pixels.resize(static_cast<std::size_t>(size) * size * 3);
        kernels::resizeBicubicPil(img.pixels.data(), img.height, img.width, r.pixels.data(), size, size, 3);
        resized.push_back(std::move(r));
    }
    return normalisedPixels(resized); // rescale 1/255, CLIP mean / std
}

LmTokens tokenizeForLm(
    const std::vector<Blip2Text> &texts, const text::Gpt2Tokenizer &tokenizer, bool withTarget, std::int64_t maxLength)
{
    if (texts.empty())
        throw Error("tokenizeForLm: no texts");
    const std::int64_t eos = tokenizer.eosId().value_or(2), pad = tokenizer.padId().value_or(1);
    std::vector<std::vector<std::int64_t>> ids;
    std::vector<std::size_t> promptLength;
    for (const Blip2Text &t : texts) {
        std::vector<std::int64_t> seq = tokenizer.encode(t.prompt); // bos first (add_bos_token)
        promptLength.push_back(seq.size());
        if (withTarget) {
            text::EncodeOptions noSpecial;
            noSpecial.addSpecialTokens = false;
            const auto target = tokenizer.encode(spaced(t.target), noSpecial);
            seq.insert(seq.end(), target.begin(), target.end());
            seq.push_back(eos);
        }
        if (static_cast<std::int64_t>(seq.size()) > maxLength)
            throw Error("the text '" + t.prompt + " " + t.target + "' is " + std::to_string(seq.size())
                + " tokens, more than the decoder's " + std::to_string(maxLength));
        ids.push_back(std::move(seq));
    }
    std::size_t T = 0;
    for (const auto &s : ids)
        T = std::max(T, s.size());
    const auto N = static_cast<std::int64_t>(ids.size());
    LmTokens out;
    out.inputIds = torch::full({N, static_cast<std::int64_t>(T)}, pad, torch::kLong);               // [N, T]
    out.attentionMask = torch::zeros({N, static_cast<std::int64_t>(T)}, torch::kLong);              // [N, T]
    out.labels = torch::full({N, static_cast<std::int64_t>(T)}, std::int64_t {-100}, torch::kLong); // [N, T]
    auto *idp = out.inputIds.data_ptr<std::int64_t>();
    auto *mp = out.attentionMask.data_ptr<std::int64_t>();
    auto *lp = out.labels.data_ptr<std::int64_t>();
    for (std::int64_t n = 0; n < N; ++n) {
        const auto &s = ids[static_cast<std::size_t>(n)];
        for (std::size_t t = 0; t < s.size(); ++t) {
            idp[n * static_cast<std::int64_t>(T) + static_cast<std::int64_t>(t)] = s[t];
            mp[n * static_cast<std::int64_t>(T) + static_cast<std::int64_t>(t)] = 1;
            if (withTarget && t >= promptLength[static_cast<std::size_t>(n)])
                lp[n * static_cast<std::int64_t>(T) + static_cast<std::int64_t>(t)] = s[t];
        }
    }
    return out;
}

Blip2Batch makeBlip2Batch(const Blip2DataSource &source, const text::Gpt2Tokenizer &tokenizer,
    const text::ClipTokenizer *clipTokenizer, std::int64_t index, std::int64_t size, std::int64_t maxLength)
{
    std::vector<Blip2Example> examples = source.batch(index, size);
    Blip2Batch batch;
    batch.index = index;
    std::vector<io::RgbImage> images;
    std::vector<Blip2Text> texts;
    std::vector<std::int64_t> imageOf;
    std::vector<ClipItem> items;
    for (std::size_t i = 0; i < examples.size(); ++i) {
        for (const Blip2Text &t : examples[i].texts) {
            texts.push_back(t);
            imageOf.push_back(static_cast<std::int64_t>(i));
            batch.types.push_back(t.type);
        }
        images.push_back(examples[i].item.image);
        items.push_back(std::move(examples[i].item));
    }
    batch.pixels = blipPixels(images);
    batch.imageIndex = torch::tensor(imageOf, torch::kLong); // [N]
    batch.lm = tokenizeForLm(texts, tokenizer, true, maxLength);
    if (clipTokenizer) {
        std::vector<std::string> captions;
        for (const ClipItem &item : items)
            captions.push_back(item.caption);
        text::EncodeOptions options;
        options.truncation = true;
        options.maxLength = clipTokenizer->contextLength();
        options.padding = text::Padding::Longest; // causal attention: trailing padding changes nothing
        const text::BatchEncoding enc = clipTokenizer->encodeBatch(captions, options);
        const auto B = static_cast<std::int64_t>(enc.inputIds.size());
        const auto T = static_cast<std::int64_t>(enc.inputIds.front().size());
        batch.captionIds = torch::empty({B, T}, torch::kLong); // [B, Tc]
        auto *ids = batch.captionIds.data_ptr<std::int64_t>();
        for (std::int64_t i = 0; i < B; ++i)
            for (std::int64_t t = 0; t < T; ++t)
                ids[i * T + t] = enc.inputIds[static_cast<std::size_t>(i)][static_cast<std::size_t>(t)];
        batch.truth = truthMatrix(items);
    }
    return batch;
}

std::vector<VqaItem> shapesVqaSet(std::uint64_t seed, int count, int heldOutCount, bool augmented)
{
    std::vector<VqaItem> items;
    const auto collect = [&items](const ShapesWorld &a, const ShapesWorld &b, int n, bool heldOut) {
        const std::size_t end = items.size() + static_cast<std::size_t>(std::max(0, n));
        for (std::uint64_t i = 0; items.size() < end; ++i) {
            const ShapesSample s = (i % 2 == 0 ? a : b).sample(i / 2);
            for (const QuestionAnswer &qa : s.questions) {
                if (items.size() == end)
                    break;
                items.push_back({s.image, qa.question, qa.answer, questionTypeName(qa.type), heldOut, ""});
            }
        }
    };
    collect(ShapesWorld(Rng::streamSeed(seed, 1), ShapesWorldOptions::of(Split::Train, 1, 1, augmented)),
        ShapesWorld(Rng::streamSeed(seed, 2), ShapesWorldOptions::of(Split::Train, 2, 3, augmented)), count, false);
    collect(ShapesWorld(Rng::streamSeed(seed, 3), ShapesWorldOptions::of(Split::HeldOut, 1, 1, augmented)),
        ShapesWorld(Rng::streamSeed(seed, 4), ShapesWorldOptions::of(Split::HeldOut, 2, 3, augmented)), heldOutCount,
        true);
    return items;
}

std::vector<VqaItem> fashionVqaSet(const FashionMnist &fashion, int count)
{
    std::vector<VqaItem> items;
    const std::size_t n = std::min<std::size_t>(fashion.size(), static_cast<std::size_t>(std::max(0, count)));
    for (std::size_t i = 0; i < n; ++i)
        items.push_back({fashionImage(fashion, i), kFashionQuestion,
            FashionMnist::captionNames()[static_cast<std::size_t>(fashion.label(i))], kFashionQuestionType, false, ""});
    return items;
}

VqaScores scoreVqa(const std::vector<VqaItem> &items, const std::vector<std::string> &predicted)
{
    if (items.size() != predicted.size())
        throw Error("scoreVqa: " + std::to_string(items.size()) + " items but " + std::to_string(predicted.size())
            + " answers");
    VqaScores s;
    std::int64_t all = 0, shapes = 0, heldOut = 0, fashion = 0;
    std::map<std::string, std::int64_t> perType;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const VqaItem &item = items[i];
        const bool ok = answerMatches(predicted[i], item.answer);
        s.correct.push_back(ok);
        ++s.allN;
        all += ok;
        if (item.heldOut) {
            ++s.heldOutN;
            heldOut += ok;
            continue;
        }
        ++s.perTypeN[item.type];
        perType[item.type] += ok;
        if (item.type == kFashionQuestionType) {
            ++s.fashionN;
            fashion += ok;
        } else {
            ++s.shapesN;
            shapes += ok;
        }
    }
    const auto rate = [](std::int64_t good, std::int64_t n) { return n > 0 ? double(good) / double(n) : -1.0; };
    s.all = rate(all, s.allN);
    s.shapes = rate(shapes, s.shapesN);
    s.heldOut = rate(heldOut, s.heldOutN);
    s.fashion = rate(fashion, s.fashionN);
    for (const auto &[type, n] : s.perTypeN)
        s.perType[type] = rate(perType[type], n);
    return s;
}

} // namespace ml::train
