// Shapes World on disk: image folders with caption side-cars and a labels JSON, the zero-shot
// folder (one sub-folder per class) and clips as MP4 with their ground-truth time ranges.
#pragma once

#include "train/shapes_world.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>

namespace ml::train {

// {"caption", "mentions", "objects": [{shape, colour, size, box (the drawn extent, x0 y0 x1 y1),
//  center, position, rgb (as drawn), angle}],
//  "questions": [{type, question, answer}]}
// Writes (truncates) a text file; throws ml::Error naming the file when that fails.
void writeText(const std::filesystem::path &path, const std::string &text);

nlohmann::json toJson(const ShapesSample &sample);
// {"fps", "frames", "size", "tracks": [{label, shape, colour, size, first_frame, last_frame,
//  start_s, end_s}]}: a track is visible in frames first..last, i.e. from start_s until end_s.
nlohmann::json toJson(const ShapesVideo &video);

// Samples first .. first + count - 1 of `world` as dir/000123.png with the caption in
// dir/000123.txt, and dir/labels.json: [{"file", "index", ...toJson(sample)}]. Creates dir.
// Throws ml::Error naming the file that cannot be written (or when built without media I/O).
void writeShapesFolder(
    const ShapesWorld &world, const std::filesystem::path &dir, std::uint64_t first, std::size_t count);

// The zero-shot protocol as a labelled folder: dir/<colour>_<shape>/0000.png, perClass images
// for each of the 24 pairs (FolderDataset reads "red_circle" back as the class "red circle"),
// and dir/labels.json: {"labels": ["a red circle", ...], "held_out": [...], "folders": [...]}.
void writeZeroShotFolder(
    const std::filesystem::path &dir, std::uint64_t seed, int perClass, const Augmentations &augment = {});

// An H.264 MP4 of the clip, each frame enlarged `scale` times (nearest neighbour). 4:2:0 chroma
// stores colour at half resolution, which at 64 x 64 would bleed the 12-px shapes' colours
// into the background; the default scale 2 (128 x 128) keeps them. Frame i is shown at i / fps.
void writeVideoMp4(const ShapesVideo &video, const std::filesystem::path &file, int scale = 2);

// Clips first .. first + count - 1 as dir/clip_0000.mp4 + dir/clip_0000.json (toJson).
void writeVideoFolder(const ShapesWorld &world, const std::filesystem::path &dir, std::uint64_t first,
    std::size_t count, const VideoOptions &options = {}, int scale = 2);

// Nearest-neighbour enlargement by an integer factor.
ml::io::RgbImage upscaleNearest(const ml::io::RgbImage &image, int scale);
// A grid of equal-sized images, `columns` wide, 2-px gaps of (16, 16, 16): contact sheets.
ml::io::RgbImage contactSheet(const std::vector<ml::io::RgbImage> &images, int columns, int scale = 1);

} // namespace ml::train
