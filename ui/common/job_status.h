// JobStatus: the status bar's right end. The newest running engine job (or the thumbnails
// being made): its name, "+N more", progress with paused state and ETA, and Cancel, which
// stops that job. objectNames: jobLabel, jobProgress, jobCancel.
#pragma once

#include <QHash>
#include <QList>
#include <QObject>

class EngineBridge;
class QLabel;
class QProgressBar;
class QPushButton;
class QStatusBar;
class ThumbnailLoader;

class JobStatus : public QObject {
    Q_OBJECT
public:
    // Its widgets go into bar as permanent widgets.
    JobStatus(EngineBridge *bridge, ThumbnailLoader *thumbnails, QStatusBar *bar);

    void retranslate();

Q_SIGNALS:
    // A job ended: cancelled, or failed with error (the status bar shows it).
    void jobEnded(const QString &name, bool cancelled, const QString &error);

private:
    struct Job {
        QString name; // as the job was submitted: EngineText::jobName() shows it
        qint64 done = 0;
        qint64 total = 0;
        double etaSeconds = -1.0;
        bool paused = false; // the job reported the stage "paused" (a training run)
    };

    void update();
    void showEngineJob(const Job &job);
    void cancelCurrent();

    EngineBridge *m_bridge;
    ThumbnailLoader *m_thumbnails;
    QLabel *m_label;
    QProgressBar *m_progress;
    QPushButton *m_cancel;
    QList<quint64> m_order; // running engine jobs, oldest first
    QHash<quint64, Job> m_jobs;
    int m_thumbDone = 0;
    int m_thumbTotal = 0;
};
