// LLaMA's SentencePiece tokenizer, exactly as transformers 4.40's slow LlamaTokenizer (as
// llava-hf checkpoints use it), and a small SentencePiece trainer with LLaMA-like settings.
// Needs libsentencepiece (MODALLENS_HAVE_SENTENCEPIECE); without it every entry point throws
// ml::Error("... built without SentencePiece (libsentencepiece-dev)").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ml::text {

struct LlamaTokenizerOptions {
    bool legacy = true;         // tokenizer_config.json "legacy"; absent or null: true (4.40's default)
    bool addBos = true;         // add_bos_token
    bool addEos = false;        // add_eos_token
    bool addPrefixSpace = true; // add_prefix_space: legacy=false prepends "▁"; decode drops the first one
    // Added tokens beyond the model's pieces (and the model's own <unk>, <s>, </s> when listed):
    // content -> id. The text is split on them before SentencePiece sees it.
    std::vector<std::pair<std::string, std::int64_t>> addedTokens;
    // The added tokens that are special tokens (additional_special_tokens, or added with
    // add_tokens(..., special_tokens=True)): skipped by decode(skipSpecialTokens).
    std::vector<std::string> specialAdded;
    // Added tokens that eat the whitespace on their left / right (AddedToken lstrip / rstrip).
    std::vector<std::string> lstripAdded;
    std::vector<std::string> rstripAdded;
    std::string bosToken = "<s>";
    std::string eosToken = "</s>";
    std::string unkToken = "<unk>";
    std::optional<std::string> padToken;    // none by default (llava-hf: "<pad>")
    bool cleanUpTokenizationSpaces = false; // clean_up_tokenization_spaces (LlamaTokenizer: false)
};

class LlamaTokenizer {
public:
    // A folder with tokenizer.model (required) and, optionally, tokenizer_config.json
    // (legacy, add_bos_token, add_eos_token, add_prefix_space, special tokens,
    // added_tokens_decoder), special_tokens_map.json, added_tokens.json or tokenizer.json's
    // "added_tokens". Throws ml::Error starting with the path of the file at fault.
    static LlamaTokenizer fromFolder(const std::filesystem::path &folder);
    static LlamaTokenizer fromModelFile(const std::filesystem::path &model, LlamaTokenizerOptions options);

    // tokenizer(text)["input_ids"]: added tokens split out first, bos / eos per the options.
    std::vector<std::int64_t> encode(const std::string &text, bool addSpecialTokens = true) const;
    // tokenizer.tokenize(text): the pieces ("▁cat", "<0x0A>", "<image>"), no bos / eos.
    std::vector<std::string> tokenize(const std::string &text) const;
    // tokenizer.decode(ids, skip_special_tokens=...). Throws ml::Error on an unknown id.
    std::string decode(const std::vector<std::int64_t> &ids, bool skipSpecialTokens = true) const;
    // One token's text for streaming display: "▁" shown as a space, a byte piece "<0x0A>" as
    // its raw byte (a multi-byte character arrives over several calls), an added or special
    // token as its content. Throws ml::Error on an unknown id.
    std::string tokenText(std::int64_t id) const;
    // convert_ids_to_tokens(ids): the pieces, added tokens as their content.
    std::vector<std::string> tokens(const std::vector<std::int64_t> &ids) const;

    std::int64_t bosId() const;
    std::int64_t eosId() const;
    std::int64_t unkId() const;
    std::optional<std::int64_t> padId() const;
    bool isSpecial(std::int64_t id) const; // one of all_special_ids (bos, eos, unk, pad, specialAdded)
    std::optional<std::int64_t> tokenId(const std::string &piece) const; // added tokens, then pieces
    std::int64_t pieceCount() const; // the SentencePiece model's pieces (transformers' vocab_size)
    std::int64_t vocabSize() const;  // pieces and added tokens: max id + 1
    const LlamaTokenizerOptions &options() const;

private:
    struct Impl;
    explicit LlamaTokenizer(std::shared_ptr<const Impl> impl);
    std::shared_ptr<const Impl> m_impl; // immutable once built: copies share it, threads may too
};

// Trains a SentencePiece model on `corpus` (one sentence per entry) with LLaMA's settings:
// <unk>=0, <s>=1, </s>=2, no pad, byte_fallback, add_dummy_prefix, no whitespace clean-up,
// split_digits, identity normalisation, character_coverage 1.0, a soft vocabulary limit. One
// thread, no sampling of the input: the same corpus gives the same file. modelType: "bpe" or
// "unigram". Writes modelFile (its folder must exist); throws ml::Error on failure.
void trainSentencePiece(const std::vector<std::string> &corpus, const std::filesystem::path &modelFile, int vocabSize,
    const std::string &modelType = "bpe");

} // namespace ml::text
