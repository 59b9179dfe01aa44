// SHA-256 (FIPS 180-4) of a file's bytes, as lower-case hex: what a saved conversation records
// of its image, so that a moved or edited picture is recognised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace ml::io {

std::string sha256Hex(const std::uint8_t *data, std::size_t size);
// Throws ml::Error naming the file when it cannot be read.
std::string sha256File(const std::filesystem::path &path);

} // namespace ml::io
