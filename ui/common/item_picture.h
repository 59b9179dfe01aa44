// The picture of a gallery item as a model sees it: a still image, or the frame a video shows at
// a time, decoded on a pool thread (never on the GUI thread) and handed back to the GUI thread.
#pragma once

#include <QImage>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

// Decodes path (at timeS for a video) scaled to fit maxSide on QThreadPool::globalInstance() and
// calls done(image, error) on the GUI thread unless context is gone by then. error names the file.
void loadItemPicture(QObject *context, const QString &path, std::optional<double> timeS, int maxSide,
    std::function<void(const QImage &image, const QString &error)> done);

// Whether path is a video (by its extension, as the gallery tells).
bool isVideoFile(const QString &path);
