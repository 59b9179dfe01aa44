// The Chat panel's grounding page (LLaVA): the answer as a sentence whose words are tinted by how
// much they leaned on the picture; the model's input crop with the hovered (else clicked) word's
// map over it, its colour bar, the method (attention / relevancy / context-corrected), the layer
// for attention, colour map and opacity; the probe (paint over a region, or hide a word's top
// patches, then ask the same question again: both answers side by side with each token's
// probability, the words that changed marked); export of the overlay and of every word's map.
#pragma once

#include <QWidget>

class ColourBar;
class GroundingController;
class ProbeCanvas;
class QComboBox;
class QGroupBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QTextBrowser;
class WordStrip;

class ChatGroundingView : public QWidget {
    Q_OBJECT
public:
    explicit ChatGroundingView(GroundingController *controller, QWidget *parent = nullptr);

    WordStrip *words() const { return m_words; }
    ProbeCanvas *canvas() const { return m_canvas; }
    QTextBrowser *comparison() const { return m_compare; }

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *buildPicture();  // the canvas, its colour bar and info line
    QWidget *buildControls(); // method, layer, display; the probe; export; progress
    void retranslate();
    void showResult(); // the picture, the sentence, the layer choices
    void showMap();
    void showForm();
    void showProbe();
    void showBusy();
    void showMessage();
    void exportOverlay();
    void exportMaps();

    GroundingController *m_controller;
    QLabel *m_title;
    QLabel *m_message;
    WordStrip *m_words;
    ProbeCanvas *m_canvas;
    ColourBar *m_bar;
    QLabel *m_mapInfo;
    QLabel *m_methodLabel, *m_layerLabel, *m_opacityLabel, *m_coloursLabel;
    QComboBox *m_method;
    QComboBox *m_layer;
    QSlider *m_opacity;
    QComboBox *m_colours;
    QGroupBox *m_probeGroup;
    QLabel *m_probeHint;
    QPushButton *m_paint;
    QPushButton *m_top;
    QPushButton *m_clear;
    QPushButton *m_ask;
    QTextBrowser *m_compare;
    QPushButton *m_exportPng;
    QPushButton *m_exportMaps;
    QLabel *m_state;
    QProgressBar *m_progress;
    QPushButton *m_cancel;
};
