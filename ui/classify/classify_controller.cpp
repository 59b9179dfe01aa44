// ClassifyController: builds the requests from the labels, the prompts and the model picker,
// submits them through EngineBridge and keeps what streams back. Progress and Cancel live in
// the main window's status bar, which already follows every engine job.
#include "classify/classify_controller.h"

#include "classify/classify_sources.h"
#include "classify/classify_table_model.h"
#include "classify/label_sets.h"
#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"

#include <QDir>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QSettings>

#include <algorithm>

namespace {

const QString kLabelsKey = QStringLiteral("classify/labels");
const QString kLabelSetKey = QStringLiteral("classify/labelSet");
const QString kTemplatesKey = QStringLiteral("classify/templates");
const QString kLearntPromptKey = QStringLiteral("classify/learntPrompt");
const QString kDirKey = QStringLiteral("classify/lastDir");

QStringList toQStringList(const std::vector<std::string> &v)
{
    QStringList out;
    for (const std::string &s : v)
        out << QString::fromStdString(s);
    return out;
}

std::vector<std::string> toStd(const QStringList &list)
{
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(list.size()));
    for (const QString &s : list)
        out.push_back(s.toStdString());
    return out;
}

} // namespace

ClassifyController::ClassifyController(EngineBridge *bridge, ModelPicker *picker, QObject *parent)
    : QObject(parent)
    , m_bridge(bridge)
    , m_picker(picker)
    , m_batch(new ClassifyTableModel(this))
{
    Q_ASSERT(m_bridge && m_picker);
    connect(m_bridge, &EngineBridge::partial, this, &ClassifyController::onPartial);
    connect(m_bridge, &EngineBridge::finished, this, &ClassifyController::onFinished);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_batch, signal, this, &ClassifyController::batchChanged);
    connect(m_batch, &QAbstractItemModel::modelReset, this, &ClassifyController::batchChanged);
}

ClassifyController::~ClassifyController()
{
    saveSettings();
}

void ClassifyController::restoreSettings()
{
    QSettings settings;
    // The default model is the embedded clip-mini, which knows Shapes World and Fashion-MNIST.
    const QString set = settings.value(kLabelSetKey, QStringLiteral("shapes-world")).toString();
    if (settings.contains(kLabelsKey) && set.isEmpty())
        setLabels(settings.value(kLabelsKey).toStringList());
    else
        useLabelSet(LabelSets::labels(set).isEmpty() ? QStringLiteral("shapes-world") : set);
    setTemplates(settings.value(kTemplatesKey, QStringList {LabelSets::defaultTemplate()}).toStringList());
    if (m_templates.isEmpty())
        setTemplates({LabelSets::defaultTemplate()});
    if (const QString learnt = settings.value(kLearntPromptKey).toString(); !learnt.isEmpty()) {
        if (QFileInfo::exists(learnt))
            useLearntPrompt(learnt);
        else
            showMessage(
                tr("The learnt prompt %1 is gone; using the templates.").arg(QDir::toNativeSeparators(learnt)), false);
    }
}

void ClassifyController::saveSettings() const
{
    QSettings settings;
    settings.setValue(kLabelSetKey, m_labelSet);
    settings.setValue(kLabelsKey, m_labels);
    settings.setValue(kTemplatesKey, m_templates);
    settings.setValue(kLearntPromptKey, m_learntPrompt);
}

QString ClassifyController::dialogStart(QStandardPaths::StandardLocation fallback)
{
    // A fresh profile's empty setting opened the dialogs at "/".
    const QString dir = QSettings().value(kDirKey).toString();
    return !dir.isEmpty() && QFileInfo(dir).isDir() ? dir : dialogFolder(fallback);
}

void ClassifyController::rememberDialogFolder(const QString &folder)
{
    QSettings().setValue(kDirKey, folder);
}

// --- messages -----------------------------------------------------------------------------

void ClassifyController::showMessage(const QString &text, bool error)
{
    m_message = text;
    m_messageIsError = error && !text.isEmpty();
    Q_EMIT messageChanged(m_message, m_messageIsError);
}

void ClassifyController::clearMessage()
{
    showMessage(QString(), false);
}

// --- gallery ------------------------------------------------------------------------------

