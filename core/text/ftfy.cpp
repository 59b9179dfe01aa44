// Port of ftfy 6.1.1 (rspeer/python-ftfy, MIT) fix_text with the default configuration.
// Ref: ftfy/__init__.py (fix_text, fix_and_explain, _fix_encoding_one_step_and_explain),
// ftfy/fixes.py, ftfy/chardata.py, ftfy/badness.py, ftfy/bad_codecs/{sloppy,utf8_variants}.py.
// The data (character classes, code pages, entities) is generated into unicode_tables.cpp.
#include "text/ftfy.h"

#include "text/regex.h"
#include "text/unicode.h"
#include "text/unicode_tables.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace ml::text {

namespace {

struct Codec {
    const tables::Charmap *map;
    bool sloppy;
    std::unordered_map<char32_t, unsigned char> encode;
};

struct Ftfy {
    Regex badness {tables::kBadnessPattern, Regex::Utf};
    Regex utf8Detector {tables::kUtf8DetectorPattern, Regex::Utf};
    Regex htmlEntity {"&#?[0-9A-Za-z]{1,24};", Regex::Utf};
    Regex ansi {"\\x1b\\[((?:\\p{Nd}|;)*)([a-zA-Z])", Regex::Utf}; // Python's \d is any Nd digit
    Regex aGraveWord {"\\xc3 (?! |quele|quela|quilo|s )", Regex::Bytes};
    Regex alteredUtf8 {"[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9][ ]"
                       "|[\\xe2\\xe3][ ][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]"
                       "|[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf][ ]"
                       "|[\\xf0][ ][\\x80-\\xbf][\\x80-\\xbf]"
                       "|[\\xf0][\\x80-\\xbf][ ][\\x80-\\xbf]"
                       "|[\\xf0][\\x80-\\xbf][\\x80-\\xbf][ ]",
        Regex::Bytes};
    Regex lossyUtf8 {"[\\xc2-\\xdf][\\x1a]"
                     "|[\\xc2-\\xc3][?]"
                     "|\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]"
                     "|\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]"
                     "|[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]"
                     "|[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]"
                     "|[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]"
                     "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]"
                     "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]"
                     "|\\x1a",
        Regex::Bytes};
    std::vector<Codec> codecs;

