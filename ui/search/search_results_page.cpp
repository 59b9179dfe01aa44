// SearchResultsPage: a header row over the tile grid; the grid's "Why" action and the controller's
// toggle are kept in step both ways.
#include "search/search_results_page.h"

#include "common/panel_widgets.h"
#include "search/search_controller.h"
#include "search/search_results_view.h"

#include <QAction>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QSignalBlocker>
#include <QToolButton>
#include <QVBoxLayout>

SearchResultsPage::SearchResultsPage(SearchController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_state(dimLabel(this))
    , m_whyButton(new QToolButton(this))
    , m_whyState(dimLabel(this))
    , m_empty(dimLabel(this))
    , m_view(new SearchResultsView(this))
{
    setObjectName(QStringLiteral("searchResultsPage"));
    m_state->setObjectName(QStringLiteral("searchResultsState"));
    m_whyButton->setObjectName(QStringLiteral("searchWhy"));
    m_whyButton->setDefaultAction(m_view->whyAction());
    m_whyButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_whyState->setObjectName(QStringLiteral("searchWhyState"));
    m_empty->setObjectName(QStringLiteral("searchResultsHint"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_view->setObjectName(QStringLiteral("searchResults"));
    m_view->setModel(m_controller->resultsModel());
    m_controller->setVisibleRows([this] { return m_view->visibleRows(); });

    auto *header = new QHBoxLayout;
    header->addWidget(m_state, 1);
    header->addWidget(m_whyButton);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->setSpacing(4);
    layout->addLayout(header);
    layout->addWidget(m_whyState);
    layout->addWidget(m_empty);
    layout->addWidget(m_view, 1);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &current) {
        const int row = current.isValid() ? current.row() : -1;
        m_controller->setCurrentRow(row);
        Q_EMIT currentHitChanged(row);
    });
    connect(m_view, &SearchResultsView::openRequested, m_controller, &SearchController::openHit);
    connect(m_view, &SearchResultsView::findSimilarRequested, this, &SearchResultsPage::findSimilarRequested);
    connect(m_view->whyAction(), &QAction::toggled, m_controller, &SearchController::setWhyEnabled);
    retranslate();
}

int SearchResultsPage::currentRow() const
{
    const QModelIndex current = m_view->currentIndex();
    return current.isValid() ? current.row() : -1;
}

void SearchResultsPage::refresh()
{
    const SearchController &c = *m_controller;
    m_state->setText(c.resultsState());
    {
        const QSignalBlocker block(m_view->whyAction());
        m_view->whyAction()->setChecked(c.whyEnabled());
    }
    m_view->whyAction()->setEnabled(!c.lastRequest() || !c.lastRequest()->text.empty());
    const QString why = c.whyState();
    m_whyState->setText(why);
    m_whyState->setVisible(!why.isEmpty());
    m_empty->setVisible(!c.result() && !c.isSearching());
}

void SearchResultsPage::retranslate()
{
    m_view->whyAction()->setText(tr("Why did this match?"));
    m_view->whyAction()->setToolTip(
        tr("Draw the text query's relevance map over each hit: where the model sees the words"));
    m_empty->setText(tr("Type what to find (“a yellow circle”) or use an image, then Search. The library is "
                        "made on the Library tab."));
    refresh();
}
