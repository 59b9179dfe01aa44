// TrainingForm: the Training panel's settings, in its side panel. The common case on top (model,
// preset, steps, run folder, continue a run); the rarely changed settings (batch, learning rate,
// seed, precision, data mix, Fashion-MNIST folder, evaluation and checkpoint cadence) in a
// collapsible "Advanced" section. A preset fills the form; a run being continued fills it from
// its trainer_state.json and locks what the run keeps.
#pragma once

#include "train/run_folder.h"
#include "training/training_request.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QToolButton;

class TrainingForm : public QWidget {
    Q_OBJECT
public:
    explicit TrainingForm(QWidget *parent = nullptr);
    ~TrainingForm() override; // keeps the choices in QSettings

    TrainingFormValues values() const;
    ml::train::RunKind kind() const;
    void setKind(ml::train::RunKind kind);
    // Seconds the form's run would take on this machine, from its preset's measured pace; < 0 unknown.
    double estimatedSeconds() const;
    bool isResume() const;
    QString preset() const;
    int steps() const;

    void setLocked(bool running); // nothing changes while a run goes
    // A run in `folder` ended: a fresh start needs a fresh folder (Continue brings this one back).
    void runEnded(const QString &folder);

    // A fresh run folder name under the app's data folder: .../runs/<clip|ddpm>-<preset>-<timestamp>.
    static QString newRunFolder(const QString &preset, ml::train::RunKind kind);
    static QString runsRoot(); // GenericDataLocation/ModalLens/runs

Q_SIGNALS:
    void kindChanged(ml::train::RunKind kind);
    void messageRequested(const QString &text, bool error); // "" clears

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *createModelGroup();
    QWidget *createRunGroup();
    QWidget *createAdvanced();
    QWidget *createMixBox(QWidget *parent);
    void connectFields();
    void retranslate();
    void retranslateAdvanced(bool ddpm);
    void restoreSettings();
    void saveSettings() const;
    void setAdvancedShown(bool shown);

    void applyKind(ml::train::RunKind kind); // the form's rows and presets for that model
    void applyPreset(const QString &preset); // the form's values from the preset
    void onResumeToggled(bool on);
    bool loadRunState(const QString &folder); // continue: the form from trainer_state.json
    void updateHints();                       // precision and Fashion-MNIST
    void updatePresetHint();
    QString unetText(const std::vector<std::int64_t> &channels, qint64 layersPerBlock) const;

    QGroupBox *m_modelGroup, *m_runGroup;
    QFormLayout *m_modelForm, *m_advancedForm;
    QLabel *m_kindLabel, *m_presetLabel, *m_unetLabel, *m_stepsLabel, *m_folderLabel;
    QComboBox *m_kind;
    QComboBox *m_preset;
    QLabel *m_presetHint;
    QLabel *m_unet; // the DDPM preset's UNet (or the resumed run's), read-only
    QSpinBox *m_steps;
    QLineEdit *m_folder;
    QToolButton *m_folderBrowse;
    QCheckBox *m_resume;
    QLabel *m_resumeHint;

    QToolButton *m_advancedToggle;
    QWidget *m_advanced;
    QLabel *m_batchLabel, *m_lrLabel, *m_seedLabel, *m_dtypeLabel, *m_mixLabel, *m_fashionLabel, *m_evalLabel,
        *m_checkpointLabel;
    QSpinBox *m_batch;
    QLineEdit *m_lr;
    QSpinBox *m_seed;
    QComboBox *m_dtype;
    QWidget *m_mixBox; // the shares, under their names
    QSpinBox *m_mix[3];
    QLabel *m_mixNames[3];
    QLineEdit *m_fashionDir;
    QToolButton *m_fashionBrowse;
    QLabel *m_fashionHint;
    QSpinBox *m_evalEvery;
    QSpinBox *m_checkpointEvery;

    QString m_presetOf[4];      // the last preset chosen for each model kind
    bool m_folderIsAuto = true; // the run folder is a generated name, renewed with the preset
    QString m_lastRunFolder;    // "continue" just after a run means that run
    bool m_running = false;
};
