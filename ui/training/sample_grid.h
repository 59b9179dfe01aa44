// SampleGrid: the trainer's held-out samples as a grid of cells: the image, its true label and the
// model's current top prediction with its probability, framed green when right and red when wrong.
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
        double prob = 0.0; // of the predicted label
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

    bool hasHeightForWidth() const override { return true; }
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

    QList<Sample> m_samples;
    qint64 m_step = -1;
    bool m_labelled = true;
};
