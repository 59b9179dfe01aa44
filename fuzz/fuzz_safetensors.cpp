// Fuzzes the safetensors reader (io/safetensors.cpp): header length, JSON header, dtypes, shapes
// and data offsets of a file that can hold anything. A bad file throws ml::Error; every tensor of
// a file that opens views only bytes inside it (each one is read in full).
#include "common/error.h"
#include "fuzz_util.h"
#include "io/safetensors.h"

#include <ATen/Functions.h>

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::filesystem::path path = ml::fuzz::scratchPath("model.safetensors");
    ml::fuzz::writeFile(path, data, size);
    try {
        const auto file = ml::io::SafetensorsFile::open(path);
        for (const auto &info : file->tensors()) {
            const torch::Tensor t = file->tensor(info.name);
            if (t.numel() != info.numel() || static_cast<std::uint64_t>(t.nbytes()) != info.end - info.begin)
                std::abort();
            if (t.numel() > 0) { // touch every byte: a view past the mapping faults here
                std::uint8_t sum = 0;
                const auto *bytes = static_cast<const std::uint8_t *>(t.data_ptr());
                for (std::size_t i = 0; i < t.nbytes(); ++i)
                    sum ^= bytes[i];
                volatile std::uint8_t sink = sum;
                (void)sink;
            }
        }
        (void)file->metadata();
    } catch (const ml::Error &) { }
    return 0;
}
