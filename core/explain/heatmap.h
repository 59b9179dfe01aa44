// Heatmaps for display: a map over the patch grid, scaled to [0, 1], upsampled to the image and
// blended over it in a colour map. Plain bytes in and out (no Qt, no OpenCV, no LibTorch), so
// the CLI, the panel and the tests draw the same thing.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ml::explain {

enum class ColourMap { Jet, Viridis, Inferno, Gray };
ColourMap colourMapFromName(const std::string &name); // "jet" | "viridis" | "inferno" | "gray"; throws ml::Error
const char *colourMapName(ColourMap map);

// t in [0, 1] (clamped) -> RGB.
std::array<std::uint8_t, 3> colourAt(ColourMap map, double t);

// Min-max scaling for display only (a constant map becomes all zeros).
std::vector<float> scaleForDisplay(const std::vector<float> &values);

// rgb: width x height 8-bit RGB, rows packed. map: gridH x gridW row-major (any range; scaled for
// display), upsampled bilinearly (patch centres) to the image. Returns the blended image,
// (1 - opacity) * image + opacity * colour, same size and layout.
std::vector<std::uint8_t> overlayHeatmap(const std::uint8_t *rgb, int width, int height, const std::vector<float> &map,
    int gridH, int gridW, double opacity = 0.5, ColourMap colours = ColourMap::Jet);

} // namespace ml::explain
