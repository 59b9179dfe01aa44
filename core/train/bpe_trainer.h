// A byte-level BPE trainer that writes CLIP-format vocab.json + merges.txt, so that
// ml::text::ClipTokenizer::fromFolder loads what it learnt from a caption corpus.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ml::train {

struct BpeTrainerOptions {
    // The whole vocabulary: 512 byte tokens + merges + <|startoftext|> + <|endoftext|> (CLIP's
    // is 49408). Training stops earlier when no pair is seen minFrequency times.
    std::size_t vocabSize = 49408;
    std::uint64_t minFrequency = 2;
};

struct BpeModel {
    // In id order, CLIP's layout: the 256 byte stand-ins (bytes_to_unicode), the same + "</w>",
    // one token per merge (a merge whose result is already a token adds none), then the two
    // special tokens.
    std::vector<std::string> vocab;
    std::vector<std::pair<std::string, std::string>> merges; // rank order

    // dir/vocab.json ({"!":0,...} in id order) and dir/merges.txt ("#version: 0.2", then
    // "left right" per line). Creates dir; throws ml::Error naming a file it cannot write.
    void save(const std::filesystem::path &dir) const;
};

class BpeTrainer {
public:
    explicit BpeTrainer(BpeTrainerOptions options = {});

    // CLIP's pre-tokenisation, exactly as ClipTokenizer: ftfy, whitespace clean-up, lower case,
    // the pre-split regex, byte-level stand-ins; each piece counted `count` times.
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
