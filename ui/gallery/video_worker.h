// VideoWorker: owns one ml::io::VideoDecoder and lives on its own QThread, so nothing is
// ever decoded on the GUI thread. Every call carries a request id that its answer echoes.
#pragma once

#include "io/media.h"

#include <QImage>
#include <QObject>
#include <QString>

#include <memory>

class VideoWorker : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxSide = 1280; // preview frames are decoded at most this large

    VideoWorker();
    ~VideoWorker() override;

    // Slots by convention: called through QMetaObject::invokeMethod on the worker's thread.
    void open(const QString &path, quint64 request);
    void seek(double timeS, quint64 request); // the frame shown at timeS
    void next(quint64 request);               // the frame after the last one
    void close();

Q_SIGNALS:
    void opened(quint64 request, const ml::io::MediaInfo &info);
    void frameReady(quint64 request, const QImage &frame, double timeS);
    void endReached(quint64 request);
    void failed(quint64 request, const QString &message);

private:
    std::unique_ptr<ml::io::VideoDecoder> m_decoder;
};
