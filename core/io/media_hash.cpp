// Perceptual hashes for the near-duplicate check: OpenCV contrib's img_hash PHash over a grey copy
// of the picture, packed into 64 bits so that a distance is one popcount.
#include "io/media.h"

#include "common/error.h"

#include <opencv2/core.hpp>
#include <opencv2/img_hash.hpp>
#include <opencv2/imgproc.hpp>

namespace ml::io {

std::uint64_t perceptualHash(const RgbImage &image)
{
    if (image.empty())
        throw Error("perceptual hash of an empty picture");
    const cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<std::uint8_t *>(image.pixels.data()),
        static_cast<std::size_t>(image.width) * 3);
    cv::Mat grey, small, bits;
    cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
    // Area-averaged to PHash's 32 x 32 first: its own bilinear resize would sample a big picture's
    // pixels, not average them, and a resized copy would then hash differently.
    cv::resize(grey, small, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
    cv::img_hash::pHash(small, bits); // [1, 8] bytes
    std::uint64_t h = 0;
    for (int i = 0; i < bits.cols; ++i)
        h = (h << 8) | bits.at<std::uint8_t>(0, i);
    return h;
}

} // namespace ml::io
