// Internals shared by the media_*.cpp files: file checks, error text, image header sniffing.
// Not part of the public API; nothing outside core/io/media_*.cpp includes it.
#pragma once

#include "io/media.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ml::io::detail {

// What error messages call a file: its path as the caller gave it ("clips/a.mp4" stays relative,
// "/home/me/a.mp4" absolute), never just its base name: two "a.mp4" in different folders differ.
std::string nameOf(const std::filesystem::path &path);

// Throws ml::Error("name: reason").
[[noreturn]] void fail(const std::string &name, const std::string &reason);
[[noreturn]] inline void fail(const std::filesystem::path &path, const std::string &reason)
{
    fail(nameOf(path), reason);
}

// The size of a regular, non-empty file; throws "no such file", "is a directory", "file is empty".
std::uintmax_t checkMediaFile(const std::filesystem::path &path);

// Up to maxBytes from the start of the file (all of it by default).
std::vector<std::uint8_t> readFile(const std::filesystem::path &path, std::size_t maxBytes = SIZE_MAX);

// "file starts with text \"hello\"" or "file starts with bytes 00 00 00 20 66 74 79 70".
std::string describeStart(const std::uint8_t *data, std::size_t size);

enum class ImageFormat { None, Jpeg, Png, Webp, Bmp, Tiff };

const char *imageFormatName(ImageFormat format); // "jpeg", "png", ...

struct ImageHeader {
    ImageFormat format = ImageFormat::None; // from the magic bytes
    int width = 0;                          // as stored (before orientation); 0 when not found
    int height = 0;
    int orientation = 1; // EXIF orientation 1..8 (JPEG APP1, PNG eXIf, WebP EXIF)
};

// Reads only headers; data may be just the start of the file.
ImageHeader parseImageHeader(const std::uint8_t *data, std::size_t size);

// The most pixels an image may decode to (250 MP: 750 MB as 8-bit RGB; a 100 MP camera or a long
// panorama fits). A header asking for more is refused before anything is allocated: a 124 KB PNG
// can claim 32,000 x 32,000 pixels of one colour, 4 GB decoded.
constexpr std::int64_t kMaxImagePixels = 250'000'000;

// Whether a whole JPEG is there: its scans run to an end-of-image marker (bytes after it, such as
// a motion photo's video, do not matter). False for a file cut short, which the decoder would
// otherwise fill with grey without a word.
bool jpegIsComplete(const std::uint8_t *data, std::size_t size);

// Full decode; maxSide > 0 lets JPEG decode at 1/2, 1/4 or 1/8 scale when the result stays
// at least maxSide on its longer side (the caller still resizes to fit).
RgbImage decodeImageScaled(const std::uint8_t *data, std::size_t size, const std::string &name, int maxSide);

RgbImage rotateImage(const RgbImage &image, int degreesClockwise); // 0, 90, 180, 270

MediaInfo probeVideo(const std::filesystem::path &path);

// Once per process: FFmpeg's log level to fatal, unless the application already changed it.
void quietFfmpegLogs();

} // namespace ml::io::detail
