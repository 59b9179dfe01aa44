// The run buttons and the status figures, redrawn from the controller's state.
#include "training/run_status_box.h"

#include "common/format.h"
#include "training/training_controller.h"
#include "training/training_status.h"

#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

#include <algorithm>

RunStatusBox::RunStatusBox(TrainingController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("trainingStatus"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("trainingMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    m_progress = new QProgressBar(this);
    m_progress->setTextVisible(true);
    m_progress->setMaximumHeight(18);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(createButtons());
    layout->addWidget(m_progress);
    layout->addLayout(createFields());
    layout->addWidget(m_message);

    connect(m_start, &QPushButton::clicked, this, &RunStatusBox::startClicked);
    connect(m_pause, &QPushButton::clicked, m_controller, &TrainingController::togglePause);
    connect(m_stop, &QPushButton::clicked, m_controller, &TrainingController::stop);
    connect(m_openResult, &QPushButton::clicked, m_controller, &TrainingController::openResult);
    connect(m_controller, &TrainingController::stateChanged, this, &RunStatusBox::refresh);
    connect(m_controller, &TrainingController::messageChanged, this, &RunStatusBox::showMessage);
    retranslate();
}

QLayout *RunStatusBox::createButtons()
{
    m_start = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), QString(), this);
    m_start->setObjectName(QStringLiteral("trainingStart"));
    m_pause = new QPushButton(style()->standardIcon(QStyle::SP_MediaPause), QString(), this);
    m_pause->setObjectName(QStringLiteral("trainingPause"));
    m_stop = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), QString(), this);
    m_stop->setObjectName(QStringLiteral("trainingStop"));
    m_openResult = new QPushButton(this);
    m_openResult->setObjectName(QStringLiteral("openInDiffusion"));
    m_openResult->hide();
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("trainingState"));
    m_state->setWordWrap(true);
    QFont stateFont = m_state->font();
    stateFont.setBold(true);
    m_state->setFont(stateFont);
    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(6);
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_stop);
    buttons->addStretch(1);
    auto *state = new QHBoxLayout;
    state->addWidget(m_state, 1);
    state->addWidget(m_openResult);
    auto *layout = new QVBoxLayout;
    layout->setSpacing(4);
    layout->addLayout(buttons);
    layout->addLayout(state);
    return layout;
}

