// DiffusionController: the form opens a DenoiseSession configuration (a job, debounced); Run /
// Step / Branch / Reconstruct submit one core run job each (it opens the form first when it
// changed), whose partial results say the run's id and stream each step's previews.
#include "diffusion/diffusion_controller.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"

#include <QApplication>
#include <QFileInfo>
#include <QLocale>
#include <QPointer>
#include <QSettings>
#include <QThreadPool>
#include <QTimer>

#include <algorithm>
#include <limits>

namespace {

const QString kModelKey = QStringLiteral("diffusion/model");
const QString kSchedulerKey = QStringLiteral("diffusion/scheduler");
const QString kStepsKey = QStringLiteral("diffusion/steps");
const QString kEtaKey = QStringLiteral("diffusion/eta");
const QString kSeedKey = QStringLiteral("diffusion/seed");
// Not in the form: the MB kept of stored runs' previews (DenoiseSession::setHistoryBudget) and of
// their full tensors (setMemoryBudget).
const QString kHistoryKey = QStringLiteral("diffusion/historyMB");
const QString kTensorKey = QStringLiteral("diffusion/tensorMB");
constexpr int kReopenDelayMs = 250;
constexpr int kViewIntervalMs = 33;

int nextSeed(int seed)
{
    return seed < std::numeric_limits<int>::max() ? seed + 1 : 0;
}

} // namespace

DiffusionController::DiffusionController(EngineBridge *bridge, QObject *parent)
    : QObject(parent)
    , m_bridge(bridge)
    , m_session(std::make_shared<ml::DenoiseSession>())
    , m_reopenTimer(new QTimer(this))
    , m_viewTimer(new QTimer(this))
{
    Q_ASSERT(m_bridge);
    m_reopenTimer->setSingleShot(true);
    m_reopenTimer->setInterval(kReopenDelayMs);
    m_viewTimer->setSingleShot(true);
    m_viewTimer->setInterval(kViewIntervalMs);
    connect(m_reopenTimer, &QTimer::timeout, this, &DiffusionController::reopen);
    connect(m_viewTimer, &QTimer::timeout, this, &DiffusionController::showView);
    connect(m_bridge, &EngineBridge::partial, this, &DiffusionController::onPartial);
    connect(m_bridge, &EngineBridge::progress, this, &DiffusionController::onProgress);
    connect(m_bridge, &EngineBridge::finished, this, &DiffusionController::onFinished);
    restoreSettings();
}

DiffusionController::~DiffusionController()
{
    // No cancel here: the bridge may be gone already (MainWindow's children go in creation
    // order); its engine cancels every job when it goes, and the jobs own the session.
    saveSettings();
}

void DiffusionController::restoreSettings()
{
    const QSettings s;
    // DDPM over the model's 1000 steps: a few ms a step on ddpm-mini, so the sample forms over
    // a few seconds, every step of the chain it was trained on.
    m_form.scheduler = std::clamp(s.value(kSchedulerKey, DdpmScheduler).toInt(), 0, 1);
    m_form.steps
        = s.value(kStepsKey, m_form.scheduler == DdpmScheduler ? kDefaultDdpmSteps : kDefaultDdimSteps).toInt();
    m_form.eta = s.value(kEtaKey, 0.0).toDouble();
    m_form.seed = s.value(kSeedKey, 0).toInt();
    m_form.branchSeed = nextSeed(m_form.seed);
    const auto megabytes = [&s](const QString &key, std::int64_t defaultBytes) {
        const qint64 mb = s.value(key, static_cast<qlonglong>(defaultBytes >> 20)).toLongLong();
        return static_cast<std::int64_t>(std::clamp<qint64>(mb, 1, 1 << 20)) << 20;
    };
    m_session->setHistoryBudget(megabytes(kHistoryKey, ml::DenoiseSession::kDefaultHistoryBytes));
    m_session->setMemoryBudget(megabytes(kTensorKey, ml::DenoiseSession::kDefaultBudgetBytes));
}

void DiffusionController::saveSettings() const
{
    QSettings s;
    s.setValue(kSchedulerKey, m_form.scheduler);
    s.setValue(kStepsKey, m_form.steps);
    s.setValue(kEtaKey, m_form.eta);
    s.setValue(kSeedKey, m_form.seed);
}

// --- the form ------------------------------------------------------------------------------

void DiffusionController::setModel(const QString &path)
{
    if (path == m_form.model)
        return;
    m_form.model = path;
    Q_EMIT formChanged();
    scheduleReopen();
}

