// A compiled PCRE2 pattern behind a small value type, so that no header outside core/text sees
// PCRE2. Subjects are UTF-8 (or raw bytes for a byte pattern); offsets are byte offsets.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ml::text {

struct RegexMatch {
    std::size_t begin = 0;
    std::size_t end = 0;
};

class Regex {
public:
    enum Flag : unsigned {
        Bytes = 0, // raw bytes, \xHH is a byte
        Utf = 1,   // UTF-8 subjects (always valid: callers pass what encodeUtf8 made)
        Caseless = 2,
    };

    // Throws ml::Error with PCRE2's message and offset when the pattern does not compile.
    Regex(std::string_view pattern, unsigned flags);

    // First match at or after `start`; lookbehinds see the subject before `start`.
    std::optional<RegexMatch> search(std::string_view subject, std::size_t start = 0) const;
    bool contains(std::string_view subject) const { return search(subject).has_value(); }
    // Non-overlapping matches, left to right (Python's re.findall / finditer).
    std::vector<RegexMatch> findAll(std::string_view subject) const;
    // Python's re.sub with a function: each match replaced by fn(matched text).
    std::string replace(std::string_view subject, const std::function<std::string(std::string_view)> &fn) const;

private:
    struct Impl;
    std::shared_ptr<const Impl> m_impl;
};

} // namespace ml::text
