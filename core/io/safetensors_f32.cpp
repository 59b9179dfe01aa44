// saveSafetensorsF32: an 8-byte header length, the JSON header padded with spaces to a multiple
// of 8, then the little-endian float32 data of each tensor in key order.
#include "io/safetensors_f32.h"

#include "io/file_util.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <bit>
#include <cstring>
#include <fstream>
#include <system_error>

#include <unistd.h>

namespace ml::io {

using fileutil::fail;

void saveSafetensorsF32(const std::filesystem::path &path, const std::map<std::string, F32Array> &tensors,
    const std::map<std::string, std::string> &metadata)
{
    static_assert(std::endian::native == std::endian::little, "safetensors stores little-endian data");
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const auto &[name, array] : tensors) {
        if (name == "__metadata__")
            fail(path, "cannot save a tensor named '__metadata__'");
        std::int64_t count = 1;
        for (const std::int64_t d : array.shape) {
            if (d < 0)
                fail(path, "tensor '" + name + "' has a negative dimension in " + fileutil::shapeString(array.shape));
            count *= d;
        }
        if (static_cast<std::uint64_t>(count) != array.values.size())
            fail(path,
                "tensor '" + name + "' has shape " + fileutil::shapeString(array.shape) + " but "
                    + std::to_string(array.values.size()) + " values");
        const std::uint64_t bytes = array.values.size() * sizeof(float);
        header[name] = {{"dtype", "F32"}, {"shape", array.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string headerText = header.dump();
    headerText.append((8 - headerText.size() % 8) % 8, ' ');
    const std::uint64_t headerSize = headerText.size();

    static std::atomic<unsigned> counter {0};
    const auto temp = std::filesystem::path(
        path.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)));
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out)
            fail(path, "cannot create " + temp.filename().string());
        char length[8];
        std::memcpy(length, &headerSize, sizeof length);
        out.write(length, sizeof length);
        out.write(headerText.data(), static_cast<std::streamsize>(headerText.size()));
        for (const auto &[name, array] : tensors)
            out.write(reinterpret_cast<const char *>(array.values.data()),
                static_cast<std::streamsize>(array.values.size() * sizeof(float)));
        out.flush();
        if (!out) {
            out.close();
            std::error_code ignored;
            std::filesystem::remove(temp, ignored);
            fail(path, "cannot write (disk full or no permission?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(temp, ignored);
        fail(path, "cannot replace the file (" + ec.message() + ")");
    }
}

} // namespace ml::io
