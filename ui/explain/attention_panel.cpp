// AttentionPanel: the form becomes an ml::ExplainRequest (a video frame decoded first, in the
// job); its ml::ExplainResult is drawn over the input crop it carries. Attention asks for every
// head of the layer at once, so picking one head redraws from the same result.
#include "explain/attention_panel.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/heatmap_view.h"
#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "explain/explain_client.h"

#include "common/error.h"
#include "io/media.h"
#include "io/safetensors_f32.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QShowEvent>
#include <QSlider>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace {

const QString kModelKey = QStringLiteral("attention/model");
const QString kMethodKey = QStringLiteral("attention/method");
const QString kColoursKey = QStringLiteral("attention/colourMap");
const QString kOpacityKey = QStringLiteral("attention/opacity");
const QString kGridKey = QStringLiteral("attention/grid");
const QString kTextKey = QStringLiteral("attention/text");
const QString kDiscardKey = QStringLiteral("attention/discardRatio");
constexpr int kDelayMs = 150;    // settings changing quickly make one job
constexpr int kThumbSide = 88;   // small multiples
constexpr int kExportSide = 448; // the exported overlay's side at least (the crop is upscaled)

const char *fusionName(int headIndex)
{
    switch (headIndex) {
    case AttentionPanel::MaxHeads:
        return "max";
    case AttentionPanel::MinHeads:
        return "min";
    default:
        return "mean";
    }
}

QImage inputImage(const ml::ExplainResult &r)
{
    if (r.imageSize <= 0 || r.inputRgb.size() != static_cast<std::size_t>(r.imageSize) * r.imageSize * 3)
        return {};
    return QImage(r.inputRgb.data(), r.imageSize, r.imageSize, r.imageSize * 3, QImage::Format_RGB888)
        .convertToFormat(QImage::Format_RGB32);
}

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

