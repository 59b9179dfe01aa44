// What a loaded BLIP-2 or LLaVA runtime tells about itself: its folder and name, the run dtype and
// device, the weights' bytes and the load's warnings; and what the model cache's estimate gives.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ml::vlm {

class RuntimeInfo {
public:
    const std::string &name() const { return m_name; }
    const std::filesystem::path &folder() const { return m_folder; }
    torch::ScalarType dtype() const { return m_dtype; }
    torch::Device device() const { return m_device; }
    std::int64_t bytes() const { return m_bytes; }
    const std::vector<std::string> &warnings() const { return m_warnings; }

protected:
    // The folder (its last part the name) and where the weights go, before they are bound.
    void setSource(const std::filesystem::path &folder, torch::ScalarType dtype, torch::Device device)
    {
        m_folder = folder;
        m_name = folder.filename().string();
        m_dtype = dtype;
        m_device = device;
    }

    std::filesystem::path m_folder;
    std::string m_name;
    torch::ScalarType m_dtype = torch::kFloat;
    torch::Device m_device = torch::kCPU;
    std::int64_t m_bytes = 0;
    std::vector<std::string> m_warnings;
};

// Bytes a runtime will hold, from config.json alone; 0 with the file named when it cannot be read
// (the load then says why).
struct RuntimeEstimate {
    std::int64_t bytes = 0;
    std::string configFile;
};

} // namespace ml::vlm
