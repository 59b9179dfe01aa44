// VideoPlayer: play/pause, a seek slider and the time, over an ImageView. A VideoWorker on
// a dedicated thread decodes; a timer at the clip's frame rate paces playback.
#pragma once

#include "io/media.h"

#include <QImage>
#include <QThread>
#include <QTimer>
#include <QWidget>

#include <optional>

class ImageView;
class QLabel;
class QSlider;
class QToolButton;
class VideoWorker;

class VideoPlayer : public QWidget {
    Q_OBJECT
public:
    explicit VideoPlayer(QWidget *parent = nullptr);
    ~VideoPlayer() override; // stops the worker thread

    void open(const QString &path);
    void close();
    bool isPlaying() const { return m_timer.isActive(); }
    double position() const { return m_position; }
    double duration() const { return m_info.durationS; }
    ImageView *view() const { return m_view; }

public Q_SLOTS:
    void play();
    void pause();
    void togglePlay();
    void seek(double timeS);
    void playFrom(double timeS); // seek, then play from the frame it shows (even after the end)

Q_SIGNALS:
    void opened(const ml::io::MediaInfo &info);
    void failed(const QString &message);
    void frameShown(double timeS);

protected:
    void changeEvent(QEvent *event) override;

private:
    template<typename F> void send(F &&call); // runs call(worker) on the worker thread
    void onFrame(quint64 request, const QImage &frame, double timeS);
    void onAnswer(quint64 request); // bookkeeping for every answer from the worker
    void tick();
    void updateControls();
    void retranslate();

    ImageView *m_view;
    QToolButton *m_playButton;
    QSlider *m_slider;
    QLabel *m_time;
    QThread m_thread;
    VideoWorker *m_worker;
    QTimer m_timer;

    ml::io::MediaInfo m_info;
    bool m_open = false;
    double m_position = 0.0;
    quint64 m_nextRequest = 1;
    quint64 m_openRequest = 0; // answers to requests before this one belong to another file
    int m_outstanding = 0;     // requests sent and not answered yet
    std::optional<double> m_pendingSeek;
    bool m_resumeAfterDrag = false;
};