AttentionPanel::AttentionPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_explain(ExplainClient::of(bridge))
    , m_message(new QLabel(this))
    , m_timer(new QTimer(this))
{
    setObjectName(QStringLiteral("attention"));
    Q_ASSERT(m_bridge);
    m_timer->setSingleShot(true);
    m_timer->setInterval(kDelayMs);

    auto *page = new QWidget;
    auto *scroll = verticalScrollArea(page, this);

    m_message->setObjectName(QStringLiteral("attentionMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();

    m_modelLabel = new QLabel(page);
    m_picker = new ModelPicker(m_bridge, QStringLiteral("clip"), kModelKey, page);
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    auto *modelRow = new QHBoxLayout;
    modelRow->addWidget(m_modelLabel);
    modelRow->addWidget(m_picker, 1);

    m_title = new QLabel(page);
    m_title->setObjectName(QStringLiteral("attentionTitle"));
    m_title->setWordWrap(true);
    QFont bold = font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_view = new HeatmapView(page);
    m_view->setObjectName(QStringLiteral("attentionView"));
    m_bar = new ColourBar(page);
    m_info = dimLabel(page);
    m_info->setObjectName(QStringLiteral("attentionInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_state = dimLabel(page);
    m_state->setObjectName(QStringLiteral("attentionState"));

    // The method.
    m_methodGroup = new QGroupBox(page);
    m_method = new QComboBox(m_methodGroup);
    m_method->addItems({QString(), QString(), QString()});
    m_layer = new QSlider(Qt::Horizontal, m_methodGroup);
    m_layer->setRange(0, 0);
    m_layer->setPageStep(1);
    m_layer->setTickPosition(QSlider::TicksBelow);
    m_layerValue = new QLabel(m_methodGroup);
    m_layerValue->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("00 / 00")));
    auto *layerBox = new QWidget(m_methodGroup);
    auto *layerRow = new QHBoxLayout(layerBox);
    layerRow->setContentsMargins(0, 0, 0, 0);
    layerRow->addWidget(m_layer, 1);
    layerRow->addWidget(m_layerValue);
    m_head = new QComboBox(m_methodGroup);
    m_head->addItems({QString(), QString(), QString()});
    m_queryValue = new QLabel(m_methodGroup);
    m_queryReset = new QToolButton(m_methodGroup);
    auto *queryBox = new QWidget(m_methodGroup);
    auto *queryRow = new QHBoxLayout(queryBox);
    queryRow->setContentsMargins(0, 0, 0, 0);
    queryRow->addWidget(m_queryValue, 1);
    queryRow->addWidget(m_queryReset);
    m_discard = new QDoubleSpinBox(m_methodGroup);
    m_discard->setRange(0.0, 0.99);
    m_discard->setSingleStep(0.05);
    m_discard->setDecimals(2);
    m_text = new QLineEdit(m_methodGroup);
    m_text->setObjectName(QStringLiteral("attentionText"));
    m_text->setClearButtonEnabled(true);
    m_methodHint = dimLabel(m_methodGroup);
    // The word-wrapped hint sits below the form, not in it: a QFormLayout with a height-for-width
    // row kept its old height when rows were shown again (Qt 6.4), squeezing them to nothing.
    auto *methodLayout = new QVBoxLayout(m_methodGroup);
    m_methodForm = new QFormLayout;
    methodLayout->addLayout(m_methodForm);
    methodLayout->addWidget(m_methodHint);
    m_methodForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_methodLabel = new QLabel(m_methodGroup);
    m_layerLabel = new QLabel(m_methodGroup);
    m_headLabel = new QLabel(m_methodGroup);
    m_queryLabel = new QLabel(m_methodGroup);
    m_discardLabel = new QLabel(m_methodGroup);
    m_textLabel = new QLabel(m_methodGroup);
    m_methodForm->addRow(m_methodLabel, m_method);
    m_methodForm->addRow(m_textLabel, m_text);
    m_methodForm->addRow(m_layerLabel, layerBox);
    m_methodForm->addRow(m_headLabel, m_head);
    m_methodForm->addRow(m_queryLabel, queryBox);
    m_methodForm->addRow(m_discardLabel, m_discard);

    // Per word (relevance) and per head (attention).
    m_wordsGroup = new QGroupBox(page);
    m_wordsHint = dimLabel(m_wordsGroup);
    m_words = new MapGrid(m_wordsGroup);
    m_words->setObjectName(QStringLiteral("attentionWords"));
    m_words->setThumbSize(kThumbSide);
    auto *wordsLayout = new QVBoxLayout(m_wordsGroup);
    wordsLayout->addWidget(m_wordsHint);
    wordsLayout->addWidget(m_words);
    m_headsGroup = new QGroupBox(page);
    m_headsHint = dimLabel(m_headsGroup);
    m_heads = new MapGrid(m_headsGroup);
    m_heads->setObjectName(QStringLiteral("attentionHeads"));
    m_heads->setThumbSize(kThumbSide);
    auto *headsLayout = new QVBoxLayout(m_headsGroup);
    headsLayout->addWidget(m_headsHint);
    headsLayout->addWidget(m_heads);

    // The display.
    m_displayGroup = new QGroupBox(page);
    m_colours = new QComboBox(m_displayGroup);
    m_colours->addItems({QString(), QString(), QString(), QString()}); // heatmap::ColourMap order
    m_opacity = new QSlider(Qt::Horizontal, m_displayGroup);
    m_opacity->setRange(0, 100);
    m_opacity->setValue(50);
    m_grid = new QCheckBox(m_displayGroup);
    m_grid->setChecked(true);
    m_exportOverlay = new QPushButton(m_displayGroup);
    m_exportOverlay->setObjectName(QStringLiteral("attentionExportOverlay"));
    m_exportMap = new QPushButton(m_displayGroup);
    m_exportMap->setObjectName(QStringLiteral("attentionExportMap"));
    auto *exportRow = new QHBoxLayout;
    exportRow->addWidget(m_exportOverlay);
    exportRow->addWidget(m_exportMap);
    exportRow->addStretch(1);
    auto *display = new QFormLayout(m_displayGroup);
    display->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_colourLabel = new QLabel(m_displayGroup);
    m_opacityLabel = new QLabel(m_displayGroup);
    display->addRow(m_colourLabel, m_colours);
    display->addRow(m_opacityLabel, m_opacity);
    display->addRow(m_grid);
    display->addRow(exportRow);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(6);
    layout->addLayout(modelRow);
    layout->addWidget(m_message);
    layout->addWidget(m_title);
    layout->addWidget(m_view);
    layout->addWidget(m_bar);
    layout->addWidget(m_info);
    layout->addWidget(m_state);
    layout->addWidget(m_methodGroup);
    layout->addWidget(m_wordsGroup);
    layout->addWidget(m_headsGroup);
    layout->addWidget(m_displayGroup);
    layout->addStretch(1);

    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    connect(m_timer, &QTimer::timeout, this, &AttentionPanel::recompute);
    connect(m_picker, &ModelPicker::currentChanged, this, [this] {
        m_layers = 0;
        scheduleRecompute();
    });
    connect(m_method, &QComboBox::currentIndexChanged, this, [this] {
        updateControls();
        scheduleRecompute();
    });
    connect(m_layer, &QSlider::valueChanged, this, [this] {
        updateControls();
        scheduleRecompute();
    });
    connect(m_head, &QComboBox::currentIndexChanged, this, [this] {
        m_heads->setCurrent(m_head->currentIndex() - FirstHead);
        scheduleRecompute();
    });
    connect(m_discard, &QDoubleSpinBox::valueChanged, this, &AttentionPanel::scheduleRecompute);
    connect(m_text, &QLineEdit::textChanged, this, [this] {
        m_word = 0;
        scheduleRecompute();
    });
    connect(m_queryReset, &QToolButton::clicked, this, [this] { setQueryToken(0); });
    connect(m_view, &HeatmapView::patchClicked, this, &AttentionPanel::onPatchClicked);
    connect(m_heads, &MapGrid::clicked, this, [this](int i) { m_head->setCurrentIndex(FirstHead + i); });
    connect(m_words, &MapGrid::clicked, this, [this](int i) {
        m_word = i;
        m_words->setCurrent(i);
        redrawMap();
    });
    connect(m_colours, &QComboBox::currentIndexChanged, this, [this](int i) {
        const auto map = static_cast<heatmap::ColourMap>(std::max(0, i));
        m_view->setColourMap(map);
        m_bar->setColourMap(map);
        refreshResult(); // the small multiples too
    });
    connect(m_opacity, &QSlider::valueChanged, this, [this](int v) {
        m_view->setOpacity(v / 100.0);
        refreshResult();
    });
    connect(m_grid, &QCheckBox::toggled, m_view, &HeatmapView::setGridVisible);
    connect(m_exportOverlay, &QPushButton::clicked, this, &AttentionPanel::exportOverlayDialog);
    connect(m_exportMap, &QPushButton::clicked, this, &AttentionPanel::exportMapDialog);
    connect(m_explain, &ExplainClient::progress, this, &AttentionPanel::onProgress);
    connect(m_explain, &ExplainClient::finished, this, &AttentionPanel::onFinished);

    retranslate();
    restoreSettings();
    updateControls();
}

AttentionPanel::~AttentionPanel()
{
    saveSettings();
}

void AttentionPanel::retranslate()
{
    setWindowTitle(tr("Attention"));
    m_modelLabel->setText(tr("CLIP model:"));
    m_methodGroup->setTitle(tr("Method"));
    m_methodLabel->setText(tr("Method:"));
    m_method->setItemText(AttentionMethod, tr("Raw attention"));
    m_method->setItemText(RolloutMethod, tr("Attention rollout"));
    m_method->setItemText(RelevanceMethod, tr("Relevance to a text"));
    m_layerLabel->setText(tr("Layer:"));
    m_headLabel->setText(tr("Heads:"));
    m_head->setItemText(MeanHeads, tr("Mean of the heads"));
    m_head->setItemText(MaxHeads, tr("Max of the heads"));
    m_head->setItemText(MinHeads, tr("Min of the heads"));
    for (int i = FirstHead; i < m_head->count(); ++i)
        m_head->setItemText(i, tr("Head %1").arg(i - FirstHead + 1));
    m_queryLabel->setText(tr("From:"));
    m_queryReset->setText(tr("CLS"));
    m_queryReset->setToolTip(tr("Attention from the class token again"));
    m_discardLabel->setText(tr("Discard ratio:"));
    m_discard->setToolTip(tr("Drop this fraction of the weakest fused attention weights in every layer"));
    m_textLabel->setText(tr("Why is this…"));
    m_text->setPlaceholderText(tr("e.g. a red circle"));
    m_wordsGroup->setTitle(tr("Per word"));
    m_wordsHint->setText(tr("Relevance of each word on its own; click one to show it above."));
    m_headsGroup->setTitle(tr("All heads of the layer"));
    m_headsHint->setText(tr("Each head scaled on its own; click one to show it above."));
    m_displayGroup->setTitle(tr("Display"));
    m_colourLabel->setText(tr("Colour map:"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Jet), tr("Jet"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Inferno), tr("Inferno"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Viridis), tr("Viridis"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Grey), tr("Grey"));
    m_opacityLabel->setText(tr("Opacity:"));
    m_grid->setText(tr("Show the patch grid"));
    m_exportOverlay->setText(tr("Export PNG…"));
    m_exportOverlay->setToolTip(tr("Save the image with the heatmap as PNG"));
    m_exportMap->setText(tr("Export Map…"));
    m_exportMap->setToolTip(tr("Save the raw, unscaled map as safetensors (tensor “map”, rows × columns)"));
    updateHint();
    m_bar->setToolTip(tr("The colours span the map's raw minimum and maximum"));
    updateControls();
    updateInfo();
}

void AttentionPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void AttentionPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_dirty)
        scheduleRecompute();
}

