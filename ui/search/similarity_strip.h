// SimilarityStrip: a video search hit's similarity to the query over time, one point per sampled
// frame, its best moment shaded and its best frame marked, with a caption that says when (to a
// tenth of a second). The time under the pointer follows the mouse; a click asks to play from there.
#pragma once

#include "engine/index_service.h"

#include <QWidget>

class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QCustomPlot;
class QLabel;

class SimilarityStrip : public QWidget {
    Q_OBJECT
public:
    explicit SimilarityStrip(QWidget *parent = nullptr);

    // A video hit with its frames' similarities; anything else (or none) hides the strip.
    void setHit(const ml::SearchResultItem *hit);
    int pointCount() const; // 0 while hidden
    QString caption() const;
    QWidget *plot() const; // the QCustomPlot: clicks and the pointer go to it
    // The time at a plot x in pixels, within the frames sampled (what a click there plays from),
    // and the x of a time.
    double timeAt(double x) const;
    double xOf(double timeS) const;
    // The pointer's time marker as the mouse would set it; timeS < 0 hides it.
    void showPointer(double timeS);
    QString pointerText() const; // the marker's label, empty when hidden

Q_SIGNALS:
    void clicked(double timeS);

protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override; // the plot's mouse

private:
    void retranslate();
    void applyColors();

    QLabel *m_caption;
    QCustomPlot *m_plot;
    QCPGraph *m_series, *m_moment, *m_best;
    QCPItemStraightLine *m_pointer;
    QCPItemText *m_pointerText;
    double m_firstS = 0.0, m_lastS = 0.0;
    double m_bestS = -1.0, m_startS = -1.0, m_endS = -1.0;
};
