// TensorBoard scalar event files written without TensorFlow: TFRecord framing (length, masked
// CRC32C, data, masked CRC32C) around hand-encoded Event protobufs, so a run opens in TensorBoard.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ml::train {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses; crc32c("123456789")
// is 0xE3069283. `crc` continues a previous value.
std::uint32_t crc32c(const void *data, std::size_t size, std::uint32_t crc = 0);
// TFRecord's mask: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
std::uint32_t maskedCrc32c(const void *data, std::size_t size);

// The protobuf bytes of an Event (tensorflow/core/util/event.proto): wall_time (1, double),
// step (2, int64), then file_version (3, string) or summary (5) with Summary.Value entries
// {tag (1, string), simple_value (2, float)}.
std::string encodeFileVersionEvent(double wallTime, std::string_view version = "brain.Event:2");
struct Scalar {
    std::string tag;
    float value = 0.0f;
};
std::string encodeScalarEvent(double wallTime, std::int64_t step, const std::vector<Scalar> &scalars);

// One TFRecord: u64 length (little endian), masked CRC of those 8 bytes, data, masked CRC of data.
std::string frameRecord(std::string_view data);

// events.out.tfevents.<unix time>.<host> in a folder; the file_version event first. Each add()
// is flushed, so TensorBoard sees a live run. Throws ml::Error naming a file it cannot write.
class TensorBoardWriter {
public:
    explicit TensorBoardWriter(const std::filesystem::path &dir);
    ~TensorBoardWriter();
    TensorBoardWriter(const TensorBoardWriter &) = delete;
    TensorBoardWriter &operator=(const TensorBoardWriter &) = delete;

    void add(std::int64_t step, const std::vector<Scalar> &scalars);
    const std::filesystem::path &path() const { return m_path; }

private:
    void write(const std::string &record);
    std::filesystem::path m_path;
    std::FILE *m_file = nullptr;
};

} // namespace ml::train
