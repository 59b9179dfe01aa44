// Byte-level BPE training (Sennrich et al. 2016), with CLIP's "</w>" end-of-word marker or in
// GPT-2's layout: pair counts kept incrementally, the best pair found through a lazily updated max-heap.
// Ref: openai/CLIP clip/simple_tokenizer.py (vocab layout), huggingface/tokenizers
// tokenizers/src/models/bpe/trainer.rs (incremental pair counts, lazy queue).
#include "train/bpe_trainer.h"

#include "common/error.h"
#include "text/bpe.h"
#include "text/ftfy.h"
#include "text/regex.h"
#include "text/tokenizer_common.h"
#include "text/unicode.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <queue>
#include <unordered_map>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

constexpr const char *kEndOfWord = "</w>";
constexpr const char *kStartOfText = "<|startoftext|>";
constexpr const char *kEndOfText = "<|endoftext|>";

// The pre-split pattern of ml::text::ClipTokenizer (its white-space class is the `regex`
// module's \s; U+0345 excluded as the module does under IGNORECASE).
std::string clipPattern()
{
    const std::string ws = "\\t\\n\\x{0B}\\x{0C}\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}"
                           "\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
    return "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^" + ws
        + "\\p{L}\\p{N}\\x{345}]+";
}

// Gpt2Tokenizer's pre-split pattern (GPT2Tokenizer.pat).
std::string gpt2Pattern()
{
    const std::string ws = ml::text::kWhiteSpaceClass;
    return "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" + ws + "\\p{L}\\p{N}]+|[" + ws + "]+(?![^" + ws + "])|["
        + ws + "]+";
}

// CLIPTokenizer's whitespace_clean(): re.sub(r"\s+", " ", text).strip()
std::u32string whitespaceClean(std::u32string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (ml::text::isWhiteSpace(text[i])) {
            out += U' ';
            while (i < text.size() && ml::text::isWhiteSpace(text[i]))
                ++i;
        } else {
            out += text[i++];
        }
    }
    return std::u32string(ml::text::pyStrip(out));
}

// bytes_to_unicode()'s values in dict order: the printable bytes (their own code points), then
// the rest (256 + n): i.e. sorted by stand-in code point.
std::vector<std::string> byteAlphabet()
{
    std::vector<char32_t> points;
    for (int b = 0; b < 256; ++b)
        points.push_back(ml::text::byteToUnicode(static_cast<unsigned char>(b)));
    std::sort(points.begin(), points.end());
    std::vector<std::string> alphabet;
    for (char32_t cp : points) {
        std::string s;
        ml::text::appendUtf8(s, cp);
        alphabet.push_back(std::move(s));
    }
    return alphabet;
}

void writeFile(const fs::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
        throw Error(path.string() + ": cannot write");
}

using PairKey = std::uint64_t;
PairKey pairKey(std::uint32_t left, std::uint32_t right)
{
    return (PairKey(left) << 32) | right;
}
std::uint32_t leftOf(PairKey key)
{
    return static_cast<std::uint32_t>(key >> 32);
}
std::uint32_t rightOf(PairKey key)
{
    return static_cast<std::uint32_t>(key & 0xffffffffu);
}

struct Word {
    std::vector<std::uint32_t> symbols;
    std::uint64_t count = 0;
};

} // namespace

void BpeModel::save(const fs::path &dir) const
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw Error(dir.string() + ": cannot create the folder (" + ec.message() + ")");
    nlohmann::ordered_json vocabJson = nlohmann::ordered_json::object();
    for (std::size_t id = 0; id < vocab.size(); ++id)
        vocabJson[vocab[id]] = id;
    writeFile(dir / "vocab.json", vocabJson.dump());
    std::string text = "#version: 0.2\n";
    for (const auto &[left, right] : merges)
        text += left + " " + right + "\n";
    writeFile(dir / "merges.txt", text);
}

