// The Chat side panel: the model (every LLaVA and BLIP-2 folder found; llava-mini first), the
// sampling settings (greedy, or temperature / top-k / top-p / repetition penalty / seed; max
// tokens), and the saved conversations to reopen, start afresh or delete.
#pragma once

#include <QWidget>

class ChatController;
class EngineBridge;
class ModelPicker;
class QCheckBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSpinBox;

class ChatSettingsPage : public QWidget {
    Q_OBJECT
public:
    ChatSettingsPage(EngineBridge *bridge, ChatController *controller, QWidget *parent = nullptr);
    ModelPicker *modelPicker() const { return m_picker; }
    QListWidget *historyList() const { return m_history; }

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *buildModel();
    QGroupBox *buildSampling();
    QGroupBox *buildHistory();
    void retranslate();
    void showSampling();
    void showHistory();
    void applySampling();

    ChatController *m_controller;
    ModelPicker *m_picker;
    QLabel *m_modelLabel;
    QGroupBox *m_samplingGroup;
    QCheckBox *m_greedy;
    QDoubleSpinBox *m_temperature;
    QSpinBox *m_topK;
    QDoubleSpinBox *m_topP;
    QDoubleSpinBox *m_penalty;
    QSpinBox *m_seed;
    QSpinBox *m_maxTokens;
    QLabel *m_temperatureLabel, *m_topKLabel, *m_topPLabel, *m_penaltyLabel, *m_seedLabel, *m_maxTokensLabel;
    QGroupBox *m_historyGroup;
    QListWidget *m_history;
    QPushButton *m_new;
    QPushButton *m_delete;
    QLabel *m_historyHint;
};
