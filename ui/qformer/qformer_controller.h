// QFormerController: the Q-Former feature's state and jobs. For the current picture (the gallery's
// item, a video at its frame) and model it runs ml::makeQFormerJob (debounced, only while the
// panel is on screen) and draws from its result the map of every learnt query (a cross-attention
// layer or their mean; a head, or the heads fused by mean or max). For the last answer in Chat
// (setAnswer(): its request and result, the language model's attention to the queries included)
// it runs ml::makeQueryAblationJob, which says how much each query mattered to that answer, and
// maps each answer word through the queries onto the patches (ml::wordQueryPatchMap, at a
// language-model layer or their mean). The large view shows one query's map or one word's.
#pragma once

#include "common/heatmap_view.h" // heatmap::ColourMap
#include "engine/chat_service.h"

#include <QImage>
#include <QObject>
#include <QString>

#include <optional>
#include <vector>

class EngineBridge;
class QTimer;

class QFormerController : public QObject {
    Q_OBJECT
public:
    enum Heads { MeanHeads, MaxHeads, FirstHead }; // the head combo: then one entry per head
    enum Large { QueryMap, WordMap };              // what the large view shows

    struct Form {
        int crossLayer = -1; // index into QFormerResult::crossLayers; -1: their mean
        int head = MeanHeads;
        int lmLayer = -1; // the language model's layer for word maps; -1: the mean
        // Maps on the input patches: the cross-attention carried back through the vision tower's
        // attention rollout (ml::PatchSpace::ThroughVision) instead of its output tokens.
        bool throughVision = false;
        heatmap::ColourMap colours = heatmap::ColourMap::Jet;
        int opacity = 55; // percent
        bool grid = true;
    };

    explicit QFormerController(EngineBridge *bridge, QObject *parent = nullptr);
    ~QFormerController() override; // keeps the display settings in QSettings

    // --- the form
    const Form &form() const { return m_form; }
    void setModel(const QString &path);
    QString model() const { return m_model; }
    void setModelsPending(bool pending) { m_modelsPending = pending; }
    void setCrossLayer(int layer);
    void setHead(int head); // MeanHeads, MaxHeads or FirstHead + h
    void setLmLayer(int layer);
    void setThroughVision(bool on);
    void setColourMap(heatmap::ColourMap colours);
    void setOpacity(int percent);
    void setGridVisible(bool visible);

    // --- the item
    void showFile(const QString &path);
    void setVideoTime(const QString &path, double timeS); // ignored unless path is the shown video
    QString currentPath() const { return m_path; }
    bool isVideo() const { return m_isVideo; }
    double videoTime() const { return m_videoTime; }
    QString title() const;
    QImage picture() const { return m_picture; } // square, as the model sees it; null until decoded

    void setActive(bool active); // a hidden feature computes nothing until shown
    void recompute();            // now (normally a short timer after each change does)
    bool isBusy() const { return m_job != 0 || m_ablationJob != 0 || m_pending; }

    // --- the queries
    const std::optional<ml::QFormerResult> &result() const { return m_result; }
    std::vector<float> queryMap(int query) const; // with the form's layer and head; empty before a result
    void selectQuery(int query);                  // the large view shows it
    int selectedQuery() const { return m_query; }

    // --- the last answer in Chat
    void setAnswer(const ml::ChatRequest &request, const ml::ChatResult &result);
    bool hasAnswer() const { return m_answer.has_value(); }
    // Whether the answer is about the shown picture with the shown model (its sections apply).
    bool answerMatches() const;
    void showAnswerPicture(); // the answer's picture (and model) become the shown ones
    QString answerText() const;
    QString answerQuestion() const;
    QStringList answerWords() const; // one per answer token, as it reads
    bool hasWordMaps() const;        // the answer carries the LM's attention to the queries
    int lmLayers() const;
    ml::PatchSpace
    space() const; // where the maps live (the form's throughVision)            // of that attention; 0 without
    void selectWord(int token); // the large view shows that word's map
    int selectedWord() const { return m_word; }
    std::vector<float> wordMap(int token) const;
    const std::optional<ml::QueryAblationResult> &ablation() const { return m_ablation; }
    std::vector<int> queriesByDrop() const; // query indices, the largest drop first

    // --- the large view
    Large large() const { return m_large; }
    const std::vector<float> &largeMap() const { return m_largeMap; }
    QString largeLabel() const { return m_largeLabel; }

    QString message() const { return m_message; }
    bool messageIsError() const { return m_messageIsError; }
    QString state() const { return m_state; }

Q_SIGNALS:
    void formChanged();
    void itemChanged();                       // another file or frame; its picture decoded
    void resultChanged();                     // a Q-Former result set or cleared: the query maps
    void mapsChanged();                       // the layer, the head or the display changed: redraw the maps
    void largeChanged();                      // the large view shows another map
    void answerChanged();                     // another answer, or its match with the picture changed
    void ablationChanged();                   // the ablation result set or cleared
    void modelRequested(const QString &path); // the answer's model
    void messageChanged();

private:
    void restoreSettings();
    void saveSettings() const;
    void scheduleRecompute();
    QString itemKey() const;
    void loadPicture();
    void runAblation();
    void redrawLarge();
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void showMessage(const QString &text, bool error);
    void setState(const QString &text);

    EngineBridge *m_bridge;
    QTimer *m_timer;
    Form m_form;
    QString m_model;
    bool m_modelsPending = true;
    bool m_active = false;
    bool m_pending = false;
    bool m_dirty = false;

    QString m_path;
    bool m_isVideo = false;
    double m_videoTime = 0.0;
    QImage m_picture;
    quint64 m_pictureTicket = 0;

    quint64 m_job = 0;
    QString m_jobKey;
    std::optional<ml::QFormerResult> m_result;
    QString m_resultKey; // the item and model of m_result
    int m_query = 0;

    std::optional<ml::ChatRequest> m_answerRequest;
    std::optional<ml::ChatResult> m_answer;
    quint64 m_ablationJob = 0;
    std::optional<ml::QueryAblationResult> m_ablation;
    int m_word = -1;

    Large m_large = QueryMap;
    std::vector<float> m_largeMap;
    QString m_largeLabel;

    QString m_message;
    bool m_messageIsError = false;
    QString m_state;
};
