// GalleryWidget: wires the filter bar to the proxy and scan jobs to the model; keeps the session.
#include "gallery/gallery_widget.h"

#include "common/engine_bridge.h"
#include "gallery/folder_scanner.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

const QString kPathsKey = QStringLiteral("gallery/paths");
const QString kNameFilterKey = QStringLiteral("gallery/nameFilter");
const QString kKindKey = QStringLiteral("gallery/kind");
const QString kSortKey = QStringLiteral("gallery/sort");
const QString kDescendingKey = QStringLiteral("gallery/descending");
const QString kCurrentKey = QStringLiteral("gallery/current");

QString absolutePath(const QString &path)
{
    return QDir::cleanPath(QFileInfo(path).absoluteFilePath());
}

} // namespace

GalleryWidget::GalleryWidget(EngineBridge *bridge, QWidget *parent, const QString &cacheDir)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_model(new GalleryModel(this, cacheDir, GalleryView::kThumbBox))
    , m_proxy(new GalleryFilterModel(m_model, this))
    , m_view(new GalleryView(this))
    , m_filter(new QLineEdit(this))
    , m_kind(new QComboBox(this))
    , m_sort(new QComboBox(this))
    , m_order(new QToolButton(this))
    , m_count(new QLabel(this))
{
    m_view->setGalleryModel(m_proxy);
    m_filter->setClearButtonEnabled(true);
    m_filter->setMinimumWidth(220);
    m_order->setCheckable(true);
    m_order->setAutoRaise(true);
    m_count->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_count->setMinimumWidth(120);
    m_kind->addItems({QString(), QString(), QString()});
    m_sort->addItems({QString(), QString(), QString()});

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(10, 8, 10, 8);
    bar->setSpacing(8);
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_kind);
    bar->addSpacing(8);
    bar->addWidget(m_sort);
    bar->addWidget(m_order);
    bar->addWidget(m_count);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    connect(m_filter, &QLineEdit::textChanged, m_proxy, &GalleryFilterModel::setNameFilter);
    connect(m_kind, &QComboBox::currentIndexChanged, this,
        [this](int i) { m_proxy->setKindFilter(static_cast<GalleryFilterModel::KindFilter>(i)); });
    connect(m_sort, &QComboBox::currentIndexChanged, this, &GalleryWidget::applySort);
    connect(m_order, &QToolButton::toggled, this, &GalleryWidget::applySort);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_proxy, signal, this, &GalleryWidget::updateCount);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &GalleryWidget::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &GalleryWidget::updateCount);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_model, signal, this, &GalleryWidget::placeEmptyButton);
    connect(m_model, &QAbstractItemModel::modelReset, this, &GalleryWidget::placeEmptyButton);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
        [this](const QModelIndex &current) { Q_EMIT currentChanged(current.data(GalleryModel::PathRole).toString()); });

    m_saveTimer = new QTimer(this);
    m_saveTimer->setSingleShot(true);
    m_saveTimer->setInterval(300);
    connect(m_saveTimer, &QTimer::timeout, this, &GalleryWidget::saveState);
    const auto saveSoon = [this] {
        if (!m_loadingState)
            m_saveTimer->start();
    };
    connect(m_filter, &QLineEdit::textChanged, this, saveSoon);
    connect(m_kind, &QComboBox::currentIndexChanged, this, saveSoon);
    connect(m_sort, &QComboBox::currentIndexChanged, this, saveSoon);
    connect(m_order, &QToolButton::toggled, this, saveSoon);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, saveSoon);

    connect(m_bridge, &EngineBridge::partial, this, [this](quint64 id, const QString &kind, const QVariant &value) {
        if (!m_scanJobs.contains(id))
            return;
        if (kind == FolderScanner::kMissingKind) {
            m_missing[id] << value.toString();
            m_roots.removeAll(absolutePath(value.toString())); // not saved for the next session
            m_saveTimer->start();
        } else if (kind == FolderScanner::kPartialKind) {
            m_added[id] += m_model->addEntries(value.value<QList<GalleryModel::Entry>>());
            selectRestoredCurrent();
        }
    });
    connect(m_bridge, &EngineBridge::finished, this,
        [this](quint64 id, bool, const QString &, bool, const QVariant &value) {
            if (!m_scanJobs.remove(id))
                return;
            const bool restored = id == m_restoreJob;
            if (restored) {
                m_restoreJob = 0;
                m_restoreCurrent.clear(); // gone since, or filtered out
            }
            const QStringList missing = m_missing.take(id);
            Q_EMIT scanFinished(value.toInt(), m_added.take(id), restored);
            if (!missing.isEmpty())
                Q_EMIT missingPaths(missing, restored);
        });

    retranslate();
    applySort();
}

quint64 GalleryWidget::addPaths(const QStringList &paths)
{
    if (paths.isEmpty())
        return 0;
    return scan(paths,
        paths.size() == 1 ? tr("Scanning %1").arg(QFileInfo(paths.first()).fileName())
                          : tr("Scanning %n items", nullptr, static_cast<int>(paths.size())));
}

quint64 GalleryWidget::scan(const QStringList &paths, const QString &name)
{
    for (const QString &p : paths)
        if (const QString path = absolutePath(p); !m_roots.contains(path))
            m_roots << path;
    const quint64 id = m_bridge->submit(
        name, [paths](ml::JobContext &ctx) { return FolderScanner::run(paths, ctx); }, ml::Lane::Io);
    m_scanJobs.insert(id);
    if (!m_loadingState)
        m_saveTimer->start();
    return id;
}

