// FolderScanner: the engine job that walks dropped files and folders (recursively) for
// photos and videos, streaming what it finds in batches so the gallery fills as it goes.
#pragma once

#include "gallery/gallery_model.h"

#include <QList>
#include <QStringList>
#include <QVariant>

namespace ml {
class JobContext;
}

class FolderScanner {
public:
    static inline const QString kPartialKind = QStringLiteral("gallery.entries");
    static inline const QString kMissingKind = QStringLiteral("gallery.missing"); // a given path, as given

    // Runs on an engine worker: partial(kPartialKind, QList<GalleryModel::Entry>) per batch,
    // partial(kMissingKind, QString) per given path that does not exist, progress(found, 0,
    // "scanning"), cancellable between entries. Returns the count found.
    static QVariant run(const QStringList &paths, ml::JobContext &ctx);
};
