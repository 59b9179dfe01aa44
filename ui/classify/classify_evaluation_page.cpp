// ClassifyEvaluationPage: shows ClassifyController's evaluation (ml::EvaluateResult) as it
// arrives; the matrix and the table are rebuilt once, when the job finishes.
#include "classify/classify_evaluation_page.h"

#include "classify/classify_controller.h"
#include "classify/confusion_cell_dialog.h"
#include "classify/confusion_matrix_view.h"
#include "common/format.h"

#include <QEvent>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

namespace {

constexpr int kSortRole = Qt::UserRole + 3;

QStandardItem *numberItem(const QString &text, double sortValue)
{
    auto *item = new QStandardItem(text);
    item->setData(sortValue, kSortRole);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    item->setEditable(false);
    return item;
}

} // namespace

ClassifyEvaluationPage::ClassifyEvaluationPage(ClassifyController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_summary(new QLabel(this))
    , m_confusion(new ConfusionMatrixView(this))
    , m_perClass(new QStandardItemModel(this))
    , m_perClassView(new QTableView(this))
{
    m_summary->setObjectName(QStringLiteral("evaluationSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    m_confusion->setObjectName(QStringLiteral("confusionMatrix"));
    m_confusion->setMinimumSize(260, 220);
    m_perClass->setSortRole(kSortRole);
    m_perClassView->setObjectName(QStringLiteral("perClassTable"));
    m_perClassView->setModel(m_perClass);
    m_perClassView->setSortingEnabled(true);
    m_perClassView->sortByColumn(-1, Qt::AscendingOrder);
    m_perClassView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_perClassView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_perClassView->setAlternatingRowColors(true);
    m_perClassView->verticalHeader()->hide();
    m_perClassView->verticalHeader()->setDefaultSectionSize(m_perClassView->fontMetrics().height() + 8);
    m_perClassView->horizontalHeader()->setHighlightSections(false);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_confusion);
    split->addWidget(m_perClassView);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    split->setSizes({640, 320});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->setSpacing(6);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    connect(m_confusion, &ConfusionMatrixView::cellClicked, this, &ClassifyEvaluationPage::openCell);
    connect(m_controller, &ClassifyController::evaluationStarted, this, [this] {
        m_confusion->clearMatrix();
        m_perClass->clear();
        showState();
    });
    connect(m_controller, &ClassifyController::evaluationProgress, this, &ClassifyEvaluationPage::showState);
    connect(m_controller, &ClassifyController::evaluationChanged, this, &ClassifyEvaluationPage::showEvaluation);
    showState();
}

void ClassifyEvaluationPage::showState()
{
    const QString folder = QFileInfo(m_controller->evaluationFolder()).fileName().toHtmlEscaped();
    if (m_controller->isEvaluating())
        m_summary->setText(m_controller->evaluationSeen() > 0
                ? tr("Evaluating %1… %n so far", nullptr, m_controller->evaluationSeen()).arg(folder)
                : tr("Evaluating %1…").arg(folder));
    else if (m_controller->evaluation())
        m_summary->setText(summaryHtml());
    else if (m_controller->evaluationFolder().isEmpty())
        m_summary->setText(tr("Pick a folder holding one sub-folder per class (e.g. cat/, dog/). Each "
                              "sub-folder’s name is its label."));
    else
        m_summary->clear(); // the evaluation failed: the message says why
}

QString ClassifyEvaluationPage::summaryHtml() const
{
    const ml::EvaluateResult &result = *m_controller->evaluation();
    int correct = 0, counted = 0, failed = 0;
    for (std::size_t t = 0; t < result.confusion.size(); ++t)
        for (std::size_t p = 0; p < result.confusion[t].size(); ++p) {
            counted += result.confusion[t][p];
            correct += t == p ? result.confusion[t][p] : 0;
        }
    for (const ml::ImageScores &s : result.images)
        failed += s.error.empty() ? 0 : 1;
    QString summary = tr("Accuracy <b>%1</b> · %2 of %3 images correct · %4 classes")
                          .arg(formatProbability(result.accuracy))
                          .arg(correct)
                          .arg(counted)
                          .arg(result.classes.size());
    if (failed > 0)
        summary += QStringLiteral(" · <span style=\"color:#f06a6a\">%1</span>")
                       .arg(tr("%n could not be read", nullptr, failed));
    if (result.logitScale > 0.0)
        summary += QStringLiteral(" · ") + tr("logit scale %1").arg(QLocale().toString(result.logitScale, 'f', 1));
    return summary
        + QStringLiteral("<br><span style=\"color:%1\">%2</span>")
              .arg(palette().color(QPalette::PlaceholderText).name(),
                  tr("Click a cell of the matrix to see its images."));
}

void ClassifyEvaluationPage::showEvaluation()
{
    showState();
    const auto &evaluation = m_controller->evaluation();
    if (!evaluation)
        return;
    const ml::EvaluateResult &result = *evaluation;
    QStringList classes;
    for (const std::string &c : result.classes)
        classes << QString::fromStdString(c);
    m_confusion->setMatrix(classes, result.confusion);

    m_perClass->clear();
    m_perClass->setHorizontalHeaderLabels({tr("Class"), tr("Images"), tr("Correct"), tr("Accuracy")});
    for (int t = 0; t < classes.size(); ++t) {
        const auto &row = result.confusion[static_cast<std::size_t>(t)];
        int images = 0;
        for (int v : row)
            images += v;
        const int hits = t < static_cast<int>(row.size()) ? row[static_cast<std::size_t>(t)] : 0;
        const double acc = t < static_cast<int>(result.perClassAccuracy.size())
            ? result.perClassAccuracy[static_cast<std::size_t>(t)]
            : (images > 0 ? static_cast<double>(hits) / images : 0.0);
        auto *name = new QStandardItem(classes.at(t));
        name->setData(classes.at(t).toCaseFolded(), kSortRole);
        name->setEditable(false);
        m_perClass->appendRow({name, numberItem(QString::number(images), images),
            numberItem(QString::number(hits), hits), numberItem(formatProbability(acc), acc)});
    }
    m_perClassView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_perClassView->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
}

void ClassifyEvaluationPage::openCell(int truth, int predicted)
{
    const auto &evaluation = m_controller->evaluation();
    if (!evaluation || truth < 0 || predicted < 0)
        return;
    const auto &classes = evaluation->classes;
    if (truth >= static_cast<int>(classes.size()) || predicted >= static_cast<int>(classes.size()))
        return;
    const std::vector<ml::ImageScores> images = m_controller->cellImages(truth, predicted);
    const QString t = QString::fromStdString(classes[static_cast<std::size_t>(truth)]);
    const QString p = QString::fromStdString(classes[static_cast<std::size_t>(predicted)]);
    if (images.empty()) {
        m_controller->showMessage(tr("No image of “%1” was classified as “%2”.").arg(t, p), false);
        return;
    }
    auto *dialog = new ConfusionCellDialog(t, p, images, this);
    connect(dialog, &ConfusionCellDialog::fileActivated, this, &ClassifyEvaluationPage::fileActivated);
    dialog->show();
}

std::vector<std::vector<int>> ClassifyEvaluationPage::confusionMatrix() const
{
    return m_confusion->matrix();
}

QPoint ClassifyEvaluationPage::confusionCellCenter(int truth, int predicted) const
{
    m_confusion->replot(QCustomPlot::rpImmediateRefresh); // lays the axes out
    return m_confusion->cellCenter(truth, predicted).toPoint();
}

QWidget *ClassifyEvaluationPage::confusionWidget() const
{
    return m_confusion;
}

void ClassifyEvaluationPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange) {
        showState();
        if (m_controller->evaluation())
            showEvaluation();
    }
    QWidget::changeEvent(event);
}