void GalleryWidget::saveState() const
{
    QSettings s;
    s.setValue(kPathsKey, m_roots);
    s.setValue(kNameFilterKey, m_filter->text());
    s.setValue(kKindKey, m_kind->currentIndex());
    s.setValue(kSortKey, m_sort->currentIndex());
    s.setValue(kDescendingKey, m_order->isChecked());
    const QString current = m_view->currentIndex().data(GalleryModel::PathRole).toString();
    s.setValue(kCurrentKey, current.isEmpty() ? m_restoreCurrent : current);
}

quint64 GalleryWidget::restoreState()
{
    const QSettings s;
    m_loadingState = true; // the saved session stays as it is while the bar is set from it
    m_filter->setText(s.value(kNameFilterKey).toString());
    m_kind->setCurrentIndex(std::clamp(s.value(kKindKey, 0).toInt(), 0, m_kind->count() - 1));
    m_sort->setCurrentIndex(std::clamp(s.value(kSortKey, 0).toInt(), 0, m_sort->count() - 1));
    m_order->setChecked(s.value(kDescendingKey, false).toBool());
    const QStringList paths = s.value(kPathsKey).toStringList();
    m_restoreCurrent = s.value(kCurrentKey).toString();
    if (!paths.isEmpty())
        m_restoreJob = scan(paths, tr("Restoring the gallery"));
    m_loadingState = false;
    return m_restoreJob;
}

void GalleryWidget::selectRestoredCurrent()
{
    if (m_restoreCurrent.isEmpty())
        return;
    const int row = m_model->rowOf(m_restoreCurrent);
    if (row < 0)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row));
    if (index.isValid() && !m_view->currentIndex().isValid()) {
        m_view->setCurrentIndex(index);
        m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
    }
    m_restoreCurrent.clear();
}

void GalleryWidget::setEmptyAction(QAction *action)
{
    if (!m_emptyButton) {
        m_emptyButton = new QToolButton(m_view->viewport());
        m_emptyButton->setObjectName(QStringLiteral("emptyActionButton"));
        m_emptyButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        m_emptyButton->setCursor(Qt::PointingHandCursor);
        m_emptyButton->setMinimumHeight(34);
        m_view->viewport()->installEventFilter(this);
    }
    m_emptyButton->setDefaultAction(action);
    connect(action, &QAction::changed, this, &GalleryWidget::placeEmptyButton); // new text, new width
    placeEmptyButton();
}

bool GalleryWidget::eventFilter(QObject *watched, QEvent *event)
{
    if (m_emptyButton && watched == m_view->viewport() && event->type() == QEvent::Resize)
        placeEmptyButton();
    return QWidget::eventFilter(watched, event);
}

void GalleryWidget::placeEmptyButton()
{
    if (!m_emptyButton)
        return;
    m_emptyButton->setVisible(m_model->rowCount() == 0);
    // Under the hint text, laid out as GalleryView::paintEvent draws it: the title 64 px below a
    // point 40 px above the centre, the hint (at most 60 px) 6 px below the title.
    const QRect area = m_view->viewport()->rect();
    QFont title = m_view->font();
    title.setPointSizeF(title.pointSizeF() * 1.5);
    title.setBold(true);
    const int hint = std::min(60,
        m_view->fontMetrics()
            .boundingRect(QRect(0, 0, area.width() - 40, 60), Qt::AlignHCenter | Qt::TextWordWrap, m_emptyHint)
            .height());
    const int top = area.center().y() - 40 + 64 + QFontMetrics(title).height() + 4 + 6 + hint + 14;
    const QSize size = m_emptyButton->sizeHint().expandedTo(QSize(0, m_emptyButton->minimumHeight()));
    m_emptyButton->setGeometry(area.center().x() - size.width() / 2, top, size.width(), size.height());
}

void GalleryWidget::clear()
{
    // Forget the scans too: batches they already queued must not refill the gallery.
    for (quint64 id : std::as_const(m_scanJobs))
        m_bridge->cancel(id);
    m_scanJobs.clear();
    m_added.clear();
    m_missing.clear();
    m_roots.clear();
    m_restoreJob = 0;
    m_restoreCurrent.clear();
    m_model->clear();
    m_saveTimer->start();
}

void GalleryWidget::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void GalleryWidget::retranslate()
{
    m_filter->setPlaceholderText(tr("Filter by name…"));
    m_kind->setItemText(0, tr("All media"));
    m_kind->setItemText(1, tr("Photos"));
    m_kind->setItemText(2, tr("Videos"));
    m_kind->setToolTip(tr("Show photos, videos or both"));
    m_sort->setItemText(0, tr("Sort by name"));
    m_sort->setItemText(1, tr("Sort by date"));
    m_sort->setItemText(2, tr("Sort by size"));
    m_order->setToolTip(tr("Reverse the sort order"));
    m_emptyHint = tr("Drag files or whole folders onto this window, or use File ▸ Open Folder…");
    m_view->setEmptyText(tr("Drop photos and videos here"), m_emptyHint);
    updateCount();
    placeEmptyButton();
}

void GalleryWidget::applySort()
{
    m_order->setText(m_order->isChecked() ? QStringLiteral("↓") : QStringLiteral("↑"));
    m_proxy->setSortKey(static_cast<GalleryFilterModel::SortKey>(m_sort->currentIndex()),
        m_order->isChecked() ? Qt::DescendingOrder : Qt::AscendingOrder);
}

void GalleryWidget::updateCount()
{
    const int shown = m_proxy->rowCount(), total = m_model->rowCount();
    if (shown != total)
        m_count->setText(tr("%1 of %n items", nullptr, total).arg(shown));
    else
        m_count->setText(total == 1 ? tr("1 item") : tr("%n items", nullptr, total));
}
