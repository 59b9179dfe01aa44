// ExplainClient: tickets over engine jobs. One job per distinct request key in flight; every ticket
// waiting for it hears its progress and its end; results go to the QCache weighed by their bytes.
#include "explain/explain_client.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"

#include <QStringList>
#include <QTimer>

ExplainClient::ExplainClient(EngineBridge *bridge, QObject *parent, qint64 cacheBytes)
    : QObject(parent)
    , m_bridge(bridge)
    , m_cache(cacheBytes)
{
    Q_ASSERT(m_bridge);
    setObjectName(QStringLiteral("explainClient"));
    connect(m_bridge, &EngineBridge::progress, this,
        [this](quint64 id, qint64 done, qint64 total, const QString &stage, double) {
            onProgress(id, done, total, stage);
        });
    connect(m_bridge, &EngineBridge::finished, this, &ExplainClient::onFinished);
}

ExplainClient::~ExplainClient()
{
    for (auto it = m_jobs.cbegin(); it != m_jobs.cend(); ++it)
        m_bridge->cancel(it.key());
}

ExplainClient *ExplainClient::of(EngineBridge *bridge)
{
    Q_ASSERT(bridge);
    if (auto *client = bridge->findChild<ExplainClient *>(QStringLiteral("explainClient"), Qt::FindDirectChildrenOnly))
        return client;
    return new ExplainClient(bridge, bridge);
}

QString ExplainClient::keyOf(const ml::ExplainRequest &r)
{
    // A caller's decoded frame has no name to key on: such requests are never cached.
    if (!r.rgb.empty())
        return {};
    QStringList parts {QString::fromStdString(r.model), QString::fromStdString(r.image),
        r.videoTimeS ? QString::number(*r.videoTimeS, 'g', 10) : QString(),
        QString::fromLatin1(ml::explainMethodName(r.method)), QString::fromStdString(r.compute.device),
        QString::fromStdString(r.compute.dtype)};
    switch (r.method) {
    case ml::ExplainMethod::Attention:
        parts << QString::number(r.layer) << QString::number(r.head) << QString::number(r.queryToken)
              << QString::fromStdString(r.headFusion) << QString::number(r.allHeads);
        break;
    case ml::ExplainMethod::Rollout:
        parts << QString::number(r.discardRatio, 'g', 6) << QString::fromStdString(r.headFusion);
        break;
    case ml::ExplainMethod::Relevance:
        parts << QString::fromStdString(r.text) << QString::number(r.perWord) << QString::number(r.startLayer);
        break;
    }
    return parts.join(QChar(0x1f));
}

qint64 ExplainClient::costOf(const ml::ExplainResult &r)
{
    auto bytes = static_cast<qint64>(r.map.size() * sizeof(float) + r.inputRgb.size()
        + r.tokenRelevance.size() * sizeof(float) + sizeof(ml::ExplainResult));
    for (const auto *maps : {&r.headMaps, &r.wordMaps})
        for (const ml::ExplainMap &m : *maps)
            bytes += static_cast<qint64>(m.values.size() * sizeof(float) + m.label.size());
    return std::max<qint64>(1, bytes);
}

ExplainClient::Result ExplainClient::cached(const ml::ExplainRequest &request) const
{
    const QString key = keyOf(request);
    if (key.isEmpty())
        return {};
    const Result *hit = m_cache.object(key);
    return hit ? *hit : Result {};
}

quint64 ExplainClient::explain(const ml::ExplainRequest &request, const QString &jobName)
{
    const quint64 ticket = ++m_nextTicket;
    const QString key = keyOf(request);
    if (const Result hit = cached(request)) {
        m_tickets.insert(ticket, 0);
        QTimer::singleShot(0, this, [this, ticket, hit] {
            if (m_tickets.remove(ticket))
                Q_EMIT finished(ticket, hit, QString(), false);
        });
        return ticket;
    }
    quint64 job = key.isEmpty() ? 0 : m_inFlight.value(key);
    if (!job) {
        ml::Job engineJob = ml::makeExplainJob(request);
        if (!jobName.isEmpty())
            engineJob.name = jobName.toStdString();
        job = m_bridge->submit(std::move(engineJob));
        ++m_jobsSubmitted;
        m_jobs.insert(job, Job {key, {}});
        if (!key.isEmpty())
            m_inFlight.insert(key, job);
    }
    m_jobs[job].tickets.insert(ticket);
    m_tickets.insert(ticket, job);
    return ticket;
}

void ExplainClient::cancel(quint64 ticket)
{
    const auto it = m_tickets.constFind(ticket);
    if (it == m_tickets.cend())
        return;
    const quint64 job = it.value();
    m_tickets.erase(it);
    if (!job)
        return;
    Job &j = m_jobs[job];
    j.tickets.remove(ticket);
    if (j.tickets.isEmpty()) {
        // Nobody waits: stop it, and let a new request for the key start afresh.
        if (m_inFlight.value(j.key) == job)
            m_inFlight.remove(j.key);
        m_bridge->cancel(job);
    }
}

void ExplainClient::clear()
{
    m_cache.clear();
}

void ExplainClient::onProgress(quint64 job, qint64 done, qint64 total, const QString &stage)
{
    const auto it = m_jobs.constFind(job);
    if (it == m_jobs.cend())
        return;
    for (quint64 ticket : it->tickets)
        Q_EMIT progress(ticket, done, total, stage);
}

void ExplainClient::onFinished(quint64 job, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    const auto it = m_jobs.find(job);
    if (it == m_jobs.end())
        return;
    const Job j = *it;
    m_jobs.erase(it);
    if (m_inFlight.value(j.key) == job)
        m_inFlight.remove(j.key);
    Result result;
    if (const auto r = engineValue<ml::ExplainResult>(value); ok && r) {
        result = std::make_shared<const ml::ExplainResult>(*r);
        if (!j.key.isEmpty())
            m_cache.insert(j.key, new Result(result), costOf(*result));
    }
    for (quint64 ticket : j.tickets) {
        m_tickets.remove(ticket);
        Q_EMIT finished(ticket, result, result ? QString() : error, !result && cancelled);
    }
}
