// Near-duplicate groups drawn by one delegate from the shared ThumbnailStore; rows grow with the
// number of lines their tiles need at the view's width.
#include "search/duplicates_view.h"

#include "search/search_results_view.h"

#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QStyledItemDelegate>

#include <algorithm>

namespace {

constexpr int kPad = 4;

class GroupDelegate : public QStyledItemDelegate {
public:
    explicit GroupDelegate(DuplicatesView *view) : QStyledItemDelegate(view), m_view(view) { }

    QSize sizeHint(const QStyleOptionViewItem &, const QModelIndex &index) const override
    {
        const int n = static_cast<int>(m_view->groupsModel()->group(index.row()).size());
        const int lines = (n + m_view->tilesPerLine() - 1) / m_view->tilesPerLine();
        return {m_view->tilesPerLine() * m_view->tileSize().width() + 2 * kPad,
            m_view->headerHeight() + lines * m_view->tileSize().height() + kPad};
    }

    void paint(QPainter *p, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        const auto &group = m_view->groupsModel()->group(index.row());
        ThumbnailStore *store = m_view->groupsModel()->store();
        p->save();
        if (index.row() > 0) { // a rule between groups
            p->setPen(QPen(option.palette.color(QPalette::Mid), 1.0));
            p->drawLine(option.rect.topLeft() + QPoint(kPad, 0), option.rect.topRight() - QPoint(kPad, 0));
        }
        p->setFont(option.font);
        p->setPen(option.palette.color(QPalette::Text));
        p->drawText(option.rect.adjusted(kPad, kPad, -kPad, 0), Qt::AlignLeft | Qt::AlignTop,
            index.data(Qt::DisplayRole).toString());
        p->restore();
        const auto hover = m_view->hoveredTile();
        const QLocale locale;
        for (int i = 0; i < static_cast<int>(group.size()); ++i) {
            const DuplicateTile &t = group[static_cast<std::size_t>(i)];
            const QImage image = store->image(t.path);
            QString detail
                = i == 0 ? DuplicatesView::tr("first") : locale.toString(static_cast<double>(t.score), 'f', 3);
            if (i > 0 && t.hashDistance >= 0)
                detail = DuplicatesView::tr("%1 · %n bit(s)", nullptr, t.hashDistance).arg(detail);
            SearchTileDelegate::paintTile(p, m_view->tileRect(option.rect, i), DuplicatesView::kThumbBox,
                option.palette, option.font, false, hover == std::make_pair(index.row(), i), image,
                image.isNull() && !store->failed(t.path), t.video, t.path.mid(t.path.lastIndexOf(QLatin1Char('/')) + 1),
                detail, {}, {}, SearchTileDelegate::nameLines());
        }
    }

private:
    DuplicatesView *m_view;
};

} // namespace

DuplicateGroupsModel::DuplicateGroupsModel(ThumbnailStore *store, QObject *parent)
    : QAbstractListModel(parent)
    , m_store(store)
{
    connect(m_store, &ThumbnailStore::updated, this, [this](const QString &path) {
        for (int row = 0; row < rowCount(); ++row)
            for (const DuplicateTile &t : group(row))
                if (t.path == path) {
                    Q_EMIT dataChanged(index(row), index(row));
                    break;
                }
    });
}

void DuplicateGroupsModel::setGroups(std::vector<std::vector<DuplicateTile>> groups)
{
    beginResetModel();
    m_groups = std::move(groups);
    endResetModel();
    for (const auto &g : m_groups)
        for (const DuplicateTile &t : g)
            m_store->request(t.path, t.video);
}

int DuplicateGroupsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_groups.size());
}

