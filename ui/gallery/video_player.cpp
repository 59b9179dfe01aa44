// VideoPlayer: at most one request is in flight for playback; seeks made while the worker is
// busy collapse into the latest one, so scrubbing never builds a queue of stale decodes.
#include "gallery/video_player.h"

#include "common/format.h"
#include "common/image_view.h"
#include "gallery/video_worker.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace {

// Drawn rather than taken from the style: the style's media icons vanish on a dark palette.
QIcon mediaIcon(bool pause, const QColor &color)
{
    QPixmap pixmap(44, 44);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    if (pause) {
        p.drawRoundedRect(QRectF(11, 8, 8, 28), 2, 2);
        p.drawRoundedRect(QRectF(25, 8, 8, 28), 2, 2);
    } else {
        QPainterPath triangle;
        triangle.moveTo(13, 7);
        triangle.lineTo(37, 22);
        triangle.lineTo(13, 37);
        triangle.closeSubpath();
        p.drawPath(triangle);
    }
    return QIcon(pixmap);
}

} // namespace

VideoPlayer::VideoPlayer(QWidget *parent)
    : QWidget(parent)
    , m_view(new ImageView(this))
    , m_playButton(new QToolButton(this))
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_time(new QLabel(this))
    , m_worker(new VideoWorker)
{
    m_playButton->setAutoRaise(true);
    m_playButton->setIconSize(QSize(22, 22));
    m_slider->setRange(0, 0);
    m_slider->setTracking(true);
    m_time->setMinimumWidth(90);
    m_time->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    auto *controls = new QHBoxLayout;
    controls->setContentsMargins(6, 4, 6, 4);
    controls->addWidget(m_playButton);
    controls->addWidget(m_slider, 1);
    controls->addWidget(m_time);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_view, 1);
    layout->addLayout(controls);

    m_worker->moveToThread(&m_thread);
    m_thread.setObjectName(QStringLiteral("VideoWorker"));
    m_thread.start();

    connect(m_worker, &VideoWorker::opened, this, [this](quint64 request, const ml::io::MediaInfo &info) {
        if (request < m_openRequest)
            return;
        m_info = info;
        m_open = true;
        m_timer.setInterval(static_cast<int>(std::lround(1000.0 / (info.fps > 1.0 ? info.fps : 25.0))));
        updateControls();
        Q_EMIT opened(info);
    });
    connect(m_worker, &VideoWorker::frameReady, this, &VideoPlayer::onFrame);
    connect(m_worker, &VideoWorker::endReached, this, [this](quint64 request) {
        onAnswer(request);
        if (request >= m_openRequest) {
            pause();
            m_position = m_info.durationS;
            updateControls();
        }
    });
    connect(m_worker, &VideoWorker::failed, this, [this](quint64 request, const QString &message) {
        onAnswer(request);
        if (request < m_openRequest)
            return;
        pause();
        m_open = false;
        updateControls();
        Q_EMIT failed(message);
    });

    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &VideoPlayer::tick);
    connect(m_playButton, &QToolButton::clicked, this, &VideoPlayer::togglePlay);
    connect(m_slider, &QSlider::sliderPressed, this, [this] {
        m_resumeAfterDrag = isPlaying();
        pause();
    });
    connect(m_slider, &QSlider::sliderReleased, this, [this] {
        if (std::exchange(m_resumeAfterDrag, false))
            play();
    });
    // Programmatic updates block the slider's signals, so this is the user seeking.
    connect(m_slider, &QSlider::valueChanged, this, [this](int ms) { seek(ms / 1000.0); });

    retranslate();
    updateControls();
}

VideoPlayer::~VideoPlayer()
{
    m_thread.quit();
    m_thread.wait();
    delete m_worker; // its thread has finished: safe to destroy from here
}

template<typename F> void VideoPlayer::send(F &&call)
{
    ++m_outstanding;
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, call = std::forward<F>(call)] { call(w); }, Qt::QueuedConnection);
}

void VideoPlayer::open(const QString &path)
{
    pause();
    m_open = false;
    m_info = {};
    m_position = 0.0;
    m_pendingSeek.reset();
    m_view->clear();
    m_openRequest = m_nextRequest++;
    send([path, id = m_openRequest](VideoWorker *w) { w->open(path, id); });
    updateControls();
}

void VideoPlayer::close()
{
    pause();
    m_open = false;
    m_openRequest = m_nextRequest++;
    m_view->clear();
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker] { w->close(); }, Qt::QueuedConnection);
    updateControls();
}

void VideoPlayer::play()
{
    if (!m_open || isPlaying())
        return;
    if (m_info.durationS > 0.0 && m_position >= m_info.durationS - 1e-3)
        seek(0.0);
    m_timer.start();
    updateControls();
}

void VideoPlayer::pause()
{
    m_timer.stop();
    updateControls();
}

void VideoPlayer::togglePlay()
{
    isPlaying() ? pause() : play();
}

void VideoPlayer::seek(double timeS)
{
    if (!m_open)
        return;
    timeS = std::clamp(timeS, 0.0, std::max(0.0, m_info.durationS));
    if (m_outstanding > 0) {
        m_pendingSeek = timeS;
        return;
    }
    const quint64 id = m_nextRequest++;
    send([timeS, id](VideoWorker *w) { w->seek(timeS, id); });
}

void VideoPlayer::playFrom(double timeS)
{
    if (!m_open)
        return;
    seek(timeS);
    m_timer.start(); // ticks wait for the seek's frame
    updateControls();
}

void VideoPlayer::tick()
{
    // Decoding slower than the frame rate plays slower rather than piling up requests.
    if (m_outstanding > 0 || m_pendingSeek)
        return;
    const quint64 id = m_nextRequest++;
    send([id](VideoWorker *w) { w->next(id); });
}

void VideoPlayer::onAnswer(quint64)
{
    m_outstanding = std::max(0, m_outstanding - 1);
    if (m_outstanding == 0 && m_pendingSeek) {
        const double t = *m_pendingSeek;
        m_pendingSeek.reset();
        seek(t);
    }
}

void VideoPlayer::onFrame(quint64 request, const QImage &frame, double timeS)
{
    onAnswer(request);
    if (request < m_openRequest)
        return;
    m_view->setFrame(frame);
    m_position = timeS;
    updateControls();
    Q_EMIT frameShown(timeS);
}

void VideoPlayer::updateControls()
{
    m_playButton->setEnabled(m_open);
    m_slider->setEnabled(m_open);
    m_playButton->setIcon(mediaIcon(isPlaying(), palette().color(QPalette::ButtonText)));
    m_playButton->setToolTip(isPlaying() ? tr("Pause") : tr("Play"));
    if (!m_slider->isSliderDown()) {
        const QSignalBlocker block(m_slider);
        m_slider->setRange(0, static_cast<int>(std::lround(std::max(0.0, m_info.durationS) * 1000.0)));
        m_slider->setValue(static_cast<int>(std::lround(m_position * 1000.0)));
    }
    m_time->setText(m_open ? QStringLiteral("%1 / %2").arg(formatDuration(m_position), formatDuration(m_info.durationS))
                           : QString());
}

void VideoPlayer::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void VideoPlayer::retranslate()
{
    m_slider->setToolTip(tr("Drag to seek"));
    updateControls();
}
