// The Training panel's form as plain values, checked and turned into a training job's request
// (ml::ClipTrainRequest, ml::DdpmTrainRequest, ml::Blip2TrainRequest or ml::LlavaTrainRequest); every refusal is a
// message naming the folder or the field, and nothing is made on disk before the checks pass.
#pragma once

#include "engine/blip2_train_service.h"
#include "engine/clip_train_service.h"
#include "engine/ddpm_train_service.h"
#include "engine/llava_train_service.h"
#include "engine/train_types.h"
#include "train/run_folder.h"

#include <QString>

#include <optional>

// What the form holds; texts as typed.
struct TrainingFormValues {
    ml::train::RunKind kind = ml::train::RunKind::Clip;
    QString preset;
    QString folder;
    bool resume = false;
    int steps = 0, batch = 0, seed = 0, evalEvery = 0, checkpointEvery = 0;
    QString lr;
    int mix[3] = {0, 0, 0}; // percent: Fashion-MNIST, Shapes one object, Shapes several (CLIP)
    QString dtype = QStringLiteral("auto");
    QString fashionDir;
};

// A checked request, ready to submit: exactly one of clip, ddpm, blip2 and llava is set.
struct TrainingRequest {
    std::optional<ml::ClipTrainRequest> clip;
    std::optional<ml::DdpmTrainRequest> ddpm;
    std::optional<ml::Blip2TrainRequest> blip2;
    std::optional<ml::LlavaTrainRequest> llava;
    ml::train::RunKind kind = ml::train::RunKind::Clip;
    QString folder; // cleaned, absolute
    bool resume = false;
    qint64 startStep = 0; // the resumed run's step, else 0
    qint64 steps = 0;
};

// "~/runs/a/" -> "/home/me/runs/a"; "" stays "".
QString cleanFolder(const QString &path);
// The Fashion-MNIST folder the values name (the default one when empty).
QString fashionFolder(const QString &typed);

// The values checked (a fresh run's folder is made and tested writable); nullopt and *error
// otherwise.
std::optional<TrainingRequest> buildTrainingRequest(const TrainingFormValues &values, QString *error);