void AttentionPanel::restoreSettings()
{
    const QSettings s;
    const QSignalBlocker b1(m_method), b2(m_colours), b3(m_opacity), b4(m_text), b5(m_discard), b6(m_grid);
    m_method->setCurrentIndex(std::clamp(s.value(kMethodKey, 0).toInt(), 0, 2));
    m_text->setText(s.value(kTextKey).toString());
    m_discard->setValue(s.value(kDiscardKey, 0.0).toDouble());
    m_colours->setCurrentIndex(std::clamp(s.value(kColoursKey, 0).toInt(), 0, 3));
    m_opacity->setValue(std::clamp(s.value(kOpacityKey, 50).toInt(), 0, 100));
    m_grid->setChecked(s.value(kGridKey, true).toBool());
    const auto map = static_cast<heatmap::ColourMap>(m_colours->currentIndex());
    m_view->setColourMap(map);
    m_bar->setColourMap(map);
    m_view->setOpacity(m_opacity->value() / 100.0);
    m_view->setGridVisible(m_grid->isChecked());
}

void AttentionPanel::saveSettings() const
{
    QSettings s;
    s.setValue(kMethodKey, m_method->currentIndex());
    s.setValue(kTextKey, m_text->text().trimmed());
    s.setValue(kDiscardKey, m_discard->value());
    s.setValue(kColoursKey, m_colours->currentIndex());
    s.setValue(kOpacityKey, m_opacity->value());
    s.setValue(kGridKey, m_grid->isChecked());
}

