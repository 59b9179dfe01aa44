// SampleGrid: the trainer's held-out samples as a grid of cells: the image, its true label (or the
// question asked) and the model's current top prediction (or answer) with its probability, framed
// green when right and red when wrong.
// Without labels (a generative model's samples) the cells hold the images alone, in a plain frame.
#pragma once

#include <QImage>
#include <QList>
#include <QWidget>

class SampleGrid : public QWidget {
    Q_OBJECT
public:
    struct Sample {
        QImage image;
        QString trueLabel;
        QString predictedLabel;
        double prob = 0.0;     // of the predicted label
        QString question = {}; // a VQA sample: shown above the answer, in place of the true label
        bool correct() const { return trueLabel == predictedLabel; }
    };

    explicit SampleGrid(QWidget *parent = nullptr);

    void setSamples(qint64 step, QList<Sample> samples);
    void clear();
    // Labelled (the default): true and predicted labels under each image; otherwise images only.
    void setLabelled(bool labelled);
    bool isLabelled() const { return m_labelled; }
    const QList<Sample> &samples() const { return m_samples; }
    qint64 step() const { return m_step; } // -1 before the first samples
    int correctCount() const;
    QRect cellRect(int i) const;

    // Fit the widget's height too (the Training panel's main view): the largest cells that show
    // every sample without scrolling. Off (the default): cells by the width, rows as needed.
    void setFitToHeight(bool fit);

    bool hasHeightForWidth() const override { return !m_fitToHeight; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    bool event(QEvent *event) override; // tooltips with the full labels
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    int columnsFor(int width) const;
    int imageSideFor(int width) const;
    int leftFor(int width) const; // the grid is centred
    int cellHeight(int side) const;
    struct Fit {
        int columns = 1;
        int side = 0;
    };
    Fit fitFor(int width, int height) const; // the fit-to-height layout

    QList<Sample> m_samples;
    qint64 m_step = -1;
    bool m_labelled = true;
    bool m_fitToHeight = false;
};
