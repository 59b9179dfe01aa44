// DiffusionPanel: watch a diffusion model denoise, step by step. A model (ddpm-mini by default),
// a scheduler (DDPM / DDIM), steps, eta and a seed; Run / Pause / Step forward / Step back and a
// slider over every computed step; for the step shown, side by side: x_t, the predicted noise ε̂,
// the predicted clean image x̂0 and the forward-process x_t of an image at the same t; β_t, ᾱ_t
// and SNR with a cursor at t; branch from the shown step with a new seed (both endings shown);
// reconstruct an image noised to step t; export the trajectory as MP4 / GIF and a PNG grid.
// The session (core/engine/denoise_session.h) is driven by engine jobs only; the panel reads
// stored steps from it (a short data lock, never waiting for a step).
#pragma once

#include "engine/denoise_session.h"

#include <QWidget>

#include <memory>

class DiffusionTile;
class EngineBridge;
class ModelPicker;
class QComboBox;
class QDoubleSpinBox;
class QGridLayout;
class QGroupBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;
class QToolButton;
class SchedulePlot;

class DiffusionPanel : public QWidget {
    Q_OBJECT
public:
    enum SchedulerIndex { DdpmScheduler, DdimScheduler }; // the scheduler combo's entries

    explicit DiffusionPanel(EngineBridge *bridge, QWidget *parent = nullptr);
    ~DiffusionPanel() override; // keeps the form in QSettings

    // The forward process's image (the gallery's current item, or a dropped file); empty: none.
    // Decoded now when the panel is shown, else when it is.
    void showFile(const QString &path);
    QString forwardPath() const { return m_forwardPath; }

    // What the buttons do. run(): the shown run on to its end (a new run with the seed when it is
    // finished or the form changed); count > 0 stops after that many steps.
    void run(int count = -1);
    void pause();
    void stepForward(); // to the next stored step, or computes one more at the last
    void stepBack();    // to the previous stored step (no compute)
    void setViewStep(int index);
    void branchFromHere();      // with the branch seed; runs the branch to the end
    void reconstructFromHere(); // the forward image noised to the shown step's t, denoised to the end
    void showRun(int id);
    void reopen(); // applies the form now (normally a short timer after a change does); not while hidden

    // Exports: the trajectory of the shown run as .gif / .mp4 (an I/O job; false when it cannot
    // start) and the PNG grid of x_t and x̂0 at up to 10 steps with their t (written at once).
    bool exportAnimation(const QString &file);
    bool exportGrid(const QString &file);
    QImage gridImage() const;

    bool isBusy() const;
    bool isRunning() const { return m_runJob != 0; }
    std::shared_ptr<ml::DenoiseSession> session() const { return m_session; }
    int currentRun() const { return m_run; }
    int viewStep() const { return m_view; }
    int shownTimestep() const; // t of the shown step; -1 for the result
    QString message() const;
    bool messageIsError() const { return m_messageIsError; }

