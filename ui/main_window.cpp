// MainWindow: menus, drops, docks and the job status; the work itself happens in the
// gallery, the preview and the engine behind EngineBridge.
#include "main_window.h"

#include "chat/chat_controller.h"
#include "chat/chat_panel.h"
#include "classify/classify_panel.h"
#include "classify/coop_panel.h"
#include "common/engine_bridge.h"
#include "common/engine_text.h"
#include "common/engine_value.h"
#include "common/feature_layout.h"
#include "common/format.h"
#include "common/job_status.h"
#include "common/memory_status.h"
#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "common/settings_dialog.h"
#include "diffusion/diffusion_panel.h"
#include "explain/attention_panel.h"
#include "gallery/filmstrip.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "gallery/preview_pane.h"
#include "gallery/thumbnail_loader.h"
#include "gallery/video_player.h"
#include "modallens_version.h"
#include "qformer/qformer_controller.h"
#include "qformer/qformer_panel.h"
#include "recent_menu.h"
#include "search/search_panel.h"
#include "train/sample_gallery.h"
#include "training/training_panel.h"
#include "workspace.h"

#include <QAction>
#include <QActionGroup>
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
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>

namespace {

const QString kGeometryKey = QStringLiteral("window/geometry");
const QString kStateKey = QStringLiteral("window/workspaceState"); // the dock layout before issue 14 is not restored
const QString kModuleKey = QStringLiteral("window/module");
const QString kFilmstripKey = QStringLiteral("window/filmstrip");
const QString kLayoutGroup = QStringLiteral("layout"); // one splitter state per module
constexpr int kStateVersion = 2;
constexpr int kMessageMs = 6000;

QModelIndex galleryIndexOf(GalleryWidget *gallery, const QString &path)
{
    const int row = gallery->model()->rowOf(path);
    return row >= 0 ? gallery->proxy()->mapFromSource(gallery->model()->index(row)) : QModelIndex();
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
    , m_chat(new ChatPanel(m_bridge, this))
    , m_qformer(new QFormerPanel(m_bridge, this))
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/modallens.svg")));
    setAcceptDrops(true);
    setDocumentMode(true);

    createWorkspace();
    createActions();
    createMenus();
    createStatusBar();
    connectPanels();
    connectGalleryMenu();
    connectJobs();

    retranslate();
    restoreLayout();
    m_gallery->restoreState(); // scanned on the I/O lane, as File > Open Folder is
}

MainWindow::~MainWindow() = default;

void MainWindow::createWorkspace()
{
    m_workspace = new Workspace(this);
    setCentralWidget(m_workspace);

    // Library: the grid and, beside it, the item it has current (Lightroom's grid and loupe at once).
    m_library = new QSplitter(Qt::Horizontal, this);
    m_library->setObjectName(QStringLiteral("library"));
    m_library->setChildrenCollapsible(false);
    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setMinimumWidth(280);
    m_library->addWidget(m_gallery);
    m_library->addWidget(m_preview);
    m_library->setStretchFactor(0, 3);
    m_library->setStretchFactor(1, 2);
    m_workspace->addModule(m_library);

    m_classify->setGallery(m_gallery);
    m_search->setGallery(m_gallery);
    for (QWidget *panel : {static_cast<QWidget *>(m_classify), static_cast<QWidget *>(m_coop),
             static_cast<QWidget *>(m_training), static_cast<QWidget *>(m_search), static_cast<QWidget *>(m_attention),
             static_cast<QWidget *>(m_chat), static_cast<QWidget *>(m_qformer), static_cast<QWidget *>(m_diffusion)})
        m_workspace->addModule(panel);
    m_workspace->setCurrentModule(m_library); // a newcomer starts with their pictures
    // Classify is one click (or a context menu) away: its models are listed from the start, as
    // when its panel was the one on top.
    m_classify->modelPicker()->ensureSearched();

    // The filmstrip: the gallery along the bottom, so every module can change the current item.
    m_filmstrip = new Filmstrip(m_gallery->view(), this);
    m_filmstripDock = new QDockWidget(this);
    m_filmstripDock->setObjectName(QStringLiteral("dock_filmstrip"));
    m_filmstripDock->setFeatures(QDockWidget::DockWidgetMovable);
    m_filmstripDock->setAllowedAreas(Qt::TopDockWidgetArea | Qt::BottomDockWidgetArea);
    m_filmstripDock->setTitleBarWidget(new QWidget(m_filmstripDock)); // no title: it is a strip
    m_filmstripDock->setWidget(m_filmstrip);
    addDockWidget(Qt::BottomDockWidgetArea, m_filmstripDock);
    connect(m_workspace, &Workspace::currentModuleChanged, this, [this](QWidget *module) {
        updateFilmstrip();
        if (QAction *a = m_modules ? m_modules->actions().value(m_workspace->indexOf(module)) : nullptr)
            a->setChecked(true);
    });
}

void MainWindow::connectPanels()
{
    // Every feature follows the gallery's current item (the grid's or the filmstrip's: one selection).
    connect(m_gallery, &GalleryWidget::currentChanged, m_preview, &PreviewPane::showFile);
    connect(m_gallery, &GalleryWidget::currentChanged, m_attention, &AttentionPanel::showFile);
    connect(m_preview->videoPlayer(), &VideoPlayer::frameShown, m_attention,
        [this](double timeS) { m_attention->setVideoTime(m_preview->currentPath(), timeS); });
    connect(m_gallery, &GalleryWidget::currentChanged, m_diffusion, &DiffusionPanel::showFile);
    connect(m_gallery, &GalleryWidget::currentChanged, m_chat, &ChatPanel::showFile);
    connect(m_preview->videoPlayer(), &VideoPlayer::frameShown, m_chat,
        [this](double timeS) { m_chat->setVideoTime(m_preview->currentPath(), timeS); });
    connect(m_gallery, &GalleryWidget::currentChanged, m_qformer, &QFormerPanel::showFile);
    connect(m_preview->videoPlayer(), &VideoPlayer::frameShown, m_qformer,
        [this](double timeS) { m_qformer->setVideoTime(m_preview->currentPath(), timeS); });
    // The Q-Former panel inspects the last BLIP-2 answer in Chat: which queries it used, and each
    // word's map (a LLaVA answer has no queries; the Chat panel grounds it itself).
    connect(m_chat->controller(), &ChatController::answerFinished, m_qformer, [this] {
        const ChatController *chat = m_chat->controller();
        if (chat->lastRequest() && chat->lastResult() && chat->lastResult()->family == "blip-2")
            m_qformer->controller()->setAnswer(*chat->lastRequest(), *chat->lastResult());
    });

    connect(m_classify, &ClassifyPanel::fileActivated, this, &MainWindow::showFile);
    connect(m_training, &TrainingPanel::openInClassifyRequested, this, &MainWindow::openInClassify);
    connect(m_training, &TrainingPanel::openInDiffusionRequested, this, &MainWindow::openInDiffusion);
    connect(m_coop, &CoopPanel::useInClassifyRequested, this, &MainWindow::useLearntPromptInClassify);
    // A search hit: the Search module shows it beside its results; it becomes the current item
    // (the filmstrip and the other features follow) without leaving Search.
    connect(m_search, &SearchPanel::openRequested, this, [this](const QString &path, double) {
        const QModelIndex index = galleryIndexOf(m_gallery, path);
        if (index.isValid()) {
            m_gallery->view()->setCurrentIndex(index);
            m_filmstrip->scrollTo(index);
        }
    });
}

void MainWindow::connectGalleryMenu()
{
    connect(m_gallery->view(), &GalleryView::findSimilarRequested, this, [this](const QString &path) {
        showModule(m_search);
        m_search->findSimilar(path);
    });
    connect(m_gallery->view(), &GalleryView::classifyRequested, this, [this](const QStringList &photos) {
        showModule(m_classify);
        m_classify->classifyFiles(photos);
    });
    connect(m_gallery->view(), &GalleryView::explainRequested, this, [this](const QString &path) {
        // Current without touching the selection: the preview and the Attention panel follow it.
        const QModelIndex index = galleryIndexOf(m_gallery, path);
        if (index.isValid())
            m_gallery->view()->selectionModel()->setCurrentIndex(index, QItemSelectionModel::NoUpdate);
        m_attention->showFile(path);
        showModule(m_attention);
    });
    connect(m_gallery->view(), &GalleryView::chatRequested, this, [this](const QString &path) {
        const QModelIndex index = galleryIndexOf(m_gallery, path);
        if (index.isValid())
            m_gallery->view()->selectionModel()->setCurrentIndex(index, QItemSelectionModel::NoUpdate);
        m_chat->showFile(path);
        showModule(m_chat);
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
}

void MainWindow::connectJobs()
{
    connect(m_bridge, &EngineBridge::finished, this,
        [this](quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value) {
            if (id == m_samplesJob)
                sampleGalleryWritten(ok, error, cancelled, value);
        });
    connect(m_bridge, &EngineBridge::partial, this, [this](quint64, const QString &kind, const QVariant &value) {
        if (kind == QLatin1String(ml::kWarningPartial))
            statusBar()->showMessage(tr("Warning: %1").arg(EngineText::error(value.toString())), 2 * kMessageMs);
    });
    connect(m_jobStatus, &JobStatus::jobEnded, this, [this](const QString &name, bool cancelled, const QString &error) {
        if (cancelled)
            statusBar()->showMessage(tr("%1: cancelled").arg(name), kMessageMs);
        else
            statusBar()->showMessage(tr("%1 failed: %2").arg(name, error), 2 * kMessageMs);
    });
}

QWidget *MainWindow::library() const
{
    return m_library;
}

void MainWindow::showModule(QWidget *module)
{
    m_workspace->setCurrentModule(module);
}

void MainWindow::updateFilmstrip()
{
    if (!m_filmstripDock)
        return; // still being built
    const bool wanted = !m_showFilmstrip || m_showFilmstrip->isChecked();
    m_filmstripDock->setVisible(wanted && m_workspace->currentModule() != m_library);
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

    m_showFilmstrip = new QAction(this);
    m_showFilmstrip->setObjectName(QStringLiteral("viewFilmstrip"));
    m_showFilmstrip->setCheckable(true);
    m_showFilmstrip->setChecked(true);
    m_showFilmstrip->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F6));
    connect(m_showFilmstrip, &QAction::toggled, this, &MainWindow::updateFilmstrip);
    m_resetLayout = new QAction(this);
    m_resetLayout->setObjectName(QStringLiteral("viewResetLayout"));
    connect(m_resetLayout, &QAction::triggered, this, &MainWindow::resetLayout);

    // View > Library, Classify, …: the module bar from the keyboard (Ctrl+1 …).
    m_modules = new QActionGroup(this);
    for (int i = 0; i < m_workspace->count(); ++i) {
        QWidget *module = m_workspace->module(i);
        auto *action = new QAction(module->windowTitle(), m_modules);
        action->setObjectName(QStringLiteral("module_") + module->objectName());
        action->setCheckable(true);
        action->setChecked(module == m_workspace->currentModule());
        if (i < 9)
            action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
        connect(action, &QAction::triggered, this, [this, module] { showModule(module); });
        connect(module, &QWidget::windowTitleChanged, action, &QAction::setText);
    }
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
    m_viewMenu->addActions(m_modules->actions());
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(m_showFilmstrip);
    m_viewMenu->addAction(m_resetLayout);
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
    m_jobStatus = new JobStatus(m_bridge, m_gallery->model()->loader(), statusBar());
    statusBar()->addPermanentWidget(new MemoryStatus(m_bridge, this));
    statusBar()->setSizeGripEnabled(true);
}

void MainWindow::showFile(const QString &path)
{
    const QModelIndex index = galleryIndexOf(m_gallery, path);
    if (index.isValid()) {
        m_gallery->view()->setCurrentIndex(index); // the preview follows
        m_gallery->view()->scrollTo(index);
    } else {
        m_preview->showFile(path); // filtered out, or not in the gallery (a classified folder)
    }
    showModule(m_library);
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
    showModule(panel);
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
    showModule(m_classify);
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
    m_defaultState = saveState(kStateVersion);
    QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        resize(1360, 860);
    restoreState(settings.value(kStateKey).toByteArray(), kStateVersion);
    m_showFilmstrip->setChecked(settings.value(kFilmstripKey, true).toBool());
    settings.beginGroup(kLayoutGroup);
    if (!m_library->restoreState(settings.value(m_library->objectName()).toByteArray()))
        m_library->setSizes({600, 400}); // scaled to the window: the preview gets two fifths
    for (FeatureLayout *layout : findChildren<FeatureLayout *>())
        layout->restoreLayout(settings.value(layout->objectName()).toByteArray());
    settings.endGroup();
    if (QWidget *module = m_workspace->moduleNamed(settings.value(kModuleKey).toString()))
        showModule(module);
    updateFilmstrip();
}

void MainWindow::saveLayout() const
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState(kStateVersion));
    settings.setValue(kModuleKey, m_workspace->currentModule()->objectName());
    settings.setValue(kFilmstripKey, m_showFilmstrip->isChecked());
    settings.beginGroup(kLayoutGroup);
    settings.setValue(m_library->objectName(), m_library->saveState());
    for (const FeatureLayout *layout : findChildren<FeatureLayout *>())
        settings.setValue(layout->objectName(), layout->saveLayout());
    settings.endGroup();
}

void MainWindow::resetLayout()
{
    restoreState(m_defaultState, kStateVersion);
    m_library->setSizes({600, 400});
    for (FeatureLayout *layout : findChildren<FeatureLayout *>())
        layout->resetLayout();
    m_showFilmstrip->setChecked(true);
    updateFilmstrip();
    QSettings settings;
    settings.remove(kLayoutGroup);
    settings.remove(kStateKey);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveLayout();
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
    m_library->setWindowTitle(tr("Library"));
    m_showFilmstrip->setText(tr("&Filmstrip"));
    m_showFilmstrip->setStatusTip(tr("The gallery as a strip along the bottom of every module but the Library"));
    m_resetLayout->setText(tr("&Reset Layout"));
    m_resetLayout->setStatusTip(tr("Every module's panels back to their first sizes, the filmstrip shown"));
    m_jobStatus->retranslate();
}