void ClassifyController::setGallery(GalleryWidget *gallery)
{
    m_gallery = gallery;
    const auto count = [this] { Q_EMIT selectionCountChanged(static_cast<int>(selectedFiles().size())); };
    if (m_gallery) {
        QItemSelectionModel *selection = m_gallery->view()->selectionModel();
        connect(selection, &QItemSelectionModel::selectionChanged, this, count);
        connect(selection, &QItemSelectionModel::currentChanged, this, count);
    }
    count();
}

QStringList ClassifyController::selectedFiles() const
{
    return ClassifySources::selected(m_gallery);
}

QStringList ClassifyController::galleryFiles() const
{
    return ClassifySources::all(m_gallery);
}

// --- labels and prompts -------------------------------------------------------------------

void ClassifyController::setLabels(const QStringList &labels)
{
    const bool ownSet = !m_labelSet.isEmpty() && labels != LabelSets::labels(m_labelSet);
    if (labels == m_labels && !ownSet)
        return;
    m_labels = labels;
    if (ownSet)
        m_labelSet.clear();
    Q_EMIT labelsChanged();
}

void ClassifyController::useLabelSet(const QString &id)
{
    const QStringList set = LabelSets::labels(id);
    if (set.isEmpty())
        return;
    m_labels = set;
    m_labelSet = id;
    Q_EMIT labelsChanged();
}

bool ClassifyController::addTemplate(const QString &prompt)
{
    const QString text = prompt.trimmed();
    if (const QString problem = LabelSets::templateProblem(text); !problem.isEmpty()) {
        showMessage(problem, true);
        return false;
    }
    if (m_templates.contains(text)) {
        showMessage(tr("The prompt “%1” is already in the list.").arg(text), true);
        return false;
    }
    m_templates << text;
    clearMessage();
    Q_EMIT templatesChanged();
    return true;
}

bool ClassifyController::editTemplate(int row, const QString &prompt)
{
    if (row < 0 || row >= m_templates.size())
        return false;
    const QString text = prompt.trimmed();
    if (text == m_templates.at(row))
        return true;
    if (const QString problem = LabelSets::templateProblem(text); !problem.isEmpty()) {
        showMessage(problem, true); // the edit lost its "{}": the old prompt stays, and says why
        Q_EMIT templatesChanged();
        return false;
    }
    m_templates[row] = text;
    clearMessage();
    Q_EMIT templatesChanged();
    return true;
}

void ClassifyController::removeTemplate(int row)
{
    if (row < 0 || row >= m_templates.size())
        return;
    m_templates.removeAt(row);
    Q_EMIT templatesChanged();
}

void ClassifyController::setTemplates(const QStringList &prompts)
{
    m_templates.clear();
    for (const QString &p : prompts)
        if (LabelSets::templateProblem(p.trimmed()).isEmpty() && !m_templates.contains(p.trimmed()))
            m_templates << p.trimmed();
    Q_EMIT templatesChanged();
}

bool ClassifyController::useLearntPrompt(const QString &file)
{
    try {
        m_learntPromptInfo = ml::readLearntPromptInfo(file.toStdString());
    } catch (const std::exception &e) {
        showMessage(tr("Cannot use %1 as a learnt prompt: %2")
                        .arg(QDir::toNativeSeparators(file), QString::fromStdString(e.what())),
            true);
        return false;
    }
    m_learntPrompt = file;
    if (m_learntPromptInfo.classSpecific)
        setLabels(toQStringList(m_learntPromptInfo.classes)); // its contexts exist for these classes only
    Q_EMIT learntPromptChanged();
    return true;
}

void ClassifyController::useTemplates()
{
    m_learntPrompt.clear();
    m_learntPromptInfo = {};
    Q_EMIT learntPromptChanged();
}

// --- requests -----------------------------------------------------------------------------

