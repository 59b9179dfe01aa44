// MainWindow: menus, drops, docks and the job status; the work itself happens in the
// gallery, the preview and the engine behind EngineBridge.
#include "main_window.h"

#include "classify/classify_panel.h"
#include "classify/coop_panel.h"
#include "common/engine_bridge.h"
#include "common/engine_text.h"
#include "common/engine_value.h"
#include "common/format.h"
#include "common/memory_status.h"
#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "common/settings_dialog.h"
#include "diffusion/diffusion_panel.h"
#include "explain/attention_panel.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "gallery/preview_pane.h"
#include "gallery/thumbnail_loader.h"
#include "gallery/video_player.h"
#include "recent_menu.h"
#include "search/search_panel.h"
#include "train/sample_gallery.h"
#include "training/training_panel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTabBar>
#include <QTimer>

namespace {

const QString kGeometryKey = QStringLiteral("window/geometry");
const QString kStateKey = QStringLiteral("window/state");
const QString kLastDirKey = QStringLiteral("window/lastDir");
constexpr int kMessageMs = 6000;

QString mediaNameFilter()
{
    QStringList patterns;
    for (const auto *list : {&ml::io::imageExtensions(), &ml::io::videoExtensions()})
        for (const std::string &ext : *list)
            patterns << QStringLiteral("*") + QString::fromStdString(ext);
    return patterns.join(QLatin1Char(' '));
}

} // namespace