QVariant DuplicateGroupsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto &g = group(index.row());
    if (role == Qt::DisplayRole) {
        float lowest = 1.0f;
        int farthest = -1;
        for (const DuplicateTile &t : g) {
            lowest = std::min(lowest, t.score);
            farthest = std::max(farthest, t.hashDistance);
        }
        const QString similarity = QLocale().toString(static_cast<double>(lowest), 'f', 3);
        return farthest >= 0
            ? DuplicatesView::tr(
                "%n file(s), similarity ≥ %1, pictures ≤ %2 bits apart", nullptr, static_cast<int>(g.size()))
                  .arg(similarity)
                  .arg(farthest)
            : DuplicatesView::tr("%n file(s), similarity ≥ %1", nullptr, static_cast<int>(g.size())).arg(similarity);
    }
    if (role == Qt::ToolTipRole) {
        QStringList lines;
        for (std::size_t i = 0; i < g.size(); ++i) {
            const DuplicateTile &t = g[i];
            lines << (i == 0 || t.hashDistance < 0
                    ? t.path
                    : DuplicatesView::tr(
                        "%1 (similarity %2, perceptual hash %n bit(s) from the first)", nullptr, t.hashDistance)
                          .arg(t.path, QLocale().toString(static_cast<double>(t.score), 'f', 3)));
        }
        return lines.join(QLatin1Char('\n'));
    }
    return {};
}

DuplicatesView::DuplicatesView(ThumbnailStore *store, QWidget *parent)
    : QListView(parent)
    , m_model(new DuplicateGroupsModel(store, this))
{
    setObjectName(QStringLiteral("duplicatesView"));
    setModel(m_model);
    setItemDelegate(new GroupDelegate(this));
    setSelectionMode(QAbstractItemView::NoSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setResizeMode(QListView::Adjust);
    setMouseTracking(true);
    m_perLine = tilesPerLine();
}

QSize DuplicatesView::tileSize() const
{
    return {kThumbBox.width() + 16, kThumbBox.height() + 20 + SearchTileDelegate::textLines() * fontMetrics().height()};
}

int DuplicatesView::headerHeight() const
{
    return fontMetrics().height() + 2 * kPad;
}

int DuplicatesView::tilesPerLine() const
{
    return std::max(1, (viewport()->width() - 2 * kPad) / tileSize().width());
}

QRect DuplicatesView::tileRect(const QRect &rowRect, int file) const
{
    const int per = tilesPerLine();
    const QSize t = tileSize();
    return {rowRect.left() + kPad + (file % per) * t.width(),
        rowRect.top() + headerHeight() + (file / per) * t.height(), t.width(), t.height()};
}

std::pair<int, int> DuplicatesView::tileAt(const QPoint &pos) const
{
    const QModelIndex index = indexAt(pos);
    if (!index.isValid())
        return {-1, -1};
    const QRect row = visualRect(index);
    const int n = static_cast<int>(m_model->group(index.row()).size());
    for (int i = 0; i < n; ++i)
        if (tileRect(row, i).contains(pos))
            return {index.row(), i};
    return {-1, -1};
}

void DuplicatesView::resizeEvent(QResizeEvent *event)
{
    QListView::resizeEvent(event);
    if (const int per = tilesPerLine(); per != m_perLine) {
        m_perLine = per;
        scheduleDelayedItemsLayout(); // rows change height with the number of lines
    }
}

void DuplicatesView::mouseMoveEvent(QMouseEvent *event)
{
    const auto tile = tileAt(event->position().toPoint());
    if (tile != m_hover) {
        m_hover = tile;
        setCursor(tile.first >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
        viewport()->update();
    }
    QListView::mouseMoveEvent(event);
}

void DuplicatesView::leaveEvent(QEvent *event)
{
    m_hover = {-1, -1};
    viewport()->update();
    QListView::leaveEvent(event);
}

void DuplicatesView::mouseReleaseEvent(QMouseEvent *event)
{
    QListView::mouseReleaseEvent(event);
    if (event->button() != Qt::LeftButton)
        return;
    const auto [row, file] = tileAt(event->position().toPoint());
    if (row >= 0)
        Q_EMIT openRequested(m_model->group(row)[static_cast<std::size_t>(file)].path);
}
