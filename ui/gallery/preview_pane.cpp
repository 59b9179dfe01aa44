// PreviewPane: photos load on a one-thread pool (the newest request wins), videos through
// VideoPlayer's worker thread; a file that fails shows the media layer's message, in red.
#include "gallery/preview_pane.h"

#include "common/engine_text.h"
#include "common/format.h"
#include "common/image_view.h"
#include "common/qimage_convert.h"
#include "engine/thread_pool.h"
#include "gallery/video_player.h"

#include <QDateTime>
#include <QEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QStackedWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <utility>

namespace {

constexpr double kOverlayFrameTolerance = 0.1; // seconds: a video's overlay shows on its frame only

// A heatmap over an ImageView's picture: a child as large as the view, drawn over the centre
// square of where the view puts the image (what a CLIP's centre crop sees); clicks pass through.
class HeatOverlay : public QWidget {
public:
    explicit HeatOverlay(ImageView *view) : QWidget(view), m_view(view)
    {
        setAttribute(Qt::WA_TransparentForMouseEvents);
        setAttribute(Qt::WA_NoSystemBackground);
        setGeometry(view->rect());
        view->installEventFilter(this);
        hide();
    }
    void set(const QImage &heat, double opacity)
    {
        m_heat = heat;
        m_opacity = opacity;
        update();
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (watched == m_view && event->type() == QEvent::Resize)
            setGeometry(m_view->rect());
        return QWidget::eventFilter(watched, event);
    }
    void paintEvent(QPaintEvent *) override
    {
        if (m_heat.isNull() || !m_view->hasImage())
            return;
        const QRectF shown = m_view->imageRect();
        const double side = std::min(shown.width(), shown.height());
        const QRectF square(shown.center().x() - side / 2.0, shown.center().y() - side / 2.0, side, side);
        QPainter p(this);
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.setOpacity(m_opacity);
        p.drawImage(square, m_heat);
    }

private:
    ImageView *m_view;
    QImage m_heat;
    double m_opacity = 0.5;
};

} // namespace

