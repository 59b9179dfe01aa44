// TrainingPanel: trains a CLIP model or a DDPM (diffusion) model live. A settings form (model,
// preset, steps, batch, learning rate, seed, evaluation / sample-grid cadence, data mix for CLIP,
// Fashion-MNIST folder, run folder, resume), Start / Pause / Stop, throughput and ETA, curves of
// several runs overlaid (loss and learning rate; CLIP adds held-out accuracy and temperature), the
// held-out samples with the model's current guesses (CLIP) or the images the model generates
// (DDPM), and the runs' checkpoints, each one click away from the Classify or Diffusion panel.
#pragma once

#include "engine/clip_train_service.h"
#include "engine/ddpm_train_service.h"

#include <QColor>
#include <QHash>
#include <QPointer>
#include <QWidget>

#include <memory>
#include <optional>

class EngineBridge;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFileSystemWatcher;
class QFormLayout;
class QGridLayout;
class QGroupBox;
class QJsonObject;
class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QMessageBox;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QSpinBox;
class QTabWidget;
class QToolButton;
class SampleGrid;
class TrainingPlot;

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    enum Plot { LossPlot, AccuracyPlot, LearningRatePlot, TemperaturePlot };
    enum Tab { SetupTab, CurvesTab, SamplesTab, RunsTab };
    enum ModelKind { ClipModel, DdpmModel };

    explicit TrainingPanel(EngineBridge *bridge, QWidget *parent = nullptr);
    ~TrainingPanel() override; // keeps the form's choices in QSettings

    // Start checks the form and returns the engine job's id, or 0 (and message() says why).
    quint64 start();
    // The Start button: start(), but a run estimated to take over 10 minutes asks first (the
    // question is longRunQuestion() while it is open).
    void requestStart();
    // Seconds the form's run would take on this machine, from its preset's measured pace; < 0 unknown.
    double estimatedSeconds() const;
    QMessageBox *longRunQuestion() const { return m_longRun; }
    void togglePause(); // pause, or resume when paused
    void stop();        // graceful: evaluates, writes a checkpoint, then ends
    bool isRunning() const { return m_job != 0; }
    bool isPaused() const; // the job sits idle
    bool isPauseRequested() const;
    qint64 currentStep() const { return m_step; }
    qint64 totalSteps() const { return m_totalSteps; }
    QString runFolder() const { return m_runFolder; } // of the current (or last) run
    QString stateText() const;                        // "Training", "Paused", "Finished", ...
    QString statusSummary() const;                    // every status figure in one line

    // A fresh run folder name under the app's data folder: .../runs/<clip|ddpm>-<preset>-<timestamp>.
    static QString newRunFolder(const QString &preset, ModelKind kind = ClipModel);
    static QString runsRoot(); // AppDataLocation/runs

    // Overlaid runs: the live one and those read from a run folder's metrics.jsonl (a folder or the
    // file itself). A loaded run follows its file as it grows. False, with a message, on failure.
    bool addRun(const QString &path);
    void removeRun(int row);
    int runCount() const;
    QString runName(int row) const;

    // What the plots show, for callers that cannot include QCustomPlot (its bare keywords clash
    // with QT_NO_KEYWORDS).
    int plotGraphCount(Plot plot) const; // graphs holding points
    int plotPointCount(Plot plot, int runRow, int series = 0) const;
    bool plotLogScale(Plot plot) const;
    bool plotFollowsData(Plot plot) const;
    bool isPlotShown(Plot plot) const; // accuracy and temperature hide for DDPM
    void resetPlotViews();

    // Checkpoint folders: the live run's after each write, and loaded runs that hold one.
    QStringList checkpoints() const;
    // Emits openInClassifyRequested() for the checkpoint in that row; false if there is none or it
    // is not a CLIP checkpoint.
    bool openInClassify(int row);
    // Emits openInDiffusionRequested() for the checkpoint in that row; false if there is none or it
    // is not a DDPM checkpoint.
    bool openInDiffusion(int row);

    // The model the form trains (and, while a run goes, the one being trained).
    ModelKind modelKind() const;
    void setModelKind(ModelKind kind);

    QString message() const;
    bool messageIsError() const { return m_messageIsError; }

    QComboBox *modelCombo() const { return m_kind; }
    QComboBox *presetCombo() const { return m_preset; }
    QSpinBox *stepsSpin() const { return m_steps; }
    QSpinBox *batchSpin() const { return m_batch; }
    QLineEdit *learningRateEdit() const { return m_lr; }
    QSpinBox *seedSpin() const { return m_seed; }
    QSpinBox *evalEverySpin() const { return m_evalEvery; }
    QSpinBox *checkpointEverySpin() const { return m_checkpointEvery; }
    QSpinBox *mixSpin(int i) const { return m_mix[i]; } // Fashion-MNIST, Shapes one object, several
    QComboBox *dtypeCombo() const { return m_dtype; }
    QLineEdit *fashionEdit() const { return m_fashionDir; }
    QLineEdit *runFolderEdit() const { return m_folder; }
    QCheckBox *resumeCheck() const { return m_resume; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *pauseButton() const { return m_pause; }
    QPushButton *stopButton() const { return m_stop; }
    // Shown once a DDPM run has ended with a checkpoint: opens it in the Diffusion panel.
    QPushButton *openInDiffusionButton() const { return m_openResult; }
    QCheckBox *logScaleCheck() const { return m_logScale; }
    QTabWidget *tabs() const { return m_tabs; }
    SampleGrid *sampleGrid() const { return m_samples; }
    QListWidget *runList() const { return m_runList; }
    QListWidget *checkpointList() const { return m_checkpointList; }

Q_SIGNALS:
    // The user wants this checkpoint folder in the Classify panel (MainWindow selects it there).
    void openInClassifyRequested(const QString &folder);
    // The user wants this DDPM checkpoint folder (diffusers' flat layout) in the Diffusion panel.
    void openInDiffusionRequested(const QString &checkpointFolder);

protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override; // the plots' columns follow the width

private:
    struct Run {
        int id = 0;
        QString name;
        QString folder;
        QString metricsFile; // followed while loaded; empty for the live run
        QColor colour;
        bool live = false;
        qint64 lastStep = 0;
    };

    QWidget *createSetupPage();
    QWidget *createCurvesPage();
    QWidget *createSamplesPage();
    QWidget *createRunsPage();
    QWidget *createStatusBox();
    void retranslate();
    void restoreSettings();
    void saveSettings() const;

    void applyKind(ModelKind kind);          // the form's rows, presets and plots for that model
    void applyPreset(const QString &preset); // the form's values from the preset
    void onResumeToggled(bool on);
    bool loadRunState(const QString &folder, QString *error); // resume: the form from trainer_state.json
    void setFormLocked(bool running);
    void updateButtons();
    void updateStatus();
    void layoutPlots();
    void updateHints(); // precision and Fashion-MNIST
    void updatePresetHint();
    QString presetDuration(bool ddpm, const QString &preset, qint64 steps, int batch) const;
    void updatePlotVisibility(); // accuracy and temperature only where they apply
    void updateSamplesHeader();
    void updateClipSamplesHeader(); // the live CLIP run's samples, with the held-out accuracy
    ModelKind shownKind() const;    // the live run's while one goes, else the form's

    // The common checks of the form, the folder made; nullopt (and a message) when something is wrong.
    struct FormValues {
        QString folder;
        bool resume = false;
        double lr = 0.0;
    };
    std::optional<FormValues> checkForm();
    // The form, checked; nullopt (and a message) when something is wrong.
    std::optional<ml::ClipTrainRequest> prepare();
    std::optional<ml::DdpmTrainRequest> prepareDdpm();
    void showMessage(const QString &text, bool error);
    void clearMessage();

    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta);
    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void addMetric(const ml::TrainMetric &m);
    void addSamples(const ml::TrainSamples &samples);
    void addCheckpoint(const QString &folder);
    void addSampleGrid(const ml::DdpmSampleGrid &grid);

    Run *runAt(int row);
    int rowOfRun(int id) const;
    int addRunEntry(const QString &name, const QString &folder, bool live);
    void addJsonPoints(const Run &run, const QJsonObject &line);
    bool readMetrics(Run &run, qint64 upToStep, QString *error); // replaces the run's points
    void updateRunItem(int row);
    QColor nextColour() const;
    TrainingPlot *plot(Plot which) const { return m_plots[which]; }

    EngineBridge *m_bridge;

    QLabel *m_message;
    bool m_messageIsError = false;
    QTabWidget *m_tabs;

    // Setup
    QLabel *m_kindLabel, *m_unetLabel, *m_presetLabel, *m_stepsLabel, *m_batchLabel, *m_lrLabel, *m_seedLabel,
        *m_evalLabel, *m_checkpointLabel, *m_mixLabel, *m_dtypeLabel, *m_fashionLabel, *m_folderLabel;
    QGroupBox *m_modelGroup, *m_dataGroup, *m_runGroup;
    QFormLayout *m_modelForm, *m_dataForm;
    QComboBox *m_kind;
    QComboBox *m_preset;
    QLabel *m_unet;        // the DDPM preset's UNet (or the resumed run's), read-only
    QString m_presetOf[2]; // the last preset chosen for each model kind
    QLabel *m_presetHint;
    QSpinBox *m_steps;
    QSpinBox *m_batch;
    QLineEdit *m_lr;
    QSpinBox *m_seed;
    QSpinBox *m_evalEvery;
    QSpinBox *m_checkpointEvery;
    QSpinBox *m_mix[3];
    QLabel *m_mixNames[3];
    QWidget *m_mixBox; // the shares, under their names
    QComboBox *m_dtype;
    QLineEdit *m_fashionDir;
    QToolButton *m_fashionBrowse;
    QLabel *m_fashionHint;
    QLineEdit *m_folder;
    QToolButton *m_folderBrowse;
    QCheckBox *m_resume;
    QLabel *m_resumeHint;
    bool m_folderIsAuto = true; // the run folder is a generated name, renewed with the preset

    // Controls and status
    QPushButton *m_start;
    QPushButton *m_pause;
    QPushButton *m_stop;
    QPushButton *m_openResult; // "Open in Diffusion" after a DDPM run
    QLabel *m_state;
    QProgressBar *m_progress;
    QGridLayout *m_statusGrid;
    enum StatusField {
        StepField,
        LossField,
        StepsPerSField,
        ImagesPerSField,
        EtaField,
        ElapsedField,
        DtypeField,
        AccuracyField,
        FieldCount
    };
    QLabel *m_fieldNames[FieldCount];
    QLabel *m_fieldValues[FieldCount];

    // Curves
    TrainingPlot *m_plots[4];
    QScrollArea *m_plotScroll;
    QGridLayout *m_plotGrid;
    int m_plotColumns = 0;
    QCheckBox *m_logScale;
    QPushButton *m_resetView;
    QPushButton *m_addRunCurves;
    QLabel *m_curvesHint;

    // Samples
    QLabel *m_samplesHeader;
    SampleGrid *m_samples;

    // Runs and checkpoints
    QLabel *m_runsLabel;
    QListWidget *m_runList;
    QPushButton *m_addRun;
    QPushButton *m_removeRun;
    QLabel *m_tensorBoard;
    QLabel *m_checkpointsLabel;
    QListWidget *m_checkpointList;
    QPushButton *m_openInClassify;
    QPushButton *m_openInDiffusion;
    QPushButton *m_openFolder;

    // The live job
    quint64 m_job = 0;
    ModelKind m_jobKind = ClipModel; // of the current (or last) run
    std::shared_ptr<ml::TrainControl> m_control;
    int m_liveRun = -1; // Run::id
    QString m_runFolder;
    QString m_stage;
    enum class Outcome { None, Finished, Stopped, Cancelled, Failed } m_outcome = Outcome::None;
    bool m_stopping = false;
    bool m_sawCheckpoint = false;
    qint64 m_step = 0, m_totalSteps = 0, m_startStep = 0;
    std::optional<ml::TrainMetric> m_lastMetric;
    double m_etaSeconds = -1.0; // the job's own estimate, as the status bar shows it too
    QPointer<QMessageBox> m_longRun;
    double m_stepsPerS = 0.0, m_imagesPerS = 0.0; // of the last metric with training steps
    ml::ZeroShotAccuracy m_lastAccuracy;
    QString m_dtypeUsed;
    QString m_sampleGridFile; // the last DDPM sample grid's PNG

    QList<Run> m_runs; // in list order
    int m_nextRunId = 0;
    QFileSystemWatcher *m_watcher;
};
