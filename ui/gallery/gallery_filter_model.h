// GalleryFilterModel: the gallery as the user sees it: filtered by a name substring and by
// kind, sorted by name, date or size. Reads GalleryModel's items directly (no QVariant).
#pragma once

#include <QSortFilterProxyModel>

class GalleryModel;

class GalleryFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class KindFilter { All, Images, Videos };
    enum class SortKey { Name, Date, Size };

    explicit GalleryFilterModel(GalleryModel *source, QObject *parent = nullptr);

    GalleryModel *galleryModel() const { return m_source; }

    void setNameFilter(const QString &text);
    QString nameFilter() const { return m_name; }
    void setKindFilter(KindFilter kind);
    KindFilter kindFilter() const { return m_kind; }
    void setSortKey(SortKey key, Qt::SortOrder order = Qt::AscendingOrder);
    SortKey sortKey() const { return m_sortKey; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    GalleryModel *m_source;
    QString m_name;
    KindFilter m_kind = KindFilter::All;
    SortKey m_sortKey = SortKey::Name;
};
