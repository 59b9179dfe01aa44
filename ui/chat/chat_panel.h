// ChatPanel (the Chat feature): talk with a BLIP-2 or a LLaVA about a picture. The main view shows
// the picture and the conversation, the answer streaming in word by word, and for LLaVA the
// grounding page beside it (where each word of the answer looked; the probe); the side panel holds
// the model, the sampling settings and the saved conversations. A thin shell: ChatController and
// GroundingController own the jobs and state.
#pragma once

#include <QWidget>

class ChatController;
class ChatGroundingView;
class ChatSettingsPage;
class ChatView;
class EngineBridge;
class FeatureLayout;
class GroundingController;
class ModelPicker;
class QSplitter;

class ChatPanel : public QWidget {
    Q_OBJECT
public:
    explicit ChatPanel(EngineBridge *bridge, QWidget *parent = nullptr);

    ChatController *controller() const { return m_controller; }
    GroundingController *grounding() const { return m_grounding; }
    ChatGroundingView *groundingView() const { return m_groundingView; }
    ModelPicker *modelPicker() const;
    ChatView *view() const { return m_view; }
    ChatSettingsPage *settingsPage() const { return m_settings; }

public Q_SLOTS:
    // The picture to talk about (the gallery's current item); a video at the frame setVideoTime()
    // names, its first until then.
    void showFile(const QString &path);
    void setVideoTime(const QString &path, double timeS);

protected:
    void changeEvent(QEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void showGrounding(); // for a LLaVA model, or while a grounding is shown

    ChatController *m_controller;
    GroundingController *m_grounding;
    FeatureLayout *m_layout;
    QSplitter *m_main;
    ChatView *m_view;
    ChatGroundingView *m_groundingView;
    ChatSettingsPage *m_settings;
};
