// QFormerView: redrawn from the controller; clicks on a query, a cell, a bar or a word go back to it.
#include "qformer/qformer_view.h"

#include "common/heatmap_view.h"
#include "common/panel_widgets.h"
#include "qformer/qformer_controller.h"
#include "qformer/qformer_plots.h"

#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QTabWidget>
#include <QVBoxLayout>

namespace {

constexpr int kThumbSide = 84;
constexpr int kTabsWidth = 430;

} // namespace

QFormerView::QFormerView(QFormerController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("qformerMain"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(buildLarge(), 1);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("qformerTabs"));
    m_tabs->setFixedWidth(kTabsWidth);
    m_queriesPage = new QWidget(m_tabs);
    m_queriesHint = dimLabel(m_queriesPage);
    m_queries = new MapGrid(m_queriesPage);
    m_queries->setObjectName(QStringLiteral("qformerQueries"));
    m_queries->setThumbSize(kThumbSide);
    auto *queriesLayout = new QVBoxLayout(m_queriesPage);
    queriesLayout->addWidget(m_queriesHint);
    queriesLayout->addWidget(verticalScrollArea(m_queries, m_queriesPage), 1);
    m_similarityPage = new QWidget(m_tabs);
    m_similarityHint = dimLabel(m_similarityPage);
    m_similarity = new SimilarityPlot(m_similarityPage);
    m_similarity->setObjectName(QStringLiteral("qformerSimilarity"));
    auto *similarityLayout = new QVBoxLayout(m_similarityPage);
    similarityLayout->addWidget(m_similarityHint);
    similarityLayout->addWidget(m_similarity, 1);
    m_tabs->addTab(m_queriesPage, QString());
    m_tabs->addTab(m_similarityPage, QString());
    m_tabs->addTab(buildAnswer(), QString());
    layout->addWidget(m_tabs);

    QFormerController *c = m_controller;
    connect(c, &QFormerController::itemChanged, this, &QFormerView::showItem);
    connect(c, &QFormerController::resultChanged, this, &QFormerView::showResult);
    connect(c, &QFormerController::mapsChanged, this, &QFormerView::showResult);
    connect(c, &QFormerController::largeChanged, this, &QFormerView::showLarge);
    connect(c, &QFormerController::answerChanged, this, &QFormerView::showAnswer);
    connect(c, &QFormerController::ablationChanged, this, &QFormerView::showAblation);
    connect(c, &QFormerController::messageChanged, this, &QFormerView::showMessage);
    connect(m_queries, &MapGrid::clicked, c, &QFormerController::selectQuery);
    connect(m_similarity, &SimilarityPlot::queryClicked, c, &QFormerController::selectQuery);
    connect(m_ablation, &AblationPlot::queryClicked, c, &QFormerController::selectQuery);
    connect(m_answerPicture, &QPushButton::clicked, c, &QFormerController::showAnswerPicture);
    connect(
        m_words, &QListWidget::itemEntered, c, [this, c](QListWidgetItem *item) { c->selectWord(m_words->row(item)); });
    connect(m_words, &QListWidget::currentRowChanged, c, &QFormerController::selectWord);
    connect(
        m_words, &QListWidget::itemClicked, c, [this, c](QListWidgetItem *item) { c->selectWord(m_words->row(item)); });
    retranslate();
}

QWidget *QFormerView::buildLarge()
{
    auto *box = new QWidget(this);
    m_title = new QLabel(box);
    m_title->setObjectName(QStringLiteral("qformerTitle"));
    m_title->setWordWrap(true);
    QFont bold = font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_message = new QLabel(box);
    m_message->setObjectName(QStringLiteral("qformerMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    m_view = new HeatmapView(box);
    m_view->setObjectName(QStringLiteral("qformerView"));
    m_view->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    m_bar = new ColourBar(box);
    m_bar->setObjectName(QStringLiteral("qformerColourBar"));
    m_label = dimLabel(box);
    m_label->setObjectName(QStringLiteral("qformerLabel"));
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_message);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_bar);
    layout->addWidget(m_label);
    return box;
}

