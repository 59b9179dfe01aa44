// ClassifyLabelsPage: edits flow to the controller as parsed labels; the controller's labels
// flow back only when they differ, so typing is never interrupted.
#include "classify/classify_labels_page.h"

#include "classify/classify_controller.h"
#include "classify/label_sets.h"
#include "common/panel_widgets.h"

#include <QComboBox>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

ClassifyLabelsPage::ClassifyLabelsPage(ClassifyController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_setLabel(new QLabel(this))
    , m_labelSet(new QComboBox(this))
    , m_load(new QToolButton(this))
    , m_save(new QToolButton(this))
    , m_labels(new QPlainTextEdit(this))
    , m_status(dimLabel(this))
{
    m_labelSet->setObjectName(QStringLiteral("labelSet"));
    m_labelSet->addItem(QString(), QString()); // "Custom"
    for (const QString &id : LabelSets::ids())
        m_labelSet->addItem(LabelSets::displayName(id), id);
    m_labelSet->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_labelSet->setMinimumContentsLength(10);
    m_load->setIcon(style()->standardIcon(QStyle::SP_DialogOpenButton));
    m_save->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    for (QToolButton *b : {m_load, m_save}) {
        b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        b->setAutoRaise(true);
    }
    m_labels->setObjectName(QStringLiteral("labelEdit"));
    m_labels->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_labels->setTabChangesFocus(true);

    auto *row = new QHBoxLayout;
    row->addWidget(m_setLabel);
    row->addWidget(m_labelSet, 1);
    row->addWidget(m_load);
    row->addWidget(m_save);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 6, 4, 4);
    layout->setSpacing(4);
    layout->addLayout(row);
    layout->addWidget(m_labels, 1);
    layout->addWidget(m_status);

    connect(m_labelSet, &QComboBox::activated, this, [this](int index) {
        if (const QString id = m_labelSet->itemData(index).toString(); !id.isEmpty())
            m_controller->useLabelSet(id);
    });
    connect(m_labels, &QPlainTextEdit::textChanged, this,
        [this] { m_controller->setLabels(LabelSets::parse(m_labels->toPlainText())); });
    connect(m_load, &QToolButton::clicked, this, &ClassifyLabelsPage::load);
    connect(m_save, &QToolButton::clicked, this, &ClassifyLabelsPage::save);
    connect(m_controller, &ClassifyController::labelsChanged, this, &ClassifyLabelsPage::showLabels);
    retranslate();
    showLabels();
}

void ClassifyLabelsPage::showLabels()
{
    const QStringList labels = m_controller->labels();
    if (LabelSets::parse(m_labels->toPlainText()) != labels) {
        const QSignalBlocker block(m_labels);
        m_labels->setPlainText(labels.join(QLatin1Char('\n')));
    }
    m_labelSet->setCurrentIndex(std::max(0, m_labelSet->findData(m_controller->labelSet())));
    updateStatus();
}

void ClassifyLabelsPage::updateStatus()
{
    const QStringList list = m_controller->labels();
    const QString problem = LabelSets::problem(list);
    m_status->setText(
        problem.isEmpty() ? tr("%n labels, one per line", nullptr, static_cast<int>(list.size())) : problem);
}

void ClassifyLabelsPage::load()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Load Labels"),
        ClassifyController::dialogStart(QStandardPaths::DocumentsLocation), tr("Text files (*.txt);;All files (*)"));
    if (path.isEmpty())
        return;
    ClassifyController::rememberDialogFolder(QFileInfo(path).absolutePath());
    QStringList labels;
    QString error;
    if (!LabelSets::read(path, &labels, &error))
        return m_controller->showMessage(error, true);
    m_controller->setLabels(labels);
    if (const QString problem = LabelSets::problem(labels); !problem.isEmpty())
        m_controller->showMessage(tr("%1: %2").arg(QFileInfo(path).fileName(), problem), true);
    else
        m_controller->clearMessage();
}

void ClassifyLabelsPage::save()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Save Labels"),
        ClassifyController::dialogStart(QStandardPaths::DocumentsLocation) + QStringLiteral("/labels.txt"),
        tr("Text files (*.txt)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".txt");
    ClassifyController::rememberDialogFolder(QFileInfo(path).absolutePath());
    QString error;
    if (!LabelSets::write(path, m_controller->labels(), &error))
        m_controller->showMessage(error, true);
}

void ClassifyLabelsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ClassifyLabelsPage::retranslate()
{
    m_labelSet->setItemText(0, tr("Custom"));
    for (int i = 1; i < m_labelSet->count(); ++i)
        m_labelSet->setItemText(i, LabelSets::displayName(m_labelSet->itemData(i).toString()));
    m_setLabel->setText(tr("Set"));
    m_labelSet->setToolTip(tr("Start from a built-in label set"));
    m_load->setText(tr("Load…"));
    m_load->setToolTip(tr("Read labels from a text file, one per line"));
    m_save->setText(tr("Save…"));
    m_save->setToolTip(tr("Write these labels to a text file"));
    m_labels->setPlaceholderText(tr("One label per line, e.g.\ncat\ndog\nbird"));
    updateStatus();
}