// --- the form ------------------------------------------------------------------------------

void AttentionPanel::updateControls()
{
    const int method = m_method->currentIndex();
    const bool attention = method == AttentionMethod;
    const bool rollout = method == RolloutMethod;
    const bool relevance = method == RelevanceMethod;
    const auto showRow = [this](QLabel *label, bool on) {
        int row = -1;
        QFormLayout::ItemRole role;
        m_methodForm->getWidgetPosition(label, &row, &role);
        label->setVisible(on);
        if (QLayoutItem *field = m_methodForm->itemAt(row, QFormLayout::FieldRole); field && field->widget())
            field->widget()->setVisible(on);
    };
    showRow(m_layerLabel, attention);
    showRow(m_headLabel, attention || rollout);
    showRow(m_queryLabel, attention);
    showRow(m_discardLabel, rollout);
    showRow(m_textLabel, relevance);
    // Rollout fuses the heads: single heads are for raw attention.
    if (auto *items = qobject_cast<QStandardItemModel *>(m_head->model()))
        for (int i = FirstHead; i < m_head->count(); ++i)
            if (QStandardItem *item = items->item(i))
                item->setEnabled(attention);
    if (rollout && m_head->currentIndex() >= FirstHead) {
        const QSignalBlocker block(m_head);
        m_head->setCurrentIndex(MeanHeads);
        m_heads->setCurrent(-1);
    }
    m_layer->setEnabled(m_layers > 0);
    m_layerValue->setText(m_layers > 0 ? tr("%1 / %2").arg(m_layer->value() + 1).arg(m_layers) : tr("last"));
    m_queryValue->setText(m_query == 0 || !m_result || m_result->gridW <= 0
            ? tr("the class token (CLS)")
            : tr("the patch in row %1, column %2")
                  .arg((m_query - 1) / m_result->gridW + 1)
                  .arg((m_query - 1) % m_result->gridW + 1));
    m_queryReset->setEnabled(m_query != 0);
    m_methodHint->setText(attention ? tr("Click a patch in the image to see where it attends.")
            : rollout               ? tr("Attention flow from the class token through every layer (Abnar & Zuidema).")
                      : tr("Gradient-weighted relevance of each patch to the image–text similarity (Chefer et al.)."));
    m_headsGroup->setVisible(attention && m_result && !m_result->headMaps.empty());
    m_wordsGroup->setVisible(relevance && m_result && !m_result->wordMaps.empty());
}

