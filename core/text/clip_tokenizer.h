// CLIP's tokenizer, exactly as transformers 4.40's CLIPTokenizer with ftfy installed (which
// matches openai/CLIP's SimpleTokenizer except that it does not unescape HTML twice).
#pragma once

#include "text/bpe.h"
#include "text/regex.h"
#include "text/tokenizer_common.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ml::text {

class ClipTokenizer {
public:
    // A folder with vocab.json and merges.txt (required) and optionally tokenizer_config.json /
    // special_tokens_map.json (bos/eos/unk/pad overrides: not every CLIP uses <|endoftext|> to
    // pad). contextLength: the text model's max_position_embeddings (77 for CLIP).
    // Throws ml::Error naming the missing or malformed file.
    static ClipTokenizer fromFolder(const std::filesystem::path &dir, std::size_t contextLength = 77);
    ClipTokenizer(const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile,
        std::size_t contextLength = 77);

    // tokenizer.tokenize(text): BPE tokens ("cat</w>"), added tokens kept whole, no bos/eos.
    std::vector<std::string> tokenize(std::string_view text) const;
    // tokenizer(text, truncation=True, max_length=contextLength)["input_ids"]:
    // bos + ids + eos, the content cut so that eos stays the last of contextLength tokens.
    std::vector<std::int64_t> encode(std::string_view text) const;
    std::vector<std::int64_t> encode(std::string_view text, const EncodeOptions &options) const;
    // tokenizer(texts, padding=..., truncation=True, max_length=contextLength).
    BatchEncoding encodeBatch(const std::vector<std::string> &texts, Padding padding = Padding::MaxLength) const;
    BatchEncoding encodeBatch(const std::vector<std::string> &texts, const EncodeOptions &options) const;
    // tokenizer.decode(ids, skip_special_tokens=...): "a photo of a cat". Throws on an unknown id.
    std::string decode(
        std::span<const std::int64_t> ids, bool skipSpecialTokens = true, bool cleanUpTokenizationSpaces = true) const;

    std::int64_t bosId() const { return m_bosId; }
    std::int64_t eosId() const { return m_eosId; }
    std::int64_t padId() const { return m_padId; }
    std::int64_t unkId() const { return m_unkId; }
    std::size_t contextLength() const { return m_contextLength; }
    std::size_t vocabSize() const { return m_bpe.vocabSize(); }
    // The largest id encode() can give: the vocabulary's or an added token's.
    std::int64_t largestId() const { return std::max(m_bpe.largestId(), m_added.largestId()); }
    std::optional<std::int64_t> tokenToId(std::string_view token) const;
    std::string idToToken(std::int64_t id) const; // throws on an unknown id

private:
    ClipTokenizer(const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile,
        const TokenizerFolderConfig &folder, std::size_t contextLength);
    ByteLevelParts parts() const;
    std::vector<std::int64_t> contentIds(std::string_view text, std::vector<std::string> *tokens) const;

    BytePairEncoder m_bpe;
    AddedTokens m_added;
    Regex m_pattern;
    std::size_t m_contextLength;
    std::int64_t m_bosId = 0, m_eosId = 0, m_padId = 0, m_unkId = 0;
};

} // namespace ml::text
