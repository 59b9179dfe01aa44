// Fuzzes still-image decoding (io/media_image.cpp): our own header and EXIF parsing, the JPEG
// completeness check, then OpenCV's decoders (JPEG, PNG, WebP, BMP, TIFF) with orientation applied.
// A bad image throws ml::Error; a decoded one has the pixels its size says.
#include "common/error.h"
#include "io/media.h"
#include "io/media_detail.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    namespace detail = ml::io::detail;
    const detail::ImageHeader header = detail::parseImageHeader(data, size);
    if (header.format == detail::ImageFormat::Jpeg)
        (void)detail::jpegIsComplete(data, size);
    // A header may ask for up to kMaxImagePixels (250 MP, 750 MB per copy): decoding those is
    // allowed and slow, so only the refusal of bigger ones is fuzzed, not their decode.
    const std::int64_t pixels = std::int64_t {header.width} * header.height;
    if (pixels > 16'000'000 && pixels <= detail::kMaxImagePixels)
        return 0;
    try {
        // An odd size takes the thumbnail path (JPEG decodes at 1/2..1/8 scale).
        const ml::io::RgbImage image = detail::decodeImageScaled(data, size, "fuzz.img", (size & 1) ? 32 : 0);
        if (image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3)
            std::abort();
    } catch (const ml::Error &) { }
    return 0;
}
