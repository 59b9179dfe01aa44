// A byte-level BPE trainer that writes CLIP-format vocab.json + merges.txt (ClipTokenizer) or
// GPT-2-format ones (Gpt2Tokenizer, OPT's special tokens first), learnt from a caption corpus.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ml::train {

// Clip: ClipTokenizer's pre-tokenisation (ftfy, lower case, its regex) and "</w>" word ends.
// Gpt2: GPT2Tokenizer's (no normalisation, the GPT-2 regex keeping a leading space with the word),
// no word-end marker, as OPT's tokenizer.
enum class BpeFormat { Clip, Gpt2 };

struct BpeTrainerOptions {
    // The whole vocabulary. Clip: 512 byte tokens + merges + <|startoftext|> + <|endoftext|>
    // (CLIP's is 49408). Gpt2: the special tokens, 256 byte tokens, merges. Training stops earlier
    // when no pair is seen minFrequency times.
    std::size_t vocabSize = 49408;
    std::uint64_t minFrequency = 2;
    BpeFormat format = BpeFormat::Clip;
    // Gpt2 only: the tokens given the first ids, OPT's by default.
    std::vector<std::string> specialTokens = {"<s>", "<pad>", "</s>", "<unk>"};
};

struct BpeModel {
    // In id order. Clip: the 256 byte stand-ins (bytes_to_unicode), the same + "</w>", one token
    // per merge (a merge whose result is already a token adds none), then the two special tokens.
    // Gpt2: the special tokens, the 256 byte stand-ins, one token per merge.
    std::vector<std::string> vocab;
    std::vector<std::pair<std::string, std::string>> merges; // rank order

    // dir/vocab.json ({"!":0,...} in id order) and dir/merges.txt ("#version: 0.2", then
    // "left right" per line). Creates dir; throws ml::Error naming a file it cannot write.
    void save(const std::filesystem::path &dir) const;
};

// OPT's tokenizer_config.json and special_tokens_map.json beside a Gpt2-format vocabulary:
// GPT2Tokenizer with add_bos_token (every text starts with "</s>", OPT's bos), "</s>" also the
// eos, "<pad>" the padding, "<unk>" the unknown token. Throws ml::Error naming a file it cannot write.
void writeOptTokenizerConfig(const std::filesystem::path &dir, std::size_t modelMaxLength);

class BpeTrainer {
public:
    explicit BpeTrainer(BpeTrainerOptions options = {});

    // The format's pre-tokenisation, exactly as its tokenizer: Clip: ftfy, whitespace clean-up,
    // lower case, CLIP's pre-split regex; Gpt2: the GPT-2 regex on the text as it is; then
    // byte-level stand-ins; each piece counted `count` times.
    void add(std::string_view text, std::uint64_t count = 1);
    void add(const std::vector<std::string> &texts);

    // Merges the most frequent adjacent pair until the vocabulary is full; ties go to the pair
    // whose (left, right) strings sort first, so the result depends on the corpus only.
    BpeModel train() const;

    std::size_t distinctWords() const { return m_words.size(); }

private:
    BpeTrainerOptions m_options;
    std::map<std::string, std::uint64_t> m_words; // byte-level piece -> count
};

} // namespace ml::train
