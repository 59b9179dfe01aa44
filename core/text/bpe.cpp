// Byte-level BPE. Ref: openai/gpt-2 encoder.py, openai/CLIP simple_tokenizer.py, transformers
// tokenization_gpt2.py / tokenization_clip.py (bytes_to_unicode, get_pairs, bpe).
#include "text/bpe.h"

#include "common/error.h"
#include "text/unicode.h"

#include <nlohmann/json.hpp>

#include <array>
#include <fstream>
#include <functional>
#include <limits>
#include <queue>
#include <sstream>

namespace ml::text {

namespace {

// Words of more symbols than this take mergeLong(): the reference's loop is quadratic.
constexpr std::size_t kLongWord = 256;

struct ByteTables {
    std::array<char32_t, 256> toUnicode {};
    std::unordered_map<char32_t, unsigned char> toByte;

    ByteTables()
    {
        std::array<bool, 256> printable {};
        for (int b = 0; b < 256; ++b)
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        int n = 0;
        for (int b = 0; b < 256; ++b) {
            toUnicode[b] = printable[b] ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
            toByte[toUnicode[b]] = static_cast<unsigned char>(b);
        }
    }
};

const ByteTables &byteTables()
{
    static const ByteTables tables;
    return tables;
}

// Python's str.split() for merge lines (ASCII whitespace is all a merges file holds).
std::vector<std::string_view> splitWhitespace(std::string_view line)
{
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    const auto isSpace = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
    while (i < line.size()) {
        while (i < line.size() && isSpace(line[i]))
            ++i;
        const std::size_t start = i;
        while (i < line.size() && !isSpace(line[i]))
            ++i;
        if (i > start)
            parts.push_back(line.substr(start, i - start));
    }
    return parts;
}

constexpr std::size_t kMaxCacheEntries = 1 << 20;

} // namespace

char32_t byteToUnicode(unsigned char b)
{
    return byteTables().toUnicode[b];
}

std::string byteLevelEncode(std::string_view bytes)
{
    const ByteTables &t = byteTables();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes)
        appendUtf8(out, t.toUnicode[static_cast<unsigned char>(c)]);
    return out;
}

std::string byteLevelDecode(std::string_view byteLevelUtf8)
{
    const ByteTables &t = byteTables();
    std::string out;
    out.reserve(byteLevelUtf8.size());
    for (char32_t cp : decodeUtf8(byteLevelUtf8)) {
        const auto it = t.toByte.find(cp);
        if (it != t.toByte.end())
            out += static_cast<char>(it->second);
        else
            appendUtf8(out, cp);
    }
    return out;
}

std::string readTextFile(const std::filesystem::path &path, std::string_view what)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw Error(path.string() + ": " + std::string(what) + " not found");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in && !in.eof())
        throw Error(path.string() + ": cannot read " + std::string(what));
    return content.str();
}

std::vector<std::string> splitLines(std::string_view text)
{
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (true) {
        const std::size_t nl = text.find('\n', pos);
        lines.emplace_back(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
        if (nl == std::string_view::npos)
            break;
        pos = nl + 1;
    }
    return lines;
}

BytePairEncoder::BytePairEncoder(
    std::unordered_map<std::string, std::int64_t> vocab, const std::vector<std::string> &merges, std::string endOfWord)
    : m_vocab(std::move(vocab))
    , m_endOfWord(std::move(endOfWord))
{
    for (const auto &[token, id] : m_vocab) {
        m_reverse.emplace(id, token);
        m_largestId = std::max(m_largestId, id);
    }
    m_ranks.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const auto parts = splitWhitespace(merges[rank]);
        if (parts.size() == 2)
            m_ranks[std::string(parts[0]) + ' ' + std::string(parts[1])] = rank; // a repeat: the last rank wins
    }
}

