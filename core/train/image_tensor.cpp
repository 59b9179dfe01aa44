// RgbImage (HWC uint8) -> CHW float tensors in [0, 1].
#include "train/image_tensor.h"

#include "common/error.h"

#include <cstring>

namespace ml::train {

torch::Tensor imagesToTensor(const std::vector<ml::io::RgbImage> &images)
{
    if (images.empty())
        throw Error("imagesToTensor: no images");
    const int h = images.front().height, w = images.front().width;
    auto bytes = torch::empty({static_cast<std::int64_t>(images.size()), h, w, 3}, torch::kUInt8); // [B, H, W, 3]
    for (std::size_t i = 0; i < images.size(); ++i) {
        const ml::io::RgbImage &image = images[i];
        if (image.width != w || image.height != h || image.pixels.size() != static_cast<std::size_t>(w) * h * 3)
            throw Error("imagesToTensor: image " + std::to_string(i) + " is " + std::to_string(image.width) + "x"
                + std::to_string(image.height) + ", expected " + std::to_string(w) + "x" + std::to_string(h));
        std::memcpy(
            bytes[static_cast<std::int64_t>(i)].data_ptr<std::uint8_t>(), image.pixels.data(), image.pixels.size());
    }
    return bytes.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f).contiguous(); // [B, 3, H, W]
}

torch::Tensor imageToTensor(const ml::io::RgbImage &image)
{
    return imagesToTensor({image}).squeeze(0);
}

} // namespace ml::train
