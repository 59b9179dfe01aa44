// CoopResultView: the left column holds the headline numbers and the loss curve, the right one
// the per-class and nearest-word tables; each table scrolls on its own.
#include "classify/coop_result_view.h"

#include "classify/coop_controller.h"
#include "common/panel_widgets.h"
#include "training/training_plot.h"

#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace {

constexpr int kRun = 0; // the plot's only run

QTableWidget *resultTable(QWidget *parent)
{
    auto *table = new QTableWidget(parent);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->setWordWrap(false);
    table->setAlternatingRowColors(true);
    return table;
}

QTableWidgetItem *numberItem(double value)
{
    auto *item = new QTableWidgetItem(CoopController::percent(value));
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QLabel *boldLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    QFont bold = label->font();
    bold.setBold(true);
    label->setFont(bold);
    return label;
}

} // namespace

CoopResultView::CoopResultView(CoopController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("coopResults"));
    auto *left = new QWidget(this);
    m_resultsHint = dimLabel(left);
    m_resultsHint->setObjectName(QStringLiteral("coopResultsHint"));
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->setSpacing(8);
    leftLayout->addWidget(m_resultsHint);
    leftLayout->addWidget(createHeadline(left));
    leftLayout->addWidget(createLossBox(), 1);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(createTables());
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 4, 4);
    layout->addWidget(split);

    connect(m_useInClassify, &QPushButton::clicked, m_controller, &CoopController::useInClassify);
    connect(m_controller, &CoopController::started, this, [this] {
        m_plot->clearRun(kRun);
        m_plot->resetView();
    });
    connect(m_controller, &CoopController::metricAdded, this,
        [this](const ml::CoopMetric &m) { m_plot->addPoint(kRun, 0, static_cast<double>(m.step), m.loss); });
    connect(m_controller, &CoopController::finished, this, &CoopResultView::showResult);
    retranslate();
}

QWidget *CoopResultView::createLossBox()
{
    auto *box = new QWidget(this);
    m_plot = new TrainingPlot(TrainingPlot::Loss, box);
    m_plot->setObjectName(QStringLiteral("coopLossPlot"));
    m_plot->setMinimumHeight(180);
    m_lossHint = dimLabel(box);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_lossHint);
    return box;
}

QWidget *CoopResultView::createHeadline(QWidget *parent)
{
    m_headline = new QWidget(parent);
    m_headline->setObjectName(QStringLiteral("coopHeadline"));
    m_before = new QLabel(m_headline);
    m_before->setObjectName(QStringLiteral("coopBefore"));
    m_after = new QLabel(m_headline);
    m_after->setObjectName(QStringLiteral("coopAfter"));
    m_arrow = new QLabel(QStringLiteral("→"), m_headline);
    QFont big = font();
    big.setPointSizeF(big.pointSizeF() * 2.2);
    big.setBold(true);
    for (QLabel *l : {m_before, m_after, m_arrow}) {
        l->setFont(big);
        l->setAlignment(Qt::AlignCenter);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    m_beforeCaption = dimLabel(m_headline);
    m_afterCaption = dimLabel(m_headline);
    m_beforeCaption->setAlignment(Qt::AlignCenter);
    m_afterCaption->setAlignment(Qt::AlignCenter);
    m_delta = boldLabel(m_headline);
    m_delta->setAlignment(Qt::AlignCenter);
    m_summary = dimLabel(m_headline);
    m_summary->setAlignment(Qt::AlignCenter);
    m_useInClassify = new QPushButton(m_headline);
    m_useInClassify->setObjectName(QStringLiteral("coopUseInClassify"));
    m_details = dimLabel(m_headline);
    m_details->setObjectName(QStringLiteral("coopDetails"));
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *grid = new QGridLayout(m_headline);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setVerticalSpacing(2);
    grid->addWidget(m_before, 0, 0);
    grid->addWidget(m_arrow, 0, 1);
    grid->addWidget(m_after, 0, 2);
    grid->addWidget(m_beforeCaption, 1, 0);
    grid->addWidget(m_afterCaption, 1, 2);
    grid->addWidget(m_delta, 2, 0, 1, 3);
    grid->addWidget(m_summary, 3, 0, 1, 3);
    grid->addWidget(m_useInClassify, 4, 0, 1, 3, Qt::AlignHCenter);
    grid->addWidget(m_details, 5, 0, 1, 3);
    grid->setColumnStretch(0, 1);
    grid->setColumnStretch(2, 1);
    m_headline->hide();
    return m_headline;
}

QWidget *CoopResultView::createTables()
{
    m_tables = new QWidget(this);
    m_perClassLabel = boldLabel(m_tables);
    m_perClass = resultTable(m_tables);
    m_perClass->setObjectName(QStringLiteral("coopPerClass"));
    m_perClass->setColumnCount(3);
    m_perClass->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_perClass->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_perClass->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_wordsLabel = boldLabel(m_tables);
    m_readsAs = new QLabel(m_tables);
    m_readsAs->setWordWrap(true);
    m_readsAs->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_words = resultTable(m_tables);
    m_words->setObjectName(QStringLiteral("coopWords"));
    m_words->setColumnCount(2);
    m_words->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_words->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);

    auto *layout = new QVBoxLayout(m_tables);
    layout->setContentsMargins(4, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_perClassLabel);
    layout->addWidget(m_perClass, 1);
    layout->addSpacing(6);
    layout->addWidget(m_wordsLabel);
    layout->addWidget(m_readsAs);
    layout->addWidget(m_words, 1);
    m_tables->hide();
    return m_tables;
}