void AttentionPanel::updateHeadItems(int heads)
{
    if (m_head->count() == FirstHead + heads)
        return;
    const QSignalBlocker block(m_head);
    const int current = m_head->currentIndex();
    while (m_head->count() > FirstHead)
        m_head->removeItem(m_head->count() - 1);
    for (int h = 0; h < heads; ++h)
        m_head->addItem(tr("Head %1").arg(h + 1));
    m_head->setCurrentIndex(current < m_head->count() ? current : MeanHeads);
}

void AttentionPanel::showFile(const QString &path)
{
    if (path == m_path)
        return;
    m_path = path;
    m_isVideo = !path.isEmpty() && ml::io::guessMediaKind(path.toStdString()) == ml::io::MediaKind::Video;
    m_videoTime = 0.0;
    m_query = 0;
    scheduleRecompute();
}

void AttentionPanel::setVideoTime(const QString &path, double timeS)
{
    if (!m_isVideo || path != m_path || timeS == m_videoTime)
        return;
    m_videoTime = std::max(0.0, timeS);
    scheduleRecompute();
}

void AttentionPanel::setQueryToken(int token)
{
    m_query = std::max(0, token);
    if (m_method->currentIndex() != AttentionMethod)
        m_method->setCurrentIndex(AttentionMethod); // schedules
    updateControls();
    scheduleRecompute();
}

void AttentionPanel::onPatchClicked(int row, int col)
{
    if (!m_result || m_result->gridW <= 0)
        return;
    setQueryToken(1 + row * m_result->gridW + col);
}

void AttentionPanel::scheduleRecompute()
{
    if (m_messageIsError)
        showMessage(QString(), false); // an old failure does not outlive the change
    m_pending = true;
    m_timer->start();
}

ml::ExplainRequest AttentionPanel::request() const
{
    ml::ExplainRequest r;
    r.model = m_picker->currentPath().toStdString();
    r.image = m_path.toStdString();
    if (m_isVideo)
        r.videoTimeS = m_videoTime; // the frame is decoded in the job, off the GUI thread
    r.method = static_cast<ml::ExplainMethod>(m_method->currentIndex());
    const int head = m_head->currentIndex();
    r.headFusion = fusionName(head);
    switch (m_method->currentIndex()) {
    case AttentionMethod:
        r.layer = m_layers > 0 ? m_layer->value() : -1;
        r.queryToken = m_query;
        r.allHeads = true; // the small multiples, and any single head without another job
        break;
    case RolloutMethod:
        r.discardRatio = m_discard->value();
        break;
    default:
        r.text = m_text->text().simplified().toStdString();
        r.perWord = m_text->text().simplified().contains(QLatin1Char(' '));
        r.headFusion = "mean";
        break;
    }
    return r;
}

