// SearchSidePanel: the Search feature's settings beside its main view, in two tabs that fit a
// 1366 x 768 screen without scrolling. "Search": the text query, the image query and their weights,
// how many hits and how videos rank, the filters (kind, folder, date). "Library": the CLIP model,
// the library file, indexing (the gallery's folders, another folder, again, cancel), keeping the
// folders up to date, the last run's summary and the embedding-health banner. It shows the
// controller's state and emits what the user asks for; the panel shell does it.
#pragma once

#include "engine/index_service.h"

#include <QWidget>

class EngineBridge;
class ModelPicker;
class QCheckBox;
class QComboBox;
class QDateEdit;
class QFormLayout;
class QFrame;
class QGroupBox;
class QLabel;
class QLineEdit;
class QMimeData;
class QPushButton;
class QSlider;
class QSpinBox;
class QTabWidget;
class QToolButton;
class QTreeWidget;
class SearchController;

class SearchSidePanel : public QWidget {
    Q_OBJECT
public:
    enum Kinds { AllKinds, ImagesOnly, VideosOnly };          // the kind filter's entries
    enum VideoScores { MeanOfFrames, BestFrame, BestMoment }; // the video score's entries
    enum Tabs { SearchTab, LibraryTab };

    SearchSidePanel(EngineBridge *bridge, SearchController *controller, QWidget *parent = nullptr);
    ~SearchSidePanel() override; // keeps the form's choices in QSettings

    // The query the form describes (text, image, weight, k, video score, filter); no library or model.
    ml::SearchRequest request() const;
    ml::SearchFilter filter() const;
    QString text() const;
    void setText(const QString &text);
    QString imageQuery() const { return m_image; }
    void setImageQuery(const QString &path); // empty: none
    QString libraryText() const;             // as typed
    bool keepUpdated() const;
    ModelPicker *modelPicker() const { return m_picker; }
    QTabWidget *tabs() const { return m_tabs; }

    // The folder filter's choices: folders (clean, absolute), shown under the indexed roots' names.
    void setFolderChoices(QStringList folders, const QStringList &roots);
    void refresh();    // the controller's state: busy buttons, state lines, message
    void showHealth(); // the controller's last index run's embedding health
    void retranslate();
    // The first local image file among dropped urls; empty when there is none.
    static QString droppedImage(const QMimeData *mime);

Q_SIGNALS:
    void searchRequested();
    void useSelectedImageRequested();
    void imageDropped(const QString &path);
    void filtersChanged();
    void indexGalleryRequested();
    void addFolderRequested(const QString &folder);
    void reindexRequested();
    void cancelRequested();
    void libraryChanged();
    void keepUpdatedChanged(bool on);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override; // drops on the query box

private:
    QWidget *buildSearchTab();
    QGroupBox *buildQueryGroup(QWidget *parent);
    QGroupBox *buildFilterGroup(QWidget *parent);
    QWidget *buildLibraryTab();
    QFrame *buildHealthBanner(QWidget *parent);
    void connectForm();
    void restoreSettings();
    void saveSettings() const;
    void updateImageLabel();

    EngineBridge *m_bridge;
    SearchController *m_controller;
    QLabel *m_message;
    QTabWidget *m_tabs;

    QGroupBox *m_queryGroup, *m_filterGroup;
    QLabel *m_queryLabel, *m_kLabel, *m_aggregateLabel, *m_imageLabel, *m_weightLabel;
    QLineEdit *m_query;
    QPushButton *m_search;
    QSpinBox *m_k;
    QComboBox *m_aggregate;
    QPushButton *m_useImage;
    QToolButton *m_clearImage;
    QLabel *m_imageName;
    QSlider *m_weight;
    QLabel *m_weightValue;
    QLabel *m_kindLabel, *m_folderLabel, *m_dateLabel;
    QComboBox *m_kind, *m_folder;
    QCheckBox *m_anyDate;
    QDateEdit *m_from, *m_to;
    QString m_image;
    QString m_savedFolder; // the folder filter restored from the settings, until it is listed

    QFormLayout *m_libraryForm;
    QLabel *m_modelLabel, *m_libraryLabel;
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
};
