// ConfusionMatrixView: an evaluation's [true][predicted] counts as a QCPColorMap heatmap with
// a colour scale, class names on both axes and the count written in each cell. Clicking a
// cell emits cellClicked() (the panel then lists that cell's images).
#pragma once

#include <qcustomplot.h>

#include <vector>

class ConfusionMatrixView : public QCustomPlot {
    Q_OBJECT
public:
    explicit ConfusionMatrixView(QWidget *parent = nullptr);

    void setMatrix(const QStringList &classes, const std::vector<std::vector<int>> &confusion);
    void clearMatrix() { setMatrix({}, {}); }

    const QStringList &classes() const { return m_classes; }
    const std::vector<std::vector<int>> &matrix() const { return m_matrix; }
    int total() const;
    QCPColorMap *colorMap() const { return m_map; }
    QCPColorScale *colorScale() const { return m_scale; }

    // Widget coordinates <-> cells; {-1, -1} outside the matrix.
    QPair<int, int> cellAt(const QPointF &pos) const; // (true, predicted)
    QPointF cellCenter(int truth, int predicted) const;

Q_SIGNALS:
    void cellClicked(int truth, int predicted);

protected:
    void changeEvent(QEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;

private:
    void rebuild();
    void applyColors();
    void retranslate();

    QStringList m_classes;
    std::vector<std::vector<int>> m_matrix;
    QCPColorMap *m_map;
    QCPColorScale *m_scale;
    QList<QCPItemText *> m_counts;
    QPair<int, int> m_hover {-1, -1};
};
