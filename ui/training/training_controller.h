// TrainingController: the Training panel's one engine job and its state. It turns the form's
// values into a CLIP or DDPM training job, pauses, resumes and stops it (a checkpoint first),
// follows its progress and "metric" / "samples" / "sample-grid" / "checkpoint" partials, keeps
// the runs on the curves (TrainingRuns) and the checkpoints the user can open elsewhere. Pages
// read its state and redraw on its signals; tests drive it directly.
#pragma once

#include "engine/clip_train_service.h"
#include "engine/train_types.h"
#include "train/run_folder.h"
#include "training/training_request.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>

#include <memory>
#include <optional>

class EngineBridge;
class TrainingRuns;

class TrainingController : public QObject {
    Q_OBJECT
public:
    enum class Outcome { None, Finished, Stopped, Cancelled, Failed };
    struct Checkpoint {
        QString folder;
        ml::train::RunKind kind = ml::train::RunKind::Clip;
        qint64 step = 0;
        QDateTime saved; // of its weights
    };

    explicit TrainingController(EngineBridge *bridge, QObject *parent = nullptr);

    // Checks the values and submits the job: its id, or 0 (and message() says why).
    quint64 start(const TrainingFormValues &values);
    void togglePause(); // pause, or resume when paused
    void stop();        // graceful: evaluates (or draws samples), writes a checkpoint, then ends

    bool isRunning() const { return m_job != 0; }
    bool isPaused() const; // the job sits idle
    bool isPauseRequested() const;
    bool isStopping() const { return m_stopping; }
    quint64 job() const { return m_job; }
    ml::train::RunKind jobKind() const { return m_jobKind; } // of the current (or last) run
    QString runFolder() const { return m_runFolder; }        // of the current (or last) run
    qint64 currentStep() const { return m_step; }
    qint64 totalSteps() const { return m_totalSteps; }
    Outcome outcome() const { return m_outcome; }
    QString stateText() const; // "Training", "Paused", "Finished", ...

    // The status figures: the last metric, the pace of the last metric with training steps, the
    // job's own time-left estimate (< 0 unknown), the last held-out accuracy, the precision used.
    const std::optional<ml::TrainMetric> &lastMetric() const { return m_lastMetric; }
    double stepsPerS() const { return m_stepsPerS; }
    double imagesPerS() const { return m_imagesPerS; }
    double etaSeconds() const { return m_etaSeconds; }
    const ml::ZeroShotAccuracy &lastAccuracy() const { return m_lastAccuracy; }
    QString dtypeUsed() const { return m_dtypeUsed; }
    QString sampleGridFile() const { return m_sampleGridFile; } // the last DDPM sample grid's PNG

    QString message() const { return m_message; }
    bool messageIsError() const { return m_messageIsError; }
    void showMessage(const QString &text, bool error);
    void clearMessage() { showMessage(QString(), false); }

    // Overlaid runs: the live one and those read from a run folder's metrics.jsonl (a folder or
    // the file itself), followed as it grows. addRun: false, with a message, on failure.
    TrainingRuns *runs() const { return m_runs; }
    bool addRun(const QString &path);
    void removeRun(int row); // the run being trained stays until it ends

    // Checkpoint folders: the live run's after each write, and loaded runs that hold one.
    const QList<Checkpoint> &checkpointList() const { return m_checkpoints; }
    QStringList checkpoints() const;
    bool openInClassify(int row);  // false unless that row holds a CLIP checkpoint
    bool openInDiffusion(int row); // false unless that row holds a DDPM checkpoint
    // The last run ended with a DDPM checkpoint: it opens in the Diffusion panel.
    bool resultOpensInDiffusion() const;
    void openResult();

Q_SIGNALS:
    void stateChanged(); // running, paused, the step and the status figures
    void messageChanged();
    void started(ml::train::RunKind kind);
    void finished();
    void samplesArrived(const ml::TrainSamples &samples);
    void sampleGridSaved(const QString &file);
    void accuracyMeasured(qint64 step);
    void checkpointsChanged(int currentRow);
    void runSelected(int row); // the run just started or added
    void openInClassifyRequested(const QString &folder);
    void openInDiffusionRequested(const QString &checkpointFolder);

private:
    void reset(const TrainingRequest &request);
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta);
    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void addMetric(const ml::TrainMetric &m);
    void addCheckpoint(const QString &path);

    EngineBridge *m_bridge;
    TrainingRuns *m_runs;
    QList<Checkpoint> m_checkpoints;
    QString m_message;
    bool m_messageIsError = false;

    quint64 m_job = 0;
    ml::train::RunKind m_jobKind = ml::train::RunKind::Clip;
    std::shared_ptr<ml::TrainControl> m_control;
    QString m_runFolder;
    QString m_stage;
    Outcome m_outcome = Outcome::None;
    bool m_stopping = false;
    bool m_sawCheckpoint = false;
    qint64 m_step = 0, m_totalSteps = 0, m_startStep = 0;
    std::optional<ml::TrainMetric> m_lastMetric;
    double m_etaSeconds = -1.0;
    double m_stepsPerS = 0.0, m_imagesPerS = 0.0;
    ml::ZeroShotAccuracy m_lastAccuracy;
    QString m_dtypeUsed;
    QString m_sampleGridFile;
};