std::optional<ml::ClassifyRequest> ClassifyController::prepare(bool needLabels)
{
    const QString model = m_picker->currentPath();
    if (model.isEmpty()) {
        showMessage(m_picker->isRefreshing() ? tr("Still looking for models; try again in a moment.")
                                             : tr("Choose a CLIP model first (Add folder… lists the checkpoints in a "
                                                  "folder)."),
            true);
        return std::nullopt;
    }
    if (needLabels) {
        if (const QString problem = LabelSets::problem(m_labels); !problem.isEmpty()) {
            Q_EMIT setupPageRequested(LabelsPage);
            showMessage(tr("Label set: %1").arg(problem), true);
            return std::nullopt;
        }
    }
    if (!checkLearntClasses(needLabels))
        return std::nullopt;
    if (m_learntPrompt.isEmpty() && m_templates.isEmpty()) {
        Q_EMIT setupPageRequested(PromptsPage);
        showMessage(tr("Add at least one prompt template, such as “%1”.").arg(LabelSets::defaultTemplate()), true);
        return std::nullopt;
    }
    ml::ClassifyRequest request;
    request.model = model.toStdString();
    request.labels = toStd(m_labels);
    request.templates = toStd(m_templates);
    request.learntPrompt = m_learntPrompt.toStdString();
    saveSettings();
    return request;
}

bool ClassifyController::checkLearntClasses(bool needLabels)
{
    if (!needLabels || m_learntPrompt.isEmpty() || !m_learntPromptInfo.classSpecific)
        return true;
    const QStringList classes = toQStringList(m_learntPromptInfo.classes);
    QStringList unknown;
    for (const QString &label : std::as_const(m_labels))
        if (!classes.contains(label))
            unknown << label;
    if (unknown.isEmpty())
        return true;
    Q_EMIT setupPageRequested(LabelsPage);
    showMessage(tr("The learnt prompt is class-specific and has no context for: %1. Use its classes (%2) or "
                   "go back to the templates.")
                    .arg(unknown.join(QStringLiteral(", ")), classes.join(QStringLiteral(", "))),
        true);
    return false;
}

quint64 ClassifyController::classifySelected()
{
    if (!m_gallery || m_gallery->model()->rowCount() == 0) {
        showMessage(tr("The gallery is empty: drop some photos on the window first."), true);
        return 0;
    }
    const QStringList files = selectedFiles();
    if (files.isEmpty()) {
        showMessage(tr("Nothing selected: select one or more photos or videos in the gallery."), true);
        return 0;
    }
    return classifyFiles(files);
}

quint64 ClassifyController::classifyFiles(const QStringList &files)
{
    if (files.isEmpty()) {
        showMessage(tr("No photos or videos to classify."), true);
        return 0;
    }
    auto request = prepare(true);
    if (!request)
        return 0;
    request->images = toStd(files);
    if (m_imageJob)
        m_bridge->cancel(m_imageJob);
    clearMessage();
    m_imageResults.clear();
    m_imageRowOf.clear();
    m_current = -1;
    m_imageRun = {};
    m_imagePlaceholder = files.size() == 1 ? tr("Classifying 1 file…")
                                           : tr("Classifying %n files…", nullptr, static_cast<int>(files.size()));
    Q_EMIT imageResultsCleared();
    Q_EMIT viewRequested(ImageView);
    m_imageJob = m_bridge->submit(ml::makeClassifyJob(std::move(*request)));
    return m_imageJob;
}

quint64 ClassifyController::classifyFolder(const QString &folder)
{
    if (!QFileInfo(folder).isDir()) {
        showMessage(tr("%1 is not a folder.").arg(QDir::toNativeSeparators(folder)), true);
        return 0;
    }
    if (!prepare(true))
        return 0;
    if (m_listJob)
        m_bridge->cancel(m_listJob);
    clearMessage();
    m_listFolder = folder;
    Q_EMIT viewRequested(BatchView);
    m_listJob = m_bridge->submit(
        tr("Listing %1").arg(QFileInfo(folder).fileName()),
        [folder](ml::JobContext &ctx) -> QVariant { return ClassifySources::listFolder(folder, ctx); }, ml::Lane::Io);
    return m_listJob;
}

quint64 ClassifyController::classifyGallery()
{
    const QStringList files = galleryFiles();
    if (files.isEmpty()) {
        showMessage(tr("The gallery holds no photos or videos: drop some on the window first."), true);
        return 0;
    }
    return startBatch(files, tr("the gallery"));
}

