// EngineBridge: listener callbacks arrive on worker threads; each is turned into a queued
// call on this object, so every signal is emitted on the GUI thread and in order.
#include "common/engine_bridge.h"

#include "common/engine_text.h"

#include "engine/model_cache.h"

#include <QSettings>
#include <QStringList>

#include <cstdint>
#include <string>
#include <vector>

namespace {

ml::EngineOptions withSavedMemory(ml::EngineOptions options)
{
    if (options.modelMemory <= 0)
        options.modelMemory = EngineBridge::savedModelMemory();
    return options;
}

const QString kModelMemoryKey = QStringLiteral("models/memoryMB");

} // namespace

EngineBridge::EngineBridge(QObject *parent, ml::EngineOptions options)
    : QObject(parent)
    , m_engine(std::make_unique<ml::Engine>(this, withSavedMemory(options)))
{
    // Called on whichever thread loaded or dropped a model: queued to the GUI thread.
    m_engine->models().setOnChange([this] {
        QMetaObject::invokeMethod(
            this, [this] { Q_EMIT modelsChanged(); }, Qt::QueuedConnection);
    });
}

EngineBridge::~EngineBridge()
{
    // The engine reports jobs it drops while shutting down; nobody should hear them now.
    blockSignals(true);
    m_engine->models().setOnChange({});
    m_engine.reset();
}

qint64 EngineBridge::savedModelMemory()
{
    const qint64 mb = QSettings().value(kModelMemoryKey, 0).toLongLong();
    return mb > 0 ? mb * 1024 * 1024 : 0;
}

void EngineBridge::saveModelMemory(qint64 bytes)
{
    if (bytes > 0)
        QSettings().setValue(kModelMemoryKey, bytes / (1024 * 1024));
    else
        QSettings().remove(kModelMemoryKey);
}

void EngineBridge::setModelMemory(qint64 bytes)
{
    m_engine->models().setBudget(bytes); // notifies: modelsChanged follows
}

quint64 EngineBridge::submit(ml::Job job)
{
    return m_engine->submit(std::move(job));
}

quint64 EngineBridge::submit(const QString &name, std::function<QVariant(ml::JobContext &)> run, ml::Lane lane)
{
    ml::Job job;
    job.name = name.toStdString();
    job.lane = lane;
    job.run = [run = std::move(run)](ml::JobContext &ctx) -> std::any { return run(ctx); };
    return submit(std::move(job));
}

// Both may come from children being deleted after ~EngineBridge() let the engine go (the shared
// ExplainClient cancels its jobs when it goes): the engine cancelled every job already.
void EngineBridge::cancel(quint64 id)
{
    if (m_engine)
        m_engine->cancel(id);
}

void EngineBridge::cancelAll()
{
    if (m_engine)
        m_engine->cancelAll();
}

QVariant EngineBridge::toVariant(const std::any &value)
{
    if (!value.has_value())
        return {};
    if (const auto *v = std::any_cast<QVariant>(&value))
        return *v;
    if (const auto *s = std::any_cast<std::string>(&value))
        return QString::fromStdString(*s);
    if (const auto *s = std::any_cast<const char *>(&value))
        return QString::fromUtf8(*s);
    if (const auto *b = std::any_cast<bool>(&value))
        return *b;
    if (const auto *i = std::any_cast<int>(&value))
        return *i;
    if (const auto *i = std::any_cast<std::int64_t>(&value))
        return QVariant::fromValue(static_cast<qint64>(*i));
    if (const auto *f = std::any_cast<float>(&value))
        return static_cast<double>(*f);
    if (const auto *d = std::any_cast<double>(&value))
        return *d;
    if (const auto *list = std::any_cast<std::vector<std::string>>(&value)) {
        QStringList out;
        out.reserve(static_cast<qsizetype>(list->size()));
        for (const auto &s : *list)
            out << QString::fromStdString(s);
        return out;
    }
    if (const auto *list = std::any_cast<std::vector<double>>(&value)) {
        QVariantList out;
        out.reserve(static_cast<qsizetype>(list->size()));
        for (double d : *list)
            out << d;
        return out;
    }
    if (const auto *list = std::any_cast<std::vector<float>>(&value)) {
        QVariantList out;
        out.reserve(static_cast<qsizetype>(list->size()));
        for (float f : *list)
            out << static_cast<double>(f);
        return out;
    }
    return QVariant::fromValue(value);
}

void EngineBridge::onStarted(ml::JobId id, const std::string &name)
{
    QMetaObject::invokeMethod(
        this,
        [this, id, name = QString::fromStdString(name)] {
            m_running.insert(id, name);
            Q_EMIT started(id, name);
        },
        Qt::QueuedConnection);
}

void EngineBridge::onProgress(ml::JobId id, const ml::Progress &p)
{
    QMetaObject::invokeMethod(
        this,
        [this, id, done = p.done, total = p.total, stage = QString::fromStdString(p.stage), eta = p.etaSeconds] {
            Q_EMIT progress(id, done, total, stage, eta);
        },
        Qt::QueuedConnection);
}

void EngineBridge::onPartial(ml::JobId id, const ml::PartialResult &r)
{
    QMetaObject::invokeMethod(
        this,
        [this, id, kind = QString::fromStdString(r.kind), value = toVariant(r.value)] {
            Q_EMIT partial(id, kind, value);
        },
        Qt::QueuedConnection);
}

void EngineBridge::onFinished(ml::JobId id, const ml::JobResult &r)
{
    const bool ok = r.ok();
    const bool cancelled = r.error && r.error->cancelled;
    const QString error = r.error ? QString::fromStdString(r.error->message) : QString();
    QMetaObject::invokeMethod(
        this,
        [this, id, ok, cancelled, error, value = toVariant(r.value)] {
            m_running.remove(id);
            Q_EMIT finished(id, ok, EngineText::error(error), cancelled, value); // in the language of now
        },
        Qt::QueuedConnection);
}
