// A safetensors writer for float32 arrays with no LibTorch in its interface, so ui/ can save raw
// maps (io/safetensors.h, which reads and writes torch::Tensor, is for core only).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ml::io {

struct F32Array {
    std::vector<std::int64_t> shape; // product == values.size()
    std::vector<float> values;       // row-major
};

// Writes atomically (temp file + rename), keys sorted, the layout saveSafetensors() writes.
// Throws ml::Error naming the file: a shape that does not match its values, a tensor named
// "__metadata__", a file that cannot be written.
void saveSafetensorsF32(const std::filesystem::path &path, const std::map<std::string, F32Array> &tensors,
    const std::map<std::string, std::string> &metadata = {});

} // namespace ml::io
