// ClassifyEvaluationPage: the main view's evaluation page. A labelled folder's accuracy, its
// confusion matrix (a cell click lists that cell's images) and the per-class accuracy table.
#pragma once

#include <QWidget>

#include <vector>

class ClassifyController;
class ConfusionMatrixView;
class QLabel;
class QStandardItemModel;
class QTableView;

class ClassifyEvaluationPage : public QWidget {
    Q_OBJECT
public:
    ClassifyEvaluationPage(ClassifyController *controller, QWidget *parent = nullptr);

    void openCell(int truth, int predicted); // the cell's images in a dialog, or a message when none

    // What the matrix shows, for callers that do not include QCustomPlot.
    std::vector<std::vector<int>> confusionMatrix() const;
    QPoint confusionCellCenter(int truth, int predicted) const; // in confusionWidget() coordinates
    QWidget *confusionWidget() const;

Q_SIGNALS:
    void fileActivated(const QString &path); // an image of a confusion cell

protected:
    void changeEvent(QEvent *event) override;

private:
    void showState(); // the intro, the running count, or the finished evaluation
    void showEvaluation();
    QString summaryHtml() const;

    ClassifyController *m_controller;
    QLabel *m_summary;
    ConfusionMatrixView *m_confusion;
    QStandardItemModel *m_perClass;
    QTableView *m_perClassView;
};
