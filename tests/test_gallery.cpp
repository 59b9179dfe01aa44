// The gallery, offscreen: a dropped folder of photos, clips and corrupt files fills the model
// without ever stalling the GUI thread; 20,000 items only ever load what is on screen.
#include "common/engine_bridge.h"
#include "common/image_view.h"
#include "common/language.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "gallery/preview_pane.h"
#include "gallery/thumbnail_loader.h"
#include "gallery/video_player.h"
#include "io/media.h"
#include "io/media_encode.h"
#include "main_window.h"

#include <QBuffer>
#include <QComboBox>
#include <QDir>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMimeData>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <memory>

namespace {

constexpr int kCats = 60;  // cat_###.jpg
constexpr int kDogs = 140; // dog_###.png
constexpr int kClips = 3;  // clip_#.{mp4,webm,avi}
constexpr int kTimeoutMs = 120000;

// Event-loop latency: the largest gap between ticks of a 5 ms timer. On a loaded machine part
// of a gap is the GUI thread waiting for a core that another process holds (time on the run
// queue, from Linux's schedstat); that is subtracted, so what remains is time the thread was
// busy or blocked on our account. Both figures are printed.
class LatencyProbe : public QObject {
public:
    LatencyProbe()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(5);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            const qint64 wall = m_clock.nsecsElapsed();
            const qint64 queued = runQueueNs();
            const qint64 gap = wall - m_lastWall;
            m_maxWallGapMs = std::max(m_maxWallGapMs, gap / 1'000'000);
            m_maxGapMs = std::max(m_maxGapMs, (gap - std::max<qint64>(0, queued - m_lastQueued)) / 1'000'000);
            m_lastWall = wall;
            m_lastQueued = queued;
            ++m_ticks;
        });
    }
    void start()
    {
        m_maxGapMs = m_maxWallGapMs = 0;
        m_ticks = 0;
        m_clock.start();
        m_lastWall = 0;
        m_lastQueued = runQueueNs();
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    qint64 maxGapMs() const { return m_maxGapMs; }         // without run-queue waits
    qint64 maxWallGapMs() const { return m_maxWallGapMs; } // as the wall clock saw it
    int ticks() const { return m_ticks; }

private:
    // Nanoseconds this thread has spent runnable but waiting for a CPU; 0 where unknown.
    static qint64 runQueueNs()
    {
        QFile f(QStringLiteral("/proc/thread-self/schedstat"));
        if (!f.open(QIODevice::ReadOnly))
            return 0;
        const QList<QByteArray> fields = f.readAll().split(' ');
        return fields.size() >= 2 ? fields.at(1).toLongLong() : 0;
    }

    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastWall = 0;
    qint64 m_lastQueued = 0;
    qint64 m_maxGapMs = 0;
    qint64 m_maxWallGapMs = 0;
    int m_ticks = 0;
};

QImage testPicture(int i)
{
    QImage image(160, 120, QImage::Format_RGB32);
    image.fill(QColor::fromHsv((i * 37) % 360, 160, 220));
    QPainter p(&image);
    p.setPen(Qt::black);
    p.drawRect(10 + i % 50, 10 + i % 30, 60, 40);
    p.drawText(image.rect(), Qt::AlignCenter, QString::number(i));
    return image;
}

void writeClip(const QString &path, const std::string &codec, int seconds, int fps)
{
    ml::io::VideoEncoder encoder;
    encoder.open(path.toStdString(), codec, 160, 120, fps);
    ml::io::RgbImage frame;
    frame.width = 160;
    frame.height = 120;
    frame.pixels.resize(160 * 120 * 3);
    for (int f = 0; f < seconds * fps; ++f) {
        for (int y = 0; y < 120; ++y)
            for (int x = 0; x < 160; ++x) {
                std::uint8_t *px = frame.row(y) + x * 3;
                px[0] = static_cast<std::uint8_t>(x + f * 4);
                px[1] = static_cast<std::uint8_t>(y * 2);
                px[2] = static_cast<std::uint8_t>(f * 8);
            }
        encoder.write(frame);
    }
    encoder.finish();
}

void sendDrop(QWidget *target, const QStringList &paths, bool *enterAccepted = nullptr)
{
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString &p : paths)
        urls << QUrl::fromLocalFile(p);
    mime.setUrls(urls);
    const QPoint pos = target->rect().center();
    QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &enter);
    if (enterAccepted)
        *enterAccepted = enter.isAccepted();
    QDropEvent drop(QPointF(pos), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &drop);
}

