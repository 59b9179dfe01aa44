// ChatGroundingView: redrawn from the GroundingController; hovers, clicks, strokes and buttons go
// back to it.
#include "chat/chat_grounding_view.h"

#include "chat/grounding_controller.h"
#include "chat/probe_canvas.h"
#include "chat/word_strip.h"
#include "common/panel_widgets.h"

#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSlider>
#include <QStyle>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace {

constexpr int kControlsWidth = 220; // the column of settings beside the picture
constexpr ml::GroundingMethod kMethods[]
    = {ml::GroundingMethod::Attention, ml::GroundingMethod::Relevancy, ml::GroundingMethod::Corrected};

// The picture on a square (the canvas draws a square), centred on black.
QImage squared(const QImage &picture)
{
    if (picture.isNull())
        return {};
    const int side = std::max(picture.width(), picture.height());
    QImage out(side, side, QImage::Format_RGB32);
    out.fill(Qt::black);
    QPainter p(&out);
    p.drawImage((side - picture.width()) / 2, (side - picture.height()) / 2, picture);
    return out;
}

QString percent(float p)
{
    return QLocale().toString(100.0 * p, 'f', p >= 0.1f ? 1 : 2) + QStringLiteral(" %");
}

// Three significant digits: a probe moves small probabilities in their third digit.
QString probability(float p)
{
    return QLocale().toString(100.0 * p, 'g', 3) + QStringLiteral(" %");
}

QString shownText(const std::string &text)
{
    const QString t = QString::fromStdString(text);
    return (t.trimmed().isEmpty() ? QStringLiteral("␣") : t.trimmed()).toHtmlEscaped();
}

// The answer's words, those not at the same place in `other` marked.
QString markedAnswer(const std::vector<ml::GroundedWord> &words, const std::vector<ml::GroundedWord> &other)
{
    QStringList out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const QString w = QString::fromStdString(words[i].text).toHtmlEscaped();
        const bool changed = i >= other.size() || other[i].text != words[i].text;
        out << (changed ? QStringLiteral("<span class=\"changed\">%1</span>").arg(w) : w);
    }
    return out.join(QLatin1Char(' '));
}

} // namespace

