// The deletion metric for one image and caption: how fast the image-text similarity falls as
// patches are replaced by a fill colour in the order each method ranks them (most important
// first), against a random order. The area under the curve is lower for a more faithful map.
#pragma once

#include "explain/clip_explainer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ml::explain {

struct DeletionAucs {
    double relevance = 0.0;                          // Chefer et al. for the caption
    double rollout = 0.0;                            // mean fusion, no discard
    double attention = 0.0;                          // last layer, CLS row, mean over heads
    double random = 0.0;                             // a random order drawn from randomSeed
    std::vector<double> relevanceCurve, randomCurve; // similarities, see deletionCurve
};

// pixels: [1, 3, S, S]; fill: pixel values [3] (normalisedColour of the background). step: patches
// deleted between two points of a curve. baselines: also rollout and raw attention (else 0).
DeletionAucs deletionAucs(const ClipExplainer &explainer, const torch::Tensor &pixels, const std::string &caption,
    const torch::Tensor &fill, std::uint64_t randomSeed, std::int64_t step = 1, bool baselines = true);

// The maps the metric ranks, over the patch grid ([P] float64).
torch::Tensor relevanceMap(const ClipExplainer &explainer, const torch::Tensor &pixels, const std::string &text);

} // namespace ml::explain
