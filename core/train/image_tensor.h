// RgbImage batches as LibTorch tensors for the trainers; the only file of the data code that
// sees LibTorch.
#pragma once

#include "io/media.h"

#include <torch/types.h>

#include <vector>

namespace ml::train {

// [B, 3, H, W] float32 in [0, 1]; every image must have the size of the first. Throws ml::Error.
torch::Tensor imagesToTensor(const std::vector<ml::io::RgbImage> &images);
// One image: [3, H, W] float32 in [0, 1].
torch::Tensor imageToTensor(const ml::io::RgbImage &image);

} // namespace ml::train
