// VideoEncoder: libswscale RGB24 -> YUV, libavcodec encode, libavformat mux.
// Ref: FFmpeg 5.1 doc/examples/mux.c (stream setup, packet rescaling, drain on finish).
#include "io/media_encode.h"

#include "common/error.h"
#include "io/media_detail.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ml::io {
namespace {

std::string averror(int code)
{
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

// A short codec name picks the encoder we tune; anything else is taken as FFmpeg's name.
const AVCodec *findEncoder(const std::string &codec)
{
    const char *preferred[3] = {nullptr, nullptr, nullptr};
    if (codec == "h264")
        preferred[0] = "libx264", preferred[1] = "libopenh264";
    else if (codec == "vp9")
        preferred[0] = "libvpx-vp9";
    else if (codec == "vp8")
        preferred[0] = "libvpx";
    else if (codec == "av1")
        preferred[0] = "libsvtav1", preferred[1] = "libaom-av1";
    for (const char *name : preferred)
        if (name)
            if (const AVCodec *c = avcodec_find_encoder_by_name(name))
                return c;
    if (const AVCodec *c = avcodec_find_encoder_by_name(codec.c_str()))
        return c;
    const AVCodecDescriptor *desc = avcodec_descriptor_get_by_name(codec.c_str());
    return desc ? avcodec_find_encoder(desc->id) : nullptr;
}

} // namespace

struct VideoEncoder::Impl {
    std::filesystem::path path;
    std::string name;
    AVFormatContext *oc = nullptr;
    AVCodecContext *enc = nullptr;
    AVStream *stream = nullptr;
    AVFrame *frame = nullptr;
    AVPacket *pkt = nullptr;
    SwsContext *sws = nullptr;
    std::int64_t next = 0;
    bool headerWritten = false;

    ~Impl() { release(); }

    void release()
    {
        sws_freeContext(sws);
        sws = nullptr;
        av_frame_free(&frame);
        av_packet_free(&pkt);
        avcodec_free_context(&enc);
        if (oc) {
            if (!(oc->oformat->flags & AVFMT_NOFILE))
                avio_closep(&oc->pb);
            avformat_free_context(oc);
            oc = nullptr;
        }
        headerWritten = false;
    }

    void check(int r, const char *what)
    {
        if (r < 0)
            detail::fail(name, std::string("cannot write video: ") + what + " (" + averror(r) + ")");
    }

