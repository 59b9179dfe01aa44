// GroundingController: per-word grounding in the Chat panel (LLaVA). After every finished LLaVA
// answer it runs ml::makeGroundingJob on it (the answer's token ids and the prompt's ids, so nothing
// is re-tokenised; relevancy on), which a new question cancels. It keeps the result, the display
// form (method, layer, colour map, opacity; remembered in QSettings) and the word shown (hovered,
// else the one clicked); and the probe: a mask painted over the model's input crop (or a word's
// top patches) with which the same question is asked again (ml::makeChatJob), that answer then
// shown beside the original. It exports the overlay as PNG and every word's map as safetensors.
#pragma once

#include "common/heatmap_view.h" // heatmap::ColourMap
#include "engine/grounding_service.h"

#include <QImage>
#include <QObject>
#include <QPointF>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

class ChatController;
class EngineBridge;

class GroundingController : public QObject {
    Q_OBJECT
public:
    static constexpr double kTopShare = 0.10; // "the top patches" of a word: this share of the grid

    GroundingController(EngineBridge *bridge, ChatController *chat, QObject *parent = nullptr);
    ~GroundingController() override; // keeps the display form in QSettings

    // --- display: redraws only
    ml::GroundingMethod method() const { return m_method; }
    void setMethod(ml::GroundingMethod method);
    int layer() const { return m_layer; } // attention: -1 = every layer averaged, else one layer
    void setLayer(int layer);
    int layers() const { return m_result ? m_result->layers : 0; }
    static QString methodText(ml::GroundingMethod method); // "Attention", "Relevancy", "Context-corrected"
    heatmap::ColourMap colours() const { return m_colours; }
    void setColourMap(heatmap::ColourMap colours);
    int opacity() const { return m_opacity; } // percent
    void setOpacity(int percent);

    // --- the grounding. A finished LLaVA answer is grounded by itself; an earlier answer of the
    // conversation is when one of its words is clicked.
    bool groundTurn(int turn); // false, with message(), when it cannot start
    void cancel();
    bool isBusy() const { return m_job != 0; }
    const std::optional<ml::GroundingResult> &result() const { return m_result; }
    int turn() const { return m_turn; } // the conversation turn the result explains; -1: none
    QImage inputImage() const;          // the model's input crop (the maps lie over it); null: none
    QImage picture() const;             // the chat's picture, shown until a result is there
    QString pictureTitle() const;       // "file" or "file · frame at 1.5 s"

    // --- the words of the grounded answer
    int wordCount() const { return m_result ? static_cast<int>(m_result->words.size()) : 0; }
    QString wordText(int word) const;
    int wordOfToken(int token) const; // -1: not a token of the answer
    void hoverWord(int word);         // -1: none, the selected word shows again
    void selectWord(int word);
    void hoverToken(int turn, int token); // the transcript's hover: a token of the grounded turn
    void selectToken(int turn, int token);
    int hoveredWord() const { return m_hovered; }
    int selectedWord() const { return m_selected; }
    int shownWord() const { return m_hovered >= 0 ? m_hovered : m_selected; }
    const std::vector<float> &currentMap() const { return m_map; } // the shown word's; empty: none
    std::vector<float> wordMap(int word) const; // with the current method and layer; empty on failure
    std::vector<float> wordShares() const;      // per word: the mean image share of its tokens

    // --- the probe
    bool paintMode() const { return m_paintMode; }
    void setPaintMode(bool on);
    // Grayscale8 over the crop (imageSize x imageSize), 255 = hidden; null before a result.
    const QImage &mask() const { return m_mask; }
    bool hasMask() const;
    void paintStroke(const QPointF &from, const QPointF &to, bool erase); // the crop's [0, 1] coordinates
    void clearMask();
    bool hideTopPatches(int word = -1);     // the top kTopShare of a word's map (-1: the shown word)
    std::vector<int> hiddenPatches() const; // cells of the grid the mask covers at least half
    // The mask carried from the crop onto a picture of width x height (the crop is CLIP's resize
    // of the shortest edge to the crop's side, then a centre crop); row-major, 255 = hidden.
    static std::vector<std::uint8_t> pictureMask(const QImage &cropMask, int width, int height);
    bool reask(); // the grounded question again with the mask; false, with message(), if it cannot
    bool isProbing() const { return m_probeJob != 0; }
    const std::vector<ml::ChatToken> &originalTokens() const { return m_answer.tokens; }
    const std::vector<ml::ChatToken> &probeTokens() const { return m_probeTokens; } // streamed so far
    bool hasProbe() const { return m_probeDone; }                                   // a probed answer finished
    int probeHidden() const { return m_probeHidden; }                               // patches the probe hid

    // --- export. False, with message(), on failure.
    bool exportOverlay(const QString &file); // the shown word's overlay, PNG
    bool exportMaps(const QString &file);    // every word's map, current method and layer, safetensors

    QString message() const { return m_message; }
    bool messageIsError() const { return m_messageIsError; }
    QString state() const { return m_state; } // "Grounding: 3 of 8 tokens"
    qint64 progressDone() const { return m_done; }
    qint64 progressTotal() const { return m_total; }

Q_SIGNALS:
    void formChanged();    // method, layer, colours, opacity, paint mode
    void resultChanged();  // a result arrived or was dropped
    void pictureChanged(); // the chat's picture
    void mapChanged();     // the shown word or its map changed
    void maskChanged();
    void probeChanged(); // a probed token arrived, the probe finished or was dropped
    void busyChanged();
    void messageChanged(); // message(), state() or the progress

private:
    void restoreSettings();
    void saveSettings() const;
    void onAnswerFinished();
    void onTranscriptChanged();
    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void setResult(std::optional<ml::GroundingResult> result);
    void dropProbe();
    void redrawMap();
    void showMessage(const QString &text, bool error);
    void setState(const QString &text, qint64 done = 0, qint64 total = 0);

    EngineBridge *m_bridge;
    ChatController *m_chat;
    ml::GroundingMethod m_method = ml::GroundingMethod::Relevancy;
    int m_layer = -1;
    heatmap::ColourMap m_colours = heatmap::ColourMap::Jet;
    int m_opacity = 55;

    quint64 m_job = 0;
    int m_jobTurn = -1;
    int m_jobSelect = -1;         // the token to select when the job's result arrives; -1: the top word
    ml::ChatRequest m_jobRequest; // the question of m_job, for the probe
    ml::ChatResult m_jobAnswer;   // and its answer
    std::optional<ml::GroundingResult> m_result;
    ml::ChatRequest m_request; // the question m_result grounds (probe: asked again)
    ml::ChatResult m_answer;   // its answer as generated, the probabilities the sampling used
    std::string m_conversationId;
    int m_turn = -1;
    int m_hovered = -1, m_selected = -1;
    std::vector<float> m_map;

    bool m_paintMode = false;
    QImage m_mask;
    quint64 m_probeJob = 0;
    std::vector<ml::ChatToken> m_probeTokens;
    bool m_probeDone = false;
    int m_probeHidden = 0;

    QString m_message;
    bool m_messageIsError = false;
    QString m_state;
    qint64 m_done = 0, m_total = 0;
};
