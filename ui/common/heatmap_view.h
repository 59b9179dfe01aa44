// Heatmaps over the model's input: colour maps (our own lookup tables), a map over the patch
// grid drawn on the image, a colour bar with the map's raw range, and a grid of small maps
// (all heads of a layer, one map per word) to click through.
#pragma once

#include <QImage>
#include <QStringList>
#include <QWidget>

#include <vector>

namespace heatmap {

enum class ColourMap { Jet, Inferno, Viridis, Grey };

// t in [0, 1] (clamped) -> the map's colour.
QRgb colourAt(ColourMap map, double t);
// A 256-entry table of colourAt(map, i / 255).
const QVector<QRgb> &table(ColourMap map);

// The map's raw minimum and maximum ({0, 0} when empty).
std::pair<float, float> range(const std::vector<float> &values);

// values: gridH x gridW row-major, any range. Scaled to [0, 1] (min-max; a constant map is 0),
// upsampled bilinearly between patch centres to size x size and coloured.
QImage colourise(const std::vector<float> &values, int gridH, int gridW, int size, ColourMap map);

// (1 - opacity) * base + opacity * colourise(values), at base's size (square base expected).
QImage overlay(
    const QImage &base, const std::vector<float> &values, int gridH, int gridW, ColourMap map, double opacity);

} // namespace heatmap

// The image with the heatmap on it and the patch grid drawn over; a click on a patch emits its
// row and column. Keeps a square aspect, as wide as it is given.
class HeatmapView : public QWidget {
    Q_OBJECT
public:
    explicit HeatmapView(QWidget *parent = nullptr);

    void setImage(const QImage &image); // the model's input crop; null: the hint is shown
    void setMap(const std::vector<float> &values, int gridH, int gridW);
    void clearMap();
    void setColourMap(heatmap::ColourMap map);
    void setOpacity(double opacity); // 0..1
    void setGridVisible(bool visible);
    void setMarkedPatch(int row, int col); // -1: none
    void setHint(const QString &text);

    QImage image() const { return m_image; }
    QImage composed() const { return m_composed; } // image + overlay at the image's size
    int gridH() const { return m_gridH; }
    int gridW() const { return m_gridW; }
    QRect imageRect() const; // where the image is drawn, in widget coordinates
    QPoint patchCentre(int row, int col) const;

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override { return width; }
    QSize sizeHint() const override { return {320, 320}; }
    QSize minimumSizeHint() const override { return {160, 160}; }

Q_SIGNALS:
    void patchClicked(int row, int col);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    void recompose();

    QImage m_image;
    QImage m_composed;
    std::vector<float> m_values;
    int m_gridH = 0, m_gridW = 0;
    heatmap::ColourMap m_colours = heatmap::ColourMap::Jet;
    double m_opacity = 0.5;
    bool m_grid = true;
    int m_markRow = -1, m_markCol = -1;
    QString m_hint;
};

// A horizontal colour bar with the raw minimum and maximum of the map at its ends.
class ColourBar : public QWidget {
    Q_OBJECT
public:
    explicit ColourBar(QWidget *parent = nullptr);
    void setColourMap(heatmap::ColourMap map);
    void setRange(float min, float max); // the raw values
    void clearRange();
    QString minText() const { return m_minText; }
    QString maxText() const { return m_maxText; }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    heatmap::ColourMap m_colours = heatmap::ColourMap::Jet;
    QString m_minText, m_maxText;
};

// Small labelled pictures in rows that wrap with the width; one can be current (outlined).
class MapGrid : public QWidget {
    Q_OBJECT
public:
    explicit MapGrid(QWidget *parent = nullptr);
    void setItems(const QList<QImage> &images, const QStringList &labels);
    void clear();
    int count() const { return static_cast<int>(m_images.size()); }
    QStringList labels() const { return m_labels; }
    void setCurrent(int index); // -1: none
    int current() const { return m_current; }
    void setThumbSize(int side);
    QRect itemRect(int index) const;

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void clicked(int index);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    int columns(int width) const;
    int cellHeight() const;

    QList<QImage> m_images;
    QStringList m_labels;
    int m_current = -1;
    int m_side = 72;
};
