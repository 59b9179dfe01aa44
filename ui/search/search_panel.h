// SearchPanel: the media library from the GUI. Index the gallery's folders (or a chosen one) into
// a library with a CLIP model, then search it by text and/or an image (the gallery's selection, a
// dropped file, or "Find similar"), filtered by kind, folder and date. Hits stream into a thumbnail
// grid; video hits show their best moment and a similarity-over-time strip, and open in the preview
// at that moment. After indexing, a banner lists files with suspicious vectors; near-duplicate groups
// come on request; the indexed folders are watched and re-indexed when they change. "Why did this
// match?" draws the text query's relevance map over each hit, in the grid and in the preview.
#pragma once

#include "engine/index_service.h"
#include "explain/explain_client.h"

#include <QHash>
#include <QImage>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class DuplicatesView;
class EngineBridge;
class FolderWatcher;
class GalleryWidget;
class ModelPicker;
class PreviewPane;
class QCheckBox;
class QComboBox;
class QDateEdit;
class QDoubleSpinBox;
class QFrame;
class QGroupBox;
class QLabel;
class QLineEdit;
class QMimeData;
class QPushButton;
class QSlider;
class QSpinBox;
class QToolButton;
class QTreeWidget;
class SearchResultsModel;
class SearchResultsView;
class SimilarityStrip;
class ThumbnailStore;

class SearchPanel : public QWidget {
    Q_OBJECT
public:
    enum Kinds { AllKinds, ImagesOnly, VideosOnly };          // the kind filter's entries
    enum VideoScores { MeanOfFrames, BestFrame, BestMoment }; // the video score's entries

    // thumbnailCacheDir empty: the thumbnail cache under QStandardPaths::CacheLocation.
    explicit SearchPanel(EngineBridge *bridge, QWidget *parent = nullptr, const QString &thumbnailCacheDir = {});
    ~SearchPanel() override; // keeps the form's choices in QSettings

    // The gallery: its selection can be the image query, its folders indexed and offered as filters.
    void setGallery(GalleryWidget *gallery);
    // Where opened hits show: "Why did this match?" draws the hit's relevance map over it there.
    void setPreviewPane(PreviewPane *preview);

    // QStandardPaths::GenericDataLocation + "/ModalLens/library.db".
    static QString defaultLibrary();

    // Index jobs: their id, or 0 (and message() says why).
    quint64 indexGalleryFolders();
    quint64 indexFolders(const QStringList &folders);
    quint64 reindex(); // the folders of the last index run again (e.g. after a model change)
    // The search job for the form's query: its id, or 0 (and message() says why).
    quint64 search();
    // "Find similar": path becomes the only query (the text is cleared) and is searched.
    quint64 findSimilar(const QString &path);
    // The near-duplicate groups of the library at the threshold spin's value (and the filters).
    quint64 findDuplicates();
    void cancel();
    bool isIndexing() const { return m_indexJob != 0; }
    bool isSearching() const { return m_searchJob != 0; }
    bool isFindingDuplicates() const { return m_dupJob != 0; }

    // The gallery's current image becomes the image query; false when it has none.
    bool useSelectedImage();
    void setImageQuery(const QString &path); // empty: none
    QString imageQuery() const { return m_image; }
    // The first local image file among dropped urls; empty when there is none.
    static QString droppedImage(const QMimeData *mime);

    // The filter the form describes (kind, folder, date range).
    ml::SearchFilter filter() const;
    QStringList indexedFolders() const { return m_lastFolders; }

    const std::optional<ml::IndexResult> &indexResult() const { return m_indexResult; }
    const std::optional<ml::SearchResult> &result() const { return m_result; }
    const std::optional<ml::DuplicatesResult> &duplicates() const { return m_duplicates; }
    QString message() const;
    bool messageIsError() const { return m_messageIsError; }
    QString resultsState() const; // the line above the hits (count, approximate, index building)
    int stripPointCount() const;  // the similarity strip's points (0 when it is hidden)
    bool healthBannerShown() const;
    // Opens hit `row` in the preview (openRequested), a video at its best moment.
    void openHit(int row);
    // The strip as if clicked at timeS: plays the selected video from there.
    void clickStrip(double timeS);

    // "Why did this match?": the text query's relevance map (gradient-weighted, over the model's
    // patch grid) over each hit, one Lane::Inference job at a time, the visible hits first; a video
    // hit is explained at its best moment. Needs a text in the shown hits' query. Maps are cached
    // per (file, moment, text, model).
    void setWhyEnabled(bool on);
    bool whyEnabled() const;
    bool whyAvailable() const; // the shown hits answer a text query
    bool isExplaining() const { return m_whyJob != 0; }
    QString whyState() const; // the line by the toggle (progress, or why it is off)

