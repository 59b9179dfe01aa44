// WordStrip: a flow of word boxes laid out for the widget's width; painted, hit-tested by rect.
#include "chat/word_strip.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace {

constexpr int kPadX = 5, kPadY = 3, kGap = 4; // inside a box; between boxes
const QColor kTint(255, 140, 0);              // the image-relevance tint at full strength

} // namespace

WordStrip::WordStrip(QWidget *parent) : QWidget(parent)
{
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
    setMouseTracking(true);
}

void WordStrip::setWords(const QStringList &words, const std::vector<float> &tints, const QStringList &tooltips)
{
    m_words = words;
    m_tints = tints;
    m_tints.resize(static_cast<std::size_t>(words.size()), 0.0f);
    m_tooltips = tooltips;
    if (m_current >= count())
        m_current = -1;
    m_hovered = -1;
    m_rects = layoutWords(width());
    updateGeometry();
    update();
}

void WordStrip::clear()
{
    setWords({}, {}, {});
}

void WordStrip::setCurrent(int word)
{
    m_current = word >= 0 && word < count() ? word : -1;
    update();
}

std::vector<QRect> WordStrip::layoutWords(int width) const
{
    const QFontMetrics fm = fontMetrics();
    const int h = fm.height() + 2 * kPadY;
    std::vector<QRect> rects;
    int x = 0, y = 0;
    for (const QString &w : m_words) {
        const int wide = std::min(std::max(width, 1), fm.horizontalAdvance(w) + 2 * kPadX);
        if (x > 0 && x + wide > width) {
            x = 0;
            y += h + kGap;
        }
        rects.emplace_back(x, y, wide, h);
        x += wide + kGap;
    }
    return rects;
}

QRect WordStrip::wordRect(int word) const
{
    return word >= 0 && word < static_cast<int>(m_rects.size()) ? m_rects[static_cast<std::size_t>(word)] : QRect();
}

int WordStrip::heightForWidth(int width) const
{
    const auto rects = layoutWords(width);
    return rects.empty() ? fontMetrics().height() + 2 * kPadY : rects.back().bottom() + 1;
}

QSize WordStrip::sizeHint() const
{
    return {320, heightForWidth(320)};
}

QSize WordStrip::minimumSizeHint() const
{
    return {80, fontMetrics().height() + 2 * kPadY};
}

void WordStrip::resizeEvent(QResizeEvent *event)
{
    m_rects = layoutWords(width());
    QWidget::resizeEvent(event);
}

int WordStrip::wordAt(const QPoint &pos) const
{
    for (std::size_t i = 0; i < m_rects.size(); ++i)
        if (m_rects[i].contains(pos))
            return static_cast<int>(i);
    return -1;
}

void WordStrip::setHovered(int word)
{
    if (word == m_hovered)
        return;
    m_hovered = word;
    update();
    Q_EMIT wordHovered(word);
}

void WordStrip::mouseMoveEvent(QMouseEvent *event)
{
    setHovered(wordAt(event->position().toPoint()));
    QWidget::mouseMoveEvent(event);
}

void WordStrip::leaveEvent(QEvent *event)
{
    setHovered(-1);
    QWidget::leaveEvent(event);
}

void WordStrip::mousePressEvent(QMouseEvent *event)
{
    const int word = wordAt(event->position().toPoint());
    if (event->button() == Qt::LeftButton && word >= 0) {
        Q_EMIT wordClicked(word);
        return;
    }
    QWidget::mousePressEvent(event);
}

bool WordStrip::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int word = wordAt(help->pos());
        if (word >= 0 && !m_tooltips.value(word).isEmpty())
            QToolTip::showText(help->globalPos(), m_tooltips.value(word), this, wordRect(word));
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void WordStrip::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QColor text = palette().color(QPalette::Text);
    for (int i = 0; i < count(); ++i) {
        const QRectF r = QRectF(wordRect(i)).adjusted(0.5, 0.5, -0.5, -0.5);
        QColor tint = kTint;
        tint.setAlphaF(0.08 + 0.82 * std::clamp(m_tints[static_cast<std::size_t>(i)], 0.0f, 1.0f));
        p.setPen(Qt::NoPen);
        p.setBrush(tint);
        p.drawRoundedRect(r, 4, 4);
        if (i == m_current || i == m_hovered) {
            p.setBrush(Qt::NoBrush);
            p.setPen(QPen(palette().color(QPalette::Highlight), i == m_current ? 2.0 : 1.0));
            p.drawRoundedRect(r, 4, 4);
        }
        p.setPen(text);
        p.drawText(r, Qt::AlignCenter, m_words[i]);
    }
}
