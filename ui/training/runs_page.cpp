// The runs list and the checkpoints list, side by side, drawn from the controller's runs and
// checkpoints.
#include "training/runs_page.h"

#include "common/panel_widgets.h"
#include "training/training_controller.h"
#include "training/training_runs.h"

#include <QDesktopServices>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPainter>
#include <QPushButton>
#include <QStyle>
#include <QUrl>
#include <QVBoxLayout>

namespace {

QIcon swatch(const QColor &colour)
{
    QPixmap pixmap(12, 12);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    p.drawRoundedRect(QRectF(1, 1, 10, 10), 2, 2);
    return QIcon(pixmap);
}

} // namespace

RunsPage::RunsPage(TrainingController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("trainingRuns"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(12);
    layout->addWidget(createRunList(), 1);
    layout->addWidget(createCheckpointList(), 1);

    const TrainingRuns *runs = m_controller->runs();
    connect(runs, &TrainingRuns::runAdded, this, [this](int row) {
        m_runList->insertItem(row, new QListWidgetItem);
        updateRunItem(row);
    });
    connect(runs, &TrainingRuns::runChanged, this, &RunsPage::updateRunItem);
    connect(runs, &TrainingRuns::runRemoved, this, [this](int row, int) {
        delete m_runList->takeItem(row);
        updateButtons();
    });
    connect(m_controller, &TrainingController::runSelected, this, [this](int row) { m_runList->setCurrentRow(row); });
    connect(m_controller, &TrainingController::checkpointsChanged, this, &RunsPage::updateCheckpoints);
    connect(m_controller, &TrainingController::stateChanged, this, &RunsPage::updateButtons);
    retranslate();
}

QWidget *RunsPage::createRunList()
{
    auto *box = new QWidget(this);
    m_runsLabel = new QLabel(box);
    m_runList = new QListWidget(box);
    m_runList->setObjectName(QStringLiteral("runList"));
    m_addRun = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), QString(), box);
    m_removeRun = new QPushButton(box);
    m_removeRun->setObjectName(QStringLiteral("removeRun"));
    m_tensorBoard = dimLabel(box);
    m_tensorBoard->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_addRun);
    buttons->addWidget(m_removeRun);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_runsLabel);
    layout->addWidget(m_runList, 1);
    layout->addLayout(buttons);
    layout->addWidget(m_tensorBoard);

    connect(m_addRun, &QPushButton::clicked, this, &RunsPage::addRunRequested);
    connect(m_removeRun, &QPushButton::clicked, this, [this] {
        if (m_runList->currentRow() >= 0)
            m_controller->removeRun(m_runList->currentRow());
    });
    connect(m_runList, &QListWidget::currentRowChanged, this, [this](int row) {
        const TrainingRuns::Run *run = m_controller->runs()->at(row);
        m_tensorBoard->setText(run
                ? tr("In TensorBoard: %1")
                      .arg(QStringLiteral("tensorboard --logdir \"%1\"").arg(QDir::toNativeSeparators(run->folder)))
                : QString());
        updateButtons();
    });
    return box;
}

