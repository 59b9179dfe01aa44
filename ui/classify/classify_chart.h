// ClassifyChart: one image's label probabilities as horizontal bars (QCustomPlot), the most
// probable at the top, the top-k in the accent colour, each bar's value written beside it.
#pragma once

#include "engine/clip_service.h"

#include <qcustomplot.h>

#include <vector>

class ClassifyChart : public QCustomPlot {
    Q_OBJECT
public:
    explicit ClassifyChart(QWidget *parent = nullptr);

    void setScores(const std::vector<ml::LabelScore> &scores); // sorted by prob, descending
    void clearScores();
    void setTopK(int k);
    int topK() const { return m_topK; }

    int barCount() const;           // one per label
    int highlightedCount() const;   // bars drawn in the accent colour
    QStringList tickLabels() const; // top to bottom

    // The height that shows every bar at a readable size.
    int preferredHeight() const;

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void rebuild();
    void applyColors();

    std::vector<ml::LabelScore> m_scores;
    int m_topK = 5;
    QCPBars *m_top;  // ranks < k
    QCPBars *m_rest; // the others
    QSharedPointer<QCPAxisTickerText> m_labels;
    QList<QCPItemText *> m_values;
};
