// CoopPanel: CoOp prompt tuning from the GUI, laid out as a FeatureLayout. The side panel holds
// the form (a CLIP model, a labelled folder, the CoOp settings) and Learn/Cancel; the main view
// draws the loss live, then the held-out accuracy of the hand-written template against the
// learnt prompt, per class, and what the context reads as. The job is CoopController's.
#pragma once

#include "engine/coop_service.h" // ml::readLearntPromptInfo(), for whoever takes useInClassifyRequested()

#include <QWidget>

class CoopController;
class CoopResultView;
class CoopSetupPanel;
class EngineBridge;
class FeatureLayout;

class CoopPanel : public QWidget {
    Q_OBJECT
public:
    explicit CoopPanel(EngineBridge *bridge, QWidget *parent = nullptr);

    CoopController *controller() const { return m_controller; }

    // Learn Prompt: the form's request, checked and submitted; the job's id, or 0 (the
    // controller's message says why).
    quint64 start();

Q_SIGNALS:
    // The user wants the Classify panel to use this learnt prompt (with the model it was learnt on).
    void useInClassifyRequested(const QString &file, const QString &modelPath);

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override; // starts on the sample gallery's folder when empty
    bool event(QEvent *event) override;         // follows the dock it is put in (ParentChange)

private:
    void onDockShown(bool visible); // the dock's tab came to the front (or went)

    CoopController *m_controller;
    FeatureLayout *m_layout;
    CoopSetupPanel *m_setup;
    CoopResultView *m_results;
};
