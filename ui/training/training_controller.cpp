// The Training panel's job: the checked request goes to the engine's training lane; its progress
// and partials become the state the pages show; the result becomes the message and a checkpoint.
#include "training/training_controller.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/format.h"
#include "engine/blip2_train_service.h"
#include "engine/clip_service.h"
#include "engine/ddpm_train_service.h"
#include "engine/llava_train_service.h"
#include "engine/train_partials.h"
#include "engine/train_presets.h"
#include "training/training_runs.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>

#include <algorithm>

using ml::train::RunKind;

TrainingController::TrainingController(EngineBridge *bridge, QObject *parent)
    : QObject(parent)
    , m_bridge(bridge)
    , m_runs(new TrainingRuns(this))
{
    Q_ASSERT(m_bridge);
    connect(m_bridge, &EngineBridge::progress, this, &TrainingController::onProgress);
    connect(m_bridge, &EngineBridge::partial, this, &TrainingController::onPartial);
    connect(m_bridge, &EngineBridge::finished, this, &TrainingController::onFinished);
    connect(m_runs, &TrainingRuns::checkpointSeen, this, &TrainingController::addCheckpoint);
}

void TrainingController::showMessage(const QString &text, bool error)
{
    m_message = text;
    m_messageIsError = error;
    Q_EMIT messageChanged();
}

// --- the job -------------------------------------------------------------------------------

quint64 TrainingController::start(const TrainingFormValues &values)
{
    if (isRunning()) {
        showMessage(tr("A run is already going: stop it first."), true);
        return 0;
    }
    clearMessage();
    QString error;
    std::optional<TrainingRequest> request = buildTrainingRequest(values, &error);
    if (!request) {
        showMessage(error, true);
        return 0;
    }
    reset(*request);
    const std::optional<qint64> resumedAt = request->resume ? std::optional<qint64>(request->startStep) : std::nullopt;
    const int row = m_runs->beginLive(m_runFolder, resumedAt);
    if (request->clip) {
        const bool fashion = ml::fashionMnistAvailable(
            request->clip->fashionMnistDir.empty() ? ml::fashionMnistDefaultFolder() : request->clip->fashionMnistDir);
        request->clip->control = m_control;
        m_job = m_bridge->submit(ml::makeClipTrainJob(std::move(*request->clip)));
        if (!fashion)
            showMessage(
                tr("Fashion-MNIST was not found, so this run trains and evaluates on Shapes World only."), false);
    } else if (request->blip2) {
        request->blip2->control = m_control;
        m_job = m_bridge->submit(ml::makeBlip2TrainJob(std::move(*request->blip2)));
    } else if (request->llava) {
        request->llava->control = m_control;
        m_job = m_bridge->submit(ml::makeLlavaTrainJob(std::move(*request->llava)));
    } else {
        request->ddpm->control = m_control;
        m_job = m_bridge->submit(ml::makeDdpmTrainJob(std::move(*request->ddpm)));
    }
    Q_EMIT started(m_jobKind);
    Q_EMIT runSelected(row);
    Q_EMIT stateChanged();
    return m_job;
}

// The state of a new run.
void TrainingController::reset(const TrainingRequest &request)
{
    m_control = std::make_shared<ml::TrainControl>();
    m_jobKind = request.kind;
    m_runFolder = request.folder;
    m_startStep = m_step = request.startStep;
    m_totalSteps = request.steps;
    m_lastMetric.reset();
    m_etaSeconds = -1.0;
    m_stepsPerS = m_imagesPerS = 0.0;
    m_lastAccuracy = {};
    m_outcome = Outcome::None;
    m_stopping = false;
    m_sawCheckpoint = false;
    m_stage.clear();
    m_sampleGridFile.clear();
    const std::string *dtype = request.clip ? &request.clip->dtype
        : request.blip2                     ? &request.blip2->dtype
        : request.llava                     ? &request.llava->dtype
                                            : nullptr;
    if (dtype)
        m_dtypeUsed = *dtype == "auto" ? (ml::cpuHasNativeBf16() ? QStringLiteral("bf16") : QStringLiteral("fp32"))
                                       : QString::fromStdString(*dtype);
    else
        m_dtypeUsed = QStringLiteral("fp32"); // the DDPM trainer's only precision
}

void TrainingController::togglePause()
{
    if (!isRunning() || !m_control || m_stopping)
        return;
    if (m_control->pauseRequested())
        m_control->resume();
    else
        m_control->pause();
    Q_EMIT stateChanged();
}

void TrainingController::stop()
{
    if (!isRunning() || !m_control)
        return;
    m_control->stop();
    m_stopping = true;
    Q_EMIT stateChanged();
}

bool TrainingController::isPaused() const
{
    return m_control && m_control->isPaused();
}

bool TrainingController::isPauseRequested() const
{
    return m_control && m_control->pauseRequested();
}

