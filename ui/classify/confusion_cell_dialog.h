// ConfusionCellDialog: the images of one confusion-matrix cell (true class t, predicted p) as
// thumbnails; clicking one shows it in the preview. Not modal: the user can keep it open
// beside the gallery.
#pragma once

#include "engine/clip_service.h"

#include <QDialog>

#include <vector>

class QLabel;
class QListWidget;
class ThumbnailLoader;

class ConfusionCellDialog : public QDialog {
    Q_OBJECT
public:
    ConfusionCellDialog(const QString &truth, const QString &predicted, const std::vector<ml::ImageScores> &images,
        QWidget *parent = nullptr);

    QListWidget *list() const { return m_list; }

Q_SIGNALS:
    void fileActivated(const QString &path);

private:
    QLabel *m_title;
    QListWidget *m_list;
    ThumbnailLoader *m_loader;
};
