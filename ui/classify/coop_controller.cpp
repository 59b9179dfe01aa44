// CoopController: checks the form (folder, template, learning rate, output file) before any
// job starts, so a wrong folder is refused with a message naming it and nothing runs.
#include "classify/coop_controller.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/format.h"
#include "train/sample_gallery.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QStandardPaths>

CoopController::CoopController(EngineBridge *bridge, QObject *parent) : QObject(parent), m_bridge(bridge)
{
    Q_ASSERT(m_bridge);
    connect(m_bridge, &EngineBridge::progress, this, &CoopController::onProgress);
    connect(m_bridge, &EngineBridge::partial, this, &CoopController::onPartial);
    connect(m_bridge, &EngineBridge::finished, this, &CoopController::onFinished);
}

// --- helpers ------------------------------------------------------------------------------

QString CoopController::cleanPath(const QString &path)
{
    QString p = path.trimmed();
    if (p.startsWith(QStringLiteral("~/")))
        p = QDir::homePath() + p.mid(1);
    return p.isEmpty() ? QString() : QDir::cleanPath(QDir(p).absolutePath());
}

QString CoopController::percent(double v)
{
    return QStringLiteral("%1 %").arg(QLocale().toString(100.0 * v, 'f', 1));
}

QString CoopController::seconds(double s)
{
    return s < 600.0 ? tr("%1 s").arg(QLocale().toString(s, 'f', 1)) : formatDuration(s);
}

QString CoopController::promptsRoot()
{
    // Beside the app's models and runs ($XDG_DATA_HOME/ModalLens/...), not in Qt's org/app folder.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/ModalLens/prompts");
}

QString CoopController::defaultOutput(const QString &folder)
{
    QString name = QFileInfo(cleanPath(folder)).fileName();
    if (name.isEmpty())
        name = QStringLiteral("prompt");
    const QString root = promptsRoot();
    QString file = QStringLiteral("%1/%2-coop.safetensors").arg(root, name);
    for (int n = 2; QFileInfo::exists(file); ++n)
        file = QStringLiteral("%1/%2-coop-%3.safetensors").arg(root, name).arg(n);
    return QDir::toNativeSeparators(file);
}

QString CoopController::sampleGalleryFolder() const
{
    const auto dir = ml::train::sampleGalleryLabelledDir(m_samplesDir.isEmpty()
            ? ml::train::defaultSampleGalleryDir()
            : std::filesystem::path(m_samplesDir.toStdString()));
    return dir.empty() ? QString() : QDir::toNativeSeparators(QString::fromStdString(dir.string()));
}

void CoopController::showMessage(const QString &text, bool error)
{
    m_message = text;
    m_messageIsError = error && !text.isEmpty();
    Q_EMIT messageChanged(m_message, m_messageIsError);
}

QString CoopController::savedPrompt() const
{
    return m_result ? QString::fromStdString(m_result->out) : QString();
}

bool CoopController::useInClassify()
{
    const QString file = savedPrompt();
    if (file.isEmpty() || !QFileInfo::exists(file))
        return false;
    Q_EMIT useInClassifyRequested(file, m_resultModel);
    return true;
}

// --- the form -----------------------------------------------------------------------------

bool CoopController::checkFolder(const QString &folder)
{
    if (folder.isEmpty()) {
        showMessage(tr("Choose a labelled folder: one sub-folder of images per class."), true);
        return false;
    }
    const QString native = QDir::toNativeSeparators(folder);
    if (!QFileInfo(folder).isDir()) {
        showMessage(QFileInfo::exists(folder) ? tr("%1 is a file, not a folder.").arg(native)
                                              : tr("The folder %1 does not exist.").arg(native),
            true);
        return false;
    }
    const QStringList classes = QDir(folder).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    if (classes.size() < 2) {
        showMessage(
            tr("%1 needs at least 2 class sub-folders of images; it has %n.", nullptr, static_cast<int>(classes.size()))
                .arg(native),
            true);
        return false;
    }
    return true;
}

std::optional<QString> CoopController::checkOutput(const QString &output)
{
    QString out = cleanPath(output);
    if (out.isEmpty()) {
        showMessage(tr("Choose where to save the learnt prompt."), true);
        return std::nullopt;
    }
    if (!out.endsWith(QStringLiteral(".safetensors"), Qt::CaseInsensitive))
        out += QStringLiteral(".safetensors");
    if (QFileInfo(out).isDir()) {
        showMessage(
            tr("%1 is a folder: the learnt prompt needs a file name.").arg(QDir::toNativeSeparators(out)), true);
        return std::nullopt;
    }
    if (!QDir().mkpath(QFileInfo(out).absolutePath())) {
        showMessage(
            tr("Cannot create the folder %1.").arg(QDir::toNativeSeparators(QFileInfo(out).absolutePath())), true);
        return std::nullopt;
    }
    return out;
}

