// ExplainController: the Explain feature's state and jobs. It keeps the form (model, method,
// layer, heads, query patch, discard ratio, text, word; display: colour map, opacity, grid;
// remembered in QSettings), the current item (a picture, or a video and the time of its frame)
// and asks the shared ExplainClient for the explanation whenever one of them changes
// (debounced; the client answers cached requests at once). It holds the result and the map
// drawn from it, and exports both. The pages show its state and call its setters.
#pragma once

#include "common/heatmap_view.h" // heatmap::ColourMap
#include "engine/explain_service.h"
#include "explain/explain_client.h"

#include <QImage>
#include <QObject>
#include <QString>

#include <optional>
#include <vector>

class EngineBridge;
class QTimer;

class ExplainController : public QObject {
    Q_OBJECT
public:
    enum Method { AttentionMethod, RolloutMethod, RelevanceMethod }; // the method combo's entries
    enum Heads { MeanHeads, MaxHeads, MinHeads, FirstHead };         // the head combo: then one per head

    struct Form {
        int method = AttentionMethod;
        int layer = -1; // 0-based; -1: the last
        int head = MeanHeads;
        int query = 0; // 0 = CLS, 1 + row * gridW + col = that patch
        double discard = 0.0;
        QString text;
        int word = 0; // relevance: 0 = the whole text, i = word i
        heatmap::ColourMap colours = heatmap::ColourMap::Jet;
        int opacity = 50; // percent
        bool grid = true;
    };

    explicit ExplainController(EngineBridge *bridge, QObject *parent = nullptr);
    ~ExplainController() override; // keeps the form in QSettings

    // --- the form. Setters that change the question recompute (debounced); the display ones
    // redraw only.
    const Form &form() const { return m_form; }
    void setModel(const QString &path);                                // a ModelPicker path; empty: none
    void setModelsPending(bool pending) { m_modelsPending = pending; } // the picker still searches
    void setMethod(int method);
    void setLayer(int layer);
    void setHead(int head);        // MeanHeads, MaxHeads, MinHeads or FirstHead + h
    void setQueryToken(int token); // switches to raw attention
    void setDiscard(double ratio);
    void setText(const QString &text);
    void setWord(int word);
    void setColourMap(heatmap::ColourMap colours);
    void setOpacity(int percent);
    void setGridVisible(bool visible);

    // --- the item. A video is explained at its first frame until setVideoTime() or setTime()
    // say which; its length comes a moment after showFile() (videoChanged()).
    void showFile(const QString &path);
    void setVideoTime(const QString &path, double timeS); // ignored unless path is the shown video
    void setTime(double timeS);                           // the shown video's frame
    QString currentPath() const { return m_path; }
    bool isVideo() const { return m_isVideo; }
    double videoTime() const { return m_videoTime; }
    double videoDuration() const { return m_duration; } // 0 until known
    QString title() const;                              // "file" or "file · frame at 1.5 s"

    // Whether the feature is on screen: a hidden one computes nothing until shown.
    void setActive(bool active);
    void recompute(); // now (normally a short timer after each change does)
    bool isBusy() const { return m_job != 0 || m_pending; }

    // What is shown: the last result and the map drawn from it (empty before one).
    const std::optional<ml::ExplainResult> &result() const { return m_result; }
    ml::ExplainMethod resultMethod() const { return m_resultMethod; }
    const std::vector<float> &currentMap() const { return m_map; }
    // Whether the picture of the last result still stands for the item (kept while a form with
    // no answer, e.g. an empty text, waits; dropped for another item or a failure).
    bool keepsPicture() const { return !m_resultImage.isEmpty(); }
    QString currentMapLabel() const { return m_mapLabel; }
    int layers() const { return m_layers; } // of the model last explained; 0 before one
    int headCount() const { return m_headCount; }

    static const char *headFusionName(int head); // "mean", "max", "min" (a single head: "mean")
    // The model's input crop of a result (what the maps lie over); null when it has none.
    static QImage inputImage(const ml::ExplainResult &result);

    // The overlay at the model's input size as PNG; the raw map as safetensors (tensor "map",
    // gridH x gridW float32, with metadata). False, with message(), on failure.
    bool exportOverlay(const QString &file);
    bool exportRawMap(const QString &file);

    QString message() const { return m_message; }
    bool messageIsError() const { return m_messageIsError; }
    QString state() const { return m_state; } // "Loading the model…", "Explaining: 3 of 8 maps"

Q_SIGNALS:
    void formChanged();    // a form value changed (also from here: layer range, heads, query)
    void resultChanged();  // a result (new or cached) is set, or cleared
    void mapChanged();     // the map drawn from the result changed (head, word, display)
    void mapShown();       // a result (new or cached) is drawn
    void itemChanged();    // another file, frame or video length
    void messageChanged(); // message() or state()

private:
    void restoreSettings();
    void saveSettings() const;
    void scheduleRecompute();
    ml::ExplainRequest request() const;
    QString imageKey() const; // the file, and the frame of a video
    void setResult(ml::ExplainMethod method, const ml::ExplainResult &result, const QString &image);
    void clearResult(bool keepImage);
    void redrawMap();
    void probeVideo();
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage);
    void onFinished(quint64 id, const ExplainClient::Result &result, const QString &error, bool cancelled);
    void showMessage(const QString &text, bool error);
    void setState(const QString &text);
    QString exportedText(const QString &what, const QString &file) const;

    ExplainClient *m_explain; // shared with the other panels: one cache
    QTimer *m_timer;
    Form m_form;
    QString m_model;
    bool m_modelsPending = true;
    bool m_active = false;
    QString m_path;
    bool m_isVideo = false;
    double m_videoTime = 0.0;
    double m_duration = 0.0;
    quint64 m_probeTicket = 0;
    quint64 m_job = 0; // m_explain's ticket
    QString m_jobKey;
    QString m_jobImage; // imageKey() of m_job
    ml::ExplainMethod m_jobMethod = ml::ExplainMethod::Attention;
    bool m_pending = false; // a change waits for the timer
    bool m_dirty = false;   // a change came while hidden
    std::optional<ml::ExplainResult> m_result;
    ml::ExplainMethod m_resultMethod = ml::ExplainMethod::Attention; // ExplainResult does not say
    QString m_resultImage;                                           // imageKey() of m_result
    std::vector<float> m_map;
    QString m_mapLabel;
    int m_layers = 0, m_headCount = 0;
    QString m_message;
    bool m_messageIsError = false;
    QString m_state;
};
