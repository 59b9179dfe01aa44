// The Q-Former feature's main view: the picture large with one map over it (a query's
// cross-attention, or an answer word's map through the queries), its colour bar and label; beside
// it, tabs: every query's map as small multiples (click one for the large view), the query-query
// similarity matrix, and the last Chat answer: its words (hover or click one for its map) and the
// sorted drops of its log-probability when each query is zeroed (click a bar for that query).
#pragma once

#include <QWidget>

#include <vector>

class AblationPlot;
class ColourBar;
class HeatmapView;
class MapGrid;
class QFormerController;
class QLabel;
class QListWidget;
class QPushButton;
class QTabWidget;
class SimilarityPlot;

class QFormerView : public QWidget {
    Q_OBJECT
public:
    explicit QFormerView(QFormerController *controller, QWidget *parent = nullptr);

    QTabWidget *tabs() const { return m_tabs; }
    // The plots as the tests see them (QCustomPlot's headers need Qt's keywords).
    QWidget *similarityWidget() const;
    int similarityQueries() const;
    double similarityCell(int row, int col) const;
    QWidget *ablationWidget() const;
    int ablationBars() const;
    std::vector<int> ablationOrder() const;
    QPoint ablationBarCentre(int rank) const; // in ablationWidget()'s coordinates

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *buildLarge();
    QWidget *buildAnswer();
    void retranslate();
    void showItem();
    void showResult(); // the small multiples and the similarity
    void showLarge();
    void showAnswer();
    void showAblation();
    void showMessage();

    QFormerController *m_controller;
    QLabel *m_title;
    QLabel *m_message;
    HeatmapView *m_view;
    ColourBar *m_bar;
    QLabel *m_label;
    QTabWidget *m_tabs;
    QWidget *m_queriesPage;
    QLabel *m_queriesHint;
    MapGrid *m_queries;
    QWidget *m_similarityPage;
    QLabel *m_similarityHint;
    SimilarityPlot *m_similarity;
    QWidget *m_answerPage;
    QLabel *m_answerText;
    QLabel *m_answerHint;
    QPushButton *m_answerPicture;
    QLabel *m_wordsHint;
    QListWidget *m_words;
    QLabel *m_ablationHint;
    AblationPlot *m_ablation;
};
