// ExplainController's exports: the overlay as PNG (upscaled to at least kExportSide) and the raw
// map as safetensors with what produced it in the metadata.
#include "explain/explain_controller.h"

#include "common/error.h"
#include "io/safetensors_f32.h"

#include <QDir>
#include <QLocale>

#include <map>

namespace {

constexpr int kExportSide = 448; // the exported overlay's side at least (the crop is upscaled)

} // namespace

QImage ExplainController::inputImage(const ml::ExplainResult &r)
{
    if (r.imageSize <= 0 || r.inputRgb.size() != static_cast<std::size_t>(r.imageSize) * r.imageSize * 3)
        return {};
    return QImage(r.inputRgb.data(), r.imageSize, r.imageSize, r.imageSize * 3, QImage::Format_RGB888)
        .convertToFormat(QImage::Format_RGB32);
}

bool ExplainController::exportOverlay(const QString &file)
{
    if (!m_result || m_map.empty()) {
        showMessage(tr("Nothing to export yet."), true);
        return false;
    }
    const QImage base = inputImage(*m_result);
    const int side = std::max(kExportSide, base.width());
    const QImage big = base.scaled(side, side, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    const QImage out
        = heatmap::overlay(big, m_map, m_result->gridH, m_result->gridW, m_form.colours, m_form.opacity / 100.0);
    if (!out.save(file, "PNG")) {
        showMessage(tr("Could not write %1.").arg(QDir::toNativeSeparators(file)), true);
        return false;
    }
    showMessage(exportedText(tr("Saved the overlay (%1 × %2 px)").arg(out.width()).arg(out.height()), file), false);
    return true;
}

QString ExplainController::exportedText(const QString &what, const QString &file) const
{
    return m_isVideo ? tr("%1 of the frame at %2 s to %3.")
                           .arg(what, QLocale().toString(m_videoTime, 'f', 2), QDir::toNativeSeparators(file))
                     : tr("%1 to %2.").arg(what, QDir::toNativeSeparators(file));
}

bool ExplainController::exportRawMap(const QString &file)
{
    if (!m_result || m_map.empty()) {
        showMessage(tr("Nothing to export yet."), true);
        return false;
    }
    const ml::ExplainResult &r = *m_result;
    std::map<std::string, std::string> meta {{"method", ml::explainMethodName(m_resultMethod)}, {"model", r.modelName},
        {"image", m_path.toStdString()}, {"grid", std::to_string(r.gridH) + "x" + std::to_string(r.gridW)}};
    if (m_resultMethod == ml::ExplainMethod::Attention) {
        meta["layer"] = std::to_string(r.layer);
        meta["query_token"] = std::to_string(m_form.query);
        const int head = m_form.head - FirstHead;
        meta["head"] = head >= 0 ? std::to_string(head) : std::string(headFusionName(m_form.head));
    } else if (m_resultMethod == ml::ExplainMethod::Rollout) {
        meta["discard_ratio"] = QString::number(m_form.discard).toStdString();
        meta["head_fusion"] = headFusionName(m_form.head);
    } else {
        meta["text"] = m_form.text.simplified().toStdString();
        if (!m_mapLabel.isEmpty())
            meta["word"] = m_mapLabel.toStdString();
    }
    if (m_isVideo)
        meta["time_s"] = QString::number(m_videoTime).toStdString();
    try {
        ml::io::saveSafetensorsF32(file.toStdString(), {{"map", {{r.gridH, r.gridW}, m_map}}}, meta);
    } catch (const ml::Error &e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return false;
    }
    showMessage(exportedText(tr("Saved the raw map (%1 × %2 patches)").arg(r.gridH).arg(r.gridW), file), false);
    return true;
}
