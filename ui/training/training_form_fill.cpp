// TrainingForm, filled in: the model's rows and presets, a preset's values and what it takes on
// this machine, a continued run's settings from its trainer_state.json, the hints under fields.
#include "training/training_form.h"

#include "common/format.h"
#include "engine/clip_service.h"
#include "engine/engine.h"
#include "engine/llava_train_service.h"
#include "engine/train_presets.h"
#include "training/training_status.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSpinBox>

#include <algorithm>
#include <cmath>

using ml::train::RunKind;

namespace {

int kindIndex(RunKind kind)
{
    return static_cast<int>(kind); // the combo's rows: CLIP, DDPM, BLIP-2, LLaVA
}

// As in training_form.cpp: rows taken out rather than hidden (Qt 6.4's setRowVisible mislays them).
void showFormRow(QFormLayout *form, int row, QWidget *label, QWidget *field, bool on)
{
    int at = -1;
    QFormLayout::ItemRole role;
    form->getWidgetPosition(field, &at, &role);
    if (on && at < 0) {
        form->insertRow(row, label, field);
        label->show();
        field->show();
    } else if (!on && at >= 0) {
        const QFormLayout::TakeRowResult taken = form->takeRow(at);
        delete taken.labelItem;
        delete taken.fieldItem;
        label->hide();
        field->hide();
    }
}

} // namespace

void TrainingForm::applyKind(RunKind kind)
{
    {
        const QSignalBlocker block(m_preset);
        m_preset->clear();
        const auto names = kind == RunKind::Ddpm ? ml::ddpmTrainPresets()
            : kind == RunKind::Blip2             ? ml::blip2TrainPresets()
            : kind == RunKind::Llava             ? ml::llavaTrainPresets()
                                                 : ml::clipTrainPresets();
        for (const std::string &name : names)
            m_preset->addItem(QString::fromStdString(name), QString::fromStdString(name));
        // A newcomer starts on tiny (under a minute); mini's recipe takes hours on a laptop.
        const int remembered = m_preset->findData(m_presetOf[kindIndex(kind)]);
        const int tiny = m_preset->findData(QStringLiteral("tiny"));
        m_preset->setCurrentIndex(remembered >= 0 ? remembered : std::max(0, tiny));
    }
    m_presetOf[kindIndex(kind)] = preset();
    const bool clip = kind == RunKind::Clip, ddpm = kind == RunKind::Ddpm;
    constexpr int kUnetRow = 3;  // after the preset's hint
    constexpr int kDtypeRow = 3; // after the seed
    constexpr int kMixRow = 4;   // after the precision
    showFormRow(m_modelForm, kUnetRow, m_unetLabel, m_unet, ddpm);
    showFormRow(m_advancedForm, kDtypeRow, m_dtypeLabel, m_dtype, !ddpm);
    showFormRow(m_advancedForm, ddpm ? kDtypeRow : kMixRow, m_mixLabel, m_mixBox, clip); // BLIP-2, LLaVA: their own
    m_batch->setMinimum(ddpm ? 1 : 2);
    applyPreset(preset());
    retranslate(); // the texts that name the model
    Q_EMIT kindChanged(kind);
}

void TrainingForm::applyPreset(const QString &preset)
{
    if (m_resume->isChecked())
        return; // the run being continued decides
    const RunKind kind = this->kind();
    // The fields every trainer's preset request has.
    const auto fillShared = [this](const auto &r) {
        m_steps->setValue(static_cast<int>(*r.steps));
        m_batch->setValue(static_cast<int>(*r.batch));
        m_lr->setText(QLocale().toString(*r.lr, 'g', 6));
        m_seed->setValue(static_cast<int>(*r.seed));
        m_evalEvery->setValue(static_cast<int>(*r.evalEvery));
        m_checkpointEvery->setValue(static_cast<int>(*r.checkpointEvery));
    };
    try {
        if (kind == RunKind::Ddpm) {
            const ml::DdpmTrainRequest r = ml::ddpmTrainPresetRequest(preset.toStdString());
            fillShared(r);
            m_unet->setText(unetText(r.blockOutChannels, *r.layersPerBlock));
        } else if (kind == RunKind::Blip2) {
            const ml::Blip2TrainRequest r = ml::blip2TrainPresetRequest(preset.toStdString());
            fillShared(r);
        } else if (kind == RunKind::Llava) {
            fillShared(ml::llavaTrainPresetRequest(preset.toStdString()));
        } else {
            const ml::ClipTrainRequest r = ml::clipTrainPresetRequest(preset.toStdString());
            fillShared(r);
            const double mix[3] = {*r.fashionFraction, *r.singleFraction, *r.multiFraction};
            for (int i = 0; i < 3; ++i)
                m_mix[i]->setValue(static_cast<int>(std::lround(100.0 * mix[i])));
        }
    } catch (const std::exception &e) {
        Q_EMIT messageRequested(QString::fromStdString(e.what()), true);
        return;
    }
    updatePresetHint();
    if (m_folderIsAuto && !m_running)
        m_folder->setText(newRunFolder(preset, kind));
}

