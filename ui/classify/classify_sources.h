// Where Classify takes its files from: the gallery's selection, the whole gallery, or a folder
// and its sub-folders. Photos and videos count (a video is classified on its middle frame).
#pragma once

#include <QStringList>

class GalleryWidget;

namespace ml {
class JobContext;
}

namespace ClassifySources {

// The gallery's selected photos and videos in gallery order; with nothing selected, the current one.
QStringList selected(const GalleryWidget *gallery);
// Every photo and video in the gallery.
QStringList all(const GalleryWidget *gallery);
// Every readable photo and video under folder, sorted; runs on a worker (checks ctx's cancel).
QStringList listFolder(const QString &folder, ml::JobContext &ctx);

} // namespace ClassifySources
