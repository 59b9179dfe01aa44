// The Explain side panel: one group per function; every change goes to the controller, which
// tells back what to show (formChanged()).
#include "explain/explain_settings_page.h"

#include "common/model_picker.h"
#include "common/panel_widgets.h"
#include "explain/explain_controller.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QStandardItemModel>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

const QString kModelKey = QStringLiteral("attention/model");

} // namespace

ExplainSettingsPage::ExplainSettingsPage(EngineBridge *bridge, ExplainController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_picker(new ModelPicker(bridge, QStringLiteral("clip"), kModelKey, this))
{
    setObjectName(QStringLiteral("attentionSettings"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(6);
    layout->addWidget(buildModel());
    layout->addWidget(buildMethod());
    layout->addWidget(buildDisplay());
    m_state = dimLabel(this);
    m_state->setObjectName(QStringLiteral("attentionState"));
    layout->addWidget(m_state);
    layout->addStretch(1);
    connectForm();
    retranslate();
    showForm();
}

QWidget *ExplainSettingsPage::buildModel()
{
    auto *box = new QWidget(this);
    m_modelLabel = new QLabel(box);
    m_picker->setParent(box);
    m_picker->setObjectName(QStringLiteral("attentionModel"));
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    // The label above the picker: the picker's buttons need the panel's width.
    auto *column = new QVBoxLayout(box);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(2);
    column->addWidget(m_modelLabel);
    column->addWidget(m_picker);
    return box;
}

QGroupBox *ExplainSettingsPage::buildMethod()
{
    m_methodGroup = new QGroupBox(this);
    m_method = new QComboBox(m_methodGroup);
    m_method->setObjectName(QStringLiteral("attentionMethod"));
    m_method->addItems({QString(), QString(), QString()});
    m_layer = new QSlider(Qt::Horizontal, m_methodGroup);
    m_layer->setObjectName(QStringLiteral("attentionLayer"));
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
    m_head->setObjectName(QStringLiteral("attentionHead"));
    m_head->addItems({QString(), QString(), QString()});
    m_queryValue = new QLabel(m_methodGroup);
    m_queryReset = new QToolButton(m_methodGroup);
    auto *queryBox = new QWidget(m_methodGroup);
    auto *queryRow = new QHBoxLayout(queryBox);
    queryRow->setContentsMargins(0, 0, 0, 0);
    queryRow->addWidget(m_queryValue, 1);
    queryRow->addWidget(m_queryReset);
    m_discard = new QDoubleSpinBox(m_methodGroup);
    m_discard->setObjectName(QStringLiteral("attentionDiscard"));
    m_discard->setRange(0.0, 0.99);
    m_discard->setSingleStep(0.05);
    m_discard->setDecimals(2);
    m_text = new QLineEdit(m_methodGroup);
    m_text->setObjectName(QStringLiteral("attentionText"));
    m_text->setClearButtonEnabled(true);
    m_methodHint = dimLabel(m_methodGroup);
    // The word-wrapped hint sits below the form, not in it: a QFormLayout with a height-for-width
    // row kept its old height when rows were shown again (Qt 6.4), squeezing them to nothing.
    auto *layout = new QVBoxLayout(m_methodGroup);
    m_methodForm = new QFormLayout;
    layout->addLayout(m_methodForm);
    layout->addWidget(m_methodHint);
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
    return m_methodGroup;
}

QGroupBox *ExplainSettingsPage::buildDisplay()
{
    m_displayGroup = new QGroupBox(this);
    m_colours = new QComboBox(m_displayGroup);
    m_colours->setObjectName(QStringLiteral("attentionColours"));
    m_colours->addItems({QString(), QString(), QString(), QString()}); // heatmap::ColourMap order
    m_opacity = new QSlider(Qt::Horizontal, m_displayGroup);
    m_opacity->setObjectName(QStringLiteral("attentionOpacity"));
    m_opacity->setRange(0, 100);
    m_grid = new QCheckBox(m_displayGroup);
    m_grid->setObjectName(QStringLiteral("attentionGrid"));
    m_exportOverlay = new QPushButton(m_displayGroup);
    m_exportOverlay->setObjectName(QStringLiteral("attentionExportOverlay"));
    m_exportMap = new QPushButton(m_displayGroup);
    m_exportMap->setObjectName(QStringLiteral("attentionExportMap"));
    auto *exportRow = new QHBoxLayout;
    exportRow->addWidget(m_exportOverlay);
    exportRow->addWidget(m_exportMap);
    auto *display = new QFormLayout(m_displayGroup);
    display->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_colourLabel = new QLabel(m_displayGroup);
    m_opacityLabel = new QLabel(m_displayGroup);
    display->addRow(m_colourLabel, m_colours);
    display->addRow(m_opacityLabel, m_opacity);
    display->addRow(m_grid);
    display->addRow(exportRow);
    return m_displayGroup;
}

void ExplainSettingsPage::connectForm()
{
    ExplainController *c = m_controller;
    followPicker(m_picker, c);
    connect(m_method, &QComboBox::currentIndexChanged, c, &ExplainController::setMethod);
    connect(m_layer, &QSlider::valueChanged, c, &ExplainController::setLayer);
    connect(m_head, &QComboBox::currentIndexChanged, c, &ExplainController::setHead);
    connect(m_discard, &QDoubleSpinBox::valueChanged, c, &ExplainController::setDiscard);
    connect(m_text, &QLineEdit::textChanged, c, &ExplainController::setText);
    connect(m_queryReset, &QToolButton::clicked, c, [c] { c->setQueryToken(0); });
    connect(m_colours, &QComboBox::currentIndexChanged, c,
        [c](int i) { c->setColourMap(static_cast<heatmap::ColourMap>(std::max(0, i))); });
    connect(m_opacity, &QSlider::valueChanged, c, &ExplainController::setOpacity);
    connect(m_grid, &QCheckBox::toggled, c, &ExplainController::setGridVisible);
    connect(m_exportOverlay, &QPushButton::clicked, this, &ExplainSettingsPage::exportOverlayDialog);
    connect(m_exportMap, &QPushButton::clicked, this, &ExplainSettingsPage::exportMapDialog);
    connect(c, &ExplainController::formChanged, this, &ExplainSettingsPage::showForm);
    connect(c, &ExplainController::resultChanged, this, &ExplainSettingsPage::showForm);
    connect(c, &ExplainController::mapChanged, this, &ExplainSettingsPage::showForm); // the exports
    connect(c, &ExplainController::messageChanged, this, &ExplainSettingsPage::showState);
}

void ExplainSettingsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ExplainSettingsPage::retranslate()
{
    using C = ExplainController;
    m_modelLabel->setText(tr("CLIP model:"));
    m_methodGroup->setTitle(tr("Method"));
    m_methodLabel->setText(tr("Method:"));
    m_method->setItemText(C::AttentionMethod, tr("Raw attention"));
    m_method->setItemText(C::RolloutMethod, tr("Attention rollout"));
    m_method->setItemText(C::RelevanceMethod, tr("Relevance to a text"));
    m_layerLabel->setText(tr("Layer:"));
    m_headLabel->setText(tr("Heads:"));
    m_head->setItemText(C::MeanHeads, tr("Mean of the heads"));
    m_head->setItemText(C::MaxHeads, tr("Max of the heads"));
    m_head->setItemText(C::MinHeads, tr("Min of the heads"));
    for (int i = C::FirstHead; i < m_head->count(); ++i)
        m_head->setItemText(i, tr("Head %1").arg(i - C::FirstHead + 1));
    m_queryLabel->setText(tr("From:"));
    m_queryReset->setText(tr("CLS"));
    m_queryReset->setToolTip(tr("Attention from the class token again"));
    m_discardLabel->setText(tr("Discard ratio:"));
    m_discard->setToolTip(tr("Drop this fraction of the weakest fused attention weights in every layer"));
    m_textLabel->setText(tr("Why is this…"));
    m_text->setPlaceholderText(tr("e.g. a red circle"));
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
    showForm();
}

void ExplainSettingsPage::showRow(QLabel *label, bool on)
{
    int row = -1;
    QFormLayout::ItemRole role;
    m_methodForm->getWidgetPosition(label, &row, &role);
    label->setVisible(on);
    if (QLayoutItem *field = m_methodForm->itemAt(row, QFormLayout::FieldRole); field && field->widget())
        field->widget()->setVisible(on);
}

void ExplainSettingsPage::updateHeadItems()
{
    const int heads = m_controller->headCount();
    if (m_head->count() == ExplainController::FirstHead + heads)
        return;
    while (m_head->count() > ExplainController::FirstHead)
        m_head->removeItem(m_head->count() - 1);
    for (int h = 0; h < heads; ++h)
        m_head->addItem(tr("Head %1").arg(h + 1));
}

void ExplainSettingsPage::showForm()
{
    using C = ExplainController;
    const C::Form &f = m_controller->form();
    const QSignalBlocker b1(m_method), b2(m_layer), b3(m_head), b4(m_discard), b5(m_text), b6(m_colours), b7(m_opacity),
        b8(m_grid);
    const bool attention = f.method == C::AttentionMethod, rollout = f.method == C::RolloutMethod;
    m_method->setCurrentIndex(f.method);
    showRow(m_layerLabel, attention);
    showRow(m_headLabel, attention || rollout);
    showRow(m_queryLabel, attention);
    showRow(m_discardLabel, rollout);
    showRow(m_textLabel, f.method == C::RelevanceMethod);
    updateHeadItems();
    // Rollout fuses the heads: single heads are for raw attention.
    if (auto *items = qobject_cast<QStandardItemModel *>(m_head->model()))
        for (int i = C::FirstHead; i < m_head->count(); ++i)
            if (QStandardItem *item = items->item(i))
                item->setEnabled(attention);
    m_head->setCurrentIndex(f.head);
    const int layers = m_controller->layers();
    m_layer->setRange(0, std::max(0, layers - 1));
    m_layer->setValue(f.layer >= 0 ? f.layer : std::max(0, layers - 1));
    m_layer->setEnabled(layers > 0);
    m_layerValue->setText(layers > 0 ? tr("%1 / %2").arg(m_layer->value() + 1).arg(layers) : tr("last"));
    const auto &r = m_controller->result();
    m_queryValue->setText(f.query == 0 || !r || r->gridW <= 0
            ? tr("the class token (CLS)")
            : tr("the patch in row %1, column %2").arg((f.query - 1) / r->gridW + 1).arg((f.query - 1) % r->gridW + 1));
    m_queryReset->setEnabled(f.query != 0);
    m_discard->setValue(f.discard);
    if (m_text->text() != f.text)
        m_text->setText(f.text);
    m_methodHint->setText(attention ? tr("Click a patch in the image to see where it attends.")
            : rollout               ? tr("Attention flow from the class token through every layer (Abnar & Zuidema).")
                      : tr("Gradient-weighted relevance of each patch to the image–text similarity (Chefer et al.)."));
    m_colours->setCurrentIndex(static_cast<int>(f.colours));
    m_opacity->setValue(f.opacity);
    m_grid->setChecked(f.grid);
    const bool drawn = r && !m_controller->currentMap().empty();
    m_exportOverlay->setEnabled(drawn);
    m_exportMap->setEnabled(drawn);
}

void ExplainSettingsPage::showState()
{
    m_state->setText(m_controller->state());
}

void ExplainSettingsPage::exportOverlayDialog()
{
    const QString start = dialogFolder(QStandardPaths::PicturesLocation) + QLatin1Char('/')
        + QFileInfo(m_controller->currentPath()).completeBaseName() + QStringLiteral("-attention.png");
    QString file = QFileDialog::getSaveFileName(this, tr("Export the Overlay"), start, tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    if (!file.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive))
        file += QStringLiteral(".png");
    m_controller->exportOverlay(file);
}

void ExplainSettingsPage::exportMapDialog()
{
    const QString start = dialogFolder(QStandardPaths::DocumentsLocation) + QLatin1Char('/')
        + QFileInfo(m_controller->currentPath()).completeBaseName() + QStringLiteral("-map.safetensors");
    QString file
        = QFileDialog::getSaveFileName(this, tr("Export the Raw Map"), start, tr("Safetensors files (*.safetensors)"));
    if (file.isEmpty())
        return;
    if (!file.endsWith(QStringLiteral(".safetensors"), Qt::CaseInsensitive))
        file += QStringLiteral(".safetensors");
    m_controller->exportRawMap(file);
}