int CoopResultView::lossPointCount() const
{
    return m_plot->pointCount(kRun);
}

void CoopResultView::showResult()
{
    const auto &result = m_controller->result();
    const bool has = result.has_value();
    m_headline->setVisible(has);
    m_tables->setVisible(has);
    m_resultsHint->setVisible(!has);
    m_useInClassify->setEnabled(has && !result->out.empty());
    if (!has)
        return;
    const ml::CoopResult &r = *result;
    m_before->setText(CoopController::percent(r.accuracyBefore));
    m_after->setText(CoopController::percent(r.accuracyAfter));
    m_beforeCaption->setText(QStringLiteral("“%1”").arg(QString::fromStdString(r.templ)));
    m_afterCaption->setText(tr("learnt prompt"));
    const double points = 100.0 * (r.accuracyAfter - r.accuracyBefore);
    const QString signedPoints = (points >= 0 ? QStringLiteral("+") : QString()) + QLocale().toString(points, 'f', 1);
    m_delta->setText(
        tr("%1 percentage points on %n held-out images", nullptr, static_cast<int>(r.evalImages)).arg(signedPoints));
    m_delta->setStyleSheet(points > 0 ? QStringLiteral("color: #30a46c;")
            : points < 0              ? QStringLiteral("color: #e5484d;")
                                      : QString());
    m_after->setStyleSheet(points > 0 ? QStringLiteral("color: #30a46c;") : QString());
    const QString kind = r.classSpecific ? tr("Class-specific, %n context vectors per class", nullptr, r.contextVectors)
                                         : tr("Unified, %n context vectors", nullptr, r.contextVectors);
    m_summary->setText(kind + QStringLiteral(" · ") + tr("%n classes", nullptr, static_cast<int>(r.classes.size()))
        + QStringLiteral(" · ") + tr("%n shots per class", nullptr, r.shots) + QStringLiteral(" · ")
        + QString::fromStdString(r.modelName));
    showPerClass();
    showWords();
    showDetails();
}

void CoopResultView::showPerClass()
{
    const ml::CoopResult &r = *m_controller->result();
    const int classCount = static_cast<int>(r.classes.size());
    m_perClass->setRowCount(classCount);
    for (int c = 0; c < classCount; ++c) {
        const auto i = static_cast<std::size_t>(c);
        m_perClass->setItem(c, 0, new QTableWidgetItem(QString::fromStdString(r.classes[i])));
        m_perClass->setItem(c, 1, numberItem(i < r.perClassBefore.size() ? r.perClassBefore[i] : 0.0));
        QTableWidgetItem *after = numberItem(i < r.perClassAfter.size() ? r.perClassAfter[i] : 0.0);
        if (i < r.perClassBefore.size() && i < r.perClassAfter.size() && r.perClassAfter[i] != r.perClassBefore[i])
            after->setForeground(
                r.perClassAfter[i] > r.perClassBefore[i] ? QColor(0x30, 0xa4, 0x6c) : QColor(0xe5, 0x48, 0x4d));
        m_perClass->setItem(c, 2, after);
    }
}