QWidget *QFormerView::buildAnswer()
{
    m_answerPage = new QWidget(this);
    m_answerText = new QLabel(m_answerPage);
    m_answerText->setObjectName(QStringLiteral("qformerAnswer"));
    m_answerText->setWordWrap(true);
    m_answerText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_answerHint = dimLabel(m_answerPage);
    m_answerHint->setObjectName(QStringLiteral("qformerAnswerHint"));
    m_answerPicture = new QPushButton(m_answerPage);
    m_answerPicture->setObjectName(QStringLiteral("qformerAnswerPicture"));
    m_wordsHint = dimLabel(m_answerPage);
    m_words = new QListWidget(m_answerPage);
    m_words->setObjectName(QStringLiteral("qformerWords"));
    m_words->setFlow(QListView::LeftToRight);
    m_words->setWrapping(true);
    m_words->setSpacing(3);
    m_words->setMouseTracking(true);
    m_words->setMaximumHeight(fontMetrics().lineSpacing() * 4 + 16);
    m_ablationHint = dimLabel(m_answerPage);
    m_ablation = new AblationPlot(m_answerPage);
    m_ablation->setObjectName(QStringLiteral("qformerAblation"));
    m_ablation->setMinimumHeight(180);
    auto *layout = new QVBoxLayout(m_answerPage);
    layout->addWidget(m_answerText);
    layout->addWidget(m_answerHint);
    layout->addWidget(m_answerPicture, 0, Qt::AlignLeft);
    layout->addWidget(m_wordsHint);
    layout->addWidget(m_words);
    layout->addWidget(m_ablationHint);
    layout->addWidget(m_ablation, 1);
    return m_answerPage;
}

QWidget *QFormerView::similarityWidget() const
{
    return m_similarity;
}

int QFormerView::similarityQueries() const
{
    return m_similarity->queries();
}

double QFormerView::similarityCell(int row, int col) const
{
    return m_similarity->cell(row, col);
}

QWidget *QFormerView::ablationWidget() const
{
    return m_ablation;
}

int QFormerView::ablationBars() const
{
    return m_ablation->barCount();
}

std::vector<int> QFormerView::ablationOrder() const
{
    return m_ablation->order();
}

QPoint QFormerView::ablationBarCentre(int rank) const
{
    m_ablation->replot(); // the axes' pixel mapping as drawn
    return m_ablation->barCentre(rank);
}

void QFormerView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void QFormerView::retranslate()
{
    m_tabs->setTabText(m_tabs->indexOf(m_queriesPage), tr("Queries"));
    m_tabs->setTabText(m_tabs->indexOf(m_similarityPage), tr("Similarity"));
    m_tabs->setTabText(m_tabs->indexOf(m_answerPage), tr("The Answer"));
    m_queriesHint->setText(tr("What each learnt query looks at (each map scaled on its own); click one to show "
                              "it large."));
    m_similarityHint->setText(tr("Cosine similarity of the output query embeddings: near 1 off the diagonal, two "
                                 "queries carry the same thing. Click a row for its query."));
    m_answerPicture->setText(tr("Show the Answer's Picture"));
    m_wordsHint->setText(tr("Hover or click a word: its map through the queries the language model attended to."));
    m_ablationHint->setText(tr("How much less likely the answer becomes when one query is zeroed, the largest drop "
                               "first. Click a bar for that query's map."));
    m_bar->setToolTip(tr("The colours span the map's raw minimum and maximum"));
    showItem();
    showResult();
    showAnswer();
    showAblation();
    showMessage();
}

void QFormerView::showItem()
{
    const QFormerController *c = m_controller;
    m_title->setText(c->title());
    m_title->setToolTip(QDir::toNativeSeparators(c->currentPath()));
    m_view->setImage(c->picture());
    showLarge();
    showResult();
}