void DiffusionController::setScheduler(int index)
{
    index = std::clamp(index, 0, 1);
    if (index == m_form.scheduler)
        return;
    m_form.scheduler = index;
    m_form.steps = std::min(index == DdpmScheduler ? kDefaultDdpmSteps : kDefaultDdimSteps, m_maxSteps);
    if (index == DdpmScheduler)
        m_form.eta = 0.0;
    Q_EMIT formChanged();
    scheduleReopen();
}

void DiffusionController::setSteps(int steps)
{
    steps = std::clamp(steps, 1, m_maxSteps);
    if (steps == m_form.steps)
        return;
    m_form.steps = steps;
    Q_EMIT formChanged();
    scheduleReopen();
}

void DiffusionController::setEta(double eta)
{
    eta = std::clamp(eta, 0.0, 1.0);
    if (eta == m_form.eta)
        return;
    m_form.eta = eta;
    Q_EMIT formChanged();
    scheduleReopen();
}

void DiffusionController::setSeed(int seed)
{
    seed = std::max(0, seed);
    if (seed == m_form.seed)
        return;
    m_form.seed = seed;
    m_form.branchSeed = nextSeed(seed);
    if (!m_forwardPath.isEmpty())
        submitForward(); // the forward process's noise is the seed's x_T
    Q_EMIT formChanged();
}

void DiffusionController::setBranchSeed(int seed)
{
    seed = std::max(0, seed);
    if (seed == m_form.branchSeed)
        return;
    m_form.branchSeed = seed;
    Q_EMIT formChanged();
}

ml::DenoiseSessionConfig DiffusionController::config() const
{
    ml::DenoiseSessionConfig c;
    c.model = m_form.model.toStdString();
    c.scheduler = m_form.scheduler == DdimScheduler ? "ddim" : "ddpm";
    c.steps = m_form.steps;
    c.eta = m_form.scheduler == DdimScheduler ? m_form.eta : 0.0;
    return c;
}

QString DiffusionController::configKey() const
{
    const auto c = config();
    if (c.model.empty())
        return {};
    return QStringLiteral("%1|%2|%3|%4")
        .arg(QString::fromStdString(c.model), QString::fromStdString(c.scheduler))
        .arg(c.steps)
        .arg(c.eta, 0, 'g', 6);
}

void DiffusionController::setActive(bool active)
{
    m_active = active;
    if (!active)
        return;
    if (!formIsOpen() && !m_openJob)
        scheduleReopen();
    else if (!m_forwardPath.isEmpty() && !m_forwardReady && !m_forwardBusy)
        submitForward();
}

void DiffusionController::scheduleReopen()
{
    if (m_messageIsError)
        showMessage(QString(), false);
    m_reopenTimer->start();
}

void DiffusionController::reopen()
{
    m_reopenTimer->stop();
    if (!m_active)
        return; // setActive(true) opens the form
    const QString key = configKey();
    if (key.isEmpty()) {
        showMessage(m_modelsPending ? tr("The model list is still being searched…")
                                    : tr("Choose a diffusion model (a diffusers UNet2DModel)."),
            !m_modelsPending);
        return;
    }
    if (key == m_openKey || m_runJob)
        return; // open, or the run job opens the form itself when it starts
    if (m_openJob)
        m_bridge->cancel(m_openJob);
    m_pendingOpenKey = key;
    ml::Job open = ml::makeDenoiseOpenJob(m_session, config());
    open.name = tr("Opening the diffusion model").toStdString();
    m_openJob = m_bridge->submit(std::move(open));
    setStatus(tr("Loading the model…"));
}

void DiffusionController::setOpened(const ml::DenoiseSessionInfo &info)
{
    m_sessionInfo = info;
    m_openKey = m_pendingOpenKey; // the form as it was when the job was submitted
    m_timesteps = m_session->timesteps();
    m_run = -1;
    m_view = 0;
    m_follow = true;
    m_msPerStep = 0.0;
    m_maxSteps = static_cast<int>(std::max<std::int64_t>(1, info.trainTimesteps));
    const auto n = static_cast<int>(info.warnings.size());
    showMessage(n == 0 ? QString()
                       : QString::fromStdString(info.warnings.front())
                + (n > 1 ? tr(" (and %n more)", nullptr, n - 1) : QString()),
        false);
    if (!m_forwardPath.isEmpty())
        submitForward();
    Q_EMIT formChanged(); // the steps' maximum
    Q_EMIT opened();
    Q_EMIT runsChanged();
    showView();
}

// --- jobs ----------------------------------------------------------------------------------

