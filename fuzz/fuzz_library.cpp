// Fuzzes opening the media library (index/library.cpp) on a damaged database file: the probe of
// application_id, user_version and tables, the migration to the current schema, then reads of
// every table. A file that is not a sound library throws ml::Error; nothing else may happen.
#include "common/error.h"
#include "fuzz_util.h"
#include "index/library.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::filesystem::path path = ml::fuzz::scratchPath("library.db");
    std::error_code ec; // a WAL left by the last input would be replayed into this one
    std::filesystem::remove(path.string() + "-wal", ec);
    std::filesystem::remove(path.string() + "-shm", ec);
    ml::fuzz::writeFile(path, data, size);
    try {
        auto lib = ml::index::Library::open(path);
        (void)lib->schemaVersion();
        (void)lib->folders();
        for (const auto &f : lib->files())
            (void)lib->file(f.id);
        for (const auto &m : lib->models()) {
            (void)lib->vectors(m.modelId);
            (void)lib->needsReindex(m.modelId, m.configHash);
        }
        (void)lib->needsReindex("clip-mini");
    } catch (const ml::Error &) { }
    return 0;
}
