// The Q-Former panel's two plots: the query-query cosine similarity of the output query
// embeddings (a QCPColorMap, -1 to 1, which queries are redundant) and the drop of the answer's
// log-probability when each query is zeroed, sorted (QCPBars, which queries the answer used).
// A click on a cell or a bar emits the query it names.
#pragma once

#include <qcustomplot.h>

#include <vector>

class SimilarityPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit SimilarityPlot(QWidget *parent = nullptr);
    // values: queries x queries row-major; empty clears.
    void setMatrix(const std::vector<float> &values, int queries);
    int queries() const { return m_queries; }
    double cell(int row, int col) const; // NaN outside

Q_SIGNALS:
    void queryClicked(int query);

protected:
    void mousePressEvent(QMouseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void applyColors();
    void retranslate();

    QCPColorMap *m_map;
    QCPColorScale *m_scale;
    int m_queries = 0;
};

class AblationPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit AblationPlot(QWidget *parent = nullptr);
    // drops[q]: log p(answer) - log p(answer | q zeroed); drawn sorted, the largest first.
    void setDrops(const std::vector<double> &drops);
    void setSelectedQuery(int query);                         // outlined; -1: none
    const std::vector<int> &order() const { return m_order; } // the query of each bar, left to right
    int barCount() const { return static_cast<int>(m_order.size()); }
    QPoint barCentre(int rank) const; // widget coordinates of a bar's middle

Q_SIGNALS:
    void queryClicked(int query);

protected:
    void mousePressEvent(QMouseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void applyColors();
    void retranslate();
    void rebuild();

    QCPBars *m_bars;
    QCPBars *m_selected;
    std::vector<double> m_drops;
    std::vector<int> m_order;
    int m_query = -1;
};