ChatGroundingView::ChatGroundingView(GroundingController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
{
    setObjectName(QStringLiteral("chatGrounding"));
    m_title = new QLabel(this);
    QFont bold = font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("chatGroundingMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    m_words = new WordStrip(this);
    m_words->setObjectName(QStringLiteral("chatGroundingWords"));
    m_compare = new QTextBrowser(this);
    m_compare->setObjectName(QStringLiteral("chatProbeCompare"));
    m_compare->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_compare->setMinimumHeight(fontMetrics().lineSpacing() * 6);
    m_compare->setMaximumHeight(fontMetrics().lineSpacing() * 16);
    m_compare->hide();

    auto *body = new QHBoxLayout;
    body->addWidget(buildPicture(), 1);
    body->addWidget(buildControls());
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 8, 8, 8);
    layout->setSpacing(4);
    layout->addWidget(m_title);
    layout->addWidget(m_words);
    layout->addLayout(body, 1);
    layout->addWidget(m_compare, 1); // the room the square picture leaves

    GroundingController *c = m_controller;
    connect(c, &GroundingController::resultChanged, this, &ChatGroundingView::showResult);
    connect(c, &GroundingController::pictureChanged, this, &ChatGroundingView::showResult);
    connect(c, &GroundingController::mapChanged, this, [this] {
        showMap();
        showBusy();
    });
    connect(c, &GroundingController::formChanged, this, &ChatGroundingView::showForm);
    connect(c, &GroundingController::maskChanged, this, [this] {
        m_canvas->setMask(m_controller->mask());
        showBusy();
    });
    connect(c, &GroundingController::probeChanged, this, &ChatGroundingView::showProbe);
    connect(c, &GroundingController::busyChanged, this, &ChatGroundingView::showBusy);
    connect(c, &GroundingController::messageChanged, this, &ChatGroundingView::showMessage);
    connect(m_words, &WordStrip::wordHovered, c, &GroundingController::hoverWord);
    connect(m_words, &WordStrip::wordClicked, c, &GroundingController::selectWord);
    connect(m_canvas, &ProbeCanvas::stroked, c, &GroundingController::paintStroke);
    connect(m_method, &QComboBox::currentIndexChanged, c, [c](int i) {
        if (i >= 0 && i < static_cast<int>(std::size(kMethods)))
            c->setMethod(kMethods[i]);
    });
    connect(m_layer, &QComboBox::currentIndexChanged, c, [c](int i) { c->setLayer(i - 1); });
    connect(m_opacity, &QSlider::valueChanged, c, &GroundingController::setOpacity);
    connect(m_colours, &QComboBox::currentIndexChanged, c,
        [c](int i) { c->setColourMap(static_cast<heatmap::ColourMap>(std::max(0, i))); });
    connect(m_paint, &QPushButton::toggled, c, &GroundingController::setPaintMode);
    connect(m_top, &QPushButton::clicked, c, [c] { c->hideTopPatches(); });
    connect(m_clear, &QPushButton::clicked, c, &GroundingController::clearMask);
    connect(m_ask, &QPushButton::clicked, c, &GroundingController::reask);
    connect(m_exportPng, &QPushButton::clicked, this, &ChatGroundingView::exportOverlay);
    connect(m_exportMaps, &QPushButton::clicked, this, &ChatGroundingView::exportMaps);
    connect(m_cancel, &QPushButton::clicked, c, &GroundingController::cancel);
    retranslate();
    showResult();
}

QWidget *ChatGroundingView::buildPicture()
{
    auto *box = new QWidget(this);
    m_canvas = new ProbeCanvas(box);
    m_canvas->setObjectName(QStringLiteral("chatGroundingView"));
    m_canvas->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    m_canvas->setMinimumSize(200, 200);
    m_bar = new ColourBar(box);
    m_bar->setObjectName(QStringLiteral("chatGroundingColourBar"));
    m_mapInfo = dimLabel(box);
    m_mapInfo->setObjectName(QStringLiteral("chatGroundingInfo"));
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_canvas, 1);
    layout->addWidget(m_bar);
    layout->addWidget(m_mapInfo);
    layout->addStretch(0);
    return box;
}

QWidget *ChatGroundingView::buildControls()
{
    auto *box = new QWidget(this);
    box->setFixedWidth(kControlsWidth);
    m_methodLabel = new QLabel(box);
    m_method = new QComboBox(box);
    m_method->setObjectName(QStringLiteral("chatGroundingMethod"));
    for (std::size_t i = 0; i < std::size(kMethods); ++i)
        m_method->addItem(QString());
    m_layerLabel = new QLabel(box);
    m_layer = new QComboBox(box);
    m_layer->setObjectName(QStringLiteral("chatGroundingLayer"));
    m_opacityLabel = new QLabel(box);
    m_opacity = new QSlider(Qt::Horizontal, box);
    m_opacity->setObjectName(QStringLiteral("chatGroundingOpacity"));
    m_opacity->setRange(0, 100);
    m_coloursLabel = new QLabel(box);
    m_colours = new QComboBox(box);
    m_colours->setObjectName(QStringLiteral("chatGroundingColours"));
    m_colours->addItems({QString(), QString(), QString(), QString()}); // heatmap::ColourMap order
    auto *form = new QFormLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(m_methodLabel, m_method);
    form->addRow(m_layerLabel, m_layer);
    form->addRow(m_opacityLabel, m_opacity);
    form->addRow(m_coloursLabel, m_colours);

    m_probeGroup = new QGroupBox(box);
    m_probeGroup->setObjectName(QStringLiteral("chatProbe"));
    m_probeHint = dimLabel(m_probeGroup);
    m_paint = new QPushButton(m_probeGroup);
    m_paint->setObjectName(QStringLiteral("chatProbePaint"));
    m_paint->setCheckable(true);
    m_clear = new QPushButton(m_probeGroup);
    m_clear->setObjectName(QStringLiteral("chatProbeClear"));
    m_top = new QPushButton(m_probeGroup);
    m_top->setObjectName(QStringLiteral("chatProbeTop"));
    m_ask = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), QString(), m_probeGroup);
    m_ask->setObjectName(QStringLiteral("chatProbeAsk"));
    auto *probe = new QGridLayout(m_probeGroup);
    probe->setContentsMargins(6, 6, 6, 6);
    probe->addWidget(m_probeHint, 0, 0, 1, 2);
    probe->addWidget(m_paint, 1, 0);
    probe->addWidget(m_clear, 1, 1);
    probe->addWidget(m_top, 2, 0, 1, 2);
    probe->addWidget(m_ask, 3, 0, 1, 2);

    m_exportPng = new QPushButton(box);
    m_exportPng->setObjectName(QStringLiteral("chatGroundingExportPng"));
    m_exportMaps = new QPushButton(box);
    m_exportMaps->setObjectName(QStringLiteral("chatGroundingExportMaps"));
    auto *exports = new QHBoxLayout;
    exports->addWidget(m_exportPng);
    exports->addWidget(m_exportMaps);

    m_state = dimLabel(box);
    m_state->setObjectName(QStringLiteral("chatGroundingState"));
    m_progress = new QProgressBar(box);
    m_progress->setObjectName(QStringLiteral("chatGroundingProgress"));
    m_progress->setTextVisible(false);
    m_cancel = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), QString(), box);
    m_cancel->setObjectName(QStringLiteral("chatGroundingCancel"));
    auto *busy = new QHBoxLayout;
    busy->addWidget(m_progress, 1);
    busy->addWidget(m_cancel);

    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(form);
    layout->addWidget(m_probeGroup);
    layout->addLayout(exports);
    layout->addWidget(m_message); // here, so that a message does not move the picture
    layout->addStretch(1);
    layout->addWidget(m_state);
    layout->addLayout(busy);
    return box;
}

