// ClassifyResultPage: follows ClassifyController's image results; pictures come from the
// thumbnail loader (its disk cache is shared with the gallery's).
#include "classify/classify_result_page.h"

#include "classify/classify_chart.h"
#include "classify/classify_controller.h"
#include "common/format.h"
#include "common/panel_widgets.h"
#include "gallery/thumbnail_loader.h"
#include "io/media.h"

#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace {

constexpr int kPathRole = Qt::UserRole + 1;
constexpr QSize kListThumb {40, 30};
constexpr QSize kPicture {256, 192};
constexpr int kGenerationShift = 20; // thumbnail keys: generation << 20 | result index
constexpr int kIndexMask = (1 << kGenerationShift) - 1;

} // namespace

ClassifyResultPage::ClassifyResultPage(ClassifyController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_topKLabel(new QLabel(this))
    , m_topK(new QSpinBox(this))
    , m_list(new QListWidget(this))
    , m_stack(new QStackedWidget(this))
    , m_placeholder(dimLabel(this))
    , m_thumbs(new ThumbnailLoader(ThumbnailLoader::defaultCacheDir(), kPicture, this))
{
    m_topK->setObjectName(QStringLiteral("topK"));
    m_topK->setRange(1, 100);
    m_topK->setValue(5);
    m_topKLabel->setBuddy(m_topK);
    m_list->setObjectName(QStringLiteral("imageResults"));
    m_list->setIconSize(kListThumb);
    m_list->setUniformItemSizes(true);
    m_list->setTextElideMode(Qt::ElideRight);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setMinimumWidth(160);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setMargin(16);
    m_stack->addWidget(m_placeholder);
    m_stack->addWidget(createResultView());

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_list);
    split->addWidget(m_stack);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({220, 700});
    split->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->addWidget(split, 1);

    connect(m_topK, &QSpinBox::valueChanged, m_chart, &ClassifyChart::setTopK);
    connect(m_list, &QListWidget::currentRowChanged, m_controller, &ClassifyController::showImageResult);
    connect(m_list, &QListWidget::itemDoubleClicked, this,
        [this](QListWidgetItem *item) { Q_EMIT fileActivated(item->data(kPathRole).toString()); });
    connect(m_controller, &ClassifyController::imageResultsCleared, this, &ClassifyResultPage::clearResults);
    connect(m_controller, &ClassifyController::imageResultChanged, this, &ClassifyResultPage::onResultChanged);
    connect(m_controller, &ClassifyController::currentImageChanged, this, &ClassifyResultPage::showCurrent);
    connect(m_controller, &ClassifyController::imageRunChanged, this, [this] {
        retranslate(); // the placeholder
        updateHeader();
    });
    connect(m_thumbs, &ThumbnailLoader::ready, this, [this](const QList<ThumbnailResult> &results) {
        for (const ThumbnailResult &r : results) {
            if (static_cast<quint64>(r.key) >> kGenerationShift != (m_generation & 0x7ff) || r.image.isNull())
                continue;
            const int i = r.key & kIndexMask;
            m_thumbCache.insert(i, QPixmap::fromImage(r.image));
            updateItem(i);
            if (i == m_controller->currentImageResult())
                updateHeader();
        }
    });
    retranslate();
}

QWidget *ClassifyResultPage::createResultView()
{
    auto *view = new QWidget(this);
    m_picture = new QLabel(view);
    m_picture->setObjectName(QStringLiteral("resultPicture"));
    m_picture->setFixedSize(kPicture);
    m_picture->setAlignment(Qt::AlignCenter);
    m_picture->setAutoFillBackground(true);
    m_picture->setBackgroundRole(QPalette::AlternateBase);
    m_fileName = new QLabel(view);
    QFont bold = m_fileName->font();
    bold.setBold(true);
    m_fileName->setFont(bold);
    m_fileName->setWordWrap(true);
    m_fileName->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_prediction = new QLabel(view);
    m_prediction->setObjectName(QStringLiteral("prediction"));
    QFont big = m_prediction->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    m_prediction->setFont(big);
    m_prediction->setForegroundRole(QPalette::Highlight);
    m_prediction->setWordWrap(true);
    m_info = dimLabel(view);
    m_info->setObjectName(QStringLiteral("runInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error = new QLabel(view);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #f06a6a;"));
    m_error->hide();
    m_chart = new ClassifyChart(view);
    m_chart->setObjectName(QStringLiteral("classifyChart"));
    m_chartScroll = new QScrollArea(view);
    m_chartScroll->setWidget(m_chart);
    m_chartScroll->setWidgetResizable(true);
    m_chartScroll->setFrameShape(QFrame::NoFrame);
    m_chartScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    auto *topK = new QHBoxLayout;
    topK->addWidget(m_topKLabel);
    topK->addWidget(m_topK);
    topK->addStretch(1);
    auto *text = new QVBoxLayout;
    text->setSpacing(4);
    text->addWidget(m_fileName);
    text->addWidget(m_prediction);
    text->addWidget(m_info);
    text->addStretch(1);
    text->addLayout(topK);
    auto *header = new QHBoxLayout;
    header->setSpacing(12);
    header->addWidget(m_picture, 0, Qt::AlignTop);
    header->addLayout(text, 1);
    auto *layout = new QVBoxLayout(view);
    layout->setContentsMargins(8, 0, 0, 0);
    layout->setSpacing(8);
    layout->addLayout(header);
    layout->addWidget(m_error);
    layout->addWidget(m_chartScroll, 1);
    return view;
}

