// `bench media`: thumbnails per second for 1920x1080 JPEGs (cold and cached) and frame-at-time
// latency in a 1080p H.264 clip, in a scratch folder removed afterwards. No engine types: the
// CLI wraps it in a job (progress may throw to cancel).
#pragma once

#include "io/media.h"

#include <cstdint>
#include <functional>
#include <string>

namespace ml::io {

// Photo-like content (smooth gradients, a disk, sensor noise) so JPEG sizes are real; the same
// seed gives the same picture. Also the index benchmark's pictures.
RgbImage syntheticPhoto(int width, int height, std::uint32_t seed);

struct MediaBenchRequest {
    int images = 1000;
    int seeks = 100;
    int threads = 1; // thumbnail workers
};

struct MediaBenchResult {
    int images = 0, threads = 0;
    double thumbnailsPerS = 0.0, cachedThumbnailsPerS = 0.0;
    double frameAtP50Ms = 0.0, frameAtP99Ms = 0.0;           // full 1080p frames
    double frameAt256pxP50Ms = 0.0, frameAt256pxP99Ms = 0.0; // scaled to 256 px while decoding
    double sequentialDecodeFps = 0.0;
    std::string video = "1920x1080 H.264, 30 fps, keyframe every 1 s";
};

// progress(done, total, stage) is called between steps; whatever it throws (a cancel) stops the
// benchmark, after the thumbnail workers have stopped. Throws ml::Error when media fails.
using MediaBenchProgress = std::function<void(std::int64_t done, std::int64_t total, const std::string &stage)>;
MediaBenchResult benchMedia(const MediaBenchRequest &request, const MediaBenchProgress &progress);

} // namespace ml::io
