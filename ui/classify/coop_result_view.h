// CoopResultView: Prompt Tuning's main view. The training loss, live, beside the last run's
// outcome: held-out accuracy of the hand-written template against the learnt prompt, per
// class, the context vectors' nearest words, and Use in Classify.
#pragma once

#include <QWidget>

class CoopController;
class QLabel;
class QPushButton;
class QTableWidget;
class TrainingPlot;

class CoopResultView : public QWidget {
    Q_OBJECT
public:
    CoopResultView(CoopController *controller, QWidget *parent = nullptr);

    int lossPointCount() const; // for callers that cannot include QCustomPlot

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *createLossBox();
    QWidget *createHeadline(QWidget *parent);
    QWidget *createTables();
    void retranslate();
    void showResult();
    void showPerClass();
    void showWords();
    void showDetails();

    CoopController *m_controller;
    TrainingPlot *m_plot = nullptr;
    QLabel *m_lossHint = nullptr;

    QLabel *m_resultsHint = nullptr;
    QWidget *m_headline = nullptr; // hidden until a run finished
    QLabel *m_before = nullptr, *m_after = nullptr, *m_arrow = nullptr, *m_beforeCaption = nullptr,
           *m_afterCaption = nullptr, *m_delta = nullptr, *m_summary = nullptr;
    QPushButton *m_useInClassify = nullptr;
    QLabel *m_details = nullptr;

    QWidget *m_tables = nullptr; // hidden until a run finished
    QLabel *m_perClassLabel = nullptr, *m_wordsLabel = nullptr, *m_readsAs = nullptr;
    QTableWidget *m_perClass = nullptr;
    QTableWidget *m_words = nullptr;
};
