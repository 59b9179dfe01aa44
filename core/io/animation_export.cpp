// writeAnimation: one median-cut palette + FFmpeg's GIF encoder and muxer, or H.264 through
// VideoEncoder. Ref: FFmpeg 5.1 doc/examples/mux.c (stream setup, drain on finish); Heckbert,
// "Color image quantization for frame buffer display" (1982) for the median cut.
#include "io/animation_export.h"

#include "common/error.h"
#include "io/media_detail.h"
#include "io/media_encode.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <system_error>
#include <unordered_map>

#include <unistd.h>

namespace ml::io {
namespace {

constexpr std::size_t kMaxPaletteSamples = 1 << 20; // pixels looked at when choosing the palette

std::string lowerExtension(const std::filesystem::path &path)
{
    std::string ext = path.extension().string();
    std::transform(
        ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

std::string averror(int code)
{
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

std::uint32_t packRgb(const std::uint8_t *p)
{
    return (std::uint32_t(p[0]) << 16) | (std::uint32_t(p[1]) << 8) | p[2];
}

// ---- palette --------------------------------------------------------------------------------

struct ColourCount {
    std::uint32_t rgb;
    std::uint64_t count;
};

int channel(std::uint32_t rgb, int c)
{
    return static_cast<int>((rgb >> (16 - 8 * c)) & 0xFF);
}

// Median cut over a colour histogram: split the box with the most pixels times the longest
// side at the weighted median of that side, until there are `size` boxes; each box's colour is
// its pixel-weighted mean.
std::vector<std::uint32_t> medianCut(std::vector<ColourCount> colours, std::size_t size)
{
    struct Box {
        std::size_t begin, end; // into colours
        std::uint64_t pixels;
        int longest; // channel with the largest range
        int range;
    };
    auto makeBox = [&](std::size_t begin, std::size_t end) {
        Box box {begin, end, 0, 0, 0};
        std::array<int, 3> lo {255, 255, 255}, hi {0, 0, 0};
        for (std::size_t i = begin; i < end; ++i) {
            box.pixels += colours[i].count;
            for (int c = 0; c < 3; ++c) {
                lo[c] = std::min(lo[c], channel(colours[i].rgb, c));
                hi[c] = std::max(hi[c], channel(colours[i].rgb, c));
            }
        }
        for (int c = 0; c < 3; ++c)
            if (hi[c] - lo[c] > box.range)
                box.range = hi[c] - lo[c], box.longest = c;
        return box;
    };
    std::vector<Box> boxes {makeBox(0, colours.size())};
    while (boxes.size() < size) {
        std::size_t pick = boxes.size();
        double best = 0.0;
        for (std::size_t i = 0; i < boxes.size(); ++i) {
            const double score = double(boxes[i].pixels) * boxes[i].range;
            if (boxes[i].end - boxes[i].begin > 1 && score > best)
                best = score, pick = i;
        }
        if (pick == boxes.size())
            break;
        const Box box = boxes[pick];
        const int c = box.longest;
        std::sort(colours.begin() + std::ptrdiff_t(box.begin), colours.begin() + std::ptrdiff_t(box.end),
            [c](const ColourCount &a, const ColourCount &b) { return channel(a.rgb, c) < channel(b.rgb, c); });
        std::uint64_t seen = 0;
        std::size_t split = box.begin + 1;
        for (std::size_t i = box.begin; i + 1 < box.end; ++i) {
            seen += colours[i].count;
            split = i + 1;
            if (2 * seen >= box.pixels)
                break;
        }
        boxes[pick] = makeBox(box.begin, split);
        boxes.push_back(makeBox(split, box.end));
    }
    std::vector<std::uint32_t> palette;
    for (const Box &box : boxes) {
        std::array<double, 3> sum {};
        for (std::size_t i = box.begin; i < box.end; ++i)
            for (int c = 0; c < 3; ++c)
                sum[c] += double(channel(colours[i].rgb, c)) * double(colours[i].count);
        std::uint32_t rgb = 0;
        for (int c = 0; c < 3; ++c)
            rgb = (rgb << 8) | std::uint32_t(std::lround(sum[c] / double(std::max<std::uint64_t>(1, box.pixels))));
        palette.push_back(rgb);
    }
    return palette;
}

// Maps colours to palette indices: exact hits first, else the nearest entry (cached).
class Quantizer {
public:
    explicit Quantizer(const std::vector<RgbImage> &frames)
    {
        std::size_t total = 0;
        for (const RgbImage &f : frames)
            total += std::size_t(f.width) * f.height;
        const std::size_t stride = std::max<std::size_t>(1, total / kMaxPaletteSamples);
        std::unordered_map<std::uint32_t, std::uint64_t> histogram;
        std::size_t index = 0;
        for (const RgbImage &f : frames) {
            const std::size_t n = std::size_t(f.width) * f.height;
            for (std::size_t i = 0; i < n; ++i, ++index)
                if (index % stride == 0)
                    ++histogram[packRgb(f.pixels.data() + 3 * i)];
        }
        std::vector<ColourCount> colours;
        colours.reserve(histogram.size());
        for (const auto &[rgb, count] : histogram)
            colours.push_back({rgb, count});
        std::sort(
            colours.begin(), colours.end(), [](const ColourCount &a, const ColourCount &b) { return a.rgb < b.rgb; });
        if (colours.size() <= 256) {
            for (const ColourCount &c : colours)
                m_palette.push_back(c.rgb);
        } else {
            m_palette = medianCut(std::move(colours), 256);
        }
        for (std::size_t i = 0; i < m_palette.size(); ++i)
            m_cache.emplace(m_palette[i], std::uint8_t(i));
    }

    const std::vector<std::uint32_t> &palette() const { return m_palette; }

    std::uint8_t index(std::uint32_t rgb)
    {
        const auto it = m_cache.find(rgb);
        if (it != m_cache.end())
            return it->second;
        int best = 0;
        int bestDistance = std::numeric_limits<int>::max();
        for (std::size_t i = 0; i < m_palette.size(); ++i) {
            int distance = 0;
            for (int c = 0; c < 3; ++c) {
                const int d = channel(rgb, c) - channel(m_palette[i], c);
                distance += d * d;
            }
            if (distance < bestDistance)
                bestDistance = distance, best = int(i);
        }
        m_cache.emplace(rgb, std::uint8_t(best));
        return std::uint8_t(best);
    }

private:
    std::vector<std::uint32_t> m_palette;
    std::unordered_map<std::uint32_t, std::uint8_t> m_cache;
};

// ---- GIF ------------------------------------------------------------------------------------

struct GifWriter {
    std::string name;
    AVFormatContext *oc = nullptr;
    AVCodecContext *enc = nullptr;
    AVStream *stream = nullptr;
    AVFrame *frame = nullptr;
    AVPacket *pkt = nullptr;
    bool headerWritten = false, trailerWritten = false;

    ~GifWriter()
    {
        // A cancelled or failed export: FFmpeg 5.1's GIF muxer holds the last packet until its
        // trailer (it has no deinit), so the trailer is written to the file that is removed anyway.
        if (headerWritten && !trailerWritten)
            av_write_trailer(oc);
        av_frame_free(&frame);
        av_packet_free(&pkt);
        avcodec_free_context(&enc);
        if (oc) {
            if (!(oc->oformat->flags & AVFMT_NOFILE))
                avio_closep(&oc->pb);
            avformat_free_context(oc);
        }
    }

    void check(int r, const char *what) const
    {
        if (r < 0)
            detail::fail(name, std::string("cannot write GIF: ") + what + " (" + averror(r) + ")");
    }

    void open(const std::filesystem::path &path, int width, int height, const std::vector<std::uint32_t> &palette)
    {
        detail::quietFfmpegLogs();
        name = detail::nameOf(path);
        avformat_alloc_output_context2(&oc, nullptr, "gif", path.c_str());
        const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_GIF);
        if (!oc || !codec)
            detail::fail(name, "cannot write GIF: this FFmpeg has no GIF muxer or encoder");
        stream = avformat_new_stream(oc, nullptr);
        enc = avcodec_alloc_context3(codec);
        frame = av_frame_alloc();
        pkt = av_packet_alloc();
        if (!stream || !enc || !frame || !pkt)
            detail::fail(name, "cannot write GIF: out of memory");
        enc->width = width;
        enc->height = height;
        enc->pix_fmt = AV_PIX_FMT_PAL8;
        enc->time_base = AVRational {1, 100}; // GIF delays are in hundredths of a second
        check(avcodec_open2(enc, codec, nullptr), "cannot open the encoder");
        check(avcodec_parameters_from_context(stream->codecpar, enc), "bad encoder parameters");
        stream->time_base = enc->time_base;
        check(avio_open(&oc->pb, path.c_str(), AVIO_FLAG_WRITE), "cannot create the file");
        AVDictionary *options = nullptr;
        av_dict_set(&options, "loop", "0", 0); // forever
        const int r = avformat_write_header(oc, &options);
        av_dict_free(&options);
        check(r, "cannot write the header");
        headerWritten = true;

        frame->format = AV_PIX_FMT_PAL8;
        frame->width = width;
        frame->height = height;
        check(av_frame_get_buffer(frame, 0), "out of memory");
        check(av_frame_make_writable(frame), "out of memory");
        auto *entries = reinterpret_cast<std::uint32_t *>(frame->data[1]);
        for (int i = 0; i < 256; ++i) // opaque: the encoder's transparency tricks stay off
            entries[i] = 0xFF000000u | (std::size_t(i) < palette.size() ? palette[std::size_t(i)] : 0u);
    }

    // indices: width * height palette indices; pts in hundredths of a second.
    void write(const std::vector<std::uint8_t> &indices, std::int64_t pts, std::int64_t duration)
    {
        check(av_frame_make_writable(frame), "out of memory");
        for (int y = 0; y < enc->height; ++y)
            std::memcpy(frame->data[0] + std::ptrdiff_t(y) * frame->linesize[0],
                indices.data() + std::size_t(y) * std::size_t(enc->width), std::size_t(enc->width));
        frame->pts = pts;
        check(avcodec_send_frame(enc, frame), "encoding failed");
        drain(duration);
    }

    void drain(std::int64_t duration)
    {
        for (;;) {
            const int r = avcodec_receive_packet(enc, pkt);
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
                return;
            check(r, "encoding failed");
            if (pkt->duration <= 0)
                pkt->duration = duration;
            av_packet_rescale_ts(pkt, enc->time_base, stream->time_base);
            pkt->stream_index = stream->index;
            check(av_interleaved_write_frame(oc, pkt), "writing a packet failed");
        }
    }

    void finish(std::int64_t lastDuration)
    {
        check(avcodec_send_frame(enc, nullptr), "flushing the encoder failed");
        drain(lastDuration);
        trailerWritten = true; // tried: not again from the destructor
        check(av_write_trailer(oc), "cannot write the trailer");
        check(avio_closep(&oc->pb), "cannot close the file");
    }
};

// Nearest-neighbour upscale by an integer factor into a canvas of outW x outH (black beyond).
template<typename T>
void upscaleInto(const T *src, int width, int height, int channels, int factor, T *dst, int outW, int outH)
{
    std::fill(dst, dst + std::size_t(outW) * outH * channels, T(0));
    for (int y = 0; y < height * factor && y < outH; ++y) {
        const T *srow = src + std::size_t(y / factor) * width * channels;
        T *drow = dst + std::size_t(y) * outW * channels;
        for (int x = 0; x < width * factor && x < outW; ++x)
            std::memcpy(
                drow + std::size_t(x) * channels, srow + std::size_t(x / factor) * channels, sizeof(T) * channels);
    }
}

void removeQuietly(const std::filesystem::path &path)
{
    std::error_code ignored;
    if (std::filesystem::is_regular_file(path, ignored))
        std::filesystem::remove(path, ignored);
}

void writeGif(const std::filesystem::path &path, const std::vector<RgbImage> &frames, double fps, int factor,
    const std::function<bool(int, int)> &progress)
{
    const int width = frames.front().width;
    const int height = frames.front().height;
    Quantizer quantizer(frames);
    GifWriter gif;
    gif.open(path, width * factor, height * factor, quantizer.palette());
    const int total = int(frames.size());
    std::vector<std::uint8_t> small(std::size_t(width) * height), big(std::size_t(width) * factor * height * factor);
    auto ptsOf = [fps](std::int64_t i) { return std::int64_t(std::llround(double(i) * 100.0 / fps)); };
    std::int64_t pts = 0;
    for (int i = 0; i < total; ++i) {
        const RgbImage &f = frames[std::size_t(i)];
        for (std::size_t p = 0; p < small.size(); ++p)
            small[p] = quantizer.index(packRgb(f.pixels.data() + 3 * p));
        upscaleInto(small.data(), width, height, 1, factor, big.data(), width * factor, height * factor);
        const std::int64_t next = std::max(pts + 1, ptsOf(i + 1));
        gif.write(big, pts, next - pts);
        pts = next;
        if (progress && !progress(i + 1, total))
            throw Cancelled();
    }
    gif.finish(std::max<std::int64_t>(1, ptsOf(1)));
}

void writeVideo(const std::filesystem::path &path, const std::vector<RgbImage> &frames, double fps, int factor,
    const std::function<bool(int, int)> &progress)
{
    const int width = frames.front().width * factor;
    const int height = frames.front().height * factor;
    VideoEncoder encoder;
    encoder.open(path, "h264", width + width % 2, height + height % 2, fps);
    RgbImage big;
    big.width = width + width % 2;
    big.height = height + height % 2;
    big.pixels.resize(std::size_t(big.width) * big.height * 3);
    const int total = int(frames.size());
    for (int i = 0; i < total; ++i) {
        const RgbImage &f = frames[std::size_t(i)];
        upscaleInto(f.pixels.data(), f.width, f.height, 3, factor, big.pixels.data(), big.width, big.height);
        encoder.write(big);
        if (progress && !progress(i + 1, total))
            throw Cancelled();
    }
    encoder.finish();
}

} // namespace

const std::vector<std::string> &animationExtensions()
{
    static const std::vector<std::string> extensions {".gif", ".mp4", ".mkv", ".mov", ".webm"};
    return extensions;
}

void checkAnimationPath(const std::filesystem::path &path)
{
    const std::string ext = lowerExtension(path);
    const auto &known = animationExtensions();
    if (std::find(known.begin(), known.end(), ext) == known.end())
        detail::fail(path,
            "cannot write an animation as '" + (ext.empty() ? std::string("(no extension)") : ext)
                + "': use .gif, .mp4, .mkv, .mov or .webm");
}

void writeAnimation(const std::filesystem::path &path, const std::vector<RgbImage> &frames, double fps, int minSide,
    const std::function<bool(int done, int total)> &progress)
{
    const std::string name = detail::nameOf(path);
    const std::string ext = lowerExtension(path);
    checkAnimationPath(path);
    if (frames.empty())
        detail::fail(name, "cannot write an animation: no frames");
    if (!(fps > 0.0 && fps <= 1000.0))
        detail::fail(name, "cannot write an animation: frame rate " + std::to_string(fps) + " out of range");
    const int width = frames.front().width;
    const int height = frames.front().height;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const RgbImage &f = frames[i];
        if (f.empty() || f.width != width || f.height != height
            || f.pixels.size() != std::size_t(f.width) * std::size_t(f.height) * 3)
            detail::fail(name,
                "cannot write an animation: frame " + std::to_string(i) + " is " + std::to_string(f.width) + "x"
                    + std::to_string(f.height) + ", frame 0 is " + std::to_string(width) + "x"
                    + std::to_string(height));
    }
    const int shorter = std::min(width, height);
    const int factor = minSide > shorter ? (minSide + shorter - 1) / shorter : 1;
    if (std::int64_t(width) * factor > 16384 || std::int64_t(height) * factor > 16384)
        detail::fail(name, "cannot write an animation: frames scaled to " + std::to_string(minSide) + " are too large");

    // Written beside the target under a temporary name with the same extension (the muxer goes by
    // it), then renamed into place: a disk that fills, a cancel or a crash never leaves a half
    // file, nor destroys an earlier export of the same name.
    const std::filesystem::path temp = path.parent_path()
        / (path.stem().string() + ".partial-" + std::to_string(::getpid()) + path.extension().string());
    try {
        if (ext == ".gif")
            writeGif(temp, frames, fps, factor, progress);
        else
            writeVideo(temp, frames, fps, factor, progress);
        std::error_code ec;
        std::filesystem::rename(temp, path, ec);
        if (ec)
            detail::fail(name, "cannot move the finished animation into place (" + ec.message() + ")");
    } catch (const Error &e) {
        removeQuietly(temp); // cancelled or failed: no half-written file left behind
        // The encoder's messages name the file it wrote: the user's name is the one to see.
        std::string message = e.what();
        if (const auto at = message.find(temp.string()); at != std::string::npos)
            message.replace(at, temp.string().size(), name);
        throw Error(message);
    } catch (...) {
        removeQuietly(temp);
        throw;
    }
}

} // namespace ml::io