    ModelPicker *modelPicker() const { return m_picker; }
    QComboBox *schedulerCombo() const { return m_scheduler; }
    QSpinBox *stepsSpin() const { return m_steps; }
    QDoubleSpinBox *etaSpin() const { return m_eta; }
    QSpinBox *seedSpin() const { return m_seed; }
    QSpinBox *branchSeedSpin() const { return m_branchSeed; }
    QPushButton *runButton() const { return m_runButton; }
    QSlider *stepSlider() const { return m_slider; }
    QComboBox *runCombo() const { return m_runs; }
    DiffusionTile *sampleTile() const { return m_xt; }
    DiffusionTile *noiseTile() const { return m_eps; }
    DiffusionTile *predictionTile() const { return m_x0; }
    DiffusionTile *forwardTile() const { return m_forward; }
    DiffusionTile *originalEndingTile() const { return m_originalEnding; }
    DiffusionTile *branchEndingTile() const { return m_branchEnding; }
    QGroupBox *endingsGroup() const { return m_endingsGroup; }
    SchedulePlot *plot() const { return m_plot; }
    QLabel *infoLabel() const { return m_info; }
    QLabel *statusLabel() const { return m_status; }

Q_SIGNALS:
    void opened();       // a configuration is open (the plot drawn)
    void stepShown();    // the tiles show another step
    void runStopped();   // a run job ended (finished, paused or failed)
    void forwardReady(); // the forward image is set
    void exported(bool ok, const QString &file);

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void resizeEvent(QResizeEvent *event) override; // the four pictures: one row, or 2 x 2 when narrow
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    enum class RunKind { Continue, New, Branch, Reconstruct };
    void retranslate();
    void arrangeTiles(int columns);
    void restoreSettings();
    void saveSettings() const;
    ml::DenoiseSessionConfig config() const;
    QString configKey() const;
    bool formIsOpen() const { return !m_openKey.isEmpty() && m_openKey == configKey(); }
    void scheduleReopen();
    void submitRun(RunKind kind, int count, int index = 0);
    void submitForward();
    void onForwardDone(quint64 ticket, const QString &error);
    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void setOpened(const ml::DenoiseSessionInfo &info);
    void refreshRuns(); // the run combo from the session
    void refreshView(); // tiles, slider, cursor, endings from the session
    void updateControls();
    void updateInfo();
    void updateStatus();
    int minView() const;
    int maxView() const;
    void showMessage(const QString &text, bool error);
    void exportAnimationDialog();
    void exportGridDialog();
    QString runLabel(const ml::DenoiseRunInfo &r) const;

    EngineBridge *m_bridge;
    std::shared_ptr<ml::DenoiseSession> m_session;

    QLabel *m_message;
    bool m_messageIsError = false;
    QLabel *m_modelLabel;
    ModelPicker *m_picker;
    QPushButton *m_openFolder;
    QGroupBox *m_samplerGroup;
    QLabel *m_schedulerLabel, *m_stepsLabel, *m_etaLabel, *m_seedLabel;
    QComboBox *m_scheduler;
    QSpinBox *m_steps;
    QDoubleSpinBox *m_eta;
    QSpinBox *m_seed;
    QToolButton *m_newSeed;

    QPushButton *m_runButton;
    QToolButton *m_back, *m_forwardButton;
    QSlider *m_slider;
    QLabel *m_stepLabel;
    QLabel *m_runLabel;
    QComboBox *m_runs;

    QGridLayout *m_tiles;
    int m_tileColumns = 0;
    DiffusionTile *m_xt, *m_eps, *m_x0, *m_forward;
    QLabel *m_tilesHint;

    QGroupBox *m_branchGroup;
    QLabel *m_branchSeedLabel;
    QSpinBox *m_branchSeed;
    QPushButton *m_branchButton;
    QGroupBox *m_endingsGroup;
    DiffusionTile *m_originalEnding, *m_branchEnding;
    int m_originalRun = -1, m_branchRun = -1;

    QGroupBox *m_forwardGroup;
    QLabel *m_forwardHint;
    QPushButton *m_chooseImage;
    QPushButton *m_reconstruct;

    QGroupBox *m_scheduleGroup;
    SchedulePlot *m_plot;

    QPushButton *m_exportVideo, *m_exportGrid;
    QLabel *m_info;
    QLabel *m_status;

    QTimer *m_reopenTimer;
    QTimer *m_viewTimer; // a fast run redraws at most ~30 times a second

    QString m_openKey;        // the configuration the session has open
    QString m_pendingOpenKey; // the one the last job that opens asked for
    ml::DenoiseSessionInfo m_sessionInfo;
    std::vector<std::int64_t> m_timesteps;
    quint64 m_openJob = 0, m_runJob = 0, m_exportJob = 0;
    quint64 m_forwardTicket = 0; // the newest forward-image decode (on a pool thread)
    bool m_forwardBusy = false;
    QString m_exportFile;
    int m_run = -1;
    int m_view = 0;
    bool m_follow = true; // the view moves with the run while it is at its last step
    double m_msPerStep = 0.0;
    int m_jobSteps = 0;
    bool m_paused = false;
    QString m_forwardPath;
    QString m_forwardName;
    bool m_forwardReady = false;
    bool m_pendingShow = false;
};