std::optional<ml::CoopRequest> CoopController::prepare(const CoopForm &form)
{
    clearMessage();
    if (form.model.isEmpty()) {
        showMessage(form.modelsRefreshing ? tr("The model list is still being searched: try again in a moment.")
                                          : tr("Choose a CLIP model."),
            true);
        return std::nullopt;
    }
    const QString folder = cleanPath(form.folder);
    if (!checkFolder(folder))
        return std::nullopt;
    const QString templ = form.templ.trimmed();
    if (!templ.contains(QStringLiteral("{}"))) {
        showMessage(tr("The hand-written template needs {} where the class name goes, as in “a photo of a {}.”"), true);
        return std::nullopt;
    }
    bool ok = false;
    double lr = QLocale().toDouble(form.learningRate.trimmed(), &ok);
    if (!ok)
        lr = QLocale::c().toDouble(form.learningRate.trimmed(), &ok);
    if (!ok || !(lr > 0.0) || lr > 1.0) {
        showMessage(tr("The learning rate must be a number above 0 and at most 1, such as 0.002."), true);
        return std::nullopt;
    }
    const auto out = checkOutput(form.output);
    if (!out)
        return std::nullopt;

    ml::CoopRequest r;
    r.model = form.model.toStdString();
    r.folder = folder.toStdString();
    r.out = out->toStdString();
    r.shots = form.shots;
    r.initWords = form.initWords.simplified().toStdString();
    r.contextVectors = form.contextVectors;
    r.classSpecific = form.classSpecific;
    r.steps = form.steps;
    r.lr = lr;
    r.seed = static_cast<std::uint64_t>(form.seed);
    r.templ = templ.toStdString();
    return r;
}

// --- the job ------------------------------------------------------------------------------

quint64 CoopController::start(const CoopForm &form)
{
    if (isRunning()) {
        showMessage(tr("A prompt is already being learnt: cancel it first."), true);
        return 0;
    }
    auto request = prepare(form);
    if (!request)
        return 0;
    m_resultModel = form.model;
    m_stage.clear();
    m_done = m_total = 0;
    m_lastMetric.reset();
    m_outcome = Outcome::None;
    m_job = m_bridge->submit(ml::makeCoopTrainJob(std::move(*request)));
    Q_EMIT started();
    Q_EMIT stateChanged();
    return m_job;
}

void CoopController::cancel()
{
    if (isRunning())
        m_bridge->cancel(m_job);
}

void CoopController::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double)
{
    if (id != m_job)
        return;
    m_stage = stage;
    m_done = done;
    m_total = total;
    Q_EMIT stateChanged();
}

void CoopController::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (id != m_job || kind != QLatin1String(ml::kCoopMetricPartial))
        return;
    if (const auto m = engineValue<ml::CoopMetric>(value)) {
        m_lastMetric = m;
        Q_EMIT metricAdded(*m);
        Q_EMIT stateChanged();
    }
}

void CoopController::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id != m_job)
        return;
    m_job = 0;
    if (const auto result = engineValue<ml::CoopResult>(value); ok && result) {
        m_outcome = Outcome::Finished;
        m_result = *result;
        QStringList warnings;
        for (const std::string &w : result->warnings)
            warnings << QString::fromStdString(w);
        showMessage(warnings.join(QLatin1Char('\n')), false);
    } else if (cancelled) {
        m_outcome = Outcome::Cancelled;
        showMessage(tr("Cancelled: nothing was saved."), false);
    } else {
        m_outcome = Outcome::Failed;
        showMessage(tr("Prompt tuning failed: %1").arg(error), true);
    }
    Q_EMIT finished(m_outcome);
    Q_EMIT stateChanged();
}

QString CoopController::runningText() const
{
    if (m_stage == QLatin1String("training") && m_total > 0) {
        QString text = tr("Training: step %1 of %2").arg(QLocale().toString(m_done), QLocale().toString(m_total));
        if (m_lastMetric)
            text += QStringLiteral(" · ")
                + tr("loss %1, shots accuracy %2")
                      .arg(QLocale().toString(m_lastMetric->loss, 'f', 3), percent(m_lastMetric->trainAccuracy));
        return text;
    }
    if (m_stage == QLatin1String("embedding images") && m_total > 0)
        return tr("Embedding images: %1 of %2").arg(QLocale().toString(m_done), QLocale().toString(m_total));
    if (m_stage == QLatin1String("listing images"))
        return tr("Listing images…");
    if (m_stage == QLatin1String("loading model"))
        return tr("Loading the model…");
    if (m_stage.startsWith(QLatin1String("scoring")))
        return tr("Measuring held-out accuracy…");
    return tr("Starting…");
}

QString CoopController::stateText() const
{
    if (isRunning())
        return runningText();
    switch (m_outcome) {
    case Outcome::Finished:
        return m_result ? tr("Finished in %1").arg(seconds(m_result->seconds)) : QString();
    case Outcome::Cancelled:
        return tr("Cancelled");
    case Outcome::Failed:
        return tr("Failed");
    case Outcome::None:
        break;
    }
    return tr("Ready");
}