quint64 ClassifyController::startBatch(const QStringList &files, const QString &what)
{
    auto request = prepare(true);
    if (!request)
        return 0;
    if (files.isEmpty()) {
        showMessage(tr("No photos or videos found in %1.").arg(what), true);
        return 0;
    }
    request->images = toStd(files);
    if (m_batchJob)
        m_bridge->cancel(m_batchJob);
    clearMessage();
    m_batchRun = {};
    m_batchStarting = files.size() == 1
        ? tr("Classifying 1 file from %1…").arg(what)
        : tr("Classifying %n files from %1…", nullptr, static_cast<int>(files.size())).arg(what);
    m_batchJob = m_bridge->submit(ml::makeClassifyJob(std::move(*request)));
    m_batch->clear();
    m_batch->setLabels(m_labels);
    Q_EMIT batchStarted();
    Q_EMIT batchChanged();
    Q_EMIT viewRequested(BatchView);
    return m_batchJob;
}

quint64 ClassifyController::evaluateFolder(const QString &folder)
{
    if (!QFileInfo(folder).isDir()) {
        showMessage(tr("%1 is not a folder.").arg(QDir::toNativeSeparators(folder)), true);
        return 0;
    }
    auto prepared = prepare(false);
    if (!prepared)
        return 0;
    ml::EvaluateRequest request;
    request.model = prepared->model;
    request.templates = prepared->templates;
    request.learntPrompt = prepared->learntPrompt;
    request.folder = folder.toStdString();
    if (m_evalJob)
        m_bridge->cancel(m_evalJob);
    clearMessage();
    m_evaluation.reset();
    m_evalFolder = folder;
    m_evalSeen = 0;
    m_evalJob = m_bridge->submit(ml::makeEvaluateJob(std::move(request)));
    Q_EMIT evaluationStarted();
    Q_EMIT viewRequested(EvaluationView);
    return m_evalJob;
}

bool ClassifyController::isRunning() const
{
    return m_imageJob || m_listJob || m_batchJob || m_evalJob;
}

// --- what streams back --------------------------------------------------------------------

void ClassifyController::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (kind != QLatin1String(ml::kImageScoresPartial) || (id != m_imageJob && id != m_batchJob && id != m_evalJob))
        return;
    const auto scores = engineValue<ml::ImageScores>(value);
    if (!scores)
        return;
    if (id == m_imageJob) {
        addImageResult(*scores);
    } else if (id == m_batchJob) {
        m_batch->addResult(*scores);
    } else {
        ++m_evalSeen;
        Q_EMIT evaluationProgress(m_evalSeen);
    }
}

void ClassifyController::fail(const QString &what, const QString &error, bool cancelled)
{
    if (cancelled)
        showMessage(tr("%1 cancelled.").arg(what), false);
    else
        showMessage(tr("%1 failed: %2").arg(what, error), true);
}

void ClassifyController::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id == 0 || (id != m_imageJob && id != m_listJob && id != m_batchJob && id != m_evalJob))
        return;
    if (id == m_listJob) {
        m_listJob = 0;
        if (!ok)
            return fail(tr("Listing the folder"), error, cancelled);
        startBatch(value.toStringList(), QDir::toNativeSeparators(m_listFolder));
        return;
    }
    if (id == m_imageJob) {
        m_imageJob = 0;
        finishImages(ok, cancelled, value);
        if (!ok)
            fail(tr("Classification"), error, cancelled);
        return;
    }
    if (id == m_batchJob) {
        m_batchJob = 0;
        const auto result = engineValue<ml::ClassifyResult>(value);
        if (ok && result) {
            m_batchRun = {result->logitScale, QString::fromStdString(result->dtype),
                QString::fromStdString(result->device), QString::fromStdString(result->modelName)};
            for (const ml::ImageScores &s : result->images)
                m_batch->addResult(s);
        }
        Q_EMIT batchChanged();
        if (!ok || !result)
            fail(tr("Batch classification"), error, cancelled);
        return;
    }
    m_evalJob = 0;
    const auto result = engineValue<ml::EvaluateResult>(value);
    if (ok && result)
        m_evaluation = *result;
    Q_EMIT evaluationChanged();
    if (!ok || !result)
        fail(tr("Evaluation"), error, cancelled);
}

