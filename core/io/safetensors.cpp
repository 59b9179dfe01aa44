// safetensors: the reader checks every number of the header against the file before a tensor
// views the mapping; the writer pads the header and renames a finished temp file into place.
#include "safetensors.h"

#include "common/error.h"
#include "io/file_util.h"

#include <ATen/Functions.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace ml::io {

static_assert(std::endian::native == std::endian::little, "safetensors data is little endian");

namespace {

using fileutil::fail;
using fileutil::shapeString;

constexpr std::uint64_t kMaxHeaderBytes = 100'000'000; // the reference implementation's limit
constexpr const char *kMetadataKey = "__metadata__";

struct DtypeEntry {
    const char *name;
    torch::ScalarType type;
    std::size_t size;
};

constexpr DtypeEntry kDtypes[] = {
    {"F64", torch::kFloat64, 8},
    {"F32", torch::kFloat32, 4},
    {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2},
    {"I64", torch::kInt64, 8},
    {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},
    {"I8", torch::kInt8, 1},
    {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

std::string knownDtypes()
{
    std::string out;
    for (const auto &d : kDtypes)
        out += (out.empty() ? "" : ", ") + std::string(d.name);
    return out;
}

std::string systemError()
{
    return std::strerror(errno);
}

// A field of a tensor entry as non-negative integers; nullopt when it is anything else.
std::optional<std::vector<std::uint64_t>> unsignedArray(const nlohmann::json &j)
{
    if (!j.is_array())
        return std::nullopt;
    std::vector<std::uint64_t> out;
    for (const auto &v : j) {
        if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0))
            return std::nullopt;
        out.push_back(v.get<std::uint64_t>());
    }
    return out;
}

TensorInfo parseEntry(
    const std::filesystem::path &path, const std::string &name, const nlohmann::json &entry, std::uint64_t dataSize)
{
    const std::string where = "tensor '" + name + "'";
    if (!entry.is_object())
        fail(path, where + " is not a JSON object");
    TensorInfo info;
    info.name = name;

    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string())
        fail(path, where + " has no dtype string");
    info.dtype = dtype->get<std::string>();
    const std::size_t elementSize = dtypeSize(info.dtype);
    if (elementSize == 0)
        fail(path, where + " has unknown dtype '" + info.dtype + "' (known: " + knownDtypes() + ")");

    const auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array())
        fail(path, where + " has no shape array");
    std::uint64_t numel = 1;
    for (const auto &d : *shape) {
        if (!d.is_number_integer())
            fail(path, where + " shape " + shape->dump() + " holds a non-integer");
        if (!d.is_number_unsigned() && d.get<std::int64_t>() < 0)
            fail(path, where + " shape " + shape->dump() + " has a negative dimension");
        const auto dim = d.get<std::uint64_t>();
        if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
            || __builtin_mul_overflow(numel, dim, &numel))
            fail(path, where + " shape " + shape->dump() + " overflows the element count");
        info.shape.push_back(static_cast<std::int64_t>(dim));
    }
    std::uint64_t needed = 0;
    if (numel > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
        || __builtin_mul_overflow(numel, elementSize, &needed))
        fail(path, where + " shape " + shapeString(info.shape) + " overflows the byte count");

    const auto offsetsIt = entry.find("data_offsets");
    const auto offsets = offsetsIt == entry.end() ? std::nullopt : unsignedArray(*offsetsIt);
    if (!offsets || offsets->size() != 2)
        fail(path,
            where + " data_offsets is not a pair of non-negative integers"
                + (offsetsIt == entry.end() ? std::string(" (missing)") : " (" + offsetsIt->dump() + ")"));
    info.begin = (*offsets)[0];
    info.end = (*offsets)[1];
    const std::string range = "[" + std::to_string(info.begin) + ", " + std::to_string(info.end) + "]";
    if (info.begin > info.end)
        fail(path, where + " data_offsets " + range + " begin after end");
    if (info.end > dataSize)
        fail(path,
            where + " data_offsets " + range + " end past the data section (" + std::to_string(dataSize) + " bytes)");
    if (info.end - info.begin != needed)
        fail(path,
            where + " has " + std::to_string(info.end - info.begin) + " bytes but shape " + shapeString(info.shape)
                + " " + info.dtype + " needs " + std::to_string(needed));
    return info;
}

// RAII for a file descriptor.
struct Fd {
    int fd = -1;
    ~Fd()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

} // namespace

std::int64_t TensorInfo::numel() const
{
    std::int64_t n = 1;
    for (const auto d : shape)
        n *= d; // checked against overflow when the header was read
    return n;
}

std::string dtypeName(torch::ScalarType t)
{
    for (const auto &d : kDtypes)
        if (d.type == t)
            return d.name;
    throw Error(std::string("safetensors: no dtype for torch type ") + c10::toString(t));
}

