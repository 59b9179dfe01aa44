// CLIP tokenizer: ftfy.fix_text -> whitespace_clean -> lower() -> pre-split regex -> byte-level
// BPE with a "</w>" end-of-word marker.
// Ref: transformers 4.40 models/clip/tokenization_clip.py (CLIPTokenizer), openai/CLIP
// clip/simple_tokenizer.py.
#include "text/clip_tokenizer.h"

#include "common/error.h"
#include "text/ftfy.h"
#include "text/unicode.h"

#include <algorithm>

namespace ml::text {

namespace {

std::string clipPattern()
{
    const std::string ws = kWhiteSpaceClass;
    // Under IGNORECASE the `regex` module keeps a character out of a negated class when any of
    // its case variants is in the class: U+0345 (which folds to iota) matches no alternative.
    return "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^" + ws
        + "\\p{L}\\p{N}\\x{345}]+";
}

// merges.txt: read().strip().split("\n")[1 : 49152 - 256 - 2 + 1]
std::vector<std::string> clipMerges(const std::filesystem::path &path)
{
    const std::string text = readTextFile(path, "merges file (merges.txt)");
    const std::u32string all = decodeUtf8(text);
    const std::vector<std::string> lines = splitLines(encodeUtf8(pyStrip(all)));
    constexpr std::size_t kEnd = 49152 - 256 - 2 + 1;
    if (lines.size() <= 1)
        throw Error(path.string() + ": no merges after the version line");
    return {lines.begin() + 1, lines.begin() + static_cast<std::ptrdiff_t>(std::min(kEnd, lines.size()))};
}

// whitespace_clean(): re.sub(r"\s+", " ", text).strip()
std::u32string whitespaceClean(std::u32string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (isWhiteSpace(text[i])) {
            out += U' ';
            while (i < text.size() && isWhiteSpace(text[i]))
                ++i;
        } else {
            out += text[i++];
        }
    }
    return std::u32string(pyStrip(out));
}

// vocab.json first, so that a folder missing both files reports vocab.json.
BytePairEncoder loadBpe(const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile)
{
    auto vocab = BytePairEncoder::loadVocab(vocabFile);
    auto merges = clipMerges(mergesFile);
    BytePairEncoder::checkMerges(vocab, merges, mergesFile, 2);
    return BytePairEncoder(std::move(vocab), merges, "</w>");
}

} // namespace

ClipTokenizer ClipTokenizer::fromFolder(const std::filesystem::path &dir, std::size_t contextLength)
{
    return ClipTokenizer(dir / "vocab.json", dir / "merges.txt", readTokenizerFolderConfig(dir), contextLength);
}

ClipTokenizer::ClipTokenizer(
    const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile, std::size_t contextLength)
    : ClipTokenizer(vocabFile, mergesFile, TokenizerFolderConfig {}, contextLength)
{ }

ClipTokenizer::ClipTokenizer(const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile,
    const TokenizerFolderConfig &folder, std::size_t contextLength)
    : m_bpe(loadBpe(vocabFile, mergesFile))
    , m_pattern(clipPattern(), Regex::Utf | Regex::Caseless)
    , m_contextLength(contextLength)
{
    m_added = AddedTokens(
        folder,
        {{"bos_token", "<|startoftext|>"}, {"eos_token", "<|endoftext|>"}, {"unk_token", "<|endoftext|>"},
            {"pad_token", "<|endoftext|>"}},
        [this](std::string_view token) { return m_bpe.tokenToId(token); }, m_bpe.vocabSize());
    m_bosId = *m_added.specialId("bos_token");
    m_eosId = *m_added.specialId("eos_token");
    m_padId = *m_added.specialId("pad_token");
    m_unkId = *m_added.specialId("unk_token");
    // The cache entries CLIPTokenizer starts with: these two never get "</w>".
    m_bpe.pin("<|startoftext|>", {"<|startoftext|>"});
    m_bpe.pin("<|endoftext|>", {"<|endoftext|>"});
    if (m_contextLength < 2)
        throw Error("CLIP tokenizer: a context length of " + std::to_string(m_contextLength)
            + " leaves no room for the start and end tokens");
}

ByteLevelParts ClipTokenizer::parts() const
{
    return {m_bpe, m_added, m_pattern, "CLIP"};
}

std::vector<std::int64_t> ClipTokenizer::contentIds(std::string_view text, std::vector<std::string> *tokens) const
{
    const auto clean
        = [](const std::string &plain) { return encodeUtf8(pyLower(whitespaceClean(ftfyFixText(decodeUtf8(plain))))); };
    return parts().contentIds(sanitizeUtf8(text), clean, m_unkId, tokens);
}

std::vector<std::string> ClipTokenizer::tokenize(std::string_view text) const
{
    std::vector<std::string> tokens;
    contentIds(text, &tokens);
    return tokens;
}

std::vector<std::int64_t> ClipTokenizer::encode(std::string_view text) const
{
    EncodeOptions options;
    options.truncation = true;
    return encode(text, options);
}

std::vector<std::int64_t> ClipTokenizer::encode(std::string_view text, const EncodeOptions &options) const
{
    BatchEncoding batch = encodeBatch({std::string(text)}, options);
    return std::move(batch.inputIds.front());
}

BatchEncoding ClipTokenizer::encodeBatch(const std::vector<std::string> &texts, Padding padding) const
{
    EncodeOptions options;
    options.truncation = true;
    options.padding = padding;
    return encodeBatch(texts, options);
}

BatchEncoding ClipTokenizer::encodeBatch(const std::vector<std::string> &texts, const EncodeOptions &options) const
{
    const std::size_t maxLength = options.maxLength.value_or(m_contextLength);
    const std::size_t specials = options.addSpecialTokens ? 2 : 0;
    if (options.truncation && maxLength < specials)
        throw Error("CLIP tokenizer: max_length " + std::to_string(maxLength) + " is shorter than the "
            + std::to_string(specials) + " special tokens");
    const std::size_t wrap = options.addSpecialTokens ? 1 : 0; // bos before, eos after
    const std::span<const std::int64_t> bos(&m_bosId, wrap), eos(&m_eosId, wrap);
    return encodeBatchWith(texts, options, maxLength, bos, eos, m_padId,
        [this](const std::string &text) { return contentIds(text, nullptr); });
}

std::optional<std::int64_t> ClipTokenizer::tokenToId(std::string_view token) const
{
    return parts().tokenToId(token);
}

std::string ClipTokenizer::idToToken(std::int64_t id) const
{
    return parts().idToToken(id);
}

std::string ClipTokenizer::decode(
    std::span<const std::int64_t> ids, bool skipSpecialTokens, bool cleanUpTokenizationSpaces) const
{
    const auto toText = [](const std::string &joined) {
        const std::string text = replaceAll(encodeUtf8(decodeUtf8(byteLevelDecode(joined))), "</w>", " ");
        return encodeUtf8(pyStrip(decodeUtf8(text)));
    };
    return parts().decode(ids, skipSpecialTokens, cleanUpTokenizationSpaces, toText);
}

} // namespace ml::text
