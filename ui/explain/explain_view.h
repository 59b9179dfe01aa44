// The Explain feature's main view: the current item large with the map over the model's input
// crop (a click on a patch makes it the query), its colour bar and info line, a time slider of
// its own for a video, and beside it the small multiples: every head of the layer (raw
// attention) or every word of the text (relevance), a click showing that one large.
#pragma once

#include <QWidget>

class ColourBar;
class ExplainController;
class HeatmapView;
class MapGrid;
class QGroupBox;
class QLabel;
class QSlider;
class QStackedWidget;

class ExplainView : public QWidget {
    Q_OBJECT
public:
    explicit ExplainView(ExplainController *controller, QWidget *parent = nullptr);

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *buildItem();
    QWidget *buildTime();
    QWidget *buildGrids();
    QGroupBox *buildGrid(MapGrid **grid, QLabel **hint, const QString &name);
    void retranslate();
    void showItem();    // title and the time slider
    void showResult();  // the picture and the small multiples
    void showMap();     // the map, its colours and range, the marked patch
    void showMessage(); // the message line and the empty view's hint
    void showInfo();
    void onPatchClicked(int row, int col);

    ExplainController *m_controller;
    QLabel *m_title;
    QLabel *m_message;
    HeatmapView *m_view;
    ColourBar *m_bar;
    QLabel *m_info;
    QWidget *m_timeRow;
    QSlider *m_time;
    QLabel *m_timeValue;
    QStackedWidget *m_side; // the heads, the words, or nothing
    QGroupBox *m_headsGroup, *m_wordsGroup;
    QLabel *m_headsHint, *m_wordsHint;
    MapGrid *m_heads, *m_words;
};
