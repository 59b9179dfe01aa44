// The Explain feature's side panel: the CLIP model, the method (raw attention, rollout,
// relevance to a text) with the rows it uses (text, layer, heads, query patch, discard ratio),
// the display (colour map, opacity, patch grid), the exports and the job's state line. Fits a
// 1366 x 768 screen without scrolling. It shows the controller's form and calls its setters.
#pragma once

#include <QWidget>

class EngineBridge;
class ExplainController;
class ModelPicker;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;
class QToolButton;

class ExplainSettingsPage : public QWidget {
    Q_OBJECT
public:
    ExplainSettingsPage(EngineBridge *bridge, ExplainController *controller, QWidget *parent = nullptr);

    ModelPicker *modelPicker() const { return m_picker; }

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *buildModel();
    QGroupBox *buildMethod();
    QGroupBox *buildDisplay();
    void connectForm();
    void retranslate();
    void showForm();  // the controller's form: values, which rows show, ranges
    void showState(); // the state line
    void updateHeadItems();
    void showRow(QLabel *label, bool on);
    void exportOverlayDialog();
    void exportMapDialog();

    ExplainController *m_controller;
    ModelPicker *m_picker;
    QLabel *m_modelLabel;
    QGroupBox *m_methodGroup;
    QFormLayout *m_methodForm;
    QLabel *m_methodLabel, *m_layerLabel, *m_headLabel, *m_queryLabel, *m_discardLabel, *m_textLabel;
    QComboBox *m_method;
    QSlider *m_layer;
    QLabel *m_layerValue;
    QComboBox *m_head;
    QLabel *m_queryValue;
    QToolButton *m_queryReset;
    QDoubleSpinBox *m_discard;
    QLineEdit *m_text;
    QLabel *m_methodHint;
    QGroupBox *m_displayGroup;
    QLabel *m_colourLabel, *m_opacityLabel;
    QComboBox *m_colours;
    QSlider *m_opacity;
    QCheckBox *m_grid;
    QPushButton *m_exportOverlay, *m_exportMap;
    QLabel *m_state;
};
