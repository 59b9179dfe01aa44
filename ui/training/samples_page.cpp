// The samples the training job streams, as a SampleGrid under a one-line explanation.
#include "training/samples_page.h"

#include "common/qimage_convert.h"
#include "training/sample_grid.h"
#include "training/training_controller.h"
#include "training/training_status.h"

#include <QDir>
#include <QEvent>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

using ml::train::RunKind;

SamplesPage::SamplesPage(TrainingController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("trainingSamples"));
    m_header = new QLabel(this);
    m_header->setObjectName(QStringLiteral("samplesHeader"));
    m_header->setWordWrap(true);
    m_grid = new SampleGrid(this);
    m_grid->setObjectName(QStringLiteral("sampleGrid"));
    m_grid->setFitToHeight(true); // every sample in view, however low the pane
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_header);
    layout->addWidget(m_grid, 1);

    connect(m_controller, &TrainingController::started, this, &SamplesPage::onStarted);
    connect(m_controller, &TrainingController::samplesArrived, this, &SamplesPage::addSamples);
    connect(m_controller, &TrainingController::accuracyMeasured, this, [this](qint64 step) {
        if (m_controller->jobKind() != RunKind::Ddpm && m_grid->step() == step)
            updateClipHeader(); // the samples came first; now their step's accuracy
    });
    connect(m_controller, &TrainingController::sampleGridSaved, this, [this](const QString &file) {
        m_header->setText(m_header->text() + QLatin1Char(' ')
            + tr("Saved in the run folder as %1.")
                  .arg(QDir::toNativeSeparators(QDir(m_controller->runFolder()).relativeFilePath(file))));
    });
    updateIdleHeader();
}

void SamplesPage::setShownKind(RunKind kind)
{
    m_shownKind = kind;
    updateIdleHeader();
}

void SamplesPage::onStarted(RunKind kind)
{
    m_grid->clear();
    m_grid->setLabelled(kind != RunKind::Ddpm);
    m_header->setText(
        kind != RunKind::Ddpm ? tr("Waiting for the first evaluation…") : tr("Waiting for the first sample grid…"));
}

void SamplesPage::addSamples(const ml::TrainSamples &samples)
{
    QList<SampleGrid::Sample> cells;
    if (m_controller->jobKind() == RunKind::Ddpm) { // generated images: nothing to label
        for (const ml::TrainSample &s : samples.samples)
            cells.append({toQImage(s.image), QString(), QString(), 0.0});
        m_grid->setLabelled(false);
        m_grid->setSamples(samples.step, std::move(cells));
        m_header->setText(tr("Samples the model draws at step %1, from the same starting noise at every sample grid "
                             "so that they can be compared.")
                              .arg(QLocale().toString(static_cast<qint64>(samples.step))));
        return;
    }
    for (const ml::TrainSample &s : samples.samples)
        cells.append({toQImage(s.image), QString::fromStdString(s.trueLabel), QString::fromStdString(s.predictedLabel),
            static_cast<double>(s.prob), QString::fromStdString(s.question)});
    m_grid->setLabelled(true);
    m_grid->setSamples(samples.step, std::move(cells));
    updateClipHeader();
}

void SamplesPage::updateClipHeader()
{
    const RunKind kind = m_controller->jobKind();
    QString header = (kind == RunKind::Blip2 || kind == RunKind::Llava
            ? tr("Held-out questions at step %1: the model's answer is right for %2 of these %3.")
            : tr("Held-out samples at step %1: the model's top guess is right for %2 of these %3."))
                         .arg(QLocale().toString(m_grid->step()))
                         .arg(m_grid->correctCount())
                         .arg(m_grid->samples().size());
    if (const QString acc = formatHeldOutAccuracy(m_controller->lastAccuracy()); !acc.isEmpty())
        header += QLatin1Char(' ') + tr("On the whole held-out set: %1.").arg(acc);
    m_header->setText(header);
}

void SamplesPage::updateIdleHeader()
{
    if (!m_grid->samples().isEmpty() || m_controller->isRunning())
        return; // the run's own header
    const bool clip = m_shownKind != RunKind::Ddpm;
    m_grid->setLabelled(clip);
    m_header->setText(m_shownKind == RunKind::Blip2
            ? tr("Questions from the held-out sets (Shapes World scenes, garments) with the model's answers.")
            : m_shownKind == RunKind::Llava
            ? tr("Questions and captions from the held-out Shapes World sets with the model's answers.")
            : clip ? tr("A fixed set of held-out images: the first of each held-out colour-shape pair, two "
                        "other pairs and two garments.")
                   : tr("Images the model draws from the same starting noise at each sample grid and at the "
                        "end: watch garments form as it learns."));
}

void SamplesPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        updateIdleHeader();
    QWidget::changeEvent(event);
}
