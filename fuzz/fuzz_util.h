// Helpers shared by the fuzz targets: a scratch file per process in /dev/shm (the readers under
// test take paths), and the one rule every target checks: bad input throws ml::Error, nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace ml::fuzz {

// /dev/shm/modallens-fuzz-<pid>-<name> (the system temp folder where /dev/shm is absent); the
// same path for every input of a run, so no file is left per input.
inline std::filesystem::path scratchPath(const std::string &name)
{
    std::error_code ec;
    const std::filesystem::path dir
        = std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : std::filesystem::temp_directory_path();
    return dir / ("modallens-fuzz-" + std::to_string(::getpid()) + "-" + name);
}

inline void writeFile(const std::filesystem::path &path, const std::uint8_t *data, std::size_t size)
{
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (!f)
        std::abort();
    if (size && std::fwrite(data, 1, size, f) != size)
        std::abort();
    std::fclose(f);
}

} // namespace ml::fuzz