void QFormerView::showResult()
{
    const QFormerController *c = m_controller;
    const auto &result = c->result();
    const QImage base = c->picture();
    if (!result || base.isNull()) {
        m_queries->clear();
        if (!result)
            m_similarity->setMatrix({}, 0);
        else
            m_similarity->setMatrix(result->similarity, result->queries);
        return;
    }
    const ml::QFormerResult &r = *result;
    const auto &f = c->form();
    const QImage small = base.scaled(kThumbSide, kThumbSide, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    QList<QImage> images;
    QStringList labels;
    for (int q = 0; q < r.queries; ++q) {
        images << heatmap::overlay(small, c->queryMap(q), r.gridH, r.gridW, f.colours, f.opacity / 100.0);
        labels << tr("Query %1").arg(q + 1);
    }
    m_queries->setItems(images, labels);
    m_queries->setCurrent(c->large() == QFormerController::QueryMap ? c->selectedQuery() : -1);
    m_similarity->setMatrix(r.similarity, r.queries);
}

void QFormerView::showLarge()
{
    const QFormerController *c = m_controller;
    const auto &f = c->form();
    m_view->setColourMap(f.colours);
    m_bar->setColourMap(f.colours);
    m_view->setOpacity(f.opacity / 100.0);
    m_view->setGridVisible(f.grid);
    const auto &result = c->result();
    const auto &map = c->largeMap();
    m_queries->setCurrent(c->large() == QFormerController::QueryMap && result ? c->selectedQuery() : -1);
    m_ablation->setSelectedQuery(c->large() == QFormerController::QueryMap ? c->selectedQuery() : -1);
    if (c->large() == QFormerController::QueryMap) {
        const QSignalBlocker block(m_words); // a query shown: no word is
        m_words->setCurrentRow(-1);
    }
    if (!result || map.empty()) {
        m_view->clearMap();
        m_bar->clearRange();
        m_label->clear();
        return;
    }
    m_view->setMap(map, result->gridH, result->gridW);
    const auto [lo, hi] = heatmap::range(map);
    m_bar->setRange(lo, hi);
    QStringList parts {c->largeLabel()};
    parts << tr("%1, %2 queries, %3 × %4 patches")
                 .arg(QString::fromStdString(result->modelName))
                 .arg(result->queries)
                 .arg(result->gridH)
                 .arg(result->gridW);
    m_label->setText(parts.join(QStringLiteral(" · ")));
}

void QFormerView::showAnswer()
{
    const QFormerController *c = m_controller;
    const bool has = c->hasAnswer();
    const bool matches = c->answerMatches();
    m_answerText->setText(has ? tr("“%1” → “%2”").arg(c->answerQuestion(), c->answerText())
                              : tr("No answer yet: ask something in Chat."));
    if (!has)
        m_answerHint->clear();
    else if (!matches)
        m_answerHint->setText(tr("The last answer in Chat is about another picture (or frame, or model)."));
    else if (!c->hasWordMaps())
        m_answerHint->setText(tr("Waiting for this picture's Q-Former…"));
    else
        m_answerHint->clear();
    m_answerHint->setVisible(!m_answerHint->text().isEmpty());
    m_answerPicture->setVisible(has && !matches);
    const QSignalBlocker block(m_words);
    m_words->clear();
    if (matches) {
        m_words->addItems(c->answerWords());
        m_words->setCurrentRow(c->large() == QFormerController::WordMap ? c->selectedWord() : -1);
    }
    m_words->setEnabled(c->hasWordMaps());
    showAblation();
}

void QFormerView::showAblation()
{
    const QFormerController *c = m_controller;
    const auto &ablation = c->ablation();
    if (ablation && c->answerMatches())
        m_ablation->setDrops(ablation->perQuery);
    else
        m_ablation->setDrops({});
}

void QFormerView::showMessage()
{
    const QFormerController *c = m_controller;
    QString text = c->message();
    if (!c->state().isEmpty())
        text = text.isEmpty() ? c->state() : text + QLatin1Char('\n') + c->state();
    m_message->setText(text);
    m_message->setStyleSheet(c->messageIsError() ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!text.isEmpty());
    m_view->setHint(c->messageIsError() && !c->currentPath().isEmpty()
            ? tr("No maps: the message above says why.")
            : tr("Select a picture in the gallery to see what each query of the Q-Former looks at."));
}
