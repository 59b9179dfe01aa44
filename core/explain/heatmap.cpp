// Colour maps and the heatmap overlay. Viridis and inferno are matplotlib's tables sampled at
// eleven evenly spaced points (0, 0.1, ..., 1) and interpolated linearly between them.
#include "explain/heatmap.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>

namespace ml::explain {

namespace {

using Stop = std::array<int, 3>;

// t = 0, 0.1, ..., 1
constexpr Stop kViridis[] = {{0x44, 0x01, 0x54}, {0x48, 0x24, 0x75}, {0x41, 0x44, 0x87}, {0x35, 0x5f, 0x8d},
    {0x2a, 0x78, 0x8e}, {0x21, 0x91, 0x8c}, {0x22, 0xa8, 0x84}, {0x44, 0xbf, 0x70}, {0x7a, 0xd1, 0x51},
    {0xbd, 0xdf, 0x26}, {0xfd, 0xe7, 0x25}};
constexpr Stop kInferno[] = {{0x00, 0x00, 0x04}, {0x16, 0x0b, 0x39}, {0x42, 0x0a, 0x68}, {0x6a, 0x17, 0x6e},
    {0x93, 0x26, 0x67}, {0xbc, 0x37, 0x54}, {0xdd, 0x51, 0x3a}, {0xf3, 0x78, 0x19}, {0xfc, 0xa5, 0x0a},
    {0xf6, 0xd7, 0x46}, {0xfc, 0xff, 0xa4}};

std::uint8_t byte(double v)
{
    return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
}

template<std::size_t N> std::array<std::uint8_t, 3> fromTable(const Stop (&table)[N], double t)
{
    const double x = t * static_cast<double>(N - 1);
    const auto i = std::min<std::size_t>(static_cast<std::size_t>(x), N - 2);
    const double f = x - static_cast<double>(i);
    std::array<std::uint8_t, 3> out {};
    for (std::size_t c = 0; c < 3; ++c)
        out[c] = byte((table[i][c] * (1.0 - f) + table[i + 1][c] * f) / 255.0);
    return out;
}

} // namespace

ColourMap colourMapFromName(const std::string &name)
{
    if (name == "jet")
        return ColourMap::Jet;
    if (name == "viridis")
        return ColourMap::Viridis;
    if (name == "inferno")
        return ColourMap::Inferno;
    if (name == "gray" || name == "grey")
        return ColourMap::Gray;
    throw Error("unknown colour map '" + name + "' (expected jet, viridis, inferno or gray)");
}

const char *colourMapName(ColourMap map)
{
    switch (map) {
    case ColourMap::Jet:
        return "jet";
    case ColourMap::Viridis:
        return "viridis";
    case ColourMap::Inferno:
        return "inferno";
    case ColourMap::Gray:
        return "gray";
    }
    return "jet";
}

std::array<std::uint8_t, 3> colourAt(ColourMap map, double t)
{
    t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
    switch (map) {
    case ColourMap::Viridis:
        return fromTable(kViridis, t);
    case ColourMap::Inferno:
        return fromTable(kInferno, t);
    case ColourMap::Gray:
        return {byte(t), byte(t), byte(t)};
    case ColourMap::Jet:
        break;
    }
    // MATLAB's jet: piecewise-linear ramps of blue -> cyan -> yellow -> red.
    const double r = std::clamp(1.5 - std::abs(4.0 * t - 3.0), 0.0, 1.0);
    const double g = std::clamp(1.5 - std::abs(4.0 * t - 2.0), 0.0, 1.0);
    const double b = std::clamp(1.5 - std::abs(4.0 * t - 1.0), 0.0, 1.0);
    return {byte(r), byte(g), byte(b)};
}

std::vector<float> scaleForDisplay(const std::vector<float> &values)
{
    if (values.empty())
        return {};
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const float range = *hi - *lo;
    std::vector<float> out(values.size(), 0.0f);
    if (range > 0.0f && std::isfinite(range))
        for (std::size_t i = 0; i < values.size(); ++i)
            out[i] = (values[i] - *lo) / range;
    return out;
}

std::vector<std::uint8_t> overlayHeatmap(const std::uint8_t *rgb, int width, int height, const std::vector<float> &map,
    int gridH, int gridW, double opacity, ColourMap colours)
{
    if (!rgb || width <= 0 || height <= 0)
        throw Error("heatmap overlay: empty image");
    if (gridH <= 0 || gridW <= 0 || map.size() != static_cast<std::size_t>(gridH) * static_cast<std::size_t>(gridW))
        throw Error("heatmap overlay: a " + std::to_string(gridH) + "x" + std::to_string(gridW) + " grid needs "
            + std::to_string(gridH * gridW) + " values, got " + std::to_string(map.size()));
    opacity = std::clamp(opacity, 0.0, 1.0);
    const auto scaled = scaleForDisplay(map);
    auto at = [&](int gy, int gx) {
        return static_cast<double>(
            scaled[static_cast<std::size_t>(gy) * static_cast<std::size_t>(gridW) + static_cast<std::size_t>(gx)]);
    };
    std::vector<std::uint8_t> out(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
    for (int y = 0; y < height; ++y) {
        // Patch centres sit at (i + 0.5) * size / grid; clamp at the borders.
        const double fy = std::clamp((y + 0.5) * gridH / height - 0.5, 0.0, static_cast<double>(gridH - 1));
        const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, gridH - 1);
        const double wy = fy - y0;
        for (int x = 0; x < width; ++x) {
            const double fx = std::clamp((x + 0.5) * gridW / width - 0.5, 0.0, static_cast<double>(gridW - 1));
            const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, gridW - 1);
            const double wx = fx - x0;
            const double v
                = (at(y0, x0) * (1 - wx) + at(y0, x1) * wx) * (1 - wy) + (at(y1, x0) * (1 - wx) + at(y1, x1) * wx) * wy;
            const auto c = colourAt(colours, v);
            const std::size_t i
                = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 3;
            for (std::size_t k = 0; k < 3; ++k)
                out[i + k] = static_cast<std::uint8_t>(
                    std::lround((1.0 - opacity) * rgb[i + k] + opacity * static_cast<double>(c[k])));
        }
    }
    return out;
}

} // namespace ml::explain
