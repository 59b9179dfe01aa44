// GPT-2 tokenizer: pre-split regex (case-sensitive contractions, a leading space kept with the
// word) -> UTF-8 bytes -> byte-level stand-ins -> BPE by merge rank. No normalisation.
// Ref: transformers 4.40 models/gpt2/tokenization_gpt2.py (GPT2Tokenizer), openai/gpt-2 encoder.py.
#include "text/gpt2_tokenizer.h"

#include "common/error.h"
#include "text/unicode.h"

#include <limits>

namespace ml::text {

namespace {

std::string gpt2Pattern()
{
    const std::string ws = kWhiteSpaceClass;
    return "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" + ws + "\\p{L}\\p{N}]+|[" + ws + "]+(?![^" + ws + "])|["
        + ws + "]+";
}

// merges.txt: read().split("\n")[1:-1]
std::vector<std::string> gpt2Merges(const std::filesystem::path &path)
{
    const std::vector<std::string> lines = splitLines(readTextFile(path, "merges file (merges.txt)"));
    if (lines.size() < 2)
        return {};
    return {lines.begin() + 1, lines.end() - 1};
}

// A flag of tokenizer_config.json: true, false, or absent / null (false).
bool configFlag(const nlohmann::json &config, const char *key, const std::filesystem::path &file)
{
    if (!config.contains(key) || config.at(key).is_null())
        return false;
    if (!config.at(key).is_boolean())
        throw Error(file.string() + ": " + key + " is not true or false (" + config.at(key).dump() + ")");
    return config.at(key).get<bool>();
}

Gpt2TokenizerOptions optionsFromConfig(const nlohmann::json &config, const std::filesystem::path &file)
{
    Gpt2TokenizerOptions options;
    options.addPrefixSpace = configFlag(config, "add_prefix_space", file);
    options.addBosToken = configFlag(config, "add_bos_token", file);
    if (config.contains("model_max_length") && config["model_max_length"].is_number()) {
        const double length = config["model_max_length"].get<double>();
        if (length > 0 && length < 1e12) // transformers writes 1e30 for "no limit"
            options.modelMaxLength = static_cast<std::size_t>(length);
    }
    return options;
}

// vocab.json first, so that a folder missing both files reports vocab.json.
BytePairEncoder loadBpe(const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile)
{
    auto vocab = BytePairEncoder::loadVocab(vocabFile);
    auto merges = gpt2Merges(mergesFile);
    BytePairEncoder::checkMerges(vocab, merges, mergesFile, 2);
    return BytePairEncoder(std::move(vocab), merges, "");
}

} // namespace

Gpt2Tokenizer Gpt2Tokenizer::fromFolder(const std::filesystem::path &dir)
{
    TokenizerFolderConfig folder = readTokenizerFolderConfig(dir);
    const Gpt2TokenizerOptions options = optionsFromConfig(folder.config, dir / "tokenizer_config.json");
    return Gpt2Tokenizer(dir / "vocab.json", dir / "merges.txt", folder, options);
}

Gpt2Tokenizer::Gpt2Tokenizer(
    const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile, Gpt2TokenizerOptions options)
    : Gpt2Tokenizer(vocabFile, mergesFile, TokenizerFolderConfig {}, options)
{ }

Gpt2Tokenizer::Gpt2Tokenizer(const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile,
    const TokenizerFolderConfig &folder, Gpt2TokenizerOptions options)
    : m_bpe(loadBpe(vocabFile, mergesFile))
    , m_pattern(gpt2Pattern(), Regex::Utf)
    , m_options(options)
{
    m_added = AddedTokens(
        folder, {{"bos_token", "<|endoftext|>"}, {"eos_token", "<|endoftext|>"}, {"unk_token", "<|endoftext|>"}},
        [this](std::string_view token) { return m_bpe.tokenToId(token); }, m_bpe.vocabSize());
}

ByteLevelParts Gpt2Tokenizer::parts() const
{
    return {m_bpe, m_added, m_pattern, "GPT-2"};
}

std::vector<std::int64_t> Gpt2Tokenizer::contentIds(std::string_view text, std::vector<std::string> *tokens) const
{
    std::string prepared = sanitizeUtf8(text);
    if (m_options.addPrefixSpace)
        prepared.insert(prepared.begin(), ' ');
    return parts().contentIds(prepared, nullptr, unkId(), tokens); // no normalisation
}

std::vector<std::string> Gpt2Tokenizer::tokenize(std::string_view text) const
{
    std::vector<std::string> tokens;
    contentIds(text, &tokens);
    return tokens;
}

std::vector<std::int64_t> Gpt2Tokenizer::encode(std::string_view text) const
{
    return encode(text, EncodeOptions {});
}

std::vector<std::int64_t> Gpt2Tokenizer::encode(std::string_view text, const EncodeOptions &options) const
{
    BatchEncoding batch = encodeBatch({std::string(text)}, options);
    return std::move(batch.inputIds.front());
}

BatchEncoding Gpt2Tokenizer::encodeBatch(const std::vector<std::string> &texts, const EncodeOptions &options) const
{
    const std::size_t maxLength
        = options.maxLength.value_or(m_options.modelMaxLength.value_or(std::numeric_limits<std::size_t>::max()));
    const bool addBos = options.addSpecialTokens && m_options.addBosToken;
    const std::optional<std::int64_t> bos = bosId();
    if (addBos && !bos)
        throw Error("GPT-2 tokenizer: add_bos_token is set but there is no bos_token");
    const std::size_t specials = addBos ? 1 : 0;
    if (options.truncation && maxLength < specials)
        throw Error("GPT-2 tokenizer: max_length " + std::to_string(maxLength) + " is shorter than the special tokens");
    if (options.padding == Padding::MaxLength && maxLength == std::numeric_limits<std::size_t>::max())
        throw Error("GPT-2 tokenizer: padding to max_length needs a max_length (or model_max_length)");
    const std::vector<std::int64_t> prefix(specials, bos.value_or(0)); // bos when addBos
    return encodeBatchWith(texts, options, maxLength, prefix, {}, padId(),
        [this](const std::string &text) { return contentIds(text, nullptr); });
}

std::optional<std::int64_t> Gpt2Tokenizer::tokenToId(std::string_view token) const
{
    return parts().tokenToId(token);
}

std::string Gpt2Tokenizer::idToToken(std::int64_t id) const
{
    return parts().idToToken(id);
}

std::string Gpt2Tokenizer::decode(
    std::span<const std::int64_t> ids, bool skipSpecialTokens, bool cleanUpTokenizationSpaces) const
{
    const auto toText = [](const std::string &joined) { return encodeUtf8(decodeUtf8(byteLevelDecode(joined))); };
    return parts().decode(ids, skipSpecialTokens, cleanUpTokenizationSpaces, toText);
}

} // namespace ml::text