QLayout *RunStatusBox::createFields()
{
    auto *grid = new QGridLayout;
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(2);
    for (int i = 0; i < FieldCount; ++i) {
        m_fieldNames[i] = new QLabel(this);
        m_fieldNames[i]->setForegroundRole(QPalette::PlaceholderText);
        m_fieldValues[i] = new QLabel(this);
        m_fieldValues[i]->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    // Two name / value pairs a row; the accuracies, long, take a row of their own.
    for (int i = 0; i < AccuracyField; ++i) {
        grid->addWidget(m_fieldNames[i], i / 2, 2 * (i % 2));
        grid->addWidget(m_fieldValues[i], i / 2, 2 * (i % 2) + 1);
    }
    const int last = AccuracyField / 2 + 1;
    grid->addWidget(m_fieldNames[AccuracyField], last, 0, Qt::AlignTop);
    grid->addWidget(m_fieldValues[AccuracyField], last, 1, 1, 3);
    m_fieldValues[AccuracyField]->setWordWrap(true);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    return grid;
}

void RunStatusBox::setShownKind(ml::train::RunKind kind)
{
    m_shownKind = kind;
    retranslate(); // the tooltips name the model
}

void RunStatusBox::refresh()
{
    const TrainingController &c = *m_controller;
    const bool running = c.isRunning();
    m_start->setEnabled(!running);
    m_pause->setEnabled(running && !c.isStopping());
    m_stop->setEnabled(running && !c.isStopping());
    const bool resumeNext = c.isPauseRequested();
    m_pause->setText(resumeNext ? tr("Resume") : tr("Pause"));
    m_pause->setIcon(style()->standardIcon(resumeNext ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    m_openResult->setVisible(c.resultOpensInDiffusion());
    m_state->setText(c.stateText());

    const qint64 total = c.totalSteps(), step = c.currentStep();
    m_progress->setRange(0, static_cast<int>(std::max<qint64>(1, total)));
    m_progress->setValue(static_cast<int>(std::min(step, std::max<qint64>(1, total))));
    m_progress->setFormat(total > 0 ? QStringLiteral("%v / %m") : QString());
    m_progress->setEnabled(running || total > 0);

    const QLocale locale;
    const QString none = QStringLiteral("–");
    const ml::TrainMetric *m = c.lastMetric() ? &*c.lastMetric() : nullptr;
    m_fieldValues[StepField]->setText(
        total > 0 ? QStringLiteral("%1 / %2").arg(locale.toString(step), locale.toString(total)) : none);
    m_fieldValues[LossField]->setText(m ? locale.toString(m->loss, 'f', 4) : none);
    m_fieldValues[StepsPerSField]->setText(c.stepsPerS() > 0 ? locale.toString(c.stepsPerS(), 'f', 1) : none);
    m_fieldValues[ImagesPerSField]->setText(c.imagesPerS() > 0 ? locale.toString(c.imagesPerS(), 'f', 0) : none);
    m_fieldValues[EtaField]->setText(running && c.etaSeconds() >= 0 ? formatDuration(c.etaSeconds()) : none);
    m_fieldValues[ElapsedField]->setText(m ? formatDuration(m->elapsedSeconds) : none);
    m_fieldValues[DtypeField]->setText(c.dtypeUsed().isEmpty() ? none : c.dtypeUsed());
    const QString acc = formatHeldOutAccuracy(c.lastAccuracy());
    m_fieldValues[AccuracyField]->setText(acc.isEmpty() ? none : acc);
    const bool clip = (running ? c.jobKind() : m_shownKind) != ml::train::RunKind::Ddpm; // DDPM: no accuracy
    m_fieldNames[AccuracyField]->setVisible(clip);
    m_fieldValues[AccuracyField]->setVisible(clip);
}

void RunStatusBox::showMessage()
{
    const QString text = m_controller->message();
    m_message->setText(text);
    m_message->setStyleSheet(m_controller->messageIsError() ? QStringLiteral("color: #e5484d;") : QString());
    m_message->setVisible(!text.isEmpty());
}

QString RunStatusBox::summary() const
{
    QStringList parts {m_controller->stateText()};
    for (int i = 0; i < FieldCount; ++i)
        if (!m_fieldNames[i]->isHidden())
            parts << QStringLiteral("%1 %2").arg(m_fieldNames[i]->text(), m_fieldValues[i]->text());
    return parts.join(QStringLiteral(" · "));
}

void RunStatusBox::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void RunStatusBox::retranslate()
{
    const bool ddpm = m_shownKind == ml::train::RunKind::Ddpm;
    m_start->setText(tr("Start"));
    m_start->setToolTip(ddpm                           ? tr("Train a DDPM diffusion model with these settings")
            : m_shownKind == ml::train::RunKind::Blip2 ? tr("Train a BLIP-2 model with these settings")
            : m_shownKind == ml::train::RunKind::Llava ? tr("Train a LLaVA model with these settings")
                                                       : tr("Train a CLIP model with these settings"));
    m_pause->setToolTip(tr("Pause between two steps, or carry on"));
    m_stop->setText(tr("Stop"));
    m_stop->setToolTip(ddpm
            ? tr("End the run now: draw samples, save a checkpoint, then stop (it can be continued later)")
            : tr("End the run now: evaluate, save a checkpoint, then stop (it can be continued later)"));
    m_openResult->setText(tr("Open in Diffusion"));
    m_openResult->setToolTip(tr("Watch this model denoise step by step in the Diffusion panel"));
    const char *names[FieldCount]
        = {QT_TR_NOOP("Step"), QT_TR_NOOP("Loss"), QT_TR_NOOP("Steps/s"), QT_TR_NOOP("Images/s"), QT_TR_NOOP("Left"),
            QT_TR_NOOP("Elapsed"), QT_TR_NOOP("Precision"), QT_TR_NOOP("Held-out")};
    for (int i = 0; i < FieldCount; ++i)
        m_fieldNames[i]->setText(tr(names[i]));
    m_fieldNames[ElapsedField]->setToolTip(tr("Training time of this session, pauses excluded"));
    m_fieldNames[AccuracyField]->setToolTip(
        tr("Zero-shot accuracy at the last evaluation, with the number of held-out images it was measured on"));
    refresh();
}
