// The Q-Former side panel: the model, the cross-attention map's layer and heads, the language
// model's layer for the answer's word maps, and the display (colour map, opacity, patch grid).
#pragma once

#include <QWidget>

class EngineBridge;
class ModelPicker;
class QCheckBox;
class QComboBox;
class QFormerController;
class QGroupBox;
class QLabel;
class QSlider;

class QFormerSettingsPage : public QWidget {
    Q_OBJECT
public:
    QFormerSettingsPage(EngineBridge *bridge, QFormerController *controller, QWidget *parent = nullptr);
    ModelPicker *modelPicker() const { return m_picker; }

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *buildModel();
    QGroupBox *buildMaps();
    QGroupBox *buildDisplay();
    void retranslate();
    void showForm();

    QFormerController *m_controller;
    ModelPicker *m_picker;
    QLabel *m_modelLabel;
    QGroupBox *m_mapsGroup;
    QComboBox *m_layer;
    QComboBox *m_heads;
    QComboBox *m_lmLayer;
    QCheckBox *m_throughVision;
    QLabel *m_layerLabel, *m_headsLabel, *m_lmLayerLabel;
    QGroupBox *m_displayGroup;
    QComboBox *m_colours;
    QSlider *m_opacity;
    QCheckBox *m_grid;
    QLabel *m_coloursLabel, *m_opacityLabel;
};