void TrainingController::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta)
{
    if (id != m_job)
        return;
    m_stage = stage;
    if (total > 0)
        m_etaSeconds = eta;
    if (total > 0 && stage == QLatin1String("training"))
        m_step = std::max(m_step, m_startStep + done);
    Q_EMIT stateChanged();
}

void TrainingController::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (id != m_job)
        return;
    if (kind == QLatin1String(ml::kTrainMetricPartial)) {
        if (const auto m = engineValue<ml::TrainMetric>(value))
            addMetric(*m);
    } else if (kind == QLatin1String(ml::kTrainSamplesPartial)) {
        if (const auto s = engineValue<ml::TrainSamples>(value))
            Q_EMIT samplesArrived(*s);
    } else if (kind == QLatin1String(ml::kTrainSampleGridPartial)) {
        if (const auto g = engineValue<ml::DdpmSampleGrid>(value); g && !g->file.empty()) {
            m_sampleGridFile = QString::fromStdString(g->file);
            Q_EMIT sampleGridSaved(m_sampleGridFile);
        }
    } else if (kind == QLatin1String(ml::kTrainCheckpointPartial)) {
        m_sawCheckpoint = true;
        addCheckpoint(value.toString());
    }
}

void TrainingController::addMetric(const ml::TrainMetric &m)
{
    m_lastMetric = m;
    if (m.stepsPerS > 0.0) {
        m_stepsPerS = m.stepsPerS;
        m_imagesPerS = m.imagesPerS;
    }
    m_step = m.step;
    m_totalSteps = m.totalSteps;
    if (m.evaluated)
        m_lastAccuracy = m.evaluation;
    m_runs->addLiveMetric(m, m_jobKind != RunKind::Ddpm && m_jobKind != RunKind::Llava); // with a temperature
    if (m.evaluated)
        Q_EMIT accuracyMeasured(m.step);
    Q_EMIT stateChanged();
}

void TrainingController::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id != m_job)
        return;
    m_job = 0;
    m_control.reset();
    m_stopping = false;
    const QString folder = QDir::toNativeSeparators(m_runFolder);
    // What both trainers' results say about the run.
    struct Outline {
        bool stopped;
        qint64 steps, totalSteps, startStep;
        double seconds;
        std::vector<std::string> warnings;
    };
    std::optional<Outline> outline;
    if (const auto clip = engineValue<ml::ClipTrainResult>(value)) {
        outline
            = Outline {clip->stopped, clip->steps, clip->totalSteps, clip->startStep, clip->seconds, clip->warnings};
        m_dtypeUsed = QString::fromStdString(clip->dtype);
    } else if (const auto blip2 = engineValue<ml::Blip2TrainResult>(value)) {
        outline = Outline {
            blip2->stopped, blip2->steps, blip2->totalSteps, blip2->startStep, blip2->seconds, blip2->warnings};
        m_dtypeUsed = QString::fromStdString(blip2->dtype);
    } else if (const auto llava = engineValue<ml::LlavaTrainResult>(value)) {
        outline = Outline {
            llava->stopped, llava->steps, llava->totalSteps, llava->startStep, llava->seconds, llava->warnings};
        m_dtypeUsed = QString::fromStdString(llava->dtype);
    } else if (const auto ddpm = engineValue<ml::DdpmTrainResult>(value)) {
        outline
            = Outline {ddpm->stopped, ddpm->steps, ddpm->totalSteps, ddpm->startStep, ddpm->seconds, ddpm->warnings};
    }
    if (ok && outline) {
        m_outcome = outline->stopped ? Outcome::Stopped : Outcome::Finished;
        m_step = outline->steps;
        m_totalSteps = outline->totalSteps;
        QString text = outline->stopped
            ? tr("Stopped at step %1 of %2; the checkpoint is in %3.")
                  .arg(QLocale().toString(m_step), QLocale().toString(m_totalSteps), folder)
            : tr("Finished %1 steps in %2; the model is in %3.")
                  .arg(QLocale().toString(m_step - outline->startStep), formatDuration(outline->seconds), folder);
        for (const std::string &w : outline->warnings)
            text += QLatin1Char('\n') + QString::fromStdString(w);
        showMessage(text, false);
    } else if (cancelled) {
        m_outcome = Outcome::Cancelled;
        showMessage(m_sawCheckpoint ? tr("Cancelled at step %1; the checkpoint of that step is in %2.")
                                          .arg(QLocale().toString(m_step), folder)
                                    : tr("Cancelled before the first checkpoint."),
            false);
    } else {
        m_outcome = Outcome::Failed;
        showMessage(tr("Training failed: %1").arg(error), true);
    }
    if (ml::train::checkpointKind(m_runFolder.toStdString()))
        addCheckpoint(m_runFolder);
    m_runs->endLive(m_step);
    Q_EMIT finished();
    Q_EMIT stateChanged();
}

