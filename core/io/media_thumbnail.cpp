// Thumbnails: JPEGs decoded at 1/2..1/8 scale when that is enough, videos from one frame,
// and an on-disk JPEG cache keyed by path + size + mtime, written atomically (temp + rename).
#include "io/media_detail.h"

#include "common/error.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

namespace ml::io {
namespace {

std::uint64_t fnv1a(const std::string &s)
{
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    // splitmix64 finaliser: FNV's low bits mix poorly, and these become file names
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

// Unique among threads and processes sharing the cache directory.
std::string tempSuffix()
{
    static std::atomic<std::uint64_t> counter {0};
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    const std::size_t thread = std::hash<std::thread::id> {}(std::this_thread::get_id());
    char text[64];
    std::snprintf(text, sizeof text, ".%016llx.tmp",
        static_cast<unsigned long long>(
            fnv1a(std::to_string(now) + ":" + std::to_string(thread) + ":" + std::to_string(counter.fetch_add(1)))));
    return text;
}

} // namespace

RgbImage makeThumbnail(const std::filesystem::path &path, int maxSide, double timeS)
{
    detail::checkMediaFile(path);
    const std::vector<std::uint8_t> head = detail::readFile(path, 64);
    if (detail::parseImageHeader(head.data(), head.size()).format != detail::ImageFormat::None) {
        const std::vector<std::uint8_t> data = detail::readFile(path);
        const RgbImage image = detail::decodeImageScaled(data.data(), data.size(), detail::nameOf(path), maxSide);
        // Shrink only: a small image stays as it is.
        return maxSide > 0 && std::max(image.width, image.height) > maxSide ? resizeToFit(image, maxSide) : image;
    }
    if (guessMediaKind(path) == MediaKind::Image)
        detail::fail(path, "not a decodable image (" + detail::describeStart(head.data(), head.size()) + ")");
    VideoDecoder video(path);
    const double t = timeS >= 0.0 ? timeS : std::min(0.1 * video.info().durationS, 1.0);
    return video.frameAt(t, maxSide).image;
}

ThumbnailCache::ThumbnailCache(std::filesystem::path dir, int maxSide) : m_dir(std::move(dir)), m_maxSide(maxSide)
{ }

std::filesystem::path ThumbnailCache::keyPath(const std::filesystem::path &file, double timeS) const
{
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(file, ec).lexically_normal();
    const auto status = std::filesystem::status(absolute, ec);
    if (!std::filesystem::exists(status))
        detail::fail(file, "no such file");
    if (!std::filesystem::is_regular_file(status))
        detail::fail(file, "not a regular file");
    const std::uintmax_t size = std::filesystem::file_size(absolute, ec);
    const auto mtime = std::filesystem::last_write_time(absolute, ec);
    if (ec)
        detail::fail(file, "cannot read size and time (" + ec.message() + ")");
    std::string key = absolute.string() + '\n' + std::to_string(size) + '\n'
        + std::to_string(mtime.time_since_epoch().count()) + '\n' + std::to_string(m_maxSide);
    if (timeS >= 0.0) // the poster frame's key stays as it was
        key += "\n@" + std::to_string(std::llround(timeS * 1000.0)) + "ms";
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.jpg", static_cast<unsigned long long>(fnv1a(key)));
    return m_dir / name;
}

RgbImage ThumbnailCache::get(const std::filesystem::path &file, double timeS)
{
    const std::filesystem::path key = keyPath(file, timeS);
    std::error_code ec;
    if (std::filesystem::is_regular_file(key, ec)) {
        try {
            RgbImage cached = loadImage(key);
            if (!cached.empty() && (m_maxSide <= 0 || std::max(cached.width, cached.height) <= m_maxSide))
                return cached;
        } catch (const Error &) { // a corrupt or truncated entry: made again below
        }
    }

    const std::vector<std::uint8_t> jpeg = encodeImage(makeThumbnail(file, m_maxSide, timeS), ".jpg", 85);
    std::filesystem::create_directories(m_dir, ec);
    std::filesystem::path temp = key;
    temp += tempSuffix();
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
        out.close();
        if (!out) {
            std::filesystem::remove(temp, ec);
            detail::fail(m_dir, "cannot write a thumbnail into the cache directory");
        }
    }
    std::filesystem::rename(temp, key, ec); // atomic: readers see the old entry or the new one
    if (ec) {
        const std::string reason = ec.message();
        std::filesystem::remove(temp, ec);
        detail::fail(m_dir, "cannot store a thumbnail in the cache directory (" + reason + ")");
    }
    // What a later hit returns (the JPEG round trip), so hit and miss give the same pixels.
    return decodeImage(jpeg.data(), jpeg.size(), key.string());
}

} // namespace ml::io
