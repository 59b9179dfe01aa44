// ClassifyPanel: the zero-shot classification lab. A CLIP model, a label set and prompt
// templates; results for the selected images (a probability bar chart per image), for a
// folder or the whole gallery (a sortable table with CSV/JSON export), and for a labelled
// folder (accuracy, per-class accuracy and a confusion matrix whose cells open the images).
#pragma once

#include "engine/clip_service.h"
#include "engine/coop_service.h"

#include <QHash>
#include <QPixmap>
#include <QWidget>

#include <optional>
#include <vector>

class ClassifyChart;
class ClassifyTableModel;
class ConfusionMatrixView;
class EngineBridge;
class GalleryWidget;
class ModelPicker;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QPlainTextEdit;
class QPushButton;
class QScrollArea;
class QSortFilterProxyModel;
class QSpinBox;
class QSplitter;
class QStackedWidget;
class QStandardItemModel;
class QTabWidget;
class QTableView;
class QToolButton;
class ThumbnailLoader;

class ClassifyPanel : public QWidget {
    Q_OBJECT
public:
    enum ResultTab { ImageTab, BatchTab, EvaluationTab };

    explicit ClassifyPanel(EngineBridge *bridge, QWidget *parent = nullptr);
    ~ClassifyPanel() override; // keeps the label set, prompts and top-k in QSettings

    // Where "Classify selected" and "Classify whole gallery" take their files from.
    void setGallery(GalleryWidget *gallery);
    QStringList selectedFiles() const; // the gallery's selected photos, else the current one
    QStringList galleryFiles() const;  // every photo in the gallery

    // The buttons' actions. Each returns the engine job's id, or 0 when nothing was started;
    // message() then says why.
    quint64 classifySelected();
    quint64 classifyFiles(const QStringList &files);
    quint64 classifyFolder(const QString &folder); // lists it on the I/O lane first
    quint64 classifyGallery();
    quint64 evaluateFolder(const QString &folder); // one sub-folder per class
    bool isRunning() const;

    void setLabels(const QStringList &labels);
    QStringList labels() const;
    void useLabelSet(const QString &id);     // LabelSets::ids()
    bool addTemplate(const QString &prompt); // false, with a message, when it has no "{}"
    void setTemplates(const QStringList &prompts);
    QStringList templates() const;
    // A learnt (CoOp) prompt file instead of the templates: false, with a message, when it
    // cannot be read. A class-specific prompt also sets the labels to its classes.
    bool useLearntPrompt(const QString &file);
    // Back to the template list.
    void useTemplates();
    QString learntPrompt() const { return m_learntPrompt; } // "" while the templates are used

    int imageResultCount() const { return static_cast<int>(m_imageResults.size()); }
    const ml::ImageScores &imageResult(int i) const { return m_imageResults.at(static_cast<std::size_t>(i)); }
    void showImageResult(int i);
    int currentImageResult() const { return m_current; }
    QString runInfo() const; // "logit scale 100.0 (τ = 0.010) · fp32 · cpu · model"

    bool exportBatch(const QString &path, bool json); // false, with a message, on failure
    const std::optional<ml::EvaluateResult> &evaluation() const { return m_evaluation; }
    std::vector<ml::ImageScores> cellImages(int truth, int predicted) const;
    void openConfusionCell(int truth, int predicted);

    // What the plots show, for callers that do not include QCustomPlot (its bare keywords
    // clash with QT_NO_KEYWORDS).
    int chartBarCount() const;
    int chartHighlightCount() const;
    QStringList chartLabels() const;
    std::vector<std::vector<int>> confusionMatrix() const;
    QPoint confusionCellCenter(int truth, int predicted) const; // in confusionWidget() coordinates
    QWidget *confusionWidget() const;

    QString message() const;
    bool messageIsError() const { return m_messageIsError; }

    ModelPicker *modelPicker() const { return m_picker; }
    ClassifyChart *chart() const { return m_chart; }
    ClassifyTableModel *batchModel() const { return m_batch; }
    QTableView *batchView() const { return m_batchView; }
    ConfusionMatrixView *confusionView() const { return m_confusion; }
    QStandardItemModel *perClassModel() const { return m_perClass; }
    QTabWidget *resultTabs() const { return m_results; }
    QListWidget *imageList() const { return m_imageList; }
    QListWidget *templateList() const { return m_templates; }
    QToolButton *learntPromptButton() const { return m_useLearnt; }
    QPushButton *useTemplatesButton() const { return m_useTemplates; }
    QLabel *learntPromptLabel() const { return m_learntInfo; }
    QPlainTextEdit *labelEdit() const { return m_labels; }
    QSpinBox *topKSpin() const { return m_topK; }

Q_SIGNALS:
    // The user asked to see a file: a double-clicked table row or result, a confusion cell's image.
    void fileActivated(const QString &path);

protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct RunInfo {
        double logitScale = 0.0;
        QString dtype;
        QString device;
        QString model;
    };