void AttentionPanel::recompute()
{
    m_timer->stop();
    m_pending = false;
    // A hidden panel (another tab on top) does no work until it is shown.
    m_dirty = !isVisible();
    if (m_dirty)
        return;
    if (m_path.isEmpty()) {
        if (m_job)
            m_explain->cancel(m_job);
        clearResult(false);
        m_title->clear();
        showMessage(QString(), false);
        return;
    }
    m_title->setText(m_isVideo
            ? tr("%1 · frame at %2 s").arg(QFileInfo(m_path).fileName(), QLocale().toString(m_videoTime, 'f', 1))
            : QFileInfo(m_path).fileName());
    m_title->setToolTip(QDir::toNativeSeparators(m_path));
    if (m_picker->currentPath().isEmpty()) {
        showMessage(
            m_picker->isRefreshing() ? tr("The model list is still being searched…") : tr("Choose a CLIP model."),
            !m_picker->isRefreshing());
        return;
    }
    if (m_method->currentIndex() == RelevanceMethod && m_text->text().trimmed().isEmpty()) {
        // No map answers this form: the last one (another method's) must not pass for it.
        if (m_job)
            m_explain->cancel(m_job);
        clearResult(m_resultImage == imageKey());
        showMessage(tr("Type what the image should be (“a red circle”) to see which patches make it so."), false);
        return;
    }
    ml::ExplainRequest r = request();
    const QString key = ExplainClient::keyOf(r);
    if (const auto cached = m_explain->cached(r)) {
        if (m_job)
            m_explain->cancel(m_job);
        m_job = 0;
        showMessage(QString(), false);
        setResult(Entry {r.method, *cached, imageKey()});
        return;
    }
    if (m_job && key == m_jobKey)
        return; // already on its way
    if (m_job)
        m_explain->cancel(m_job); // its finished() is ignored: m_job moves on
    if (m_resultImage != imageKey())
        clearResult(false); // another picture's map must not stand under this one's name meanwhile
    m_jobKey = key;
    m_jobImage = imageKey();
    m_jobMethod = r.method;
    m_job = m_explain->explain(r, tr("Explaining %1").arg(QFileInfo(m_path).fileName()));
    m_state->setText(tr("Starting…"));
}

void AttentionPanel::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage)
{
    if (id != m_job)
        return;
    if (stage == QLatin1String(ml::kExplainStageLoading))
        m_state->setText(tr("Loading the model…"));
    else if (total > 1)
        m_state->setText(tr("Explaining: %1 of %2 maps").arg(done).arg(total));
    else
        m_state->setText(tr("Explaining…"));
}

void AttentionPanel::onFinished(quint64 id, const ExplainClient::Result &result, const QString &error, bool cancelled)
{
    if (id != m_job)
        return;
    m_job = 0;
    m_state->clear();
    if (result) {
        showMessage(QString(), false);
        setResult(Entry {m_jobMethod, *result, m_jobImage});
    } else if (!cancelled) {
        // Nothing of an earlier result may stay: it would pass for this file's.
        clearResult(false);
        showMessage(tr("Could not explain %1: %2").arg(QFileInfo(m_path).fileName(), error), true);
    }
}

// --- drawing -------------------------------------------------------------------------------

QString AttentionPanel::imageKey() const
{
    return m_isVideo ? m_path + QChar(0x1f) + QString::number(m_videoTime, 'g', 10) : m_path;
}

void AttentionPanel::setResult(const Entry &entry)
{
    m_resultMethod = entry.method;
    m_result = entry.result;
    m_resultImage = entry.image;
    refreshResult();
    Q_EMIT mapShown();
}

void AttentionPanel::clearResult(bool keepImage)
{
    m_result.reset();
    m_map.clear();
    m_mapLabel.clear();
    if (!keepImage) {
        m_view->setImage({});
        m_resultImage.clear();
    }
    m_view->clearMap();
    m_bar->clearRange();
    m_heads->clear();
    m_words->clear();
    updateControls();
    updateInfo();
}

