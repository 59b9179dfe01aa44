// PreviewPane: the right-hand dock: the selected photo (zoom, pan, fit, 100 %) or video
// (play, pause, seek) with its file information. Loading and decoding run off the GUI thread.
#pragma once

#include "io/media.h"

#include <QImage>
#include <QList>
#include <QWidget>

#include <memory>

namespace ml {
class ThreadPool;
}
class ImageView;
class QFormLayout;
class QLabel;
class QStackedWidget;
class QToolButton;
class VideoPlayer;

class PreviewPane : public QWidget {
    Q_OBJECT
public:
    enum class Page { Message, Image, Video };

    explicit PreviewPane(QWidget *parent = nullptr);
    ~PreviewPane() override;

    void showFile(const QString &path); // empty: nothing selected
    // A video played from timeS (once it is open); shows it first unless it is the current file.
    void showVideoAt(const QString &path, double timeS);
    QString currentPath() const { return m_path; }
    Page page() const;
    QString message() const; // what the message page says (errors included)
    bool hasError() const { return m_error; }
    ImageView *imageView() const { return m_imageView; }
    VideoPlayer *videoPlayer() const { return m_video; }

    // A heatmap over path's picture (a video: over its frame at timeS, where it pauses; shown while
    // that frame is), drawn semi-transparent over the centre square a CLIP crops; cleared when
    // another file is shown. heat: any size, opaque colours; opacity 0..1.
    void setOverlay(const QString &path, double timeS, const QImage &heat, double opacity);
    void clearOverlay();
    QImage overlay() const { return m_overlay; } // null: none
    QString overlayPath() const { return m_overlayPath; }
    bool overlayShown() const; // drawn now: on the shown file (and, for a video, at its frame)

Q_SIGNALS:
    void loaded(const QString &path); // the picture or the first video frame is shown
    void failed(const QString &path, const QString &message);

protected:
    void changeEvent(QEvent *event) override;

private:
    enum InfoRow { SizeRow, DimensionsRow, FormatRow, FrameRateRow, DurationRow, ModifiedRow, RowCount };
    struct ImageResult {
        quint64 request = 0;
        ml::io::MediaInfo info;
        QList<QImage> levels;
        QString error;
    };

    void onImageLoaded(const ImageResult &result);
    void showMessage(const QString &text, bool error);
    void showInfo(const ml::io::MediaInfo &info);
    void updateZoomLabel();
    void retranslate();
    void updateOverlay();

    QString m_path;
    QLabel *m_title;
    QStackedWidget *m_stack;
    QLabel *m_message;
    QWidget *m_imagePage;
    ImageView *m_imageView;
    QToolButton *m_fitButton;
    QToolButton *m_actualButton;
    QLabel *m_zoomLabel;
    VideoPlayer *m_video;
    QWidget *m_infoBox;
    QFormLayout *m_infoForm;
    QList<QLabel *> m_infoKeys;
    QList<QLabel *> m_infoValues;
    QWidget *m_imageOverlay; // children of the image view and of the video's view
    QWidget *m_videoOverlay;
    QImage m_overlay;
    QString m_overlayPath;
    double m_overlayS = -1.0;
    double m_overlayOpacity = 0.5;
    double m_frameS = -1.0; // the video frame shown
    bool m_pauseAtOverlay = false;
    bool m_error = false;
    QString m_errorText;      // as core said it: shown through EngineText::error() in the language of now
    ml::io::MediaInfo m_info; // of the file shown, for showing again in another language
    bool m_idle = true;
    double m_startS = -1.0; // where the opening video starts playing (showVideoAt); < 0: at 0, paused
    quint64 m_request = 0;
    std::unique_ptr<ml::ThreadPool> m_pool; // last: destroyed (joined) first
};
