// AttentionPanel (the Explain feature): what a CLIP looks at in the current item. Raw attention
// (a layer, a head or the heads fused, from CLS or a clicked patch, with all heads as small
// multiples), attention rollout (with its discard ratio) and gradient-weighted relevance for a
// text (one map per word), drawn over the model's input crop under its patch grid. The main view
// shows the item large with its map and, beside it, the heads or the words; the side panel holds
// the model, the method and the display. A thin shell: ExplainController owns the jobs and state.
#pragma once

#include <QWidget>

class EngineBridge;
class ExplainController;
class ExplainSettingsPage;
class ExplainView;
class FeatureLayout;
class ModelPicker;

class AttentionPanel : public QWidget {
    Q_OBJECT
public:
    explicit AttentionPanel(EngineBridge *bridge, QWidget *parent = nullptr);

    ExplainController *controller() const { return m_controller; }
    ModelPicker *modelPicker() const;

public Q_SLOTS:
    // The item to explain (the gallery's current item); empty: nothing. A video is explained at
    // its first frame until its time slider or setVideoTime() says which frame.
    void showFile(const QString &path);
    void setVideoTime(const QString &path, double timeS); // ignored unless path is the shown video

Q_SIGNALS:
    void mapShown(); // a result (new or cached) is drawn

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override; // work waits while the panel is hidden
    void hideEvent(QHideEvent *event) override;

private:
    ExplainController *m_controller;
    FeatureLayout *m_layout;
    ExplainView *m_view;
    ExplainSettingsPage *m_settings;
};
