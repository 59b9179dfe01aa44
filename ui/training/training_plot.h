// TrainingPlot: one training curve over optimiser steps (loss, held-out accuracy, learning rate or
// temperature) for several runs at once, each in its own colour with a legend; wheel zoom, drag.
#pragma once

#include <qcustomplot.h>

#include <QMap>

// What it shows is readable as properties (and pointCount() through the meta-object) by tests
// that cannot include QCustomPlot, whose bare keywords clash with QT_NO_KEYWORDS.
class TrainingPlot : public QCustomPlot {
    Q_OBJECT
    Q_PROPERTY(bool logScale READ logScale)
    Q_PROPERTY(bool followsData READ followsData)
    Q_PROPERTY(int visibleGraphCount READ visibleGraphCount)
public:
    enum Kind { Loss, Accuracy, LearningRate, Temperature };

    explicit TrainingPlot(Kind kind, QWidget *parent = nullptr);

    // Curves per run: Accuracy has three (Shapes all pairs, Shapes held-out pairs, Fashion-MNIST),
    // the others one.
    int seriesCount() const { return m_kind == Accuracy ? 3 : 1; }

    void setRun(int run, const QString &name, const QColor &colour); // adds it, or renames / recolours
    void removeRun(int run);
    void clearRun(int run); // its points only
    void addPoint(int run, int series, double step, double value);
    Q_INVOKABLE int pointCount(int run, int series = 0) const;
    int visibleGraphCount() const; // graphs that hold points

    void setLogScale(bool on); // the value axis
    void setVqa(bool on);      // the accuracy plot: a BLIP-2's VQA accuracy, not CLIP's zero-shot
    bool logScale() const;
    // Everything in view again; the view follows new points until the user zooms or drags.
    void resetView();
    bool followsData() const { return m_follow; }

protected:
    void changeEvent(QEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;

private:
    struct Run {
        QString name;
        QColor colour;
        QList<QCPGraph *> graphs; // one per series
    };

    QString seriesName(int series) const;
    void updateNames();
    void fitView();
    void applyColors();
    void retranslate();
    void showPointAt(const QPointF &pos); // the nearest point's value as a tooltip

    Kind m_kind;
    bool m_vqa = false;
    QMap<int, Run> m_runs;
    QCPTextElement *m_title;
    // Accuracy: the legend names the three series by line style, in a neutral colour; the runs'
    // colours are in the other plots' legends and the runs list. Graphs without data.
    QList<QCPGraph *> m_seriesKeys;
    QSharedPointer<QCPAxisTicker> m_linearTicker;
    QSharedPointer<QCPAxisTicker> m_logTicker;
    bool m_follow = true;
};
