// DuplicatesView: near-duplicate groups (ml::DuplicatesResult), one row per group: a header with
// its size, lowest similarity and largest picture difference, then its files as thumbnail tiles
// (wrapping to the width) with each file's vector similarity to the group's first and how many bits
// of their perceptual hashes differ. Clicking a tile asks to open that file.
#pragma once

#include <QAbstractListModel>
#include <QListView>

#include <vector>

class ThumbnailStore;

struct DuplicateTile {
    QString path;
    bool video = false;
    float score = 1.0f;    // the cosine of its vector with the group's first file's
    int hashDistance = -1; // bits of the perceptual hashes that differ from the first's; -1: not compared
};

class DuplicateGroupsModel : public QAbstractListModel {
    Q_OBJECT
public:
    explicit DuplicateGroupsModel(ThumbnailStore *store, QObject *parent = nullptr);

    void setGroups(std::vector<std::vector<DuplicateTile>> groups); // thumbnails asked for at once
    const std::vector<DuplicateTile> &group(int row) const { return m_groups[static_cast<std::size_t>(row)]; }
    ThumbnailStore *store() const { return m_store; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    ThumbnailStore *m_store;
    std::vector<std::vector<DuplicateTile>> m_groups;
};

class DuplicatesView : public QListView {
    Q_OBJECT
public:
    static constexpr QSize kThumbBox {96, 72};

    explicit DuplicatesView(ThumbnailStore *store, QWidget *parent = nullptr);
    DuplicateGroupsModel *groupsModel() const { return m_model; }

    // Where a group's files are laid out (for the delegate and hit tests).
    QSize tileSize() const;
    int headerHeight() const;
    int tilesPerLine() const;
    QRect tileRect(const QRect &rowRect, int file) const;
    // The tile under a viewport point: {group row, file} or {-1, -1}.
    std::pair<int, int> tileAt(const QPoint &pos) const;
    std::pair<int, int> hoveredTile() const { return m_hover; }

Q_SIGNALS:
    void openRequested(const QString &path);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    DuplicateGroupsModel *m_model;
    std::pair<int, int> m_hover {-1, -1};
    int m_perLine = 0;
};
