// Media I/O: still images through OpenCV, videos through FFmpeg (libavformat/libavcodec/
// libswscale, never OpenCV videoio). Every failure throws ml::Error naming the file.
#pragma once

#include <bit>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ml::io {

// 8-bit RGB, row-major HWC, rows packed (stride = width * 3). What every consumer in core
// and ui works with; ui wraps it in a QImage without copying.
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels; // width * height * 3

    bool empty() const { return width == 0 || height == 0; }
    std::uint8_t *row(int y) { return pixels.data() + static_cast<std::size_t>(y) * width * 3; }
    const std::uint8_t *row(int y) const { return pixels.data() + static_cast<std::size_t>(y) * width * 3; }
};

enum class MediaKind { Unknown, Image, Video };

const char *mediaKindName(MediaKind kind); // "image", "video", "unknown"

// By file extension only (cheap; used when scanning folders). Content is checked on decode.
MediaKind guessMediaKind(const std::filesystem::path &path);
const std::vector<std::string> &imageExtensions(); // lower case, with the dot
const std::vector<std::string> &videoExtensions();

struct MediaInfo {
    std::string file;
    MediaKind kind = MediaKind::Unknown;
    int width = 0; // as displayed: rotation and EXIF orientation already applied
    int height = 0;
    double durationS = 0.0;      // videos
    double fps = 0.0;            // videos: average frame rate
    std::string codec;           // videos: "h264", "vp9", ...; images: "jpeg", "png", ...
    int rotation = 0;            // videos: display rotation in degrees (0, 90, 180, 270)
    std::int64_t frameCount = 0; // videos: from the container when known, else estimated
};

// Throws ml::Error ("file: reason") for missing, unreadable, empty or undecodable files.
MediaInfo probeMedia(const std::filesystem::path &path);

// Images: any of JPEG, PNG, WebP, BMP, TIFF. EXIF orientation is applied; 16-bit is scaled
// to 8-bit, grayscale expanded to RGB, alpha composited over white.
RgbImage loadImage(const std::filesystem::path &path);
RgbImage decodeImage(const std::uint8_t *data, std::size_t size, const std::string &nameForErrors);
void saveImage(const RgbImage &image, const std::filesystem::path &path, int jpegQuality = 90);
// In memory; extension ".jpg", ".png", ".webp", ".bmp", ".tif" picks the format (quality: JPEG,
// WebP). Throws ml::Error for an empty image or an unknown extension.
std::vector<std::uint8_t> encodeImage(const RgbImage &image, const std::string &extension, int jpegQuality = 90);

// Area-averaged downscale (or bilinear upscale) so that the longer side is maxSide.
RgbImage resizeToFit(const RgbImage &image, int maxSide);

struct VideoFrame {
    RgbImage image;
    double timeS = 0.0;    // presentation time of this frame
    bool sceneCut = false; // sample(): taken where the picture changes, not at the fixed rate
};

// One open video stream. Not thread-safe: one decoder per thread. The constructor decodes
// the first frame, so a file that opens but holds no decodable frame throws there. FFmpeg's
// own log is set to fatal-only on first use, unless the application set a level before.
class VideoDecoder {
public:
    explicit VideoDecoder(const std::filesystem::path &path); // throws ml::Error
    ~VideoDecoder();
    VideoDecoder(const VideoDecoder &) = delete;
    VideoDecoder &operator=(const VideoDecoder &) = delete;

    const MediaInfo &info() const;

    // The frame shown at time t: seeks to the keyframe before t and decodes forward to the
    // last frame whose pts <= t. Clamped to [0, duration]. maxSide > 0 scales down on decode.
    VideoFrame frameAt(double timeS, int maxSide = 0);

    // The next frame in decode order after the last one returned; false at the end.
    bool next(VideoFrame &frame, int maxSide = 0);

    // Frames every 1/fps seconds from the start (sequential decode, no per-frame seek): the
    // frame shown at t = 0, 1/fps, 2/fps, ... while t < duration (and frames remain). Each decoded
    // frame is handed over once: at rates above the video's own, times that still show the frame
    // given last are skipped.
    // sceneThreshold > 0 adds, in time order, the first frame after each cut (sceneCut set): every
    // decoded frame is compared with the one before as a 32 x 32 grey thumbnail (read from the
    // luma plane, no colour conversion), and a mean absolute difference (0..1) above the threshold
    // is a cut. A cut is not taken when the next fixed-rate frame, which shows it too, or the
    // previous scene frame is within kSceneGapS of it.
    std::vector<VideoFrame> sample(double framesPerSecond, int maxSide = 0, double sceneThreshold = 0.0);
    // The same frames handed to onFrame one at a time as they are decoded, none kept: long videos
    // in bounded memory. An exception from onFrame stops the decode and propagates.
    void sampleEach(double framesPerSecond, const std::function<void(VideoFrame &&)> &onFrame, int maxSide = 0,
        double sceneThreshold = 0.0);
    static constexpr double kSceneGapS = 0.25;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

// The rate sampleEach needs for at least minFrames fixed-rate frames: framesPerSecond, raised for
// a clip shorter than minFrames / framesPerSecond to minFrames over its duration, but never above
// the video's own frame rate (a clip of fewer frames gives each once). Long videos keep
// framesPerSecond. An unknown duration keeps framesPerSecond.
double samplingRate(const MediaInfo &info, double framesPerSecond, int minFrames);

// A 64-bit perceptual hash of a picture (OpenCV img_hash's PHash: the signs of the lowest 8 x 8
// DCT frequencies of a 32 x 32 grey copy against their mean). Re-encoding, resizing and small
// brightness changes flip a few bits; unrelated pictures differ in about half of the 64.
std::uint64_t perceptualHash(const RgbImage &image);
// The bits that differ: 0..64. Inline: a build without media I/O compares stored hashes too.
inline int hashDistance(std::uint64_t a, std::uint64_t b)
{
    return std::popcount(a ^ b);
}

// A thumbnail for any supported media: images shrunk to fit maxSide (never enlarged; big
// JPEGs decode at 1/2..1/8 scale), videos the frame at 10% of the duration (at most 1 s in), or
// the frame at timeS when it is >= 0 (a search hit's best moment).
RgbImage makeThumbnail(const std::filesystem::path &path, int maxSide, double timeS = -1.0);

// Thumbnails cached on disk as JPEG, keyed by path + size + mtime (a changed file gets a new
// key, so stale entries are never shown).
class ThumbnailCache {
public:
    explicit ThumbnailCache(std::filesystem::path dir, int maxSide = 256);
    const std::filesystem::path &dir() const { return m_dir; }
    int maxSide() const { return m_maxSide; }

    // timeS >= 0: a video's frame at that time (to the millisecond), kept beside its poster frame.
    std::filesystem::path keyPath(const std::filesystem::path &file, double timeS = -1.0) const; // throws if missing
    // Cached when present, else made and stored. Throws ml::Error when the media fails.
    RgbImage get(const std::filesystem::path &file, double timeS = -1.0);

private:
    std::filesystem::path m_dir;
    int m_maxSide;
};

} // namespace ml::io
