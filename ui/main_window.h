// MainWindow: a workspace of modules (Library: the gallery beside the preview; then one module
// per feature, each owning the central area), the media as a filmstrip along the bottom in every
// other module, and a status bar with the current job, its progress and a Cancel button.
#pragma once

#include <QHash>
#include <QList>
#include <QMainWindow>

class AttentionPanel;
class ChatPanel;
class ClassifyPanel;
class CoopPanel;
class DiffusionPanel;
class EngineBridge;
class GalleryWidget;
class JobStatus;
class ModelPicker;
class PreviewPane;
class QFormerPanel;
class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QMimeData;
class QProgressBar;
class QSplitter;
class Filmstrip;
class Workspace;
class QActionGroup;
class QPushButton;
class RecentMenu;
class SearchPanel;
class TrainingPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // thumbnailCacheDir empty: QStandardPaths::CacheLocation + "/thumbnails".
    explicit MainWindow(QWidget *parent = nullptr, const QString &thumbnailCacheDir = {});
    ~MainWindow() override;

    // Files and folders (recursively) into the gallery, as a drop or File > Open would; they go
    // to the top of File > Open Recent.
    void openPaths(const QStringList &paths);
    RecentMenu *recentMenu() const { return m_recent; }
    // File > Open Sample Gallery: writes the sample gallery (an I/O job, once; later calls find it
    // complete) and adds its folder. dir empty: ml::train::defaultSampleGalleryDir().
    void openSampleGallery();
    void setSampleGalleryDir(const QString &dir) { m_samplesDir = dir; }
    QAction *openSamplesAction() const { return m_openSamples; }
    // A UNet2DModel checkpoint (a DDPM training run's folder): listed and chosen in the Diffusion
    // panel, which is raised.
    void openInDiffusion(const QString &folder);

    // A feature's module (the Library or a panel) in the central area; the filmstrip shows
    // outside the Library.
    void showModule(QWidget *module);
    Workspace *workspace() const { return m_workspace; }
    QWidget *library() const;
    Filmstrip *filmstrip() const { return m_filmstrip; }
    // View > Reset Layout: the default sizes of every module, the filmstrip shown, docked below.
    void resetLayout();

    EngineBridge *bridge() const { return m_bridge; }
    GalleryWidget *gallery() const { return m_gallery; }
    PreviewPane *preview() const { return m_preview; }
    ClassifyPanel *classifyPanel() const { return m_classify; }
    TrainingPanel *trainingPanel() const { return m_training; }
    CoopPanel *coopPanel() const { return m_coop; }
    SearchPanel *searchPanel() const { return m_search; }
    AttentionPanel *attentionPanel() const { return m_attention; }
    DiffusionPanel *diffusionPanel() const { return m_diffusion; }
    ChatPanel *chatPanel() const { return m_chat; }
    QFormerPanel *qformerPanel() const { return m_qformer; }

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createStatusBar();
    void retranslate();
    void openFilesDialog();
    void openFolderDialog();
    void showSettings();
    void showAbout();
    void createWorkspace();
    void connectPanels();
    void connectGalleryMenu();
    void connectJobs();
    void restoreLayout();
    void saveLayout() const;
    void updateFilmstrip(); // shown outside the Library when View > Filmstrip is on
    void sampleGalleryWritten(bool ok, const QString &error, bool cancelled, const QVariant &value);
    void showFile(const QString &path);         // the Library, on that item (selected in the gallery)
    void openInClassify(const QString &folder); // a checkpoint: listed, chosen, its panel raised
    // folder listed in the panel's picker (its parent added when needed), chosen, the panel raised;
    // notUsable (%1: the folder) goes to the status bar when the picker cannot use it.
    void openCheckpoint(QWidget *panel, ModelPicker *picker, const QString &folder, const QString &notUsable);
    // A learnt prompt: the Classify panel uses it, with its classes and (when listed) its model.
    void useLearntPromptInClassify(const QString &file, const QString &modelPath);
    void reportMissing(const QStringList &paths, bool restored);
    static QStringList localPaths(const QMimeData *mime);

    EngineBridge *m_bridge;
    GalleryWidget *m_gallery;
    PreviewPane *m_preview;
    ClassifyPanel *m_classify;
    TrainingPanel *m_training;
    CoopPanel *m_coop;
    SearchPanel *m_search;
    AttentionPanel *m_attention;
    DiffusionPanel *m_diffusion;
    ChatPanel *m_chat;
    QFormerPanel *m_qformer;
    Workspace *m_workspace = nullptr;
    QSplitter *m_library = nullptr; // the gallery beside the preview
    Filmstrip *m_filmstrip = nullptr;
    QDockWidget *m_filmstripDock = nullptr;
    QByteArray m_defaultState; // saveState() before any saved layout was restored

    QMenu *m_fileMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QMenu *m_settingsMenu = nullptr;
    QMenu *m_helpMenu = nullptr;
    RecentMenu *m_recent = nullptr;
    QAction *m_openFiles = nullptr;
    QAction *m_openFolder = nullptr;
    QAction *m_openSamples = nullptr;
    QAction *m_clear = nullptr;
    QAction *m_quit = nullptr;
    QAction *m_focusFilter = nullptr;
    QAction *m_fullScreen = nullptr;
    QAction *m_showFilmstrip = nullptr;
    QAction *m_resetLayout = nullptr;
    QActionGroup *m_modules = nullptr; // View > Library, Classify, … (Ctrl+1 …)
    QAction *m_settings = nullptr;
    QAction *m_about = nullptr;

    JobStatus *m_jobStatus = nullptr;
    QString m_samplesDir;
    quint64 m_samplesJob = 0;
};
