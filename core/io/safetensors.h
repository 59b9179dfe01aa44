// safetensors: a validating, memory-mapped reader (tensors alias the mapping, zero copy)
// and a writer. Nothing in a file is trusted before it has been checked.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ml::io {

struct TensorInfo {
    std::string name;
    std::string dtype; // "F32", "BF16", ...
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0; // byte offsets into the data section
    std::uint64_t end = 0;
    std::int64_t numel() const; // product of shape; 1 for a 0-d scalar
};

class SafetensorsFile {
public:
    // Throws ml::Error naming the file and the exact problem: missing, truncated, header
    // length past the end or over 100 MB, invalid JSON, unknown dtype, offsets outside the
    // data, overlapping tensors, byte length != shape x dtype size.
    static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path &path);
    ~SafetensorsFile();

    const std::filesystem::path &path() const { return m_path; }
    const std::vector<TensorInfo> &tensors() const { return m_tensors; }
    const std::map<std::string, std::string> &metadata() const { return m_metadata; }
    bool contains(const std::string &name) const;
    const TensorInfo &info(const std::string &name) const; // throws when absent

    // A CPU tensor viewing the mapped bytes (it keeps the mapping alive). The mapping is
    // copy-on-write, so an in-place op changes this process's pages, never the file. A tensor
    // whose offset is not a multiple of its element size (writers that skip padding) is copied.
    torch::Tensor tensor(const std::string &name) const;
    std::map<std::string, torch::Tensor> all() const;

private:
    SafetensorsFile() = default;
    std::filesystem::path m_path;
    std::vector<TensorInfo> m_tensors;
    std::map<std::string, std::size_t> m_index;
    std::map<std::string, std::string> m_metadata;
    std::shared_ptr<void> m_mapping; // munmap on last release
    const std::uint8_t *m_data = nullptr;
    std::uint64_t m_dataSize = 0;
};

// Writes tensors (any device, made contiguous, keys sorted) atomically: temp file + rename.
void saveSafetensors(const std::filesystem::path &path, const std::map<std::string, torch::Tensor> &tensors,
    const std::map<std::string, std::string> &metadata = {});

std::string dtypeName(torch::ScalarType t);               // "F32"
torch::ScalarType dtypeFromName(const std::string &name); // throws for unknown
std::size_t dtypeSize(const std::string &name);           // bytes per element; 0 when unknown

} // namespace ml::io
