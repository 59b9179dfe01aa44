// Media kinds, extension lists, file checks and probeMedia: what images and videos share.
// Kind is decided by content (magic bytes, then FFmpeg), never by the extension alone.
#include "io/media_detail.h"

#include "common/error.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace ml::io {

const char *mediaKindName(MediaKind kind)
{
    switch (kind) {
    case MediaKind::Image:
        return "image";
    case MediaKind::Video:
        return "video";
    case MediaKind::Unknown:
        break;
    }
    return "unknown";
}

const std::vector<std::string> &imageExtensions()
{
    static const std::vector<std::string> exts
        = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".dib", ".tif", ".tiff"};
    return exts;
}

const std::vector<std::string> &videoExtensions()
{
    static const std::vector<std::string> exts = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg",
        ".ts", ".mts", ".m2ts", ".wmv", ".flv", ".3gp", ".ogv"};
    return exts;
}

MediaKind guessMediaKind(const std::filesystem::path &path)
{
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto has = [&ext](const std::vector<std::string> &list) {
        return std::find(list.begin(), list.end(), ext) != list.end();
    };
    if (has(imageExtensions()))
        return MediaKind::Image;
    if (has(videoExtensions()))
        return MediaKind::Video;
    return MediaKind::Unknown;
}

MediaInfo probeMedia(const std::filesystem::path &path)
{
    detail::checkMediaFile(path);
    // 256 KiB holds the JPEG SOF behind any usual EXIF/ICC segments; the rest is never read.
    const std::vector<std::uint8_t> head = detail::readFile(path, 256 * 1024);
    detail::ImageHeader header = detail::parseImageHeader(head.data(), head.size());
    if (header.format == detail::ImageFormat::None) {
        const MediaKind byName = guessMediaKind(path);
        if (byName == MediaKind::Image)
            detail::fail(path, "not a decodable image (" + detail::describeStart(head.data(), head.size()) + ")");
        if (byName == MediaKind::Video)
            return detail::probeVideo(path);
        try { // neither extension nor magic says what it is: FFmpeg has the last word
            return detail::probeVideo(path);
        } catch (const Error &e) {
            const std::string prefix = detail::nameOf(path) + ": ";
            std::string why = e.what();
            if (why.rfind(prefix, 0) == 0)
                why.erase(0, prefix.size());
            detail::fail(path, "not a supported image or video (" + why + ")");
        }
    }

    MediaInfo info;
    info.file = path.string();
    info.kind = MediaKind::Image;
    info.codec = detail::imageFormatName(header.format);
    if (header.width <= 0 || header.height <= 0) { // header beyond what was read, or odd: decode
        const std::vector<std::uint8_t> all = detail::readFile(path);
        const RgbImage image = detail::decodeImageScaled(all.data(), all.size(), detail::nameOf(path), 0);
        info.width = image.width;
        info.height = image.height;
        return info;
    }
    const bool swapped = header.orientation >= 5;
    info.width = swapped ? header.height : header.width;
    info.height = swapped ? header.width : header.height;
    return info;
}

namespace detail {

std::string nameOf(const std::filesystem::path &path)
{
    return path.string();
}

void fail(const std::string &name, const std::string &reason)
{
    throw Error(name + ": " + reason);
}

std::uintmax_t checkMediaFile(const std::filesystem::path &path)
{
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status))
        fail(path,
            ec && ec != std::errc::no_such_file_or_directory ? "cannot access (" + ec.message() + ")"
                                                             : std::string("no such file"));
    if (std::filesystem::is_directory(status))
        fail(path, "is a directory, not a media file");
    if (!std::filesystem::is_regular_file(status))
        fail(path, "not a regular file");
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec)
        fail(path, "cannot read size (" + ec.message() + ")");
    if (size == 0)
        fail(path, "file is empty (0 bytes)");
    return size;
}

std::vector<std::uint8_t> readFile(const std::filesystem::path &path, std::size_t maxBytes)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
    in.seekg(0, std::ios::end);
    const auto end = static_cast<std::uintmax_t>(in.tellg());
    in.seekg(0, std::ios::beg);
    std::vector<std::uint8_t> data(static_cast<std::size_t>(std::min<std::uintmax_t>(end, maxBytes)));
    if (!data.empty() && !in.read(reinterpret_cast<char *>(data.data()), static_cast<std::streamsize>(data.size())))
        fail(path, "read error");
    return data;
}

std::string describeStart(const std::uint8_t *data, std::size_t size)
{
    const std::size_t n = std::min<std::size_t>(size, 24);
    bool text = n > 0;
    for (std::size_t i = 0; i < n && text; ++i) {
        const std::uint8_t c = data[i];
        text = c == '\n' || c == '\r' || c == '\t' || c >= 0x20; // UTF-8 lead/continuation bytes count as text
        text = text && c != 0x7f && c != 0xff && c != 0xfe;
    }
    std::string out;
    if (text) {
        out = "file starts with text \"";
        for (std::size_t i = 0; i < n; ++i) {
            const char c = static_cast<char>(data[i]);
            out += c == '\n' ? std::string("\\n") : c == '\r' ? std::string("\\r") : std::string(1, c);
        }
        return out + (size > n ? "...\"" : "\"");
    }
    out = "file starts with bytes";
    char hex[4];
    for (std::size_t i = 0; i < std::min<std::size_t>(n, 8); ++i) {
        std::snprintf(hex, sizeof hex, " %02x", data[i]);
        out += hex;
    }
    return out;
}

} // namespace detail
} // namespace ml::io
