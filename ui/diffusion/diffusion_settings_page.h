// The Diffusion feature's side panel: the model, the sampler (scheduler, steps, eta, seed),
// Run / Pause and step back / forward, branching with a seed, the forward process's image and
// Reconstruct, the exports, and the status and model lines. Compact enough for a 1366 x 768
// screen without scrolling. It shows the controller's form and state and calls its actions.
#pragma once

#include <QWidget>

class DiffusionController;
class EngineBridge;
class ModelPicker;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QToolButton;

class DiffusionSettingsPage : public QWidget {
    Q_OBJECT
public:
    DiffusionSettingsPage(EngineBridge *bridge, DiffusionController *controller, QWidget *parent = nullptr);

    ModelPicker *modelPicker() const { return m_picker; }

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *buildModel();
    QGroupBox *buildSampler();
    QWidget *buildTransport();
    QGroupBox *buildBranch();
    QGroupBox *buildForward();
    QWidget *buildExport();
    void connectForm();
    void connectActions();
    void retranslate();
    void showForm();     // the controller's form in the widgets
    void updateState();  // enabled states, Run / Pause, hints
    void showMessages(); // status and model lines
    void openFolderDialog();
    void chooseImageDialog();
    void exportAnimationDialog();
    void exportGridDialog();

    DiffusionController *m_controller;
    ModelPicker *m_picker;
    QLabel *m_modelLabel;
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
    QGroupBox *m_branchGroup;
    QLabel *m_branchSeedLabel;
    QSpinBox *m_branchSeed;
    QPushButton *m_branchButton;
    QGroupBox *m_forwardGroup;
    QLabel *m_forwardHint;
    QPushButton *m_chooseImage, *m_reconstruct;
    QPushButton *m_exportVideo, *m_exportGrid;
    QLabel *m_status;
    QLabel *m_info;
};
