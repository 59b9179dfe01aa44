// ClassifyPanel: the zero-shot classification lab, laid out as a FeatureLayout. The main view
// holds the results: the current image's label probabilities, the batch table of a folder or
// the whole gallery (CSV/JSON export) and a labelled folder's evaluation (accuracy, confusion
// matrix); the side panel holds the CLIP model, the labels, the prompts and the run buttons.
// The state and the engine jobs are ClassifyController's.
#pragma once

#include <QWidget>

class ClassifyBatchPage;
class ClassifyController;
class ClassifyEvaluationPage;
class ClassifyResultPage;
class EngineBridge;
class FeatureLayout;
class GalleryWidget;
class ModelPicker;
class QLabel;
class QPushButton;
class QTabWidget;

class ClassifyPanel : public QWidget {
    Q_OBJECT
public:
    explicit ClassifyPanel(EngineBridge *bridge, QWidget *parent = nullptr);
    ~ClassifyPanel() override; // keeps the top-k in QSettings (the controller keeps the rest)

    ClassifyController *controller() const { return m_controller; }
    ModelPicker *modelPicker() const { return m_picker; }

    // Where "Classify selected" and "Classify whole gallery" take their files from.
    void setGallery(GalleryWidget *gallery);
    // The gallery's "Classify" action: these files' results in the main view. The job's id, or
    // 0 when nothing was started (the panel's message says why).
    quint64 classifyFiles(const QStringList &files);
    void setLabels(const QStringList &labels);
    // A learnt (CoOp) prompt instead of the templates; false, with a message, when unreadable.
    bool useLearntPrompt(const QString &file);

Q_SIGNALS:
    // The user asked to see a file: a double-clicked result or table row, a confusion cell's image.
    void fileActivated(const QString &path);

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *createSidePanel();
    QWidget *createRunBox(QWidget *parent);
    QWidget *createMainView();
    void connectController();
    void retranslate();
    void showMessage(const QString &text, bool error);
    void updateSetupTabs();
    void updateSelectionCount(int files);
    QString pickFolder(const QString &title);

    EngineBridge *m_bridge;
    ModelPicker *m_picker;
    ClassifyController *m_controller;
    FeatureLayout *m_layout;

    // Side panel
    QLabel *m_modelLabel = nullptr;
    QLabel *m_message = nullptr;
    QTabWidget *m_setup = nullptr;
    QLabel *m_runTitle = nullptr;
    QPushButton *m_classifySelected = nullptr;
    QPushButton *m_classifyFolder = nullptr;
    QPushButton *m_classifyGallery = nullptr;
    QPushButton *m_evaluate = nullptr;
    int m_selected = 0; // classifiable files selected in the gallery

    // Main view
    QTabWidget *m_views = nullptr;
    ClassifyResultPage *m_resultPage = nullptr;
    ClassifyBatchPage *m_batchPage = nullptr;
    ClassifyEvaluationPage *m_evaluationPage = nullptr;
};