void AttentionPanel::refreshResult()
{
    if (!m_result)
        return;
    const ml::ExplainResult &r = *m_result;
    if (r.layers != m_layers) {
        m_layers = r.layers;
        const QSignalBlocker block(m_layer);
        m_layer->setRange(0, std::max(0, r.layers - 1));
        m_layer->setValue(r.layer >= 0 ? r.layer : r.layers - 1);
    }
    if (r.heads != m_headCount) {
        m_headCount = r.heads;
        updateHeadItems(r.heads);
    }
    const QImage base = inputImage(r);
    m_view->setImage(base);
    const auto colours = static_cast<heatmap::ColourMap>(m_colours->currentIndex());
    const double opacity = m_opacity->value() / 100.0;
    m_heads->setItems(thumbnails(base, r.headMaps, r.gridH, r.gridW, colours, opacity), [&] {
        QStringList labels;
        for (int h = 0; h < static_cast<int>(r.headMaps.size()); ++h)
            labels << tr("Head %1").arg(h + 1);
        return labels;
    }());
    m_heads->setCurrent(m_head->currentIndex() - FirstHead);
    if (!r.wordMaps.empty()) {
        std::vector<ml::ExplainMap> maps {{r.modelName, r.map}};
        maps.insert(maps.end(), r.wordMaps.begin(), r.wordMaps.end());
        QStringList labels {tr("all words")};
        for (const ml::ExplainMap &m : r.wordMaps)
            labels << QStringLiteral("“%1”").arg(QString::fromStdString(m.label));
        m_words->setItems(thumbnails(base, maps, r.gridH, r.gridW, colours, opacity), labels);
        if (m_word >= m_words->count())
            m_word = 0;
        m_words->setCurrent(m_word);
    } else {
        m_words->clear();
        m_word = 0;
    }
    redrawMap();
    updateControls();
}

void AttentionPanel::redrawMap()
{
    if (!m_result) {
        m_map.clear();
        return;
    }
    const ml::ExplainResult &r = *m_result;
    const int head = m_head->currentIndex() - FirstHead;
    if (m_resultMethod == ml::ExplainMethod::Attention && head >= 0 && head < static_cast<int>(r.headMaps.size())) {
        m_map = r.headMaps[static_cast<std::size_t>(head)].values;
        m_mapLabel = tr("head %1").arg(head + 1);
    } else if (m_word > 0 && m_word <= static_cast<int>(r.wordMaps.size())) {
        m_map = r.wordMaps[static_cast<std::size_t>(m_word - 1)].values;
        m_mapLabel = QString::fromStdString(r.wordMaps[static_cast<std::size_t>(m_word - 1)].label);
    } else {
        m_map = r.map;
        m_mapLabel.clear();
    }
    m_view->setMap(m_map, r.gridH, r.gridW);
    const bool marked = m_method->currentIndex() == AttentionMethod && m_query > 0 && r.gridW > 0;
    m_view->setMarkedPatch(marked ? (m_query - 1) / r.gridW : -1, marked ? (m_query - 1) % r.gridW : -1);
    const auto [lo, hi] = heatmap::range(m_map);
    m_bar->setRange(lo, hi);
    updateInfo();
}

void AttentionPanel::updateInfo()
{
    if (!m_result) {
        m_info->clear();
        return;
    }
    const ml::ExplainResult &r = *m_result;
    QStringList parts;
    parts << tr("%1, %2 × %3 patches").arg(QString::fromStdString(r.modelName)).arg(r.gridH).arg(r.gridW);
    if (m_resultMethod == ml::ExplainMethod::Relevance)
        parts << tr("similarity %1").arg(QLocale().toString(r.similarity, 'f', 3));
    parts << tr("%1 s").arg(QLocale().toString(r.seconds, 'f', r.seconds < 1.0 ? 3 : 2));
    parts << tr("fast path max |Δ| %1").arg(QLocale().toString(r.fastPathMaxAbsDiff, 'g', 2));
    m_info->setText(parts.join(QStringLiteral(" · ")));
    m_info->setToolTip(tr("The explicit path (fp32) differs from the fast path (%1 on %2) by at most this much")
                           .arg(QString::fromStdString(r.dtype), QString::fromStdString(r.device)));
}

void AttentionPanel::showMessage(const QString &text, bool error)
{
    m_messageIsError = error;
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!text.isEmpty());
    updateHint();
}

void AttentionPanel::updateHint()
{
    // The empty view must not ask for a picture when the chosen one failed.
    m_view->setHint(m_messageIsError && !m_path.isEmpty()
            ? tr("No map: the message above says why.")
            : tr("Select an image in the gallery to see what the model looks at."));
}

