// The QImage keeps the moved RgbImage alive through its cleanup function.
#include "common/qimage_convert.h"

QImage toQImage(ml::io::RgbImage image)
{
    if (image.empty())
        return {};
    auto *owned = new ml::io::RgbImage(std::move(image));
    return QImage(
        owned->pixels.data(), owned->width, owned->height, owned->width * 3, QImage::Format_RGB888,
        [](void *p) { delete static_cast<ml::io::RgbImage *>(p); }, owned);
}
