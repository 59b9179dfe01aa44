// The picture a chat or an explainer looks at: an image file, or a video's frame at a time (its
// middle when none is given), as 8-bit RGB; and the user's mask over it (the probe: "what if
// this region were not there?").
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml::lm {

struct Still {
    std::vector<std::uint8_t> rgb; // height x width x 3
    int width = 0, height = 0;
};

// Throws ml::Error naming the file (missing, unreadable, no media support in this build).
Still readStill(const std::string &file, const std::optional<double> &timeS);

// Pixels where mask (width x height, row-major, non-zero = hidden) is set take `fill` (the
// probes give the picture's background colour, borderColour()). A mask of another size is scaled to
// the picture (nearest). Throws ml::Error for an empty mask with a size.
void hideRegion(
    Still &still, const std::vector<std::uint8_t> &mask, int maskWidth, int maskHeight, const std::uint8_t fill[3]);

// The probe's "hide these patches": pixels [1, 3, S, S] (normalised) set to `fill` ([3]; undefined:
// zero, the mean colour) over each listed patch of the patchSize grid. Throws ml::Error for an
// index off it.
void hidePatches(torch::Tensor &pixels, const std::vector<int> &patches, int patchSize, const torch::Tensor &fill = {});

// The picture's background as its border shows it: the per-channel median of the outermost pixels.
// What the probes hide with: a hidden part should read as "nothing there", not as a grey square
// (on Shapes World's dark ground the preprocessing's mean colour is a new object of its own).
// For pixels [1, 3, S, S]: [3] in the same normalisation and dtype.
torch::Tensor borderColour(const torch::Tensor &pixels);
void borderColour(const Still &still, std::uint8_t out[3]);

} // namespace ml::lm
