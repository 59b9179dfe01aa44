// ClassifyPromptsPage: the list mirrors the controller's templates; an edit that the controller
// refuses (it lost its "{}") is put back by the list's refresh.
#include "classify/classify_prompts_page.h"

#include "classify/classify_controller.h"
#include "classify/label_sets.h"
#include "common/panel_widgets.h"

#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

QFrame *separator(QWidget *parent)
{
    auto *line = new QFrame(parent);
    line->setFrameShape(QFrame::VLine);
    line->setFrameShadow(QFrame::Sunken);
    return line;
}

} // namespace

ClassifyPromptsPage::ClassifyPromptsPage(ClassifyController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_templates(new QListWidget(this))
    , m_newTemplate(new QLineEdit(this))
    , m_add(new QToolButton(this))
    , m_remove(new QToolButton(this))
    , m_reset(new QToolButton(this))
    , m_hint(dimLabel(this))
    , m_useLearnt(new QToolButton(this))
    , m_learntBox(new QWidget(this))
    , m_learntInfo(new QLabel(m_learntBox))
    , m_useTemplates(new QPushButton(m_learntBox))
{
    m_templates->setObjectName(QStringLiteral("templateList"));
    m_templates->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_newTemplate->setObjectName(QStringLiteral("newTemplate"));
    m_newTemplate->setClearButtonEnabled(true);
    for (QToolButton *b : {m_add, m_remove, m_reset})
        b->setAutoRaise(true);
    m_useLearnt->setObjectName(QStringLiteral("useLearntPrompt"));
    m_useLearnt->setAutoRaise(true);
    m_useLearnt->setIcon(style()->standardIcon(QStyle::SP_DialogOpenButton));
    m_useLearnt->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_learntInfo->setObjectName(QStringLiteral("learntPromptInfo"));
    m_learntInfo->setWordWrap(true);
    m_learntInfo->setTextFormat(Qt::RichText);
    m_learntInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_useTemplates->setObjectName(QStringLiteral("useTemplates"));
    auto *learntLayout = new QVBoxLayout(m_learntBox);
    learntLayout->setContentsMargins(0, 0, 0, 0);
    learntLayout->addWidget(m_learntInfo);
    learntLayout->addWidget(m_useTemplates, 0, Qt::AlignLeft);
    m_learntBox->hide();

    auto *addRow = new QHBoxLayout;
    addRow->addWidget(m_newTemplate, 1);
    addRow->addWidget(m_add);
    auto *editRow = new QHBoxLayout;
    editRow->addWidget(m_remove);
    editRow->addWidget(m_reset);
    editRow->addWidget(separator(this));
    editRow->addWidget(m_useLearnt);
    editRow->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(m_learntBox);
    layout->addWidget(m_templates, 1);
    layout->addLayout(addRow);
    layout->addLayout(editRow);
    layout->addWidget(m_hint);

    connect(m_useLearnt, &QToolButton::clicked, this, &ClassifyPromptsPage::chooseLearntPrompt);
    connect(m_useTemplates, &QPushButton::clicked, this, [this] {
        m_controller->useTemplates();
        m_controller->clearMessage();
    });
    const auto add = [this] {
        if (m_controller->addTemplate(m_newTemplate->text()))
            m_newTemplate->clear();
    };
    connect(m_add, &QToolButton::clicked, this, add);
    connect(m_newTemplate, &QLineEdit::returnPressed, this, add);
    connect(m_remove, &QToolButton::clicked, this, [this] { m_controller->removeTemplate(m_templates->currentRow()); });
    connect(
        m_reset, &QToolButton::clicked, this, [this] { m_controller->setTemplates({LabelSets::defaultTemplate()}); });
    connect(m_templates, &QListWidget::itemChanged, this, &ClassifyPromptsPage::onItemChanged);
    connect(m_templates, &QListWidget::currentRowChanged, this, &ClassifyPromptsPage::updateHint);
    connect(m_controller, &ClassifyController::templatesChanged, this, &ClassifyPromptsPage::showTemplates);
    connect(m_controller, &ClassifyController::learntPromptChanged, this, &ClassifyPromptsPage::showLearntPrompt);
    retranslate();
    showTemplates();
}

void ClassifyPromptsPage::showTemplates()
{
    // In place, not rebuilt: a refused edit is put back on the very item the user edited.
    const QStringList prompts = m_controller->templates();
    {
        const QSignalBlocker block(m_templates);
        while (m_templates->count() > prompts.size())
            delete m_templates->takeItem(m_templates->count() - 1);
        for (int i = 0; i < prompts.size(); ++i) {
            QListWidgetItem *item = m_templates->item(i);
            if (!item) {
                item = new QListWidgetItem(m_templates);
                item->setFlags(item->flags() | Qt::ItemIsEditable);
            }
            if (item->text() != prompts.at(i))
                item->setText(prompts.at(i));
        }
    }
    updateHint();
}

void ClassifyPromptsPage::onItemChanged(QListWidgetItem *item)
{
    // Refused (no "{}"): the controller's templatesChanged() puts the old text back.
    m_controller->editTemplate(m_templates->row(item), item->text());
}

void ClassifyPromptsPage::chooseLearntPrompt()
{
    const QString learnt = m_controller->learntPrompt();
    const QString start
        = learnt.isEmpty() ? ClassifyController::dialogStart(QStandardPaths::DocumentsLocation) : learnt;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Use Learnt Prompt"), start, tr("Learnt prompts (*.safetensors);;All files (*)"));
    if (path.isEmpty())
        return;
    ClassifyController::rememberDialogFolder(QFileInfo(path).absolutePath());
    if (m_controller->useLearntPrompt(path))
        m_controller->clearMessage();
}

void ClassifyPromptsPage::showLearntPrompt()
{
    const QString file = m_controller->learntPrompt();
    const bool active = !file.isEmpty();
    m_learntBox->setVisible(active);
    for (QWidget *w : std::initializer_list<QWidget *> {m_templates, m_newTemplate, m_add, m_reset})
        w->setEnabled(!active);
    m_useLearnt->setText(active ? tr("Other learnt prompt…") : tr("Use learnt prompt…"));
    updateHint();
    if (!active) {
        m_learntInfo->clear();
        return;
    }
    const ml::LearntPromptInfo &info = m_controller->learntPromptInfo();
    const auto percent = [](double v) { return QStringLiteral("%1%").arg(100.0 * v, 0, 'f', 1); };
    QStringList classes;
    for (const std::string &c : info.classes)
        classes << QString::fromStdString(c);
    const int classCount = static_cast<int>(classes.size());
    constexpr int kShownClasses = 8;
    QString classText = classes.mid(0, kShownClasses).join(QStringLiteral(", "));
    if (classCount > kShownClasses)
        classText = tr("%1, … (%n classes)", nullptr, classCount).arg(classText);
    QStringList lines;
    lines << tr("<b>Learnt prompt</b> %1").arg(QFileInfo(file).fileName().toHtmlEscaped());
    lines << (info.classSpecific ? tr("Class-specific, %n context vectors per class", nullptr, info.contextVectors)
                                 : tr("Unified, %n context vectors", nullptr, info.contextVectors))
            + QStringLiteral(" · ")
            + tr("learnt on %1 with %n shots per class", nullptr, info.shots)
                  .arg(QString::fromStdString(info.model).toHtmlEscaped());
    lines << tr("Classes: %1").arg(classText.toHtmlEscaped());
    if (info.accuracyBefore >= 0 && info.accuracyAfter >= 0)
        lines << tr("Held-out accuracy: %1 with “%2” → %3 learnt")
                     .arg(percent(info.accuracyBefore), QString::fromStdString(info.templ).toHtmlEscaped(),
                         percent(info.accuracyAfter));
    m_learntInfo->setText(lines.join(QStringLiteral("<br>")));
    m_learntInfo->setToolTip(QDir::toNativeSeparators(file));
}

void ClassifyPromptsPage::updateHint()
{
    const bool learnt = !m_controller->learntPrompt().isEmpty();
    m_remove->setEnabled(!learnt && m_templates->currentItem() != nullptr);
    if (learnt) {
        m_hint->setText(m_controller->learntPromptInfo().classSpecific
                ? tr("The learnt prompt replaces the templates. It is class-specific: the labels must be its "
                     "classes.")
                : tr("The learnt prompt replaces the templates; its context goes before any label."));
        return;
    }
    const int n = m_templates->count();
    m_hint->setText(n > 1 ? tr("{} stands for each label. The %n prompts are ensembled: their normalised "
                               "text embeddings are averaged per label.",
                        nullptr, n)
                          : tr("{} stands for each label. Add more prompts to ensemble them."));
}

void ClassifyPromptsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ClassifyPromptsPage::retranslate()
{
    m_newTemplate->setPlaceholderText(tr("New prompt, e.g. “a blurry photo of a {}.”"));
    m_add->setText(tr("Add"));
    m_remove->setText(tr("Remove"));
    m_reset->setText(tr("Reset"));
    m_reset->setToolTip(tr("Back to the single prompt “%1”").arg(LabelSets::defaultTemplate()));
    m_templates->setToolTip(tr("Double-click a prompt to edit it"));
    m_useLearnt->setToolTip(tr("Use context vectors learnt with CoOp (modallens-cli train coop) instead of "
                               "the templates"));
    m_useTemplates->setText(tr("Use templates"));
    m_useTemplates->setToolTip(tr("Go back to the prompt templates"));
    showLearntPrompt();
}
