// MainWindow: the gallery in the centre, the preview and the later panels as tabbed docks on
// the right, a status bar with the current job, its progress and a Cancel button.
#pragma once

#include <QHash>
#include <QList>
#include <QMainWindow>

class AttentionPanel;
class ClassifyPanel;
class CoopPanel;
class DiffusionPanel;
class EngineBridge;
class GalleryWidget;
class ModelPicker;
class PreviewPane;
class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QMimeData;
class QProgressBar;
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

    // A feature panel as a dock, tabbed with the others in its area; the dock's title
    // follows the panel's windowTitle (so it retranslates with the panel).
    QDockWidget *addPanel(QWidget *panel, Qt::DockWidgetArea area = Qt::RightDockWidgetArea);

    EngineBridge *bridge() const { return m_bridge; }
    GalleryWidget *gallery() const { return m_gallery; }
    PreviewPane *preview() const { return m_preview; }
    ClassifyPanel *classifyPanel() const { return m_classify; }
    TrainingPanel *trainingPanel() const { return m_training; }
    CoopPanel *coopPanel() const { return m_coop; }
    SearchPanel *searchPanel() const { return m_search; }
    AttentionPanel *attentionPanel() const { return m_attention; }
    DiffusionPanel *diffusionPanel() const { return m_diffusion; }
    QLabel *jobLabel() const { return m_jobLabel; }
    QProgressBar *progressBar() const { return m_progress; }
    QPushButton *cancelButton() const { return m_cancel; }

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    struct JobState {
        QString name; // as the job was submitted: EngineText::jobName() shows it
        qint64 done = 0;
        qint64 total = 0;
        double etaSeconds = -1.0;
        bool paused = false; // the job reported the stage "paused" (a training run)
    };

    void createActions();
    void createMenus();
    void createStatusBar();
    void retranslate();
    void updateJobStatus();
    void cancelCurrent();
    void openFilesDialog();
    void openFolderDialog();
    void showSettings();
    void showAbout();
    void restoreLayout();
    void polishDockTabBars();                   // whole panel titles on the dock tabs, scroll arrows when crowded
    void showFile(const QString &path);         // selects it in the gallery (or just previews it)
    void raisePreview();                        // the Preview dock shown and on top of its tab group
    void openInClassify(const QString &folder); // a checkpoint: listed, chosen, its panel raised
    // folder listed in the panel's picker (its parent added when needed), chosen, the panel raised;
    // notUsable (%1: the folder) goes to the status bar when the picker cannot use it.
    void openCheckpoint(QWidget *panel, ModelPicker *picker, const QString &folder, const QString &notUsable);
    // A learnt prompt: the Classify panel uses it, with its classes and (when listed) its model.
    void useLearntPromptInClassify(const QString &file, const QString &modelPath);
    void raisePanel(QWidget *panel); // its dock shown and on top of its tab group
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
    QList<QDockWidget *> m_panelDocks;

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
    QAction *m_settings = nullptr;
    QAction *m_about = nullptr;

    QLabel *m_jobLabel = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_cancel = nullptr;
    QList<quint64> m_jobOrder; // running engine jobs, oldest first
    QHash<quint64, JobState> m_jobs;
    QString m_samplesDir;
    quint64 m_samplesJob = 0;
    int m_thumbDone = 0;
    int m_thumbTotal = 0;
};