    QWidget *createLabelsPage();
    QWidget *createPromptsPage();
    QWidget *createImagePage();
    QWidget *createBatchPage();
    QWidget *createEvaluationPage();
    void retranslate();
    void restoreSettings();
    void saveSettings() const;

    // The model, labels and prompts, checked; nullopt (and a message) when something is wrong.
    std::optional<ml::ClassifyRequest> prepare(bool needLabels);
    void showMessage(const QString &text, bool error);
    void clearMessage();

    void onPartial(quint64 id, const QString &kind, const QVariant &value);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    quint64 startBatch(const QStringList &files, const QString &what);
    void addImageResult(const ml::ImageScores &scores);
    void updateImageItem(int i);
    void updateHeader();
    void updateBatchSummary();
    void showEvaluation(const ml::EvaluateResult &result);
    void updateSelectionCount();
    void updateLabelStatus();
    void updateTemplateStatus();
    void updateLearntPrompt();
    void exportDialog(bool json);
    QString pickFolder(const QString &title);

    EngineBridge *m_bridge;
    GalleryWidget *m_gallery = nullptr;

    ModelPicker *m_picker;
    QLabel *m_modelLabel;
    QLabel *m_message;
    bool m_messageIsError = false;
    QSplitter *m_splitter;

    QTabWidget *m_setup;
    QLabel *m_setLabel;
    QComboBox *m_labelSet;
    QToolButton *m_loadLabels;
    QToolButton *m_saveLabels;
    QPlainTextEdit *m_labels;
    QLabel *m_labelStatus;
    QListWidget *m_templates;
    QLineEdit *m_newTemplate;
    QToolButton *m_addTemplate;
    QToolButton *m_removeTemplate;
    QToolButton *m_resetTemplates;
    QLabel *m_templateHint;
    QToolButton *m_useLearnt;
    QWidget *m_learntBox; // shown while a learnt prompt is used
    QLabel *m_learntInfo;
    QPushButton *m_useTemplates;
    QString m_learntPrompt;
    ml::LearntPromptInfo m_learntPromptInfo;

    QTabWidget *m_results;
    // Image tab
    QPushButton *m_classifySelected;
    QLabel *m_topKLabel;
    QSpinBox *m_topK;
    QSplitter *m_imageSplit;
    QListWidget *m_imageList;
    QStackedWidget *m_imageStack; // placeholder | result
    QLabel *m_imagePlaceholder;
    QLabel *m_thumb;
    QLabel *m_fileName;
    QLabel *m_prediction;
    QLabel *m_info;
    QScrollArea *m_chartScroll;
    ClassifyChart *m_chart;
    QLabel *m_imageError;
    // Batch tab
    QPushButton *m_classifyFolder;
    QPushButton *m_classifyGallery;
    QToolButton *m_export;
    QAction *m_exportCsv;
    QAction *m_exportJson;
    QLabel *m_batchSummary;
    ClassifyTableModel *m_batch;
    QSortFilterProxyModel *m_batchProxy;
    QTableView *m_batchView;
    // Evaluation tab
    QPushButton *m_evaluate;
    QLabel *m_evalSummary;
    ConfusionMatrixView *m_confusion;
    QStandardItemModel *m_perClass;
    QTableView *m_perClassView;

    std::vector<ml::ImageScores> m_imageResults;
    QHash<QString, int> m_imageRowOf;
    int m_current = -1;
    RunInfo m_imageRun;
    RunInfo m_batchRun;
    std::optional<ml::EvaluateResult> m_evaluation;
    QString m_evalFolder;
    int m_evalSeen = 0;
    ThumbnailLoader *m_thumbs;
    QHash<int, QPixmap> m_thumbCache; // by result index
    quint64 m_thumbGeneration = 0;

    quint64 m_imageJob = 0;
    quint64 m_listJob = 0;
    quint64 m_batchJob = 0;
    quint64 m_evalJob = 0;
    QString m_listFolder;
};
