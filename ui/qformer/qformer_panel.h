// QFormerPanel (the Q-Former feature): what each learnt query of a BLIP-2's Q-Former looks at in
// the current picture, which queries are alike, and which ones the last Chat answer used. A thin
// shell: QFormerController owns the jobs and state.
#pragma once

#include <QWidget>

class EngineBridge;
class FeatureLayout;
class ModelPicker;
class QFormerController;
class QFormerSettingsPage;
class QFormerView;

class QFormerPanel : public QWidget {
    Q_OBJECT
public:
    explicit QFormerPanel(EngineBridge *bridge, QWidget *parent = nullptr);

    QFormerController *controller() const { return m_controller; }
    ModelPicker *modelPicker() const;
    QFormerView *view() const { return m_view; }
    QFormerSettingsPage *settingsPage() const { return m_settings; }

public Q_SLOTS:
    void showFile(const QString &path);
    void setVideoTime(const QString &path, double timeS);

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override; // work waits while the panel is hidden
    void hideEvent(QHideEvent *event) override;

private:
    QFormerController *m_controller;
    FeatureLayout *m_layout;
    QFormerView *m_view;
    QFormerSettingsPage *m_settings;
};
