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
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ml::text {

class BytePairEncoder;
class Regex;

// The `regex` module's \s (Unicode White_Space) as the inside of a character class, for the
// tokenizers' pre-split patterns.
inline constexpr const char *kWhiteSpaceClass
    = "\\t\\n\\x{0B}\\x{0C}\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}"
      "\\x{3000}";

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
    std::int64_t largestId() const; // -1 when there are none

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

// str.replace(from, to): every non-overlapping occurrence, left to right.
std::string replaceAll(std::string_view text, std::string_view from, std::string_view to);

// clean_up_tokenization(): " ." -> ".", " ?" -> "?", " !" -> "!", " ," -> ",", " ' " -> "'",
// " n't" -> "n't", " 'm" -> "'m", " 's" -> "'s", " 've" -> "'ve", " 're" -> "'re".
std::string cleanUpTokenization(std::string text);

// Pads already truncated sequences; throws ml::Error when padding is asked without a pad id.
BatchEncoding padBatch(std::vector<std::vector<std::int64_t>> ids, Padding padding, std::size_t maxLength,
    std::optional<std::int64_t> padId, PaddingSide side);

// tokenizer(texts, ...) once each text has content ids: content truncated (options.truncation)
// so that prefix + content + suffix fits maxLength, wrapped in prefix and suffix, then padded.
// The caller checks that maxLength leaves room for prefix and suffix.
BatchEncoding encodeBatchWith(const std::vector<std::string> &texts, const EncodeOptions &options,
    std::size_t maxLength, std::span<const std::int64_t> prefix, std::span<const std::int64_t> suffix,
    std::optional<std::int64_t> padId, const std::function<std::vector<std::int64_t>(const std::string &)> &contentIds);

// The parts of a byte-level BPE tokenizer (CLIP, GPT-2), for the steps they take alike.
struct ByteLevelParts {
    const BytePairEncoder &bpe;
    const AddedTokens &added;
    const Regex &pattern;
    std::string_view name; // "CLIP", "GPT-2": starts the error messages

    // An added token's id, else the vocabulary's.
    std::optional<std::int64_t> tokenToId(std::string_view token) const;
    // The vocabulary's token, else the added token's; throws ml::Error on an unknown id.
    std::string idToToken(std::int64_t id) const;
    // tokenize(): split on added tokens; each plain segment normalised (when `normalize` is set),
    // pre-split by `pattern`, byte-level encoded and BPE'd. No bos/eos. A token outside the
    // vocabulary becomes unk; without an unk, throws ml::Error. Tokens go to `tokens` when set.
    std::vector<std::int64_t> contentIds(std::string_view text,
        const std::function<std::string(const std::string &)> &normalize, std::optional<std::int64_t> unk,
        std::vector<std::string> *tokens) const;
    // _decode(): runs of vocabulary tokens become text through `toText`; a legacy added token
    // (AddedTokens::isLegacyId) stands alone; the pieces are joined with spaces.
    std::string decode(std::span<const std::int64_t> ids, bool skipSpecialTokens, bool cleanUpTokenizationSpaces,
        const std::function<std::string(const std::string &)> &toText) const;
};

} // namespace ml::text
