// GalleryFilterModel: comparisons fall back to the path so equal keys keep a stable order.
#include "gallery/gallery_filter_model.h"

#include "gallery/gallery_model.h"

GalleryFilterModel::GalleryFilterModel(GalleryModel *source, QObject *parent)
    : QSortFilterProxyModel(parent)
    , m_source(source)
{
    setSourceModel(source);
    setDynamicSortFilter(true);
    sort(0, Qt::AscendingOrder);
}

void GalleryFilterModel::setNameFilter(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_name)
        return;
    m_name = trimmed;
    invalidateRowsFilter();
}

void GalleryFilterModel::setKindFilter(KindFilter kind)
{
    if (kind == m_kind)
        return;
    m_kind = kind;
    invalidateRowsFilter();
}

void GalleryFilterModel::setSortKey(SortKey key, Qt::SortOrder order)
{
    m_sortKey = key;
    invalidate();
    sort(0, order);
}

bool GalleryFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &) const
{
    const GalleryModel::Item &it = m_source->item(sourceRow);
    if (m_kind == KindFilter::Images && it.kind != ml::io::MediaKind::Image)
        return false;
    if (m_kind == KindFilter::Videos && it.kind != ml::io::MediaKind::Video)
        return false;
    return m_name.isEmpty() || it.name.contains(m_name, Qt::CaseInsensitive);
}

bool GalleryFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const GalleryModel::Item &a = m_source->item(left.row());
    const GalleryModel::Item &b = m_source->item(right.row());
    switch (m_sortKey) {
    case SortKey::Date:
        if (a.modifiedMs != b.modifiedMs)
            return a.modifiedMs < b.modifiedMs;
        break;
    case SortKey::Size:
        if (a.size != b.size)
            return a.size < b.size;
        break;
    case SortKey::Name:
        if (const int c = a.name.compare(b.name, Qt::CaseInsensitive); c != 0)
            return c < 0;
        break;
    }
    return a.path < b.path;
}
