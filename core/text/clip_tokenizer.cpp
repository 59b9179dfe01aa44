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

// The `regex` module's \s (Unicode White_Space), which the tokenizer patterns use.
constexpr const char *kWhiteSpaceClass
    = "\\t\\n\\x{0B}\\x{0C}\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}"
      "\\x{3000}";

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
    const std::string stripped = encodeUtf8(pyStrip(all));
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (true) {
        const std::size_t nl = stripped.find('\n', pos);
        lines.push_back(stripped.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
        if (nl == std::string::npos)
            break;
        pos = nl + 1;
    }
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
    return BytePairEncoder(std::move(vocab), clipMerges(mergesFile), "</w>");
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

std::vector<std::int64_t> ClipTokenizer::contentIds(std::string_view text, std::vector<std::string> *tokens) const
{
    std::vector<std::int64_t> ids;
    for (const AddedTokens::Segment &segment : m_added.split(sanitizeUtf8(text))) {
        if (segment.token) {
            ids.push_back(segment.token->id);
            if (tokens)
                tokens->push_back(segment.token->content);
            continue;
        }
        const std::string clean = encodeUtf8(pyLower(whitespaceClean(ftfyFixText(decodeUtf8(segment.text)))));
        for (const RegexMatch &m : m_pattern.findAll(clean)) {
            for (std::string &token : m_bpe.encodeWord(byteLevelEncode(clean.substr(m.begin, m.end - m.begin)))) {
                ids.push_back(m_bpe.tokenToId(token).value_or(m_unkId));
                if (tokens)
                    tokens->push_back(std::move(token));
            }
        }
    }
    return ids;
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
    std::vector<std::vector<std::int64_t>> all;
    all.reserve(texts.size());
    for (const std::string &text : texts) {
        std::vector<std::int64_t> content = contentIds(text, nullptr);
        if (options.truncation && content.size() + specials > maxLength)
            content.resize(maxLength - specials);
        std::vector<std::int64_t> ids;
        ids.reserve(content.size() + specials);
        if (options.addSpecialTokens)
            ids.push_back(m_bosId);
        ids.insert(ids.end(), content.begin(), content.end());
        if (options.addSpecialTokens)
            ids.push_back(m_eosId);
        all.push_back(std::move(ids));
    }
    return padBatch(std::move(all), options.padding, maxLength, m_padId, options.paddingSide);
}

std::optional<std::int64_t> ClipTokenizer::tokenToId(std::string_view token) const
{
    if (const AddedToken *added = m_added.byContent(token))
        return added->id;
    return m_bpe.tokenToId(token);
}

std::string ClipTokenizer::idToToken(std::int64_t id) const
{
    if (const std::string *token = m_bpe.idToToken(id))
        return *token;
    if (const AddedToken *added = m_added.byId(id))
        return added->content;
    throw Error("CLIP tokenizer: token id " + std::to_string(id) + " is not in the vocabulary");
}

std::string ClipTokenizer::decode(
    std::span<const std::int64_t> ids, bool skipSpecialTokens, bool cleanUpTokenizationSpaces) const
{
    // _decode(): runs of vocabulary tokens become text; an added token outside the vocabulary
    // (not special) stands alone; the pieces are joined with spaces.
    const auto toString = [](const std::string &joined) {
        std::string text = encodeUtf8(decodeUtf8(byteLevelDecode(joined)));
        std::string out;
        std::size_t pos = 0;
        while (true) { // .replace("</w>", " ")
            const std::size_t hit = text.find("</w>", pos);
            if (hit == std::string::npos)
                break;
            out.append(text, pos, hit - pos).append(" ");
            pos = hit + 4;
        }
        out.append(text, pos);
        return encodeUtf8(pyStrip(decodeUtf8(out)));
    };
    std::vector<std::string> pieces;
    std::string current;
    for (std::int64_t id : ids) {
        if (skipSpecialTokens && m_added.isSpecialId(id))
            continue;
        if (m_added.isLegacyId(id, m_bpe.vocabSize())) {
            if (!current.empty()) {
                std::string piece = toString(current);
                if (!piece.empty())
                    pieces.push_back(std::move(piece));
                current.clear();
            }
            pieces.push_back(m_added.byId(id)->content);
            continue;
        }
        current += idToToken(id);
    }
    if (!current.empty())
        pieces.push_back(toString(current));
    std::string text;
    for (std::size_t i = 0; i < pieces.size(); ++i)
        text += (i ? " " : "") + pieces[i];
    return cleanUpTokenizationSpaces ? cleanUpTokenization(std::move(text)) : text;
}

} // namespace ml::text
