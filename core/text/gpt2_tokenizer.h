// GPT-2's byte-level BPE tokenizer, exactly as transformers 4.40's (slow) GPT2Tokenizer; OPT
// (the language model of BLIP-2) uses it with its own vocabulary and special tokens.
#pragma once

#include "text/bpe.h"
#include "text/regex.h"
#include "text/tokenizer_common.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ml::text {

struct Gpt2TokenizerOptions {
    bool addPrefixSpace = false;               // add_prefix_space: " " + text before the regex
    bool addBosToken = false;                  // add_bos_token: bos before the ids (OPT)
    std::optional<std::size_t> modelMaxLength; // model_max_length: default truncation / padding length
};

class Gpt2Tokenizer {
public:
    // A folder with vocab.json and merges.txt (required); tokenizer_config.json (optional) may set
    // add_prefix_space, add_bos_token, model_max_length and the special tokens, which
    // special_tokens_map.json (optional) overrides. Throws ml::Error naming the missing file.
    static Gpt2Tokenizer fromFolder(const std::filesystem::path &dir);
    Gpt2Tokenizer(const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile,
        Gpt2TokenizerOptions options = {});

    // tokenizer.tokenize(text): byte-level tokens ("Ġcat"), added tokens kept whole.
    std::vector<std::string> tokenize(std::string_view text) const;
    // tokenizer(text)["input_ids"]: no truncation, bos only with add_bos_token.
    std::vector<std::int64_t> encode(std::string_view text) const;
    std::vector<std::int64_t> encode(std::string_view text, const EncodeOptions &options) const;
    BatchEncoding encodeBatch(const std::vector<std::string> &texts, const EncodeOptions &options) const;
    // tokenizer.decode(ids, skip_special_tokens=...). Throws on an unknown id.
    std::string decode(
        std::span<const std::int64_t> ids, bool skipSpecialTokens = true, bool cleanUpTokenizationSpaces = true) const;

    std::optional<std::int64_t> bosId() const { return m_added.specialId("bos_token"); }
    std::optional<std::int64_t> eosId() const { return m_added.specialId("eos_token"); }
    std::optional<std::int64_t> unkId() const { return m_added.specialId("unk_token"); }
    std::optional<std::int64_t> padId() const { return m_added.specialId("pad_token"); }
    const Gpt2TokenizerOptions &options() const { return m_options; }
    std::size_t vocabSize() const { return m_bpe.vocabSize(); }
    // The largest id encode() can give: the vocabulary's or an added token's.
    std::int64_t largestId() const { return std::max(m_bpe.largestId(), m_added.largestId()); }
    std::optional<std::int64_t> tokenToId(std::string_view token) const;
    std::string idToToken(std::int64_t id) const; // throws on an unknown id

private:
    Gpt2Tokenizer(const std::filesystem::path &vocabFile, const std::filesystem::path &mergesFile,
        const TokenizerFolderConfig &folder, Gpt2TokenizerOptions options);
    ByteLevelParts parts() const;
    std::vector<std::int64_t> contentIds(std::string_view text, std::vector<std::string> *tokens) const;

    BytePairEncoder m_bpe;
    AddedTokens m_added;
    Regex m_pattern;
    Gpt2TokenizerOptions m_options;
};

} // namespace ml::text
