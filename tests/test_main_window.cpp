// The app shell, offscreen: the gallery comes back after a restart (what was opened, the sort, the
// current item; what went missing is reported, not dropped silently); the gallery's context menu
// (Open, Show in Folder, Copy Path, Classify, Explain, Find Similar) on one item and on a
// selection; File ▸ Open Recent; core's English (job names, errors) and Qt's own dialogs, dates
// and numbers in Simplified Chinese.
#include "classify/classify_controller.h"
#include "classify/classify_panel.h"
#include "common/engine_bridge.h"
#include "common/engine_text.h"
#include "common/feature_layout.h"
#include "common/heatmap_view.h"
#include "common/language.h"
#include "common/model_picker.h"
#include "explain/attention_panel.h"
#include "explain/explain_controller.h"
#include "gallery/filmstrip.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "gallery/preview_pane.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "recent_menu.h"
#include "workspace.h"

#include "common/error.h"
#include "engine/clip_service.h"

#include <QClipboard>
#include <QComboBox>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QImage>
#include <QLabel>
#include <QLibraryInfo>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QThread>
#include <QToolButton>
#include <QUrl>
#include <QtTest>

#include <filesystem>
#include <memory>

namespace {

constexpr int kTimeoutMs = 120000;

bool clipMiniPresent()
{
    try {
        return std::filesystem::is_regular_file(
            std::filesystem::path(ml::resolveModelPath("clip-mini")) / "model.safetensors");
    } catch (const ml::Error &) {
        return false;
    }
}

void writePicture(const QString &path, int i)
{
    QImage image(96 + 8 * i, 64, QImage::Format_RGB32); // sizes differ: sorting by size means something
    image.fill(QColor::fromHsv((i * 47) % 360, 180, 220));
    QVERIFY(image.save(path));
}

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

QModelIndex proxyIndexOf(GalleryWidget *gallery, const QString &path)
{
    const int row = gallery->model()->rowOf(path);
    return row >= 0 ? gallery->proxy()->mapFromSource(gallery->model()->index(row)) : QModelIndex();
}

QAction *actionNamed(QMenu *menu, const QString &name)
{
    for (QAction *a : menu->actions())
        if (a->objectName() == name)
            return a;
    return nullptr;
}

bool dockOnTop(QWidget *panel)
{
    return !panel->visibleRegion().isEmpty();
}

} // namespace

// QDesktopServices hands file URLs here instead of to the desktop.
class UrlRecorder : public QObject {
    Q_OBJECT
public:
    QList<QUrl> urls;
public Q_SLOTS:
    void open(const QUrl &url) { urls << url; }
};

class TestMainWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void restoresTheGalleryAfterARestart();
    void reportsWhatWentMissing();
    void contextMenuOnOneItem();
    void contextMenuOnASelection();
    void classifyAndExplainFromTheMenu();
    void openRecent();
    void workspaceModulesFilmstripAndLayout();
    void coreTextInChinese();
    void qtDialogsAndDatesInChinese();

private:
    std::unique_ptr<MainWindow> showWindow();
    std::unique_ptr<MainWindow> newWindow(); // not shown yet: spies can be connected first
    static bool show(MainWindow *window);
    void selectOnly(GalleryWidget *gallery, const QStringList &paths);

    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_a, m_b, m_single, m_video, m_corrupt; // folders a/ and b/, a lone photo, a "video"
    QStringList m_aPhotos, m_bPhotos;
    std::unique_ptr<MainWindow> m_window; // the window the menu cases share
    UrlRecorder m_recorder;
};

void TestMainWindow::initTestCase()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_main_window"));
    Language::apply(QStringLiteral("en"));

    const QDir root(m_tmp->path());
    m_a = root.filePath(QStringLiteral("media/a"));
    m_b = root.filePath(QStringLiteral("media/b"));
    QVERIFY(QDir().mkpath(m_a) && QDir().mkpath(m_b));
    for (int i = 0; i < 3; ++i) {
        m_aPhotos << m_a + QStringLiteral("/a%1.png").arg(i);
        writePicture(m_aPhotos.last(), i);
    }
    for (int i = 0; i < 2; ++i) {
        m_bPhotos << m_b + QStringLiteral("/b%1.png").arg(i);
        writePicture(m_bPhotos.last(), 3 + i);
    }
    m_corrupt = m_a + QStringLiteral("/corrupt.jpg");
    writeBytes(m_corrupt, "hello, I am not a JPEG\n");
    m_video = m_a + QStringLiteral("/clip.mp4"); // listed as a video by its name
    writeBytes(m_video, QByteArray(2048, 'x'));
    m_single = root.filePath(QStringLiteral("media/single.png"));
    writePicture(m_single, 7);
    QDesktopServices::setUrlHandler(QStringLiteral("file"), &m_recorder, "open");
}