BytePairEncoder::BytePairEncoder(const BytePairEncoder &other)
    : m_vocab(other.m_vocab)
    , m_reverse(other.m_reverse)
    , m_ranks(other.m_ranks)
    , m_endOfWord(other.m_endOfWord)
    , m_largestId(other.m_largestId)
    , m_pinned(other.m_pinned)
{
    std::lock_guard lock(other.m_cacheMutex);
    m_cache = other.m_cache;
}

std::unordered_map<std::string, std::int64_t> BytePairEncoder::loadVocab(const std::filesystem::path &path)
{
    const std::string text = readTextFile(path, "vocabulary file (vocab.json)");
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception &e) {
        throw Error(path.string() + ": not valid JSON (" + e.what() + ")");
    }
    if (!json.is_object())
        throw Error(path.string() + ": expected a JSON object of token -> id");
    if (json.empty())
        throw Error(path.string() + ": holds no tokens (an empty vocabulary)");
    std::unordered_map<std::string, std::int64_t> vocab;
    std::unordered_map<std::int64_t, std::string> byId;
    vocab.reserve(json.size());
    byId.reserve(json.size());
    for (const auto &[token, id] : json.items()) {
        if (!id.is_number_integer())
            throw Error(path.string() + ": the id of token \"" + token + "\" is not an integer");
        const auto value = id.get<std::int64_t>();
        if (value < 0)
            throw Error(path.string() + ": token \"" + token + "\" has a negative id (" + std::to_string(value) + ")");
        if (const auto [it, fresh] = byId.emplace(value, token); !fresh)
            throw Error(path.string() + ": tokens \"" + it->second + "\" and \"" + token + "\" share id "
                + std::to_string(value));
        vocab.emplace(token, value);
    }
    return vocab;
}

void BytePairEncoder::checkMerges(const std::unordered_map<std::string, std::int64_t> &vocab,
    const std::vector<std::string> &merges, const std::filesystem::path &mergesFile, std::size_t firstLine)
{
    const auto where = [&](std::size_t i) {
        return mergesFile.string() + ": line " + std::to_string(i + firstLine) + " (\"" + merges[i].substr(0, 80)
            + "\")";
    };
    for (std::size_t i = 0; i < merges.size(); ++i) {
        const auto parts = splitWhitespace(merges[i]);
        if (parts.empty())
            continue;
        if (parts.size() != 2)
            throw Error(where(i) + " is not a pair of tokens: not a merges file?");
        for (const auto part : parts)
            if (!vocab.count(std::string(part)))
                throw Error(where(i) + ": \"" + std::string(part)
                    + "\" is not in the vocabulary (vocab.json and merges.txt do not belong together?)");
        if (!vocab.count(std::string(parts[0]) + std::string(parts[1])))
            throw Error(where(i)
                + ": the merged token is not in the vocabulary (vocab.json and merges.txt do not "
                  "belong together?)");
    }
}

std::vector<std::string> BytePairEncoder::merge(const std::string &word, bool alwaysLong) const
{
    std::vector<std::string> symbols;
    const std::u32string chars = decodeUtf8(word);
    for (char32_t c : chars) {
        symbols.emplace_back();
        appendUtf8(symbols.back(), c);
    }
    if (symbols.empty())
        return symbols;
    symbols.back() += m_endOfWord;
    if (alwaysLong || symbols.size() > kLongWord)
        return mergeLong(std::move(symbols));

    std::string key;
    while (symbols.size() > 1) {
        std::size_t bestRank = std::numeric_limits<std::size_t>::max();
        std::size_t bestIndex = 0;
        for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
            key.assign(symbols[i]).append(1, ' ').append(symbols[i + 1]);
            const auto it = m_ranks.find(key);
            if (it != m_ranks.end() && it->second < bestRank) {
                bestRank = it->second;
                bestIndex = i;
            }
        }
        if (bestRank == std::numeric_limits<std::size_t>::max())
            break;
        const std::string first = symbols[bestIndex];
        const std::string second = symbols[bestIndex + 1];
        std::vector<std::string> merged;
        merged.reserve(symbols.size());
        for (std::size_t i = 0; i < symbols.size();) {
            if (i + 1 < symbols.size() && symbols[i] == first && symbols[i + 1] == second) {
                merged.push_back(first + second);
                i += 2;
            } else {
                merged.push_back(std::move(symbols[i]));
                ++i;
            }
        }
        symbols = std::move(merged);
    }
    return symbols;
}

