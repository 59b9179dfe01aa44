// The byte-level BPE core shared by the CLIP and GPT-2 tokenizers: GPT-2's bytes_to_unicode()
// stand-ins, vocab.json / merges.txt, and the merge loop with a per-word cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ml::text {

// bytes_to_unicode(): byte b -> a printable code point (the byte itself for most of Latin-1).
char32_t byteToUnicode(unsigned char b);
// UTF-8 bytes -> the UTF-8 of their stand-ins ("a b" -> "aĠb").
std::string byteLevelEncode(std::string_view bytes);
// The inverse: stand-ins back to raw bytes; a character that is no stand-in keeps its UTF-8.
std::string byteLevelDecode(std::string_view byteLevelUtf8);

// Reads a whole file; throws ml::Error naming `what` and the path when it is missing or unreadable.
std::string readTextFile(const std::filesystem::path &path, std::string_view what);
// str.split("\n"): every line, the last one included even when empty.
std::vector<std::string> splitLines(std::string_view text);

class BytePairEncoder {
public:
    // vocab: vocab.json contents; merges: the merge lines in rank order (rank = index), each
    // "left right" (lines that do not split into two parts take a rank but never match).
    // endOfWord is appended to a word's last symbol before merging ("</w>" for CLIP).
    BytePairEncoder(std::unordered_map<std::string, std::int64_t> vocab, const std::vector<std::string> &merges,
        std::string endOfWord);
    BytePairEncoder(const BytePairEncoder &other);
    BytePairEncoder &operator=(const BytePairEncoder &) = delete;

    // vocab.json as {token: id}; throws ml::Error naming the file when missing or malformed: not a
    // JSON object, empty, an id that is not an integer, negative, or shared by two tokens.
    static std::unordered_map<std::string, std::int64_t> loadVocab(const std::filesystem::path &path);
    // Throws ml::Error naming mergesFile (its 1-based lines: merges[i] is line i + firstLine) when a
    // line is not a pair of tokens, or a pair or what it merges into is not in vocab (a garbage or
    // mismatched merges.txt, which transformers' fast tokenizers refuse too). Empty lines pass.
    static void checkMerges(const std::unordered_map<std::string, std::int64_t> &vocab,
        const std::vector<std::string> &merges, const std::filesystem::path &mergesFile, std::size_t firstLine);

    // BPE of one pre-tokenised piece already in stand-in characters (byteLevelEncode).
    std::vector<std::string> encodeWord(const std::string &word) const;
    // `word` always becomes `tokens` (CLIP's "<|startoftext|>" cache entries). Call before use.
    void pin(const std::string &word, std::vector<std::string> tokens);

    // The merge loop on one word, uncached. A long word (a 1 MB prompt without a space) takes an
    // O(n log n) loop with the same result, where the reference's pass over every pair per merge
    // would take hours; alwaysLong takes it for any word (tests compare the two).
    std::vector<std::string> merge(const std::string &word, bool alwaysLong = false) const;

    std::optional<std::int64_t> tokenToId(std::string_view token) const;
    const std::string *idToToken(std::int64_t id) const;
    std::size_t vocabSize() const { return m_vocab.size(); }
    std::int64_t largestId() const { return m_largestId; } // -1 for an empty vocabulary

private:
    std::vector<std::string> mergeLong(std::vector<std::string> symbols) const;

    std::unordered_map<std::string, std::int64_t> m_vocab;
    std::unordered_map<std::int64_t, std::string> m_reverse;
    std::unordered_map<std::string, std::size_t> m_ranks; // "left right" -> rank
    std::string m_endOfWord;
    std::int64_t m_largestId = -1;
    std::unordered_map<std::string, std::vector<std::string>> m_pinned;
    mutable std::mutex m_cacheMutex;
    mutable std::unordered_map<std::string, std::vector<std::string>> m_cache; // bounded: cleared when full
};

} // namespace ml::text
