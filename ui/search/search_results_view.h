// The Search panel's hits as a streaming thumbnail grid. ThumbnailStore keeps one thumbnail per
// path (a video hit's: its frame at the best moment), made by a ThumbnailLoader on its pool
// (through the on-disk cache); SearchResultsModel lists the hits at once and each tile fills in
// when its thumbnail arrives; SearchResultsView draws them as tiles with the score, the kind and a
// video's best moment under the picture, and, when the panel's "Why did this match?" is on, the
// hit's relevance map over it.
#pragma once

#include <QAbstractListModel>
#include <QHash>
#include <QImage>
#include <QListView>
#include <QSet>
#include <QSize>
#include <QStyledItemDelegate>

#include <vector>

class QAction;
class ThumbnailLoader;
struct ThumbnailResult;

// A moment in a clip to a tenth of a second: "2.4 s", from a minute on "1:02.4".
QString formatMoment(double s);

class ThumbnailStore : public QObject {
    Q_OBJECT
public:
    // cacheDir: ml::io::ThumbnailCache's folder (the gallery's); tile: the largest size drawn.
    ThumbnailStore(const QString &cacheDir, QSize tile, QObject *parent = nullptr);
    ~ThumbnailStore() override;

    // Asks for path's thumbnail (once); updated(path) says when it is there (or failed). timeS >= 0:
    // a video's frame at that time (kept apart from its poster frame, timeS < 0).
    void request(const QString &path, bool video, double timeS = -1.0);
    QImage image(const QString &path, double timeS = -1.0) const; // null while loading or when it failed
    bool failed(const QString &path, double timeS = -1.0) const { return m_failed.contains(keyOf(path, timeS)); }
    bool isLoading(const QString &path, double timeS = -1.0) const;
    int pendingCount() const;
    ThumbnailLoader *loader() const { return m_loader; }

Q_SIGNALS:
    void updated(const QString &path);

private:
    static QString keyOf(const QString &path, double timeS); // the path, or path + the time in ms
    void onReady(const QList<ThumbnailResult> &results);

    ThumbnailLoader *m_loader;
    QHash<QString, int> m_keys;      // keyOf() -> the loader's key (its index in m_paths)
    QList<QString> m_paths;          // the file of each loader key
    QList<QString> m_keyNames;       // keyOf() of each loader key
    QHash<QString, QImage> m_images; // by keyOf()
    QSet<QString> m_failed;
};

// One hit of a search.
struct SearchTile {
    QString path;
    bool video = false;
    float score = 0.0f;
    double bestS = -1.0; // videos: the best moment, whose frame is the tile's thumbnail
    // "Why did this match?": the query's relevance over the hit (gridH x gridW, unscaled), its
    // colours (drawn over the centre square of the picture) and, for a video, the frame explained.
    std::vector<float> relevance;
    int gridH = 0, gridW = 0;
    QImage heat;
    QImage frame;
};

class SearchResultsModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        PathRole = Qt::UserRole + 1,
        ResultRole,
        VideoRole,
        ScoreRole,
        BestRole,
        ThumbnailRole,
        LoadingRole,
        HeatRole,  // QImage: the relevance overlay (null: none)
        FrameRole, // QImage: a video's explained frame, drawn instead of its thumbnail
    };

    explicit SearchResultsModel(ThumbnailStore *store, QObject *parent = nullptr);

    // Replaces the hits; their thumbnails are asked for at once, best first.
    void setTiles(std::vector<SearchTile> tiles);
    void clear() { setTiles({}); }
    const SearchTile &tile(int row) const { return m_tiles[static_cast<std::size_t>(row)]; }
    int thumbnailsShown() const; // tiles whose thumbnail has arrived
    // The relevance map of row's hit, heat its colours; frame: a video's explained frame.
    void setRelevance(int row, std::vector<float> values, int gridH, int gridW, QImage heat, QImage frame = {});
    void clearRelevance();
    int overlaysShown() const; // tiles with a relevance overlay

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    void onUpdated(const QString &path);

    ThumbnailStore *m_store;
    std::vector<SearchTile> m_tiles;
};

// A tile: the thumbnail (or a placeholder while it loads), the name, then the score, the kind and
// a video's best moment. Also used for the near-duplicate groups' files.
class SearchTileDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    SearchTileDelegate(QSize thumbBox, QObject *parent = nullptr);
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize thumbBox() const { return m_box; }

    // Paints one tile in rect: shared with the near-duplicate rows.
    // nameLines: the name wraps onto up to this many lines (elided in the middle only beyond them).
    static void paintTile(QPainter *p, const QRectF &rect, QSize box, const QPalette &palette, const QFont &font,
        bool selected, bool hovered, const QImage &image, bool loading, bool video, const QString &name,
        const QString &detail, const QString &badge = {}, const QImage &heat = {}, int nameLines = 1);
    static constexpr double kHeatOpacity = 0.5;
    static QString detailText(bool video, float score); // "0.312 · video"
    // A video's badge on its picture: "▶ 0:03.0" at the best moment, or "▶".
    static QString badgeText(double bestS);
    static int nameLines() { return 2; } // a grid tile's: long file names shown whole
    static int textLines() { return nameLines() + 1; }

private:
    QSize m_box;
};

class SearchResultsView : public QListView {
    Q_OBJECT
public:
    static constexpr QSize kThumbBox {160, 120}; // five to nine columns in the workspace's main view

    explicit SearchResultsView(QWidget *parent = nullptr);
    SearchTileDelegate *tileDelegate() const { return m_delegate; }
    // "Why did this match?": checkable, shared by the panel's button and the tiles' context menu.
    QAction *whyAction() const { return m_why; }
    QList<int> visibleRows() const; // the rows on screen, in order

Q_SIGNALS:
    void findSimilarRequested(const QString &path);
    void openRequested(int row);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override; // Enter opens the current hit

private:
    void updateGrid();

    SearchTileDelegate *m_delegate;
    QAction *m_why;
};
