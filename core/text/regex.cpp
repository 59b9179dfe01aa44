// PCRE2 wrapper: compile once (JIT when available), match with per-call match data so one
// Regex can serve several threads.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/regex.h"

#include "common/error.h"

#include <pcre2.h>

namespace ml::text {

struct Regex::Impl {
    pcre2_code *code = nullptr;
    std::string pattern;
    ~Impl() { pcre2_code_free(code); }
};

Regex::Regex(std::string_view pattern, unsigned flags)
{
    auto impl = std::make_shared<Impl>();
    impl->pattern = std::string(pattern);
    uint32_t options = 0;
    if (flags & Utf)
        options |= PCRE2_UTF | PCRE2_NO_UTF_CHECK;
    if (flags & Caseless)
        options |= PCRE2_CASELESS;
    pcre2_compile_context *context = pcre2_compile_context_create(nullptr);
    pcre2_set_newline(context, PCRE2_NEWLINE_LF); // Python's '.' stops at '\n' only
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    impl->code = pcre2_compile(
        reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &errorCode, &errorOffset, context);
    pcre2_compile_context_free(context);
    if (!impl->code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(errorCode, message, sizeof(message));
        throw Error("regular expression does not compile at offset " + std::to_string(errorOffset) + ": "
            + reinterpret_cast<const char *>(message));
    }
    pcre2_jit_compile(impl->code, PCRE2_JIT_COMPLETE); // optional speed-up; the interpreter is the fallback
    m_impl = std::move(impl);
}

std::optional<RegexMatch> Regex::search(std::string_view subject, std::size_t start) const
{
    if (start > subject.size())
        return std::nullopt;
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
        pcre2_match_data_create_from_pattern(m_impl->code, nullptr), &pcre2_match_data_free);
    const int rc = pcre2_match(m_impl->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), start,
        PCRE2_NO_UTF_CHECK, data.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH)
        return std::nullopt;
    if (rc < 0) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(rc, message, sizeof(message));
        throw Error("regular expression match failed: " + std::string(reinterpret_cast<const char *>(message)));
    }
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(data.get());
    return RegexMatch {ovector[0], ovector[1]};
}

std::vector<RegexMatch> Regex::findAll(std::string_view subject) const
{
    std::vector<RegexMatch> matches;
    std::size_t pos = 0;
    while (auto m = search(subject, pos)) {
        matches.push_back(*m);
        if (m->end == m->begin) {
            // An empty match: step over one character, as Python does.
            pos = m->end + 1;
            while (pos < subject.size() && (static_cast<unsigned char>(subject[pos]) & 0xC0) == 0x80)
                ++pos;
        } else {
            pos = m->end;
        }
    }
    return matches;
}

std::string Regex::replace(std::string_view subject, const std::function<std::string(std::string_view)> &fn) const
{
    std::string out;
    std::size_t copied = 0;
    for (const RegexMatch &m : findAll(subject)) {
        out.append(subject.substr(copied, m.begin - copied));
        out += fn(subject.substr(m.begin, m.end - m.begin));
        copied = m.end;
    }
    out.append(subject.substr(copied));
    return out;
}

} // namespace ml::text
