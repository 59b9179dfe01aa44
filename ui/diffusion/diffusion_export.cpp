// DiffusionController's exports: the shown run's trajectory as an animation (an I/O job) and its
// PNG grid of x_t and the predicted x₀ at up to 10 steps.
#include "diffusion/diffusion_controller.h"

#include "common/engine_bridge.h"
#include "common/qimage_convert.h"

#include "io/animation_export.h"

#include <QDir>
#include <QFontMetrics>
#include <QPainter>

#include <algorithm>

namespace {

constexpr int kMaxAnimationFrames = 150;
constexpr double kAnimationFps = 15.0;
constexpr int kGridColumns = 10;
constexpr int kGridCell = 96;

QImage toImage(const ml::io::RgbImage &rgb)
{
    return rgb.empty() ? QImage() : toQImage(rgb);
}

} // namespace

bool DiffusionController::exportAnimation(const QString &file)
{
    auto frames
        = m_run >= 0 ? m_session->trajectoryFrames(m_run, kMaxAnimationFrames) : std::vector<ml::io::RgbImage>();
    if (frames.empty()) {
        showMessage(tr("Nothing to export yet: run the model first."), true);
        return false;
    }
    if (m_exportJob)
        return false;
    // Hold the result for a second.
    const ml::io::RgbImage last = frames.back();
    for (int i = 1; i < static_cast<int>(kAnimationFps); ++i)
        frames.push_back(last);
    m_exportFile = file;
    m_exportJob = m_bridge->submit(
        tr("Export the trajectory"),
        [frames = std::move(frames), path = file.toStdString()](ml::JobContext &ctx) -> QVariant {
            ml::io::writeAnimation(path, frames, kAnimationFps, 256, [&ctx](int done, int total) {
                ctx.report(done, total, "encoding");
                return !ctx.isCancelled();
            });
            return QVariant(QString::fromStdString(path));
        },
        ml::Lane::Io);
    Q_EMIT viewChanged(); // the export buttons
    return true;
}

void DiffusionController::onExportFinished(bool ok, const QString &error, bool cancelled)
{
    m_exportJob = 0;
    if (ok) { // in the message line too: the status line is soon rewritten by the run's state
        setStatus(tr("Exported %1.").arg(QDir::toNativeSeparators(m_exportFile)));
        showMessage(
            tr("Saved the trajectory (x_t beside the predicted x₀) to %1.").arg(QDir::toNativeSeparators(m_exportFile)),
            false);
    } else if (cancelled) {
        setStatus(tr("Export cancelled."));
    } else {
        showMessage(tr("Could not export: %1").arg(error), true);
    }
    Q_EMIT viewChanged();
    Q_EMIT exported(ok, m_exportFile);
}

QImage DiffusionController::gridImage() const
{
    const auto info = m_run >= 0 ? m_session->run(m_run) : std::nullopt;
    if (!info)
        return {};
    std::vector<int> computed;
    for (int i = 0; i < info->stepsDone; ++i)
        if (m_session->previews(m_run, i))
            computed.push_back(i);
    if (computed.empty())
        return {};
    const int n = static_cast<int>(computed.size());
    const int shown = std::min(n, kGridColumns);
    std::vector<int> cols;
    for (int k = 0; k < shown; ++k)
        cols.push_back(computed[static_cast<std::size_t>(shown == 1 ? n - 1 : k * (n - 1) / (shown - 1))]);
    const QFontMetrics fm(m_gridFont);
    const int labelW = fm.horizontalAdvance(QStringLiteral("pred. x₀ ")) + 12, labelH = fm.height() + 8, gap = 4;
    const int numCols = shown + (info->finished ? 1 : 0);
    QImage grid(labelW + numCols * (kGridCell + gap), labelH + 2 * (kGridCell + gap), QImage::Format_RGB32);
    grid.fill(Qt::white);
    QPainter p(&grid);
    p.setFont(m_gridFont);
    p.setPen(Qt::black);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    const auto cell = [&](int col, int row) {
        return QRect(labelW + col * (kGridCell + gap), labelH + row * (kGridCell + gap), kGridCell, kGridCell);
    };
    p.drawText(QRect(0, labelH, labelW, kGridCell), Qt::AlignCenter, tr("x_t"));
    p.drawText(QRect(0, labelH + kGridCell + gap, labelW, kGridCell), Qt::AlignCenter, tr("pred. x₀"));
    for (int c = 0; c < shown; ++c) {
        const auto pv = m_session->previews(m_run, cols[static_cast<std::size_t>(c)]);
        if (!pv)
            continue;
        p.drawText(QRect(cell(c, 0).x(), 0, kGridCell, labelH), Qt::AlignCenter, tr("t = %1").arg(pv->timestep));
        p.drawImage(cell(c, 0), toImage(pv->sample));
        p.drawImage(cell(c, 1), toImage(pv->predOriginal));
    }
    if (info->finished) {
        const QImage final = toImage(m_session->currentPreview(m_run));
        p.drawText(QRect(cell(shown, 0).x(), 0, kGridCell, labelH), Qt::AlignCenter, tr("result"));
        p.drawImage(cell(shown, 0), final);
        p.drawImage(cell(shown, 1), final);
    }
    p.end();
    return grid;
}

bool DiffusionController::exportGrid(const QString &file)
{
    const QImage grid = gridImage();
    if (grid.isNull()) {
        showMessage(tr("Nothing to export yet: run the model first."), true);
        return false;
    }
    if (!grid.save(file, "PNG")) {
        showMessage(tr("Could not write %1.").arg(QDir::toNativeSeparators(file)), true);
        return false;
    }
    setStatus(tr("Exported %1.").arg(QDir::toNativeSeparators(file)));
    showMessage(tr("Saved the grid (%1 × %2 px) to %3.")
                    .arg(grid.width())
                    .arg(grid.height())
                    .arg(QDir::toNativeSeparators(file)),
        false);
    return true;
}

QString DiffusionController::defaultExportName(const QString &suffix) const
{
    return QStringLiteral("%1-run%2%3").arg(QString::fromStdString(m_sessionInfo.modelName)).arg(m_run).arg(suffix);
}
