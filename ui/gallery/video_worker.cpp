// VideoWorker: decoder errors become failed() with the media layer's message; the decoder
// is dropped then, so a corrupt clip cannot be asked for more frames.
#include "gallery/video_worker.h"

#include "common/qimage_convert.h"

#include <exception>

VideoWorker::VideoWorker() = default;
VideoWorker::~VideoWorker() = default;

void VideoWorker::open(const QString &path, quint64 request)
{
    m_decoder.reset();
    try {
        m_decoder = std::make_unique<ml::io::VideoDecoder>(path.toStdString());
        Q_EMIT opened(request, m_decoder->info());
        ml::io::VideoFrame frame = m_decoder->frameAt(0.0, kMaxSide);
        Q_EMIT frameReady(request, toQImage(std::move(frame.image)), frame.timeS);
    } catch (const std::exception &e) {
        m_decoder.reset();
        Q_EMIT failed(request, QString::fromUtf8(e.what()));
    }
}

void VideoWorker::seek(double timeS, quint64 request)
{
    if (!m_decoder) {
        Q_EMIT failed(request, tr("no video is open"));
        return;
    }
    try {
        ml::io::VideoFrame frame = m_decoder->frameAt(timeS, kMaxSide);
        Q_EMIT frameReady(request, toQImage(std::move(frame.image)), frame.timeS);
    } catch (const std::exception &e) {
        m_decoder.reset();
        Q_EMIT failed(request, QString::fromUtf8(e.what()));
    }
}

void VideoWorker::next(quint64 request)
{
    if (!m_decoder) {
        Q_EMIT failed(request, tr("no video is open"));
        return;
    }
    try {
        ml::io::VideoFrame frame;
        if (m_decoder->next(frame, kMaxSide))
            Q_EMIT frameReady(request, toQImage(std::move(frame.image)), frame.timeS);
        else
            Q_EMIT endReached(request);
    } catch (const std::exception &e) {
        m_decoder.reset();
        Q_EMIT failed(request, QString::fromUtf8(e.what()));
    }
}

void VideoWorker::close()
{
    m_decoder.reset();
}
