// SearchPanel: the media library from the GUI. Index the gallery's folders (or a chosen one) into
// a library with a CLIP model, then search it by text and/or the selected image; video hits show
// their best moment and a similarity-over-time strip, and open in the preview at that moment.
#pragma once

#include "engine/index_service.h"

#include <QWidget>

#include <optional>

class EngineBridge;
class GalleryWidget;
class ModelPicker;
class QComboBox;
class QCustomPlot;
class QGroupBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSlider;
class QSpinBox;
class QToolButton;

class SearchPanel : public QWidget {
    Q_OBJECT
public:
    enum Role { PathRole = Qt::UserRole + 1, ResultRole }; // ResultRole: the row in result()

    explicit SearchPanel(EngineBridge *bridge, QWidget *parent = nullptr);
    ~SearchPanel() override; // keeps the form's choices in QSettings

    void setGallery(GalleryWidget *gallery) { m_gallery = gallery; }

    // QStandardPaths::GenericDataLocation + "/ModalLens/library.db".
    static QString defaultLibrary();

    // Index jobs: their id, or 0 (and message() says why).
    quint64 indexGalleryFolders();
    quint64 indexFolders(const QStringList &folders);
    quint64 reindex(); // the folders of the last index run again (e.g. after a model change)
    // The search job for the form's query: its id, or 0 (and message() says why).
    quint64 search();
    void cancel();
    bool isIndexing() const { return m_indexJob != 0; }
    bool isSearching() const { return m_searchJob != 0; }

    // The gallery's current image becomes the image query; false when it has none.
    bool useSelectedImage();
    void setImageQuery(const QString &path); // empty: none
    QString imageQuery() const { return m_image; }

    const std::optional<ml::IndexResult> &indexResult() const { return m_indexResult; }
    const std::optional<ml::SearchResult> &result() const { return m_result; }
    QString message() const;
    bool messageIsError() const { return m_messageIsError; }
    int stripPointCount() const; // the similarity strip's points (0 when it is hidden)
    // Opens hit `row` in the preview (openRequested), a video at its best moment.
    void openHit(int row);
    // The strip as if clicked at timeS: opens the selected video there.
    void clickStrip(double timeS);

    ModelPicker *modelPicker() const { return m_picker; }
    QLineEdit *libraryEdit() const { return m_library; }
    QLineEdit *queryEdit() const { return m_query; }
    QSpinBox *kSpin() const { return m_k; }
    QComboBox *videoScoreCombo() const { return m_aggregate; } // mean, max, best moment
    QSlider *weightSlider() const { return m_weight; }         // the text's weight in percent
    QPushButton *indexGalleryButton() const { return m_indexGallery; }
    QPushButton *reindexButton() const { return m_reindex; }
    QPushButton *searchButton() const { return m_search; }
    QListWidget *resultsList() const { return m_results; }
    QCustomPlot *strip() const { return m_strip; }

Q_SIGNALS:
    // A hit to show; timeS >= 0: a video to play from that moment.
    void openRequested(const QString &path, double timeS);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void restoreSettings();
    void saveSettings() const;
    QString libraryPath() const;
    QString chosenModel(); // the picker's model, or "" after saying why there is none
    void showMessage(const QString &text, bool error);
    void clearMessage();
    void updateState();
    void updateImageLabel();
    void showResults();
    void showStrip(int row);
    void onCurrentRowChanged(int row);
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta);

    EngineBridge *m_bridge;
    GalleryWidget *m_gallery = nullptr;
    QLabel *m_message;
    bool m_messageIsError = false;

    QGroupBox *m_libraryGroup, *m_queryGroup;
    QLabel *m_modelLabel, *m_libraryLabel, *m_queryLabel, *m_kLabel, *m_aggregateLabel, *m_imageLabel, *m_weightLabel;
    ModelPicker *m_picker;
    QLineEdit *m_library;
    QToolButton *m_libraryBrowse;
    QPushButton *m_indexGallery, *m_addFolder, *m_reindex, *m_cancel;
    QLabel *m_indexState;
    QLineEdit *m_query;
    QSpinBox *m_k;
    QComboBox *m_aggregate;
    QPushButton *m_useImage;
    QToolButton *m_clearImage;
    QLabel *m_imageName;
    QSlider *m_weight;
    QLabel *m_weightValue;
    QPushButton *m_search;
    QLabel *m_resultsLabel;
    QListWidget *m_results;
    QLabel *m_stripLabel;
    QCustomPlot *m_strip;

    QString m_image;
    QStringList m_lastFolders;
    quint64 m_indexJob = 0, m_searchJob = 0;
    QString m_stage;
    qint64 m_done = 0, m_total = 0;
    std::optional<ml::IndexResult> m_indexResult;
    std::optional<ml::SearchResult> m_result;
};
