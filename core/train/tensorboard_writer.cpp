// TFRecord + Event protobuf encoding by hand (wire types: varint 0, 64-bit 1, bytes 2, 32-bit 5).
// Ref: tensorflow/core/lib/io/record_writer.cc, tensorflow/core/util/event.proto
#include "train/tensorboard_writer.h"

#include "common/error.h"

#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace ml::train {

namespace {

constexpr std::array<std::uint32_t, 256> makeCrcTable()
{
    std::array<std::uint32_t, 256> table {};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[i] = c;
    }
    return table;
}
constexpr auto kCrcTable = makeCrcTable();

void putVarint(std::string &out, std::uint64_t v)
{
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

void putTag(std::string &out, int field, int wireType)
{
    putVarint(out, static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wireType));
}

template<class T> void putLittleEndian(std::string &out, T value)
{
    static_assert(std::endian::native == std::endian::little, "TFRecord writer assumes a little-endian host");
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.append(bytes, sizeof(T));
}

void putBytes(std::string &out, int field, std::string_view bytes)
{
    putTag(out, field, 2);
    putVarint(out, bytes.size());
    out.append(bytes);
}

std::string eventHeader(double wallTime, std::int64_t step)
{
    std::string e;
    putTag(e, 1, 1);
    putLittleEndian(e, wallTime);
    if (step != 0) { // proto3: a zero field is not written
        putTag(e, 2, 0);
        putVarint(e, static_cast<std::uint64_t>(step));
    }
    return e;
}

std::string hostName()
{
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0')
        return "localhost";
    return buf;
}

} // namespace

std::uint32_t crc32c(const void *data, std::size_t size, std::uint32_t crc)
{
    const auto *p = static_cast<const std::uint8_t *>(data);
    crc = ~crc;
    for (std::size_t i = 0; i < size; ++i)
        crc = kCrcTable[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

std::uint32_t maskedCrc32c(const void *data, std::size_t size)
{
    const std::uint32_t crc = crc32c(data, size);
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string encodeFileVersionEvent(double wallTime, std::string_view version)
{
    std::string e = eventHeader(wallTime, 0);
    putBytes(e, 3, version);
    return e;
}

std::string encodeScalarEvent(double wallTime, std::int64_t step, const std::vector<Scalar> &scalars)
{
    std::string summary;
    for (const Scalar &s : scalars) {
        std::string value;
        putBytes(value, 1, s.tag);
        putTag(value, 2, 5);
        putLittleEndian(value, s.value);
        putBytes(summary, 1, value);
    }
    std::string e = eventHeader(wallTime, step);
    putBytes(e, 5, summary);
    return e;
}

std::string frameRecord(std::string_view data)
{
    std::string out;
    putLittleEndian(out, static_cast<std::uint64_t>(data.size()));
    const std::uint32_t lengthCrc = maskedCrc32c(out.data(), 8);
    putLittleEndian(out, lengthCrc);
    out.append(data);
    putLittleEndian(out, maskedCrc32c(data.data(), data.size()));
    return out;
}

TensorBoardWriter::TensorBoardWriter(const std::filesystem::path &dir)
{
    std::filesystem::create_directories(dir);
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string base = "events.out.tfevents." + std::to_string(static_cast<std::int64_t>(now)) + "." + hostName();
    m_path = dir / base;
    for (int i = 1; std::filesystem::exists(m_path); ++i) // a resume within the same second
        m_path = dir / (base + "." + std::to_string(i));
    m_file = std::fopen(m_path.c_str(), "wb");
    if (!m_file)
        throw Error(m_path.string() + ": cannot write (" + std::strerror(errno) + ")");
    write(frameRecord(encodeFileVersionEvent(now)));
}

TensorBoardWriter::~TensorBoardWriter()
{
    if (m_file)
        std::fclose(m_file);
}

void TensorBoardWriter::add(std::int64_t step, const std::vector<Scalar> &scalars)
{
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    write(frameRecord(encodeScalarEvent(now, step, scalars)));
}

void TensorBoardWriter::write(const std::string &record)
{
    if (std::fwrite(record.data(), 1, record.size(), m_file) != record.size() || std::fflush(m_file) != 0)
        throw Error(m_path.string() + ": write failed (" + std::strerror(errno) + ")");
}

} // namespace ml::train
