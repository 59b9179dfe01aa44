// What the BPE tokenizers share with transformers' PreTrainedTokenizer: added (special) tokens
// split out before BPE, the tokenizer_config.json / special_tokens_map.json overrides,
// truncation and padding of a batch, and decode()'s clean-up of spaces.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ml::text {

enum class Padding {
    None,
    Longest,   // to the longest sequence of the batch
    MaxLength, // to maxLength (sequences longer than it stay longer unless truncated)
};
enum class PaddingSide { Right, Left };

// The keyword arguments of tokenizer(texts, ...) that ModalLens uses.
struct EncodeOptions {
    bool addSpecialTokens = true;
    bool truncation = false;              // cut content so that content + special tokens <= maxLength
    std::optional<std::size_t> maxLength; // nullopt: the tokenizer's model max length
    Padding padding = Padding::None;
    PaddingSide paddingSide = PaddingSide::Right;
};

struct BatchEncoding {
    std::vector<std::vector<std::int64_t>> inputIds;
    std::vector<std::vector<std::int64_t>> attentionMask; // 1 on tokens, 0 on padding
};

struct AddedToken {
    std::string content;
    std::int64_t id = -1;
    bool special = true;
    bool lstrip = false;     // eats the whitespace on its left
    bool rstrip = false;     // eats the whitespace on its right
    bool additional = false; // one of additional_special_tokens
};

// The special tokens and added tokens of a tokenizer folder, as transformers 4.40 reads them:
// tokenizer_config.json first, then special_tokens_map.json, whose values win.
struct TokenizerFolderConfig {
    std::map<std::string, AddedToken> specials;       // "bos_token", "eos_token", "unk_token", "pad_token", ...
    std::vector<AddedToken> additionalSpecials;       // "additional_special_tokens"
    std::vector<AddedToken> addedTokens;              // tokenizer_config.json "added_tokens_decoder" (ids set)
    nlohmann::json config = nlohmann::json::object(); // tokenizer_config.json, {} when absent
};
// Both files are optional; a malformed one throws ml::Error naming it.
TokenizerFolderConfig readTokenizerFolderConfig(const std::filesystem::path &dir);

// The added tokens of a tokenizer and their ids: a token of the vocabulary keeps its id, any
// other gets the next id after the vocabulary (transformers' _add_tokens).
class AddedTokens {
public:
    using VocabLookup = std::function<std::optional<std::int64_t>(std::string_view)>;
    AddedTokens() = default;
    // specials: attribute -> token (e.g. "bos_token" -> "<|startoftext|>").
    AddedTokens(const TokenizerFolderConfig &folder, const std::map<std::string, std::string> &defaults,
        const VocabLookup &vocab, std::size_t vocabSize);

    const AddedToken *special(const std::string &attribute) const; // nullptr when unset
    std::optional<std::int64_t> specialId(const std::string &attribute) const;
    bool isSpecialId(std::int64_t id) const;
    // decode() keeps these apart from the byte-level text: added tokens that are not special,
    // and additional special tokens outside the vocabulary (transformers' legacy_added_tokens).
    bool isLegacyId(std::int64_t id, std::size_t vocabSize) const;
    const AddedToken *byContent(std::string_view content) const;
    const AddedToken *byId(std::int64_t id) const;

    struct Segment {
        std::string text; // plain text, or the added token's content
        const AddedToken *token = nullptr;
    };
    // tokenize()'s first step: split on added tokens (earliest, then longest match),
    // honouring lstrip / rstrip. Empty plain segments are dropped.
    std::vector<Segment> split(std::string_view text) const;

private:
    void add(AddedToken token, const VocabLookup &vocab, std::size_t vocabSize);

    std::vector<AddedToken> m_tokens;
    std::map<std::string, std::size_t> m_specialIndex; // attribute -> index into m_tokens
    std::vector<std::size_t> m_byLength;               // indices, longest content first
};

// clean_up_tokenization(): " ." -> ".", " ?" -> "?", " !" -> "!", " ," -> ",", " ' " -> "'",
// " n't" -> "n't", " 'm" -> "'m", " 's" -> "'s", " 've" -> "'ve", " 're" -> "'re".
std::string cleanUpTokenization(std::string text);

// Pads already truncated sequences; throws ml::Error when padding is asked without a pad id.
BatchEncoding padBatch(std::vector<std::vector<std::int64_t>> ids, Padding padding, std::size_t maxLength,
    std::optional<std::int64_t> padId, PaddingSide side);

} // namespace ml::text
