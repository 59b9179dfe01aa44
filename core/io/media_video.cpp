// Videos through FFmpeg (libavformat demux, libavcodec threaded decode, libswscale to RGB24).
// Ref: FFmpeg 5.1 doc/examples/demux_decode.c; fftools/cmdutils.c get_rotation().
#include "io/media_detail.h"

#include "common/error.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>

namespace ml::io {
namespace {

struct FrameDeleter {
    void operator()(AVFrame *f) const { av_frame_free(&f); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

std::string averror(int code)
{
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

// Clockwise degrees (0, 90, 180, 270) that turn the coded picture into the displayed one.
int streamRotation(const AVStream *st)
{
    double theta = 0.0;
    const std::uint8_t *matrix = nullptr;
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(60, 15, 100)
    const AVPacketSideData *sd = av_packet_side_data_get(
        st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
    if (sd && sd->size >= 9 * sizeof(std::int32_t))
        matrix = sd->data;
#else
    std::size_t size = 0;
    matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (size < 9 * sizeof(std::int32_t))
        matrix = nullptr;
#endif
    if (matrix) {
        // The matrix rotates counterclockwise; players turn the picture the other way.
        theta = -av_display_rotation_get(reinterpret_cast<const std::int32_t *>(matrix));
    } else if (const AVDictionaryEntry *tag = av_dict_get(st->metadata, "rotate", nullptr, 0)) {
        theta = std::atof(tag->value);
    }
    if (!std::isfinite(theta))
        return 0;
    const long quarter = std::lround(theta / 90.0);
    return static_cast<int>(((quarter % 4) + 4) % 4) * 90;
}

// yuvj* formats are yuv* with full range; swscale wants the plain format plus a range flag.
AVPixelFormat plainPixelFormat(AVPixelFormat f, bool &fullRange)
{
    switch (f) {
    case AV_PIX_FMT_YUVJ420P:
        fullRange = true;
        return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
        fullRange = true;
        return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
        fullRange = true;
        return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
        fullRange = true;
        return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P:
        fullRange = true;
        return AV_PIX_FMT_YUV411P;
    default:
        return f;
    }
}

constexpr int kThumbSide = 32; // grey thumbnails for scene-change detection

double meanAbsDiff(const std::vector<float> &a, const std::vector<float> &b)
{
    double sum = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        sum += std::abs(a[i] - b[i]);
    return a.empty() ? 0.0 : sum / static_cast<double>(a.size());
}

} // namespace

struct VideoDecoder::Impl {
    std::filesystem::path path;
    std::string name;
    MediaInfo info;

    AVFormatContext *fmt = nullptr;
    AVCodecContext *dec = nullptr;
    AVPacket *pkt = nullptr;
    int streamIndex = -1;
    double tick = 0.0;         // seconds per time-base unit
    std::int64_t startPts = 0; // stream start, subtracted from every timestamp
    double frameDuration = 0.04;
    double eps = 1e-6; // "pts <= t" tolerance: see fillInfo()

    bool inputEof = false;   // demuxer exhausted, decoder is draining
    bool decoderEof = false; // decoder drained
    bool hasTimestamps = true;
    double lastTime = -1.0; // for streams without timestamps: extrapolated from here

    FramePtr current {av_frame_alloc()}; // the last frame returned (or the candidate for it)
    FramePtr pending {av_frame_alloc()}; // decoded, not yet returned: next() gives it
    double currentTime = 0.0;
    double pendingTime = 0.0;
    double firstTime = 0.0; // of the first frame in the file
    bool hasCurrent = false;
    bool hasPending = false;
    bool atStart = false; // no seek since the stream was opened or rewound

    SwsContext *sws = nullptr;
    SwsContext *greySws = nullptr; // thumbnails of frames without an 8-bit luma plane
    struct SwsKey {
        int w = 0, h = 0, format = -1, tw = 0, th = 0, colorspace = -1;
        bool fullRange = false;
        bool operator==(const SwsKey &) const = default;
    } swsKey;

    ~Impl() { close(); }

    void close()
    {
        sws_freeContext(sws);
        sws = nullptr;
        swsKey = {};
        sws_freeContext(greySws);
        greySws = nullptr;
        av_packet_free(&pkt);
        avcodec_free_context(&dec);
        avformat_close_input(&fmt);
    }

    [[noreturn]] void failOpen(const std::string &what, int code)
    {
        const std::vector<std::uint8_t> head = detail::readFile(path, 64);
        const std::string start = detail::describeStart(head.data(), head.size());
        if (start.rfind("file starts with text", 0) == 0)
            detail::fail(name, "not a decodable video (" + start + ")");
        detail::fail(name, "truncated or corrupt video (" + what + (code ? ": " + averror(code) : "") + ")");
    }

    void open()
    {
        detail::quietFfmpegLogs();
        int r = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr);
        if (r < 0)
            failOpen("cannot read the container", r);
        r = avformat_find_stream_info(fmt, nullptr);
        if (r < 0)
            failOpen("cannot read the stream headers", r);
        const AVCodec *codec = nullptr;
        streamIndex = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
        if (streamIndex == AVERROR_STREAM_NOT_FOUND) {
            for (unsigned i = 0; i < fmt->nb_streams; ++i)
                if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
                    detail::fail(name, "no video stream (audio only)");
            failOpen("no video stream", 0);
        }
        if (streamIndex < 0 || !codec) {
            const AVStream *st = streamIndex >= 0 ? fmt->streams[streamIndex] : nullptr;
            detail::fail(name,
                std::string("unsupported video codec '") + (st ? avcodec_get_name(st->codecpar->codec_id) : "?")
                    + "' (this FFmpeg has no decoder for it)");
        }
        const AVStream *st = fmt->streams[streamIndex];
        if (st->disposition & AV_DISPOSITION_ATTACHED_PIC)
            detail::fail(name, "no video stream (only a cover picture)");

        dec = avcodec_alloc_context3(codec);
        pkt = av_packet_alloc();
        if (!dec || !pkt)
            detail::fail(name, "out of memory opening the decoder");
        r = avcodec_parameters_to_context(dec, st->codecpar);
        if (r < 0)
            detail::fail(name, "bad codec parameters (" + averror(r) + ")");
        dec->pkt_timebase = st->time_base;
        dec->thread_count = 0; // one per core, FFmpeg's choice
        dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        r = avcodec_open2(dec, codec, nullptr);
        if (r < 0)
            detail::fail(name, std::string("cannot open the ") + codec->name + " decoder (" + averror(r) + ")");

        tick = av_q2d(st->time_base);
        startPts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
        inputEof = decoderEof = hasCurrent = hasPending = false;
    }

    void fillInfo()
    {
        const AVStream *st = fmt->streams[streamIndex];
        info.file = path.string();
        info.kind = MediaKind::Video;
        info.codec = avcodec_get_name(st->codecpar->codec_id);
        info.rotation = streamRotation(st);
        AVRational rate = st->avg_frame_rate;
        if (rate.num <= 0 || rate.den <= 0)
            rate = st->r_frame_rate;
        info.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
        if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
            info.durationS = static_cast<double>(st->duration) * tick;
        else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
            info.durationS = static_cast<double>(fmt->duration) / AV_TIME_BASE;
        if (info.fps <= 0.0 && st->nb_frames > 0 && info.durationS > 0.0)
            info.fps = static_cast<double>(st->nb_frames) / info.durationS;
        info.frameCount = st->nb_frames > 0 ? st->nb_frames : std::llround(info.durationS * info.fps);
        frameDuration = info.fps > 0.0 ? 1.0 / info.fps : 0.04;
        // Millisecond time bases round k / fps to the nearest tick; half a tick of slack keeps
        // t = k / fps on frame k. Coarser ones (AVI: 1 / fps) hold exact frame times.
        eps = std::clamp(tick <= 1e-3 ? 0.5 * tick : 0.0, 1e-6, 0.25 * frameDuration);

        const int w = st->codecpar->width > 0 ? st->codecpar->width : current->width;
        const int h = st->codecpar->height > 0 ? st->codecpar->height : current->height;
        const bool swapped = info.rotation == 90 || info.rotation == 270;
        info.width = swapped ? h : w;
        info.height = swapped ? w : h;
    }

    double timeOf(const AVFrame *f)
    {
        std::int64_t ts = f->best_effort_timestamp;
        if (ts == AV_NOPTS_VALUE)
            ts = f->pts;
        double t;
        if (ts != AV_NOPTS_VALUE) {
            t = static_cast<double>(ts - startPts) * tick;
        } else {
            hasTimestamps = false;
            t = lastTime < 0.0 ? 0.0 : lastTime + frameDuration;
        }
        lastTime = t;
        return t;
    }

    // The next frame out of the decoder into `out`; false once the stream is exhausted.
    // Damaged packets are skipped: a truncated file yields the frames that are there.
    bool decodeFrame(AVFrame *out, double &time)
    {
        int errors = 0;
        while (!decoderEof) {
            int r = avcodec_receive_frame(dec, out);
            if (r == 0) {
                time = timeOf(out);
                return true;
            }
            if (r == AVERROR_EOF) {
                decoderEof = true;
                break;
            }
            if (r != AVERROR(EAGAIN)) { // a broken frame: carry on with the next packet
                if (++errors > 1000) {
                    decoderEof = true;
                    break;
                }
                if (!inputEof)
                    continue;
            }
            if (inputEof) {
                if (r == AVERROR(EAGAIN)) { // drained without EOF: nothing more will come
                    decoderEof = true;
                    break;
                }
                continue;
            }
            r = av_read_frame(fmt, pkt);
            if (r < 0) { // end of file, or a read error in a truncated file: drain
                inputEof = true;
                avcodec_send_packet(dec, nullptr);
                continue;
            }
            if (pkt->stream_index == streamIndex) {
                r = avcodec_send_packet(dec, pkt);
                if (r < 0 && r != AVERROR(EAGAIN) && ++errors > 1000)
                    decoderEof = true;
            }
            av_packet_unref(pkt);
        }
        av_frame_unref(out);
        return false;
    }

    void resetDecoder()
    {
        avcodec_flush_buffers(dec);
        inputEof = decoderEof = false;
        hasCurrent = hasPending = false;
        av_frame_unref(current.get());
        av_frame_unref(pending.get());
    }

    // Back to the first frame, which becomes pending; false when nothing decodes.
    bool rewind()
    {
        int r = avformat_seek_file(fmt, streamIndex, INT64_MIN, startPts, startPts, 0);
        if (r < 0)
            r = av_seek_frame(fmt, streamIndex, startPts, AVSEEK_FLAG_BACKWARD);
        atStart = true;
        if (r >= 0) {
            resetDecoder();
            lastTime = -1.0;
            hasPending = decodeFrame(pending.get(), pendingTime);
            if (hasPending && pendingTime <= firstTime + eps)
                return true;
        }
        // Not seekable, or the seek missed the start (MPEG-TS seeks by bytes): open again.
        close();
        open();
        resetDecoder();
        lastTime = -1.0;
        hasPending = decodeFrame(pending.get(), pendingTime);
        return hasPending;
    }

    // To the keyframe at or before t (as far as the demuxer knows).
    void seekBefore(double t)
    {
        const auto ts = startPts + static_cast<std::int64_t>(std::floor(t / tick));
        if (av_seek_frame(fmt, streamIndex, ts, AVSEEK_FLAG_BACKWARD) < 0) {
            if (!rewind())
                detail::fail(name, "truncated or corrupt video (no decodable frames)");
        } else {
            resetDecoder();
            atStart = false;
        }
    }

    // Pending (or a newly decoded frame) becomes current.
    bool advance()
    {
        if (!hasPending) {
            if (!decodeFrame(pending.get(), pendingTime))
                return false;
        }
        std::swap(current, pending);
        av_frame_unref(pending.get());
        currentTime = pendingTime;
        hasCurrent = true;
        hasPending = false;
        return true;
    }

    // Decodes forward so that current is the last frame with time <= t (or stays the first);
    // onFrame() runs after each frame that becomes current.
    void advanceTo(double t, const std::function<void()> &onFrame = {})
    {
        for (;;) {
            if (!hasPending) {
                if (!decodeFrame(pending.get(), pendingTime))
                    return;
                hasPending = true;
            }
            if (pendingTime > t + eps)
                return;
            advance();
            if (onFrame)
                onFrame();
        }
    }

    // The picture's brightness on a kThumbSide x kThumbSide grid (0..1), rotation ignored. Formats
    // with an 8-bit luma (or grey) first plane are read in place, 4 x 4 samples a cell; others go
    // through swscale. Cheap next to decoding: scene detection looks at every frame.
    void greyThumb(const AVFrame *f, std::vector<float> &out)
    {
        out.assign(static_cast<std::size_t>(kThumbSide) * kThumbSide, 0.0f);
        const int w = f->width, h = f->height;
        if (w <= 0 || h <= 0)
            return;
        const AVPixelFormat format = static_cast<AVPixelFormat>(f->format);
        const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(format);
        const auto notLuma = AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL
            | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_FLOAT;
        if (desc && !(desc->flags & notLuma) && desc->comp[0].plane == 0 && desc->comp[0].step == 1
            && desc->comp[0].offset == 0 && desc->comp[0].shift == 0 && desc->comp[0].depth == 8) {
            const std::uint8_t *plane = f->data[0];
            const int stride = f->linesize[0];
            for (int cy = 0; cy < kThumbSide; ++cy) {
                const int y0 = cy * h / kThumbSide, y1 = std::max(y0 + 1, (cy + 1) * h / kThumbSide);
                for (int cx = 0; cx < kThumbSide; ++cx) {
                    const int x0 = cx * w / kThumbSide, x1 = std::max(x0 + 1, (cx + 1) * w / kThumbSide);
                    int sum = 0;
                    for (int j = 0; j < 4; ++j) {
                        const std::uint8_t *row
                            = plane + static_cast<std::ptrdiff_t>(y0 + (2 * j + 1) * (y1 - y0) / 8) * stride;
                        for (int i = 0; i < 4; ++i)
                            sum += row[x0 + (2 * i + 1) * (x1 - x0) / 8];
                    }
                    out[static_cast<std::size_t>(cy) * kThumbSide + cx] = static_cast<float>(sum) / (16.0f * 255.0f);
                }
            }
            return;
        }
        bool fullRange = false;
        const AVPixelFormat src = plainPixelFormat(format, fullRange);
        greySws = sws_getCachedContext(
            greySws, w, h, src, kThumbSide, kThumbSide, AV_PIX_FMT_GRAY8, SWS_AREA, nullptr, nullptr, nullptr);
        if (!greySws) {
            const char *fmtName = av_get_pix_fmt_name(src);
            detail::fail(name, std::string("cannot convert pixel format ") + (fmtName ? fmtName : "?") + " to grey");
        }
        std::uint8_t grey[kThumbSide * kThumbSide];
        std::uint8_t *dst[4] = {grey, nullptr, nullptr, nullptr};
        const int dstStride[4] = {kThumbSide, 0, 0, 0};
        sws_scale(greySws, f->data, f->linesize, 0, h, dst, dstStride);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = static_cast<float>(grey[i]) / 255.0f;
    }

    void frameAt(double t)
    {
        // Scrubbing forward a little: decoding on beats seeking back to a keyframe. Before
        // anything was returned, the first frame is pending and the stream is at its start.
        const bool nearAhead = hasCurrent ? currentTime <= t + eps && t - currentTime < 1.0
                                          : atStart && hasPending && t - pendingTime < 1.0;
        if (nearAhead) {
            if (!hasCurrent)
                advance();
            advanceTo(t);
            return;
        }
        double target = t;
        for (int attempt = 0;; ++attempt) {
            if (!hasTimestamps || target <= 0.0 || attempt >= 3) {
                if (!rewind())
                    detail::fail(name, "truncated or corrupt video (no decodable frames)");
                advance();
                advanceTo(t);
                return;
            }
            seekBefore(target);
            if (!advance()) { // past the end of a truncated file
                target = t - std::ldexp(1.0, attempt);
                continue;
            }
            // Demuxers that seek by dts or by bytes (MP4 with B-frames, MPEG-TS) can land past t.
            if (currentTime > t + eps) {
                target = std::min(target, currentTime) - std::ldexp(1.0, attempt);
                continue;
            }
            advanceTo(t);
            return;
        }
    }

    RgbImage toRgb(const AVFrame *f, int maxSide)
    {
        const int w = f->width;
        const int h = f->height;
        int tw = w;
        int th = h;
        if (maxSide > 0 && std::max(w, h) > maxSide) {
            const double s = static_cast<double>(maxSide) / std::max(w, h);
            tw = w >= h ? maxSide : std::max(1, static_cast<int>(std::lround(w * s)));
            th = h > w ? maxSide : std::max(1, static_cast<int>(std::lround(h * s)));
        }
        bool fullRange = f->color_range == AVCOL_RANGE_JPEG;
        const AVPixelFormat src = plainPixelFormat(static_cast<AVPixelFormat>(f->format), fullRange);
        // FFmpeg copies a stream's matrix_coefficients byte as it comes (64, say): outside AVColorSpace,
        // where loading the enum is undefined behaviour, so the int is read as an int.
        static_assert(sizeof f->colorspace == sizeof(int));
        int colorspace = 0;
        std::memcpy(&colorspace, &f->colorspace, sizeof colorspace);
        if (colorspace == AVCOL_SPC_UNSPECIFIED || colorspace == AVCOL_SPC_RESERVED || colorspace >= AVCOL_SPC_NB)
            colorspace = h >= 720 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M; // the usual guess
        const SwsKey key {w, h, src, tw, th, colorspace, fullRange};
        if (!sws || !(key == swsKey)) {
            sws_freeContext(sws);
            const int flags = (tw < w ? SWS_AREA : SWS_BILINEAR) | SWS_ACCURATE_RND;
            sws = sws_getContext(w, h, src, tw, th, AV_PIX_FMT_RGB24, flags, nullptr, nullptr, nullptr);
            if (!sws) {
                const char *fmtName = av_get_pix_fmt_name(src);
                detail::fail(name, std::string("cannot convert pixel format ") + (fmtName ? fmtName : "?") + " to RGB");
            }
            const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(src);
            if (desc && !(desc->flags & AV_PIX_FMT_FLAG_RGB))
                sws_setColorspaceDetails(sws, sws_getCoefficients(colorspace), fullRange ? 1 : 0,
                    sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
            swsKey = key;
        }
        RgbImage image;
        image.width = tw;
        image.height = th;
        image.pixels.resize(static_cast<std::size_t>(tw) * th * 3);
        std::uint8_t *dst[4] = {image.pixels.data(), nullptr, nullptr, nullptr};
        const int dstStride[4] = {tw * 3, 0, 0, 0};
        sws_scale(sws, f->data, f->linesize, 0, h, dst, dstStride);
        return info.rotation ? detail::rotateImage(image, info.rotation) : image;
    }

    VideoFrame currentFrame(int maxSide) { return {toRgb(current.get(), maxSide), currentTime}; }
};

VideoDecoder::VideoDecoder(const std::filesystem::path &path) : d(std::make_unique<Impl>())
{
    d->path = path;
    d->name = detail::nameOf(path);
    detail::checkMediaFile(path);
    d->open();
    d->fillInfo();
    // A file that opens but holds no decodable frame (truncated, corrupt) is refused here.
    if (!d->decodeFrame(d->pending.get(), d->pendingTime))
        detail::fail(d->name, "truncated or corrupt video (no decodable frames)");
    d->hasPending = true;
    d->atStart = true;
    d->firstTime = d->pendingTime;
    if (d->info.width == 0 || d->info.height == 0) {
        const bool swapped = d->info.rotation == 90 || d->info.rotation == 270;
        d->info.width = swapped ? d->pending->height : d->pending->width;
        d->info.height = swapped ? d->pending->width : d->pending->height;
    }
}

VideoDecoder::~VideoDecoder() = default;

const MediaInfo &VideoDecoder::info() const
{
    return d->info;
}

VideoFrame VideoDecoder::frameAt(double timeS, int maxSide)
{
    const double end = d->info.durationS > 0.0 ? d->info.durationS : std::max(timeS, 0.0);
    d->frameAt(std::clamp(std::isfinite(timeS) ? timeS : 0.0, 0.0, end));
    return d->currentFrame(maxSide);
}

bool VideoDecoder::next(VideoFrame &frame, int maxSide)
{
    if (!d->advance())
        return false;
    frame = d->currentFrame(maxSide);
    return true;
}

std::vector<VideoFrame> VideoDecoder::sample(double framesPerSecond, int maxSide, double sceneThreshold)
{
    std::vector<VideoFrame> frames;
    sampleEach(
        framesPerSecond, [&frames](VideoFrame &&f) { frames.push_back(std::move(f)); }, maxSide, sceneThreshold);
    return frames;
}

void VideoDecoder::sampleEach(
    double framesPerSecond, const std::function<void(VideoFrame &&)> &emit, int maxSide, double sceneThreshold)
{
    if (!(framesPerSecond > 0.0))
        detail::fail(d->name, "sampling rate must be positive (got " + std::to_string(framesPerSecond) + " fps)");
    if (!(sceneThreshold >= 0.0) || !std::isfinite(sceneThreshold))
        detail::fail(
            d->name, "scene threshold must be 0 (off) or positive (got " + std::to_string(sceneThreshold) + ")");
    if (!d->rewind() || !d->advance())
        detail::fail(d->name, "truncated or corrupt video (no decodable frames)");
    const double duration = d->info.durationS;

    // Scene changes: every frame that becomes current is compared with the one before.
    const bool scenes = sceneThreshold > 0.0;
    std::vector<float> previous, thumb;
    double lastScene = -std::numeric_limits<double>::infinity();
    double nextFixed = 0.0; // the fixed-rate time being decoded towards
    if (scenes)
        d->greyThumb(d->current.get(), previous);
    const std::function<void()> onFrame = [&] {
        d->greyThumb(d->current.get(), thumb);
        const double diff = meanAbsDiff(previous, thumb);
        std::swap(previous, thumb);
        const double t = d->currentTime;
        if (diff <= sceneThreshold || nextFixed - t <= kSceneGapS || t - lastScene < kSceneGapS)
            return;
        VideoFrame f = d->currentFrame(maxSide);
        f.sceneCut = true;
        lastScene = t;
        emit(std::move(f));
    };

    double lastFixed = -std::numeric_limits<double>::infinity(); // the frame handed over last
    for (std::int64_t i = 0;; ++i) {
        const double t = static_cast<double>(i) / framesPerSecond;
        if (duration > 0.0 && t >= duration - d->eps)
            break;
        nextFixed = t;
        d->advanceTo(t, scenes ? onFrame : std::function<void()> {});
        // Past the last decodable frame (truncated file, or no duration known): stop.
        if (!d->hasPending && d->decoderEof && t > d->currentTime + d->frameDuration - d->eps)
            break;
        // Sampling faster than the video's own rate: a time that still shows the same frame.
        const bool same
            = std::abs(d->currentTime - lastFixed) <= d->eps || std::abs(d->currentTime - lastScene) <= d->eps;
        if (!same) {
            lastFixed = d->currentTime;
            emit(d->currentFrame(maxSide));
        }
        // The times before the next frame would all show this one: go straight to that frame. A
        // header that claims 136 years for 48 frames would otherwise take one step per second.
        const double next = d->hasPending ? d->pendingTime : d->decoderEof ? d->currentTime + d->frameDuration : -1.0;
        if (next > 0.0 && std::isfinite(next)) {
            const double first = std::ceil((next - d->eps) * framesPerSecond);
            if (first > static_cast<double>(i + 1))
                i = first < 9e15 ? static_cast<std::int64_t>(first) - 1 : std::numeric_limits<std::int64_t>::max() - 1;
        }
    }
    // Cuts after the last fixed-rate frame.
    if (scenes) {
        nextFixed = std::numeric_limits<double>::infinity();
        while (d->advance())
            onFrame();
    }
}

double samplingRate(const MediaInfo &info, double framesPerSecond, int minFrames)
{
    if (!(info.durationS > 0.0) || minFrames <= 0)
        return framesPerSecond;
    double rate = std::max(framesPerSecond, static_cast<double>(minFrames) / info.durationS);
    if (info.fps > 0.0)
        rate = std::min(rate, std::max(framesPerSecond, info.fps));
    return rate;
}

namespace detail {

// FFmpeg logs every damaged packet to stderr; our errors say what matters. An application
// that raised the level itself keeps its choice.
void quietFfmpegLogs()
{
    static std::once_flag once;
    std::call_once(once, [] {
        if (av_log_get_level() == AV_LOG_INFO)
            av_log_set_level(AV_LOG_FATAL);
    });
}

MediaInfo probeVideo(const std::filesystem::path &path)
{
    return VideoDecoder(path).info();
}

} // namespace detail
} // namespace ml::io