void ClassifyController::finishImages(bool ok, bool cancelled, const QVariant &value)
{
    const auto result = engineValue<ml::ClassifyResult>(value);
    if (!ok || !result) {
        if (m_imageResults.empty())
            setImagePlaceholder(cancelled ? tr("Cancelled.") : tr("No results."));
        return;
    }
    m_imageRun = {result->logitScale, QString::fromStdString(result->dtype), QString::fromStdString(result->device),
        QString::fromStdString(result->modelName)};
    for (const ml::ImageScores &s : result->images)
        addImageResult(s);
    const int failed = static_cast<int>(
        std::count_if(result->images.begin(), result->images.end(), [](const auto &s) { return !s.error.empty(); }));
    if (failed > 0)
        showMessage(result->images.size() == 1
                ? tr("The file could not be classified (see the list).")
                : tr("%1 of %2 files could not be classified (see the list).").arg(failed).arg(result->images.size()),
            true);
    if (m_current < 0 && !m_imageResults.empty())
        showImageResult(0);
    Q_EMIT imageRunChanged();
}

void ClassifyController::setImagePlaceholder(const QString &text)
{
    m_imagePlaceholder = text;
    Q_EMIT imageRunChanged();
}

void ClassifyController::addImageResult(const ml::ImageScores &scores)
{
    const QString path = QString::fromStdString(scores.file);
    int i = m_imageRowOf.value(path, -1);
    const bool added = i < 0;
    if (added) {
        i = static_cast<int>(m_imageResults.size());
        m_imageResults.push_back(scores);
        m_imageRowOf.insert(path, i);
    } else {
        m_imageResults[static_cast<std::size_t>(i)] = scores;
    }
    Q_EMIT imageResultChanged(i, added);
    if (m_current < 0)
        showImageResult(i);
    else if (i == m_current)
        Q_EMIT currentImageChanged(i);
}

void ClassifyController::showImageResult(int i)
{
    m_current = i >= 0 && i < imageResultCount() ? i : -1;
    Q_EMIT currentImageChanged(m_current);
}

QString ClassifyController::runInfo() const
{
    const RunInfo &run = m_imageRun;
    if (run.logitScale <= 0.0)
        return {};
    QStringList parts;
    parts << tr("logit scale %1 (τ = %2)")
                 .arg(QLocale().toString(run.logitScale, 'f', 1), QLocale().toString(1.0 / run.logitScale, 'f', 3));
    for (const QString &part : {run.dtype, run.device, run.model})
        if (!part.isEmpty())
            parts << part;
    return parts.join(QStringLiteral(" · "));
}

// --- batch and evaluation -----------------------------------------------------------------

QString ClassifyController::batchSummary() const
{
    const int n = m_batch->rowCount(), failed = m_batch->errorCount();
    if (m_batchJob)
        return n == 0 ? m_batchStarting : tr("Classified so far: %n", nullptr, n);
    if (n == 0)
        return tr("Classify a folder or the whole gallery; double-click a row to preview it.");
    const int videos = m_batch->videoCount(), photos = n - videos;
    QStringList counts;
    if (photos > 0)
        counts << (photos == 1 ? tr("1 photo") : tr("%n photos", nullptr, photos));
    if (videos > 0) // said, so that nobody wonders which part of a clip the labels are about
        counts << (videos == 1 ? tr("1 video, on the frame at its middle")
                               : tr("%n videos, each on the frame at its middle", nullptr, videos));
    QString text = counts.join(QStringLiteral(" · "));
    if (failed > 0)
        text += QStringLiteral(" · ") + tr("%n could not be read", nullptr, failed);
    if (m_batchRun.logitScale > 0.0)
        text += QStringLiteral(" · ") + m_batchRun.dtype + QStringLiteral(" · ") + m_batchRun.device;
    return text + QStringLiteral(" · ") + tr("double-click a row to preview it");
}

bool ClassifyController::exportBatch(const QString &path, bool json)
{
    QString error;
    if (!m_batch->exportTo(path, json, &error)) {
        showMessage(error, true);
        return false;
    }
    showMessage(tr("Saved the results to %1.").arg(QDir::toNativeSeparators(path)), false);
    return true;
}

std::vector<ml::ImageScores> ClassifyController::cellImages(int truth, int predicted) const
{
    std::vector<ml::ImageScores> out;
    if (!m_evaluation)
        return out;
    const auto &classes = m_evaluation->classes;
    for (const ml::ImageScores &s : m_evaluation->images) {
        if (s.truth != truth || s.scores.empty() || !s.error.empty())
            continue;
        const auto it = std::find(classes.begin(), classes.end(), s.scores.front().label);
        if (it != classes.end() && static_cast<int>(it - classes.begin()) == predicted)
            out.push_back(s);
    }
    return out;
}
