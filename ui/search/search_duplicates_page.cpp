// SearchDuplicatesPage: a toolbar over the groups' view; the groups come from the controller's
// ml::DuplicatesResult, each file with its vector score and its picture's hash distance.
#include "search/search_duplicates_page.h"

#include "common/panel_widgets.h"
#include "search/duplicates_view.h"
#include "search/search_controller.h"

#include "io/media.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace {

const QString kThresholdKey = QStringLiteral("search/duplicateThreshold");

} // namespace

SearchDuplicatesPage::SearchDuplicatesPage(SearchController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_thresholdLabel(new QLabel(this))
    , m_threshold(new QDoubleSpinBox(this))
    , m_find(new QPushButton(this))
    , m_state(dimLabel(this))
    , m_view(new DuplicatesView(controller->thumbnails(), this))
{
    setObjectName(QStringLiteral("searchDuplicatesPage"));
    m_threshold->setObjectName(QStringLiteral("searchDuplicateThreshold"));
    m_threshold->setRange(0.5, 1.0);
    m_threshold->setDecimals(3);
    m_threshold->setSingleStep(0.005);
    m_threshold->setValue(QSettings().value(kThresholdKey, 0.95).toDouble());
    m_find->setObjectName(QStringLiteral("searchFindDuplicates"));
    m_state->setObjectName(QStringLiteral("searchDuplicateState"));
    m_view->setObjectName(QStringLiteral("searchDuplicates"));
    m_view->hide();

    auto *toolbar = new QHBoxLayout;
    toolbar->addWidget(m_thresholdLabel);
    toolbar->addWidget(m_threshold);
    toolbar->addWidget(m_find);
    toolbar->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->setSpacing(4);
    layout->addLayout(toolbar);
    layout->addWidget(m_state);
    layout->addWidget(m_view, 1);
    layout->addStretch(0);

    connect(m_find, &QPushButton::clicked, this, &SearchDuplicatesPage::findRequested);
    connect(m_view, &DuplicatesView::openRequested, this, &SearchDuplicatesPage::openRequested);
    retranslate();
}

SearchDuplicatesPage::~SearchDuplicatesPage()
{
    QSettings().setValue(kThresholdKey, m_threshold->value());
}

double SearchDuplicatesPage::threshold() const
{
    return m_threshold->value();
}

void SearchDuplicatesPage::refresh()
{
    m_find->setEnabled(!m_controller->isIndexing() && !m_controller->isFindingDuplicates());
    m_state->setText(m_controller->duplicatesState());
}

void SearchDuplicatesPage::showGroups()
{
    const auto &duplicates = m_controller->duplicates();
    std::vector<std::vector<DuplicateTile>> groups;
    if (duplicates)
        for (const ml::DuplicateGroup &g : duplicates->groups) {
            std::vector<DuplicateTile> tiles;
            for (std::size_t i = 0; i < g.files.size(); ++i)
                tiles.push_back({QString::fromStdString(g.files[i]),
                    ml::io::guessMediaKind(g.files[i]) == ml::io::MediaKind::Video,
                    i < g.scores.size() ? g.scores[i] : 1.0f, i < g.hashDistances.size() ? g.hashDistances[i] : -1});
            groups.push_back(std::move(tiles));
        }
    const bool any = !groups.empty();
    m_view->groupsModel()->setGroups(std::move(groups));
    m_view->setVisible(any);
    refresh();
}

void SearchDuplicatesPage::retranslate()
{
    m_thresholdLabel->setText(tr("Vector similarity ≥"));
    const QString threshold
        = tr("Files whose CLIP vectors are at least this similar (cosine) are candidates. Each candidate is then "
             "confirmed by its picture: their perceptual hashes may differ in at most %1 of 64 bits (a re-encoded "
             "or resized copy differs in 0 to 2, two different coats in 10 or more), so different pictures that a "
             "small model finds alike are not grouped. Videos are compared at 25, 50 and 75 % of their length.")
              .arg(ml::DuplicatesRequest {}.maxHashDistance);
    m_thresholdLabel->setToolTip(threshold);
    m_threshold->setToolTip(threshold);
    m_find->setText(tr("Find near-duplicates"));
    m_find->setToolTip(
        tr("Group the library's files whose pictures are nearly the same: similar vectors, confirmed by comparing "
           "the pictures (the filters apply)"));
    refresh();
}