void ChatGroundingView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ChatGroundingView::retranslate()
{
    m_words->setToolTip(QString());
    m_methodLabel->setText(tr("Method"));
    for (std::size_t i = 0; i < std::size(kMethods); ++i)
        m_method->setItemText(static_cast<int>(i), GroundingController::methodText(kMethods[i]));
    m_method->setItemData(0, tr("The attention from the position that wrote the word to each patch"), Qt::ToolTipRole);
    m_method->setItemData(1,
        tr("Attention weighted by its gradient, carried through the layers (Chefer et al. 2021): what the word "
           "relied on"),
        Qt::ToolTipRole);
    m_method->setItemData(2,
        tr("The attention minus the part the earlier words' attention explains: what is new for this word"),
        Qt::ToolTipRole);
    m_layerLabel->setText(tr("Layer"));
    m_opacityLabel->setText(tr("Opacity"));
    m_coloursLabel->setText(tr("Colours"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Jet), tr("Jet"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Inferno), tr("Inferno"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Viridis), tr("Viridis"));
    m_colours->setItemText(static_cast<int>(heatmap::ColourMap::Grey), tr("Grey"));
    m_bar->setToolTip(tr("The colours span the map's raw minimum and maximum"));
    m_probeGroup->setTitle(tr("Probe"));
    m_probeHint->setText(tr("Hide a region and ask the same question again."));
    m_paint->setText(tr("Paint to Hide"));
    m_paint->setToolTip(
        tr("Drag over the picture to hide that region (right button: erase). Hidden pixels take "
           "the picture's background colour (the median of its border); a patch at least half painted is "
           "hidden whole."));
    m_top->setText(tr("Hide Top Patches"));
    m_top->setToolTip(tr("Hide the 10 % of patches where the shown word looked most"));
    m_clear->setText(tr("Clear"));
    m_clear->setToolTip(tr("Show the whole picture again"));
    m_ask->setText(tr("Re-ask"));
    m_ask->setToolTip(tr("Ask the same question about the picture with the region hidden"));
    m_exportPng->setText(tr("Export PNG…"));
    m_exportPng->setToolTip(tr("Save the shown word's map over the picture"));
    m_exportMaps->setText(tr("Export Maps…"));
    m_exportMaps->setToolTip(tr("Save every word's map for the chosen method as safetensors"));
    m_cancel->setText(tr("Cancel"));
    m_canvas->setHint(tr("Select a picture in the gallery, drop one here or pick a file."));
    m_title->setToolTip(tr("Where each word looked"));
    showResult();
    showMessage();
}

