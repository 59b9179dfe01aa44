// TrainingRuns: the runs on the Training panel's curves. The live run gets its points from the
// job's metrics; other runs are read from their folder's metrics.jsonl (core/train/run_folder)
// and followed as the file grows. Each run has an id, a name, a colour and its last step; the
// curves page and the runs list draw what the signals announce.
#pragma once

#include "engine/clip_train_service.h"
#include "engine/train_types.h"

#include <QColor>
#include <QList>
#include <QObject>
#include <QString>

#include <optional>

class QFileSystemWatcher;

namespace ml::train {
struct MetricsPoint;
}

// One point of one curve. plot: TrainingRuns::Plot; series: the accuracy's Shapes (0), held-out
// pairs (1), Fashion-MNIST (2), else 0.
struct CurvePoint {
    int plot = 0;
    int series = 0;
    double step = 0.0;
    double value = 0.0;
};

class TrainingRuns : public QObject {
    Q_OBJECT
public:
    enum Plot { LossPlot, AccuracyPlot, LearningRatePlot, TemperaturePlot, PlotCount }; // TrainingPlot::Kind's order

    struct Run {
        int id = 0;
        QString name;
        QString folder;
        QString metricsFile; // followed while loaded; empty for the live run
        QColor colour;
        bool live = false;
        qint64 lastStep = 0;
    };

    explicit TrainingRuns(QObject *parent = nullptr);

    int count() const { return static_cast<int>(m_runs.size()); }
    const Run *at(int row) const;
    int rowOf(int id) const;
    QString name(int row) const;

    // A run folder's metrics.jsonl (the folder or the file itself), plotted and followed: its row,
    // or -1 with *error when it cannot be read; *note says what else the user should know
    // (already plotted, lines skipped).
    int add(const QString &path, QString *error, QString *note);
    void remove(int row);

    // The live run: the folder's entry if it is listed (a resumed or loaded run), else a new one;
    // resumedAt: its curve so far, from metrics.jsonl up to that step.
    int beginLive(const QString &folder, std::optional<qint64> resumedAt);
    void addLiveMetric(const ml::TrainMetric &m, bool temperature);
    void endLive(qint64 step);
    int liveRow() const { return rowOf(m_liveId); }

Q_SIGNALS:
    void runAdded(int row);
    void runChanged(int row); // its name, step or live state
    void runRemoved(int row, int id);
    void pointsCleared(int id);
    void pointsAdded(int id, const QList<CurvePoint> &points);
    void checkpointSeen(const QString &folder); // a followed run's folder now holds a checkpoint

private:
    int addEntry(const QString &name, const QString &folder, bool live);
    QColor nextColour() const;
    // The run's points from its metrics file (replacing those plotted); false and *error when unreadable.
    bool readMetrics(Run &run, std::optional<qint64> upToStep, QString *error, QStringList *problems = nullptr);
    void onFileChanged(const QString &path);

    QList<Run> m_runs; // in list order
    int m_nextId = 0;
    int m_liveId = -1;
    QFileSystemWatcher *m_watcher;
};

// The curve points of one metrics.jsonl line.
QList<CurvePoint> curvePoints(const ml::train::MetricsPoint &line);
