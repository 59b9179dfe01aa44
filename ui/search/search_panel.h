// SearchPanel: the media library from the GUI, one page of the workspace. Its side panel indexes
// the gallery's folders (or a chosen one) into a library with a CLIP model and asks by text and/or
// an image (the gallery's selection, a dropped file, or "Find similar"), filtered by kind, folder and
// date. The main view holds the hits as a grid (video hits at their best moment) or the
// near-duplicate groups, beside a preview of the hit opened (a video plays from its moment, its
// similarity over time under it). The indexed folders are watched and re-indexed when they change;
// "Why did this match?" draws the text query's relevance map over each hit and in the preview.
// The jobs and state are the SearchController's; this shell builds the pages and wires them.
#pragma once

#include <QWidget>

class EngineBridge;
class FeatureLayout;
class GalleryWidget;
class PreviewPane;
class QSplitter;
class QTabWidget;
class SearchController;
class SearchDuplicatesPage;
class SearchResultsPage;
class SearchSidePanel;
class SimilarityStrip;

class SearchPanel : public QWidget {
    Q_OBJECT
public:
    enum Pages { ResultsPage, DuplicatesPage }; // the main view's tabs

    // thumbnailCacheDir empty: the thumbnail cache under QStandardPaths::CacheLocation.
    explicit SearchPanel(EngineBridge *bridge, QWidget *parent = nullptr, const QString &thumbnailCacheDir = {});
    ~SearchPanel() override;

    // The gallery: its selection can be the image query, its folders indexed and offered as filters.
    void setGallery(GalleryWidget *gallery);
    SearchController *controller() const { return m_controller; }

    // "Find similar": path becomes the only query (the text is cleared) and is searched; the job's
    // id, or 0 (and the controller's message says why).
    quint64 findSimilar(const QString &path);
    // The form's query searched: the job's id, or 0.
    quint64 search();
    quint64 indexGalleryFolders();
    quint64 findDuplicates(); // at the threshold of the near-duplicates page, with the form's filters
    // The gallery's current image becomes the image query; false when it has none.
    bool useSelectedImage();

Q_SIGNALS:
    // A hit to show; timeS >= 0: a video to play from that moment. The panel's own preview shows it
    // too: the main window only selects the file.
    void openRequested(const QString &path, double timeS);

protected:
    void changeEvent(QEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    QWidget *buildMainView();
    QWidget *buildPreviewColumn();
    void connectSidePanel();
    void connectController();
    void retranslate();
    void refresh(); // every page from the controller's state
    void updateFolderChoices();
    QStringList galleryFolders() const;
    void showInPreview(const QString &path, double timeS);
    void setImageQueryAndSearch(const QString &path);

    EngineBridge *m_bridge;
    SearchController *m_controller;
    GalleryWidget *m_gallery = nullptr;
    FeatureLayout *m_layout;
    SearchSidePanel *m_side;
    QSplitter *m_mainSplitter = nullptr;
    QTabWidget *m_pages = nullptr;
    SearchResultsPage *m_results = nullptr;
    SearchDuplicatesPage *m_duplicates = nullptr;
    PreviewPane *m_preview = nullptr;
    SimilarityStrip *m_strip = nullptr;
};