bool allVisibleSettled(GalleryView *view)
{
    const GalleryModel *model = view->galleryModel()->galleryModel();
    for (int row : view->visibleSourceRows())
        if (model->item(row).state == GalleryModel::State::Loading)
            return false;
    return true;
}

} // namespace

class TestGallery : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void dropFillsGalleryWithoutStalling();
    void dropTwiceAddsNothing();
    void filterAndSort();
    void statusBarShowsJobs();
    void previewImageVideoAndError();
    void twentyThousandItemsLoadOnlyVisible();
    void chineseTranslation();
    void cleanupTestCase();

private:
    QTemporaryDir m_tmp;
    QString m_media;
    QString m_truncated;
    QString m_notJpeg;
    std::unique_ptr<MainWindow> m_window;
};

void TestGallery::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    QCoreApplication::setOrganizationName(QStringLiteral("ModalLens"));
    QCoreApplication::setApplicationName(QStringLiteral("ModalLens-test"));
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_tmp.filePath(QStringLiteral("config")));
    Language::apply(QStringLiteral("en"));

    m_media = m_tmp.filePath(QStringLiteral("media"));
    QVERIFY(QDir().mkpath(m_media + QStringLiteral("/nested/deeper")));
    for (int i = 0; i < kCats + kDogs; ++i) {
        const bool cat = i < kCats;
        const QString sub = i % 3 == 0 ? QStringLiteral("/nested")
            : i % 3 == 1               ? QStringLiteral("/nested/deeper")
                                       : QString();
        const QString name = cat ? QStringLiteral("cat_%1.jpg").arg(i, 3, 10, QLatin1Char('0'))
                                 : QStringLiteral("dog_%1.png").arg(i, 3, 10, QLatin1Char('0'));
        QVERIFY(testPicture(i).save(m_media + sub + QLatin1Char('/') + name));
    }
    writeClip(m_media + QStringLiteral("/clip_1.mp4"), "h264", 2, 25);
    writeClip(m_media + QStringLiteral("/nested/clip_2.webm"), "vp9", 1, 24);
    writeClip(m_media + QStringLiteral("/clip_3.avi"), "mpeg4", 1, 30);

    m_notJpeg = m_media + QStringLiteral("/corrupt_text.jpg");
    QFile text(m_notJpeg);
    QVERIFY(text.open(QIODevice::WriteOnly));
    text.write("hello, I am a text file and not a JPEG at all\n");
    text.close();

    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(testPicture(999).save(&buffer, "PNG"));
    m_truncated = m_media + QStringLiteral("/corrupt_truncated.png");
    QFile truncated(m_truncated);
    QVERIFY(truncated.open(QIODevice::WriteOnly));
    truncated.write(png.left(64));
    truncated.close();

    // Not media: never listed.
    QFile notes(m_media + QStringLiteral("/notes.txt"));
    QVERIFY(notes.open(QIODevice::WriteOnly));
    notes.write("not a photo");
    notes.close();

    m_window = std::make_unique<MainWindow>();
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QCOMPARE(m_window->windowIcon().isNull(), false);
}