torch::ScalarType dtypeFromName(const std::string &name)
{
    for (const auto &d : kDtypes)
        if (name == d.name)
            return d.type;
    throw Error("safetensors: unknown dtype '" + name + "' (known: " + knownDtypes() + ")");
}

std::size_t dtypeSize(const std::string &name)
{
    for (const auto &d : kDtypes)
        if (name == d.name)
            return d.size;
    return 0;
}

SafetensorsFile::~SafetensorsFile() = default;

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path &path)
{
    Fd file {::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0)
        fail(path, "cannot open (" + systemError() + ")");
    struct stat st { };
    if (::fstat(file.fd, &st) != 0)
        fail(path, "cannot stat (" + systemError() + ")");
    if (!S_ISREG(st.st_mode))
        fail(path, "not a regular file");
    const auto fileSize = static_cast<std::uint64_t>(st.st_size);
    if (fileSize < 8)
        fail(path, "file is truncated (" + std::to_string(fileSize) + " bytes, need at least 8)");

    // Private and writable: pages are shared with the page cache until someone writes to a
    // tensor in place, which then gets a private copy instead of a SIGSEGV. The file never changes.
    void *addr = ::mmap(nullptr, fileSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd, 0);
    if (addr == MAP_FAILED)
        fail(path, "cannot map (" + systemError() + ")");
    std::shared_ptr<void> mapping(addr, [fileSize](void *p) { ::munmap(p, fileSize); });
    const auto *bytes = static_cast<const std::uint8_t *>(addr);

    std::uint64_t headerSize = 0;
    std::memcpy(&headerSize, bytes, 8);
    if (headerSize > fileSize - 8)
        fail(path, "header length " + std::to_string(headerSize) + " exceeds file size " + std::to_string(fileSize));
    if (headerSize > kMaxHeaderBytes)
        fail(path,
            "header length " + std::to_string(headerSize) + " exceeds the limit of " + std::to_string(kMaxHeaderBytes)
                + " bytes");

    // A duplicate name would silently hide a tensor (nlohmann keeps the last one): refuse it.
    std::set<std::string> seen;
    std::string duplicate;
    const nlohmann::json::parser_callback_t noteKeys
        = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json &parsed) {
              if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string()
                  && !seen.insert(parsed.get<std::string>()).second && duplicate.empty())
                  duplicate = parsed.get<std::string>();
              return true;
          };
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(bytes + 8, bytes + 8 + headerSize, noteKeys);
    } catch (const nlohmann::json::parse_error &e) {
        fail(path, "header is not valid JSON (parse error at byte " + std::to_string(e.byte) + ")");
    } catch (const nlohmann::json::out_of_range &) { // a number such as 1e999
        fail(path, "header is not valid JSON (a number out of range)");
    }
    if (!header.is_object())
        fail(path, std::string("header is not a JSON object (it is ") + header.type_name() + ")");
    if (!duplicate.empty())
        fail(path, "header names '" + duplicate + "' twice");

    auto result = std::shared_ptr<SafetensorsFile>(new SafetensorsFile);
    result->m_path = path;
    result->m_mapping = std::move(mapping);
    result->m_data = bytes + 8 + headerSize;
    result->m_dataSize = fileSize - 8 - headerSize;

    for (const auto &[name, entry] : header.items()) {
        if (name == kMetadataKey) {
            if (!entry.is_object())
                fail(path, "__metadata__ is not an object of strings");
            for (const auto &[key, value] : entry.items()) {
                if (!value.is_string())
                    fail(path, "__metadata__ value of '" + key + "' is not a string (" + value.dump() + ")");
                result->m_metadata[key] = value.get<std::string>();
            }
            continue;
        }
        result->m_index[name] = result->m_tensors.size();
        result->m_tensors.push_back(parseEntry(path, name, entry, result->m_dataSize));
    }

    // Non-empty byte ranges must be disjoint; empty tensors may sit anywhere in range.
    std::vector<const TensorInfo *> byBegin;
    for (const auto &t : result->m_tensors)
        if (t.end > t.begin)
            byBegin.push_back(&t);
    std::sort(
        byBegin.begin(), byBegin.end(), [](const TensorInfo *a, const TensorInfo *b) { return a->begin < b->begin; });
    for (std::size_t i = 1; i < byBegin.size(); ++i) {
        const TensorInfo &a = *byBegin[i - 1], &b = *byBegin[i];
        if (b.begin < a.end)
            fail(path,
                "tensors '" + a.name + "' and '" + b.name + "' overlap (bytes [" + std::to_string(a.begin) + ", "
                    + std::to_string(a.end) + "] and [" + std::to_string(b.begin) + ", " + std::to_string(b.end)
                    + "])");
    }
    return result;
}

bool SafetensorsFile::contains(const std::string &name) const
{
    return m_index.count(name) != 0;
}