    ModelPicker *modelPicker() const { return m_picker; }
    QLineEdit *libraryEdit() const { return m_library; }
    QLineEdit *queryEdit() const { return m_query; }
    QSpinBox *kSpin() const { return m_k; }
    QComboBox *videoScoreCombo() const { return m_aggregate; } // VideoScores
    QSlider *weightSlider() const { return m_weight; }         // the text's weight in percent
    QComboBox *kindCombo() const { return m_kind; }            // Kinds
    QComboBox *folderCombo() const { return m_folder; }        // any folder, then folders (path in UserRole)
    QCheckBox *anyDateCheck() const { return m_anyDate; }
    QDateEdit *fromDateEdit() const { return m_from; }
    QDateEdit *toDateEdit() const { return m_to; }
    QPushButton *indexGalleryButton() const { return m_indexGallery; }
    QPushButton *reindexButton() const { return m_reindex; }
    QPushButton *searchButton() const { return m_search; }
    SearchResultsView *resultsView() const { return m_results; }
    SearchResultsModel *resultsModel() const { return m_resultsModel; }
    ThumbnailStore *thumbnails() const { return m_thumbs; }
    SimilarityStrip *strip() const { return m_strip; }
    QTreeWidget *healthList() const { return m_healthList; }
    QToolButton *healthToggle() const { return m_healthToggle; }
    QToolButton *whyButton() const { return m_whyButton; }
    QDoubleSpinBox *duplicatesThresholdSpin() const { return m_dupThreshold; }
    QPushButton *duplicatesButton() const { return m_dupFind; }
    DuplicatesView *duplicatesView() const { return m_dupView; }
    QCheckBox *keepUpdatedCheck() const { return m_keepUpdated; }
    FolderWatcher *folderWatcher() const { return m_watcher; }

Q_SIGNALS:
    // A hit to show; timeS >= 0: a video to play from that moment.
    void openRequested(const QString &path, double timeS);
    // A search's hits (or an index run's results) were shown.
    void resultsShown();
    void indexFinished(bool ok);

protected:
    void changeEvent(QEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override; // drops on the query box

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
    void updateFolderChoices();
    void updateWatcher();
    void showResults();
    void showResultsState();
    // A failed search or near-duplicate job: the re-index hint when the model changed, else `failed`.
    void showJobError(const QString &error, const QString &failed);
    void showIndexSummary();
    void showHealth();
    void showDuplicates();
    ml::ExplainRequest whyRequest(int row) const; // the text query's relevance for hit row
    QString whyKey(int row) const;
    bool whyDone(int row) const; // its map is cached, or explaining it failed
    static QImage heatOf(const ml::ExplainResult &r);
    // The map (the cached one when null) onto the tile, and the preview when it shows the hit.
    void applyWhy(int row, ExplainClient::Result map = {});
    void onWhyFinished(quint64 ticket, const ExplainClient::Result &result, const QString &error, bool cancelled);
    void nextWhy(); // explains the next hit without a map, if any
    void stopWhy();
    void updateWhyState();
    void onWhyToggled(bool on);
    int currentRow() const;
    const ml::SearchResultItem *hitAt(int row) const; // null when row is not a hit
    quint64 submitSearch(ml::SearchRequest request);
    void onFoldersChanged();
    void onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value);
    void onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double eta);

    EngineBridge *m_bridge;
    ExplainClient *m_explain; // shared with the other panels: one cache
    GalleryWidget *m_gallery = nullptr;
    QLabel *m_message;
    bool m_messageIsError = false;

    QGroupBox *m_libraryGroup, *m_queryGroup, *m_filterGroup, *m_dupGroup;
    QLabel *m_modelLabel, *m_libraryLabel, *m_queryLabel, *m_kLabel, *m_aggregateLabel, *m_imageLabel, *m_weightLabel;
    QLabel *m_kindLabel, *m_folderLabel, *m_dateLabel, *m_dateDash, *m_thresholdLabel;
    ModelPicker *m_picker;
    QLineEdit *m_library;
    QToolButton *m_libraryBrowse;
    QPushButton *m_indexGallery, *m_addFolder, *m_reindex, *m_cancel;
    QCheckBox *m_keepUpdated;
    QLabel *m_indexState;
    QFrame *m_healthBanner;
    QLabel *m_healthText;
    QToolButton *m_healthToggle;
    QTreeWidget *m_healthList;
    QLineEdit *m_query;
    QSpinBox *m_k;
    QComboBox *m_aggregate;
    QPushButton *m_useImage;
    QToolButton *m_clearImage;
    QLabel *m_imageName;
    QSlider *m_weight;
    QLabel *m_weightValue;
    QPushButton *m_search;
    QComboBox *m_kind, *m_folder;
    QCheckBox *m_anyDate;
    QDateEdit *m_from, *m_to;
    QLabel *m_resultsLabel;
    QToolButton *m_whyButton;
    QLabel *m_whyState;
    ThumbnailStore *m_thumbs = nullptr;
    SearchResultsModel *m_resultsModel = nullptr;
    SearchResultsView *m_results;
    SimilarityStrip *m_strip;
    QDoubleSpinBox *m_dupThreshold;
    QPushButton *m_dupFind;
    QLabel *m_dupState;
    DuplicatesView *m_dupView;
    FolderWatcher *m_watcher;

    QString m_image;
    QString m_savedFolder; // the folder filter restored from the settings, until it is listed
    QStringList m_lastFolders;
    quint64 m_indexJob = 0, m_searchJob = 0, m_dupJob = 0, m_whyJob = 0;
    // "Why did this match?": maps come from m_explain's cache; here what failed (by whyKey(), not
    // asked again), the ticket's key and row, the hit opened last.
    QHash<QString, QString> m_whyErrors;
    QString m_whyJobKey;
    int m_whyJobRow = -1;
    int m_whyOpened = -1;
    PreviewPane *m_preview = nullptr;
    bool m_autoIndex = false;  // the running index job was started by a folder change
    bool m_indexAgain = false; // folders changed while an index job ran
    QString m_stage;
    qint64 m_done = 0, m_total = 0;
    std::optional<ml::SearchRequest> m_lastRequest; // what the shown hits answer
    std::optional<ml::IndexResult> m_indexResult;
    std::optional<ml::SearchResult> m_result;
    std::optional<ml::DuplicatesResult> m_duplicates;
};