void TestMainWindow::cleanupTestCase()
{
    QDesktopServices::unsetUrlHandler(QStringLiteral("file"));
    m_window.reset();
}

std::unique_ptr<MainWindow> TestMainWindow::showWindow()
{
    return main_window_test::showMainWindow(m_tmp->path(), QSize(1400, 900));
}

std::unique_ptr<MainWindow> TestMainWindow::newWindow()
{
    return std::make_unique<MainWindow>(nullptr, m_tmp->path() + QStringLiteral("/thumbs"));
}

bool TestMainWindow::show(MainWindow *window)
{
    window->resize(1400, 900);
    window->show();
    return QTest::qWaitForWindowExposed(window);
}

void TestMainWindow::selectOnly(GalleryWidget *gallery, const QStringList &paths)
{
    QItemSelection selection;
    for (const QString &p : paths) {
        const QModelIndex index = proxyIndexOf(gallery, p);
        QVERIFY2(index.isValid(), qPrintable(p));
        selection.select(index, index);
    }
    gallery->view()->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    gallery->view()->selectionModel()->setCurrentIndex(
        proxyIndexOf(gallery, paths.first()), QItemSelectionModel::NoUpdate);
}

void TestMainWindow::restoresTheGalleryAfterARestart()
{
    const int inA = static_cast<int>(m_aPhotos.size()) + 2; // + corrupt.jpg, clip.mp4
    const int all = inA + static_cast<int>(m_bPhotos.size()) + 1;
    {
        auto window = showWindow();
        QVERIFY(window);
        GalleryWidget *gallery = window->gallery();
        QCOMPARE(gallery->model()->rowCount(), 0); // a fresh profile: nothing to restore
        QVERIFY(!gallery->isRestoring());
        window->openPaths({m_a, m_single});
        window->openPaths({m_b});
        QTRY_COMPARE_WITH_TIMEOUT(gallery->model()->rowCount(), all, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!gallery->isScanning(), kTimeoutMs);
        gallery->sortCombo()->setCurrentIndex(static_cast<int>(GalleryFilterModel::SortKey::Size));
        gallery->orderButton()->setChecked(true); // reversed
        gallery->kindCombo()->setCurrentIndex(static_cast<int>(GalleryFilterModel::KindFilter::Images));
        gallery->nameFilterEdit()->setText(QStringLiteral(".png"));
        gallery->view()->setCurrentIndex(proxyIndexOf(gallery, m_bPhotos.at(1)));
        // Saved as it changes, not only at close: an app that is killed keeps its gallery.
        const QStringList opened {QDir::cleanPath(m_a), QDir::cleanPath(m_single), QDir::cleanPath(m_b)};
        QTRY_COMPARE_WITH_TIMEOUT(
            QSettings().value(QStringLiteral("gallery/paths")).toStringList(), opened, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(
            QSettings().value(QStringLiteral("gallery/nameFilter")).toString(), QStringLiteral(".png"), kTimeoutMs);
        QVERIFY(window->close()); // what quitting does: the session is saved
    }
    const QStringList saved = QSettings().value(QStringLiteral("gallery/paths")).toStringList();
    QCOMPARE(saved, QStringList({QDir::cleanPath(m_a), QDir::cleanPath(m_single), QDir::cleanPath(m_b)}));

    // The next start: nothing scanned on the GUI thread in the constructor, the scan runs as a job.
    auto window = newWindow();
    GalleryWidget *gallery = window->gallery();
    QVERIFY(gallery->isRestoring());
    QCOMPARE(gallery->model()->rowCount(), 0);
    QCOMPARE(gallery->sortCombo()->currentIndex(), static_cast<int>(GalleryFilterModel::SortKey::Size));
    QCOMPARE(gallery->kindCombo()->currentIndex(), static_cast<int>(GalleryFilterModel::KindFilter::Images));
    QCOMPARE(gallery->nameFilterEdit()->text(), QStringLiteral(".png"));
    QCOMPARE(gallery->proxy()->sortOrder(), Qt::DescendingOrder);
    QSignalSpy finished(gallery, &GalleryWidget::scanFinished);
    QVERIFY(show(window.get()));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(finished.first().at(2).toBool(), true); // restored
    QCOMPARE(gallery->model()->rowCount(), all);
    QCOMPARE(gallery->openedPaths(), saved);
    QCOMPARE(gallery->proxy()->rowCount(), static_cast<int>(m_aPhotos.size() + m_bPhotos.size()) + 1);
    QCOMPARE(gallery->view()->currentIndex().data(GalleryModel::PathRole).toString(), m_bPhotos.at(1));
    QVERIFY(window->findChildren<QMessageBox *>().isEmpty()); // nothing went missing
    QVERIFY(window->statusBar()->currentMessage().contains(QString::number(all)));
    // The largest file first (sorted by size, reversed).
    for (int row = 1; row < gallery->proxy()->rowCount(); ++row)
        QVERIFY(gallery->proxy()->index(row - 1, 0).data(GalleryModel::SizeRole).toLongLong()
            >= gallery->proxy()->index(row, 0).data(GalleryModel::SizeRole).toLongLong());

    // Cleared: the next start is empty too.
    gallery->clear();
    gallery->nameFilterEdit()->clear();
    gallery->kindCombo()->setCurrentIndex(0);
    QVERIFY(window->close());
    QVERIFY(QSettings().value(QStringLiteral("gallery/paths")).toStringList().isEmpty());
}

void TestMainWindow::reportsWhatWentMissing()
{
    const QString gone = m_tmp->path() + QStringLiteral("/media/gone");
    const QString goneFile = m_tmp->path() + QStringLiteral("/media/gone.png");
    QVERIFY(QDir().mkpath(gone));
    writePicture(gone + QStringLiteral("/g.png"), 9);
    writePicture(goneFile, 10);
    {
        auto window = showWindow();
        QVERIFY(window);
        window->openPaths({m_a, gone, goneFile});
        QTRY_VERIFY_WITH_TIMEOUT(window->gallery()->model()->rowOf(goneFile) >= 0, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!window->gallery()->isScanning(), kTimeoutMs);
        QVERIFY(window->close());
    }
    QVERIFY(QDir(gone).removeRecursively());
    QVERIFY(QFile::remove(goneFile));

    auto window = newWindow();
    GalleryWidget *gallery = window->gallery();
    QSignalSpy missing(gallery, &GalleryWidget::missingPaths);
    QVERIFY(show(window.get()));
    QTRY_VERIFY_WITH_TIMEOUT(!gallery->isRestoring(), kTimeoutMs);
    QCOMPARE(missing.count(), 1);
    QCOMPARE(missing.first().at(0).toStringList(), QStringList({QDir::cleanPath(gone), QDir::cleanPath(goneFile)}));
    QCOMPARE(missing.first().at(1).toBool(), true);
    auto *box = window->findChild<QMessageBox *>(QStringLiteral("missingPathsBox"));
    QVERIFY(box);
    QVERIFY(box->isVisible()); // open(), not exec(): start-up went on
    QVERIFY2(box->informativeText().contains(QDir::toNativeSeparators(gone)), qPrintable(box->informativeText()));
    QVERIFY(box->informativeText().contains(QDir::toNativeSeparators(goneFile)));
    QVERIFY(box->text().contains(QStringLiteral("2 ")));
    QCOMPARE(gallery->model()->rowCount(), static_cast<int>(m_aPhotos.size()) + 2); // the rest is there
    QCOMPARE(gallery->openedPaths(), QStringList({QDir::cleanPath(m_a)}));
    box->close();

    // A path that is not there, opened now: the status bar says so.
    window->openPaths({gone});
    QTRY_VERIFY_WITH_TIMEOUT(
        window->statusBar()->currentMessage().contains(QDir::toNativeSeparators(gone)), kTimeoutMs);
    QVERIFY(window->statusBar()->currentMessage().startsWith(QStringLiteral("Not found")));
    QVERIFY(window->findChildren<QMessageBox *>().isEmpty());

    // Reported once: the next session does not list them.
    QVERIFY(window->close());
    QCOMPARE(QSettings().value(QStringLiteral("gallery/paths")).toStringList(), QStringList({QDir::cleanPath(m_a)}));
}

void TestMainWindow::contextMenuOnOneItem()
{
    m_window = showWindow();
    QVERIFY(m_window);
    GalleryWidget *gallery = m_window->gallery();
    QTRY_VERIFY_WITH_TIMEOUT(!gallery->isRestoring(), kTimeoutMs); // a/ from the last case
    m_window->openPaths({m_b, m_single});
    QTRY_VERIFY_WITH_TIMEOUT(gallery->model()->rowOf(m_single) >= 0 && !gallery->isScanning(), kTimeoutMs);
    GalleryView *view = gallery->view();

    const QString photo = m_aPhotos.at(1);
    selectOnly(gallery, {photo});
    std::unique_ptr<QMenu> menu(view->createContextMenu(proxyIndexOf(gallery, photo)));
    QStringList names;
    for (QAction *a : menu->actions())
        if (!a->isSeparator())
            names << a->objectName();
    QCOMPARE(names,
        QStringList({QStringLiteral("contextOpen"), QStringLiteral("contextShowInFolder"),
            QStringLiteral("contextCopyPath"), QStringLiteral("contextClassify"), QStringLiteral("contextExplain"),
            QStringLiteral("contextChat"), QStringLiteral("contextFindSimilar")}));
    for (QAction *a : menu->actions())
        QVERIFY2(a->isSeparator() || a->isEnabled(), qPrintable(a->objectName()));
    QCOMPARE(actionNamed(menu.get(), QStringLiteral("contextOpen"))->text(), QStringLiteral("Open"));

    m_recorder.urls.clear();
    actionNamed(menu.get(), QStringLiteral("contextOpen"))->trigger();
    QCOMPARE(m_recorder.urls, QList<QUrl>({QUrl::fromLocalFile(photo)}));
    m_recorder.urls.clear();
    actionNamed(menu.get(), QStringLiteral("contextShowInFolder"))->trigger();
    QCOMPARE(m_recorder.urls, QList<QUrl>({QUrl::fromLocalFile(m_a)}));
    actionNamed(menu.get(), QStringLiteral("contextCopyPath"))->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), QDir::toNativeSeparators(photo));
    QCOMPARE(QGuiApplication::clipboard()->mimeData()->urls(), QList<QUrl>({QUrl::fromLocalFile(photo)}));

    // A video: classified and searched by photos only, so those two are off and say why.
    selectOnly(gallery, {m_video});
    menu.reset(view->createContextMenu(proxyIndexOf(gallery, m_video)));
    QAction *classify = actionNamed(menu.get(), QStringLiteral("contextClassify"));
    QAction *similar = actionNamed(menu.get(), QStringLiteral("contextFindSimilar"));
    QVERIFY(!classify->isEnabled() && !classify->toolTip().isEmpty());
    QVERIFY(!similar->isEnabled() && !similar->toolTip().isEmpty());
    QVERIFY(actionNamed(menu.get(), QStringLiteral("contextExplain"))->isEnabled());
    QVERIFY(actionNamed(menu.get(), QStringLiteral("contextOpen"))->isEnabled());

    // Find Similar: the Search panel, raised.
    selectOnly(gallery, {photo});
    menu.reset(view->createContextMenu(proxyIndexOf(gallery, photo)));
    QSignalSpy similarSpy(view, &GalleryView::findSimilarRequested);
    actionNamed(menu.get(), QStringLiteral("contextFindSimilar"))->trigger();
    QCOMPARE(similarSpy.count(), 1);
    QCOMPARE(similarSpy.first().at(0).toString(), photo);
    QTRY_VERIFY(dockOnTop(m_window->findChild<QWidget *>(QStringLiteral("search")))); // SearchPanel
}