void DiffusionController::submitRun(ml::DenoiseRunRequest::Kind kind, int count, int index)
{
    using Kind = ml::DenoiseRunRequest::Kind;
    const QString key = configKey();
    if (key.isEmpty()) {
        showMessage(tr("Choose a diffusion model (a diffusers UNet2DModel)."), true);
        return;
    }
    if (m_runJob)
        return;
    const bool needOpen = key != m_openKey;
    if (needOpen && kind != Kind::New) {
        kind = Kind::New; // the form changed: the old runs go with the old configuration
        index = 0;
    }
    if (m_openJob && needOpen) {
        m_bridge->cancel(m_openJob);
        m_openJob = 0;
    }
    m_reopenTimer->stop();
    if (needOpen)
        m_pendingOpenKey = key;
    ml::DenoiseRunRequest request;
    request.kind = kind;
    request.run = m_run;
    request.index = index;
    request.seed = static_cast<std::uint64_t>(kind == Kind::Branch ? m_form.branchSeed : m_form.seed);
    request.count = count;
    if (needOpen)
        request.open = config();
    ml::Job job = ml::makeDenoiseRunJob(m_session, std::move(request));
    job.name = (kind == Kind::Branch    ? tr("Denoising a branch")
            : kind == Kind::Reconstruct ? tr("Reconstructing the image")
                                        : tr("Denoising"))
                   .toStdString();
    m_paused = false;
    m_runJob = m_bridge->submit(std::move(job));
    setStatus(needOpen ? tr("Loading the model…") : tr("Starting…"));
    showView();
}

// The image is decoded and noised on a pool thread, not as an engine job: it is small work that
// follows every gallery selection, and must neither queue behind a run nor show in the status bar.
void DiffusionController::submitForward()
{
    if (m_forwardPath.isEmpty() || !m_session->isOpen())
        return; // setOpened() calls again
    m_forwardReady = false;
    m_forwardBusy = true;
    const quint64 ticket = ++m_forwardTicket;
    QPointer<DiffusionController> self(this);
    QThreadPool::globalInstance()->start([self, ticket, session = m_session, path = m_forwardPath.toStdString(),
                                             seed = static_cast<std::uint64_t>(m_form.seed)] {
        QString error;
        try {
            ml::setForwardImageFromFile(*session, path, seed);
        } catch (const std::exception &e) {
            error = QString::fromUtf8(e.what());
        }
        QMetaObject::invokeMethod(
            qApp,
            [self, ticket, error] {
                if (self)
                    self->onForwardDone(ticket, error);
            },
            Qt::QueuedConnection);
    });
    showView();
}

void DiffusionController::onForwardDone(quint64 ticket, const QString &error)
{
    if (ticket != m_forwardTicket)
        return; // a newer image or seed is on its way
    m_forwardBusy = false;
    m_forwardReady = error.isEmpty();
    if (m_forwardReady)
        m_forwardName = QFileInfo(m_forwardPath).fileName();
    else
        showMessage(
            tr("Could not use %1 for the forward process: %2").arg(QFileInfo(m_forwardPath).fileName(), error), true);
    showView();
    if (m_forwardReady)
        Q_EMIT forwardReady();
}

void DiffusionController::onPartial(quint64 id, const QString &kind, const QVariant &value)
{
    if (id != m_runJob)
        return;
    if (kind == QLatin1String(ml::kDenoiseSessionOpenKind)) {
        if (const auto info = engineValue<ml::DenoiseSessionInfo>(value))
            setOpened(*info);
    } else if (kind == QLatin1String(ml::kDenoiseSessionRunKind)) {
        if (const auto r = engineValue<ml::DenoiseRunStarted>(value)) {
            if (r->run != m_run) {
                m_run = r->run;
                m_session->pin(m_run);
                const auto info = m_session->run(m_run);
                m_view = info ? info->firstStep : 0;
            }
            m_follow = true;
            Q_EMIT runsChanged();
            showView();
        }
    } else if (kind == QLatin1String(ml::kDenoiseSessionStepKind)) {
        if (const auto s = engineValue<ml::DenoiseSessionStep>(value); s && s->previews.run == m_run) {
            m_msPerStep = s->msPerStep;
            if (m_follow)
                m_view = s->previews.index;
            if (!m_viewTimer->isActive())
                m_viewTimer->start();
        }
    }
}

void DiffusionController::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double)
{
    if (id == m_openJob || (id == m_runJob && stage == QLatin1String("loading model")))
        setStatus(tr("Loading the model…"));
    else if (id == m_runJob && total > 0)
        setStatus(m_msPerStep > 0.0 ? tr("Denoising: step %1 of %2 · %3 ms/step")
                                          .arg(done)
                                          .arg(total)
                                          .arg(QLocale().toString(m_msPerStep, 'f', 1))
                                    : tr("Denoising: step %1 of %2").arg(done).arg(total));
    else if (id == m_exportJob && total > 0)
        setStatus(tr("Exporting: frame %1 of %2").arg(done).arg(total));
}

