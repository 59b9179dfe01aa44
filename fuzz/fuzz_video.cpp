// Fuzzes video probing and seeking (io/media_video.cpp through FFmpeg): open a file of any bytes,
// read its stream info, seek to the middle and decode one frame, then step to the next frame.
// A bad video throws ml::Error; a frame that comes out has the pixels its size says.
#include "common/error.h"
#include "fuzz_util.h"
#include "io/media.h"

#include <cstdint>

namespace {

void checkFrame(const ml::io::VideoFrame &frame)
{
    const ml::io::RgbImage &image = frame.image;
    if (image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::filesystem::path path = ml::fuzz::scratchPath("clip.mp4");
    ml::fuzz::writeFile(path, data, size);
    try {
        ml::io::VideoDecoder video(path);
        const ml::io::MediaInfo &info = video.info();
        checkFrame(video.frameAt(info.durationS / 2, 32));
        ml::io::VideoFrame next;
        if (video.next(next, 32))
            checkFrame(next);
    } catch (const ml::Error &) { }
    return 0;
}
