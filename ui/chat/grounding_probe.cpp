// GroundingController's probe: the mask painted over the model's input crop (or a word's top
// patches), carried onto the picture and the model's grid, and the question asked again with it.
#include "chat/grounding_controller.h"

#include "chat/chat_controller.h"
#include "common/engine_bridge.h"

#include <QPainter>

#include <algorithm>
#include <cmath>
#include <numeric>

// --- the probe -----------------------------------------------------------------------------

void GroundingController::setPaintMode(bool on)
{
    if (on == m_paintMode)
        return;
    m_paintMode = on;
    Q_EMIT formChanged();
}

bool GroundingController::hasMask() const
{
    if (m_mask.isNull())
        return false;
    for (int y = 0; y < m_mask.height(); ++y) {
        const uchar *row = m_mask.constScanLine(y);
        if (std::any_of(row, row + m_mask.width(), [](uchar v) { return v != 0; }))
            return true;
    }
    return false;
}

void GroundingController::paintStroke(const QPointF &from, const QPointF &to, bool erase)
{
    if (m_mask.isNull() || !m_result)
        return;
    const double side = m_mask.width();
    const double radius = std::max(2.0, 0.5 * side / std::max(1, m_result->gridW)); // a patch wide
    QPainter p(&m_mask);
    p.setCompositionMode(QPainter::CompositionMode_Source);
    const QColor colour = erase ? Qt::black : Qt::white;
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    p.drawEllipse(to * side, radius, radius);
    if (from != to) {
        p.setPen(QPen(colour, 2 * radius, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(from * side, to * side);
    }
    p.end();
    Q_EMIT maskChanged();
}

void GroundingController::clearMask()
{
    if (m_mask.isNull())
        return;
    m_mask.fill(0);
    Q_EMIT maskChanged();
}

bool GroundingController::hideTopPatches(int word)
{
    if (word < 0)
        word = shownWord();
    const std::vector<float> map = wordMap(word);
    if (map.empty() || m_mask.isNull()) {
        showMessage(tr("Hover or click a word of the answer first."), true);
        return false;
    }
    const int gridH = m_result->gridH, gridW = m_result->gridW;
    const auto k = static_cast<std::size_t>(std::max(1L, std::lround(kTopShare * static_cast<double>(map.size()))));
    std::vector<int> order(map.size());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
        [&map](int a, int b) { return map[static_cast<std::size_t>(a)] > map[static_cast<std::size_t>(b)]; });
    const int side = m_mask.width();
    QPainter p(&m_mask);
    for (std::size_t i = 0; i < k; ++i) {
        const int row = order[i] / gridW, col = order[i] % gridW;
        const QRect cell(QPoint(col * side / gridW, row * side / gridH),
            QPoint((col + 1) * side / gridW - 1, (row + 1) * side / gridH - 1));
        p.fillRect(cell, Qt::white);
    }
    p.end();
    showMessage(
        tr("Hid the %n patches where “%1” looked most.", nullptr, static_cast<int>(k)).arg(wordText(word)), false);
    Q_EMIT maskChanged();
    return true;
}

std::vector<int> GroundingController::hiddenPatches() const
{
    std::vector<int> cells;
    if (!m_result || m_mask.isNull() || m_result->gridH <= 0 || m_result->gridW <= 0)
        return cells;
    const int gridH = m_result->gridH, gridW = m_result->gridW, side = m_mask.width();
    for (int row = 0; row < gridH; ++row)
        for (int col = 0; col < gridW; ++col) {
            const int x0 = col * side / gridW, x1 = (col + 1) * side / gridW;
            const int y0 = row * side / gridH, y1 = (row + 1) * side / gridH;
            int hidden = 0;
            for (int y = y0; y < y1; ++y) {
                const uchar *line = m_mask.constScanLine(y);
                hidden += static_cast<int>(std::count_if(line + x0, line + x1, [](uchar v) { return v != 0; }));
            }
            if (2 * hidden >= (x1 - x0) * (y1 - y0))
                cells.push_back(row * gridW + col);
        }
    return cells;
}

std::vector<std::uint8_t> GroundingController::pictureMask(const QImage &cropMask, int width, int height)
{
    std::vector<std::uint8_t> out(static_cast<std::size_t>(std::max(0, width)) * std::max(0, height), 0);
    const int side = cropMask.width();
    if (cropMask.isNull() || width <= 0 || height <= 0 || cropMask.height() != side)
        return out;
    // HF's resize of the shortest edge: the short side becomes `side`, the long one
    // int(side * long / short); then the centre crop, offsets floored.
    const int resizedW = width <= height ? side : static_cast<int>(static_cast<double>(side) * width / height);
    const int resizedH = height <= width ? side : static_cast<int>(static_cast<double>(side) * height / width);
    const int left = (resizedW - side) / 2, top = (resizedH - side) / 2;
    for (int y = 0; y < height; ++y) {
        const int cy = static_cast<int>(std::floor((y + 0.5) * resizedH / height)) - top;
        if (cy < 0 || cy >= side)
            continue;
        const uchar *row = cropMask.constScanLine(cy);
        for (int x = 0; x < width; ++x) {
            const int cx = static_cast<int>(std::floor((x + 0.5) * resizedW / width)) - left;
            if (cx >= 0 && cx < side && row[cx])
                out[static_cast<std::size_t>(y) * width + x] = 255;
        }
    }
    return out;
}

bool GroundingController::reask()
{
    if (!m_result) {
        showMessage(tr("Ask a LLaVA model something first: the probe asks the same question again."), true);
        return false;
    }
    if (m_chat->isBusy() || m_probeJob) {
        showMessage(tr("An answer is being written: wait for it to finish."), true);
        return false;
    }
    if (!hasMask()) {
        showMessage(tr("Paint over a region of the picture, or hide a word's top patches, first."), true);
        return false;
    }
    ml::ChatRequest r = m_request;
    r.explain = false;
    r.hiddenPatches = hiddenPatches();
    // The painted pixels too, carried onto the picture the model reads (the chat's picture is that
    // picture, scaled down; the core scales the mask to it).
    const QImage picture = m_chat->picture();
    if (m_chat->imagePath().toStdString() == r.image && !picture.isNull()) {
        r.regionMask = pictureMask(m_mask, picture.width(), picture.height());
        r.regionWidth = picture.width();
        r.regionHeight = picture.height();
    }
    m_probeHidden = static_cast<int>(r.hiddenPatches.size());
    m_probeTokens.clear();
    m_probeDone = false;
    showMessage(QString(), false);
    m_probeJob = m_bridge->submit(ml::makeChatJob(std::move(r)));
    setState(tr("Asking again with the region hidden…"));
    Q_EMIT busyChanged();
    Q_EMIT probeChanged();
    return true;
}

void GroundingController::dropProbe()
{
    m_probeTokens.clear();
    m_probeDone = false;
    m_probeHidden = 0;
    Q_EMIT probeChanged();
}