// The reference's loop merges every occurrence of the best pair per pass; this merges one
// occurrence at a time, lowest rank and then leftmost first (tokenizers' Word::merge_all). Both
// give the same tokens whenever a merge's parts come from earlier merges, as in a trained BPE.
std::vector<std::string> BytePairEncoder::mergeLong(std::vector<std::string> symbols) const
{
    const auto n = symbols.size();
    std::vector<std::ptrdiff_t> prev(n), next(n);
    for (std::size_t i = 0; i < n; ++i) {
        prev[i] = static_cast<std::ptrdiff_t>(i) - 1;
        next[i] = i + 1 < n ? static_cast<std::ptrdiff_t>(i + 1) : -1;
    }
    struct Candidate {
        std::size_t rank, left, right;
        std::size_t leftSize, rightSize; // the symbols' lengths when queued: stale when they changed
        bool operator>(const Candidate &o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    std::string key;
    const auto push = [&](std::ptrdiff_t l, std::ptrdiff_t r) {
        if (l < 0 || r < 0)
            return;
        key.assign(symbols[l]).append(1, ' ').append(symbols[r]);
        if (const auto it = m_ranks.find(key); it != m_ranks.end())
            queue.push({it->second, std::size_t(l), std::size_t(r), symbols[l].size(), symbols[r].size()});
    };
    for (std::size_t i = 0; i + 1 < n; ++i)
        push(static_cast<std::ptrdiff_t>(i), static_cast<std::ptrdiff_t>(i + 1));
    std::vector<bool> gone(n, false);
    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        if (gone[c.left] || gone[c.right] || next[c.left] != static_cast<std::ptrdiff_t>(c.right)
            || symbols[c.left].size() != c.leftSize || symbols[c.right].size() != c.rightSize)
            continue;
        symbols[c.left] += symbols[c.right];
        gone[c.right] = true;
        next[c.left] = next[c.right];
        if (next[c.right] >= 0)
            prev[next[c.right]] = static_cast<std::ptrdiff_t>(c.left);
        push(prev[c.left], static_cast<std::ptrdiff_t>(c.left));
        push(static_cast<std::ptrdiff_t>(c.left), next[c.left]);
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i)
        if (!gone[i])
            out.push_back(std::move(symbols[i]));
    return out;
}

std::vector<std::string> BytePairEncoder::encodeWord(const std::string &word) const
{
    if (const auto pinned = m_pinned.find(word); pinned != m_pinned.end())
        return pinned->second;
    {
        std::lock_guard lock(m_cacheMutex);
        const auto it = m_cache.find(word);
        if (it != m_cache.end())
            return it->second;
    }
    std::vector<std::string> tokens = merge(word);
    std::lock_guard lock(m_cacheMutex);
    if (m_cache.size() >= kMaxCacheEntries)
        m_cache.clear();
    m_cache.emplace(word, tokens);
    return tokens;
}

void BytePairEncoder::pin(const std::string &word, std::vector<std::string> tokens)
{
    m_pinned[word] = std::move(tokens);
}

std::optional<std::int64_t> BytePairEncoder::tokenToId(std::string_view token) const
{
    const auto it = m_vocab.find(std::string(token));
    if (it == m_vocab.end())
        return std::nullopt;
    return it->second;
}

const std::string *BytePairEncoder::idToToken(std::int64_t id) const
{
    const auto it = m_reverse.find(id);
    return it == m_reverse.end() ? nullptr : &it->second;
}

} // namespace ml::text
