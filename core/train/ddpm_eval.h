// The pieces of `eval ddpm` (core/engine/ddpm_eval_service.h) that tests and the panel may reuse:
// samples as 8-bit images, a grid of them, real Fashion-MNIST images in the DDPM's frame, and
// zero-shot scoring of a set of images against Fashion-MNIST's classes.
#pragma once

#include "engine/ddpm_eval_service.h"
#include "io/media.h"
#include "train/fashion_mnist.h"

#include <torch/types.h>

#include <cstddef>
#include <vector>

namespace ml::clip {
class ClipRuntime;
}

namespace ml::train {

// [C, H, W] in [-1, 1] -> 8-bit RGB: one channel as grey, two as (c0, c1, c0), more: the first 3.
io::RgbImage sampleToImage(const torch::Tensor &chw);

// Images of one size in rows of `columns` (0: the smallest square that holds them), `gap` white
// pixels between cells and around, each cell enlarged `zoom` times (nearest).
io::RgbImage imageGrid(const std::vector<io::RgbImage> &images, int columns = 0, int gap = 2, int zoom = 1);

// Test image i as the DDPM trainer feeds it: 28 x 28 centred on a black height x width canvas
// (height, width >= 28), as RGB.
io::RgbImage paddedFashionImage(const FashionMnist &data, std::size_t i, int height, int width);

// The centre side x side of the image (side >= the image's sides: the image unchanged).
io::RgbImage centreCrop(const io::RgbImage &image, int side);

// Every image of one size through the classifier's own preprocessing (resize, crop, normalise),
// then zero-shot against Fashion-MNIST's ten classes with the caption templates clip-mini was
// trained and evaluated with, ensembled (as `eval zero-shot --dataset fashion-mnist`).
// labels (optional): the true classes, for the accuracy. cancelled is polled between batches.
DdpmEvalScores classifyFashionImages(clip::ClipRuntime &classifier, const std::vector<io::RgbImage> &images,
    double threshold, const std::vector<int> *labels = nullptr, int batch = 64,
    const std::function<bool()> &cancelled = {});

} // namespace ml::train
