// The two byte-level BPE tokenizer targets (CLIP, GPT-2) in one template: a small tokenizer made
// here (all 256 byte symbols, a few merges, the special tokens) encodes arbitrary bytes, and the
// tokenizer files themselves (vocab.json, merges.txt, tokenizer_config.json) are fuzzed too.
#pragma once

#include "common/error.h"
#include "fuzz_util.h"
#include "text/bpe.h"
#include "text/tokenizer_common.h"
#include "text/unicode.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ml::fuzz {

// vocab.json and merges.txt of a small byte-level tokenizer; endOfWord "</w>" adds CLIP's
// end-of-word twins of every symbol. allBytes: a symbol for each of the 256 bytes, else for the
// letters and the space only (a seed for the file fuzzing, short enough to mutate quickly).
struct TinyBpeFiles {
    std::string vocab;
    std::string merges;
};

inline TinyBpeFiles tinyBpeFiles(
    const std::string &endOfWord, const std::vector<std::string> &specials, bool allBytes = true)
{
    nlohmann::json vocab = nlohmann::json::object();
    std::int64_t next = 0;
    const auto add = [&](const std::string &token) {
        if (!vocab.contains(token))
            vocab[token] = next++;
    };
    std::vector<std::string> symbols;
    for (int b = 0; b < 256; ++b)
        if (allBytes || b == ' ' || (b >= 'a' && b <= 'z'))
            symbols.push_back(
                ml::text::encodeUtf8(std::u32string(1, ml::text::byteToUnicode(static_cast<unsigned char>(b)))));
    for (const auto &s : symbols)
        add(s);
    if (!endOfWord.empty())
        for (const auto &s : symbols)
            add(s + endOfWord);
    const std::string space = ml::text::byteLevelEncode(" ");
    const std::vector<std::pair<std::string, std::string>> merges = {{"t", "h"}, {"th", "e" + endOfWord}, {space, "t"},
        {"i", "n"}, {"a", "t" + endOfWord}, {space + "t", "h"}, {"c", "a"}, {"ca", "t" + endOfWord},
        {"o", "f" + endOfWord}, {"p", "h"}, {"ph", "o"}, {"pho", "t"}, {"o", "t"}, {"e", "r"}};
    std::string mergesText = "#version: 0.2\n";
    for (const auto &[left, right] : merges) {
        add(left + right);
        mergesText += left + " " + right + "\n";
    }
    for (const auto &s : specials)
        add(s);
    return {vocab.dump(), mergesText};
}

inline void writeText(const std::filesystem::path &path, std::string_view text)
{
    writeFile(path, reinterpret_cast<const std::uint8_t *>(text.data()), text.size());
}

// Encodes and decodes `text` (a batch of two when padding); only ml::Error may come out.
template<typename Tokenizer>
void exercise(const Tokenizer &tok, const std::string &text, const ml::text::EncodeOptions &options)
{
    try {
        const std::vector<std::int64_t> ids = tok.encode(text, options);
        (void)tok.decode(ids, options.addSpecialTokens, options.truncation);
        if (options.padding != ml::text::Padding::None)
            (void)tok.encodeBatch({text, text.substr(text.size() / 2)}, options);
    } catch (const ml::Error &) { }
}

// data[0] picks the mode: encode with the small tokenizer (options from data[1]), or, when
// data[0] is 0xff, the rest is a tokenizer folder: vocab.json, merges.txt and
// tokenizer_config.json separated by NUL bytes.
template<typename Tokenizer>
void fuzzBpeTokenizer(const std::uint8_t *data, std::size_t size, const Tokenizer &tiny,
    const std::function<Tokenizer(const std::filesystem::path &dir)> &fromFolder)
{
    if (size < 2)
        return;
    ml::text::EncodeOptions options;
    options.truncation = data[1] & 1;
    options.addSpecialTokens = data[1] & 2;
    options.padding = (data[1] & 4) ? ml::text::Padding::Longest : ml::text::Padding::None;
    if (data[1] & 8)
        options.maxLength = data[1] >> 4;
    const std::string rest(reinterpret_cast<const char *>(data + 2), size - 2);
    if (data[0] != 0xff) {
        exercise(tiny, rest, options);
        return;
    }
    static const std::filesystem::path dir = [] {
        const auto d = scratchPath("tokenizer");
        std::filesystem::create_directories(d);
        return d;
    }();
    std::vector<std::string> parts(3);
    std::size_t part = 0;
    for (char c : rest) {
        if (c == '\0' && part < 2)
            ++part;
        else
            parts[part] += c;
    }
    writeText(dir / "vocab.json", parts[0]);
    writeText(dir / "merges.txt", parts[1]);
    writeText(dir / "tokenizer_config.json", parts[2]);
    try {
        const Tokenizer tok = fromFolder(dir);
        exercise(tok, "a photo of the cat, 42 <|endoftext|> \xe2\x80\x94 caf\xc3\xa9", options);
    } catch (const ml::Error &) { }
}

} // namespace ml::fuzz
