// The pace of each preset comes from core (measured on the reference machine); this file scales it
// to the form's steps, batch and this machine's cores, and words the question and the accuracies.
#include "training/training_status.h"

#include "common/format.h"
#include "engine/llava_train_service.h"
#include "engine/train_presets.h"

#include <QCoreApplication>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QStringList>

#include <algorithm>
#include <cmath>

namespace {

constexpr int kReferenceCores = 2;
constexpr int kMaxUsefulCores = 8;

} // namespace

double estimateTrainingSeconds(ml::train::RunKind kind, const QString &preset, qint64 steps, int batch, int cores)
{
    double stepSeconds = 0.0;
    qint64 presetBatch = 0;
    try {
        const std::string name = preset.toStdString();
        switch (kind) {
        case ml::train::RunKind::Ddpm:
            stepSeconds = ml::ddpmPresetStepSeconds(name);
            presetBatch = *ml::ddpmTrainPresetRequest(name).batch;
            break;
        case ml::train::RunKind::Blip2:
            stepSeconds = ml::blip2PresetStepSeconds(name);
            presetBatch = *ml::blip2TrainPresetRequest(name).batch;
            break;
        case ml::train::RunKind::Llava:
            stepSeconds = ml::llavaPresetStepSeconds(name);
            presetBatch = *ml::llavaTrainPresetRequest(name).batch;
            break;
        case ml::train::RunKind::Clip:
            stepSeconds = ml::clipPresetStepSeconds(name);
            presetBatch = *ml::clipTrainPresetRequest(name).batch;
            break;
        }
    } catch (const std::exception &) {
        return -1.0;
    }
    if (steps <= 0 || batch <= 0 || presetBatch <= 0)
        return -1.0;
    const double perImage = stepSeconds / static_cast<double>(presetBatch);
    const double speedUp = static_cast<double>(std::clamp(cores, 1, kMaxUsefulCores)) / kReferenceCores;
    return static_cast<double>(steps) * perImage * static_cast<double>(batch) / speedUp;
}

QString formatRoughDuration(double seconds)
{
    if (seconds < 60.0)
        return QCoreApplication::translate("TrainingStatus", "under a minute");
    if (seconds < 90.0)
        return QCoreApplication::translate("TrainingStatus", "about a minute");
    const int minutes = static_cast<int>(std::lround(seconds / 60.0));
    if (minutes < 60)
        return QCoreApplication::translate("TrainingStatus", "about %n min", nullptr, minutes);
    // To five minutes: 1 h 40 min, not 1 h 37 min.
    const int fives = static_cast<int>(std::lround(seconds / 300.0)) * 5;
    const int hours = fives / 60, rest = fives - 60 * hours;
    if (rest == 0)
        return QCoreApplication::translate("TrainingStatus", "about %n h", nullptr, hours);
    return QCoreApplication::translate("TrainingStatus", "about %1 h %2 min").arg(hours).arg(rest);
}

QMessageBox *askBeforeLongRun(QWidget *parent, const QString &preset, qint64 steps, double seconds, int cores)
{
    auto *box
        = new QMessageBox(QMessageBox::Question, QCoreApplication::translate("TrainingStatus", "Start a Long Run?"),
            QCoreApplication::translate("TrainingStatus",
                "The %1 preset trains for %2 steps: %3 on this computer, with its %n CPU core(s).", nullptr, cores)
                .arg(preset, QLocale().toString(steps), formatRoughDuration(seconds)),
            QMessageBox::Yes | QMessageBox::No, parent);
    box->setObjectName(QStringLiteral("longRunQuestion"));
    box->setInformativeText(QCoreApplication::translate("TrainingStatus",
        "Pause and Stop work at any time, and Stop keeps a checkpoint. To try "
        "things out first, the tiny preset trains in under a minute."));
    box->button(QMessageBox::Yes)->setText(QCoreApplication::translate("TrainingStatus", "Start"));
    box->button(QMessageBox::No)->setText(QCoreApplication::translate("TrainingStatus", "Not Now"));
    box->setDefaultButton(QMessageBox::No);
    box->setWindowModality(Qt::WindowModal);
    box->setAttribute(Qt::WA_DeleteOnClose);
    return box;
}

QString formatHeldOutAccuracy(const ml::ZeroShotAccuracy &a)
{
    const auto figure = [](double accuracy, std::int64_t images) {
        return images > 0 ? QCoreApplication::translate("TrainingStatus", "%1 of %2")
                                .arg(formatProbability(accuracy), QLocale().toString(static_cast<qint64>(images)))
                          : formatProbability(accuracy);
    };
    QStringList parts;
    if (a.shapes >= 0)
        parts << QCoreApplication::translate("TrainingStatus", "Shapes %1").arg(figure(a.shapes, a.shapesImages));
    if (a.shapesHeldOut >= 0)
        parts << QCoreApplication::translate("TrainingStatus", "held-out pairs %1")
                     .arg(figure(a.shapesHeldOut, a.shapesHeldOutImages));
    if (a.fashion >= 0)
        parts << QCoreApplication::translate("TrainingStatus", "Fashion-MNIST %1")
                     .arg(figure(a.fashion, a.fashionImages));
    return parts.join(QStringLiteral(" · "));
}
