// The Q-Former side panel: the combos are refilled from the result (its cross-attention layers
// and heads) and the answer (its language-model layers); every change goes to the controller.
#include "qformer/qformer_settings_page.h"

#include "common/model_picker.h"
#include "qformer/qformer_controller.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>

namespace {

const QString kModelKey = QStringLiteral("qformer/model");

} // namespace

QFormerSettingsPage::QFormerSettingsPage(EngineBridge *bridge, QFormerController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_picker(new ModelPicker(bridge, QStringLiteral("blip-2"), kModelKey, this))
{
    setObjectName(QStringLiteral("qformerSettings"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(6);
    layout->addWidget(buildModel());
    layout->addWidget(buildMaps());
    layout->addWidget(buildDisplay());
    layout->addStretch(1);

    QFormerController *c = m_controller;
    followPicker(m_picker, c);
    selectRequestedModels(m_picker, c);
    connect(c, &QFormerController::formChanged, this, &QFormerSettingsPage::showForm);
    connect(c, &QFormerController::resultChanged, this, &QFormerSettingsPage::showForm);
    connect(c, &QFormerController::answerChanged, this, &QFormerSettingsPage::showForm);
    connect(m_layer, &QComboBox::currentIndexChanged, c, [c](int i) { c->setCrossLayer(i - 1); });
    connect(m_heads, &QComboBox::currentIndexChanged, c, &QFormerController::setHead);
    connect(m_lmLayer, &QComboBox::currentIndexChanged, c, [c](int i) { c->setLmLayer(i - 1); });
    connect(m_colours, &QComboBox::currentIndexChanged, c,
        [c](int i) { c->setColourMap(static_cast<heatmap::ColourMap>(i)); });
    connect(m_opacity, &QSlider::valueChanged, c, &QFormerController::setOpacity);
    connect(m_grid, &QCheckBox::toggled, c, &QFormerController::setGridVisible);
    connect(m_throughVision, &QCheckBox::toggled, c, &QFormerController::setThroughVision);
    retranslate();
}

QWidget *QFormerSettingsPage::buildModel()
{
    auto *box = new QWidget(this);
    m_modelLabel = new QLabel(box);
    m_picker->setParent(box);
    m_picker->setObjectName(QStringLiteral("qformerModel"));
    m_picker->combo()->setMinimumContentsLength(12);
    auto *layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_modelLabel);
    layout->addWidget(m_picker, 1);
    return box;
}

QGroupBox *QFormerSettingsPage::buildMaps()
{
    m_mapsGroup = new QGroupBox(this);
    m_layer = new QComboBox(m_mapsGroup);
    m_layer->setObjectName(QStringLiteral("qformerLayer"));
    m_heads = new QComboBox(m_mapsGroup);
    m_heads->setObjectName(QStringLiteral("qformerHeads"));
    m_lmLayer = new QComboBox(m_mapsGroup);
    m_lmLayer->setObjectName(QStringLiteral("qformerLmLayer"));
    m_layerLabel = new QLabel(m_mapsGroup);
    m_headsLabel = new QLabel(m_mapsGroup);
    m_lmLayerLabel = new QLabel(m_mapsGroup);
    auto *form = new QFormLayout(m_mapsGroup);
    form->addRow(m_layerLabel, m_layer);
    form->addRow(m_headsLabel, m_heads);
    form->addRow(m_lmLayerLabel, m_lmLayer);
    m_throughVision = new QCheckBox(m_mapsGroup);
    m_throughVision->setObjectName(QStringLiteral("qformerThroughVision"));
    form->addRow(m_throughVision);
    return m_mapsGroup;
}

QGroupBox *QFormerSettingsPage::buildDisplay()
{
    m_displayGroup = new QGroupBox(this);
    m_colours = new QComboBox(m_displayGroup);
    m_colours->setObjectName(QStringLiteral("qformerColours"));
    m_colours->addItems({QString(), QString(), QString(), QString()}); // heatmap::ColourMap order
    m_opacity = new QSlider(Qt::Horizontal, m_displayGroup);
    m_opacity->setObjectName(QStringLiteral("qformerOpacity"));
    m_opacity->setRange(0, 100);
    m_grid = new QCheckBox(m_displayGroup);
    m_grid->setObjectName(QStringLiteral("qformerGrid"));
    m_coloursLabel = new QLabel(m_displayGroup);
    m_opacityLabel = new QLabel(m_displayGroup);
    auto *form = new QFormLayout(m_displayGroup);
    form->addRow(m_coloursLabel, m_colours);
    form->addRow(m_opacityLabel, m_opacity);
    form->addRow(m_grid);
    return m_displayGroup;
}

void QFormerSettingsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void QFormerSettingsPage::retranslate()
{
    m_modelLabel->setText(tr("Model"));
    m_mapsGroup->setTitle(tr("Maps"));
    m_layerLabel->setText(tr("Cross-attention"));
    m_layer->setToolTip(tr("The Q-Former layer whose cross-attention to the image is drawn, or their mean"));
    m_headsLabel->setText(tr("Heads"));
    m_lmLayerLabel->setText(tr("Answer words"));
    m_lmLayer->setToolTip(tr("The language model's layer whose attention from an answer word to the queries "
                             "weights their maps, or the mean over layers (heads: their mean)"));
    m_throughVision->setText(tr("Through the vision tower"));
    m_throughVision->setToolTip(tr("Carry each map back through the vision tower's attention rollout onto the input "
                                   "patches: the queries attend to the tower's output tokens, which may hold what "
                                   "other patches show"));
    m_displayGroup->setTitle(tr("Display"));
    m_coloursLabel->setText(tr("Colour map"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Jet), tr("Jet"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Inferno), tr("Inferno"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Viridis), tr("Viridis"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Grey), tr("Grey"));
    m_opacityLabel->setText(tr("Opacity"));
    m_grid->setText(tr("Patch grid"));
    showForm();
}

void QFormerSettingsPage::showForm()
{
    const QFormerController *c = m_controller;
    const auto &f = c->form();
    const auto &result = c->result();
    const QSignalBlocker b1(m_layer), b2(m_heads), b3(m_lmLayer), b4(m_colours), b5(m_opacity), b6(m_grid),
        b7(m_throughVision);
    m_layer->clear();
    m_layer->addItem(tr("Mean of the layers"));
    if (result)
        for (int l : result->crossLayers)
            m_layer->addItem(tr("Layer %1").arg(l + 1));
    m_layer->setCurrentIndex(std::clamp(f.crossLayer + 1, 0, m_layer->count() - 1));
    m_heads->clear();
    m_heads->addItems({tr("Mean of the heads"), tr("Max of the heads")});
    if (result)
        for (int h = 0; h < result->heads; ++h)
            m_heads->addItem(tr("Head %1").arg(h + 1));
    m_heads->setCurrentIndex(std::clamp(f.head, 0, m_heads->count() - 1));
    m_lmLayer->clear();
    m_lmLayer->addItem(tr("Mean of the layers"));
    for (int l = 0; l < c->lmLayers(); ++l)
        m_lmLayer->addItem(tr("Layer %1").arg(l + 1));
    m_lmLayer->setCurrentIndex(std::clamp(f.lmLayer + 1, 0, m_lmLayer->count() - 1));
    m_lmLayer->setEnabled(c->lmLayers() > 0);
    m_colours->setCurrentIndex(static_cast<int>(f.colours));
    m_opacity->setValue(f.opacity);
    m_grid->setChecked(f.grid);
    m_throughVision->setChecked(f.throughVision);
    m_throughVision->setEnabled(result && !result->visionRollout.empty());
}
