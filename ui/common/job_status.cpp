#include "common/job_status.h"

#include "common/engine_bridge.h"
#include "common/engine_text.h"
#include "common/format.h"
#include "gallery/thumbnail_loader.h"

#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>

JobStatus::JobStatus(EngineBridge *bridge, ThumbnailLoader *thumbnails, QStatusBar *bar)
    : QObject(bar)
    , m_bridge(bridge)
    , m_thumbnails(thumbnails)
    , m_label(new QLabel(bar))
    , m_progress(new QProgressBar(bar))
    , m_cancel(new QPushButton(bar))
{
    m_label->setObjectName(QStringLiteral("jobLabel"));
    m_label->setMinimumWidth(220);
    m_label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_progress->setObjectName(QStringLiteral("jobProgress"));
    m_progress->setFixedWidth(220);
    m_progress->setMaximumHeight(16);
    m_progress->setTextVisible(true);
    m_cancel->setObjectName(QStringLiteral("jobCancel"));
    m_cancel->setFlat(true);
    m_cancel->setEnabled(false);
    connect(m_cancel, &QPushButton::clicked, this, &JobStatus::cancelCurrent);
    bar->addPermanentWidget(m_label);
    bar->addPermanentWidget(m_progress);
    bar->addPermanentWidget(m_cancel);

    connect(bridge, &EngineBridge::started, this, [this](quint64 id, const QString &name) {
        m_order.append(id);
        m_jobs[id].name = name;
        update();
    });
    connect(bridge, &EngineBridge::progress, this,
        [this](quint64 id, qint64 done, qint64 total, const QString &stage, double eta) {
            if (!m_jobs.contains(id))
                return;
            Job &job = m_jobs[id];
            job.done = done;
            job.total = total;
            job.etaSeconds = eta;
            job.paused = stage == QLatin1String("paused");
            update();
        });
    connect(bridge, &EngineBridge::finished, this,
        [this](quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &) {
            const QString name = EngineText::jobName(m_jobs.value(id).name);
            m_order.removeAll(id);
            m_jobs.remove(id);
            if ((cancelled && !name.isEmpty()) || !ok)
                Q_EMIT jobEnded(name, cancelled, error);
            update();
        });
    connect(thumbnails, &ThumbnailLoader::activityChanged, this, [this](int done, int total) {
        m_thumbDone = done;
        m_thumbTotal = total;
        update();
    });
    update();
}

void JobStatus::retranslate()
{
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the current job"));
    update();
}

void JobStatus::showEngineJob(const Job &job)
{
    const QString name = EngineText::jobName(job.name);
    QString text = name;
    if (m_order.size() > 1)
        text = tr("%1 (+%n more)", nullptr, static_cast<int>(m_order.size() - 1)).arg(name);
    if (job.total > 0) {
        m_progress->setRange(0, static_cast<int>(job.total));
        m_progress->setValue(static_cast<int>(job.done));
        m_progress->setFormat(job.paused ? tr("paused at %v / %m") : QStringLiteral("%v / %m"));
        if (job.paused)
            text += QStringLiteral(" · ") + tr("paused");
        else if (const QString eta = formatEta(job.etaSeconds); !eta.isEmpty())
            text += QStringLiteral(" · ") + eta;
    } else {
        m_progress->setRange(0, 0); // busy: the total is not known yet
        if (job.done > 0)
            text += QStringLiteral(" · ") + tr("%n found", nullptr, static_cast<int>(job.done));
    }
    m_label->setText(text);
}

void JobStatus::update()
{
    const bool engineJob = !m_order.isEmpty();
    const bool thumbnails = m_thumbTotal > 0;
    if (engineJob) {
        showEngineJob(m_jobs.value(m_order.last()));
    } else if (thumbnails) {
        m_label->setText(tr("Making thumbnails"));
        m_progress->setRange(0, m_thumbTotal);
        m_progress->setValue(m_thumbDone);
        m_progress->setFormat(QStringLiteral("%v / %m"));
    } else {
        m_label->setText(QString());
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
    }
    m_progress->setVisible(engineJob || thumbnails);
    m_cancel->setEnabled(engineJob || thumbnails);
    m_cancel->setVisible(engineJob || thumbnails);
}

void JobStatus::cancelCurrent()
{
    if (!m_order.isEmpty())
        m_bridge->cancel(m_order.last());
    else
        m_thumbnails->cancelPending();
}
