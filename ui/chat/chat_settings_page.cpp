// The Chat side panel: every change goes to the controller, which tells back what to show.
#include "chat/chat_settings_page.h"

#include "chat/chat_controller.h"
#include "common/model_picker.h"
#include "common/panel_widgets.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <limits>

namespace {

const QString kModelKey = QStringLiteral("chat/model");
constexpr int kFileRole = Qt::UserRole + 1;
constexpr int kHistoryRows = 6; // the list's height in rows

} // namespace

ChatSettingsPage::ChatSettingsPage(EngineBridge *bridge, ChatController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_picker(new ModelPicker(bridge, QStringLiteral("llava,blip-2"), kModelKey, this))
{
    setObjectName(QStringLiteral("chatSettings"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(6);
    layout->addWidget(buildModel());
    layout->addWidget(buildSampling());
    layout->addWidget(buildHistory());
    layout->addStretch(1);

    ChatController *c = m_controller;
    followPicker(m_picker, c);
    selectRequestedModels(m_picker, c);
    connect(c, &ChatController::samplingChanged, this, &ChatSettingsPage::showSampling);
    connect(c, &ChatController::historyChanged, this, &ChatSettingsPage::showHistory);
    connect(c, &ChatController::transcriptChanged, this, &ChatSettingsPage::showHistory);
    connect(m_greedy, &QCheckBox::toggled, this, &ChatSettingsPage::applySampling);
    for (QSpinBox *box : {m_topK, m_seed, m_maxTokens})
        connect(box, &QSpinBox::valueChanged, this, &ChatSettingsPage::applySampling);
    for (QDoubleSpinBox *box : {m_temperature, m_topP, m_penalty})
        connect(box, &QDoubleSpinBox::valueChanged, this, &ChatSettingsPage::applySampling);
    connect(m_history, &QListWidget::itemClicked, c, [c](QListWidgetItem *item) {
        const QString file = item->data(kFileRole).toString();
        if (file != c->conversationFile())
            c->openConversation(file);
    });
    connect(m_history, &QListWidget::currentItemChanged, this,
        [this] { m_delete->setEnabled(m_history->currentItem() != nullptr); });
    connect(m_new, &QPushButton::clicked, c, &ChatController::newConversation);
    connect(m_delete, &QPushButton::clicked, this, [this] {
        if (QListWidgetItem *item = m_history->currentItem())
            m_controller->deleteConversation(item->data(kFileRole).toString());
    });
    retranslate();
    showSampling();
    c->refreshHistory();
}

QWidget *ChatSettingsPage::buildModel()
{
    auto *box = new QWidget(this);
    m_modelLabel = new QLabel(box);
    m_picker->setParent(box);
    m_picker->setObjectName(QStringLiteral("chatModel"));
    m_picker->combo()->setMinimumContentsLength(12);
    auto *layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_modelLabel);
    layout->addWidget(m_picker, 1);
    return box;
}

QGroupBox *ChatSettingsPage::buildSampling()
{
    m_samplingGroup = new QGroupBox(this);
    m_samplingGroup->setObjectName(QStringLiteral("chatSampling"));
    m_greedy = new QCheckBox(m_samplingGroup);
    m_greedy->setObjectName(QStringLiteral("chatGreedy"));
    m_temperature = new QDoubleSpinBox(m_samplingGroup);
    m_temperature->setObjectName(QStringLiteral("chatTemperature"));
    m_temperature->setRange(0.01, 5.0);
    m_temperature->setSingleStep(0.1);
    m_topK = new QSpinBox(m_samplingGroup);
    m_topK->setObjectName(QStringLiteral("chatTopK"));
    m_topK->setRange(0, 1000);
    m_topP = new QDoubleSpinBox(m_samplingGroup);
    m_topP->setObjectName(QStringLiteral("chatTopP"));
    m_topP->setRange(0.01, 1.0);
    m_topP->setSingleStep(0.05);
    m_penalty = new QDoubleSpinBox(m_samplingGroup);
    m_penalty->setObjectName(QStringLiteral("chatRepetitionPenalty"));
    m_penalty->setRange(1.0, 3.0);
    m_penalty->setSingleStep(0.05);
    m_seed = new QSpinBox(m_samplingGroup);
    m_seed->setObjectName(QStringLiteral("chatSeed"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_maxTokens = new QSpinBox(m_samplingGroup);
    m_maxTokens->setObjectName(QStringLiteral("chatMaxTokens"));
    m_maxTokens->setRange(1, 512);
    m_temperatureLabel = new QLabel(m_samplingGroup);
    m_topKLabel = new QLabel(m_samplingGroup);
    m_topPLabel = new QLabel(m_samplingGroup);
    m_penaltyLabel = new QLabel(m_samplingGroup);
    m_seedLabel = new QLabel(m_samplingGroup);
    m_maxTokensLabel = new QLabel(m_samplingGroup);
    auto *form = new QFormLayout(m_samplingGroup);
    form->addRow(m_greedy);
    form->addRow(m_temperatureLabel, m_temperature);
    form->addRow(m_topKLabel, m_topK);
    form->addRow(m_topPLabel, m_topP);
    form->addRow(m_penaltyLabel, m_penalty);
    form->addRow(m_seedLabel, m_seed);
    form->addRow(m_maxTokensLabel, m_maxTokens);
    return m_samplingGroup;
}

QGroupBox *ChatSettingsPage::buildHistory()
{
    m_historyGroup = new QGroupBox(this);
    m_historyGroup->setObjectName(QStringLiteral("chatHistoryGroup"));
    m_history = new QListWidget(m_historyGroup);
    m_history->setObjectName(QStringLiteral("chatHistory"));
    m_history->setFixedHeight(m_history->fontMetrics().lineSpacing() * kHistoryRows + 8);
    m_history->setTextElideMode(Qt::ElideRight);
    m_new = new QPushButton(m_historyGroup);
    m_new->setObjectName(QStringLiteral("chatNew"));
    m_delete = new QPushButton(m_historyGroup);
    m_delete->setObjectName(QStringLiteral("chatDelete"));
    m_delete->setEnabled(false);
    m_historyHint = dimLabel(m_historyGroup);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_new);
    buttons->addWidget(m_delete);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(m_historyGroup);
    layout->addWidget(m_history);
    layout->addLayout(buttons);
    layout->addWidget(m_historyHint);
    return m_historyGroup;
}

void ChatSettingsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ChatSettingsPage::retranslate()
{
    m_modelLabel->setText(tr("Model"));
    m_samplingGroup->setTitle(tr("Sampling"));
    m_greedy->setText(tr("Greedy (always the most likely token)"));
    m_greedy->setToolTip(tr("Off: each token is drawn from the distribution shaped by the settings below"));
    m_temperatureLabel->setText(tr("Temperature"));
    m_topKLabel->setText(tr("Top-k"));
    m_topK->setSpecialValueText(tr("off"));
    m_topPLabel->setText(tr("Top-p"));
    m_penaltyLabel->setText(tr("Repetition penalty"));
    m_penalty->setToolTip(tr("Above 1, tokens already in the prompt or the answer become less likely"));
    m_seedLabel->setText(tr("Seed"));
    m_seed->setToolTip(tr("The same seed and settings give the same answer"));
    m_maxTokensLabel->setText(tr("Max tokens"));
    m_historyGroup->setTitle(tr("Conversations"));
    m_new->setText(tr("New"));
    m_new->setToolTip(tr("Start a new conversation about the picture"));
    m_delete->setText(tr("Delete"));
    m_historyHint->setText(
        tr("Saved after every answer in %1").arg(QDir::toNativeSeparators(ChatController::conversationsDir())));
    showHistory();
}

void ChatSettingsPage::showSampling()
{
    const ml::SamplingSettings &s = m_controller->sampling();
    const QSignalBlocker b1(m_greedy), b2(m_temperature), b3(m_topK), b4(m_topP), b5(m_penalty), b6(m_seed),
        b7(m_maxTokens);
    m_greedy->setChecked(s.greedy);
    m_temperature->setValue(s.temperature);
    m_topK->setValue(s.topK);
    m_topP->setValue(s.topP);
    m_penalty->setValue(s.repetitionPenalty);
    m_seed->setValue(static_cast<int>(std::min<std::uint64_t>(s.seed, std::numeric_limits<int>::max())));
    m_maxTokens->setValue(s.maxNewTokens);
    for (QWidget *w : {static_cast<QWidget *>(m_temperature), static_cast<QWidget *>(m_topK),
             static_cast<QWidget *>(m_topP), static_cast<QWidget *>(m_seed)})
        w->setEnabled(!s.greedy);
}

void ChatSettingsPage::applySampling()
{
    ml::SamplingSettings s = m_controller->sampling();
    s.greedy = m_greedy->isChecked();
    s.temperature = m_temperature->value();
    s.topK = m_topK->value();
    s.topP = m_topP->value();
    s.repetitionPenalty = m_penalty->value();
    s.seed = static_cast<std::uint64_t>(m_seed->value());
    s.maxNewTokens = m_maxTokens->value();
    m_controller->setSampling(s);
}

void ChatSettingsPage::showHistory()
{
    const QSignalBlocker block(m_history);
    m_history->clear();
    const QString current = m_controller->conversationFile();
    for (const ml::io::ConversationSummary &s : m_controller->history()) {
        const QString file = QString::fromStdString(s.file);
        auto *item = new QListWidgetItem(m_history);
        item->setData(kFileRole, file);
        if (!s.error.empty()) {
            item->setText(tr("%1 (cannot be read)").arg(QFileInfo(file).fileName()));
            item->setToolTip(QString::fromStdString(s.error));
            item->setForeground(palette().color(QPalette::PlaceholderText));
            continue;
        }
        const QString when = QString::fromStdString(s.updated).left(16).replace(QLatin1Char('T'), QLatin1Char(' '));
        item->setText(QStringLiteral("%1 · %2").arg(
            s.title.empty() ? tr("(no question)") : QString::fromStdString(s.title), when));
        item->setToolTip(tr("%1\n%n turns with %2 about %3", nullptr, s.turns)
                             .arg(QDir::toNativeSeparators(file), QFileInfo(QString::fromStdString(s.model)).fileName(),
                                 QDir::toNativeSeparators(QString::fromStdString(s.image))));
        if (file == current)
            m_history->setCurrentItem(item);
    }
    m_delete->setEnabled(m_history->currentItem() != nullptr);
}
