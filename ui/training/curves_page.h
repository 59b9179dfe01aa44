// CurvesPage: the Training panel's curves, the largest part of its main view. Loss, held-out
// accuracy (CLIP), learning rate and temperature (CLIP) over optimiser steps, every run on the
// plots overlaid in its own colour; two columns where there is room. Log-scale loss, fit view,
// and "Add run…" to overlay another run folder.
#pragma once

#include "train/run_folder.h"
#include "training/training_runs.h"

#include <QWidget>

class QCheckBox;
class QGridLayout;
class QLabel;
class QPushButton;
class QScrollArea;
class TrainingController;
class TrainingPlot;

class CurvesPage : public QWidget {
    Q_OBJECT
public:
    explicit CurvesPage(TrainingController *controller, QWidget *parent = nullptr);
    ~CurvesPage() override; // keeps the log-scale choice

    // Accuracy and temperature show for CLIP, or while a plotted run has points there.
    void setShownKind(ml::train::RunKind kind);
    void resetViews();
    void chooseRunToAdd(); // a folder dialog, then the controller adds it

protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override; // the columns follow the width

private:
    void retranslate();
    void layoutPlots();
    void updateVisibility();
    void onRunAdded(int row);
    void onPointsAdded(int id, const QList<CurvePoint> &points);

    TrainingController *m_controller;
    ml::train::RunKind m_shownKind = ml::train::RunKind::Clip;
    TrainingPlot *m_plots[TrainingRuns::PlotCount];
    QScrollArea *m_scroll;
    QGridLayout *m_grid;
    int m_columns = 0;
    QCheckBox *m_logScale;
    QPushButton *m_resetView;
    QPushButton *m_addRun;
    QLabel *m_hint;
};
