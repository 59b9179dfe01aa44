// Texts of the Training panel's status: the held-out accuracy with the number of images behind
// each figure, how long a run will take (estimated before it starts from the preset's measured
// pace), and the question asked before a long one starts.
#pragma once

#include "engine/train_types.h"
#include "train/run_folder.h"

#include <QString>

class QMessageBox;
class QWidget;

// Runs estimated to take longer than this are asked about first.
inline constexpr double kAskBeforeRunSeconds = 10.0 * 60.0;

// Seconds for `steps` optimiser steps of the preset at `batch` images a step (the pace scales with
// the batch), on this machine: the preset's pace on the 2-core reference machine, shortened where
// there are more cores (no more than 4 x: a small model stops gaining from threads). < 0 for an
// unknown preset.
double estimateTrainingSeconds(ml::train::RunKind kind, const QString &preset, qint64 steps, int batch, int cores);

// "under a minute", "about 25 min", "about 1 h 40 min": rounded as an estimate should be.
QString formatRoughDuration(double seconds);

// "Start a long run?" as a window-modal box that deletes itself when closed; Yes starts. Its text
// names the preset, the steps and the estimate, and points at the tiny preset.
QMessageBox *askBeforeLongRun(QWidget *parent, const QString &preset, qint64 steps, double seconds, int cores);

// "Shapes 92 % of 600 · held-out pairs 61 % of 100 · Fashion-MNIST 70 % of 500": the figures
// measured, each with its image count (left out where unknown, as in an older run's state); "" if none.
QString formatHeldOutAccuracy(const ml::ZeroShotAccuracy &a);