void TestGallery::dropFillsGalleryWithoutStalling()
{
    GalleryWidget *gallery = m_window->gallery();
    GalleryModel *model = gallery->model();
    GalleryView *view = gallery->view();
    QCOMPARE(model->rowCount(), 0);
    QVERIFY(QFileInfo(model->loader()->cacheDir()).isDir());
    QVERIFY(model->loader()->cacheDir().startsWith(qEnvironmentVariable("XDG_CACHE_HOME", QDir::homePath())));

    LatencyProbe probe;
    probe.start();

    bool accepted = false;
    sendDrop(m_window.get(), {m_media}, &accepted);
    QVERIFY(accepted);
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), kCats + kDogs + kClips + 2, kTimeoutMs);
    QVERIFY(!model->contains(m_media + QStringLiteral("/notes.txt")));

    // Thumbnails for what is on screen arrive; then page through the rest.
    QTRY_VERIFY_WITH_TIMEOUT(allVisibleSettled(view), kTimeoutMs);
    QScrollBar *bar = view->verticalScrollBar();
    QTRY_VERIFY_WITH_TIMEOUT(bar->maximum() > 0, kTimeoutMs);
    for (int y = 0; y <= bar->maximum() + bar->pageStep(); y += bar->pageStep() / 2) {
        bar->setValue(y);
        QTRY_VERIFY_WITH_TIMEOUT(allVisibleSettled(view), kTimeoutMs);
    }
    QTRY_COMPARE_WITH_TIMEOUT(model->countInState(GalleryModel::State::Loading), 0, kTimeoutMs);
    probe.stop();

    QCOMPARE(model->countInState(GalleryModel::State::Ready), kCats + kDogs + kClips);
    QCOMPARE(model->countInState(GalleryModel::State::Error), 2);
    for (const QString &bad : {m_notJpeg, m_truncated}) {
        const int row = model->rowOf(bad);
        QVERIFY2(row >= 0, qPrintable(bad));
        const GalleryModel::Item &it = model->item(row);
        QCOMPARE(it.state, GalleryModel::State::Error);
        QVERIFY2(!it.error.isEmpty(), qPrintable(bad));
        QVERIFY(it.thumbnail.isNull());
        QVERIFY(model->data(model->index(row), Qt::ToolTipRole).toString().contains(it.error.toHtmlEscaped()));
    }
    for (int row = 0; row < model->rowCount(); ++row) {
        const GalleryModel::Item &it = model->item(row);
        if (it.state != GalleryModel::State::Ready)
            continue;
        QVERIFY(!it.thumbnail.isNull());
        QVERIFY(it.thumbnail.width() <= GalleryView::kThumbBox.width());
        QVERIFY(it.thumbnail.height() <= GalleryView::kThumbBox.height());
        if (it.kind == ml::io::MediaKind::Video)
            QVERIFY2(it.durationS > 0.5, qPrintable(it.path));
    }

    qInfo("GUI thread while the gallery filled: longest stall %lld ms (%lld ms by the wall clock, run-queue waits "
          "included) over %d probe ticks",
        probe.maxGapMs(), probe.maxWallGapMs(), probe.ticks());
    QVERIFY2(probe.maxGapMs() < 50, qPrintable(QStringLiteral("GUI thread blocked for %1 ms").arg(probe.maxGapMs())));
}

void TestGallery::dropTwiceAddsNothing()
{
    GalleryWidget *gallery = m_window->gallery();
    const int before = gallery->model()->rowCount();
    QSignalSpy finished(gallery, &GalleryWidget::scanFinished);
    sendDrop(m_window.get(), {m_media, m_notJpeg, m_media + QStringLiteral("/nested")});
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(finished.first().at(1).toInt(), 0); // added
    QCOMPARE(gallery->model()->rowCount(), before);
}

void TestGallery::filterAndSort()
{
    GalleryWidget *gallery = m_window->gallery();
    GalleryFilterModel *proxy = gallery->proxy();
    const int total = kCats + kDogs + kClips + 2;
    QCOMPARE(proxy->rowCount(), total);

    gallery->nameFilterEdit()->setText(QStringLiteral("CAT_"));
    QCOMPARE(proxy->rowCount(), kCats);
    gallery->nameFilterEdit()->setText(QStringLiteral("corrupt"));
    QCOMPARE(proxy->rowCount(), 2);
    gallery->nameFilterEdit()->setText(QStringLiteral("no such name"));
    QCOMPARE(proxy->rowCount(), 0);
    gallery->nameFilterEdit()->clear();

    gallery->kindCombo()->setCurrentIndex(static_cast<int>(GalleryFilterModel::KindFilter::Videos));
    QCOMPARE(proxy->rowCount(), kClips);
    gallery->kindCombo()->setCurrentIndex(static_cast<int>(GalleryFilterModel::KindFilter::Images));
    QCOMPARE(proxy->rowCount(), kCats + kDogs + 2);
    gallery->nameFilterEdit()->setText(QStringLiteral("dog"));
    QCOMPARE(proxy->rowCount(), kDogs);
    gallery->kindCombo()->setCurrentIndex(static_cast<int>(GalleryFilterModel::KindFilter::All));
    gallery->nameFilterEdit()->clear();
    QCOMPARE(proxy->rowCount(), total);

    auto column = [&](int role) {
        QList<QVariant> values;
        for (int r = 0; r < proxy->rowCount(); ++r)
            values << proxy->index(r, 0).data(role);
        return values;
    };
    gallery->sortCombo()->setCurrentIndex(static_cast<int>(GalleryFilterModel::SortKey::Size));
    const auto sizes = column(GalleryModel::SizeRole);
    for (int i = 1; i < sizes.size(); ++i)
        QVERIFY(sizes[i - 1].toLongLong() <= sizes[i].toLongLong());
    gallery->sortCombo()->setCurrentIndex(static_cast<int>(GalleryFilterModel::SortKey::Date));
    const auto dates = column(GalleryModel::ModifiedRole);
    for (int i = 1; i < dates.size(); ++i)
        QVERIFY(dates[i - 1].toDateTime() <= dates[i].toDateTime());
    gallery->sortCombo()->setCurrentIndex(static_cast<int>(GalleryFilterModel::SortKey::Name));
    const auto names = column(GalleryModel::NameRole);
    QCOMPARE(names.first().toString(), QStringLiteral("cat_000.jpg"));
    for (int i = 1; i < names.size(); ++i)
        QVERIFY(names[i - 1].toString().compare(names[i].toString(), Qt::CaseInsensitive) <= 0);
}