    Ftfy()
    {
        for (std::size_t i = 0; i < tables::kCharmapsSize; ++i) {
            Codec codec {&tables::kCharmaps[i], std::strncmp(tables::kCharmaps[i].name, "sloppy", 6) == 0, {}};
            for (int b = 0; b < 256; ++b)
                codec.encode.emplace(codec.map->decode[b], static_cast<unsigned char>(b));
            codecs.push_back(std::move(codec));
        }
    }
};

const Ftfy &ftfy()
{
    static const Ftfy instance;
    return instance;
}

bool isAscii(std::u32string_view text)
{
    return std::all_of(text.begin(), text.end(), [](char32_t c) { return c < 0x80; });
}

// chardata.possible_encoding(): bytes 0x00-0x19, 0x1B-0x7F, and whatever 0x80-0xFF and 0x1A decode to.
bool possibleEncoding(std::u32string_view text, const Codec &codec)
{
    for (char32_t c : text) {
        if (c <= 0x7F && c != 0x1A)
            continue;
        const auto it = codec.encode.find(c);
        if (it == codec.encode.end() || (it->second < 0x80 && it->second != 0x1A))
            return false;
    }
    return true;
}

std::string encodeCharmap(std::u32string_view text, const Codec &codec)
{
    std::string bytes;
    bytes.reserve(text.size());
    for (char32_t c : text)
        bytes += static_cast<char>(codec.encode.at(c));
    return bytes;
}

// The "utf-8-variants" codec: UTF-8 plus CESU-8 surrogate pairs and Java's C0 80 for U+0000.
std::optional<std::u32string> decodeUtf8Variants(std::string_view bytes)
{
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    std::u32string out;
    std::size_t plainStart = 0;
    const auto flush = [&](std::size_t end) {
        auto plain = decodeUtf8Strict(bytes.substr(plainStart, end - plainStart));
        if (plain)
            out += *plain;
        return plain.has_value();
    };
    for (std::size_t i = 0; i < bytes.size();) {
        if (at(i) == 0xC0 && i + 1 < bytes.size() && at(i + 1) == 0x80) {
            if (!flush(i))
                return std::nullopt;
            out += U'\0';
            i += 2;
            plainStart = i;
        } else if (at(i) == 0xED && i + 5 < bytes.size() && at(i + 1) >= 0xA0 && at(i + 1) <= 0xAF && at(i + 2) >= 0x80
            && at(i + 2) <= 0xBF && at(i + 3) == 0xED && at(i + 4) >= 0xB0 && at(i + 4) <= 0xBF && at(i + 5) >= 0x80
            && at(i + 5) <= 0xBF) {
            if (!flush(i))
                return std::nullopt;
            out += static_cast<char32_t>(((at(i + 1) & 0x0F) << 16) + ((at(i + 2) & 0x3F) << 10)
                + ((at(i + 4) & 0x0F) << 6) + (at(i + 5) & 0x3F) + 0x10000);
            i += 6;
            plainStart = i;
        } else {
            ++i;
        }
    }
    if (!flush(bytes.size()))
        return std::nullopt;
    return out;
}

std::string restoreByteA0(std::string_view bytes)
{
    const Ftfy &f = ftfy();
    const std::string step = f.aGraveWord.replace(bytes, [](std::string_view) { return std::string("\xc3\xa0 "); });
    return f.alteredUtf8.replace(step, [](std::string_view m) {
        std::string s(m);
        std::replace(s.begin(), s.end(), ' ', '\xa0');
        return s;
    });
}

std::u32string fixC1Controls(std::u32string_view text)
{
    std::u32string out(text);
    const tables::Charmap &sloppy1252 = tables::kCharmaps[1];
    for (char32_t &c : out) {
        if (c >= 0x80 && c <= 0x9F)
            c = sloppy1252.decode[c];
    }
    return out;
}

std::u32string decodeInconsistentUtf8(std::u32string_view text)
{
    const std::string utf8 = encodeUtf8(text);
    return decodeUtf8(ftfy().utf8Detector.replace(utf8, [&](std::string_view m) {
        const std::u32string sub = decodeUtf8(m);
        if (sub.size() < text.size() && ftfyIsBad(sub))
            return encodeUtf8(ftfyFixEncoding(sub));
        return std::string(m);
    }));
}

std::u32string fixEncodingOneStep(std::u32string_view text)
{
    const Ftfy &f = ftfy();
    if (text.empty() || isAscii(text) || !ftfyIsBad(text))
        return std::u32string(text);

    bool latin1Possible = false;
    for (const Codec &codec : f.codecs) {
        if (!possibleEncoding(text, codec))
            continue;
        latin1Possible = latin1Possible || &codec == &f.codecs.front();
        std::string bytes = encodeCharmap(text, codec);
        if (f.alteredUtf8.contains(bytes))
            bytes = restoreByteA0(bytes);
        if (codec.sloppy)
            bytes = f.lossyUtf8.replace(bytes, [](std::string_view) { return std::string("\xef\xbf\xbd"); });
        const bool variant = bytes.find('\xed') != std::string::npos || bytes.find('\xc0') != std::string::npos;
        if (auto fixed = variant ? decodeUtf8Variants(bytes) : decodeUtf8Strict(bytes))
            return *fixed;
    }

    if (f.utf8Detector.contains(encodeUtf8(text))) {
        std::u32string fixed = decodeInconsistentUtf8(text);
        if (fixed != text)
            return fixed;
    }

    if (latin1Possible) {
        // Latin-1 that was meant as Windows-1252 (strict: an undefined byte means no).
        std::u32string fixed(text);
        bool ok = true;
        for (char32_t &c : fixed) {
            c = tables::kWindows1252[c];
            ok = ok && c != U'\uFFFD';
        }
        if (ok && fixed != text)
            return fixed;
    }

    if (std::any_of(text.begin(), text.end(), [](char32_t c) { return c >= 0x80 && c <= 0x9F; }))
        return fixC1Controls(text);
    return std::u32string(text);
}

// html.unescape() of a "&#...;" reference, as ftfy uses it: all or nothing.
std::string unescapeCharref(std::string_view ref)
{
    std::string_view body = ref.substr(2, ref.size() - 3);
    int base = 10;
    if (body.front() == 'x' || body.front() == 'X') {
        base = 16;
        body.remove_prefix(1);
    }
    const auto isDigit = [base](char c) {
        return (c >= '0' && c <= '9') || (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    };
    if (body.empty() || !std::all_of(body.begin(), body.end(), isDigit))
        return std::string(ref); // html.unescape would leave the ';' behind: ftfy keeps the text
    std::uint64_t num = 0;
    for (char c : body) {
        const int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        num = std::min<std::uint64_t>(num * base + digit, 0x7FFFFFFF);
    }
    std::string out;
    const auto *charrefs = tables::kHtmlInvalidCharrefs;
    const auto *charrefsEnd = charrefs + tables::kHtmlInvalidCharrefsSize;
    const auto *it
        = std::find_if(charrefs, charrefsEnd, [num](const tables::HtmlCharref &r) { return r.number == num; });
    if (it != charrefsEnd) {
        appendUtf8(out, it->replacement);
    } else if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
        appendUtf8(out, U'\uFFFD');
    } else {
        const auto cp = static_cast<char32_t>(num);
        const auto *ranges = tables::kHtmlInvalidCodepoints;
        const bool invalid = std::any_of(ranges, ranges + tables::kHtmlInvalidCodepointsSize,
            [cp](const tables::Range &r) { return cp >= r.first && cp <= r.last; });
        if (!invalid)
            appendUtf8(out, cp);
    }
    return out.find(';') == std::string::npos ? out : std::string(ref);
}

std::u32string unescapeHtml(std::u32string_view text)
{
    if (text.find(U'&') == std::u32string_view::npos)
        return std::u32string(text);
    const std::string utf8 = encodeUtf8(text);
    return decodeUtf8(ftfy().htmlEntity.replace(utf8, [](std::string_view m) {
        const auto *begin = tables::kHtmlEntities;
        const auto *end = begin + tables::kHtmlEntitiesSize;
        const auto *it = std::lower_bound(
            begin, end, m, [](const tables::HtmlEntity &e, std::string_view key) { return e.name < key; });
        if (it != end && it->name == m)
            return std::string(it->value);
        if (m.starts_with("&#"))
            return unescapeCharref(m);
        return std::string(m);
    }));
}

std::u32string translate(std::u32string_view text, const tables::Mapping *map, std::size_t size, const char32_t *pool)
{
    std::u32string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        const tables::Mapping *end = map + size;
        const tables::Mapping *it
            = std::lower_bound(map, end, c, [](const tables::Mapping &m, char32_t v) { return m.cp < v; });
        if (it != end && it->cp == c)
            out.append(pool + it->offset, it->length);
        else
            out += c;
    }
    return out;
}

