// ExplainClient: the GUI's one way to ask for an explanation. It submits ml::ExplainRequests to the
// EngineBridge, keeps the results in one QCache by request (file, video time, model, method, text,
// ...; cost = the maps' bytes), joins identical requests in flight, and answers a cached one without a job.
#pragma once

#include "engine/explain_service.h"

#include <QCache>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

#include <memory>

class EngineBridge;

class ExplainClient : public QObject {
    Q_OBJECT
public:
    using Result = std::shared_ptr<const ml::ExplainResult>;
    static constexpr qint64 kDefaultCacheBytes = 256LL << 20;

    explicit ExplainClient(EngineBridge *bridge, QObject *parent = nullptr, qint64 cacheBytes = kDefaultCacheBytes);
    ~ExplainClient() override; // cancels the jobs still running

    // The bridge's shared client (created as the bridge's child on first use): every panel that
    // asks through it shares one cache.
    static ExplainClient *of(EngineBridge *bridge);

    // What makes two requests the same explanation (fields a method ignores are left out).
    static QString keyOf(const ml::ExplainRequest &request);
    // The cached result of request, or null.
    Result cached(const ml::ExplainRequest &request) const;

    // Asks for request: a ticket (never 0) that progress() and finished() carry. A cached result
    // is answered from the event loop without a job; a request equal to one in flight joins it.
    quint64 explain(const ml::ExplainRequest &request, const QString &jobName = {});
    // The ticket's answer is dropped (finished() is not emitted for it); the job is cancelled when
    // no other ticket waits for it.
    void cancel(quint64 ticket);
    bool isPending(quint64 ticket) const { return m_tickets.contains(ticket); }

    int jobsSubmitted() const { return m_jobsSubmitted; } // engine jobs submitted so far
    qint64 cacheBytes() const { return m_cache.totalCost(); }
    void clear(); // forgets every cached result

    // The bytes of a result's maps and input crop (its cost in the cache).
    static qint64 costOf(const ml::ExplainResult &result);

Q_SIGNALS:
    // stage: one of ml::kExplainStage*.
    void progress(quint64 ticket, qint64 done, qint64 total, const QString &stage);
    // result null: failed (error) or cancelled by the engine (cancelled).
    void finished(quint64 ticket, ExplainClient::Result result, const QString &error, bool cancelled);

private:
    void onProgress(quint64 job, qint64 done, qint64 total, const QString &stage);
    void onFinished(quint64 job, bool ok, const QString &error, bool cancelled, const QVariant &value);

    struct Job {
        QString key;
        QSet<quint64> tickets;
    };
    EngineBridge *m_bridge;
    QCache<QString, Result> m_cache;
    QHash<quint64, Job> m_jobs;         // engine job -> its key and waiting tickets
    QHash<QString, quint64> m_inFlight; // key -> engine job
    QHash<quint64, quint64> m_tickets;  // ticket -> engine job (0: answered from the cache)
    quint64 m_nextTicket = 0;
    int m_jobsSubmitted = 0;
};
