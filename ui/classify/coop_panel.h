// CoopPanel: CoOp prompt tuning from the GUI. A CLIP model, a labelled folder and the CoOp
// settings become an engine job; the loss is drawn live, then the held-out accuracy of the
// hand-written template against the learnt prompt, per class, and what the context reads as.
#pragma once

#include "engine/coop_service.h"

#include <QWidget>

#include <optional>

class EngineBridge;
class ModelPicker;
class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;
class QToolButton;
class TrainingPlot;

class CoopPanel : public QWidget {
    Q_OBJECT
public:
    enum Tab { SetupTab, LossTab, ResultsTab };

    explicit CoopPanel(EngineBridge *bridge, QWidget *parent = nullptr);
    ~CoopPanel() override; // keeps the form's choices in QSettings

    // Checks the form and submits the job: its id, or 0 (and message() says why).
    quint64 start();
    void cancel();
    bool isRunning() const { return m_job != 0; }

    // The last finished run; nullopt before one (or after a failed one).
    const std::optional<ml::CoopResult> &result() const { return m_result; }
    QString savedPrompt() const; // the learnt prompt file of the last run, "" when none
    // Emits useInClassifyRequested() for the saved prompt; false when there is none.
    bool useInClassify();

    // The sample gallery's labelled folder (its Fashion-MNIST garments, one sub-folder per class),
    // native separators; "" when there is no complete gallery with one. The folder field starts
    // there when it is empty; useSampleGallery() (the Samples button) puts it there, or says how
    // to write the gallery (false).
    QString sampleGalleryFolder() const;
    bool useSampleGallery();
    void setSampleGalleryDir(const QString &dir) { m_samplesDir = dir; } // "" = the default

    // Where learnt prompts go unless the user says otherwise: $XDG_DATA_HOME/ModalLens/prompts.
    static QString promptsRoot();
    // A file name under promptsRoot() for this folder that does not exist yet.
    static QString defaultOutput(const QString &folder);

    QString message() const;
    bool messageIsError() const { return m_messageIsError; }
    int lossPointCount() const; // for callers that cannot include QCustomPlot

    ModelPicker *modelPicker() const { return m_picker; }
    QLineEdit *folderEdit() const { return m_folder; }
    QToolButton *useSamplesButton() const { return m_useSamples; }
    QSpinBox *shotsSpin() const { return m_shots; }
    QSpinBox *contextSpin() const { return m_context; }
    QLineEdit *initWordsEdit() const { return m_initWords; }
    QComboBox *kindCombo() const { return m_kind; } // 0 unified, 1 class-specific
    QSpinBox *stepsSpin() const { return m_steps; }
    QLineEdit *learningRateEdit() const { return m_lr; }
    QSpinBox *seedSpin() const { return m_seed; }
    QLineEdit *templateEdit() const { return m_template; }
    QLineEdit *outputEdit() const { return m_output; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *useInClassifyButton() const { return m_useInClassify; }
    QTabWidget *tabs() const { return m_tabs; }
    QLabel *beforeLabel() const { return m_before; }
    QLabel *afterLabel() const { return m_after; }
    QTableWidget *perClassTable() const { return m_perClass; }
    QTableWidget *wordsTable() const { return m_words; }

Q_SIGNALS:
    // The user wants the Classify panel to use this learnt prompt (with the model it was learnt on).
    void useInClassifyRequested(const QString &file, const QString &modelPath);

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;
    bool event(QEvent *event) override; // follows the dock it is put in (ParentChange)

private:
    QWidget *createSetupPage();
    QWidget *createLossPage();
    QWidget *createResultsPage();
    void retranslate();
    void restoreSettings();
    void saveSettings() const;

    std::optional<ml::CoopRequest> prepare(); // nullopt, with a message, when the form is wrong
    void showMessage(const QString &text, bool error);
    void clearMessage();
    void setFormLocked(bool running);
    void updateState();
    void updateContextHint();
    void showResult();
    void followFolder(); // the automatic output file follows the folder
    void fillSampleGalleryIfEmpty();
    void onDockShown(bool visible); // the dock's tab came to the front (or went)

    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta);
    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);

    EngineBridge *m_bridge;
    QLabel *m_message;
    bool m_messageIsError = false;
    QTabWidget *m_tabs;

    // Setup
    QGroupBox *m_dataGroup, *m_promptGroup, *m_trainGroup;
    QLabel *m_modelLabel, *m_folderLabel, *m_shotsLabel, *m_contextLabel, *m_initLabel, *m_kindLabel, *m_stepsLabel,
        *m_lrLabel, *m_seedLabel, *m_templateLabel, *m_outputLabel;
    ModelPicker *m_picker;
    QLineEdit *m_folder;
    QToolButton *m_folderBrowse;
    QToolButton *m_useSamples;
    QString m_samplesDir; // the sample gallery's; "" = the default
    QLabel *m_folderHint;
    QSpinBox *m_shots;
    QSpinBox *m_context;
    QLineEdit *m_initWords;
    QLabel *m_contextHint;
    QComboBox *m_kind;
    QSpinBox *m_steps;
    QLineEdit *m_lr;
    QSpinBox *m_seed;
    QLineEdit *m_template;
    QLineEdit *m_output;
    QToolButton *m_outputBrowse;
    bool m_outputIsAuto = true; // the output file is a generated name that follows the folder

    // Controls
    QPushButton *m_start;
    QPushButton *m_cancel;
    QLabel *m_state;

    // Loss
    TrainingPlot *m_plot;
    QLabel *m_lossHint;

    // Results
    QLabel *m_resultsHint;
    QWidget *m_resultsBox;
    QLabel *m_before, *m_after, *m_arrow, *m_beforeCaption, *m_afterCaption, *m_delta;
    QLabel *m_summary;
    QLabel *m_perClassLabel, *m_wordsLabel, *m_readsAs;
    QTableWidget *m_perClass;
    QTableWidget *m_words;
    QLabel *m_details;
    QPushButton *m_useInClassify;

    // The job
    quint64 m_job = 0;
    QString m_stage;
    qint64 m_done = 0, m_total = 0;
    std::optional<ml::CoopMetric> m_lastMetric;
    std::optional<ml::CoopResult> m_result;
    QString m_resultModel; // the model path the result was learnt with
    enum class Outcome { None, Finished, Cancelled, Failed } m_outcome = Outcome::None;
};
