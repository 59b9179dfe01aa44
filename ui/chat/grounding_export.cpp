// GroundingController's exports, as the Attention panel's: the shown word's overlay as PNG
// (upscaled to at least kExportSide), and every word's map for the current method as safetensors
// (io/safetensors_f32.h: no LibTorch in ui/) with what produced them in the metadata.
#include "chat/grounding_controller.h"

#include "common/error.h"
#include "io/safetensors_f32.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>

#include <map>

namespace {

constexpr int kExportSide = 448; // the exported overlay's side at least (the crop is upscaled)

} // namespace

bool GroundingController::exportOverlay(const QString &file)
{
    if (!m_result || m_map.empty()) {
        showMessage(tr("Nothing to export yet: hover or click a word of the answer."), true);
        return false;
    }
    const QImage base = inputImage();
    const int side = std::max(kExportSide, base.width());
    const QImage big = base.scaled(side, side, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    const QImage out = heatmap::overlay(big, m_map, m_result->gridH, m_result->gridW, m_colours, m_opacity / 100.0);
    if (!out.save(file, "PNG")) {
        showMessage(tr("Could not write %1.").arg(QDir::toNativeSeparators(file)), true);
        return false;
    }
    showMessage(tr("Saved the map of “%1” (%2 × %3 px) to %4.")
                    .arg(wordText(shownWord()))
                    .arg(out.width())
                    .arg(out.height())
                    .arg(QDir::toNativeSeparators(file)),
        false);
    return true;
}

bool GroundingController::exportMaps(const QString &file)
{
    if (!m_result || m_result->words.empty()) {
        showMessage(tr("Nothing to export yet: no answer is grounded."), true);
        return false;
    }
    const ml::GroundingResult &r = *m_result;
    const auto words = static_cast<std::int64_t>(r.words.size());
    const auto cells = static_cast<std::size_t>(r.gridH) * r.gridW;
    std::vector<float> maps;
    maps.reserve(static_cast<std::size_t>(words) * cells);
    QJsonArray texts;
    for (int w = 0; w < static_cast<int>(words); ++w) {
        std::vector<float> m = wordMap(w);
        if (m.size() != cells) {
            showMessage(tr("No %1 maps to export.").arg(methodText(m_method)), true);
            return false;
        }
        maps.insert(maps.end(), m.begin(), m.end());
        texts.append(QString::fromStdString(r.words[static_cast<std::size_t>(w)].text));
    }
    const std::vector<float> shares = wordShares();
    std::map<std::string, std::string> meta {{"method", ml::groundingMethodName(m_method)},
        {"model", r.chat.modelName.empty() ? m_request.model : r.chat.modelName}, {"image", m_request.image},
        {"grid", std::to_string(r.gridH) + "x" + std::to_string(r.gridW)}, {"question", m_request.prompt},
        {"answer", m_answer.text}, {"words", QJsonDocument(texts).toJson(QJsonDocument::Compact).toStdString()}};
    if (m_method == ml::GroundingMethod::Attention)
        meta["layer"] = m_layer < 0 ? std::string("mean") : std::to_string(m_layer);
    if (m_request.videoTimeS)
        meta["time_s"] = QString::number(*m_request.videoTimeS).toStdString();
    try {
        ml::io::saveSafetensorsF32(file.toStdString(),
            {{"word_maps", {{words, r.gridH, r.gridW}, std::move(maps)}}, {"word_image_share", {{words}, shares}}},
            meta);
    } catch (const ml::Error &e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return false;
    }
    showMessage(tr("Saved the maps of %n words (%1, %2 × %3 patches) to %4.", nullptr, static_cast<int>(words))
                    .arg(methodText(m_method))
                    .arg(r.gridH)
                    .arg(r.gridW)
                    .arg(QDir::toNativeSeparators(file)),
        false);
    return true;
}
