// ClassifyResultPage: the main view's first page. The classified photos and videos in a list;
// the current one large, its file, its top label and the run, and its label probabilities as
// a bar chart with the top k in the accent colour.
#pragma once

#include <QHash>
#include <QPixmap>
#include <QWidget>

class ClassifyChart;
class ClassifyController;
class QLabel;
class QListWidget;
class QScrollArea;
class QSpinBox;
class QStackedWidget;
class ThumbnailLoader;

class ClassifyResultPage : public QWidget {
    Q_OBJECT
public:
    ClassifyResultPage(ClassifyController *controller, QWidget *parent = nullptr);

    int topK() const;
    void setTopK(int k);

    // What the chart shows, for callers that do not include QCustomPlot (its bare keywords
    // clash with QT_NO_KEYWORDS).
    int chartBarCount() const;
    int chartHighlightCount() const;
    QStringList chartLabels() const;

Q_SIGNALS:
    void fileActivated(const QString &path); // a double-clicked result

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *createResultView();
    void retranslate();
    void clearResults();
    void onResultChanged(int i, bool added);
    void showCurrent(int i);
    void updateItem(int i);
    void updateHeader();

    ClassifyController *m_controller;
    QLabel *m_topKLabel;
    QSpinBox *m_topK;
    QListWidget *m_list;
    QStackedWidget *m_stack; // placeholder | result
    QLabel *m_placeholder;
    QLabel *m_picture;
    QLabel *m_fileName;
    QLabel *m_prediction;
    QLabel *m_info;
    QLabel *m_error;
    QScrollArea *m_chartScroll;
    ClassifyChart *m_chart;
    ThumbnailLoader *m_thumbs;
    QHash<int, QPixmap> m_thumbCache; // by result index
    quint64 m_generation = 0;         // of the thumbnails: results of an older run are dropped
};
