// The runs on the curves: metrics.jsonl read through core/train/run_folder, points for the plots,
// colours that stay distinct, and a file watcher for loaded runs that are still training.
#include "training/training_runs.h"

#include "train/run_folder.h"
#include "training/training_request.h"

#include <QDir>
#include <QFileInfo>
#include <QFileSystemWatcher>

#include <algorithm>
#include <iterator>

namespace {

// Distinct on the dark and the light theme (Tableau 10).
const QColor kRunColours[]
    = {QColor(0x4e, 0x9b, 0xe8), QColor(0xf2, 0x8e, 0x2b), QColor(0x59, 0xa1, 0x4f), QColor(0xe1, 0x57, 0x59),
        QColor(0xb0, 0x7a, 0xa1), QColor(0x76, 0xb7, 0xb2), QColor(0xed, 0xc9, 0x48), QColor(0xff, 0x9d, 0xa7)};

} // namespace

QList<CurvePoint> curvePoints(const ml::train::MetricsPoint &line)
{
    const struct {
        const char *key;
        TrainingRuns::Plot plot;
        int series;
    } fields[] = {{"loss", TrainingRuns::LossPlot, 0}, {"lr", TrainingRuns::LearningRatePlot, 0},
        {"temperature", TrainingRuns::TemperaturePlot, 0}, {"shapes_acc", TrainingRuns::AccuracyPlot, 0},
        {"shapes_held_out_acc", TrainingRuns::AccuracyPlot, 1}, {"fashion_acc", TrainingRuns::AccuracyPlot, 2}};
    QList<CurvePoint> points;
    for (const auto &f : fields)
        if (const auto v = line.value(f.key))
            points.append({f.plot, f.series, static_cast<double>(line.step), *v});
    return points;
}

TrainingRuns::TrainingRuns(QObject *parent) : QObject(parent), m_watcher(new QFileSystemWatcher(this))
{
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &TrainingRuns::onFileChanged);
}

const TrainingRuns::Run *TrainingRuns::at(int row) const
{
    return row >= 0 && row < m_runs.size() ? &m_runs[row] : nullptr;
}

int TrainingRuns::rowOf(int id) const
{
    for (int row = 0; row < m_runs.size(); ++row)
        if (m_runs[row].id == id)
            return row;
    return -1;
}

QString TrainingRuns::name(int row) const
{
    const Run *run = at(row);
    return run ? run->name : QString();
}

QColor TrainingRuns::nextColour() const
{
    for (const QColor &c : kRunColours)
        if (std::none_of(m_runs.begin(), m_runs.end(), [&c](const Run &r) { return r.colour == c; }))
            return c;
    return kRunColours[m_runs.size() % std::size(kRunColours)];
}

int TrainingRuns::addEntry(const QString &name, const QString &folder, bool live)
{
    Run run;
    run.id = m_nextId++;
    run.name = name;
    run.folder = folder;
    run.colour = nextColour();
    run.live = live;
    m_runs.append(run);
    const int row = count() - 1;
    Q_EMIT runAdded(row);
    return row;
}

int TrainingRuns::add(const QString &path, QString *error, QString *note)
{
    const QFileInfo info(cleanFolder(path));
    if (!info.exists()) {
        *error = tr("%1 does not exist.").arg(QDir::toNativeSeparators(path));
        return -1;
    }
    const QString folder = info.isDir() ? info.absoluteFilePath() : info.absolutePath();
    const QString file
        = QString::fromStdString(ml::train::metricsFileOf(info.absoluteFilePath().toStdString()).string());
    if (!QFileInfo(file).isFile()) {
        *error = tr("%1 holds no %2: not a training run folder.")
                     .arg(QDir::toNativeSeparators(folder), ml::train::kMetricsFile);
        return -1;
    }
    for (int row = 0; row < count(); ++row)
        if (m_runs[row].folder == folder) {
            *note = tr("%1 is already plotted.").arg(m_runs[row].name);
            return row;
        }
    const int row = addEntry(QFileInfo(folder).fileName(), folder, false);
    m_runs[row].metricsFile = file;
    QStringList problems;
    if (!readMetrics(m_runs[row], std::nullopt, error, &problems)) {
        remove(row);
        return -1;
    }
    if (!problems.isEmpty())
        *note = tr("%n line(s) of the metrics file skipped; the first: %1", nullptr, static_cast<int>(problems.size()))
                    .arg(problems.first());
    m_watcher->addPath(file);
    Q_EMIT runChanged(row);
    return row;
}