void writeOptTokenizerConfig(const fs::path &dir, std::size_t modelMaxLength)
{
    const nlohmann::ordered_json config = {{"tokenizer_class", "GPT2Tokenizer"}, {"add_bos_token", true},
        {"add_prefix_space", false}, {"bos_token", "</s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"},
        {"pad_token", "<pad>"}, {"errors", "replace"}, {"model_max_length", modelMaxLength}};
    writeFile(dir / "tokenizer_config.json", config.dump(2) + "\n");
    const nlohmann::ordered_json specials
        = {{"bos_token", "</s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "<pad>"}};
    writeFile(dir / "special_tokens_map.json", specials.dump(2) + "\n");
}

BpeTrainer::BpeTrainer(BpeTrainerOptions options) : m_options(std::move(options))
{
    if (m_options.format == BpeFormat::Clip && m_options.vocabSize < 512 + 2)
        throw Error("BPE trainer: a vocabulary of " + std::to_string(m_options.vocabSize)
            + " tokens is smaller than the 512 byte tokens and 2 special tokens");
    if (m_options.format == BpeFormat::Gpt2 && m_options.vocabSize < 256 + m_options.specialTokens.size())
        throw Error("BPE trainer: a vocabulary of " + std::to_string(m_options.vocabSize)
            + " tokens is smaller than the 256 byte tokens and " + std::to_string(m_options.specialTokens.size())
            + " special tokens");
}

void BpeTrainer::add(std::string_view text, std::uint64_t count)
{
    using namespace ml::text;
    if (m_options.format == BpeFormat::Gpt2) {
        static const Regex gpt2(gpt2Pattern(), Regex::Utf);
        const std::string clean = sanitizeUtf8(text);
        for (const RegexMatch &m : gpt2.findAll(clean))
            m_words[byteLevelEncode(std::string_view(clean).substr(m.begin, m.end - m.begin))] += count;
        return;
    }
    static const Regex pattern(clipPattern(), Regex::Utf | Regex::Caseless);
    const std::string clean = encodeUtf8(pyLower(whitespaceClean(ftfyFixText(decodeUtf8(sanitizeUtf8(text))))));
    for (const RegexMatch &m : pattern.findAll(clean)) {
        const std::string_view piece = std::string_view(clean).substr(m.begin, m.end - m.begin);
        if (piece == kStartOfText || piece == kEndOfText)
            continue;
        m_words[byteLevelEncode(piece)] += count;
    }
}

void BpeTrainer::add(const std::vector<std::string> &texts)
{
    for (const std::string &text : texts)
        add(text);
}

BpeModel BpeTrainer::train() const
{
    BpeModel model;
    std::unordered_map<std::string, std::uint32_t> ids;
    const auto intern = [&](const std::string &token) {
        const auto [it, inserted] = ids.emplace(token, static_cast<std::uint32_t>(model.vocab.size()));
        if (inserted)
            model.vocab.push_back(token);
        return it->second;
    };
    const bool clip = m_options.format == BpeFormat::Clip;
    if (!clip)
        for (const std::string &special : m_options.specialTokens)
            intern(special);
    const std::vector<std::string> alphabet = byteAlphabet();
    for (const std::string &c : alphabet)
        intern(c);
    if (clip)
        for (const std::string &c : alphabet)
            intern(c + kEndOfWord);

    std::vector<Word> words;
    for (const auto &[piece, count] : m_words) {
        Word w;
        w.count = count;
        const std::u32string chars = ml::text::decodeUtf8(piece);
        for (std::size_t i = 0; i < chars.size(); ++i) {
            std::string symbol;
            ml::text::appendUtf8(symbol, chars[i]);
            if (clip && i + 1 == chars.size())
                symbol += kEndOfWord;
            w.symbols.push_back(ids.at(symbol));
        }
        words.push_back(std::move(w));
    }

    std::unordered_map<PairKey, std::int64_t> pairCounts;
    std::unordered_map<PairKey, std::vector<std::uint32_t>> where; // may hold stale or repeated words
    for (std::uint32_t wi = 0; wi < words.size(); ++wi)
        for (std::size_t i = 0; i + 1 < words[wi].symbols.size(); ++i) {
            const PairKey key = pairKey(words[wi].symbols[i], words[wi].symbols[i + 1]);
            pairCounts[key] += static_cast<std::int64_t>(words[wi].count);
            where[key].push_back(wi);
        }

    struct Entry {
        std::int64_t count;
        PairKey key;
    };
    // Max-heap on count; equal counts: the pair whose strings sort first wins.
    const auto lower = [&model](const Entry &a, const Entry &b) {
        if (a.count != b.count)
            return a.count < b.count;
        const std::string &al = model.vocab[leftOf(a.key)], &bl = model.vocab[leftOf(b.key)];
        if (al != bl)
            return al > bl;
        return model.vocab[rightOf(a.key)] > model.vocab[rightOf(b.key)];
    };
    std::priority_queue<Entry, std::vector<Entry>, decltype(lower)> queue(lower);
    for (const auto &[key, count] : pairCounts)
        queue.push({count, key});

    const std::size_t maxTokens = m_options.vocabSize - (clip ? 2 : 0);
    while (model.vocab.size() < maxTokens && !queue.empty()) {
        const Entry top = queue.top();
        queue.pop();
        const std::int64_t current = pairCounts[top.key];
        if (current != top.count) { // stale: counts only fall, except for new pairs (pushed anew)
            if (current > 0)
                queue.push({current, top.key});
            continue;
        }
        if (current < static_cast<std::int64_t>(std::max<std::uint64_t>(m_options.minFrequency, 1)))
            break;
        const std::uint32_t left = leftOf(top.key), right = rightOf(top.key);
        const std::string leftToken = model.vocab[left], rightToken = model.vocab[right];
        model.merges.emplace_back(leftToken, rightToken);
        const std::uint32_t merged = intern(leftToken + rightToken);

        std::vector<std::uint32_t> affected = std::move(where[top.key]);
        where.erase(top.key);
        std::sort(affected.begin(), affected.end());
        affected.erase(std::unique(affected.begin(), affected.end()), affected.end());
        std::vector<PairKey> touched;
        for (std::uint32_t wi : affected) {
            Word &w = words[wi];
            const auto count = static_cast<std::int64_t>(w.count);
            bool has = false;
            for (std::size_t i = 0; i + 1 < w.symbols.size() && !has; ++i)
                has = w.symbols[i] == left && w.symbols[i + 1] == right;
            if (!has)
                continue;
            for (std::size_t i = 0; i + 1 < w.symbols.size(); ++i)
                pairCounts[pairKey(w.symbols[i], w.symbols[i + 1])] -= count;
            std::vector<std::uint32_t> out;
            out.reserve(w.symbols.size());
            for (std::size_t i = 0; i < w.symbols.size(); ++i) {
                if (i + 1 < w.symbols.size() && w.symbols[i] == left && w.symbols[i + 1] == right) {
                    out.push_back(merged);
                    ++i;
                } else {
                    out.push_back(w.symbols[i]);
                }
            }
            w.symbols = std::move(out);
            for (std::size_t i = 0; i + 1 < w.symbols.size(); ++i) {
                const PairKey key = pairKey(w.symbols[i], w.symbols[i + 1]);
                pairCounts[key] += count;
                where[key].push_back(wi);
                touched.push_back(key);
            }
        }
        std::sort(touched.begin(), touched.end());
        touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
        for (PairKey key : touched)
            if (pairCounts[key] > 0)
                queue.push({pairCounts[key], key});
    }
    if (clip) {
        model.vocab.push_back(kStartOfText);
        model.vocab.push_back(kEndOfText);
    }
    return model;
}

} // namespace ml::train
