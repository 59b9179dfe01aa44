// SamplesPage: the live run's samples in the Training panel's main view. For CLIP, the held-out
// images with the model's current guesses (and how many it gets right); for DDPM, the images the
// model draws from the same starting noise at every sample grid.
#pragma once

#include "engine/clip_train_service.h"
#include "engine/train_types.h"
#include "train/run_folder.h"

#include <QWidget>

class QLabel;
class SampleGrid;
class TrainingController;

class SamplesPage : public QWidget {
    Q_OBJECT
public:
    explicit SamplesPage(TrainingController *controller, QWidget *parent = nullptr);

    // Before any run: what the samples will be for the form's model.
    void setShownKind(ml::train::RunKind kind);

protected:
    void changeEvent(QEvent *event) override;

private:
    void onStarted(ml::train::RunKind kind);
    void addSamples(const ml::TrainSamples &samples);
    void updateClipHeader(); // the live CLIP run's samples, with the held-out accuracy
    void updateIdleHeader();

    TrainingController *m_controller;
    ml::train::RunKind m_shownKind = ml::train::RunKind::Clip;
    QLabel *m_header;
    SampleGrid *m_grid;
};
