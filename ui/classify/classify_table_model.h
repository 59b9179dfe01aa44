// ClassifyTableModel: batch results, one row per image or video (file, top label and probability,
// second label and probability), sortable through a proxy on SortRole; exports CSV and JSON with
// every label's probability.
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

    // The labels of the run, in the order the user gave them: the CSV's probability columns.
    void setLabels(const QStringList &labels) { m_labels = labels; }
    const QStringList &labels() const { return m_labels; }

    // A row for a file already listed replaces it (a partial result, then the final one).
    void addResult(const ml::ImageScores &scores);
    void clear(); // the rows; the labels stay until setLabels()
    const std::vector<ml::ImageScores> &results() const { return m_rows; }
    int errorCount() const;
    int videoCount() const; // rows classified on a video's frame

    // CSV (RFC 4180 quoting): file,frame_s,top_label,top_prob, then one column per label in the
    // order of setLabels() headed "p(<label>)" with its probability, then error. frame_s: the time
    // of a video's frame classified (its middle), empty for a photo.
    // JSON: the CLI's classify shape, [{"file", "scores": [{"label", "prob"}]}], every label,
    // plus "frame_s" for a video and "error" for a file that could not be classified.
    QByteArray toCsv() const;
    QByteArray toJson() const;
    bool exportTo(const QString &path, bool json, QString *error) const;

private:
    QStringList m_labels;
    std::vector<ml::ImageScores> m_rows;
    QHash<QString, int> m_rowOf;
};
