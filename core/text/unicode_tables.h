// Generated Unicode and ftfy tables (see gen_unicode_tables.py); all arrays are sorted for
// binary search by their first field.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ml::text::tables {

struct Range {
    char32_t first;
    char32_t last;
};

// cp -> pool[offset, offset + length)
struct Mapping {
    char32_t cp;
    std::uint16_t offset;
    std::uint8_t length;
};

struct Composition {
    char32_t first;
    char32_t second;
    char32_t composite;
};

struct ClassRange {
    char32_t first;
    char32_t last;
    std::uint8_t ccc;
};

struct HtmlEntity {
    const char *name;  // "&amp;", sorted by bytes
    const char *value; // UTF-8
};

struct HtmlCharref {
    std::uint32_t number;
    char32_t replacement;
};

struct Charmap {
    const char *name;
    char32_t decode[256];
};

extern const char32_t kLowerPool[];
extern const Mapping kLower[]; // str.lower() per character, U+03A3 excluded (Final_Sigma)
extern const std::size_t kLowerSize;
extern const Range kCaseIgnorable[];
extern const std::size_t kCaseIgnorableSize;
extern const Range kCasedNotIgnorable[];
extern const std::size_t kCasedNotIgnorableSize;
extern const Range kPySpace[]; // str.isspace()
extern const std::size_t kPySpaceSize;

extern const char32_t kDecompositionPool[];
extern const Mapping kDecomposition[]; // full canonical decomposition (NFD), Hangul excluded
extern const std::size_t kDecompositionSize;
extern const Composition kComposition[]; // primary composites, sorted by (first, second)
extern const std::size_t kCompositionSize;
extern const ClassRange kCombiningClass[];
extern const std::size_t kCombiningClassSize;

extern const HtmlEntity kHtmlEntities[];
extern const std::size_t kHtmlEntitiesSize;
extern const HtmlCharref kHtmlInvalidCharrefs[];
extern const std::size_t kHtmlInvalidCharrefsSize;
extern const Range kHtmlInvalidCodepoints[];
extern const std::size_t kHtmlInvalidCodepointsSize;

extern const Charmap kCharmaps[]; // ftfy's CHARMAP_ENCODINGS, in its order
extern const std::size_t kCharmapsSize;
extern const char32_t kWindows1252[256]; // strict windows-1252; U+FFFD marks an undefined byte

extern const char32_t kLigaturesPool[];
extern const Mapping kLigatures[];
extern const std::size_t kLigaturesSize;
extern const char32_t kWidthPool[];
extern const Mapping kWidth[];
extern const std::size_t kWidthSize;

extern const char *const kBadnessPattern;      // PCRE2 (UTF) form of ftfy's BADNESS_RE
extern const char *const kUtf8DetectorPattern; // PCRE2 (UTF) form of ftfy's UTF8_DETECTOR_RE

} // namespace ml::text::tables
