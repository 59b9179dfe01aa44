// DiffusionController: the Diffusion feature's jobs and state. It keeps the form (model,
// scheduler, steps, eta, seed, branch seed; remembered in QSettings), opens the form's
// DenoiseSession configuration (a job, debounced), submits the core's run job
// (ml::makeDenoiseRunJob: open if needed, then a new run / branch / reconstruction / continue,
// stepped to the end or for a count), follows its partial results, decodes the forward
// process's image on a pool thread and exports the shown trajectory. The pages read the
// session's stored steps through it and call its actions; nothing here is a widget.
#pragma once

#include "engine/denoise_session.h"

#include <QFont>
#include <QImage>
#include <QObject>
#include <QString>

#include <memory>
#include <vector>

class EngineBridge;
class QTimer;

class DiffusionController : public QObject {
    Q_OBJECT
public:
    enum SchedulerIndex { DdpmScheduler, DdimScheduler }; // the scheduler combo's entries
    static constexpr int kDefaultDdpmSteps = 1000;        // the model's own chain
    static constexpr int kDefaultDdimSteps = 50;

    struct Form {
        QString model; // a ModelPicker path; empty: none chosen
        int scheduler = DdpmScheduler;
        int steps = kDefaultDdpmSteps;
        double eta = 0.0; // DDIM only
        int seed = 0;
        int branchSeed = 1;
    };

    explicit DiffusionController(EngineBridge *bridge, QObject *parent = nullptr);
    ~DiffusionController() override; // keeps the form in QSettings

    // --- the form. Each setter reopens (debounced) when the configuration changed.
    const Form &form() const { return m_form; }
    void setModel(const QString &path);
    void setScheduler(int index); // and that scheduler's default steps (eta 0 for DDPM)
    void setSteps(int steps);
    void setEta(double eta);
    void setSeed(int seed); // the branch seed follows (seed + 1); the forward noise is the seed's x_T
    void setBranchSeed(int seed);
    int maxSteps() const { return m_maxSteps; } // the open model's train timesteps
    // While the model list is still being searched, an empty model is not an error yet.
    void setModelsPending(bool pending) { m_modelsPending = pending; }

    // Whether the feature is on screen: a hidden feature loads and decodes nothing; what changed
    // meanwhile is done when it becomes active.
    void setActive(bool active);

    // --- actions. run(): the shown run on to its end (a new run with the seed when it is finished
    // or the form changed); count > 0 stops after that many steps.
    void run(int count = -1);
    void pause();
    void stepForward(); // to the next stored step, or computes one more at the last
    void stepBack();    // to the previous stored step (no compute)
    void setViewStep(int index);
    void branchFromHere();      // with the branch seed; runs the branch to the end
    void reconstructFromHere(); // the forward image noised to the shown step's t, denoised to the end
    void showRun(int id);
    void reopen(); // applies the form now (normally a short timer after a change does); not while inactive

    // The forward process's image (the gallery's current item, or a dropped file); empty: none.
    void setForwardFile(const QString &path);
    QString forwardPath() const { return m_forwardPath; }
    QString forwardName() const { return m_forwardName; }
    bool isForwardReady() const { return m_forwardReady; }
    bool isForwardBusy() const { return m_forwardBusy; }

    // Exports: the shown run's trajectory as .gif / .mp4 (an I/O job; false when it cannot start)
    // and the PNG grid of x_t and x̂0 at up to 10 steps with their t (written at once).
    bool exportAnimation(const QString &file);
    bool exportGrid(const QString &file);
    QImage gridImage() const;
    void setGridFont(const QFont &font) { m_gridFont = font; }
    QString defaultExportName(const QString &suffix) const; // "<model>-run<N><suffix>"

    // --- state
    std::shared_ptr<ml::DenoiseSession> session() const { return m_session; }
    const ml::DenoiseSessionInfo &sessionInfo() const { return m_sessionInfo; }
    const std::vector<std::int64_t> &timesteps() const { return m_timesteps; }
    bool isOpenConfigured() const { return !m_openKey.isEmpty(); } // some configuration is open
    bool formIsOpen() const { return !m_openKey.isEmpty() && m_openKey == configKey(); }
    bool hasModel() const { return !configKey().isEmpty(); }
    bool isBusy() const;
    bool isRunning() const { return m_runJob != 0; }
    bool isExporting() const { return m_exportJob != 0; }
    bool isOpening() const { return m_openJob != 0; }
    int currentRun() const { return m_run; }
    int viewStep() const { return m_view; }
    int minView() const;
    int maxView() const;
    int shownTimestep() const; // t of the shown step; -1 for the result
    // The run that the shown run's "endings" compare (-1 -1 when the shown run has no branch).
    int originalEndingRun() const { return m_originalRun; }
    int branchEndingRun() const { return m_branchRun; }
    QString runLabel(const ml::DenoiseRunInfo &r) const; // "Run 2: branch of run 1 at step 5, seed 4"
    void showMessage(const QString &text, bool error);   // the message line above the pictures
    QString message() const { return m_message; }
    bool messageIsError() const { return m_messageIsError; }
    QString status() const { return m_status; }
    QString infoText() const; // model, size, scheduler, dtype, tensor budget

Q_SIGNALS:
    void formChanged();    // a form value changed (also from here: branch seed, max steps)
    void opened();         // a configuration is open (the schedule known)
    void viewChanged();    // another step, run or forward image to show
    void runsChanged();    // runs were added or progressed
    void runStopped();     // a run job ended (finished, paused or failed)
    void forwardReady();   // the forward image is set
    void messageChanged(); // message() or status() changed
    void exported(bool ok, const QString &file);

private:
    void restoreSettings();
    void saveSettings() const;
    ml::DenoiseSessionConfig config() const;
    QString configKey() const;
    void scheduleReopen();
    void submitRun(ml::DenoiseRunRequest::Kind kind, int count, int index = 0);
    void submitForward();
    void onForwardDone(quint64 ticket, const QString &error);
    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void onRunFinished(bool ok, const QString &error, bool cancelled);
    void onExportFinished(bool ok, const QString &error, bool cancelled);
    void setOpened(const ml::DenoiseSessionInfo &info);
    void findEndings();
    void showView(); // endings found, viewChanged() emitted
    void updateStatus();
    void setStatus(const QString &text);

    EngineBridge *m_bridge;
    std::shared_ptr<ml::DenoiseSession> m_session;
    Form m_form;
    int m_maxSteps = kDefaultDdpmSteps;
    bool m_active = false;
    bool m_modelsPending = false;
    QTimer *m_reopenTimer;
    QTimer *m_viewTimer; // a fast run redraws at most ~30 times a second
    QFont m_gridFont;

    QString m_message;
    bool m_messageIsError = false;
    QString m_status;

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
    bool m_paused = false;
    int m_originalRun = -1, m_branchRun = -1;
    QString m_forwardPath;
    QString m_forwardName;
    bool m_forwardReady = false;
};
