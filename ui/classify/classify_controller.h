// ClassifyController: the Classify feature's state and engine jobs. The label set, the prompt
// templates or a learnt prompt, the selected images' results, the batch table and the last
// evaluation live here; the pages show them and call back with what the user asked for.
#pragma once

#include "engine/clip_service.h"
#include "engine/coop_service.h"

#include <QHash>
#include <QObject>
#include <QStandardPaths>
#include <QStringList>

#include <optional>
#include <vector>

class ClassifyTableModel;
class EngineBridge;
class GalleryWidget;
class ModelPicker;

class ClassifyController : public QObject {
    Q_OBJECT
public:
    enum View { ImageView, BatchView, EvaluationView }; // the main view's pages
    enum SetupPage { LabelsPage, PromptsPage };         // the side panel's tabs

    // picker: the side panel's model picker, where every job takes its model from.
    ClassifyController(EngineBridge *bridge, ModelPicker *picker, QObject *parent = nullptr);
    ~ClassifyController() override; // keeps the label set, the prompts and the learnt prompt

    void restoreSettings();
    void saveSettings() const;

    // Where "Classify selected" and "Classify whole gallery" take their files from.
    void setGallery(GalleryWidget *gallery);
    QStringList selectedFiles() const; // the gallery's selected photos, else the current one
    QStringList galleryFiles() const;  // every photo and video in the gallery

    // Each returns the engine job's id, or 0 when nothing was started; message() then says why.
    quint64 classifySelected();
    quint64 classifyFiles(const QStringList &files);
    quint64 classifyFolder(const QString &folder); // lists it on the I/O lane first
    quint64 classifyGallery();
    quint64 evaluateFolder(const QString &folder); // one sub-folder per class
    bool isRunning() const;
    bool isEvaluating() const { return m_evalJob != 0; }

    // The labels; editing a built-in set's labels makes them the user's own (labelSet() "").
    void setLabels(const QStringList &labels);
    QStringList labels() const { return m_labels; }
    void useLabelSet(const QString &id); // LabelSets::ids()
    QString labelSet() const { return m_labelSet; }

    bool addTemplate(const QString &prompt);           // false, with a message, when it has no "{}" or is listed
    bool editTemplate(int row, const QString &prompt); // false, with a message: the old text stays
    void removeTemplate(int row);
    void setTemplates(const QStringList &prompts); // the valid, distinct ones
    QStringList templates() const { return m_templates; }

    // A learnt (CoOp) prompt file instead of the templates: false, with a message, when it
    // cannot be read. A class-specific prompt also sets the labels to its classes.
    bool useLearntPrompt(const QString &file);
    void useTemplates();
    QString learntPrompt() const { return m_learntPrompt; } // "" while the templates are used
    const ml::LearntPromptInfo &learntPromptInfo() const { return m_learntPromptInfo; }

    int imageResultCount() const { return static_cast<int>(m_imageResults.size()); }
    const ml::ImageScores &imageResult(int i) const { return m_imageResults.at(static_cast<std::size_t>(i)); }
    void showImageResult(int i); // -1: none
    int currentImageResult() const { return m_current; }
    QString imagePlaceholder() const { return m_imagePlaceholder; } // shown while there is no result
    QString runInfo() const; // "logit scale 100.0 (τ = 0.010) · fp32 · cpu · model"

    ClassifyTableModel *batchModel() const { return m_batch; }
    bool isBatchRunning() const { return m_batchJob != 0; }
    QString batchSummary() const;
    bool exportBatch(const QString &path, bool json); // false, with a message, on failure

    const std::optional<ml::EvaluateResult> &evaluation() const { return m_evaluation; }
    QString evaluationFolder() const { return m_evalFolder; }
    int evaluationSeen() const { return m_evalSeen; } // images scored so far by the running evaluation
    std::vector<ml::ImageScores> cellImages(int truth, int predicted) const;

    QString message() const { return m_message; }
    bool messageIsError() const { return m_messageIsError; }
    void showMessage(const QString &text, bool error);
    void clearMessage();

    // Where the feature's file dialogs start: the folder they last used, else `fallback`.
    static QString dialogStart(QStandardPaths::StandardLocation fallback);
    static void rememberDialogFolder(const QString &folder);

Q_SIGNALS:
    void messageChanged(const QString &text, bool error);
    void labelsChanged();
    void templatesChanged();
    void learntPromptChanged();
    void selectionCountChanged(int files);
    void imageResultsCleared(); // a new run: the list empties, imagePlaceholder() says why
    void imageResultChanged(int i, bool added);
    void currentImageChanged(int i);
    void imageRunChanged(); // runInfo() or imagePlaceholder() changed
    void batchChanged();    // batchSummary(), isBatchRunning()
    void batchStarted();    // the table emptied for a new run
    void evaluationStarted();
    void evaluationProgress(int seen);
    void evaluationChanged(); // finished (evaluation() set) or failed (reset)
    void viewRequested(View view);
    void setupPageRequested(SetupPage page);

private:
    struct RunInfo {
        double logitScale = 0.0;
        QString dtype;
        QString device;
        QString model;
    };

    // The model, labels and prompts, checked; nullopt (and a message) when something is wrong.
    std::optional<ml::ClassifyRequest> prepare(bool needLabels);
    bool checkLearntClasses(bool needLabels);
    quint64 startBatch(const QStringList &files, const QString &what);
    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void finishImages(bool ok, bool cancelled, const QVariant &value);
    void addImageResult(const ml::ImageScores &scores);
    void fail(const QString &what, const QString &error, bool cancelled);
    void setImagePlaceholder(const QString &text);

    EngineBridge *m_bridge;
    ModelPicker *m_picker;
    GalleryWidget *m_gallery = nullptr;

    QString m_message;
    bool m_messageIsError = false;

    QStringList m_labels;
    QString m_labelSet; // "" = the user's own
    QStringList m_templates;
    QString m_learntPrompt;
    ml::LearntPromptInfo m_learntPromptInfo;

    std::vector<ml::ImageScores> m_imageResults;
    QHash<QString, int> m_imageRowOf;
    int m_current = -1;
    QString m_imagePlaceholder;
    RunInfo m_imageRun;

    ClassifyTableModel *m_batch;
    RunInfo m_batchRun;
    QString m_batchStarting; // "Classifying 12 files from the gallery…" until the first row

    std::optional<ml::EvaluateResult> m_evaluation;
    QString m_evalFolder;
    int m_evalSeen = 0;

    quint64 m_imageJob = 0;
    quint64 m_listJob = 0;
    quint64 m_batchJob = 0;
    quint64 m_evalJob = 0;
    QString m_listFolder;
};