QString TrainingController::stateText() const
{
    if (isRunning()) {
        if (m_stopping)
            return m_jobKind == RunKind::Ddpm ? tr("Stopping: drawing samples and saving a checkpoint…")
                                              : tr("Stopping: evaluating and saving a checkpoint…");
        if (isPaused())
            return tr("Paused");
        if (isPauseRequested())
            return tr("Pausing after this step…");
        const struct {
            const char *stage;
            const char *text;
        } stages[] = {{"loading data", QT_TR_NOOP("Loading the data…")},
            {"learning the tokenizer", QT_TR_NOOP("Learning the tokenizer…")},
            {"preparing the evaluation set", QT_TR_NOOP("Preparing the held-out set…")},
            {"preparing the evaluation sets", QT_TR_NOOP("Preparing the held-out set…")},
            {"evaluating", QT_TR_NOOP("Evaluating on the held-out set…")},
            {"sampling", QT_TR_NOOP("Drawing the sample grid…")},
            {"saving checkpoint", QT_TR_NOOP("Saving a checkpoint…")}, {"training", QT_TR_NOOP("Training")}};
        for (const auto &s : stages)
            if (m_stage == QLatin1String(s.stage))
                return tr(s.text);
        return tr("Starting…");
    }
    switch (m_outcome) {
    case Outcome::Finished:
        return tr("Finished");
    case Outcome::Stopped:
        return tr("Stopped");
    case Outcome::Cancelled:
        return tr("Cancelled");
    case Outcome::Failed:
        return tr("Failed");
    case Outcome::None:
        break;
    }
    return tr("Ready");
}

// --- runs and checkpoints ------------------------------------------------------------------

bool TrainingController::addRun(const QString &path)
{
    clearMessage();
    QString error, note;
    const int row = m_runs->add(path, &error, &note);
    if (row < 0) {
        showMessage(error, true);
        return false;
    }
    if (!note.isEmpty())
        showMessage(note, false);
    if (const auto *run = m_runs->at(row); run && ml::train::checkpointKind(run->folder.toStdString()))
        addCheckpoint(run->folder);
    Q_EMIT runSelected(row);
    return true;
}

void TrainingController::removeRun(int row)
{
    const TrainingRuns::Run *run = m_runs->at(row);
    if (!run)
        return;
    if (run->live && isRunning()) {
        showMessage(tr("The run being trained stays plotted until it ends."), true);
        return;
    }
    m_runs->remove(row);
}

void TrainingController::addCheckpoint(const QString &path)
{
    const QString folder = cleanFolder(path);
    const std::string where = folder.toStdString();
    Checkpoint c;
    c.folder = folder;
    c.kind = ml::train::checkpointKind(where).value_or(RunKind::Clip);
    c.step = m_step;
    try {
        c.step = ml::train::readRunState(where).step;
    } catch (const std::exception &) {
        // a checkpoint without its state (written by hand, say): the live step
    }
    c.saved = QFileInfo(QDir(folder).filePath(QString::fromLatin1(
                            c.kind == RunKind::Ddpm ? ml::train::kDdpmWeightsFile : ml::train::kClipWeightsFile)))
                  .lastModified();
    int row = -1;
    for (int i = 0; i < m_checkpoints.size(); ++i)
        if (m_checkpoints[i].folder == folder)
            row = i;
    if (row < 0) {
        m_checkpoints.append(c);
        row = static_cast<int>(m_checkpoints.size()) - 1;
    } else {
        m_checkpoints[row] = c;
    }
    Q_EMIT checkpointsChanged(row);
}

QStringList TrainingController::checkpoints() const
{
    QStringList folders;
    for (const Checkpoint &c : m_checkpoints)
        folders << c.folder;
    return folders;
}

bool TrainingController::openInClassify(int row)
{
    if (row < 0 || row >= m_checkpoints.size() || m_checkpoints[row].kind != RunKind::Clip)
        return false;
    Q_EMIT openInClassifyRequested(m_checkpoints[row].folder);
    return true;
}

bool TrainingController::openInDiffusion(int row)
{
    if (row < 0 || row >= m_checkpoints.size() || m_checkpoints[row].kind != RunKind::Ddpm)
        return false;
    Q_EMIT openInDiffusionRequested(m_checkpoints[row].folder);
    return true;
}

bool TrainingController::resultOpensInDiffusion() const
{
    return !isRunning() && m_jobKind == RunKind::Ddpm && !m_runFolder.isEmpty()
        && ml::train::checkpointKind(m_runFolder.toStdString()) == RunKind::Ddpm;
}

void TrainingController::openResult()
{
    if (resultOpensInDiffusion())
        Q_EMIT openInDiffusionRequested(m_runFolder);
}