MainWindow::MainWindow(QWidget *parent, const QString &thumbnailCacheDir)
    : QMainWindow(parent)
    , m_bridge(new EngineBridge(this))
    , m_gallery(new GalleryWidget(m_bridge, this, thumbnailCacheDir))
    , m_preview(new PreviewPane(this))
    , m_classify(new ClassifyPanel(m_bridge, this))
    , m_training(new TrainingPanel(m_bridge, this))
    , m_coop(new CoopPanel(m_bridge, this))
    , m_search(new SearchPanel(m_bridge, this, thumbnailCacheDir))
    , m_attention(new AttentionPanel(m_bridge, this))
    , m_diffusion(new DiffusionPanel(m_bridge, this))
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/modallens.svg")));
    setAcceptDrops(true);
    setCentralWidget(m_gallery);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks | QMainWindow::AllowNestedDocks);
    setTabPosition(Qt::AllDockWidgetAreas, QTabWidget::North);
    setDocumentMode(true);

    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setMinimumWidth(280);
    addPanel(m_preview);
    m_classify->setGallery(m_gallery);
    QDockWidget *classifyDock = addPanel(m_classify);
    addPanel(m_training);
    addPanel(m_coop);
    m_search->setGallery(m_gallery);
    m_search->setPreviewPane(m_preview);
    addPanel(m_search);
    // Attention: the gallery's current item; a video at the frame the preview shows.
    addPanel(m_attention);
    connect(m_gallery, &GalleryWidget::currentChanged, m_attention, &AttentionPanel::showFile);
    connect(m_preview->videoPlayer(), &VideoPlayer::frameShown, m_attention,
        [this](double timeS) { m_attention->setVideoTime(m_preview->currentPath(), timeS); });
    // Diffusion: the gallery's current item is the forward process's image.
    addPanel(m_diffusion);
    connect(m_gallery, &GalleryWidget::currentChanged, m_diffusion, &DiffusionPanel::showFile);
    classifyDock->raise(); // a newcomer starts by classifying (the last dock tabbed in would be on top)

    createActions();
    createMenus();
    createStatusBar();

    connect(m_gallery, &GalleryWidget::currentChanged, m_preview, &PreviewPane::showFile);
    connect(m_classify, &ClassifyPanel::fileActivated, this, &MainWindow::showFile);
    connect(m_training, &TrainingPanel::openInClassifyRequested, this, &MainWindow::openInClassify);
    connect(m_training, &TrainingPanel::openInDiffusionRequested, this, &MainWindow::openInDiffusion);
    connect(m_coop, &CoopPanel::useInClassifyRequested, this, &MainWindow::useLearntPromptInClassify);
    connect(m_search, &SearchPanel::openRequested, this, [this](const QString &path, double timeS) {
        showFile(path);
        if (timeS >= 0.0)
            m_preview->showVideoAt(path, timeS);
        // After the click that asked has been handled: the Search tab, which shares the Preview's
        // tab group, would otherwise stay on top.
        QMetaObject::invokeMethod(
            this, [this] { raisePreview(); }, Qt::QueuedConnection);
    });
    // The gallery's context menu.
    connect(m_gallery->view(), &GalleryView::findSimilarRequested, this, [this](const QString &path) {
        raisePanel(m_search);
        m_search->findSimilar(path);
    });
    connect(m_gallery->view(), &GalleryView::classifyRequested, this, [this](const QStringList &photos) {
        raisePanel(m_classify);
        m_classify->classifyFiles(photos);
    });
    connect(m_gallery->view(), &GalleryView::explainRequested, this, [this](const QString &path) {
        // Current without touching the selection: the preview and the Attention panel follow it.
        const int row = m_gallery->model()->rowOf(path);
        const QModelIndex index
            = row >= 0 ? m_gallery->proxy()->mapFromSource(m_gallery->model()->index(row)) : QModelIndex();
        if (index.isValid())
            m_gallery->view()->selectionModel()->setCurrentIndex(index, QItemSelectionModel::NoUpdate);
        m_attention->showFile(path);
        raisePanel(m_attention);
    });
    connect(m_gallery->view(), &GalleryView::activatedPath, this, [this] {
        if (auto *dock = m_panelDocks.value(0)) {
            dock->show();
            dock->raise();
        }
    });
    connect(m_gallery, &GalleryWidget::missingPaths, this, &MainWindow::reportMissing);
    connect(m_gallery, &GalleryWidget::scanFinished, this, [this](int found, int added, bool restored) {
        if (restored) {
            if (added > 0)
                statusBar()->showMessage(
                    tr("Restored the gallery of the last session: %n files", nullptr, added), kMessageMs);
            return;
        }
        if (found == 0)
            statusBar()->showMessage(tr("No photos or videos found there"), kMessageMs);
        else if (added == found)
            statusBar()->showMessage(
                added == 1 ? tr("Added 1 file") : tr("Added %n files", nullptr, added), kMessageMs);
        else
            statusBar()->showMessage(
                tr("Added %1 of %n files; the rest were already in the gallery", nullptr, found).arg(added),
                kMessageMs);
    });

    connect(m_bridge, &EngineBridge::finished, this,
        [this](quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value) {
            if (id != m_samplesJob)
                return;
            m_samplesJob = 0;
            m_openSamples->setEnabled(true);
            const auto result = engineValue<ml::train::SampleGalleryResult>(value);
            if (cancelled)
                return; // the status bar says so
            if (!ok || !result) {
                auto *box = new QMessageBox(QMessageBox::Warning, tr("Sample Gallery"),
                    tr("Could not write the sample gallery."), QMessageBox::Ok, this);
                box->setInformativeText(error);
                box->setAttribute(Qt::WA_DeleteOnClose);
                box->open();
                return;
            }
            if (!result->warnings.empty()) {
                QStringList details;
                for (const std::string &w : result->warnings)
                    details << QString::fromStdString(w);
                auto *box = new QMessageBox(QMessageBox::Information, tr("Sample Gallery"),
                    result->fashion == 0 ? tr("The Fashion-MNIST samples were left out: its files are not installed.")
                                         : tr("Some samples were left out."),
                    QMessageBox::Ok, this);
                box->setInformativeText(details.join(QLatin1Char('\n')));
                box->setAttribute(Qt::WA_DeleteOnClose);
                box->open();
            }
            m_gallery->addPaths({QString::fromStdString(result->dir)});
        });
    connect(m_bridge, &EngineBridge::started, this, [this](quint64 id, const QString &name) {
        m_jobOrder.append(id);
        m_jobs[id].name = name;
        updateJobStatus();
    });
    connect(m_bridge, &EngineBridge::progress, this,
        [this](quint64 id, qint64 done, qint64 total, const QString &stage, double eta) {
            if (!m_jobs.contains(id))
                return;
            JobState &job = m_jobs[id];
            job.done = done;
            job.total = total;
            job.etaSeconds = eta;
            job.paused = stage == QLatin1String("paused");
            updateJobStatus();
        });
    connect(m_bridge, &EngineBridge::finished, this,
        [this](quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &) {
            const QString name = EngineText::jobName(m_jobs.value(id).name);
            m_jobOrder.removeAll(id);
            m_jobs.remove(id);
            if (cancelled && !name.isEmpty())
                statusBar()->showMessage(tr("%1: cancelled").arg(name), kMessageMs);
            else if (!ok && !cancelled)
                statusBar()->showMessage(tr("%1 failed: %2").arg(name, error), 2 * kMessageMs);
            updateJobStatus();
        });
    connect(m_gallery->model()->loader(), &ThumbnailLoader::activityChanged, this, [this](int done, int total) {
        m_thumbDone = done;
        m_thumbTotal = total;
        updateJobStatus();
    });

    retranslate();
    restoreLayout();
    polishDockTabBars();
    m_gallery->restoreState(); // scanned on the I/O lane, as File > Open Folder is
}

