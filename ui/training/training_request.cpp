// Checking the Training panel's form: the run folder (fresh, or a run to continue of the same
// model with steps left), the learning rate, the data mix and the data, then the request.
#include "training/training_request.h"

#include "engine/train_presets.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QTemporaryFile>

namespace {

struct Text {
    Q_DECLARE_TR_FUNCTIONS(TrainingRequest)
};

using ml::train::RunKind;

// The checks that do not touch the disk; "" when they pass.
QString checkValues(const TrainingFormValues &v, const QString &folder, double *lr)
{
    if (folder.isEmpty())
        return Text::tr("Choose a run folder.");
    if (v.steps < 1)
        return Text::tr("Steps must be at least 1.");
    bool ok = false;
    *lr = QLocale().toDouble(v.lr.trimmed(), &ok);
    if (!ok)
        *lr = QLocale::c().toDouble(v.lr.trimmed(), &ok);
    if (!v.resume && (!ok || !(*lr > 0.0) || *lr > 1.0))
        return Text::tr("The learning rate must be a number above 0 and at most 1, such as 0.001.");
    if (v.kind == RunKind::Clip && !v.resume && v.mix[0] + v.mix[1] + v.mix[2] == 0)
        return Text::tr("The data mix needs at least one share above 0 %.");
    if (v.kind == RunKind::Ddpm) {
        const QString fashion = fashionFolder(v.fashionDir);
        if (!ml::fashionMnistAvailable(fashion.toStdString()))
            return Text::tr("DDPM training needs Fashion-MNIST, which is not in %1: install Debian's "
                            "dataset-fashion-mnist package or choose the folder that holds it.")
                .arg(QDir::toNativeSeparators(fashion));
    }
    return {};
}

// The run to continue: of the form's model, with steps left; *startStep its step.
QString checkResume(const TrainingFormValues &v, const QString &folder, qint64 *startStep)
{
    const QString native = QDir::toNativeSeparators(folder);
    if (!ml::train::holdsRunState(folder.toStdString()))
        return Text::tr("%1 holds no training run to continue (no %2).").arg(native, ml::train::kTrainerStateFile);
    ml::train::RunState state;
    try {
        state = ml::train::readRunState(folder.toStdString());
    } catch (const std::exception &e) {
        return QString::fromStdString(e.what());
    }
    if (state.kind != v.kind)
        return state.kind == RunKind::Ddpm
            ? Text::tr("%1 holds a DDPM run: choose DDPM as the model to continue it.").arg(native)
            : state.kind == RunKind::Blip2
            ? Text::tr("%1 holds a BLIP-2 run: choose BLIP-2 as the model to continue it.").arg(native)
            : state.kind == RunKind::Llava
            ? Text::tr("%1 holds a LLaVA run: choose LLaVA as the model to continue it.").arg(native)
            : Text::tr("%1 holds a CLIP run: choose CLIP as the model to continue it.").arg(native);
    if (v.steps <= state.step)
        return Text::tr("The run in %1 already did %2 steps: set Steps above %2 to train further.")
            .arg(native, QLocale().toString(state.step));
    *startStep = state.step;
    return {};
}

// A fresh run's folder: made, empty of any run, writable.
QString prepareFreshFolder(const QString &folder)
{
    const QString native = QDir::toNativeSeparators(folder);
    if (ml::train::holdsRunState(folder.toStdString()))
        return Text::tr("%1 already holds a training run. Tick “Continue the run in this folder” to resume it, or "
                        "choose another folder.")
            .arg(native);
    if (QFileInfo::exists(folder) && !QFileInfo(folder).isDir())
        return Text::tr("%1 is a file, not a folder.").arg(native);
    if (!QDir().mkpath(folder))
        return Text::tr("Cannot create the run folder %1.").arg(native);
    return {};
}

// The request fields every trainer shares; a resumed run keeps its own settings (the trainer
// refuses others), so only the steps and cadence go with it.
template<class Request> void fillCommon(Request &r, const TrainingFormValues &v, const QString &folder, double lr)
{
    r.outDir = folder.toStdString();
    r.resume = v.resume;
    r.steps = v.steps;
    r.evalEvery = v.evalEvery;
    r.checkpointEvery = v.checkpointEvery;
    if constexpr (requires { r.fashionMnistDir; }) // LLaVA trains on Shapes World alone
        r.fashionMnistDir = cleanFolder(v.fashionDir).toStdString();
    if (!v.resume) {
        r.preset = v.preset.toStdString();
        r.batch = v.batch;
        r.lr = lr;
        r.seed = v.seed;
    }
}

} // namespace

QString cleanFolder(const QString &path)
{
    QString p = path.trimmed();
    if (p.startsWith(QStringLiteral("~/")))
        p = QDir::homePath() + p.mid(1);
    return p.isEmpty() ? QString() : QDir::cleanPath(QDir(p).absolutePath());
}

QString fashionFolder(const QString &typed)
{
    return typed.trimmed().isEmpty() ? QString::fromStdString(ml::fashionMnistDefaultFolder()) : cleanFolder(typed);
}

std::optional<TrainingRequest> buildTrainingRequest(const TrainingFormValues &v, QString *error)
{
    const QString folder = cleanFolder(v.folder);
    double lr = 0.0;
    TrainingRequest out;
    *error = checkValues(v, folder, &lr);
    if (error->isEmpty())
        *error = v.resume ? checkResume(v, folder, &out.startStep) : prepareFreshFolder(folder);
    if (error->isEmpty()) {
        QTemporaryFile probe(QDir(folder).filePath(QStringLiteral(".write-test-XXXXXX")));
        if (!probe.open())
            *error = Text::tr("Cannot write to the run folder %1.").arg(QDir::toNativeSeparators(folder));
    }
    if (!error->isEmpty())
        return std::nullopt;
    out.kind = v.kind;
    out.folder = folder;
    out.resume = v.resume;
    out.steps = v.steps;
    if (v.kind == RunKind::Ddpm) {
        out.ddpm.emplace();
        fillCommon(*out.ddpm, v, folder, lr);
        return out;
    }
    if (v.kind == RunKind::Blip2) {
        out.blip2.emplace();
        fillCommon(*out.blip2, v, folder, lr);
        out.blip2->dtype = v.dtype.toStdString();
        return out;
    }
    if (v.kind == RunKind::Llava) {
        out.llava.emplace();
        fillCommon(*out.llava, v, folder, lr);
        out.llava->dtype = v.dtype.toStdString();
        return out;
    }
    out.clip.emplace();
    fillCommon(*out.clip, v, folder, lr);
    out.clip->dtype = v.dtype.toStdString();
    if (!v.resume) {
        const double sum = v.mix[0] + v.mix[1] + v.mix[2];
        out.clip->fashionFraction = v.mix[0] / sum;
        out.clip->singleFraction = v.mix[1] / sum;
        out.clip->multiFraction = v.mix[2] / sum;
    }
    return out;
}