void TestGallery::statusBarShowsJobs()
{
    // A job through the bridge shows in the status bar and Cancel stops it.
    EngineBridge *bridge = m_window->bridge();
    QSignalSpy finished(bridge, &EngineBridge::finished);
    QVERIFY(!m_window->findChild<QPushButton *>(QStringLiteral("jobCancel"))->isEnabled());
    const quint64 id = bridge->submit(QStringLiteral("Long job"), [](ml::JobContext &ctx) {
        for (int i = 0; i < 100000; ++i) {
            ctx.throwIfCancelled();
            ctx.report(i, 100000, "waiting");
            QThread::msleep(2);
        }
        return QVariant();
    });
    QTRY_VERIFY_WITH_TIMEOUT(m_window->findChild<QPushButton *>(QStringLiteral("jobCancel"))->isEnabled(), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        m_window->findChild<QProgressBar *>(QStringLiteral("jobProgress"))->value() > 0, kTimeoutMs);
    QVERIFY(m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text().contains(QStringLiteral("Long job")));
    QCOMPARE(m_window->findChild<QProgressBar *>(QStringLiteral("jobProgress"))->maximum(), 100000);
    QTest::mouseClick(m_window->findChild<QPushButton *>(QStringLiteral("jobCancel")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(finished.first().at(0).toULongLong(), id);
    QCOMPARE(finished.first().at(1).toBool(), false); // ok
    QCOMPARE(finished.first().at(3).toBool(), true);  // cancelled
    QTRY_VERIFY(!m_window->findChild<QPushButton *>(QStringLiteral("jobCancel"))->isEnabled());

    // Partial results and std::any values reach the GUI thread as QVariant.
    QSignalSpy partial(bridge, &EngineBridge::partial);
    bridge->submit(QStringLiteral("Partial"), [](ml::JobContext &ctx) {
        ctx.partial("token", std::string("hello"));
        ctx.partial("metric", 0.5);
        return QVariant(42);
    });
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, kTimeoutMs);
    QCOMPARE(partial.count(), 2);
    QCOMPARE(partial.at(0).at(2).toString(), QStringLiteral("hello"));
    QCOMPARE(partial.at(1).at(2).toDouble(), 0.5);
    QCOMPARE(finished.last().at(4).toInt(), 42);
}

void TestGallery::previewImageVideoAndError()
{
    PreviewPane *preview = m_window->preview();
    QSignalSpy loaded(preview, &PreviewPane::loaded);
    QSignalSpy failed(preview, &PreviewPane::failed);
    GalleryModel *model = m_window->gallery()->model();

    const QString photo = model->item(0).path;
    preview->showFile(photo);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kTimeoutMs);
    QCOMPARE(preview->page(), PreviewPane::Page::Image);
    QCOMPARE(preview->imageView()->imageSize(), QSize(160, 120));
    preview->imageView()->actualSize();
    QCOMPARE(preview->imageView()->zoom(), 1.0);
    preview->imageView()->zoomBy(2.0, QPointF(10, 10));
    QCOMPARE(preview->imageView()->zoom(), 2.0);
    preview->imageView()->fitToWindow();
    QVERIFY(preview->imageView()->isFitted());

    preview->showFile(m_media + QStringLiteral("/clip_1.mp4"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, kTimeoutMs);
    QCOMPARE(preview->page(), PreviewPane::Page::Video);
    VideoPlayer *player = preview->videoPlayer();
    QTRY_VERIFY_WITH_TIMEOUT(player->view()->hasImage(), kTimeoutMs);
    QVERIFY(qAbs(player->duration() - 2.0) < 0.1);
    QSignalSpy frames(player, &VideoPlayer::frameShown);
    player->seek(1.0);
    QTRY_VERIFY_WITH_TIMEOUT(!frames.isEmpty() && qAbs(player->position() - 1.0) < 0.05, kTimeoutMs);
    player->play();
    QTRY_VERIFY_WITH_TIMEOUT(player->position() > 1.3, kTimeoutMs);
    player->pause();
    QVERIFY(!player->isPlaying());

    preview->showFile(m_notJpeg);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kTimeoutMs);
    QCOMPARE(preview->page(), PreviewPane::Page::Message);
    QVERIFY(preview->hasError());
    QVERIFY(!failed.first().at(1).toString().isEmpty());

    // A corrupt clip is an error on the pane, not a crash.
    const QString badClip = m_tmp.filePath(QStringLiteral("broken.mp4"));
    QFile f(badClip);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(4096, 'x'));
    f.close();
    preview->showFile(badClip);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, kTimeoutMs);
    QVERIFY(preview->hasError());
}