QString TrainingForm::unetText(const std::vector<std::int64_t> &channels, qint64 layersPerBlock) const
{
    QStringList names;
    for (const std::int64_t c : channels)
        names << QString::number(c);
    return tr("block channels %1 · layers per block %2").arg(names.join(QStringLiteral(", "))).arg(layersPerBlock);
}

void TrainingForm::updatePresetHint()
{
    const bool ddpm = kind() == RunKind::Ddpm;
    QString text;
    qint64 steps = 0;
    int batch = 0;
    try {
        if (kind() == RunKind::Blip2) {
            const auto r = ml::blip2TrainPresetRequest(preset().toStdString());
            steps = *r.steps;
            batch = static_cast<int>(*r.batch);
            text
                = tr("A Q-Former and a small OPT decoder over clip-mini's vision tower, for Shapes World questions and "
                     "Fashion-MNIST; by default %1 contrastive then %2 generative steps of %3 images.")
                      .arg(QLocale().toString(*r.stage1Steps))
                      .arg(QLocale().toString(steps - *r.stage1Steps))
                      .arg(batch);
        } else if (kind() == RunKind::Llava) {
            const auto r = ml::llavaTrainPresetRequest(preset().toStdString());
            steps = *r.steps;
            batch = static_cast<int>(*r.batch);
            text = tr("A small LLaMA decoder over clip-mini's first layer, for Shapes World questions and captions; "
                      "by default %1 steps on captions then %2 on conversations of %3 images.")
                       .arg(QLocale().toString(*r.stage1Steps))
                       .arg(QLocale().toString(steps - *r.stage1Steps))
                       .arg(batch);
        } else if (ddpm) {
            const auto r = ml::ddpmTrainPresetRequest(preset().toStdString());
            steps = *r.steps;
            batch = static_cast<int>(*r.batch);
            text = tr("A denoising UNet for Fashion-MNIST at 32 × 32; by default %1 steps of %2 images, samples drawn "
                      "with %3 DDIM steps.")
                       .arg(QLocale().toString(steps))
                       .arg(batch)
                       .arg(*r.sampleSteps);
        } else {
            const auto r = ml::clipTrainPresetRequest(preset().toStdString());
            steps = *r.steps;
            batch = static_cast<int>(*r.batch);
            text = tr("Vision tower %1 wide × %2 layers; by default %3 steps of %4 images.")
                       .arg(*r.width)
                       .arg(*r.layers)
                       .arg(QLocale().toString(steps))
                       .arg(batch);
        }
    } catch (const std::exception &) {
        m_presetHint->clear();
        return;
    }
    // " Takes about 25 min on this computer." for the preset's default run, where known.
    const double seconds = estimateTrainingSeconds(kind(), preset(), steps, batch, ml::Engine::defaultThreads());
    if (seconds >= 0)
        text += QLatin1Char(' ') + tr("Takes %1 on this computer.").arg(formatRoughDuration(seconds));
    m_presetHint->setText(text);
}

