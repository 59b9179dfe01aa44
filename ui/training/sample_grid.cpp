// SampleGrid: painted by hand (a few cells, refreshed after each evaluation); the cells grow with
// the width, between kMinSide and kMaxSide pixels of image, and wrap onto as many rows as needed.
#include "training/sample_grid.h"

#include "common/format.h"
#include "common/plot_colors.h"

#include <QEvent>
#include <QHelpEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>

namespace {

constexpr int kMinSide = 88;  // image pixels in a cell
constexpr int kMaxSide = 160; // the 64 px samples at 2.5x at most
constexpr int kPad = 5;       // inside a cell
constexpr int kSpacing = 8;   // between cells
constexpr int kEmptyHeight = 60;

const QColor kRight(0x3f, 0xb9, 0x50);
const QColor kWrong(0xe5, 0x48, 0x4d);

} // namespace

SampleGrid::SampleGrid(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("sampleGrid"));
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

void SampleGrid::setSamples(qint64 step, QList<Sample> samples)
{
    m_step = step;
    m_samples = std::move(samples);
    updateGeometry();
    update();
}

void SampleGrid::clear()
{
    setSamples(-1, {});
}

void SampleGrid::setLabelled(bool labelled)
{
    if (labelled == m_labelled)
        return;
    m_labelled = labelled;
    updateGeometry();
    update();
}

int SampleGrid::correctCount() const
{
    return static_cast<int>(
        std::count_if(m_samples.begin(), m_samples.end(), [](const Sample &s) { return s.correct(); }));
}

void SampleGrid::setFitToHeight(bool fit)
{
    m_fitToHeight = fit;
    QSizePolicy policy(QSizePolicy::Preferred, fit ? QSizePolicy::Expanding : QSizePolicy::Preferred);
    policy.setHeightForWidth(!fit);
    setSizePolicy(policy);
    updateGeometry();
    update();
}

SampleGrid::Fit SampleGrid::fitFor(int width, int height) const
{
    // Each column count gives a side from the width and one from the height; the largest of
    // their minima wins.
    const int n = std::max<int>(1, static_cast<int>(m_samples.size()));
    const int extra = cellHeight(0);
    Fit best;
    for (int columns = 1; columns <= n; ++columns) {
        const int rows = (n + columns - 1) / columns;
        const int byWidth = (width - (columns - 1) * kSpacing) / columns - 2 * kPad;
        const int byHeight = (height - (rows - 1) * kSpacing) / rows - extra;
        const int side = std::min({byWidth, byHeight, kMaxSide});
        if (side > best.side)
            best = {columns, side};
    }
    best.side = std::max(best.side, 16);
    return best;
}

int SampleGrid::columnsFor(int width) const
{
    if (m_fitToHeight)
        return fitFor(width, height()).columns;
    // The fewest columns that keep cells at most kMaxSide, the most that keep them at least
    // kMinSide; then as few rows as that allows, filled evenly (8 samples: 4 + 4, not 6 + 2).
    const int n = std::max<int>(1, static_cast<int>(m_samples.size()));
    const int fewest = (width + kSpacing + kMaxSide + 2 * kPad + kSpacing - 1) / (kMaxSide + 2 * kPad + kSpacing);
    const int most = std::max(1, (width + kSpacing) / (kMinSide + 2 * kPad + kSpacing));
    const int columns = std::min(n, std::clamp(fewest, 1, most));
    const int rows = (n + columns - 1) / columns;
    return (n + rows - 1) / rows;
}

int SampleGrid::imageSideFor(int width) const
{
    if (m_fitToHeight)
        return fitFor(width, height()).side;
    const int columns = columnsFor(width);
    const int cell = (width - (columns - 1) * kSpacing) / columns;
    return std::clamp(cell - 2 * kPad, 32, kMaxSide);
}

int SampleGrid::leftFor(int width) const
{
    const int columns = columnsFor(width);
    const int used = columns * (imageSideFor(width) + 2 * kPad) + (columns - 1) * kSpacing;
    return std::max(0, (width - used) / 2);
}

int SampleGrid::cellHeight(int side) const
{
    return m_labelled ? kPad + side + 4 + 2 * fontMetrics().height() + kPad : kPad + side + kPad;
}

QRect SampleGrid::cellRect(int i) const
{
    const int columns = columnsFor(width());
    const int side = imageSideFor(width());
    const int w = side + 2 * kPad, h = cellHeight(side);
    return {leftFor(width()) + (i % columns) * (w + kSpacing), (i / columns) * (h + kSpacing), w, h};
}

