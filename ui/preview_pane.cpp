// PreviewPane: photos load on a one-thread pool (the newest request wins), videos through
// VideoPlayer's worker thread; a file that fails shows the media layer's message, in red.
#include "preview_pane.h"

#include "engine/thread_pool.h"
#include "format.h"
#include "image_view.h"
#include "qimage_convert.h"
#include "video_player.h"

#include <QDateTime>
#include <QEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QStackedWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>
#include <exception>
#include <filesystem>
#include <utility>

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
    connect(m_video, &VideoPlayer::opened, this, [this](const ml::io::MediaInfo &info) {
        showInfo(info);
        if (m_startS >= 0.0)
            m_video->seek(std::exchange(m_startS, -1.0));
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
    if (m_video->duration() > 0.0)
        m_video->seek(timeS); // already open
    else
        m_startS = timeS;
}

void PreviewPane::showFile(const QString &path)
{
    m_path = path;
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
    Q_EMIT loaded(m_path);
}

void PreviewPane::showMessage(const QString &text, bool error)
{
    m_error = error;
    m_stack->setCurrentWidget(m_message);
    if (error) {
        m_message->setText(QStringLiteral("<p style='font-size:x-large; color:#e5484d'>⚠</p><p><b>%1</b></p><p>%2</p>")
                               .arg(tr("This file cannot be shown."), text.toHtmlEscaped()));
        m_message->setTextFormat(Qt::RichText);
    } else {
        m_message->setTextFormat(Qt::PlainText);
        m_message->setText(text);
    }
}

void PreviewPane::showInfo(const ml::io::MediaInfo &info)
{
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
}
