// The few Unicode operations the tokenizers need, with CPython 3.11's exact behaviour:
// UTF-8 codecs (strict and errors="replace"), str.lower(), str.isspace(), NFC.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ml::text {

// bytes.decode("utf-8", errors="replace"): each maximal invalid subpart becomes one U+FFFD.
std::u32string decodeUtf8(std::string_view bytes);
// bytes.decode("utf-8"): nullopt where Python raises UnicodeDecodeError (surrogates, overlongs too).
std::optional<std::u32string> decodeUtf8Strict(std::string_view bytes);
std::string encodeUtf8(std::u32string_view text);
void appendUtf8(std::string &out, char32_t cp);
// Valid UTF-8 in, valid UTF-8 out (invalid sequences become U+FFFD as in decodeUtf8).
std::string sanitizeUtf8(std::string_view bytes);
std::size_t countCodepoints(std::string_view utf8);

bool isPySpace(char32_t cp);                           // str.isspace(); also what Python's re means by \s
bool isWhiteSpace(char32_t cp);                        // the Unicode White_Space property; the `regex` module's \s
std::u32string pyLower(std::u32string_view text);      // str.lower(), Final_Sigma included
std::u32string nfc(std::u32string_view text);          // unicodedata.normalize("NFC", text)
std::u32string_view pyStrip(std::u32string_view text); // str.strip()

} // namespace ml::text