void TrainingForm::onResumeToggled(bool on)
{
    const QString stateFile = QString::fromLatin1(ml::train::kTrainerStateFile);
    if (on) {
        // Just after a run, "continue" means that run.
        if (!QFileInfo::exists(QDir(cleanFolder(m_folder->text())).filePath(stateFile)) && !m_lastRunFolder.isEmpty()
            && QFileInfo::exists(QDir(m_lastRunFolder).filePath(stateFile)))
            m_folder->setText(QDir::toNativeSeparators(m_lastRunFolder));
        m_folderIsAuto = false;
        loadRunState(cleanFolder(m_folder->text()));
    } else {
        m_resumeHint->setText(tr("A fresh run writes its checkpoint, metrics.jsonl and TensorBoard events here."));
        m_folderIsAuto = true;
        applyPreset(preset());
        Q_EMIT messageRequested(QString(), false);
    }
    setLocked(m_running);
}

bool TrainingForm::loadRunState(const QString &folder)
{
    ml::train::RunState state;
    QString error;
    if (!ml::train::holdsRunState(folder.toStdString())) {
        error = tr("%1 holds no training run to continue (no %2).")
                    .arg(QDir::toNativeSeparators(folder), QString::fromLatin1(ml::train::kTrainerStateFile));
    } else {
        try {
            state = ml::train::readRunState(folder.toStdString());
        } catch (const std::exception &e) {
            error = QString::fromStdString(e.what());
        }
    }
    if (!error.isEmpty()) {
        m_resumeHint->setText(error);
        Q_EMIT messageRequested(error, true);
        return false;
    }
    setKind(state.kind); // the run decides what it trains; the preset stays as the run has it
    const QString presetName = QString::fromStdString(state.preset);
    {
        const QSignalBlocker block(m_preset);
        m_preset->setCurrentIndex(std::max(0, m_preset->findData(presetName)));
    }
    updatePresetHint();
    m_steps->setValue(static_cast<int>(std::max(state.steps, state.step + 1)));
    m_batch->setValue(static_cast<int>(state.batch));
    m_lr->setText(QLocale().toString(state.lr, 'g', 6));
    m_seed->setValue(static_cast<int>(state.seed));
    m_evalEvery->setValue(static_cast<int>(state.evalEvery));
    m_checkpointEvery->setValue(static_cast<int>(state.checkpointEvery));
    if (state.kind == RunKind::Ddpm) {
        m_unet->setText(unetText(state.blockOutChannels, state.layersPerBlock));
    } else if (state.kind == RunKind::Clip) {
        const double mix[3] = {state.mixFashion, state.mixSingle, state.mixMulti};
        for (int i = 0; i < 3; ++i)
            m_mix[i]->setValue(static_cast<int>(std::lround(100.0 * mix[i])));
    }
    m_resumeHint->setText((state.kind == RunKind::Ddpm
            ? tr("The run (%1) is at step %2 of %3. It continues with its own settings; only the steps and the "
                 "sample-grid and checkpoint cadence can change.")
            : tr("The run (%1) is at step %2 of %3. It continues with its own settings; only the steps and the "
                 "evaluation and checkpoint cadence can change."))
                              .arg(presetName, QLocale().toString(state.step), QLocale().toString(state.steps)));
    Q_EMIT messageRequested(QString(), false);
    return true;
}

void TrainingForm::updateHints()
{
    const QString native = ml::cpuHasNativeBf16() ? QStringLiteral("bf16") : QStringLiteral("fp32");
    m_dtype->setItemText(0, tr("auto (%1 on this processor)").arg(native));
    const bool found = ml::fashionMnistAvailable(fashionFolder(m_fashionDir->text()).toStdString());
    if (kind() == RunKind::Ddpm)
        m_fashionHint->setText(found ? tr("Found: the model learns to draw its 60,000 training images.")
                                     : tr("Not found there: DDPM training needs it (Debian's dataset-fashion-mnist "
                                          "package installs it)."));
    else if (kind() == RunKind::Llava)
        m_fashionHint->setText(tr("Not used: LLaVA trains on Shapes World alone."));
    else
        m_fashionHint->setText(found
                ? tr("Found: used for training and for the held-out Fashion-MNIST accuracy.")
                : tr("Not found there: the Fashion-MNIST share goes to Shapes World (Debian's dataset-fashion-mnist "
                     "package installs it)."));
}
