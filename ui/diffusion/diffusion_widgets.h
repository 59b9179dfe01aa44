// Small widgets of the Diffusion panel: a labelled picture shown nearest-neighbour (a 32 x 32
// sample stays crisp at any size), and the schedule plot (β_t, ᾱ_t, SNR on a log axis) with a
// cursor at the current step's t.
#pragma once

#include "engine/denoise_session.h"

#include <qcustomplot.h>

#include <QImage>
#include <QWidget>

// A square tile: a title line, the picture scaled by whole factors where it can (nearest
// neighbour), and a placeholder text when there is none. Clicks emit clicked().
class DiffusionTile : public QWidget {
    Q_OBJECT
public:
    explicit DiffusionTile(QWidget *parent = nullptr);

    void setTitle(const QString &title);
    QString title() const { return m_title; }
    void setImage(const QImage &image); // a null image shows the placeholder
    const QImage &image() const { return m_image; }
    void setPlaceholder(const QString &text);
    void setHighlighted(bool on);     // a frame in the highlight colour (the trajectory shown)
    void setFixedImageSide(int side); // a fixed size: the picture side plus the title
    QRect imageRect() const;          // where the picture lands

    // Square by default (its height follows its width); off, it takes the height it is given
    // and the picture fits both (a row of large tiles in a view of fixed height).
    void setSquare(bool square);
    bool hasHeightForWidth() const override { return m_square; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void clicked();

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;

private:
    int titleHeight() const;

    QString m_title;
    QString m_placeholder;
    QImage m_image;
    bool m_highlighted = false;
    bool m_square = true;
};

class SchedulePlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit SchedulePlot(QWidget *parent = nullptr);

    void setTables(const ml::ScheduleTables &tables); // empty tables clear the plot
    void setCursorTimestep(double t);                 // < 0 hides the cursor
    double cursorTimestep() const { return m_cursorT; }
    bool isCursorVisible() const;
    void retranslate();

    QCPGraph *betaGraph() const { return m_beta; }
    QCPGraph *alphaBarGraph() const { return m_alphaBar; }
    QCPGraph *snrGraph() const { return m_snr; }
    QCPGraph *stepsGraph() const { return m_steps; }

    QSize sizeHint() const override { return {400, 240}; }

protected:
    void changeEvent(QEvent *event) override;     // palette and font follow the theme
    void wheelEvent(QWheelEvent *event) override; // passed on: the panel scrolls, the plot does not zoom

private:
    void applyColors();

    QCPGraph *m_beta, *m_alphaBar, *m_snr, *m_steps;
    QCPItemStraightLine *m_cursor;
    double m_cursorT = -1.0;
};
