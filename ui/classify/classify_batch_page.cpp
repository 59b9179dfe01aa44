// ClassifyBatchPage: a view on ClassifyController's batch table model, sorted through a proxy
// (arrival order until the user sorts).
#include "classify/classify_batch_page.h"

#include "classify/classify_controller.h"
#include "classify/classify_table_model.h"
#include "common/panel_widgets.h"

#include <QAction>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QStyle>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

ClassifyBatchPage::ClassifyBatchPage(ClassifyController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_title(new QLabel(this))
    , m_export(new QToolButton(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_view(new QTableView(this))
    , m_summary(dimLabel(this))
{
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_export->setObjectName(QStringLiteral("batchExport"));
    m_export->setPopupMode(QToolButton::InstantPopup);
    m_export->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_export->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    auto *menu = new QMenu(m_export);
    m_exportCsv = menu->addAction(QString());
    m_exportJson = menu->addAction(QString());
    m_export->setMenu(menu);
    m_summary->setObjectName(QStringLiteral("batchSummary"));

    m_proxy->setSourceModel(m_controller->batchModel());
    m_proxy->setSortRole(ClassifyTableModel::SortRole);
    m_proxy->setDynamicSortFilter(true);
    m_view->setObjectName(QStringLiteral("batchTable"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(-1, Qt::AscendingOrder); // arrival order until the user sorts
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    QHeaderView *header = m_view->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setSectionResizeMode(ClassifyTableModel::FileColumn, QHeaderView::Stretch);
    header->setHighlightSections(false);
    for (int c : {ClassifyTableModel::TopProbColumn, ClassifyTableModel::SecondProbColumn})
        m_view->setColumnWidth(c, 72);
    for (int c : {ClassifyTableModel::TopLabelColumn, ClassifyTableModel::SecondLabelColumn})
        m_view->setColumnWidth(c, 150);

    auto *row = new QHBoxLayout;
    row->addWidget(m_title);
    row->addStretch(1);
    row->addWidget(m_export);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->setSpacing(6);
    layout->addLayout(row);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_summary);

    connect(m_exportCsv, &QAction::triggered, this, [this] { exportDialog(false); });
    connect(m_exportJson, &QAction::triggered, this, [this] { exportDialog(true); });
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        Q_EMIT fileActivated(index.data(ClassifyTableModel::PathRole).toString());
    });
    connect(m_controller, &ClassifyController::batchChanged, this, &ClassifyBatchPage::updateSummary);
    connect(m_controller, &ClassifyController::batchStarted, this, [this] {
        m_view->sortByColumn(-1, Qt::AscendingOrder);
        m_proxy->sort(-1);
    });
    retranslate();
}

void ClassifyBatchPage::updateSummary()
{
    m_export->setEnabled(m_controller->batchModel()->rowCount() > 0 && !m_controller->isBatchRunning());
    m_summary->setText(m_controller->batchSummary());
}

void ClassifyBatchPage::exportDialog(bool json)
{
    const QString suffix = json ? QStringLiteral("json") : QStringLiteral("csv");
    QString path = QFileDialog::getSaveFileName(this, json ? tr("Export JSON") : tr("Export CSV"),
        ClassifyController::dialogStart(QStandardPaths::DocumentsLocation) + QStringLiteral("/classify.") + suffix,
        json ? tr("JSON files (*.json)") : tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    ClassifyController::rememberDialogFolder(QFileInfo(path).absolutePath());
    m_controller->exportBatch(path, json);
}

void ClassifyBatchPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ClassifyBatchPage::retranslate()
{
    m_title->setText(tr("Batch results"));
    m_export->setText(tr("Export"));
    m_exportCsv->setText(tr("Export CSV…"));
    m_exportJson->setText(tr("Export JSON…"));
    updateSummary();
}