int ClassifyResultPage::topK() const
{
    return m_topK->value();
}

void ClassifyResultPage::setTopK(int k)
{
    m_topK->setValue(k);
}

int ClassifyResultPage::chartBarCount() const
{
    return m_chart->barCount();
}

int ClassifyResultPage::chartHighlightCount() const
{
    return m_chart->highlightedCount();
}

QStringList ClassifyResultPage::chartLabels() const
{
    return m_chart->tickLabels();
}

void ClassifyResultPage::clearResults()
{
    m_thumbCache.clear();
    m_thumbs->reset();
    ++m_generation;
    {
        const QSignalBlocker block(m_list);
        m_list->clear();
    }
    m_chart->clearScores();
    m_stack->setCurrentIndex(0);
    retranslate();
}

void ClassifyResultPage::onResultChanged(int i, bool added)
{
    if (added) {
        const ml::ImageScores &s = m_controller->imageResult(i);
        const QString path = QString::fromStdString(s.file);
        auto *item = new QListWidgetItem(m_list);
        item->setData(kPathRole, path);
        item->setSizeHint(QSize(-1, kListThumb.height() + 10));
        m_thumbs->request(static_cast<int>((m_generation & 0x7ff) << kGenerationShift) | i, path,
            s.frameS >= 0 ? ml::io::MediaKind::Video : ml::io::MediaKind::Image);
    }
    updateItem(i);
}

void ClassifyResultPage::updateItem(int i)
{
    QListWidgetItem *item = m_list->item(i);
    if (!item || i >= m_controller->imageResultCount())
        return;
    const ml::ImageScores &s = m_controller->imageResult(i);
    const QString name = QFileInfo(QString::fromStdString(s.file)).fileName();
    if (!s.error.empty()) {
        item->setText(tr("%1\nfailed").arg(name));
        item->setForeground(QColor(0xf0, 0x6a, 0x6a));
        item->setToolTip(QString::fromStdString(s.error));
    } else if (!s.scores.empty()) {
        item->setText(
            QStringLiteral("%1\n%2 · %3")
                .arg(name, QString::fromStdString(s.scores.front().label), formatProbability(s.scores.front().prob)));
        item->setToolTip(QDir::toNativeSeparators(QString::fromStdString(s.file)));
    } else {
        item->setText(name);
    }
    const QPixmap thumb = m_thumbCache.value(i);
    if (!thumb.isNull())
        item->setIcon(QIcon(thumb.scaled(kListThumb, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
}

void ClassifyResultPage::showCurrent(int i)
{
    if (i < 0) {
        m_chart->clearScores();
        m_stack->setCurrentIndex(0);
        return;
    }
    if (m_list->currentRow() != i) {
        const QSignalBlocker block(m_list);
        m_list->setCurrentRow(i);
    }
    const ml::ImageScores &s = m_controller->imageResult(i);
    m_chart->setTopK(m_topK->value());
    m_chart->setScores(s.scores);
    m_error->setVisible(!s.error.empty());
    m_error->setText(QString::fromStdString(s.error));
    m_chartScroll->setVisible(s.error.empty());
    m_stack->setCurrentIndex(1);
    updateHeader();
}

void ClassifyResultPage::updateHeader()
{
    const int current = m_controller->currentImageResult();
    if (current < 0)
        return;
    const ml::ImageScores &s = m_controller->imageResult(current);
    const QString path = QString::fromStdString(s.file);
    m_fileName->setText(s.frameS >= 0 ? tr("%1 · frame at %2 s (the middle)")
                                            .arg(QFileInfo(path).fileName(), QLocale().toString(s.frameS, 'f', 1))
                                      : QFileInfo(path).fileName());
    m_fileName->setToolTip(QDir::toNativeSeparators(path));
    if (!s.error.empty())
        m_prediction->setText(tr("Could not classify"));
    else if (!s.scores.empty())
        m_prediction->setText(QStringLiteral("%1  %2").arg(
            QString::fromStdString(s.scores.front().label), formatProbability(s.scores.front().prob)));
    else
        m_prediction->clear();
    const QString position = tr("%1 of %2").arg(current + 1).arg(m_controller->imageResultCount());
    const QString run = m_controller->runInfo();
    m_info->setText(run.isEmpty() ? position : position + QStringLiteral(" · ") + run);
    const QPixmap picture = m_thumbCache.value(current);
    if (picture.isNull())
        m_picture->clear();
    else
        m_picture->setPixmap(picture.scaled(kPicture, Qt::KeepAspectRatio, Qt::SmoothTransformation));
}

void ClassifyResultPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslate();
        updateHeader();
    }
    QWidget::changeEvent(event);
}

void ClassifyResultPage::retranslate()
{
    m_topKLabel->setText(tr("Highlight top"));
    m_topK->setToolTip(tr("How many of the most probable labels are drawn in the accent colour"));
    const QString placeholder = m_controller->imagePlaceholder();
    m_placeholder->setText(placeholder.isEmpty()
            ? tr("Select photos or videos in the gallery and press “Classify selected”.")
            : placeholder);
    m_chart->xAxis2->setLabel(tr("probability"));
    m_chart->replot(QCustomPlot::rpQueuedReplot);
}
