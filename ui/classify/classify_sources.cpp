// ClassifySources: reads the gallery's model and selection, or walks a folder on a worker.
#include "classify/classify_sources.h"

#include "engine/engine.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "io/media.h"

#include <QDirIterator>
#include <QItemSelectionModel>

#include <algorithm>

namespace {

bool isClassifiable(ml::io::MediaKind kind)
{
    return kind == ml::io::MediaKind::Image || kind == ml::io::MediaKind::Video;
}

bool isClassifiable(const QModelIndex &index)
{
    return isClassifiable(static_cast<ml::io::MediaKind>(index.data(GalleryModel::KindRole).toInt()));
}

} // namespace

namespace ClassifySources {

QStringList selected(const GalleryWidget *gallery)
{
    if (!gallery)
        return {};
    QModelIndexList rows = gallery->view()->selectionModel()->selectedIndexes();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList files;
    for (const QModelIndex &index : std::as_const(rows))
        if (isClassifiable(index))
            files << index.data(GalleryModel::PathRole).toString();
    if (files.isEmpty() && rows.isEmpty()) { // nothing selected: the current item
        const QModelIndex current = gallery->view()->currentIndex();
        if (current.isValid() && isClassifiable(current))
            files << current.data(GalleryModel::PathRole).toString();
    }
    return files;
}

QStringList all(const GalleryWidget *gallery)
{
    QStringList files;
    if (!gallery)
        return files;
    const GalleryModel *model = gallery->model();
    for (int row = 0; row < model->rowCount(); ++row)
        if (isClassifiable(model->item(row).kind))
            files << model->item(row).path;
    return files;
}

QStringList listFolder(const QString &folder, ml::JobContext &ctx)
{
    QStringList files;
    QDirIterator it(folder, QDir::Files | QDir::Readable, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (isClassifiable(ml::io::guessMediaKind(path.toStdString())))
            files << path;
        if (files.size() % 256 == 0)
            ctx.throwIfCancelled();
    }
    files.sort();
    return files;
}

} // namespace ClassifySources