QWidget *RunsPage::createCheckpointList()
{
    auto *box = new QWidget(this);
    m_checkpointsLabel = new QLabel(box);
    m_checkpointList = new QListWidget(box);
    m_checkpointList->setObjectName(QStringLiteral("checkpointList"));
    m_openInClassify = new QPushButton(box);
    m_openInClassify->setObjectName(QStringLiteral("openCheckpointInClassify"));
    m_openInDiffusion = new QPushButton(box);
    m_openInDiffusion->setObjectName(QStringLiteral("openCheckpointInDiffusion"));
    m_openFolder = new QPushButton(style()->standardIcon(QStyle::SP_DirIcon), QString(), box);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_openInClassify);
    buttons->addWidget(m_openInDiffusion);
    buttons->addWidget(m_openFolder);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_checkpointsLabel);
    layout->addWidget(m_checkpointList, 1);
    layout->addLayout(buttons);

    connect(m_checkpointList, &QListWidget::currentRowChanged, this, &RunsPage::updateButtons);
    connect(m_checkpointList, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const int row = m_checkpointList->row(item);
        if (!m_controller->openInDiffusion(row))
            m_controller->openInClassify(row);
    });
    connect(m_openInClassify, &QPushButton::clicked, this,
        [this] { m_controller->openInClassify(m_checkpointList->currentRow()); });
    connect(m_openInDiffusion, &QPushButton::clicked, this,
        [this] { m_controller->openInDiffusion(m_checkpointList->currentRow()); });
    connect(m_openFolder, &QPushButton::clicked, this, [this] {
        const int row = m_checkpointList->currentRow();
        if (row >= 0 && row < m_controller->checkpointList().size())
            QDesktopServices::openUrl(QUrl::fromLocalFile(m_controller->checkpointList()[row].folder));
    });
    return box;
}

void RunsPage::updateRunItem(int row)
{
    const TrainingRuns::Run *run = m_controller->runs()->at(row);
    QListWidgetItem *item = m_runList->item(row);
    if (!run || !item)
        return;
    const QString step = QLocale().toString(run->lastStep);
    item->setText(
        run->live ? tr("%1 · step %2 · training").arg(run->name, step) : tr("%1 · step %2").arg(run->name, step));
    item->setIcon(swatch(run->colour));
    item->setToolTip(QDir::toNativeSeparators(run->folder));
}

void RunsPage::updateCheckpoints(int currentRow)
{
    const auto &checkpoints = m_controller->checkpointList();
    while (m_checkpointList->count() < checkpoints.size())
        new QListWidgetItem(style()->standardIcon(QStyle::SP_DriveHDIcon), QString(), m_checkpointList);
    for (int row = 0; row < checkpoints.size(); ++row) {
        const TrainingController::Checkpoint &c = checkpoints[row];
        QListWidgetItem *item = m_checkpointList->item(row);
        item->setText(tr("%1 · step %2 · saved %3")
                          .arg(QFileInfo(c.folder).fileName(), QLocale().toString(c.step),
                              QLocale().toString(c.saved, QLocale::ShortFormat)));
        item->setToolTip(QDir::toNativeSeparators(c.folder));
    }
    m_checkpointList->setCurrentRow(currentRow);
    updateButtons();
}

void RunsPage::updateButtons()
{
    const TrainingRuns::Run *run = m_controller->runs()->at(m_runList->currentRow());
    m_removeRun->setEnabled(run && !(run->live && m_controller->isRunning()));
    const int row = m_checkpointList->currentRow();
    const auto &checkpoints = m_controller->checkpointList();
    const bool has = row >= 0 && row < checkpoints.size();
    m_openInClassify->setEnabled(has && checkpoints[row].kind == ml::train::RunKind::Clip);
    m_openInDiffusion->setEnabled(has && checkpoints[row].kind == ml::train::RunKind::Ddpm);
    m_openFolder->setEnabled(has);
}

void RunsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void RunsPage::retranslate()
{
    m_runsLabel->setText(tr("Runs on the plots:"));
    m_addRun->setText(tr("Add run…"));
    m_removeRun->setText(tr("Remove"));
    m_removeRun->setToolTip(tr("Take the run off the plots (its folder stays on disk)"));
    m_checkpointsLabel->setText(tr("Checkpoints:"));
    m_openInClassify->setText(tr("Open in Classify"));
    m_openInClassify->setToolTip(tr("Classify with this checkpoint (double-click does the same)"));
    m_openInDiffusion->setText(tr("Open in Diffusion"));
    m_openInDiffusion->setToolTip(tr("Denoise step by step with this checkpoint (double-click does the same)"));
    m_openFolder->setText(tr("Show folder"));
    for (int row = 0; row < m_runList->count(); ++row)
        updateRunItem(row);
    updateCheckpoints(m_checkpointList->currentRow());
}
