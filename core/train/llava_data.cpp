// LLaVA data: per-batch seeded Shapes World conversations, their tokens with answer-only labels,
// CLIPImageProcessor's preprocessing and the caption check.
// Ref: LLaVA-1.5 (Liu et al. 2023) instruction data: multi-turn, loss on the assistant's turns
#include "train/llava_data.h"

#include "common/error.h"
#include "engine/chat_service.h"
#include "models/llava/llava_runtime.h"
#include "text/llama_tokenizer.h"
#include "train/random.h"

#include <algorithm>

namespace ml::train {

namespace {

constexpr const char *kCountWords[] = {"zero", "one", "two", "three"};

std::string colourShape(const ShapeObject &o)
{
    std::string s = colourName(o.colour);
    s += ' ';
    s += shapeName(o.shape);
    return s;
}

// One object's phrase: "a small red circle on the left".
std::string objectPhrase(const ShapeObject &o)
{
    std::string phrase = "a ";
    phrase += sizeName(o.size);
    phrase += ' ';
    phrase += colourShape(o);
    phrase += ' ';
    phrase += positionPhrase(o.position());
    return phrase;
}

// Rounds of a stage-2 conversation: 1 .. maxRounds distinct turns in random order.
std::vector<LlavaTurn> drawRounds(std::vector<LlavaTurn> pool, int maxRounds, Rng &rng)
{
    for (std::size_t i = pool.size(); i > 1; --i) // Fisher-Yates
        std::swap(pool[i - 1], pool[rng.below(i)]);
    const auto rounds = static_cast<std::size_t>(rng.uniformInt(1, std::max(1, maxRounds)));
    pool.resize(std::min(pool.size(), rounds));
    return pool;
}

} // namespace

std::string llavaCaption(const Scene &scene)
{
    std::vector<const ShapeObject *> objects;
    for (const ShapeObject &o : scene.objects)
        objects.push_back(&o);
    std::stable_sort(
        objects.begin(), objects.end(), [](const ShapeObject *a, const ShapeObject *b) { return a->cx() < b->cx(); });
    if (objects.size() == 1)
        return objectPhrase(*objects.front());
    std::string text = objects.size() < std::size(kCountWords) ? kCountWords[objects.size()] : "several";
    text += " shapes: ";
    for (std::size_t i = 0; i < objects.size(); ++i) {
        if (i)
            text += " and ";
        text += objectPhrase(*objects[i]);
    }
    return text;
}

LlavaDataSource::LlavaDataSource(std::uint64_t seed, LlavaMix mix)
    : m_seed(seed)
    , m_mix(mix)
    , m_single(Rng::streamSeed(seed, 21), ShapesWorldOptions::of(Split::Train, 1, 1))
    , m_multi(Rng::streamSeed(seed, 22), ShapesWorldOptions::of(Split::Train, 2, 3))
{ }

std::vector<LlavaExample> LlavaDataSource::batch(std::int64_t index, std::int64_t size, bool captionsOnly) const
{
    Rng rng(Rng::streamSeed(m_seed ^ 0x11A7Au, static_cast<std::uint64_t>(index)));
    std::vector<LlavaExample> out(static_cast<std::size_t>(size));
    for (std::int64_t k = 0; k < size; ++k) {
        LlavaExample &ex = out[static_cast<std::size_t>(k)];
        const auto sampleIndex = static_cast<std::uint64_t>(index * size + k);
        ShapesSample s = (rng.chance(m_mix.single) ? m_single : m_multi).sample(sampleIndex);
        const LlavaTurn caption {kLlavaCaptionPrompt, llavaCaption(s.scene), kLlavaCaptionType};
        if (captionsOnly) {
            ex.turns = {caption};
        } else {
            std::vector<LlavaTurn> pool;
            for (const QuestionAnswer &qa : s.questions)
                pool.push_back({qa.question, qa.answer, questionTypeName(qa.type)});
            if (rng.chance(m_mix.captions))
                pool.push_back(caption);
            ex.turns = drawRounds(std::move(pool), m_mix.maxRounds, rng);
        }
        ex.image = std::move(s.image);
        ex.scene = std::move(s.scene);
    }
    return out;
}

std::vector<std::string> LlavaDataSource::textCorpus(std::int64_t batches, std::int64_t size) const
{
    std::vector<std::string> corpus;
    for (std::int64_t b = 0; b < batches; ++b)
        for (const bool captions : {true, false})
            for (const LlavaExample &ex : batch(b, size, captions)) {
                const std::string text = conversationText(ex.turns);
                std::size_t start = 0;
                while (start < text.size()) { // the chunks the tokenizer's SentencePiece sees
                    const auto eos = text.find("</s>", start), image = text.find("<image>", start);
                    const auto end = std::min({eos, image, text.size()});
                    if (end > start)
                        corpus.push_back(text.substr(start, end - start));
                    start = end == eos ? end + 4 : end == image ? end + 7 : end;
                }
            }
    return corpus;
}

std::string conversationText(const std::vector<LlavaTurn> &turns)
{
    if (turns.empty())
        throw Error("conversationText: a conversation needs a round");
    std::vector<ChatTurn> history;
    for (std::size_t i = 0; i + 1 < turns.size(); ++i)
        history.push_back({turns[i].question, turns[i].answer});
    std::string text = llava::LlavaRuntime::formatPrompt(history, turns.back().question);
    text += ' ';
    text += turns.back().answer;
    text += "</s>";
    return text;
}

std::vector<std::int64_t> encodeConversation(const text::LlamaTokenizer &tokenizer, const std::string &text)
{
    return llava::encodeConversation(tokenizer, text);
}

LlavaTokens tokenizeConversations(const std::vector<LlavaExample> &examples, const text::LlamaTokenizer &tokenizer,
    std::int64_t imageTokenId, std::int64_t imageRows, std::int64_t maxLength)
{
    if (examples.empty())
        throw Error("tokenizeConversations: no conversations");
    const std::int64_t eos = tokenizer.eosId(), pad = tokenizer.padId().value_or(eos);
    std::vector<std::vector<std::int64_t>> ids, answerOf;
    LlavaTokens out;
    out.imagePosition = -1;
    for (const LlavaExample &ex : examples) {
        const std::string text = conversationText(ex.turns);
        std::vector<std::int64_t> seq = encodeConversation(tokenizer, text);
        const auto image = std::find(seq.begin(), seq.end(), imageTokenId) - seq.begin();
        if (image == static_cast<std::ptrdiff_t>(seq.size()) || (out.imagePosition >= 0 && image != out.imagePosition))
            throw Error("the conversation '" + text + "' does not hold <image> where the others do");
        out.imagePosition = image;
        if (static_cast<std::int64_t>(seq.size()) - 1 + imageRows > maxLength)
            throw Error("the conversation '" + text + "' is " + std::to_string(seq.size() - 1 + imageRows)
                + " positions long, more than the decoder's " + std::to_string(maxLength));
        std::vector<std::int64_t> answer(seq.size(), -1);
        std::vector<LlavaTurn> sofar;
        for (const LlavaTurn &turn : ex.turns) {
            std::vector<ChatTurn> history;
            for (const LlavaTurn &t : sofar)
                history.push_back({t.question, t.answer});
            const auto prompt
                = encodeConversation(tokenizer, llava::LlavaRuntime::formatPrompt(history, turn.question));
            if (prompt.size() >= seq.size() || !std::equal(prompt.begin(), prompt.end(), seq.begin()))
                throw Error("the prompt of '" + turn.question + "' does not tokenise as a prefix of its conversation");
            for (std::size_t t = prompt.size(); t < seq.size(); ++t) {
                answer[t] = out.answers;
                if (seq[t] == eos)
                    break;
            }
            ++out.answers;
            sofar.push_back(turn);
        }
        ids.push_back(std::move(seq));
        answerOf.push_back(std::move(answer));
    }
    std::size_t T = 0;
    for (const auto &s : ids)
        T = std::max(T, s.size());
    const auto B = static_cast<std::int64_t>(ids.size()), TT = static_cast<std::int64_t>(T);
    out.inputIds = torch::full({B, TT}, pad, torch::kLong);               // [B, T]
    out.attentionMask = torch::zeros({B, TT}, torch::kLong);              // [B, T]
    out.labels = torch::full({B, TT}, std::int64_t {-100}, torch::kLong); // [B, T]
    out.answer = torch::full({B, TT}, std::int64_t {-1}, torch::kLong);   // [B, T]
    auto *idp = out.inputIds.data_ptr<std::int64_t>();
    auto *mp = out.attentionMask.data_ptr<std::int64_t>();
    auto *lp = out.labels.data_ptr<std::int64_t>();
    auto *ap = out.answer.data_ptr<std::int64_t>();
    for (std::int64_t b = 0; b < B; ++b) {
        const auto &s = ids[static_cast<std::size_t>(b)];
        const auto &a = answerOf[static_cast<std::size_t>(b)];
        for (std::size_t t = 0; t < s.size(); ++t) {
            const auto at = b * TT + static_cast<std::int64_t>(t);
            idp[at] = s[t];
            mp[at] = 1;
            ap[at] = a[t];
            if (a[t] >= 0)
                lp[at] = s[t];
        }
    }
    return out;
}

torch::Tensor llavaPixels(const std::vector<io::RgbImage> &images, const kernels::PreprocessParams &params)
{
    if (images.empty())
        throw Error("llavaPixels: no images");
    const auto B = static_cast<std::int64_t>(images.size());
    auto out = torch::empty({B, 3, params.cropHeight, params.cropWidth}, torch::kFloat); // [B, 3, S, S]
    const auto plane = static_cast<std::int64_t>(3) * params.cropHeight * params.cropWidth;
    for (std::int64_t i = 0; i < B; ++i) {
        const io::RgbImage &img = images[static_cast<std::size_t>(i)];
        if (img.empty() || img.pixels.size() != static_cast<std::size_t>(img.width) * img.height * 3)
            throw Error("llavaPixels: an image is empty or its pixels do not match its size");
        kernels::preprocessCpu(img.pixels.data(), img.height, img.width, params, out.data_ptr<float>() + i * plane);
    }
    return out;
}

std::vector<CaptionItem> captionSet(std::uint64_t seed, int count)
{
    const ShapesWorld world(Rng::streamSeed(seed, 31), ShapesWorldOptions::of(Split::Train, 2, 2));
    std::vector<CaptionItem> items;
    for (int i = 0; i < count; ++i) {
        ShapesSample s = world.sample(static_cast<std::uint64_t>(i));
        items.push_back({std::move(s.image), std::move(s.scene)});
    }
    return items;
}

bool captionNamesEveryObject(const std::string &caption, const Scene &scene)
{
    for (const ShapeObject &o : scene.objects) {
        const std::string pair = colourShape(o);
        const auto wanted = std::count_if(scene.objects.begin(), scene.objects.end(),
            [&](const ShapeObject &p) { return p.colour == o.colour && p.shape == o.shape; });
        std::ptrdiff_t found = 0;
        for (auto at = caption.find(pair); at != std::string::npos; at = caption.find(pair, at + pair.size()))
            ++found;
        if (found < wanted)
            return false;
    }
    return true;
}

} // namespace ml::train