void DiffusionController::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id == 0)
        return;
    if (id == m_openJob) {
        m_openJob = 0;
        setStatus(QString());
        if (const auto info = engineValue<ml::DenoiseSessionInfo>(value); ok && info)
            setOpened(*info);
        else if (!cancelled)
            showMessage(tr("Could not open the model: %1").arg(error), true);
        showView();
    } else if (id == m_runJob) {
        onRunFinished(ok, error, cancelled);
    } else if (id == m_exportJob) {
        onExportFinished(ok, error, cancelled);
    }
}

void DiffusionController::onRunFinished(bool ok, const QString &error, bool cancelled)
{
    m_runJob = 0;
    m_viewTimer->stop();
    if (!ok && !cancelled)
        showMessage(error, true);
    m_paused = cancelled;
    if (m_follow)
        m_view = maxView(); // a finished run ends on its result
    Q_EMIT runsChanged();
    showView();
    // A form change while the run went on: open it now.
    if (configKey() != m_openKey)
        scheduleReopen();
    Q_EMIT runStopped();
}

// --- actions -------------------------------------------------------------------------------

void DiffusionController::run(int count)
{
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    const bool fresh = !formIsOpen() || !info || info->finished
        || (info->origin == ml::DenoiseRunInfo::Origin::Seed && info->seed != static_cast<std::uint64_t>(m_form.seed));
    m_follow = true;
    if (!fresh)
        m_view = maxView();
    submitRun(fresh ? ml::DenoiseRunRequest::Kind::New : ml::DenoiseRunRequest::Kind::Continue, count);
}

void DiffusionController::pause()
{
    if (m_runJob)
        m_bridge->cancel(m_runJob);
}

void DiffusionController::stepForward()
{
    if (m_run >= 0 && m_view < maxView()) {
        setViewStep(m_view + 1);
        return;
    }
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (m_runJob || (info && info->finished && formIsOpen()))
        return;
    if (!info || !formIsOpen()) {
        run(1);
        return;
    }
    m_follow = true;
    submitRun(ml::DenoiseRunRequest::Kind::Continue, 1);
}

void DiffusionController::stepBack()
{
    if (m_view > minView())
        setViewStep(m_view - 1);
}

void DiffusionController::setViewStep(int index)
{
    if (m_run < 0)
        return;
    index = std::clamp(index, minView(), maxView());
    m_follow = index == maxView();
    if (index == m_view)
        return;
    m_view = index;
    showView();
}

void DiffusionController::branchFromHere()
{
    if (m_run < 0 || m_runJob || !m_session->run(m_run))
        return;
    const int index = std::min(m_view, static_cast<int>(m_timesteps.size()) - 1);
    if (index < 0 || !formIsOpen()) {
        showMessage(tr("Nothing to branch from: run the configuration first."), true);
        return;
    }
    submitRun(ml::DenoiseRunRequest::Kind::Branch, -1, index);
    setBranchSeed(nextSeed(m_form.branchSeed)); // the next branch gets a new seed
}

void DiffusionController::reconstructFromHere()
{
    if (m_runJob || !m_forwardReady || !formIsOpen())
        return;
    const int index = std::clamp(m_view, 0, static_cast<int>(m_timesteps.size()) - 1);
    submitRun(ml::DenoiseRunRequest::Kind::Reconstruct, -1, index);
}

void DiffusionController::showRun(int id)
{
    if (!m_session->run(id))
        return;
    m_run = id;
    m_session->pin(m_run);
    m_follow = true;
    m_view = maxView();
    Q_EMIT runsChanged();
    showView();
}

void DiffusionController::setForwardFile(const QString &path)
{
    if (path == m_forwardPath)
        return;
    m_forwardPath = path;
    m_forwardReady = false;
    m_forwardName.clear();
    if (!path.isEmpty() && m_active) {
        submitForward();
        return;
    }
    ++m_forwardTicket; // a decode on its way is for an older image; a hidden feature decodes when shown
    m_forwardBusy = false;
    showView();
}

// --- state ---------------------------------------------------------------------------------

bool DiffusionController::isBusy() const
{
    return m_openJob || m_runJob || m_forwardBusy || m_exportJob || m_reopenTimer->isActive();
}

int DiffusionController::minView() const
{
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (!info)
        return 0;
    return info->origin == ml::DenoiseRunInfo::Origin::Reconstruction ? info->firstStep : 0;
}