QString AttentionPanel::message() const
{
    return m_message->text();
}

// --- export --------------------------------------------------------------------------------

bool AttentionPanel::exportOverlay(const QString &file)
{
    if (!m_result || m_map.empty()) {
        showMessage(tr("Nothing to export yet."), true);
        return false;
    }
    const QImage base = inputImage(*m_result);
    const int side = std::max(kExportSide, base.width());
    const QImage big = base.scaled(side, side, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    const QImage out = heatmap::overlay(big, m_map, m_result->gridH, m_result->gridW,
        static_cast<heatmap::ColourMap>(m_colours->currentIndex()), m_opacity->value() / 100.0);
    if (!out.save(file, "PNG")) {
        showMessage(tr("Could not write %1.").arg(QDir::toNativeSeparators(file)), true);
        return false;
    }
    showMessage(exportedText(tr("Saved the overlay (%1 × %2 px)").arg(out.width()).arg(out.height()), file), false);
    return true;
}

QString AttentionPanel::exportedText(const QString &what, const QString &file) const
{
    return m_isVideo ? tr("%1 of the frame at %2 s to %3.")
                           .arg(what, QLocale().toString(m_videoTime, 'f', 2), QDir::toNativeSeparators(file))
                     : tr("%1 to %2.").arg(what, QDir::toNativeSeparators(file));
}

bool AttentionPanel::exportRawMap(const QString &file)
{
    if (!m_result || m_map.empty()) {
        showMessage(tr("Nothing to export yet."), true);
        return false;
    }
    const ml::ExplainResult &r = *m_result;
    std::map<std::string, std::string> meta {{"method", ml::explainMethodName(m_resultMethod)}, {"model", r.modelName},
        {"image", m_path.toStdString()}, {"grid", std::to_string(r.gridH) + "x" + std::to_string(r.gridW)}};
    if (m_resultMethod == ml::ExplainMethod::Attention) {
        meta["layer"] = std::to_string(r.layer);
        meta["query_token"] = std::to_string(m_query);
        const int head = m_head->currentIndex() - FirstHead;
        meta["head"] = head >= 0 ? std::to_string(head) : std::string(fusionName(m_head->currentIndex()));
    } else if (m_resultMethod == ml::ExplainMethod::Rollout) {
        meta["discard_ratio"] = QString::number(m_discard->value()).toStdString();
        meta["head_fusion"] = fusionName(m_head->currentIndex());
    } else {
        meta["text"] = m_text->text().simplified().toStdString();
        if (!m_mapLabel.isEmpty())
            meta["word"] = m_mapLabel.toStdString();
    }
    if (m_isVideo)
        meta["time_s"] = QString::number(m_videoTime).toStdString();
    try {
        ml::io::saveSafetensorsF32(file.toStdString(), {{"map", {{r.gridH, r.gridW}, m_map}}}, meta);
    } catch (const ml::Error &e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return false;
    }
    showMessage(exportedText(tr("Saved the raw map (%1 × %2 patches)").arg(r.gridH).arg(r.gridW), file), false);
    return true;
}

void AttentionPanel::exportOverlayDialog()
{
    const QString start = dialogFolder(QStandardPaths::PicturesLocation) + QLatin1Char('/')
        + QFileInfo(m_path).completeBaseName() + QStringLiteral("-attention.png");
    QString file = QFileDialog::getSaveFileName(this, tr("Export the Overlay"), start, tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    if (!file.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive))
        file += QStringLiteral(".png");
    exportOverlay(file);
}

void AttentionPanel::exportMapDialog()
{
    const QString start = dialogFolder(QStandardPaths::DocumentsLocation) + QLatin1Char('/')
        + QFileInfo(m_path).completeBaseName() + QStringLiteral("-map.safetensors");
    QString file
        = QFileDialog::getSaveFileName(this, tr("Export the Raw Map"), start, tr("Safetensors files (*.safetensors)"));
    if (file.isEmpty())
        return;
    if (!file.endsWith(QStringLiteral(".safetensors"), Qt::CaseInsensitive))
        file += QStringLiteral(".safetensors");
    exportRawMap(file);
}