void ChatGroundingView::showResult()
{
    const GroundingController *c = m_controller;
    const QString title = c->pictureTitle();
    m_title->setText(title.isEmpty() ? tr("Where each word looked") : title);
    m_canvas->setImage(c->result() ? c->inputImage() : squared(c->picture()));
    m_canvas->setMask(c->mask());
    const auto &result = c->result();
    if (!result) {
        m_words->clear();
        m_compare->hide();
    } else {
        QStringList words, tips;
        const std::vector<float> shares = c->wordShares();
        const float top = shares.empty() ? 0.0f : *std::max_element(shares.begin(), shares.end());
        std::vector<float> tints;
        for (int i = 0; i < c->wordCount(); ++i) {
            const QString w = c->wordText(i);
            words << (w.isEmpty() ? QStringLiteral("␣") : w);
            const float share = shares[static_cast<std::size_t>(i)];
            tints.push_back(top > 0.0f ? share / top : 0.0f);
            tips << tr("“%1”: %2 of its relevance on the picture").arg(w, percent(share));
        }
        m_words->setWords(words, tints, tips);
    }
    m_words->setToolTip(result ? tr("The stronger the tint, the more of the word's relevance lay on the picture. "
                                    "Hover a word to see its map; click to keep it.")
                               : QString());
    showForm();
    showMap();
    showProbe();
    showBusy();
}

void ChatGroundingView::showForm()
{
    const GroundingController *c = m_controller;
    const QSignalBlocker b1(m_method), b2(m_layer), b3(m_opacity), b4(m_colours), b5(m_paint);
    for (std::size_t i = 0; i < std::size(kMethods); ++i)
        if (kMethods[i] == c->method())
            m_method->setCurrentIndex(static_cast<int>(i));
    if (m_layer->count() != c->layers() + 1) {
        m_layer->clear();
        m_layer->addItem(tr("All (mean)"));
        for (int l = 0; l < c->layers(); ++l)
            m_layer->addItem(tr("Layer %1").arg(l + 1));
    }
    m_layer->setCurrentIndex(c->layer() + 1);
    m_layer->setEnabled(c->method() == ml::GroundingMethod::Attention && c->layers() > 0);
    m_opacity->setValue(c->opacity());
    m_colours->setCurrentIndex(static_cast<int>(c->colours()));
    m_paint->setChecked(c->paintMode());
    m_canvas->setPaintMode(c->paintMode());
}

void ChatGroundingView::showMap()
{
    const GroundingController *c = m_controller;
    m_canvas->setColourMap(c->colours());
    m_bar->setColourMap(c->colours());
    m_bar->setVisible(c->result().has_value());
    m_canvas->setOpacity(c->opacity() / 100.0);
    m_words->setCurrent(c->shownWord());
    const auto &result = c->result();
    const int word = c->shownWord();
    if (!result || c->currentMap().empty() || word < 0) {
        m_canvas->clearMap();
        m_bar->clearRange();
        m_mapInfo->setText(result && !result->words.empty()
                ? tr("Hover or click a word of the answer.")
                : tr("Ask a LLaVA model about the picture: when the answer is done, hover one of its words to see "
                     "where it looked."));
        return;
    }
    m_canvas->setMap(c->currentMap(), result->gridH, result->gridW);
    const auto [lo, hi] = heatmap::range(c->currentMap());
    m_bar->setRange(lo, hi);
    const std::vector<float> shares = c->wordShares();
    m_mapInfo->setText(
        tr("“%1” · %2 · %3 of its relevance on the picture · %4, %5 × %6 patches")
            .arg(c->wordText(word), GroundingController::methodText(c->method()),
                percent(shares.at(static_cast<std::size_t>(word))), QString::fromStdString(result->chat.modelName))
            .arg(result->gridH)
            .arg(result->gridW));
}

