// ftfy 6.1.1's fix_text() with its default TextFixerConfig: the text clean-up that Hugging
// Face's CLIPTokenizer (and openai/CLIP) run before byte-level BPE.
#pragma once

#include <string>
#include <string_view>

namespace ml::text {

// fix_text(): per line, repeated until stable: unescape HTML entities (not in text that has a
// literal '<'), fix mojibake (UTF-8 read as Latin-1, Windows-125x, MacRoman, cp437), C1
// controls, Latin ligatures, full/half width, curly quotes, line breaks, terminal escapes,
// control characters, then NFC. Input may be any bytes (invalid UTF-8 becomes U+FFFD first).
std::u32string ftfyFixText(std::u32string_view text);
std::string ftfyFixText(std::string_view utf8);

// fix_encoding(): only the mojibake step.
std::u32string ftfyFixEncoding(std::u32string_view text);
// badness.is_bad(): whether the heuristic sees likely mojibake.
bool ftfyIsBad(std::u32string_view text);

} // namespace ml::text
