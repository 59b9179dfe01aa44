// AttentionPanel: what a CLIP looks at in the gallery's selected image. Raw attention (a layer,
// a head or the heads fused, from CLS or a clicked patch, with all heads as small multiples),
// attention rollout (with its discard ratio) and gradient-weighted relevance for a text (one map
// per word), drawn over the model's input crop under its patch grid. Every change recomputes in
// an engine job (the previous one cancelled); results are kept per image and settings.
#pragma once

#include "engine/explain_service.h"
#include "explain/explain_client.h"

#include <QHash>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <optional>

class ColourBar;
class EngineBridge;
class HeatmapView;
class MapGrid;
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
class QTimer;
class QToolButton;

class AttentionPanel : public QWidget {
    Q_OBJECT
public:
    enum Method { AttentionMethod, RolloutMethod, RelevanceMethod }; // the method combo's entries
    enum Heads { MeanHeads, MaxHeads, MinHeads, FirstHead };         // the head combo: then one per head

    explicit AttentionPanel(EngineBridge *bridge, QWidget *parent = nullptr);
    ~AttentionPanel() override; // keeps the form's choices in QSettings

    // The image to explain (the gallery's current item); empty: nothing. A video is explained at
    // its first frame until setVideoTime() says which frame the preview shows.
    void showFile(const QString &path);
    void setVideoTime(const QString &path, double timeS); // ignored unless path is the shown video
    QString currentPath() const { return m_path; }

    // Submits the job for the form now (normally a short timer after each change does).
    void recompute();
    bool isBusy() const { return m_job != 0 || m_pending; }

    // 0 = CLS, 1 + row * gridW + col = that patch (switches to raw attention).
    void setQueryToken(int token);
    int queryToken() const { return m_query; }

    // What is shown: the last result and the map drawn from it (empty before one).
    const std::optional<ml::ExplainResult> &result() const { return m_result; }
    const std::vector<float> &currentMap() const { return m_map; }
    QString currentMapLabel() const { return m_mapLabel; }

    // The overlay at the model's input size as PNG; the raw map as safetensors (tensor "map",
    // gridH x gridW float32, with metadata). False, with message(), on failure.
    bool exportOverlay(const QString &file);
    bool exportRawMap(const QString &file);

    QString message() const;
    bool messageIsError() const { return m_messageIsError; }

    ModelPicker *modelPicker() const { return m_picker; }
    QComboBox *methodCombo() const { return m_method; }
    QSlider *layerSlider() const { return m_layer; }
    QComboBox *headCombo() const { return m_head; }
    QDoubleSpinBox *discardSpin() const { return m_discard; }
    QLineEdit *textEdit() const { return m_text; }
    QComboBox *colourCombo() const { return m_colours; }
    QSlider *opacitySlider() const { return m_opacity; }
    QCheckBox *gridCheck() const { return m_grid; }
    HeatmapView *heatmapView() const { return m_view; }
    ColourBar *colourBar() const { return m_bar; }
    MapGrid *headsGrid() const { return m_heads; }
    MapGrid *wordsGrid() const { return m_words; }
    QLabel *infoLabel() const { return m_info; }
    QPushButton *exportOverlayButton() const { return m_exportOverlay; }
    QPushButton *exportMapButton() const { return m_exportMap; }

Q_SIGNALS:
    void mapShown(); // a result (new or cached) is drawn

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override; // work waits while the panel is hidden

private:
    void retranslate();
    void restoreSettings();
    void saveSettings() const;
    void scheduleRecompute();
    void updateControls(); // visibility and ranges follow the method and the last result
    void updateHeadItems(int heads);
    ml::ExplainRequest request() const;
    struct Entry {
        ml::ExplainMethod method;
        ml::ExplainResult result;
        QString image; // imageKey() of what was explained
    };
    QString imageKey() const; // the file, and the frame of a video
    void setResult(const Entry &entry);
    // Nothing drawn: no map, no result, no small multiples (keepImage: the picture stays).
    void clearResult(bool keepImage);
    void refreshResult(); // the image, the small multiples and the map from m_result
    void redrawMap();     // m_map from m_result and the head / word choice
    void updateInfo();
    void showMessage(const QString &text, bool error);
    void updateHint(); // what the empty view says
    // "<what> of the frame at 1.50 s to <file>." (a video) or "<what> to <file>.".
    QString exportedText(const QString &what, const QString &file) const;
    void onPatchClicked(int row, int col);
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage);
    void onFinished(quint64 id, const ExplainClient::Result &result, const QString &error, bool cancelled);
    void exportOverlayDialog();
    void exportMapDialog();

    EngineBridge *m_bridge;
    ExplainClient *m_explain; // shared with the other panels: one cache
    QLabel *m_message;
    bool m_messageIsError = false;
    QLabel *m_modelLabel;
    ModelPicker *m_picker;
    QLabel *m_title;
    HeatmapView *m_view;
    ColourBar *m_bar;
    QLabel *m_info;
    QLabel *m_state;

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
    QPushButton *m_exportOverlay;
    QPushButton *m_exportMap;

    QGroupBox *m_headsGroup;
    QLabel *m_headsHint;
    MapGrid *m_heads;
    QGroupBox *m_wordsGroup;
    QLabel *m_wordsHint;
    MapGrid *m_words;

    QTimer *m_timer;
    QString m_path;
    bool m_isVideo = false;
    double m_videoTime = 0.0;
    int m_query = 0;
    int m_word = 0;    // relevance: 0 = the whole text, i = word i
    quint64 m_job = 0; // m_explain's ticket
    QString m_jobKey;
    bool m_pending = false; // a change waits for the timer
    bool m_dirty = false;   // a change came while hidden
    std::optional<ml::ExplainResult> m_result;
    std::vector<float> m_map;
    QString m_mapLabel;
    QString m_resultImage;                                           // imageKey() of m_result
    QString m_jobImage;                                              // imageKey() of m_job
    ml::ExplainMethod m_resultMethod = ml::ExplainMethod::Attention; // ExplainResult does not say
    ml::ExplainMethod m_jobMethod = ml::ExplainMethod::Attention;
    int m_layers = 0, m_headCount = 0; // of the model last explained
};