MainWindow::~MainWindow() = default;

void MainWindow::polishDockTabBars()
{
    // Seven panels share one tab group: eliding made every title "Cla…", "Diffu…". Whole titles,
    // with scroll arrows when they do not fit. QMainWindow makes its tab bars lazily, hence later
    // too (a dock moved or floated back makes a new one).
    const auto polish = [this] {
        for (QTabBar *bar : findChildren<QTabBar *>(QString(), Qt::FindDirectChildrenOnly)) {
            bar->setElideMode(Qt::ElideNone);
            bar->setUsesScrollButtons(true);
        }
    };
    QTimer::singleShot(0, this, polish);
    for (QDockWidget *dock : std::as_const(m_panelDocks)) {
        connect(dock, &QDockWidget::dockLocationChanged, this, [this, polish] { QTimer::singleShot(0, this, polish); });
        connect(dock, &QDockWidget::topLevelChanged, this, [this, polish] { QTimer::singleShot(0, this, polish); });
    }
}

QDockWidget *MainWindow::addPanel(QWidget *panel, Qt::DockWidgetArea area)
{
    Q_ASSERT(panel);
    auto *dock = new QDockWidget(panel->windowTitle(), this);
    dock->setObjectName(QStringLiteral("dock_")
        + (panel->objectName().isEmpty() ? QString::number(m_panelDocks.size()) : panel->objectName()));
    dock->setFeatures(
        QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    dock->setWidget(panel);
    connect(panel, &QWidget::windowTitleChanged, dock, &QDockWidget::setWindowTitle);

    QDockWidget *sibling = nullptr;
    for (QDockWidget *d : std::as_const(m_panelDocks))
        if (dockWidgetArea(d) == area)
            sibling = d;
    addDockWidget(area, dock);
    if (sibling)
        tabifyDockWidget(sibling, dock);
    m_panelDocks.append(dock);
    if (m_viewMenu) {
        m_viewMenu->insertAction(m_viewMenu->actions().value(m_panelDocks.size() - 1), dock->toggleViewAction());
    }
    return dock;
}

void MainWindow::createActions()
{
    m_openFiles = new QAction(style()->standardIcon(QStyle::SP_DialogOpenButton), QString(), this);
    m_openFiles->setShortcut(QKeySequence::Open);
    connect(m_openFiles, &QAction::triggered, this, &MainWindow::openFilesDialog);

    m_openFolder = new QAction(style()->standardIcon(QStyle::SP_DirOpenIcon), QString(), this);
    m_openFolder->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    connect(m_openFolder, &QAction::triggered, this, &MainWindow::openFolderDialog);

    m_openSamples = new QAction(style()->standardIcon(QStyle::SP_FileDialogContentsView), QString(), this);
    connect(m_openSamples, &QAction::triggered, this, &MainWindow::openSampleGallery);
    m_gallery->setEmptyAction(m_openSamples);

    m_clear = new QAction(this);
    connect(m_clear, &QAction::triggered, this, [this] {
        m_gallery->clear();
        m_preview->showFile({});
    });

    m_quit = new QAction(this);
    m_quit->setShortcut(QKeySequence::Quit);
    m_quit->setMenuRole(QAction::QuitRole);
    connect(m_quit, &QAction::triggered, this, &QWidget::close);

    m_focusFilter = new QAction(this);
    m_focusFilter->setShortcut(QKeySequence::Find);
    connect(m_focusFilter, &QAction::triggered, this, [this] {
        m_gallery->nameFilterEdit()->setFocus(Qt::ShortcutFocusReason);
        m_gallery->nameFilterEdit()->selectAll();
    });

    m_fullScreen = new QAction(this);
    m_fullScreen->setCheckable(true);
    m_fullScreen->setShortcut(QKeySequence::FullScreen);
    connect(m_fullScreen, &QAction::toggled, this, [this](bool on) { on ? showFullScreen() : showNormal(); });

    m_settings = new QAction(this);
    m_settings->setShortcut(QKeySequence::Preferences);
    m_settings->setMenuRole(QAction::PreferencesRole);
    connect(m_settings, &QAction::triggered, this, &MainWindow::showSettings);

    m_about = new QAction(this);
    m_about->setMenuRole(QAction::AboutRole);
    connect(m_about, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::createMenus()
{
    m_fileMenu = menuBar()->addMenu(QString());
    m_fileMenu->addAction(m_openFiles);
    m_fileMenu->addAction(m_openFolder);
    m_recent = new RecentMenu(this);
    connect(m_recent, &RecentMenu::openRequested, this, [this](const QString &path) { openPaths({path}); });
    m_fileMenu->addMenu(m_recent);
    m_fileMenu->addAction(m_openSamples);
    m_fileMenu->addSeparator();
    m_fileMenu->addAction(m_clear);
    m_fileMenu->addSeparator();
    m_fileMenu->addAction(m_quit);

    m_viewMenu = menuBar()->addMenu(QString());
    for (QDockWidget *dock : std::as_const(m_panelDocks))
        m_viewMenu->addAction(dock->toggleViewAction());
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(m_focusFilter);
    m_viewMenu->addAction(m_fullScreen);

    m_settingsMenu = menuBar()->addMenu(QString());
    m_settingsMenu->addAction(m_settings);

    m_helpMenu = menuBar()->addMenu(QString());
    m_helpMenu->addAction(m_about);
}

void MainWindow::createStatusBar()
{
    m_jobLabel = new QLabel(this);
    m_jobLabel->setMinimumWidth(220);
    m_jobLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_progress = new QProgressBar(this);
    m_progress->setFixedWidth(220);
    m_progress->setMaximumHeight(16);
    m_progress->setTextVisible(true);
    m_cancel = new QPushButton(this);
    m_cancel->setFlat(true);
    m_cancel->setEnabled(false);
    connect(m_cancel, &QPushButton::clicked, this, &MainWindow::cancelCurrent);
    statusBar()->addPermanentWidget(m_jobLabel);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
    statusBar()->addPermanentWidget(new MemoryStatus(m_bridge, this));
    statusBar()->setSizeGripEnabled(true);
    updateJobStatus();
}

void MainWindow::updateJobStatus()
{
    const bool engineJob = !m_jobOrder.isEmpty();
    const bool thumbnails = m_thumbTotal > 0;
    if (engineJob) {
        const JobState &job = m_jobs.value(m_jobOrder.last());
        const QString name = EngineText::jobName(job.name);
        QString text = name;
        if (m_jobOrder.size() > 1)
            text = tr("%1 (+%n more)", nullptr, static_cast<int>(m_jobOrder.size() - 1)).arg(name);
        if (job.total > 0) {
            m_progress->setRange(0, static_cast<int>(job.total));
            m_progress->setValue(static_cast<int>(job.done));
            m_progress->setFormat(job.paused ? tr("paused at %v / %m") : QStringLiteral("%v / %m"));
            if (job.paused)
                text += QStringLiteral(" · ") + tr("paused");
            else if (const QString eta = formatEta(job.etaSeconds); !eta.isEmpty())
                text += QStringLiteral(" · ") + eta;
        } else {
            m_progress->setRange(0, 0); // busy: the total is not known yet
            if (job.done > 0)
                text += QStringLiteral(" · ") + tr("%n found", nullptr, static_cast<int>(job.done));
        }
        m_jobLabel->setText(text);
    } else if (thumbnails) {
        m_jobLabel->setText(tr("Making thumbnails"));
        m_progress->setRange(0, m_thumbTotal);
        m_progress->setValue(m_thumbDone);
        m_progress->setFormat(QStringLiteral("%v / %m"));
    } else {
        m_jobLabel->setText(QString());
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
    }
    m_progress->setVisible(engineJob || thumbnails);
    m_cancel->setEnabled(engineJob || thumbnails);
    m_cancel->setVisible(engineJob || thumbnails);
}

void MainWindow::cancelCurrent()
{
    if (!m_jobOrder.isEmpty())
        m_bridge->cancel(m_jobOrder.last());
    else
        m_gallery->model()->loader()->cancelPending();
}

void MainWindow::showFile(const QString &path)
{
    const int row = m_gallery->model()->rowOf(path);
    const QModelIndex index
        = row >= 0 ? m_gallery->proxy()->mapFromSource(m_gallery->model()->index(row)) : QModelIndex();
    if (index.isValid()) {
        m_gallery->view()->setCurrentIndex(index); // the preview follows
        m_gallery->view()->scrollTo(index);
    } else {
        m_preview->showFile(path); // filtered out, or not in the gallery (a classified folder)
    }
    raisePreview();
}

void MainWindow::raisePreview()
{
    if (auto *dock = m_panelDocks.value(0)) {
        dock->show();
        dock->raise();
    }
}

void MainWindow::raisePanel(QWidget *panel)
{
    if (auto *dock = qobject_cast<QDockWidget *>(panel->parentWidget())) {
        dock->show();
        dock->raise();
    }
}

void MainWindow::reportMissing(const QStringList &paths, bool restored)
{
    QStringList shown;
    for (const QString &p : paths)
        shown << QDir::toNativeSeparators(p);
    if (!restored) {
        statusBar()->showMessage(tr("Not found: %1").arg(shown.join(QStringLiteral(", "))), 2 * kMessageMs);
        return;
    }
    // At start-up: said once in a box that does not block, then left out of the saved session.
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Gallery"),
        tr("%n of the folders and files open when ModalLens last closed could not be found.", nullptr,
            static_cast<int>(paths.size())),
        QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("missingPathsBox"));
    box->setInformativeText(shown.join(QLatin1Char('\n')) + QStringLiteral("\n\n")
        + tr("They are left out of the gallery. When they are back, open them again (File ▸ Open Recent)."));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::openInClassify(const QString &folder)
{
    openCheckpoint(
        m_classify, m_classify->modelPicker(), folder, tr("%1 is not a CLIP checkpoint the Classify panel can use"));
}

void MainWindow::openInDiffusion(const QString &folder)
{
    // The Diffusion panel loads a model afresh each time it opens one, so a rewritten checkpoint
    // is read again when chosen.
    openCheckpoint(m_diffusion, m_diffusion->modelPicker(), folder,
        tr("%1 is not a UNet2DModel checkpoint the Diffusion panel can use"));
}

void MainWindow::openCheckpoint(QWidget *panel, ModelPicker *picker, const QString &folder, const QString &notUsable)
{
    const QString wanted = QDir::cleanPath(folder);
    const auto select = [picker, wanted] {
        for (const ml::ModelEntry &e : picker->entries())
            if (QDir::cleanPath(QString::fromStdString(e.path)) == wanted)
                return picker->selectPath(QString::fromStdString(e.path));
        return false;
    };
    if (auto *dock = qobject_cast<QDockWidget *>(panel->parentWidget())) {
        dock->show();
        dock->raise();
    }
    if (!picker->isRefreshing() && select())
        return;
    // Not listed yet: the picker learns the app's runs folder (every run in it), or this folder.
    connect(
        picker, &ModelPicker::refreshed, this,
        [this, select, wanted, notUsable] {
            if (!select())
                statusBar()->showMessage(notUsable.arg(QDir::toNativeSeparators(wanted)), 2 * kMessageMs);
        },
        Qt::SingleShotConnection);
    const QString parent = QFileInfo(wanted).absolutePath();
    picker->addFolder(parent == QDir::cleanPath(TrainingPanel::runsRoot()) ? parent : wanted);
}

void MainWindow::useLearntPromptInClassify(const QString &file, const QString &modelPath)
{
    if (auto *dock = qobject_cast<QDockWidget *>(m_classify->parentWidget())) {
        dock->show();
        dock->raise();
    }
    ModelPicker *picker = m_classify->modelPicker();
    if (!modelPath.isEmpty() && QDir::cleanPath(picker->currentPath()) != QDir::cleanPath(modelPath))
        picker->selectPath(modelPath); // a prompt fits the model it was learnt on
    // The classes it was learnt for (a class-specific prompt sets them itself).
    try {
        const ml::LearntPromptInfo info = ml::readLearntPromptInfo(file.toStdString());
        QStringList classes;
        for (const std::string &c : info.classes)
            classes << QString::fromStdString(c);
        if (!info.classSpecific && !classes.isEmpty())
            m_classify->setLabels(classes);
    } catch (const std::exception &) {
        // useLearntPrompt() below says what is wrong with the file
    }
    m_classify->useLearntPrompt(file);
}

void MainWindow::openPaths(const QStringList &paths)
{
    if (paths.isEmpty())
        return;
    QStringList recent; // a typo on the command line is not worth remembering
    for (const QString &p : paths.mid(0, RecentMenu::kMaxEntries))
        if (QFileInfo::exists(p))
            recent << p;
    m_recent->add(recent);
    m_gallery->addPaths(paths);
}

QStringList MainWindow::localPaths(const QMimeData *mime)
{
    QStringList paths;
    if (!mime || !mime->hasUrls())
        return paths;
    for (const QUrl &url : mime->urls())
        if (url.isLocalFile())
            paths << url.toLocalFile();
    return paths;
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!localPaths(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent *event)
{
    if (!localPaths(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList paths = localPaths(event->mimeData());
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    openPaths(paths);
}

void MainWindow::openFilesDialog()
{
    QSettings settings;
    const QString filter
        = tr("Photos and videos (%1)").arg(mediaNameFilter()) + QStringLiteral(";;") + tr("All files (*)");
    // First time: ~/Pictures (or home), not the folder the app was started from.
    const QString start = settings.value(kLastDirKey, dialogFolder(QStandardPaths::PicturesLocation)).toString();
    const QStringList files = QFileDialog::getOpenFileNames(this, tr("Open Files"), start, filter);
    if (files.isEmpty())
        return;
    settings.setValue(kLastDirKey, QFileInfo(files.first()).absolutePath());
    openPaths(files);
}

void MainWindow::openFolderDialog()
{
    QSettings settings;
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Folder"),
        settings.value(kLastDirKey, dialogFolder(QStandardPaths::PicturesLocation)).toString());
    if (dir.isEmpty())
        return;
    settings.setValue(kLastDirKey, dir);
    openPaths({dir});
}

void MainWindow::openSampleGallery()
{
    if (m_samplesJob != 0)
        return;
    ml::Job job = ml::train::makeSampleGalleryJob(m_samplesDir.toStdString());
    job.name = tr("Writing the sample gallery").toStdString();
    m_openSamples->setEnabled(false);
    m_samplesJob = m_bridge->submit(std::move(job));
}

void MainWindow::showSettings()
{
    SettingsDialog dialog(this);
    dialog.exec();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About ModalLens"),
        QStringLiteral("<h3>ModalLens %1</h3><p>%2</p><p>%3</p>")
            .arg(QStringLiteral(MODALLENS_VERSION),
                tr("Look inside multimodal models on your own machine: classify and search photos and videos, "
                   "and see why the model answered as it did."),
                tr("Built with Qt %1.").arg(QString::fromLatin1(qVersion()))));
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        resize(1360, 860);
    if (!restoreState(settings.value(kStateKey).toByteArray()) && !m_panelDocks.isEmpty())
        resizeDocks({m_panelDocks.first()}, {560}, Qt::Horizontal);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    m_gallery->saveState();
    m_bridge->cancelAll();
    QMainWindow::closeEvent(event);
}

void MainWindow::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QMainWindow::changeEvent(event);
}

void MainWindow::retranslate()
{
    setWindowTitle(tr("ModalLens"));
    m_fileMenu->setTitle(tr("&File"));
    m_viewMenu->setTitle(tr("&View"));
    m_settingsMenu->setTitle(tr("&Settings"));
    m_helpMenu->setTitle(tr("&Help"));
    m_openFiles->setText(tr("&Open Files…"));
    m_openFiles->setStatusTip(tr("Add photos and videos to the gallery"));
    m_openFolder->setText(tr("Open &Folder…"));
    m_openFolder->setStatusTip(tr("Add a folder and everything below it to the gallery"));
    m_openSamples->setText(tr("Open &Sample Gallery"));
    m_openSamples->setStatusTip(
        tr("Add a few Shapes World pictures and clips and Fashion-MNIST images to try ModalLens with"));
    m_clear->setText(tr("&Clear Gallery"));
    m_quit->setText(tr("&Quit"));
    m_focusFilter->setText(tr("Filter by &Name"));
    m_fullScreen->setText(tr("F&ull Screen"));
    m_settings->setText(tr("&Settings…"));
    m_about->setText(tr("&About ModalLens"));
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the current job"));
    updateJobStatus();
}