std::u32string fixLineBreaks(std::u32string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char32_t c = text[i];
        if (c == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n')
            continue; // "\r\n" -> "\n"
        out += (c == U'\r' || c == U'\u2028' || c == U'\u2029' || c == U'\u0085') ? U'\n' : c;
    }
    return out;
}

bool isRemovedControl(char32_t c)
{
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F)
        || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

std::u32string fixSegment(std::u32string text, bool unescape)
{
    if (unescape && text.find(U'<') != std::u32string::npos)
        unescape = false;
    while (true) {
        const std::u32string orig = text;
        if (unescape)
            text = unescapeHtml(text);
        text = ftfyFixEncoding(text);
        if (!isAscii(text)) {
            text = fixC1Controls(text);
            text = translate(text, tables::kLigatures, tables::kLigaturesSize, tables::kLigaturesPool);
            text = translate(text, tables::kWidth, tables::kWidthSize, tables::kWidthPool);
            for (char32_t &c : text) { // uncurl_quotes
                if (c == U'\u02BC' || (c >= U'\u2018' && c <= U'\u201B'))
                    c = U'\'';
                else if (c >= U'\u201C' && c <= U'\u201F')
                    c = U'"';
            }
        }
        text = fixLineBreaks(text);
        if (text.find(U'\x1b') != std::u32string::npos)
            text = decodeUtf8(ftfy().ansi.replace(encodeUtf8(text), [](std::string_view) { return std::string(); }));
        std::erase_if(text, isRemovedControl);
        text = nfc(text);
        if (text == orig)
            return text;
    }
}

} // namespace

bool ftfyIsBad(std::u32string_view text)
{
    return ftfy().badness.contains(encodeUtf8(text));
}

std::u32string ftfyFixEncoding(std::u32string_view text)
{
    std::u32string current(text);
    while (true) {
        std::u32string next = fixEncodingOneStep(current);
        if (next == current)
            return next;
        current = std::move(next);
    }
}

std::u32string ftfyFixText(std::u32string_view text)
{
    constexpr std::size_t kMaxDecodeLength = 1000000;
    bool unescape = true; // "auto": on until a segment shows a literal '<'
    std::u32string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find(U'\n', pos);
        end = end == std::u32string_view::npos ? text.size() : end + 1;
        end = std::min(end, pos + kMaxDecodeLength);
        const std::u32string_view segment = text.substr(pos, end - pos);
        if (unescape && segment.find(U'<') != std::u32string_view::npos)
            unescape = false;
        out += fixSegment(std::u32string(segment), unescape);
        pos = end;
    }
    return out;
}

std::string ftfyFixText(std::string_view utf8)
{
    return encodeUtf8(ftfyFixText(decodeUtf8(utf8)));
}

} // namespace ml::text
