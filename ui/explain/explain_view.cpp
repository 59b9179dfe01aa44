// The Explain main view: redrawn from the controller's result and map; clicks on a patch, a head,
// a word or the time slider go back to the controller.
#include "explain/explain_view.h"

#include "common/heatmap_view.h"
#include "common/panel_widgets.h"
#include "explain/explain_controller.h"

#include <QDir>
#include <QEvent>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QSlider>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <cmath>

namespace {

constexpr int kThumbSide = 88;                          // small multiples
constexpr int kGridsWidth = 3 * (kThumbSide + 12) + 24; // three thumbnails a row beside the picture
constexpr int kTimeSteps = 10;                          // slider steps per second

QList<QImage> thumbnails(const QImage &base, const std::vector<ml::ExplainMap> &maps, int gridH, int gridW,
    heatmap::ColourMap colours, double opacity)
{
    QList<QImage> out;
    const QImage small = base.scaled(kThumbSide, kThumbSide, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    for (const ml::ExplainMap &m : maps)
        out << heatmap::overlay(small, m.values, gridH, gridW, colours, opacity);
    return out;
}

} // namespace

ExplainView::ExplainView(ExplainController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("attentionMain"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(buildItem(), 1);
    layout->addWidget(buildGrids());

    ExplainController *c = m_controller;
    connect(c, &ExplainController::itemChanged, this, &ExplainView::showItem);
    connect(c, &ExplainController::resultChanged, this, &ExplainView::showResult);
    connect(c, &ExplainController::mapChanged, this, &ExplainView::showMap);
    connect(c, &ExplainController::messageChanged, this, &ExplainView::showMessage);
    connect(c, &ExplainController::formChanged, this, [this] {
        const int head = m_controller->form().head - ExplainController::FirstHead;
        m_heads->setCurrent(head);
    });
    connect(m_view, &HeatmapView::patchClicked, this, &ExplainView::onPatchClicked);
    connect(m_heads, &MapGrid::clicked, c, [c](int i) { c->setHead(ExplainController::FirstHead + i); });
    connect(m_words, &MapGrid::clicked, this, [this](int i) {
        m_words->setCurrent(i);
        m_controller->setWord(i);
    });
    connect(m_time, &QSlider::valueChanged, c, [c](int v) { c->setTime(v / static_cast<double>(kTimeSteps)); });
    retranslate();
}

QWidget *ExplainView::buildItem()
{
    auto *box = new QWidget(this);
    m_title = new QLabel(box);
    m_title->setObjectName(QStringLiteral("attentionTitle"));
    m_title->setWordWrap(true);
    QFont bold = font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_message = new QLabel(box);
    m_message->setObjectName(QStringLiteral("attentionMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    m_view = new HeatmapView(box);
    m_view->setObjectName(QStringLiteral("attentionView"));
    m_view->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    m_bar = new ColourBar(box);
    m_bar->setObjectName(QStringLiteral("attentionColourBar"));
    m_info = dimLabel(box);
    m_info->setObjectName(QStringLiteral("attentionInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_message);
    layout->addWidget(m_view, 1);
    layout->addWidget(buildTime());
    layout->addWidget(m_bar);
    layout->addWidget(m_info);
    return box;
}

QWidget *ExplainView::buildTime()
{
    m_timeRow = new QWidget(this);
    m_time = new QSlider(Qt::Horizontal, m_timeRow);
    m_time->setObjectName(QStringLiteral("attentionTime"));
    m_time->setRange(0, 0);
    m_time->setTracking(false); // a frame is explained where the handle is let go
    m_timeValue = new QLabel(m_timeRow);
    m_timeValue->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("000.0 / 000.0 s")));
    auto *row = new QHBoxLayout(m_timeRow);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_time, 1);
    row->addWidget(m_timeValue);
    m_timeRow->hide();
    return m_timeRow;
}

QGroupBox *ExplainView::buildGrid(MapGrid **grid, QLabel **hint, const QString &name)
{
    auto *group = new QGroupBox(this);
    group->setObjectName(name + QStringLiteral("Group"));
    *hint = dimLabel(group);
    *grid = new MapGrid(group);
    (*grid)->setObjectName(name);
    (*grid)->setThumbSize(kThumbSide);
    auto *layout = new QVBoxLayout(group);
    layout->addWidget(*hint);
    layout->addWidget(*grid);
    layout->addStretch(1);
    return group;
}

QWidget *ExplainView::buildGrids()
{
    m_side = new QStackedWidget(this);
    m_side->setObjectName(QStringLiteral("attentionGrids"));
    m_side->setFixedWidth(kGridsWidth);
    m_headsGroup = buildGrid(&m_heads, &m_headsHint, QStringLiteral("attentionHeads"));
    m_wordsGroup = buildGrid(&m_words, &m_wordsHint, QStringLiteral("attentionWords"));
    m_side->addWidget(m_headsGroup);
    m_side->addWidget(m_wordsGroup);
    m_side->hide();
    return m_side;
}

void ExplainView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ExplainView::retranslate()
{
    m_wordsGroup->setTitle(tr("Per word"));
    m_wordsHint->setText(tr("Relevance of each word on its own; click one to show it large."));
    m_headsGroup->setTitle(tr("All heads of the layer"));
    m_headsHint->setText(tr("Each head scaled on its own; click one to show it large."));
    m_bar->setToolTip(tr("The colours span the map's raw minimum and maximum"));
    m_time->setToolTip(tr("The frame of the video to explain"));
    showItem();
    showResult();
    showMessage();
}

void ExplainView::showItem()
{
    const ExplainController *c = m_controller;
    m_title->setText(c->title());
    m_title->setToolTip(QDir::toNativeSeparators(c->currentPath()));
    m_timeRow->setVisible(c->isVideo());
    const QSignalBlocker block(m_time);
    m_time->setRange(0, static_cast<int>(std::floor(c->videoDuration() * kTimeSteps)));
    m_time->setValue(static_cast<int>(std::lround(c->videoTime() * kTimeSteps)));
    m_timeValue->setText(
        tr("%1 / %2 s")
            .arg(QLocale().toString(c->videoTime(), 'f', 1), QLocale().toString(c->videoDuration(), 'f', 1)));
}

void ExplainView::showResult()
{
    const auto &result = m_controller->result();
    showItem(); // a result names its frame
    if (!result) {
        if (!m_controller->keepsPicture())
            m_view->setImage({});
        m_view->clearMap();
        m_bar->clearRange();
        m_heads->clear();
        m_words->clear();
        m_side->hide();
        showInfo();
        return;
    }
    const ml::ExplainResult &r = *result;
    const auto &f = m_controller->form();
    const QImage base = ExplainController::inputImage(r);
    m_view->setImage(base);
    const double opacity = f.opacity / 100.0;
    QStringList headLabels;
    for (int h = 0; h < static_cast<int>(r.headMaps.size()); ++h)
        headLabels << tr("Head %1").arg(h + 1);
    m_heads->setItems(thumbnails(base, r.headMaps, r.gridH, r.gridW, f.colours, opacity), headLabels);
    m_heads->setCurrent(f.head - ExplainController::FirstHead);
    if (!r.wordMaps.empty()) {
        std::vector<ml::ExplainMap> maps {{r.modelName, r.map}};
        maps.insert(maps.end(), r.wordMaps.begin(), r.wordMaps.end());
        QStringList labels {tr("all words")};
        for (const ml::ExplainMap &m : r.wordMaps)
            labels << QStringLiteral("“%1”").arg(QString::fromStdString(m.label));
        m_words->setItems(thumbnails(base, maps, r.gridH, r.gridW, f.colours, opacity), labels);
        m_words->setCurrent(f.word);
    } else {
        m_words->clear();
    }
    const bool heads = m_controller->resultMethod() == ml::ExplainMethod::Attention && !r.headMaps.empty();
    const bool words = m_controller->resultMethod() == ml::ExplainMethod::Relevance && !r.wordMaps.empty();
    m_side->setCurrentWidget(words ? m_wordsGroup : m_headsGroup);
    m_side->setVisible(heads || words);
    showMap();
}

void ExplainView::showMap()
{
    const ExplainController *c = m_controller;
    const auto &f = c->form();
    m_view->setColourMap(f.colours);
    m_bar->setColourMap(f.colours);
    m_view->setOpacity(f.opacity / 100.0);
    m_view->setGridVisible(f.grid);
    const auto &result = c->result();
    if (!result || c->currentMap().empty()) {
        showInfo();
        return;
    }
    const ml::ExplainResult &r = *result;
    m_view->setMap(c->currentMap(), r.gridH, r.gridW);
    const bool marked = f.method == ExplainController::AttentionMethod && f.query > 0 && r.gridW > 0;
    m_view->setMarkedPatch(marked ? (f.query - 1) / r.gridW : -1, marked ? (f.query - 1) % r.gridW : -1);
    const auto [lo, hi] = heatmap::range(c->currentMap());
    m_bar->setRange(lo, hi);
    showInfo();
}

void ExplainView::showInfo()
{
    const auto &result = m_controller->result();
    if (!result) {
        m_info->clear();
        return;
    }
    const ml::ExplainResult &r = *result;
    QStringList parts;
    parts << tr("%1, %2 × %3 patches").arg(QString::fromStdString(r.modelName)).arg(r.gridH).arg(r.gridW);
    if (m_controller->resultMethod() == ml::ExplainMethod::Relevance)
        parts << tr("similarity %1").arg(QLocale().toString(r.similarity, 'f', 3));
    parts << tr("%1 s").arg(QLocale().toString(r.seconds, 'f', r.seconds < 1.0 ? 3 : 2));
    parts << tr("fast path max |Δ| %1").arg(QLocale().toString(r.fastPathMaxAbsDiff, 'g', 2));
    m_info->setText(parts.join(QStringLiteral(" · ")));
    m_info->setToolTip(tr("The explicit path (fp32) differs from the fast path (%1 on %2) by at most this much")
                           .arg(QString::fromStdString(r.dtype), QString::fromStdString(r.device)));
}

void ExplainView::showMessage()
{
    const ExplainController *c = m_controller;
    const QString text = c->message();
    m_message->setText(text);
    m_message->setStyleSheet(c->messageIsError() ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!text.isEmpty());
    // The empty view must not ask for a picture when the chosen one failed.
    m_view->setHint(c->messageIsError() && !c->currentPath().isEmpty()
            ? tr("No map: the message above says why.")
            : tr("Select an image in the gallery to see what the model looks at."));
}

void ExplainView::onPatchClicked(int row, int col)
{
    const auto &r = m_controller->result();
    if (!r || r->gridW <= 0)
        return;
    m_controller->setQueryToken(1 + row * r->gridW + col);
}