int SampleGrid::heightForWidth(int width) const
{
    if (m_samples.isEmpty())
        return kEmptyHeight;
    const int columns = columnsFor(width);
    const int rows = (static_cast<int>(m_samples.size()) + columns - 1) / columns;
    return rows * cellHeight(imageSideFor(width)) + (rows - 1) * kSpacing;
}

QSize SampleGrid::sizeHint() const
{
    const int w = 4 * (kMinSide + 2 * kPad) + 3 * kSpacing;
    return {w, m_fitToHeight ? cellHeight(kMinSide) : heightForWidth(w)};
}

QSize SampleGrid::minimumSizeHint() const
{
    return {kMinSide + 2 * kPad, kEmptyHeight};
}

void SampleGrid::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const PlotColors colors = PlotColors::from(palette());
    if (m_samples.isEmpty()) {
        p.setPen(colors.dimText);
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
            m_labelled ? tr("The held-out samples and the model's guesses appear here after the first evaluation.")
                       : tr("Samples drawn from the model appear here after the first sample grid."));
        return;
    }
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    const QFontMetrics fm = fontMetrics();
    const int side = imageSideFor(width());
    QFont bold = font();
    bold.setBold(true);
    if (!m_labelled) {
        for (int i = 0; i < m_samples.size(); ++i) {
            const QRect cell = cellRect(i);
            QPainterPath frame;
            frame.addRoundedRect(QRectF(cell).adjusted(1, 1, -1, -1), 4, 4);
            p.setPen(QPen(colors.grid, 1));
            p.drawPath(frame);
            p.drawImage(QRect(cell.left() + kPad, cell.top() + kPad, side, side), m_samples[i].image);
        }
        return;
    }
    for (int i = 0; i < m_samples.size(); ++i) {
        const Sample &s = m_samples[i];
        const QRect cell = cellRect(i);
        const QColor mark = s.correct() ? kRight : kWrong;
        QColor fill = mark;
        fill.setAlpha(28);
        QPainterPath frame;
        frame.addRoundedRect(QRectF(cell).adjusted(1, 1, -1, -1), 4, 4);
        p.fillPath(frame, fill);
        p.setPen(QPen(mark, 2));
        p.drawPath(frame);

        const QRect image(cell.left() + kPad, cell.top() + kPad, side, side);
        p.drawImage(image, s.image);

        const int textWidth = cell.width() - 2 * kPad;
        QRect line(image.left(), image.bottom() + 4, textWidth, fm.height());
        p.setFont(font());
        p.setPen(colors.text);
        p.drawText(line, Qt::AlignLeft | Qt::AlignVCenter,
            fm.elidedText(s.question.isEmpty() ? s.trueLabel : s.question, Qt::ElideRight, textWidth));
        line.translate(0, fm.height());
        // "✓ label" elided, the probability right-aligned after it.
        const QFontMetrics bm(bold);
        const QString prob = formatProbability(s.prob);
        const int probWidth = bm.horizontalAdvance(prob);
        const QString guess
            = QStringLiteral("%1 %2").arg(s.correct() ? QStringLiteral("✓") : QStringLiteral("✗"), s.predictedLabel);
        p.setFont(bold);
        p.setPen(mark);
        p.drawText(line.adjusted(0, 0, -probWidth - 6, 0), Qt::AlignLeft | Qt::AlignVCenter,
            bm.elidedText(guess, Qt::ElideRight, textWidth - probWidth - 6));
        p.drawText(line, Qt::AlignRight | Qt::AlignVCenter, prob);
    }
}

bool SampleGrid::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip && m_labelled) {
        const QPoint pos = static_cast<QHelpEvent *>(event)->pos();
        for (int i = 0; i < m_samples.size(); ++i)
            if (cellRect(i).contains(pos)) {
                const Sample &s = m_samples[i];
                QToolTip::showText(static_cast<QHelpEvent *>(event)->globalPos(),
                    (s.question.isEmpty() ? QString() : tr("Question: %1").arg(s.question) + QLatin1Char('\n'))
                        + tr("True: %1").arg(s.trueLabel) + QLatin1Char('\n')
                        + tr("Predicted: %1 (%2)").arg(s.predictedLabel, formatProbability(s.prob)),
                    this, cellRect(i));
                return true;
            }
        QToolTip::hideText();
        event->ignore();
        return true;
    }
    return QWidget::event(event);
}

void SampleGrid::resizeEvent(QResizeEvent *event)
{
    if (!m_fitToHeight)
        updateGeometry(); // the height follows the width
    QWidget::resizeEvent(event);
}

void SampleGrid::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange || event->type() == QEvent::PaletteChange) {
        updateGeometry();
        update();
    }
    QWidget::changeEvent(event);
}
