// TrainingPanel: trains a CLIP model or a DDPM (diffusion) model live, laid out as a feature of
// the workspace. The side panel holds the run buttons and status (RunStatusBox) over the
// settings (TrainingForm); the main view holds the curves of several runs overlaid (CurvesPage)
// over the samples (SamplesPage) and the runs with their checkpoints (RunsPage), each
// checkpoint one click away from the Classify or Diffusion panel. TrainingController owns the job.
#pragma once

#include <QPointer>
#include <QWidget>

class CurvesPage;
class EngineBridge;
class FeatureLayout;
class QMessageBox;
class QSplitter;
class QTabWidget;
class RunStatusBox;
class RunsPage;
class SamplesPage;
class TrainingController;
class TrainingForm;

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPanel(EngineBridge *bridge, QWidget *parent = nullptr);

    TrainingController *controller() const { return m_controller; }
    // Starts the form's run; one estimated to take over 10 minutes asks first (a window-modal
    // QMessageBox, a child of the panel, while it is open).
    void requestStart();
    quint64 start(); // at once: the controller's job id, or 0 (its message says why)

    static QString runsRoot(); // where new runs go: GenericDataLocation/ModalLens/runs

Q_SIGNALS:
    // The user wants this checkpoint folder in the Classify panel (MainWindow selects it there).
    void openInClassifyRequested(const QString &folder);
    // The user wants this DDPM checkpoint folder (diffusers' flat layout) in the Diffusion panel.
    void openInDiffusionRequested(const QString &checkpointFolder);

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *createSidePanel();
    QWidget *createMainView();
    void connectPages();
    void retranslate();
    void updateShownKind(); // the live run's model while one goes, else the form's

    TrainingController *m_controller;
    FeatureLayout *m_layout;
    RunStatusBox *m_status;
    TrainingForm *m_form;
    QSplitter *m_mainSplit;
    CurvesPage *m_curves;
    QTabWidget *m_views; // samples, runs
    SamplesPage *m_samples;
    RunsPage *m_runs;
    QPointer<QMessageBox> m_longRun;
};