void CoopResultView::showWords()
{
    // The nearest words per context vector, and the context read as its nearest words.
    const ml::CoopResult &r = *m_controller->result();
    const int classCount = static_cast<int>(r.classes.size());
    m_words->setRowCount(static_cast<int>(r.words.size()));
    QStringList readings;
    QString reading;
    int shownClass = -2;
    for (int row = 0; row < static_cast<int>(r.words.size()); ++row) {
        const ml::CoopContextWords &w = r.words[static_cast<std::size_t>(row)];
        const QString className = w.classIndex >= 0 && w.classIndex < classCount
            ? QString::fromStdString(r.classes[static_cast<std::size_t>(w.classIndex)])
            : QString();
        const QString position = className.isEmpty() ? tr("ctx %1").arg(w.position + 1)
                                                     : tr("%1 · ctx %2").arg(className).arg(w.position + 1);
        QStringList nearest;
        for (const ml::CoopNeighbour &n : w.nearest)
            nearest << QStringLiteral("%1 (%2)").arg(
                QString::fromStdString(n.word), QLocale().toString(n.distance, 'f', 3));
        m_words->setItem(row, 0, new QTableWidgetItem(position));
        m_words->setItem(row, 1, new QTableWidgetItem(nearest.join(QStringLiteral(",  "))));
        if (w.classIndex != shownClass) {
            if (!reading.isEmpty())
                readings << reading.trimmed();
            reading = className.isEmpty() ? QString() : className + QStringLiteral(": ");
            shownClass = w.classIndex;
        }
        if (!w.nearest.empty())
            reading += QString::fromStdString(w.nearest.front().word) + QLatin1Char(' ');
    }
    if (!reading.isEmpty())
        readings << reading.trimmed();
    m_readsAs->setText(readings.isEmpty()
            ? QString()
            : tr("Reads as: %1").arg(QStringLiteral("“%1”").arg(readings.join(QStringLiteral("”, “")))));
}

void CoopResultView::showDetails()
{
    const ml::CoopResult &r = *m_controller->result();
    const auto seconds = &CoopController::seconds;
    m_details->setText(tr("%1 steps (%2, learning rate %3), final loss %4, shots accuracy %5.")
                           .arg(QLocale().toString(static_cast<qint64>(r.steps)), QString::fromStdString(r.optimizer),
                               QLocale().toString(r.lr, 'g', 3), QLocale().toString(r.finalLoss, 'f', 4),
                               CoopController::percent(r.trainAccuracy))
        + QLatin1Char('\n')
        + tr("Wall time %1: image features %2 (%3 images), training %4 (%5 steps/s); %6 on %7.")
              .arg(seconds(r.seconds), seconds(r.featureSeconds),
                  QLocale().toString(static_cast<qint64>(r.trainImages + r.evalImages)), seconds(r.trainSeconds),
                  QLocale().toString(r.stepsPerS, 'f', 1), QString::fromStdString(r.dtype),
                  QString::fromStdString(r.device))
        + QLatin1Char('\n')
        + (r.out.empty() ? tr("Not saved.")
                         : tr("Saved as %1").arg(QFileInfo(QString::fromStdString(r.out)).fileName())));
    // The full path in the tooltip: a long path does not wrap and would widen the view.
    m_details->setToolTip(QDir::toNativeSeparators(QString::fromStdString(r.out)));
}

void CoopResultView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void CoopResultView::retranslate()
{
    m_plot->setRun(kRun, tr("Training loss"), QColor(0x4e, 0x9b, 0xe8));
    m_lossHint->setText(tr("Cross-entropy of the learnt prompt on the shots, averaged between reports."));
    m_resultsHint->setText(tr("Learn a prompt to compare it here with the hand-written template."));
    m_beforeCaption->setText(tr("hand-written template"));
    m_afterCaption->setText(tr("learnt prompt"));
    m_perClassLabel->setText(tr("Per class"));
    m_perClass->setHorizontalHeaderLabels({tr("Class"), tr("Template"), tr("Learnt")});
    m_wordsLabel->setText(tr("Nearest words to each context vector"));
    m_words->setHorizontalHeaderLabels({tr("Context"), tr("Nearest vocabulary words (distance)")});
    m_useInClassify->setText(tr("Use in Classify"));
    m_useInClassify->setToolTip(tr("Classify with this learnt prompt instead of the templates"));
    showResult();
}
