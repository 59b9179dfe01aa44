// ClassifyTableModel: rows stream in from the job's partial results; the model keeps the
// std values as they came, so the export writes exactly what the engine said.
#include "classify/classify_table_model.h"

#include "common/format.h"

#include <QBrush>
#include <QColor>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QSaveFile>

#include <algorithm>

namespace {

QString csvField(const QString &s)
{
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
        return s;
    QString quoted = s;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

const ml::LabelScore *scoreAt(const ml::ImageScores &row, std::size_t rank)
{
    return rank < row.scores.size() ? &row.scores[rank] : nullptr;
}

} // namespace

ClassifyTableModel::ClassifyTableModel(QObject *parent) : QAbstractTableModel(parent)
{ }

int ClassifyTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int ClassifyTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ClassifyTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const ml::ImageScores &row = m_rows[static_cast<std::size_t>(index.row())];
    const QString file = QString::fromStdString(row.file);
    const bool failed = !row.error.empty();
    const int col = index.column();
    const ml::LabelScore *score = scoreAt(row, col == SecondLabelColumn || col == SecondProbColumn ? 1 : 0);

    const bool video = row.frameS >= 0;
    switch (role) {
    case Qt::DisplayRole:
        if (col == FileColumn)
            return video ? tr("%1 · %2 s").arg(QFileInfo(file).fileName(), QLocale().toString(row.frameS, 'f', 1))
                         : QFileInfo(file).fileName();
        if (failed)
            return col == TopLabelColumn ? tr("Could not classify") : QVariant();
        if (!score)
            return {};
        if (col == TopLabelColumn || col == SecondLabelColumn)
            return QString::fromStdString(score->label);
        return formatProbability(score->prob);
    case SortRole:
        if (col == FileColumn)
            return QFileInfo(file).fileName().toCaseFolded();
        if (col == TopLabelColumn || col == SecondLabelColumn)
            return score && !failed ? QString::fromStdString(score->label).toCaseFolded() : QString();
        return score && !failed ? static_cast<double>(score->prob) : -1.0;
    case PathRole:
        return file;
    case Qt::ToolTipRole:
        if (failed)
            return QString::fromStdString(row.error);
        return video ? tr("%1\nA video: classified on its frame at %2 s, the middle of the clip.")
                           .arg(QDir::toNativeSeparators(file), QLocale().toString(row.frameS, 'f', 1))
                     : QDir::toNativeSeparators(file);
    case Qt::ForegroundRole:
        if (failed && col == TopLabelColumn)
            return QBrush(QColor(0xf0, 0x6a, 0x6a));
        return {};
    case Qt::TextAlignmentRole:
        if (col == TopProbColumn || col == SecondProbColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant ClassifyTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case FileColumn:
        return tr("File");
    case TopLabelColumn:
        return tr("Top label");
    case TopProbColumn:
    case SecondProbColumn:
        return tr("Prob.");
    case SecondLabelColumn:
        return tr("Second label");
    default:
        return {};
    }
}

void ClassifyTableModel::addResult(const ml::ImageScores &scores)
{
    const QString file = QString::fromStdString(scores.file);
    if (const auto it = m_rowOf.constFind(file); it != m_rowOf.constEnd()) {
        m_rows[static_cast<std::size_t>(*it)] = scores;
        Q_EMIT dataChanged(index(*it, 0), index(*it, ColumnCount - 1));
        return;
    }
    const int row = rowCount();
    beginInsertRows({}, row, row);
    m_rows.push_back(scores);
    m_rowOf.insert(file, row);
    endInsertRows();
}

void ClassifyTableModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_rowOf.clear();
    endResetModel();
}

int ClassifyTableModel::errorCount() const
{
    return static_cast<int>(
        std::count_if(m_rows.begin(), m_rows.end(), [](const auto &r) { return !r.error.empty(); }));
}

int ClassifyTableModel::videoCount() const
{
    return static_cast<int>(std::count_if(m_rows.begin(), m_rows.end(), [](const auto &r) { return r.frameS >= 0; }));
}

QByteArray ClassifyTableModel::toCsv() const
{
    const auto number = [](double v) { return QString::number(v, 'g', 7); };
    QStringList header {
        QStringLiteral("file"), QStringLiteral("frame_s"), QStringLiteral("top_label"), QStringLiteral("top_prob")};
    for (const QString &label : m_labels)
        header << csvField(QStringLiteral("p(%1)").arg(label));
    header << QStringLiteral("error");
    QString out = header.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (const ml::ImageScores &row : m_rows) {
        QStringList fields {
            csvField(QString::fromStdString(row.file)), row.frameS >= 0 ? number(row.frameS) : QString()};
        const ml::LabelScore *top = scoreAt(row, 0);
        fields << (top ? csvField(QString::fromStdString(top->label)) : QString())
               << (top ? number(static_cast<double>(top->prob)) : QString());
        for (const QString &label : m_labels) {
            const std::string name = label.toStdString();
            const auto it = std::find_if(
                row.scores.begin(), row.scores.end(), [&](const ml::LabelScore &s) { return s.label == name; });
            fields << (it != row.scores.end() ? number(static_cast<double>(it->prob)) : QString());
        }
        fields << csvField(QString::fromStdString(row.error));
        out += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return out.toUtf8();
}

QByteArray ClassifyTableModel::toJson() const
{
    QJsonArray images;
    for (const ml::ImageScores &row : m_rows) {
        QJsonArray scores;
        for (const ml::LabelScore &s : row.scores)
            scores.append(QJsonObject {
                {QStringLiteral("label"), QString::fromStdString(s.label)},
                {QStringLiteral("prob"), static_cast<double>(s.prob)},
            });
        QJsonObject image {
            {QStringLiteral("file"), QString::fromStdString(row.file)}, {QStringLiteral("scores"), scores}};
        if (row.frameS >= 0)
            image.insert(QStringLiteral("frame_s"), row.frameS);
        if (!row.error.empty())
            image.insert(QStringLiteral("error"), QString::fromStdString(row.error));
        images.append(image);
    }
    return QJsonDocument(images).toJson(QJsonDocument::Indented);
}

bool ClassifyTableModel::exportTo(const QString &path, bool json, QString *error) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(json ? toJson() : toCsv()) < 0 || !file.commit()) {
        *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}
