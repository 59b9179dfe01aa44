// EngineBridge: the GUI's only door to ml::Engine. It owns the engine, listens to it from the
// worker threads and re-emits every callback as a Qt signal on the GUI thread.
#pragma once

#include "engine/engine.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QVariant>

#include <functional>
#include <memory>

class EngineBridge : public QObject, public ml::EngineListener {
    Q_OBJECT
public:
    // options.modelMemory 0: the saved "Memory for models" (Settings), else the engine's default.
    explicit EngineBridge(QObject *parent = nullptr, ml::EngineOptions options = {});
    ~EngineBridge() override; // cancels every job and joins the workers

    // Any job; its std::any results reach the signals as QVariant (see toVariant()).
    quint64 submit(ml::Job job);
    // A job written against Qt types: the returned QVariant becomes finished()'s value.
    quint64 submit(
        const QString &name, std::function<QVariant(ml::JobContext &)> run, ml::Lane lane = ml::Lane::Inference);
    void cancel(quint64 id);
    void cancelAll();

    bool isRunning(quint64 id) const { return m_running.contains(id); }
    QString jobName(quint64 id) const { return m_running.value(id); }
    int runningCount() const { return static_cast<int>(m_running.size()); }
    ml::Engine &engine() { return *m_engine; }

    // "Memory for models" in bytes as saved in QSettings ("models/memoryMB"); 0 when never set.
    static qint64 savedModelMemory();
    static void saveModelMemory(qint64 bytes); // 0 forgets it (the default applies)
    void setModelMemory(qint64 bytes);         // 0: the default; models no longer fitting are unloaded

    // std::any -> QVariant: a QVariant passes through, std::string, numbers, bool and
    // vectors of strings/numbers convert; anything else travels as a QVariant holding std::any.
    static QVariant toVariant(const std::any &value);

Q_SIGNALS:
    // All emitted on the GUI thread, in the order the engine reported them. name is the job's
    // as submitted (EngineText::jobName() shows core's in the UI's language); error is core's
    // message through EngineText::error().
    void started(quint64 id, const QString &name);
    void progress(quint64 id, qint64 done, qint64 total, const QString &stage, double etaSeconds);
    void partial(quint64 id, const QString &kind, const QVariant &value);
    void finished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    // What the model cache holds changed (a model loaded or unloaded, the budget changed).
    void modelsChanged();

private:
    // ml::EngineListener, called on worker threads.
    void onStarted(ml::JobId id, const std::string &name) override;
    void onProgress(ml::JobId id, const ml::Progress &p) override;
    void onPartial(ml::JobId id, const ml::PartialResult &r) override;
    void onFinished(ml::JobId id, const ml::JobResult &r) override;

    QHash<quint64, QString> m_running; // GUI thread only
    std::unique_ptr<ml::Engine> m_engine;
};

Q_DECLARE_METATYPE(std::any)