PreviewPane::PreviewPane(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_stack(new QStackedWidget(this))
    , m_message(new QLabel(this))
    , m_imagePage(new QWidget(this))
    , m_imageView(new ImageView(m_imagePage))
    , m_fitButton(new QToolButton(m_imagePage))
    , m_actualButton(new QToolButton(m_imagePage))
    , m_zoomLabel(new QLabel(m_imagePage))
    , m_video(new VideoPlayer(this))
    , m_infoBox(new QWidget(this))
    , m_infoForm(new QFormLayout(m_infoBox))
    , m_imageOverlay(new HeatOverlay(m_imageView))
    , m_videoOverlay(new HeatOverlay(m_video->view()))
    , m_pool(std::make_unique<ml::ThreadPool>(1))
{
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setMinimumWidth(1);

    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setMargin(24);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    for (QToolButton *b : {m_fitButton, m_actualButton})
        b->setAutoRaise(true);
    m_zoomLabel->setMinimumWidth(60);
    m_zoomLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    auto *zoomBar = new QHBoxLayout;
    zoomBar->setContentsMargins(6, 4, 6, 4);
    zoomBar->addWidget(m_fitButton);
    zoomBar->addWidget(m_actualButton);
    zoomBar->addStretch(1);
    zoomBar->addWidget(m_zoomLabel);
    auto *imageLayout = new QVBoxLayout(m_imagePage);
    imageLayout->setContentsMargins(0, 0, 0, 0);
    imageLayout->setSpacing(0);
    imageLayout->addWidget(m_imageView, 1);
    imageLayout->addLayout(zoomBar);

    m_stack->addWidget(m_message);
    m_stack->addWidget(m_imagePage);
    m_stack->addWidget(m_video);

    m_infoForm->setContentsMargins(12, 8, 12, 12);
    m_infoForm->setHorizontalSpacing(14);
    m_infoForm->setVerticalSpacing(4);
    m_infoForm->setLabelAlignment(Qt::AlignRight);
    for (int i = 0; i < RowCount; ++i) {
        auto *key = new QLabel(m_infoBox);
        key->setForegroundRole(QPalette::PlaceholderText);
        auto *value = new QLabel(m_infoBox);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_infoForm->addRow(key, value);
        m_infoKeys << key;
        m_infoValues << value;
    }

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    auto *titleRow = new QHBoxLayout;
    titleRow->setContentsMargins(12, 10, 12, 8);
    titleRow->addWidget(m_title);
    layout->addLayout(titleRow);
    layout->addWidget(m_stack, 1);
    layout->addWidget(m_infoBox);

    connect(m_fitButton, &QToolButton::clicked, m_imageView, &ImageView::fitToWindow);
    connect(m_actualButton, &QToolButton::clicked, m_imageView, &ImageView::actualSize);
    connect(m_imageView, &ImageView::zoomChanged, this, &PreviewPane::updateZoomLabel);
    connect(m_video, &VideoPlayer::frameShown, this, [this](double timeS) {
        m_frameS = timeS;
        if (m_pauseAtOverlay && std::abs(timeS - m_overlayS) <= kOverlayFrameTolerance) {
            m_pauseAtOverlay = false;
            m_video->pause(); // the map belongs to this frame
        }
        updateOverlay();
    });
    connect(m_video, &VideoPlayer::opened, this, [this](const ml::io::MediaInfo &info) {
        showInfo(info);
        if (m_startS >= 0.0)
            m_video->playFrom(std::exchange(m_startS, -1.0));
        Q_EMIT loaded(m_path);
    });
    connect(m_video, &VideoPlayer::failed, this, [this](const QString &message) {
        showMessage(message, true);
        Q_EMIT failed(m_path, message);
    });

    retranslate();
    showFile({});
}

PreviewPane::~PreviewPane()
{
    m_pool.reset();
}

PreviewPane::Page PreviewPane::page() const
{
    return static_cast<Page>(m_stack->currentIndex());
}

QString PreviewPane::message() const
{
    return m_message->text();
}

void PreviewPane::showVideoAt(const QString &path, double timeS)
{
    if (path != m_path)
        showFile(path);
    if (page() != Page::Video || m_error)
        return;
    if (m_video->duration() > 0.0) // already open
        m_video->playFrom(timeS);
    else
        m_startS = timeS;
}

void PreviewPane::showFile(const QString &path)
{
    if (path != m_overlayPath)
        clearOverlay();
    m_path = path;
    m_frameS = -1.0;
    m_startS = -1.0;
    ++m_request;
    m_pool->clear();
    m_error = false;
    m_idle = path.isEmpty();
    m_title->setText(QFileInfo(path).fileName());
    m_title->setToolTip(path);
    m_imageView->clear();
    if (m_video->isPlaying() || page() == Page::Video)
        m_video->close();
    showInfo({});
    if (path.isEmpty()) {
        retranslate();
        return;
    }

    switch (ml::io::guessMediaKind(path.toStdString())) {
    case ml::io::MediaKind::Video:
        m_stack->setCurrentWidget(m_video);
        m_video->open(path);
        return;
    case ml::io::MediaKind::Image:
        break;
    case ml::io::MediaKind::Unknown:
        showMessage(tr("This is not a photo or video that ModalLens can open."), true);
        return;
    }

    showMessage(tr("Loading…"), false);
    m_pool->post([this, path, request = m_request] {
        ImageResult r;
        r.request = request;
        try {
            const std::filesystem::path file = path.toStdString();
            r.info = ml::io::probeMedia(file);
            r.levels = ImageView::makePyramid(toQImage(ml::io::loadImage(file)));
        } catch (const std::exception &e) {
            r.error = QString::fromUtf8(e.what());
        }
        QMetaObject::invokeMethod(
            this, [this, r = std::move(r)] { onImageLoaded(r); }, Qt::QueuedConnection);
    });
}

void PreviewPane::setOverlay(const QString &path, double timeS, const QImage &heat, double opacity)
{
    m_overlayPath = path;
    m_overlayS = timeS;
    m_overlay = heat;
    m_overlayOpacity = std::clamp(opacity, 0.0, 1.0);
    // A video stops at the explained frame: now if it is open, else when that frame comes.
    m_pauseAtOverlay = false;
    if (timeS >= 0.0) {
        if (path == m_path && page() == Page::Video && m_video->duration() > 0.0) {
            m_video->pause();
            if (std::abs(m_frameS - timeS) > kOverlayFrameTolerance)
                m_video->seek(timeS);
        } else {
            m_pauseAtOverlay = true;
        }
    }
    updateOverlay();
}

void PreviewPane::clearOverlay()
{
    m_overlay = QImage();
    m_overlayPath.clear();
    m_overlayS = -1.0;
    m_pauseAtOverlay = false;
    updateOverlay();
}

bool PreviewPane::overlayShown() const
{
    if (m_overlay.isNull() || m_overlayPath != m_path || m_path.isEmpty() || m_error)
        return false;
    if (page() == Page::Image)
        return true;
    // A video's map belongs to one frame: shown while that frame is (paused there, or passing).
    return page() == Page::Video && m_overlayS >= 0.0 && m_frameS >= 0.0
        && std::abs(m_frameS - m_overlayS) <= kOverlayFrameTolerance;
}

void PreviewPane::updateOverlay()
{
    const bool shown = overlayShown();
    auto *image = static_cast<HeatOverlay *>(m_imageOverlay);
    auto *video = static_cast<HeatOverlay *>(m_videoOverlay);
    image->set(m_overlay, m_overlayOpacity);
    video->set(m_overlay, m_overlayOpacity);
    image->setVisible(shown && page() == Page::Image);
    video->setVisible(shown && page() == Page::Video);
    if (shown)
        (page() == Page::Image ? image : video)->raise();
}

void PreviewPane::onImageLoaded(const ImageResult &r)
{
    if (r.request != m_request)
        return;
    if (!r.error.isEmpty() || r.levels.isEmpty()) {
        const QString message = r.error.isEmpty() ? tr("The image is empty.") : r.error;
        showMessage(message, true);
        Q_EMIT failed(m_path, message);
        return;
    }
    m_stack->setCurrentWidget(m_imagePage);
    m_imageView->setImage(r.levels);
    showInfo(r.info);
    updateZoomLabel();
    updateOverlay();
    Q_EMIT loaded(m_path);
}

void PreviewPane::showMessage(const QString &text, bool error)
{
    m_error = error;
    m_errorText = error ? text : QString();
    m_stack->setCurrentWidget(m_message);
    if (error) {
        m_message->setText(QStringLiteral("<p style='font-size:x-large; color:#e5484d'>⚠</p><p><b>%1</b></p><p>%2</p>")
                               .arg(tr("This file cannot be shown."), EngineText::error(text).toHtmlEscaped()));
        m_message->setTextFormat(Qt::RichText);
    } else {
        m_message->setTextFormat(Qt::PlainText);
        m_message->setText(text);
    }
}

void PreviewPane::showInfo(const ml::io::MediaInfo &info)
{
    m_info = info;
    const QFileInfo file(m_path);
    const bool known = !m_path.isEmpty() && file.exists();
    const bool video = info.kind == ml::io::MediaKind::Video;
    const bool hasMedia = info.width > 0 && info.height > 0;
    m_infoValues[SizeRow]->setText(known ? formatBytes(file.size()) : QString());
    m_infoValues[DimensionsRow]->setText(
        hasMedia ? QStringLiteral("%1 × %2").arg(info.width).arg(info.height) : QString());
    m_infoValues[FormatRow]->setText(QString::fromStdString(info.codec).toUpper());
    m_infoValues[FrameRateRow]->setText(video ? tr("%1 fps").arg(QLocale().toString(info.fps, 'f', 2)) : QString());
    m_infoValues[DurationRow]->setText(video ? formatDuration(info.durationS) : QString());
    m_infoValues[ModifiedRow]->setText(
        known ? QLocale().toString(file.lastModified(), QLocale::ShortFormat) : QString());
    m_infoForm->setRowVisible(SizeRow, known);
    m_infoForm->setRowVisible(DimensionsRow, hasMedia);
    m_infoForm->setRowVisible(FormatRow, !info.codec.empty());
    m_infoForm->setRowVisible(FrameRateRow, video);
    m_infoForm->setRowVisible(DurationRow, video);
    m_infoForm->setRowVisible(ModifiedRow, known);
    m_infoBox->setVisible(known);
}

void PreviewPane::updateZoomLabel()
{
    m_zoomLabel->setText(
        m_imageView->hasImage() ? QStringLiteral("%1 %").arg(std::lround(m_imageView->zoom() * 100.0)) : QString());
}

void PreviewPane::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void PreviewPane::retranslate()
{
    setWindowTitle(tr("Preview"));
    m_fitButton->setText(tr("Fit"));
    m_fitButton->setToolTip(tr("Fit the picture to the pane (double-click toggles)"));
    m_actualButton->setText(tr("100 %"));
    m_actualButton->setToolTip(tr("Show the picture at its actual size"));
    m_infoKeys[SizeRow]->setText(tr("File size"));
    m_infoKeys[DimensionsRow]->setText(tr("Dimensions"));
    m_infoKeys[FormatRow]->setText(tr("Format"));
    m_infoKeys[FrameRateRow]->setText(tr("Frame rate"));
    m_infoKeys[DurationRow]->setText(tr("Duration"));
    m_infoKeys[ModifiedRow]->setText(tr("Modified"));
    if (m_idle)
        showMessage(tr("Select a photo or video to preview it here.\nScroll to zoom, drag to pan."), false);
    else if (m_error)
        showMessage(m_errorText, true);
    else
        showInfo(m_info); // the date in the new locale
}
