// Unicode helpers over the generated tables (unicode_tables.cpp, Unicode 14.0 as in the
// Python 3.11 that produced the goldens).
// Ref: Unicode Standard 3.9 (maximal subparts), UAX #15 (NFC), CPython unicodeobject.c.
#include "text/unicode.h"

#include "text/unicode_tables.h"

#include <algorithm>

namespace ml::text {

namespace {

// One UTF-8 sequence at s[i]: the code point and its length, or the length of its maximal
// invalid subpart with cp = nullopt.
struct Decoded {
    std::optional<char32_t> cp;
    std::size_t length;
};

Decoded decodeOne(std::string_view s, std::size_t i)
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = byte(i);
    if (b < 0x80)
        return {b, 1};
    int need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    char32_t cp = 0;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        cp = b & 0x0F;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        cp = b & 0x07;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else {
        return {std::nullopt, 1};
    }
    std::size_t j = i + 1;
    for (int k = 0; k < need; ++k, ++j) {
        if (j >= s.size() || byte(j) < lo || byte(j) > hi)
            return {std::nullopt, j - i};
        cp = (cp << 6) | (byte(j) & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    return {cp, j - i};
}

template<class T> const T *findCp(const T *table, std::size_t size, char32_t cp)
{
    const T *end = table + size;
    const T *it = std::lower_bound(table, end, cp, [](const T &row, char32_t v) { return row.cp < v; });
    return (it != end && it->cp == cp) ? it : nullptr;
}

bool inRanges(const tables::Range *ranges, std::size_t size, char32_t cp)
{
    const tables::Range *end = ranges + size;
    const tables::Range *it
        = std::upper_bound(ranges, end, cp, [](char32_t v, const tables::Range &r) { return v < r.first; });
    return it != ranges && cp <= (it - 1)->last;
}

std::uint8_t combiningClass(char32_t cp)
{
    const auto *begin = tables::kCombiningClass;
    const auto *end = begin + tables::kCombiningClassSize;
    const auto *it
        = std::upper_bound(begin, end, cp, [](char32_t v, const tables::ClassRange &r) { return v < r.first; });
    return (it != begin && cp <= (it - 1)->last) ? (it - 1)->ccc : 0;
}

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

void decompose(char32_t cp, std::u32string &out)
{
    if (cp >= kSBase && cp < kSBase + kSCount) {
        const char32_t s = cp - kSBase;
        out += kLBase + s / kNCount;
        out += kVBase + (s % kNCount) / kTCount;
        if (s % kTCount)
            out += kTBase + s % kTCount;
        return;
    }
    if (const auto *m = findCp(tables::kDecomposition, tables::kDecompositionSize, cp))
        out.append(tables::kDecompositionPool + m->offset, m->length);
    else
        out += cp;
}

std::optional<char32_t> compose(char32_t first, char32_t second)
{
    if (first >= kLBase && first < kLBase + kLCount && second >= kVBase && second < kVBase + kVCount)
        return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
    if (first >= kSBase && first < kSBase + kSCount && (first - kSBase) % kTCount == 0 && second > kTBase
        && second < kTBase + kTCount)
        return first + (second - kTBase);
    const auto *begin = tables::kComposition;
    const auto *end = begin + tables::kCompositionSize;
    const auto *it
        = std::lower_bound(begin, end, std::pair {first, second}, [](const tables::Composition &c, auto key) {
              return c.first < key.first || (c.first == key.first && c.second < key.second);
          });
    if (it != end && it->first == first && it->second == second)
        return it->composite;
    return std::nullopt;
}

bool isCaseIgnorable(char32_t cp)
{
    return inRanges(tables::kCaseIgnorable, tables::kCaseIgnorableSize, cp);
}

bool isCasedNotIgnorable(char32_t cp)
{
    return inRanges(tables::kCasedNotIgnorable, tables::kCasedNotIgnorableSize, cp);
}

// CPython's handle_capital_sigma: \p{cased}\p{case-ignorable}* SIGMA !(\p{case-ignorable}*\p{cased})
char32_t lowerSigma(std::u32string_view text, std::size_t i)
{
    std::size_t j = i;
    while (j > 0 && isCaseIgnorable(text[j - 1]))
        --j;
    bool finalSigma = j > 0 && isCasedNotIgnorable(text[j - 1]);
    if (finalSigma) {
        std::size_t k = i + 1;
        while (k < text.size() && isCaseIgnorable(text[k]))
            ++k;
        finalSigma = k == text.size() || !isCasedNotIgnorable(text[k]);
    }
    return finalSigma ? U'\u03C2' : U'\u03C3';
}

} // namespace

std::u32string decodeUtf8(std::string_view bytes)
{
    std::u32string out;
    out.reserve(bytes.size());
    for (std::size_t i = 0; i < bytes.size();) {
        const Decoded d = decodeOne(bytes, i);
        out += d.cp.value_or(U'\uFFFD');
        i += d.length;
    }
    return out;
}

std::optional<std::u32string> decodeUtf8Strict(std::string_view bytes)
{
    std::u32string out;
    out.reserve(bytes.size());
    for (std::size_t i = 0; i < bytes.size();) {
        const Decoded d = decodeOne(bytes, i);
        if (!d.cp)
            return std::nullopt;
        out += *d.cp;
        i += d.length;
    }
    return out;
}

void appendUtf8(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string encodeUtf8(std::u32string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (char32_t cp : text)
        appendUtf8(out, cp);
    return out;
}

std::string sanitizeUtf8(std::string_view bytes)
{
    for (std::size_t i = 0; i < bytes.size();) {
        const Decoded d = decodeOne(bytes, i);
        if (!d.cp)
            return encodeUtf8(decodeUtf8(bytes));
        i += d.length;
    }
    return std::string(bytes);
}

std::size_t countCodepoints(std::string_view utf8)
{
    return static_cast<std::size_t>(
        std::count_if(utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool isPySpace(char32_t cp)
{
    return inRanges(tables::kPySpace, tables::kPySpaceSize, cp);
}

bool isWhiteSpace(char32_t cp)
{
    return isPySpace(cp) && !(cp >= 0x1C && cp <= 0x1F);
}

std::u32string pyLower(std::u32string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char32_t cp = text[i];
        if (cp < 0x80) {
            out += (cp >= U'A' && cp <= U'Z') ? cp + 32 : cp;
        } else if (cp == U'\u03A3') {
            out += lowerSigma(text, i);
        } else if (const auto *m = findCp(tables::kLower, tables::kLowerSize, cp)) {
            out.append(tables::kLowerPool + m->offset, m->length);
        } else {
            out += cp;
        }
    }
    return out;
}

std::u32string nfc(std::u32string_view text)
{
    if (std::all_of(text.begin(), text.end(), [](char32_t c) { return c < 0x300; })) {
        // Below U+0300 nothing decomposes into or composes with anything else... except the
        // precomposed Latin-1 letters, which are already NFC. Fast path for most captions.
        return std::u32string(text);
    }
    std::u32string d;
    d.reserve(text.size() + 8);
    for (char32_t cp : text)
        decompose(cp, d);
    // Canonical ordering: stable sort of each run of non-starters by combining class.
    for (std::size_t i = 0; i < d.size();) {
        if (combiningClass(d[i]) == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < d.size() && combiningClass(d[j]) != 0)
            ++j;
        std::stable_sort(d.begin() + static_cast<std::ptrdiff_t>(i), d.begin() + static_cast<std::ptrdiff_t>(j),
            [](char32_t a, char32_t b) { return combiningClass(a) < combiningClass(b); });
        i = j;
    }
    if (d.empty())
        return d;
    // Canonical composition (UAX #15 sample code).
    std::size_t starterPos = 0;
    char32_t starter = d[0];
    int lastClass = combiningClass(starter) ? 256 : 0;
    std::size_t out = 1;
    for (std::size_t i = 1; i < d.size(); ++i) {
        const char32_t ch = d[i];
        const int chClass = combiningClass(ch);
        const auto composite = compose(starter, ch);
        if (composite && (lastClass < chClass || lastClass == 0)) {
            d[starterPos] = *composite;
            starter = *composite;
            continue;
        }
        if (chClass == 0) {
            starterPos = out;
            starter = ch;
        }
        lastClass = chClass;
        d[out++] = ch;
    }
    d.resize(out);
    return d;
}

std::u32string_view pyStrip(std::u32string_view text)
{
    std::size_t b = 0, e = text.size();
    while (b < e && isPySpace(text[b]))
        ++b;
    while (e > b && isPySpace(text[e - 1]))
        --e;
    return text.substr(b, e - b);
}

} // namespace ml::text
