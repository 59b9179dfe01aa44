// Internals shared by checkpoint.cpp and safetensors.cpp: error text that names a file, and
// shapes in messages. Not part of the public API.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ml::io::fileutil {

// Throws ml::Error("<path>: <problem>"), the whole path.
[[noreturn]] void fail(const std::filesystem::path &path, const std::string &problem);

// "[3, 224, 224]".
std::string shapeString(const std::vector<std::int64_t> &shape);

} // namespace ml::io::fileutil