void TestGallery::twentyThousandItemsLoadOnlyVisible()
{
    constexpr int kItems = 20000;
    EngineBridge bridge;
    GalleryWidget gallery(&bridge, nullptr, m_tmp.filePath(QStringLiteral("thumbs20k")));
    GalleryModel *model = gallery.model();
    GalleryView *view = gallery.view();
    QSet<int> requested;
    connect(model, &GalleryModel::thumbnailRequested, this, [&](int row) { requested.insert(row); });

    QList<GalleryModel::Entry> entries;
    for (int i = 0; i < kItems; ++i)
        entries.append({QStringLiteral("/nonexistent/synthetic/img_%1.jpg").arg(i, 5, 10, QLatin1Char('0')),
            ml::io::MediaKind::Image, 1000 + i, 1'600'000'000'000 + i});
    gallery.resize(1200, 800);
    gallery.show();
    QVERIFY(QTest::qWaitForWindowExposed(&gallery));
    QElapsedTimer adding;
    adding.start();
    QCOMPARE(model->addEntries(entries), kItems);
    qInfo("20k items: addEntries took %lld ms on the GUI thread", adding.elapsed());
    QCOMPARE(model->addEntries(entries.mid(0, 100)), 0); // already there
    QCOMPARE(gallery.proxy()->rowCount(), kItems);

    // Batched layout places every item before the end can be scrolled to.
    QTRY_VERIFY_WITH_TIMEOUT(view->visualRect(gallery.proxy()->index(kItems - 1, 0)).isValid(), kTimeoutMs);

    QSet<int> everVisible;
    LatencyProbe probe;
    probe.start();
    QScrollBar *bar = view->verticalScrollBar();
    for (double at : {0.0, 0.25, 0.5, 0.75, 1.0}) {
        bar->setValue(static_cast<int>(bar->maximum() * at));
        QTRY_VERIFY_WITH_TIMEOUT(!view->visibleSourceRows().isEmpty() && allVisibleSettled(view), kTimeoutMs);
        const QList<int> visible = view->visibleSourceRows();
        everVisible.unite(QSet<int>(visible.cbegin(), visible.cend()));
    }
    probe.stop();
    qInfo("20k items: %lld thumbnails requested for %lld rows ever visible; longest stall %lld ms (wall %lld ms)",
        static_cast<long long>(requested.size()), static_cast<long long>(everVisible.size()), probe.maxGapMs(),
        probe.maxWallGapMs());

    QVERIFY(!requested.isEmpty());
    QVERIFY2(requested.size() < 500, "far more thumbnails requested than were ever on screen");
    for (int row : std::as_const(requested))
        QVERIFY2(everVisible.contains(row), qPrintable(QStringLiteral("row %1 requested but never visible").arg(row)));
    // Everything on screen ended up settled (these synthetic files fail with a message).
    for (int row : view->visibleSourceRows()) {
        QCOMPARE(model->item(row).state, GalleryModel::State::Error);
        QVERIFY(!model->item(row).error.isEmpty());
    }
}

void TestGallery::chineseTranslation()
{
    QVERIFY2(QDir(QStringLiteral(":/i18n")).entryList().contains(QStringLiteral("modallens_zh_CN.qm")),
        qPrintable(QDir(QStringLiteral(":/i18n")).entryList().join(QLatin1Char(' '))));
    QCOMPARE(Language::apply(QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
    QCoreApplication::processEvents();
    QCOMPARE(m_window->menuBar()->actions().first()->text(), QStringLiteral("文件(&F)"));
    QVERIFY(m_window->gallery()->nameFilterEdit()->placeholderText() != QStringLiteral("Filter by name…"));
    QCOMPARE(Language::apply(QStringLiteral("en")), QStringLiteral("en"));
    QCoreApplication::processEvents();
    QCOMPARE(m_window->menuBar()->actions().first()->text(), QStringLiteral("&File"));
}

void TestGallery::cleanupTestCase()
{
    m_window.reset();
}

QTEST_MAIN(TestGallery)
#include "test_gallery.moc"
