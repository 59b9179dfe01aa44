// CoopSetupPanel: Prompt Tuning's side panel. Learn/Cancel and the run's state line on top,
// then the form: the CLIP model and the labelled folder, the prompt (context vectors or words
// to start from, unified or class-specific, the hand-written template to beat) and training.
#pragma once

#include "classify/coop_controller.h"

#include <QWidget>

class EngineBridge;
class ModelPicker;
class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QToolButton;

class CoopSetupPanel : public QWidget {
    Q_OBJECT
public:
    CoopSetupPanel(EngineBridge *bridge, CoopController *controller, QWidget *parent = nullptr);
    ~CoopSetupPanel() override; // keeps the form's choices in QSettings

    CoopForm form() const;

    // Puts the sample gallery's labelled folder in the folder field, or says how to write the
    // gallery (false).
    bool useSampleGallery();
    void fillSampleGalleryIfEmpty(); // a newcomer's first look, when the gallery exists by now

Q_SIGNALS:
    void startRequested();

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *createRunRow();
    QGroupBox *createDataGroup();
    QGroupBox *createPromptGroup();
    QGroupBox *createTrainGroup();
    void connectForm();
    void retranslate();
    void restoreSettings();
    void saveSettings() const;
    void showMessage(const QString &text, bool error);
    void updateState();
    void setFormLocked(bool running);
    void updateContextHint();
    void followFolder(); // the automatic output file follows the folder
    void browseOutput();

    CoopController *m_controller;
    EngineBridge *m_bridge;

    QPushButton *m_start = nullptr;
    QPushButton *m_cancel = nullptr;
    QLabel *m_state = nullptr;
    QLabel *m_message = nullptr;

    QGroupBox *m_dataGroup = nullptr, *m_promptGroup = nullptr, *m_trainGroup = nullptr;
    QLabel *m_modelLabel = nullptr, *m_folderLabel = nullptr, *m_shotsLabel = nullptr, *m_contextLabel = nullptr,
           *m_initLabel = nullptr, *m_kindLabel = nullptr, *m_stepsLabel = nullptr, *m_lrLabel = nullptr,
           *m_seedLabel = nullptr, *m_templateLabel = nullptr, *m_outputLabel = nullptr;
    ModelPicker *m_picker = nullptr;
    QLineEdit *m_folder = nullptr;
    QToolButton *m_folderBrowse = nullptr;
    QToolButton *m_useSamples = nullptr;
    QLabel *m_folderHint = nullptr;
    QSpinBox *m_shots = nullptr;
    QSpinBox *m_context = nullptr;
    QLineEdit *m_initWords = nullptr;
    QLabel *m_contextHint = nullptr;
    QComboBox *m_kind = nullptr;
    QLineEdit *m_template = nullptr;
    QSpinBox *m_steps = nullptr;
    QLineEdit *m_lr = nullptr;
    QSpinBox *m_seed = nullptr;
    QLineEdit *m_output = nullptr;
    QToolButton *m_outputBrowse = nullptr;
    bool m_outputIsAuto = true; // the output file is a generated name that follows the folder
};
