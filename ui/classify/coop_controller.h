// CoopController: the Prompt Tuning feature's job and state. The side panel's form becomes an
// ml::CoopRequest on the engine's training lane; its metric partials, progress and result are
// kept here for the curve, the state line and the results view.
#pragma once

#include "engine/coop_service.h"

#include <QObject>
#include <QString>

#include <optional>

class EngineBridge;

// What the side panel's form says, unchecked.
struct CoopForm {
    QString model; // the picker's path, "" when none is usable
    bool modelsRefreshing = false;
    QString folder;
    int shots = 4;
    int contextVectors = 16;
    QString initWords;
    bool classSpecific = false;
    int steps = 200;
    QString learningRate; // as typed, in the user's locale or C
    int seed = 1;
    QString templ;
    QString output;
};

class CoopController : public QObject {
    Q_OBJECT
public:
    enum class Outcome { None, Finished, Cancelled, Failed };

    explicit CoopController(EngineBridge *bridge, QObject *parent = nullptr);

    // Checks the form and submits the job: its id, or 0 (and message() says why).
    quint64 start(const CoopForm &form);
    void cancel();
    bool isRunning() const { return m_job != 0; }
    Outcome outcome() const { return m_outcome; }
    QString stateText() const; // "Training: step 40 of 200 · loss 0.912, ..." or "Finished in 5.9 s"

    // The last finished run; nullopt before one (or after a failed one).
    const std::optional<ml::CoopResult> &result() const { return m_result; }
    QString savedPrompt() const; // the learnt prompt file of the last run, "" when none
    // Emits useInClassifyRequested() for the saved prompt; false when there is none.
    bool useInClassify();

    QString message() const { return m_message; }
    bool messageIsError() const { return m_messageIsError; }
    void showMessage(const QString &text, bool error);
    void clearMessage() { showMessage(QString(), false); }

    // The sample gallery's labelled folder (its Fashion-MNIST garments, one sub-folder per class),
    // native separators; "" when there is no complete gallery with one.
    QString sampleGalleryFolder() const;
    void setSampleGalleryDir(const QString &dir) { m_samplesDir = dir; } // "" = the default

    // Where learnt prompts go unless the user says otherwise: $XDG_DATA_HOME/ModalLens/prompts.
    static QString promptsRoot();
    // A file name under promptsRoot() for this folder that does not exist yet.
    static QString defaultOutput(const QString &folder);
    static QString cleanPath(const QString &path); // trimmed, "~/" expanded, absolute; "" stays ""
    static QString percent(double v);              // "81.7 %"
    // Seconds with a decimal below ten minutes (a CoOp run often takes seconds), else h:mm:ss.
    static QString seconds(double s);

Q_SIGNALS:
    void messageChanged(const QString &text, bool error);
    void started();      // the curve empties
    void stateChanged(); // isRunning(), stateText()
    void metricAdded(const ml::CoopMetric &metric);
    void finished(Outcome outcome); // result() is the new one when Finished
    void useInClassifyRequested(const QString &file, const QString &modelPath);

private:
    std::optional<ml::CoopRequest> prepare(const CoopForm &form); // nullopt, with a message
    bool checkFolder(const QString &folder);
    std::optional<QString> checkOutput(const QString &output);
    QString runningText() const;
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta);
    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);

    EngineBridge *m_bridge;
    QString m_message;
    bool m_messageIsError = false;
    QString m_samplesDir;

    quint64 m_job = 0;
    QString m_stage;
    qint64 m_done = 0, m_total = 0;
    std::optional<ml::CoopMetric> m_lastMetric;
    std::optional<ml::CoopResult> m_result;
    QString m_resultModel; // the model path the result was learnt with
    Outcome m_outcome = Outcome::None;
};
