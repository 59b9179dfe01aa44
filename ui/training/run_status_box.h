// RunStatusBox: the Training panel's run buttons and status, at the top of its side panel: Start,
// Pause / Resume, Stop, the state ("Training", "Paused", ...), progress, the figures of the last
// metric (step, loss, pace, time left, elapsed, precision, held-out accuracy), the panel's message
// and, after a DDPM run, "Open in Diffusion". It shows the controller's state; Start goes through
// the panel (which may ask first).
#pragma once

#include "train/run_folder.h"

#include <QWidget>

class QGridLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class TrainingController;

class RunStatusBox : public QWidget {
    Q_OBJECT
public:
    explicit RunStatusBox(TrainingController *controller, QWidget *parent = nullptr);

    QString summary() const;                    // the state and every status figure shown, in one line
    void setShownKind(ml::train::RunKind kind); // the held-out accuracy only for CLIP
    void refresh();

Q_SIGNALS:
    void startClicked();

protected:
    void changeEvent(QEvent *event) override;

private:
    enum Field {
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

    QLayout *createButtons();
    QLayout *createFields();
    void retranslate();
    void showMessage();

    TrainingController *m_controller;
    ml::train::RunKind m_shownKind = ml::train::RunKind::Clip;
    QPushButton *m_start;
    QPushButton *m_pause;
    QPushButton *m_stop;
    QPushButton *m_openResult; // "Open in Diffusion" after a DDPM run
    QLabel *m_state;
    QProgressBar *m_progress;
    QLabel *m_fieldNames[FieldCount];
    QLabel *m_fieldValues[FieldCount];
    QLabel *m_message;
};