const TensorInfo &SafetensorsFile::info(const std::string &name) const
{
    const auto it = m_index.find(name);
    if (it == m_index.end())
        fail(m_path, "no tensor '" + name + "'");
    return m_tensors[it->second];
}

torch::Tensor SafetensorsFile::tensor(const std::string &name) const
{
    const TensorInfo &t = info(name);
    const std::size_t elementSize = dtypeSize(t.dtype);
    const auto options = torch::TensorOptions().dtype(dtypeFromName(t.dtype)).device(torch::kCPU);
    auto *data = const_cast<std::uint8_t *>(m_data + t.begin);

    // A BOOL byte other than 0 or 1 is undefined behaviour for torch's kernels.
    if (t.dtype == "BOOL")
        for (std::uint64_t i = 0; i < t.end - t.begin; ++i)
            if (data[i] > 1)
                fail(m_path,
                    "tensor '" + name + "' is BOOL but element " + std::to_string(i) + " is byte "
                        + std::to_string(data[i]) + " (not 0 or 1)");

    if (reinterpret_cast<std::uintptr_t>(data) % elementSize != 0) {
        auto copy = torch::empty(t.shape, options); // unaligned data: one aligned copy
        if (t.end > t.begin)                        // an empty tensor has no storage to copy into
            std::memcpy(copy.data_ptr(), data, t.end - t.begin);
        return copy;
    }
    return torch::from_blob(
        data, t.shape, [keep = m_mapping](void *) {}, options);
}

std::map<std::string, torch::Tensor> SafetensorsFile::all() const
{
    std::map<std::string, torch::Tensor> out;
    for (const auto &t : m_tensors)
        out.emplace(t.name, tensor(t.name));
    return out;
}

void saveSafetensors(const std::filesystem::path &path, const std::map<std::string, torch::Tensor> &tensors,
    const std::map<std::string, std::string> &metadata)
{
    struct Item {
        std::string name;
        torch::Tensor data; // CPU, contiguous
        std::size_t elementSize;
    };
    std::vector<Item> items;
    for (const auto &[name, t] : tensors) {
        if (name == kMetadataKey)
            fail(path, "cannot save a tensor named '__metadata__'");
        if (!t.defined())
            fail(path, "cannot save tensor '" + name + "': it is undefined");
        if (t.layout() != torch::kStrided)
            fail(path, "cannot save tensor '" + name + "': only dense tensors can be saved");
        std::string dtype;
        try {
            dtype = dtypeName(t.scalar_type());
        } catch (const Error &) {
            fail(path,
                "cannot save tensor '" + name + "': safetensors has no dtype for " + c10::toString(t.scalar_type()));
        }
        items.push_back({name, t.detach().to(torch::kCPU).contiguous(), dtypeSize(dtype)});
    }
    // Larger elements first keeps every tensor aligned to its element size (as safetensors does).
    std::stable_sort(
        items.begin(), items.end(), [](const Item &a, const Item &b) { return a.elementSize > b.elementSize; });

    nlohmann::json header = nlohmann::json::object(); // an object sorts its keys
    if (!metadata.empty())
        header[kMetadataKey] = metadata;
    std::uint64_t offset = 0;
    for (const auto &item : items) {
        const std::uint64_t bytes = static_cast<std::uint64_t>(item.data.numel()) * item.elementSize;
        header[item.name] = {{"dtype", dtypeName(item.data.scalar_type())}, {"shape", item.data.sizes().vec()},
            {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string headerText = header.dump();
    headerText.append((8 - headerText.size() % 8) % 8, ' '); // the data section starts 8-aligned
    const std::uint64_t headerSize = headerText.size();

    static std::atomic<unsigned> counter {0};
    const auto temp = std::filesystem::path(
        path.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)));
    Fd out {::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
    if (out.fd < 0)
        fail(path, "cannot create " + temp.filename().string() + " (" + systemError() + ")");
    const auto writeAll = [&](const void *data, std::size_t size) {
        const auto *p = static_cast<const char *>(data);
        while (size > 0) {
            const ssize_t n = ::write(out.fd, p, size);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                const std::string why = systemError();
                ::unlink(temp.c_str());
                fail(path, "cannot write (" + why + ")");
            }
            p += n;
            size -= static_cast<std::size_t>(n);
        }
    };
    writeAll(&headerSize, 8);
    writeAll(headerText.data(), headerText.size());
    for (const auto &item : items)
        writeAll(item.data.data_ptr(), static_cast<std::size_t>(item.data.numel()) * item.elementSize);
    const bool synced = ::fsync(out.fd) == 0;
    const bool closed = ::close(std::exchange(out.fd, -1)) == 0;
    if (!synced || !closed) {
        const std::string why = systemError();
        ::unlink(temp.c_str());
        fail(path, "cannot write (" + why + ")");
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const std::string why = systemError();
        ::unlink(temp.c_str());
        fail(path, "cannot rename the finished file into place (" + why + ")");
    }
}

} // namespace ml::io
