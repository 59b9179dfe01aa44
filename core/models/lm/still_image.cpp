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

torch::Tensor borderColour(const torch::Tensor &pixels)
{
    const auto S = pixels.size(2), W = pixels.size(3);
    const auto border
        = torch::cat({pixels.select(2, 0), pixels.select(2, S - 1), pixels.select(3, 0), pixels.select(3, W - 1)},
            -1)[0]; // [3, 2S + 2W]
    return std::get<0>(border.to(torch::kFloat).median(1)).to(pixels.scalar_type());
}

void borderColour(const Still &still, std::uint8_t out[3])
{
    if (still.width <= 0 || still.height <= 0)
        throw Error("the picture is empty");
    for (int c = 0; c < 3; ++c) {
        std::vector<std::uint8_t> v;
        const auto at
            = [&](int x, int y) { v.push_back(still.rgb[(static_cast<std::size_t>(y) * still.width + x) * 3 + c]); };
        for (int x = 0; x < still.width; ++x) {
            at(x, 0);
            at(x, still.height - 1);
        }
        for (int y = 0; y < still.height; ++y) {
            at(0, y);
            at(still.width - 1, y);
        }
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        out[c] = v[v.size() / 2];
    }
}

void hidePatches(torch::Tensor &pixels, const std::vector<int> &patches, int patchSize, const torch::Tensor &fill)
{
    if (patches.empty())
        return;
    const auto gridH = pixels.size(2) / patchSize, gridW = pixels.size(3) / patchSize;
    for (int p : patches) {
        if (p < 0 || p >= gridH * gridW)
            throw Error("patch " + std::to_string(p) + " is not on the model's " + std::to_string(gridH) + " x "
                + std::to_string(gridW) + " grid");
        auto cell = pixels.narrow(2, (p / gridW) * patchSize, patchSize).narrow(3, (p % gridW) * patchSize, patchSize);
        if (fill.defined())
            cell.copy_(fill.view({1, 3, 1, 1}).expand_as(cell));
        else
            cell.zero_();
    }
}

} // namespace ml::lm
