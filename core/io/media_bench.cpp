// `bench media`: thumbnails/s for 1920x1080 JPEGs (cold: decode + scale + encode + write; cached:
// read), and frame-at-time latency and sequential decoding in a 1080p H.264 clip.
#include "io/media_bench.h"
#include "common/percentile.h"

#include "common/error.h"
#include "io/media_encode.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace ml::io {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A removed-on-exit scratch folder.
struct ScratchDir {
    fs::path path;
    ScratchDir()
    {
        std::random_device rd;
        path = fs::temp_directory_path() / ("modallens-bench-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~ScratchDir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

fs::path photoPath(const fs::path &dir, int i)
{
    return dir / ("photo_" + std::to_string(i) + ".jpg");
}

// Thumbnails of every photo on `threads` workers; per second. The workers stop before anything
// progress throws (or a thumbnail's error) leaves here.
double thumbnailsPerS(ThumbnailCache &cache, const fs::path &photos, int n, int threads,
    const MediaBenchProgress &progress, const char *stage)
{
    std::atomic<int> next {0}, done {0};
    std::atomic<bool> stop {false};
    std::exception_ptr failure;
    std::mutex failureMutex;
    const auto t0 = Clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < std::max(1, threads); ++w)
        workers.emplace_back([&] {
            for (int i = next.fetch_add(1); i < n && !stop.load(); i = next.fetch_add(1)) {
                try {
                    cache.get(photoPath(photos, i));
                } catch (...) {
                    const std::lock_guard<std::mutex> lock(failureMutex);
                    if (!failure)
                        failure = std::current_exception();
                    stop = true;
                }
                done.fetch_add(1);
            }
        });
    try {
        while (done.load() < n && !stop.load()) {
            progress(done.load(), n, stage);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    } catch (...) {
        stop = true;
        for (auto &w : workers)
            w.join();
        throw;
    }
    for (auto &w : workers)
        w.join();
    if (failure)
        std::rethrow_exception(failure);
    return n / secondsSince(t0);
}

} // namespace

RgbImage syntheticPhoto(int w, int h, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> noise(-6, 6);
    std::uniform_int_distribution<int> coord(0, std::max(w, h));
    RgbImage img {w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h * 3)};
    const int cx = coord(rng) % w, cy = coord(rng) % h, r = 100 + coord(rng) % 300;
    const int hue = static_cast<int>(seed % 3);
    for (int y = 0; y < h; ++y) {
        std::uint8_t *row = img.row(y);
        for (int x = 0; x < w; ++x) {
            const bool inDisk = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
            int v[3] = {x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h) + 64};
            if (inDisk)
                v[hue] = 230;
            for (int c = 0; c < 3; ++c)
                row[x * 3 + c] = static_cast<std::uint8_t>(std::clamp(v[c] + noise(rng), 0, 255));
        }
    }
    return img;
}

MediaBenchResult benchMedia(const MediaBenchRequest &req, const MediaBenchProgress &progress)
{
    if (req.images <= 0 || req.seeks <= 0)
        throw Error("bench media: --images and --seeks must be positive");
    MediaBenchResult r;
    r.images = req.images;
    r.threads = std::max(1, req.threads);
    ScratchDir scratch;
    const fs::path photos = scratch.path / "photos";
    fs::create_directories(photos);
    // The same few source frames, encoded once each; files differ by name only in the cache
    // key, which is what a thumbnailer sees.
    std::vector<std::vector<std::uint8_t>> jpegs;
    for (std::uint32_t i = 0; i < 8; ++i)
        jpegs.push_back(encodeImage(syntheticPhoto(1920, 1080, i + 1), ".jpg", 90));
    for (int i = 0; i < req.images; ++i) {
        const auto &bytes = jpegs[static_cast<std::size_t>(i) % jpegs.size()];
        std::FILE *f = std::fopen(photoPath(photos, i).c_str(), "wb");
        if (!f)
            throw Error(photos.string() + ": cannot write benchmark images");
        const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
        if (std::fclose(f) != 0 || !written)
            throw Error(photoPath(photos, i).string() + ": cannot write (disk full?)");
        progress(i + 1, req.images, "writing JPEGs");
    }

    // Thumbnails: cold cache (decode + scale + JPEG encode + write), then warm (read).
    ThumbnailCache cache(scratch.path / "thumbs", 256);
    r.thumbnailsPerS = thumbnailsPerS(cache, photos, req.images, r.threads, progress, "thumbnails");
    r.cachedThumbnailsPerS = thumbnailsPerS(cache, photos, req.images, r.threads, progress, "cached");

    // Frame at time t in a 1080p H.264 clip: 20 s at 30 fps, a keyframe each second.
    const fs::path clip = scratch.path / "clip_1080p.mp4";
    const int fps = 30, seconds = 20;
    {
        VideoEncoder enc;
        enc.open(clip, "h264", 1920, 1080, fps);
        const auto base = syntheticPhoto(1920, 1080, 99);
        for (int i = 0; i < fps * seconds; ++i) {
            RgbImage frame = base;
            const int x0 = (i * 16) % (1920 - 200);
            for (int y = 400; y < 680; ++y)
                std::fill(frame.row(y) + x0 * 3, frame.row(y) + (x0 + 200) * 3, static_cast<std::uint8_t>(i % 255));
            enc.write(frame);
            progress(i + 1, fps * seconds, "encoding clip");
        }
        enc.finish();
    }
    VideoDecoder dec(clip);
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> when(0.0, seconds - 0.05);
    const auto seekTimes = [&](int maxSide, const char *stage) {
        std::vector<double> ms;
        for (int i = 0; i < req.seeks; ++i) {
            const double t = when(rng);
            const auto t0 = Clock::now();
            dec.frameAt(t, maxSide);
            ms.push_back(secondsSince(t0) * 1000.0);
            progress(i + 1, req.seeks, stage);
        }
        return ms;
    };
    const auto ms = seekTimes(0, "seeking");
    const auto msSmall = seekTimes(256, "seeking to 256 px");
    r.frameAtP50Ms = percentile(ms, 50);
    r.frameAtP99Ms = percentile(ms, 99);
    r.frameAt256pxP50Ms = percentile(msSmall, 50);
    r.frameAt256pxP99Ms = percentile(msSmall, 99);
    dec.frameAt(0.0);
    VideoFrame frame;
    int decoded = 0;
    const auto t0 = Clock::now();
    while (decoded < 150 && dec.next(frame))
        ++decoded;
    r.sequentialDecodeFps = decoded / secondsSince(t0);
    return r;
}

} // namespace ml::io