void TestMainWindow::contextMenuOnASelection()
{
    GalleryWidget *gallery = m_window->gallery();
    GalleryView *view = gallery->view();
    const QStringList chosen {m_aPhotos.at(0), m_video, m_bPhotos.at(0)};
    selectOnly(gallery, chosen);

    // Right-clicked inside the selection: the whole selection (photos only for Classify).
    std::unique_ptr<QMenu> menu(view->createContextMenu(proxyIndexOf(gallery, m_bPhotos.at(0))));
    QCOMPARE(view->contextPaths(proxyIndexOf(gallery, m_bPhotos.at(0))).size(), 3);
    QCOMPARE(actionNamed(menu.get(), QStringLiteral("contextOpen"))->text(), QStringLiteral("Open 3 Files"));
    QCOMPARE(actionNamed(menu.get(), QStringLiteral("contextCopyPath"))->text(), QStringLiteral("Copy 3 Paths"));
    QCOMPARE(actionNamed(menu.get(), QStringLiteral("contextClassify"))->text(), QStringLiteral("Classify 2 Photos"));
    m_recorder.urls.clear();
    actionNamed(menu.get(), QStringLiteral("contextOpen"))->trigger();
    QCOMPARE(m_recorder.urls.size(), 3);
    for (const QString &p : chosen)
        QVERIFY(m_recorder.urls.contains(QUrl::fromLocalFile(p)));
    // Two files in a/, one in b/: two folders, each once.
    m_recorder.urls.clear();
    actionNamed(menu.get(), QStringLiteral("contextShowInFolder"))->trigger();
    QCOMPARE(m_recorder.urls.size(), 2);
    QVERIFY(m_recorder.urls.contains(QUrl::fromLocalFile(m_a)) && m_recorder.urls.contains(QUrl::fromLocalFile(m_b)));
    actionNamed(menu.get(), QStringLiteral("contextCopyPath"))->trigger();
    QStringList lines = QGuiApplication::clipboard()->text().split(QLatin1Char('\n'));
    lines.sort();
    QStringList expected;
    for (const QString &p : chosen)
        expected << QDir::toNativeSeparators(p);
    expected.sort();
    QCOMPARE(lines, expected);
    QSignalSpy classify(view, &GalleryView::classifyRequested);
    QSignalSpy explain(view, &GalleryView::explainRequested);
    QSignalSpy similar(view, &GalleryView::findSimilarRequested);
    QSignalSpy chat(view, &GalleryView::chatRequested);
    actionNamed(menu.get(), QStringLiteral("contextExplain"))->trigger();
    actionNamed(menu.get(), QStringLiteral("contextFindSimilar"))->trigger();
    actionNamed(menu.get(), QStringLiteral("contextChat"))->trigger();
    QCOMPARE(explain.first().at(0).toString(), m_bPhotos.at(0)); // the one right-clicked
    QCOMPARE(chat.first().at(0).toString(), m_bPhotos.at(0));
    QCOMPARE(similar.first().at(0).toString(), m_bPhotos.at(0));
    QCOMPARE(view->selectionModel()->selectedIndexes().size(), 3); // Explain kept the selection
    QCOMPARE(classify.count(), 0);

    // Right-clicked outside the selection: just that item.
    menu.reset(view->createContextMenu(proxyIndexOf(gallery, m_single)));
    QCOMPARE(view->contextPaths(proxyIndexOf(gallery, m_single)), QStringList({m_single}));
    QCOMPARE(actionNamed(menu.get(), QStringLiteral("contextOpen"))->text(), QStringLiteral("Open"));
}

