// loadItemPicture: io::loadImage / io::VideoDecoder on a pool thread, the result queued back.
#include "common/item_picture.h"

#include "common/qimage_convert.h"
#include "io/media.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>

void loadItemPicture(QObject *context, const QString &path, std::optional<double> timeS, int maxSide,
    std::function<void(const QImage &image, const QString &error)> done)
{
    QPointer<QObject> guard(context);
    QThreadPool::globalInstance()->start([guard, path, timeS, maxSide, done = std::move(done)] {
        QImage image;
        QString error;
        try {
            const std::string file = path.toStdString();
            if (timeS) {
                ml::io::VideoDecoder decoder(file);
                image = toQImage(decoder.frameAt(*timeS, maxSide).image);
            } else {
                image = toQImage(ml::io::resizeToFit(ml::io::loadImage(file), maxSide));
            }
            image = image.convertToFormat(QImage::Format_RGB32); // owns its pixels from here
        } catch (const std::exception &e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [guard, image, error, done] {
                if (guard)
                    done(image, error);
            },
            Qt::QueuedConnection);
    });
}

bool isVideoFile(const QString &path)
{
    return !path.isEmpty() && ml::io::guessMediaKind(path.toStdString()) == ml::io::MediaKind::Video;
}
