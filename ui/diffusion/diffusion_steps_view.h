// The Diffusion feature's main view: the shown step large (x_t, the predicted noise ε̂, the
// predicted clean x̂0 and the forward process's x_t of an image at the same t), the step slider
// over every computed step and the trajectory (run) chooser, and below them the noise schedule
// (β_t, ᾱ_t, SNR with a cursor at t) beside both endings of a branch. It reads the stored steps
// through the controller.
#pragma once

#include "engine/denoise_session.h"

#include <QWidget>

class DiffusionController;
class DiffusionTile;
class QComboBox;
class QGridLayout;
class QGroupBox;
class QLabel;
class QSlider;
class SchedulePlot;

class DiffusionStepsView : public QWidget {
    Q_OBJECT
public:
    explicit DiffusionStepsView(DiffusionController *controller, QWidget *parent = nullptr);

Q_SIGNALS:
    void stepShown(); // the pictures show another step

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override; // the four pictures: one row, or 2 x 2 when narrow

private:
    QWidget *buildSteps();
    QWidget *buildBottom();
    void arrangeTiles(int columns);
    void retranslate();
    void refresh();                                     // every picture, the slider, the cursor from the controller
    void showRunTiles();                                // x_t, ε̂, x̂0 of the shown step
    void showForward();                                 // the forward process at the shown t
    void showEndings();                                 // both endings of a branch
    void refreshRuns();                                 // the run combo from the session
    QString runText(const ml::DenoiseRunInfo &r) const; // label, progress, whether only previews remain
    void showMessage();

    DiffusionController *m_controller;
    QLabel *m_message;
    QLabel *m_stepLabel;
    QGridLayout *m_tiles;
    int m_tileColumns = 0;
    DiffusionTile *m_xt, *m_eps, *m_x0, *m_forward;
    QLabel *m_tilesHint;
    QSlider *m_slider;
    QLabel *m_runLabel;
    QComboBox *m_runs;
    QGroupBox *m_scheduleGroup;
    SchedulePlot *m_plot;
    QGroupBox *m_endingsGroup;
    DiffusionTile *m_originalEnding, *m_branchEnding;
};