void TestMainWindow::classifyAndExplainFromTheMenu()
{
    if (!clipMiniPresent())
        QSKIP("clip-mini is not built into this tree");
    GalleryWidget *gallery = m_window->gallery();
    GalleryView *view = gallery->view();
    ClassifyPanel *classifyPanel = m_window->classifyPanel();
    QTRY_VERIFY_WITH_TIMEOUT(!classifyPanel->modelPicker()->currentPath().isEmpty(), kTimeoutMs);

    // Classify: the photos of the selection, in the Classify panel, raised.
    selectOnly(gallery, {m_aPhotos.at(0), m_video, m_bPhotos.at(0)});
    std::unique_ptr<QMenu> menu(view->createContextMenu(proxyIndexOf(gallery, m_aPhotos.at(0))));
    actionNamed(menu.get(), QStringLiteral("contextClassify"))->trigger();
    QTRY_VERIFY(dockOnTop(classifyPanel));
    QTRY_COMPARE_WITH_TIMEOUT(classifyPanel->controller()->imageResultCount(), 2, kTimeoutMs);
    QStringList classified;
    for (int i = 0; i < classifyPanel->controller()->imageResultCount(); ++i)
        classified << QString::fromStdString(classifyPanel->controller()->imageResult(i).file);
    classified.sort();
    QStringList expected {m_aPhotos.at(0), m_bPhotos.at(0)};
    expected.sort();
    QCOMPARE(classified, expected);

    // Explain: the Attention panel on that item, raised; a map comes.
    AttentionPanel *attention = m_window->attentionPanel();
    QSignalSpy shown(attention, &AttentionPanel::mapShown);
    selectOnly(gallery, {m_single});
    menu.reset(view->createContextMenu(proxyIndexOf(gallery, m_single)));
    actionNamed(menu.get(), QStringLiteral("contextExplain"))->trigger();
    QCOMPARE(attention->controller()->currentPath(), m_single);
    QTRY_VERIFY(dockOnTop(attention));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && !attention->controller()->isBusy(), kTimeoutMs);
    QVERIFY2(!attention->controller()->messageIsError(), qPrintable(attention->controller()->message()));
    QVERIFY(attention->controller()->result().has_value());

    // Explain on a corrupt file: an error, and nothing of the last map left under its name.
    selectOnly(gallery, {m_corrupt});
    menu.reset(view->createContextMenu(proxyIndexOf(gallery, m_corrupt)));
    actionNamed(menu.get(), QStringLiteral("contextExplain"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(attention->controller()->messageIsError(), kTimeoutMs);
    QVERIFY2(attention->controller()->message().contains(QStringLiteral("corrupt.jpg")),
        qPrintable(attention->controller()->message()));
    QVERIFY(!attention->controller()->result().has_value());
    QVERIFY(attention->controller()->currentMap().empty());
    QVERIFY(attention->findChild<HeatmapView *>(QStringLiteral("attentionView"))
                ->image()
                .isNull()); // not the last picture either
}

void TestMainWindow::workspaceModulesFilmstripAndLayout()
{
    const int sideWidth = 420;
    {
        auto window = showWindow();
        QVERIFY(window);
        Workspace *workspace = window->workspace();
        // The Library and one module per feature, named on the bar as the panels title themselves.
        QStringList names;
        for (int i = 0; i < workspace->count(); ++i)
            names << workspace->module(i)->objectName();
        QCOMPARE(names,
            QStringList({QStringLiteral("library"), QStringLiteral("classify"), QStringLiteral("coop"),
                QStringLiteral("training"), QStringLiteral("search"), QStringLiteral("attention"),
                QStringLiteral("chat"), QStringLiteral("qformer"), QStringLiteral("diffusion")}));
        for (int i = 0; i < workspace->count(); ++i)
            QCOMPARE(workspace->moduleBar()->tabText(i), workspace->module(i)->windowTitle());
        QCOMPARE(workspace->currentModule(), window->library());
        for (int i = 1; i < workspace->count(); ++i) // every feature: a main view beside its settings
            QVERIFY2(
                workspace->module(i)->findChild<FeatureLayout *>(), qPrintable(workspace->module(i)->objectName()));
        QVERIFY(!window->filmstrip()->isVisible()); // the Library's grid is the gallery there
        QVERIFY(window->gallery()->isVisible() && window->preview()->isVisible());

        // Any other module: it owns the central area, the filmstrip shows the gallery below.
        window->openPaths({m_a});
        QTRY_VERIFY_WITH_TIMEOUT(window->gallery()->model()->rowCount() > 0, kTimeoutMs);
        window->findChild<QAction *>(QStringLiteral("module_attention"))->trigger();
        QCOMPARE(workspace->currentModule(), window->attentionPanel());
        QVERIFY(window->attentionPanel()->isVisible());
        QVERIFY(!window->gallery()->isVisible());
        QTRY_VERIFY(window->filmstrip()->isVisible());
        Filmstrip *strip = window->filmstrip();
        QCOMPARE(strip->model()->rowCount(), window->gallery()->proxy()->rowCount());
        // The strip's current item is the gallery's: every feature follows it.
        const QModelIndex photo = proxyIndexOf(window->gallery(), m_aPhotos.at(1));
        QSignalSpy current(window->gallery(), &GalleryWidget::currentChanged);
        strip->setCurrentIndex(photo);
        QCOMPARE(window->gallery()->view()->currentIndex(), photo);
        QTRY_VERIFY(!current.isEmpty());
        QCOMPARE(current.last().at(0).toString(), m_aPhotos.at(1));
        QCOMPARE(window->attentionPanel()->controller()->currentPath(), m_aPhotos.at(1));
        QVERIFY(strip->viewport()->rect().intersects(strip->visualRect(photo)));

        // View > Filmstrip off hides it; the choice is kept.
        auto *filmstripAction = window->findChild<QAction *>(QStringLiteral("viewFilmstrip"));
        filmstripAction->setChecked(false);
        QVERIFY(!strip->isVisible());
        filmstripAction->setChecked(true);
        QVERIFY(strip->isVisible());

        // A feature's side panel width is remembered with the module that was on screen.
        auto *layout = window->attentionPanel()->findChild<FeatureLayout *>();
        QVERIFY(layout);
        {
            window->showModule(window->attentionPanel());
            QTRY_VERIFY(layout->isVisible());
            layout->setSizes({layout->width() - sideWidth - layout->handleWidth(), sideWidth});
            QCOMPARE(layout->sizes().last(), sideWidth);
        }
        QVERIFY(window->close());
    }
    auto window = showWindow();
    QVERIFY(window);
    auto *layout = window->attentionPanel()->findChild<FeatureLayout *>();
    QVERIFY(layout);
    QCOMPARE(window->workspace()->currentModule(), window->attentionPanel()); // the module on screen at close
    QTRY_VERIFY(layout->isVisible());
    QCOMPARE(layout->sizes().last(), sideWidth);

    // View > Reset Layout: the first sizes back, the filmstrip shown.
    window->findChild<QAction *>(QStringLiteral("viewFilmstrip"))->setChecked(false);
    window->findChild<QAction *>(QStringLiteral("viewResetLayout"))->trigger();
    QVERIFY(window->findChild<QAction *>(QStringLiteral("viewFilmstrip"))->isChecked());
    QCOMPARE(layout->sizes().last(), FeatureLayout::kSideWidth);
    QVERIFY(window->filmstrip()->isVisible() == (window->workspace()->currentModule() != window->library()));
    QVERIFY(window->close());
}

void TestMainWindow::openRecent()
{
    RecentMenu *recent = m_window->recentMenu();
    QVERIFY(recent);
    QVERIFY(m_window->menuBar()->actions().first()->menu()->actions().contains(recent->menuAction()));
    // Newest first: b/ and single.png were opened last, a/ in the sessions before.
    QCOMPARE(recent->paths().mid(0, 3),
        QStringList({QDir::cleanPath(m_b), QDir::cleanPath(m_single), QDir::cleanPath(m_a)}));
    QVERIFY(recent->menuAction()->isEnabled());

    // Opening one moves it to the top; at most kMaxEntries are kept.
    QStringList many;
    for (int i = 0; i < RecentMenu::kMaxEntries + 3; ++i) {
        many << m_tmp->path() + QStringLiteral("/media/r%1.png").arg(i);
        writePicture(many.last(), i);
    }
    m_window->openPaths(many);
    QCOMPARE(recent->paths().size(), RecentMenu::kMaxEntries);
    QCOMPARE(recent->paths().first(), QDir::cleanPath(many.first()));
    m_window->openPaths({m_a});
    QCOMPARE(recent->paths().first(), QDir::cleanPath(m_a));
    QCOMPARE(recent->paths().size(), RecentMenu::kMaxEntries);

    // What no longer exists is marked and cannot be chosen; the rest opens in the gallery.
    QVERIFY(QFile::remove(many.at(1)));
    recent->rebuild();
    QList<QAction *> entries;
    for (QAction *a : recent->actions())
        if (a->objectName() == QStringLiteral("recentEntry"))
            entries << a;
    QCOMPARE(entries.size(), RecentMenu::kMaxEntries);
    for (QAction *a : std::as_const(entries)) {
        const bool exists = QFileInfo::exists(a->data().toString());
        QCOMPARE(a->isEnabled(), exists);
        QCOMPARE(a->text().contains(QStringLiteral("(not found)")), !exists);
    }
    QVERIFY(!QFileInfo::exists(many.at(1)));
    m_window->gallery()->clear();
    QSignalSpy finished(m_window->gallery(), &GalleryWidget::scanFinished);
    entries.first()->trigger(); // a/
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(m_window->gallery()->model()->rowCount(), static_cast<int>(m_aPhotos.size()) + 2);

    // Kept in the settings: another menu (the next start) lists the same; Clear empties both.
    RecentMenu other;
    QCOMPARE(other.paths(), recent->paths());
    QAction *clear = nullptr;
    for (QAction *a : recent->actions())
        if (a->objectName() == QStringLiteral("recentClear"))
            clear = a;
    QVERIFY(clear && clear->isEnabled());
    clear->trigger();
    QVERIFY(recent->paths().isEmpty());
    QVERIFY(RecentMenu().paths().isEmpty());
    QVERIFY(!recent->menuAction()->isEnabled()); // no empty submenu to open
}

void TestMainWindow::coreTextInChinese()
{
    const QString path = m_tmp->path() + QStringLiteral("/媒体 files/bad.jpg");
    const QString decode = path + QStringLiteral(": not a decodable image (file starts with text \"hello\")");
    const QString missing = path + QStringLiteral(": no such file");
    const QString video = QStringLiteral("clip.mp4: truncated or corrupt video (no decodable frames)");
    const QString checkpoint = QStringLiteral("/models/x: the checkpoint does not fit the model (1 missing, 1 "
                                              "mismatched, 0 unexpected)\n  missing: text_model.a.weight\n  "
                                              "mismatched: vision_model.b: checkpoint [2, 3], model [3, 2]");
    const QString unknown = QStringLiteral("/models/x: something core says that the table does not know");
    const QString nested = QStringLiteral("Could not do it: ") + missing;

    // English: every message exactly as core wrote it.
    for (const QString &m : {decode, missing, video, checkpoint, unknown, nested})
        QCOMPARE(EngineText::error(m), m);
    QCOMPARE(EngineText::jobName(QStringLiteral("Scanning photos")), QStringLiteral("Scanning photos"));

    QCOMPARE(Language::apply(QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
    const QString decodeZh = EngineText::error(decode);
    QVERIFY2(decodeZh.startsWith(path + QStringLiteral(": ")), qPrintable(decodeZh)); // the path intact
    QVERIFY2(
        decodeZh.contains(QStringLiteral("图像")) && decodeZh.contains(QStringLiteral("hello")), qPrintable(decodeZh));
    QVERIFY(!decodeZh.contains(QStringLiteral("decodable")));
    const QString missingZh = EngineText::error(missing);
    QVERIFY2(missingZh.startsWith(path) && !missingZh.contains(QStringLiteral("no such")), qPrintable(missingZh));
    QVERIFY(EngineText::error(nested).endsWith(missingZh.mid(path.size())));
    const QString videoZh = EngineText::error(video);
    QVERIFY2(videoZh.startsWith(QStringLiteral("clip.mp4: ")) && videoZh.contains(QStringLiteral("视频")),
        qPrintable(videoZh));
    const QStringList checkpointZh = EngineText::error(checkpoint).split(QLatin1Char('\n'));
    QCOMPARE(checkpointZh.size(), 3);
    QVERIFY2(checkpointZh.at(0).startsWith(QStringLiteral("/models/x: "))
            && !checkpointZh.at(0).contains(QStringLiteral("fit")),
        qPrintable(checkpointZh.at(0)));
    QVERIFY(checkpointZh.at(1).contains(QStringLiteral("text_model.a.weight"))
        && !checkpointZh.at(1).contains(QStringLiteral("missing")));
    QVERIFY(checkpointZh.at(2).contains(QStringLiteral("vision_model.b"))
        && checkpointZh.at(2).contains(QStringLiteral("[3, 2]")));
    QCOMPARE(EngineText::error(unknown), unknown); // what the table does not know stays as it is

    // Job names: core's in Chinese, in the status bar too.
    const QString classify = EngineText::jobName(QStringLiteral("Classify 3 images"));
    QVERIFY2(
        classify.contains(QStringLiteral("3")) && !classify.contains(QStringLiteral("Classify")), qPrintable(classify));
    QVERIFY(!EngineText::jobName(QStringLiteral("Index 2 location(s)")).contains(QStringLiteral("Index")));
    QVERIFY(!EngineText::jobName(QStringLiteral("Train CLIP (tiny)")).contains(QStringLiteral("Train ")));
    const quint64 id = m_window->bridge()->submit(QStringLiteral("Evaluate shapes"), [](ml::JobContext &ctx) {
        while (!ctx.isCancelled())
            QThread::msleep(5);
        return QVariant();
    });
    QTRY_VERIFY_WITH_TIMEOUT(
        m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text().contains(QStringLiteral("shapes")),
        kTimeoutMs);
    QVERIFY2(!m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text().contains(QStringLiteral("Evaluate")),
        qPrintable(m_window->findChild<QLabel *>(QStringLiteral("jobLabel"))->text()));
    m_window->bridge()->cancel(id);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->bridge()->isRunning(id), kTimeoutMs);

    // A job's error reaches the panels translated (the bridge translates).
    QSignalSpy finished(m_window->bridge(), &EngineBridge::finished);
    const quint64 failing = m_window->bridge()->submit(
        QStringLiteral("Fails"), [missing](ml::JobContext &) -> QVariant { throw ml::Error(missing.toStdString()); });
    const auto errorOf = [&finished, failing]() -> QString {
        for (const QList<QVariant> &args : std::as_const(finished))
            if (args.at(0).toULongLong() == failing)
                return args.at(2).toString();
        return {};
    };
    QTRY_VERIFY_WITH_TIMEOUT(!errorOf().isEmpty(), kTimeoutMs);
    QCOMPARE(errorOf(), missingZh);
    QCOMPARE(Language::apply(QStringLiteral("en")), QStringLiteral("en"));
}

void TestMainWindow::qtDialogsAndDatesInChinese()
{
    const QString qtDir = QLibraryInfo::path(QLibraryInfo::TranslationsPath);
    if (!QFileInfo::exists(qtDir + QStringLiteral("/qtbase_zh_CN.qm")))
        QSKIP(qPrintable(
            QStringLiteral("Qt's translations are not installed in %1 (Debian: qt6-translations-l10n)").arg(qtDir)));
    QCOMPARE(Language::apply(QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
    QVERIFY(Language::qtTranslationLoaded());

    QMessageBox box(
        QMessageBox::Question, QStringLiteral("t"), QStringLiteral("t"), QMessageBox::Ok | QMessageBox::Cancel);
    QCOMPARE(box.button(QMessageBox::Ok)->text(), QStringLiteral("确定"));
    QCOMPARE(box.button(QMessageBox::Cancel)->text(), QStringLiteral("取消"));

    QFileDialog dialog(m_window.get(), QStringLiteral("t"), m_tmp->path());
    dialog.setOption(QFileDialog::DontUseNativeDialog);
    dialog.setFileMode(QFileDialog::ExistingFiles);
    auto *buttons = dialog.findChild<QDialogButtonBox *>();
    QVERIFY(buttons);
    QCOMPARE(buttons->button(QDialogButtonBox::Cancel)->text(), QStringLiteral("取消"));
    QStringList labels;
    for (QLabel *l : dialog.findChildren<QLabel *>())
        labels << l->text();
    QVERIFY2(labels.contains(QStringLiteral("查找范围：")), qPrintable(labels.join(QLatin1Char('|'))));

    // Dates and numbers: the default locale follows the language.
    QCOMPARE(QLocale().language(), QLocale::Chinese);
    QVERIFY(QLocale().toString(QDate(2026, 12, 6), QLocale::LongFormat).contains(QStringLiteral("年")));
    const QModelIndex any = m_window->gallery()->proxy()->index(0, 0);
    QVERIFY(any.isValid());
    const QDateTime modified = any.data(GalleryModel::ModifiedRole).toDateTime();
    QVERIFY(any.data(Qt::ToolTipRole).toString().contains(QLocale().toString(modified, QLocale::ShortFormat)));

    QCOMPARE(Language::apply(QStringLiteral("en")), QStringLiteral("en"));
    QVERIFY(!Language::qtTranslationLoaded());
    QCOMPARE(QLocale().language(), QLocale::English);
    QMessageBox english(QMessageBox::Question, QStringLiteral("t"), QStringLiteral("t"), QMessageBox::Cancel);
    QCOMPARE(english.button(QMessageBox::Cancel)->text(), QStringLiteral("Cancel"));
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
