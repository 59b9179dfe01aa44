// RunsPage: the runs on the curves (each in its colour, with its last step; add or take one off)
// and the checkpoints they left, each one click away from the Classify panel (CLIP) or the
// Diffusion panel (DDPM), or shown in the file manager.
#pragma once

#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;
class TrainingController;

class RunsPage : public QWidget {
    Q_OBJECT
public:
    explicit RunsPage(TrainingController *controller, QWidget *parent = nullptr);

Q_SIGNALS:
    void addRunRequested(); // the curves page asks for the folder

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *createRunList();
    QWidget *createCheckpointList();
    void retranslate();
    void updateRunItem(int row);
    void updateCheckpoints(int currentRow);
    void updateButtons();

    TrainingController *m_controller;
    QLabel *m_runsLabel;
    QListWidget *m_runList;
    QPushButton *m_addRun;
    QPushButton *m_removeRun;
    QLabel *m_tensorBoard;
    QLabel *m_checkpointsLabel;
    QListWidget *m_checkpointList;
    QPushButton *m_openInClassify;
    QPushButton *m_openInDiffusion;
    QPushButton *m_openFolder;
};
