// ChatPanel (the Chat feature): talk with a BLIP-2 about a picture. The main view shows the
// picture and the conversation, the answer streaming in word by word; the side panel holds the
// model, the sampling settings and the saved conversations. A thin shell: ChatController owns
// the jobs and state.
#pragma once

#include <QWidget>

class ChatController;
class ChatSettingsPage;
class ChatView;
class EngineBridge;
class FeatureLayout;
class ModelPicker;

class ChatPanel : public QWidget {
    Q_OBJECT
public:
    explicit ChatPanel(EngineBridge *bridge, QWidget *parent = nullptr);

    ChatController *controller() const { return m_controller; }
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
    ChatController *m_controller;
    FeatureLayout *m_layout;
    ChatView *m_view;
    ChatSettingsPage *m_settings;
};