void ChatGroundingView::showProbe()
{
    const GroundingController *c = m_controller;
    const auto &probed = c->probeTokens();
    if (!c->result() || (probed.empty() && !c->isProbing())) {
        m_compare->hide();
        m_compare->clear();
        return;
    }
    const auto &original = c->originalTokens();
    const auto originalWords = ml::groupWords(original);
    const auto probedWords = ml::groupWords(probed);
    const QColor dim = palette().color(QPalette::PlaceholderText);
    m_compare->document()->setDefaultStyleSheet(
        QStringLiteral(".changed { background-color: rgba(229, 72, 77, 110); font-weight: bold; }"
                       " .head { color: %1; } td { padding: 0 6px 0 0; }")
            .arg(dim.name()));
    QString html = QStringLiteral("<table width=\"100%\"><tr><td class=\"head\">%1</td><td class=\"head\">%2</td></tr>")
                       .arg(tr("Original"),
                           c->isProbing() ? tr("Region hidden (writing…)")
                                          : tr("Region hidden (%n patches)", nullptr, c->probeHidden()));
    html += QStringLiteral("<tr><td>%1</td><td>%2</td></tr></table>")
                .arg(markedAnswer(originalWords, probedWords), markedAnswer(probedWords, originalWords));
    // Token by token, each with the probability the model gave it.
    html += QStringLiteral("<table width=\"100%\"><tr><td class=\"head\">#</td><td class=\"head\">%1</td>"
                           "<td class=\"head\">p</td><td class=\"head\">%2</td><td class=\"head\">p</td></tr>")
                .arg(tr("original"), tr("hidden"));
    const std::size_t rows = std::max(original.size(), probed.size());
    for (std::size_t i = 0; i < rows; ++i) {
        const bool same = i < original.size() && i < probed.size() && original[i].id == probed[i].id;
        const auto cell = [&](const std::vector<ml::ChatToken> &tokens) {
            return i < tokens.size() ? QStringLiteral("<td%1>%2</td><td>%3</td>")
                                           .arg(same ? QString() : QStringLiteral(" class=\"changed\""),
                                               shownText(tokens[i].text), probability(tokens[i].prob))
                                     : QStringLiteral("<td></td><td></td>");
        };
        html += QStringLiteral("<tr><td class=\"head\">%1</td>%2%3</tr>").arg(i + 1).arg(cell(original), cell(probed));
    }
    html += QStringLiteral("</table>");
    m_compare->setHtml(html);
    m_compare->show();
}

void ChatGroundingView::showBusy()
{
    const GroundingController *c = m_controller;
    const bool result = c->result().has_value();
    const bool busy = c->isBusy() || c->isProbing();
    m_paint->setEnabled(result);
    m_top->setEnabled(result && !c->currentMap().empty());
    m_clear->setEnabled(result && c->hasMask());
    m_ask->setEnabled(result && c->hasMask() && !busy);
    m_exportPng->setEnabled(result && !c->currentMap().empty());
    m_exportMaps->setEnabled(result && c->wordCount() > 0);
    m_cancel->setVisible(busy);
    showMessage();
}

void ChatGroundingView::showMessage()
{
    const GroundingController *c = m_controller;
    m_message->setText(c->message());
    m_message->setStyleSheet(c->messageIsError() ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!c->message().isEmpty());
    m_state->setText(c->state());
    const bool busy = c->isBusy() || c->isProbing();
    m_progress->setVisible(busy);
    m_progress->setMaximum(static_cast<int>(std::clamp<qint64>(c->progressTotal(), 0, 1 << 30)));
    m_progress->setValue(static_cast<int>(std::clamp<qint64>(c->progressDone(), 0, 1 << 30)));
}

void ChatGroundingView::exportOverlay()
{
    QString word = m_controller->wordText(m_controller->shownWord());
    word.replace(QRegularExpression(QStringLiteral("[^\\w-]+")), QStringLiteral("_"));
    const QString file = QFileDialog::getSaveFileName(this, tr("Export the Map"),
        dialogFolder(QStandardPaths::PicturesLocation) + QStringLiteral("/grounding-%1.png").arg(word),
        tr("PNG images (*.png)"));
    if (!file.isEmpty())
        m_controller->exportOverlay(file);
}

void ChatGroundingView::exportMaps()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Export Every Word's Map"),
        dialogFolder(QStandardPaths::DocumentsLocation) + QStringLiteral("/grounding.safetensors"),
        tr("safetensors (*.safetensors)"));
    if (!file.isEmpty())
        m_controller->exportMaps(file);
}