void TrainingRuns::remove(int row)
{
    const Run *run = at(row);
    if (!run)
        return;
    const int id = run->id;
    if (!run->metricsFile.isEmpty())
        m_watcher->removePath(run->metricsFile);
    if (id == m_liveId)
        m_liveId = -1;
    m_runs.removeAt(row);
    Q_EMIT runRemoved(row, id);
}

bool TrainingRuns::readMetrics(Run &run, std::optional<qint64> upToStep, QString *error, QStringList *problems)
{
    ml::train::Metrics metrics;
    try {
        metrics = ml::train::readMetrics(run.metricsFile.toStdString(), upToStep);
    } catch (const std::exception &e) {
        *error = QString::fromStdString(e.what());
        return false;
    }
    Q_EMIT pointsCleared(run.id);
    QList<CurvePoint> points;
    for (const ml::train::MetricsPoint &line : metrics.points)
        points += curvePoints(line);
    run.lastStep = metrics.lastStep;
    Q_EMIT pointsAdded(run.id, points);
    if (problems)
        for (const std::string &p : metrics.problems)
            problems->append(QString::fromStdString(p));
    return true;
}

void TrainingRuns::onFileChanged(const QString &path)
{
    for (int row = 0; row < count(); ++row) {
        Run &run = m_runs[row];
        if (run.live || run.metricsFile != path)
            continue;
        QString error; // a file that vanished keeps its last points
        readMetrics(run, std::nullopt, &error);
        Q_EMIT runChanged(row);
        if (ml::train::checkpointKind(run.folder.toStdString()))
            Q_EMIT checkpointSeen(run.folder);
    }
    if (QFileInfo::exists(path) && !m_watcher->files().contains(path))
        m_watcher->addPath(path); // rewritten as a new file
}

int TrainingRuns::beginLive(const QString &folder, std::optional<qint64> resumedAt)
{
    int row = -1;
    for (int i = 0; i < count(); ++i)
        if (m_runs[i].folder == folder)
            row = i;
    if (row < 0)
        row = addEntry(QFileInfo(folder).fileName(), folder, true);
    Run &run = m_runs[row];
    if (!run.metricsFile.isEmpty())
        m_watcher->removePath(run.metricsFile);
    run.live = true;
    run.metricsFile.clear();
    run.lastStep = resumedAt.value_or(0);
    m_liveId = run.id;
    Q_EMIT pointsCleared(run.id);
    if (resumedAt) { // the curve so far: what the trainer keeps of metrics.jsonl on resume
        QString error;
        run.metricsFile = QDir(folder).filePath(QString::fromLatin1(ml::train::kMetricsFile));
        readMetrics(run, resumedAt, &error);
        run.metricsFile.clear();
    }
    Q_EMIT runChanged(row);
    return row;
}

void TrainingRuns::addLiveMetric(const ml::TrainMetric &m, bool temperature)
{
    const int row = liveRow();
    if (row < 0)
        return;
    Run &run = m_runs[row];
    const auto step = static_cast<double>(m.step);
    QList<CurvePoint> points;
    if (m.stepsPerS > 0.0) { // a metric with training steps since the last one, as metrics.jsonl logs it
        points.append({LossPlot, 0, step, m.loss});
        points.append({LearningRatePlot, 0, step, m.lr});
        if (temperature) // DDPM and LLaVA have none
            points.append({TemperaturePlot, 0, step, m.temperature});
    }
    if (m.evaluated) {
        const double acc[3] = {m.evaluation.shapes, m.evaluation.shapesHeldOut, m.evaluation.fashion};
        for (int s = 0; s < 3; ++s)
            if (acc[s] >= 0.0)
                points.append({AccuracyPlot, s, step, acc[s]});
    }
    run.lastStep = m.step;
    if (!points.isEmpty())
        Q_EMIT pointsAdded(run.id, points);
    Q_EMIT runChanged(row);
}

void TrainingRuns::endLive(qint64 step)
{
    const int row = liveRow();
    m_liveId = -1;
    if (row < 0)
        return;
    m_runs[row].live = false;
    m_runs[row].lastStep = std::max(m_runs[row].lastStep, step);
    Q_EMIT runChanged(row);
}
