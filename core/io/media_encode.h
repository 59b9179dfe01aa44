// Writing videos with FFmpeg: RGB frames in, an MP4/WebM/MKV/AVI/TS file out. Used to export
// denoising trajectories and by the tests to make clips with known content.
#pragma once

#include "io/media.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace ml::io {

class VideoEncoder {
public:
    VideoEncoder();
    ~VideoEncoder(); // finishes an open file; errors are lost there, so call finish()
    VideoEncoder(const VideoEncoder &) = delete;
    VideoEncoder &operator=(const VideoEncoder &) = delete;

    // The container comes from the extension (.mp4, .mov, .mkv, .webm, .avi, .ts). codec:
    // "h264" (libx264), "vp9" (libvpx-vp9), "mpeg4", or any FFmpeg encoder name. Width and
    // height must be even. rotation (0, 90, 180, 270, clockwise) is stored as display
    // metadata where the container has it (MP4, MOV). One keyframe a second. Throws ml::Error.
    void open(const std::filesystem::path &path, const std::string &codec, int width, int height, double fps,
        int rotation = 0);
    void write(const RgbImage &frame); // width x height as opened; frame i is shown at i / fps
    void finish();                     // flushes the encoder and writes the trailer

    bool isOpen() const;
    std::int64_t framesWritten() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace ml::io
