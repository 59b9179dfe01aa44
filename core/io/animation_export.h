// Exporting a sequence of frames (a denoising trajectory) as an animated GIF or a video.
// Part of the media library (FFmpeg): only built where MODALLENS_HAVE_MEDIA is defined.
#pragma once

#include "io/media.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ml::io {

// Frames (same size, RGB) to an animation, the format chosen by the extension:
// - .gif: FFmpeg's GIF encoder with one palette chosen from the frames (median cut over a
//   sample of the pixels; exact when the frames hold at most 256 colours, e.g. grey images),
//   looping forever, each frame shown for 1/fps s (GIF stores hundredths of a second).
// - .mp4, .mkv, .mov, .webm: H.264 through VideoEncoder (core/io/media_encode.h).
// Frames are scaled up (nearest neighbour, by one integer factor) so the shorter side is at
// least minSide, then padded with black to even sizes for H.264.
// progress(done, total) is called after each frame; returning false cancels: the partial
// file is removed and ml::Cancelled is thrown.
// Throws ml::Error naming the file for an unwritable path, an unknown extension, frames of
// different sizes, no frames, or fps <= 0.
void writeAnimation(const std::filesystem::path &path, const std::vector<RgbImage> &frames, double fps,
    int minSide = 256, const std::function<bool(int done, int total)> &progress = {});

// The extensions writeAnimation accepts, lower case with the dot (".gif" first).
const std::vector<std::string> &animationExtensions();

// Throws the ml::Error writeAnimation would for an unknown extension, so a long job can check
// its output name before it starts.
void checkAnimationPath(const std::filesystem::path &path);

} // namespace ml::io
