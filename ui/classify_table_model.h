// ClassifyTableModel: batch results, one row per image (file, top label and probability,
// second label and probability), sortable through a proxy on SortRole; exports CSV and JSON.
#pragma once

#include "engine/clip_service.h"

#include <QAbstractTableModel>

#include <vector>

class ClassifyTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { FileColumn, TopLabelColumn, TopProbColumn, SecondLabelColumn, SecondProbColumn, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1; // numbers for probabilities, names folded
    static constexpr int PathRole = Qt::UserRole + 2;

    explicit ClassifyTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // A row for a file already listed replaces it (a partial result, then the final one).
    void addResult(const ml::ImageScores &scores);
    void clear();
    const std::vector<ml::ImageScores> &results() const { return m_rows; }
    int errorCount() const;

    // CSV: file,top_label,top_prob,second_label,second_prob,error (RFC 4180 quoting).
    // JSON: the CLI's classify shape, [{"file", "scores": [{"label", "prob"}]}], every label,
    // plus "error" for a file that could not be classified.
    QByteArray toCsv() const;
    QByteArray toJson() const;
    bool exportTo(const QString &path, bool json, QString *error) const;

private:
    std::vector<ml::ImageScores> m_rows;
    QHash<QString, int> m_rowOf;
};