int DiffusionController::maxView() const
{
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (!info)
        return 0;
    if (info->finished)
        return info->stepsDone; // the result
    return std::max(minView(), info->stepsDone - 1);
}

int DiffusionController::shownTimestep() const
{
    if (m_view < 0 || m_view >= static_cast<int>(m_timesteps.size()))
        return -1;
    return static_cast<int>(m_timesteps[static_cast<std::size_t>(m_view)]);
}

QString DiffusionController::runLabel(const ml::DenoiseRunInfo &r) const
{
    switch (r.origin) {
    case ml::DenoiseRunInfo::Origin::Branch:
        return tr("Run %1: branch of run %2 at step %3, seed %4")
            .arg(r.id)
            .arg(r.parent)
            .arg(r.firstStep + 1)
            .arg(r.seed);
    case ml::DenoiseRunInfo::Origin::Reconstruction:
        return tr("Run %1: %2 reconstructed from step %3, seed %4")
            .arg(r.id)
            .arg(QString::fromStdString(r.imageName))
            .arg(r.firstStep + 1)
            .arg(r.seed);
    case ml::DenoiseRunInfo::Origin::Seed:
        break;
    }
    return tr("Run %1: seed %2").arg(r.id).arg(r.seed);
}

// Both endings, when the shown run is a branch or has one.
void DiffusionController::findEndings()
{
    m_originalRun = m_branchRun = -1;
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (info && info->origin == ml::DenoiseRunInfo::Origin::Branch) {
        m_originalRun = info->parent;
        m_branchRun = m_run;
    } else if (info) {
        for (const ml::DenoiseRunInfo &r : m_session->runs())
            if (r.origin == ml::DenoiseRunInfo::Origin::Branch && r.parent == m_run)
                m_branchRun = r.id; // the newest
        if (m_branchRun >= 0)
            m_originalRun = m_run;
    }
    if (m_branchRun < 0)
        m_originalRun = -1;
}

void DiffusionController::showView()
{
    findEndings();
    updateStatus();
    Q_EMIT viewChanged();
}

void DiffusionController::updateStatus()
{
    if (m_runJob)
        return; // progress() writes it
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (!info) {
        if (!m_openJob && !m_exportJob)
            setStatus(QString());
        return;
    }
    if (m_exportJob)
        return;
    const QString speed
        = m_msPerStep > 0.0 ? tr(" · %1 ms/step").arg(QLocale().toString(m_msPerStep, 'f', 1)) : QString();
    const auto total = static_cast<int>(m_timesteps.size());
    if (info->finished)
        setStatus(tr("Done: %n steps", nullptr, total) + speed);
    else if (m_paused)
        setStatus(tr("Paused after step %1 of %2").arg(info->stepsDone).arg(total) + speed);
    else
        setStatus(tr("At step %1 of %2").arg(info->stepsDone).arg(total) + speed);
}

QString DiffusionController::infoText() const
{
    if (m_openKey.isEmpty())
        return {};
    const auto &i = m_sessionInfo;
    const auto mb
        = [](std::int64_t bytes) { return QLocale().toString(static_cast<double>(bytes) / (1 << 20), 'f', 1); };
    QStringList parts;
    parts << QString::fromStdString(i.modelName);
    parts << tr("%1 M parameters").arg(QLocale().toString(static_cast<double>(i.parameters) / 1e6, 'f', 1));
    parts << tr("%1 × %2 × %3").arg(i.channels).arg(i.height).arg(i.width);
    parts << tr("%1, %n steps", nullptr, i.steps).arg(QString::fromStdString(i.scheduler).toUpper());
    parts << tr("%1 on %2").arg(QString::fromStdString(i.dtype), QString::fromStdString(i.device));
    parts << tr("full tensors %1 MB of a %2 MB budget (newest runs; older runs keep their previews)")
                 .arg(mb(m_session->tensorBytes()), mb(m_session->memoryBudget()));
    QString history
        = tr("previews %1 MB of a %2 MB history").arg(mb(m_session->historyBytes()), mb(m_session->historyBudget()));
    if (const int dropped = m_session->droppedRuns(); dropped > 0)
        history += QLatin1Char(' ') + tr("(%n oldest run(s) dropped)", nullptr, dropped);
    parts << history;
    return parts.join(QStringLiteral(" · "));
}

void DiffusionController::setStatus(const QString &text)
{
    if (text == m_status)
        return;
    m_status = text;
    Q_EMIT messageChanged();
}

void DiffusionController::showMessage(const QString &text, bool error)
{
    m_messageIsError = error && !text.isEmpty();
    m_message = text;
    Q_EMIT messageChanged();
}