    // Everything the encoder has ready goes to the file.
    void drain()
    {
        for (;;) {
            const int r = avcodec_receive_packet(enc, pkt);
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
                return;
            check(r, "encoding failed");
            av_packet_rescale_ts(pkt, enc->time_base, stream->time_base);
            pkt->stream_index = stream->index;
            check(av_interleaved_write_frame(oc, pkt), "writing a packet failed");
        }
    }
};

VideoEncoder::VideoEncoder() = default;

VideoEncoder::~VideoEncoder()
{
    if (isOpen()) {
        try {
            finish();
        } catch (const Error &) { // nowhere to report it; finish() says it to callers who ask
        }
    }
}

bool VideoEncoder::isOpen() const
{
    return d != nullptr;
}

std::int64_t VideoEncoder::framesWritten() const
{
    return d ? d->next : 0;
}

void VideoEncoder::open(
    const std::filesystem::path &path, const std::string &codec, int width, int height, double fps, int rotation)
{
    if (isOpen())
        finish();
    detail::quietFfmpegLogs();
    auto impl = std::make_unique<Impl>();
    Impl &e = *impl;
    e.path = path;
    e.name = detail::nameOf(path);
    if (width <= 0 || height <= 0 || width % 2 || height % 2)
        detail::fail(e.name,
            "cannot write video: size " + std::to_string(width) + "x" + std::to_string(height)
                + " must be positive and even");
    if (!(fps > 0.0 && fps <= 1000.0))
        detail::fail(e.name, "cannot write video: frame rate " + std::to_string(fps) + " out of range");
    if (rotation % 90 != 0)
        detail::fail(e.name, "cannot write video: rotation must be a multiple of 90 degrees");

    avformat_alloc_output_context2(&e.oc, nullptr, nullptr, path.c_str());
    if (!e.oc)
        detail::fail(e.name, "cannot write video: no container for extension '" + path.extension().string() + "'");
    const AVCodec *codecImpl = findEncoder(codec);
    if (!codecImpl)
        detail::fail(e.name, "cannot write video: this FFmpeg has no encoder for '" + codec + "'");

    e.stream = avformat_new_stream(e.oc, nullptr);
    e.enc = avcodec_alloc_context3(codecImpl);
    e.frame = av_frame_alloc();
    e.pkt = av_packet_alloc();
    if (!e.stream || !e.enc || !e.frame || !e.pkt)
        detail::fail(e.name, "cannot write video: out of memory");

    const AVRational rate = av_d2q(fps, 100000);
    e.enc->width = width;
    e.enc->height = height;
    e.enc->time_base = av_inv_q(rate);
    e.enc->framerate = rate;
    e.enc->gop_size = std::max(1, static_cast<int>(std::lround(fps)));
    e.enc->pix_fmt = AV_PIX_FMT_YUV420P;
    // One encoder thread: x264's frame threads made the same frames encode to other bytes now
    // and then under load (1 byte in 14 KB), and the sample gallery and exports are meant to be
    // reproducible; the videos written here are small (clips, denoising trajectories).
    e.enc->thread_count = 1;
    // Untagged SD video is read as BT.601, HD as BT.709: write what a reader would assume.
    const bool hd = height >= 720;
    e.enc->colorspace = hd ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
    e.enc->color_primaries = hd ? AVCOL_PRI_BT709 : AVCOL_PRI_SMPTE170M;
    e.enc->color_trc = hd ? AVCOL_TRC_BT709 : AVCOL_TRC_SMPTE170M;
    e.enc->color_range = AVCOL_RANGE_MPEG;
    const std::string encoderName = codecImpl->name;
    if (encoderName == "libx264") {
        av_opt_set(e.enc->priv_data, "preset", "veryfast", 0);
        av_opt_set(e.enc->priv_data, "crf", "20", 0);
    } else if (encoderName == "libvpx-vp9" || encoderName == "libvpx") {
        av_opt_set(e.enc->priv_data, "deadline", "realtime", 0);
        av_opt_set(e.enc->priv_data, "cpu-used", "8", 0);
        e.enc->bit_rate = std::max<std::int64_t>(400000, static_cast<std::int64_t>(width * height * fps * 0.2));
    } else {
        e.enc->bit_rate = std::max<std::int64_t>(400000, static_cast<std::int64_t>(width * height * fps * 0.3));
    }
    if (e.oc->oformat->flags & AVFMT_GLOBALHEADER)
        e.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    e.check(avcodec_open2(e.enc, codecImpl, nullptr), "cannot open the encoder");
    e.check(avcodec_parameters_from_context(e.stream->codecpar, e.enc), "bad encoder parameters");
    e.stream->time_base = e.enc->time_base;
    e.stream->avg_frame_rate = rate;

    const int clockwise = ((rotation % 360) + 360) % 360;
    if (clockwise) {
        std::int32_t matrix[9];
        av_display_rotation_set(matrix, clockwise);
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(60, 15, 100)
        AVPacketSideData *sd = av_packet_side_data_new(&e.stream->codecpar->coded_side_data,
            &e.stream->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX, sizeof matrix, 0);
        std::uint8_t *data = sd ? sd->data : nullptr;
#else
        std::uint8_t *data = av_stream_new_side_data(e.stream, AV_PKT_DATA_DISPLAYMATRIX, sizeof matrix);
#endif
        if (!data)
            detail::fail(e.name, "cannot write video: out of memory");
        std::memcpy(data, matrix, sizeof matrix);
    }

    if (!(e.oc->oformat->flags & AVFMT_NOFILE))
        e.check(avio_open(&e.oc->pb, path.c_str(), AVIO_FLAG_WRITE), "cannot create the file");
    AVDictionary *options = nullptr;
    if (std::strcmp(e.oc->oformat->name, "mp4") == 0 || std::strcmp(e.oc->oformat->name, "mov") == 0)
        av_dict_set(&options, "movflags", "+faststart", 0); // index first: plays while loading
    const int r = avformat_write_header(e.oc, &options);
    av_dict_free(&options);
    e.check(r, "cannot write the header");
    e.headerWritten = true;

    e.frame->format = e.enc->pix_fmt;
    e.frame->width = width;
    e.frame->height = height;
    e.check(av_frame_get_buffer(e.frame, 0), "out of memory");
    e.sws = sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, e.enc->pix_fmt,
        SWS_BILINEAR | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
    if (!e.sws)
        detail::fail(e.name, "cannot write video: no RGB to YUV conversion");
    sws_setColorspaceDetails(
        e.sws, sws_getCoefficients(SWS_CS_DEFAULT), 1, sws_getCoefficients(e.enc->colorspace), 0, 0, 1 << 16, 1 << 16);
    d = std::move(impl);
}

void VideoEncoder::write(const RgbImage &image)
{
    if (!d)
        throw Error("VideoEncoder::write: no file open");
    Impl &e = *d;
    if (image.width != e.enc->width || image.height != e.enc->height
        || image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3)
        detail::fail(e.name,
            "cannot write video: frame is " + std::to_string(image.width) + "x" + std::to_string(image.height)
                + ", the video " + std::to_string(e.enc->width) + "x" + std::to_string(e.enc->height));
    e.check(av_frame_make_writable(e.frame), "out of memory");
    const std::uint8_t *src[4] = {image.pixels.data(), nullptr, nullptr, nullptr};
    const int srcStride[4] = {image.width * 3, 0, 0, 0};
    sws_scale(e.sws, src, srcStride, 0, image.height, e.frame->data, e.frame->linesize);
    e.frame->pts = e.next++;
    e.check(avcodec_send_frame(e.enc, e.frame), "encoding failed");
    e.drain();
}

void VideoEncoder::finish()
{
    if (!d)
        return;
    std::unique_ptr<Impl> impl = std::move(d); // closed whatever happens below
    Impl &e = *impl;
    e.check(avcodec_send_frame(e.enc, nullptr), "flushing the encoder failed");
    e.drain();
    e.check(av_write_trailer(e.oc), "cannot write the trailer");
    if (!(e.oc->oformat->flags & AVFMT_NOFILE))
        e.check(avio_closep(&e.oc->pb), "cannot close the file");
}

} // namespace ml::io
