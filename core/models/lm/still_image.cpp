// Reading the picture of a chat; hiding a region of it. See still_image.h.
#include "models/lm/still_image.h"

#include "common/error.h"

#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#endif

#include <algorithm>

namespace ml::lm {

Still readStill(const std::string &file, const std::optional<double> &timeS)
{
    if (file.empty())
        throw Error("no image given: chat and the explainers look at one picture");
#ifdef MODALLENS_HAVE_MEDIA
    io::RgbImage image;
    if (io::guessMediaKind(file) == io::MediaKind::Video) {
        io::VideoDecoder video(file);
        image = std::move(video.frameAt(timeS ? std::max(0.0, *timeS) : video.info().durationS / 2.0).image);
    } else {
        image = io::loadImage(file);
    }
    return {std::move(image.pixels), image.width, image.height};
#else
    (void)timeS;
    throw Error(file + ": this build has no image decoding (MODALLENS_MEDIA=OFF)");
#endif
}

void hideRegion(
    Still &still, const std::vector<std::uint8_t> &mask, int maskWidth, int maskHeight, const std::uint8_t fill[3])
{
    if (mask.empty())
        return;
    if (maskWidth <= 0 || maskHeight <= 0 || mask.size() != static_cast<std::size_t>(maskWidth) * maskHeight)
        throw Error("the region mask is " + std::to_string(mask.size()) + " bytes, not " + std::to_string(maskWidth)
            + " x " + std::to_string(maskHeight));
    for (int y = 0; y < still.height; ++y) {
        const int my
            = std::min(maskHeight - 1, static_cast<int>(static_cast<std::int64_t>(y) * maskHeight / still.height));
        for (int x = 0; x < still.width; ++x) {
            const int mx
                = std::min(maskWidth - 1, static_cast<int>(static_cast<std::int64_t>(x) * maskWidth / still.width));
            if (!mask[static_cast<std::size_t>(my) * maskWidth + mx])
                continue;
            auto *p = still.rgb.data() + (static_cast<std::size_t>(y) * still.width + x) * 3;
            std::copy(fill, fill + 3, p);
        }
    }
}

void hidePatches(torch::Tensor &pixels, const std::vector<int> &patches, int patchSize)
{
    if (patches.empty())
        return;
    const auto gridH = pixels.size(2) / patchSize, gridW = pixels.size(3) / patchSize;
    for (int p : patches) {
        if (p < 0 || p >= gridH * gridW)
            throw Error("patch " + std::to_string(p) + " is not on the model's " + std::to_string(gridH) + " x "
                + std::to_string(gridW) + " grid");
        pixels.narrow(2, (p / gridW) * patchSize, patchSize).narrow(3, (p % gridW) * patchSize, patchSize).zero_();
    }
}

} // namespace ml::lm
