// GalleryDelegate: everything is drawn from the model's cached values: no decoding, no
// scaling (thumbnails arrive at tile size), so a full repaint of the viewport stays cheap.
#include "gallery/gallery_delegate.h"

#include "common/format.h"
#include "gallery/gallery_model.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>

namespace {

constexpr int kMargin = 4;
const QColor kErrorRed(0xe5, 0x48, 0x4d);

} // namespace

void drawPlaceholderGlyph(QPainter *p, const QRectF &box, ml::io::MediaKind kind, const QColor &color)
{
    const qreal s = std::min(box.width(), box.height()) * 0.28;
    const QPointF c = box.center();
    p->setPen(QPen(color, 2.0));
    p->setBrush(Qt::NoBrush);
    if (kind == ml::io::MediaKind::Video) {
        QPainterPath tri;
        tri.moveTo(c + QPointF(-s * 0.35, -s * 0.45));
        tri.lineTo(c + QPointF(s * 0.5, 0));
        tri.lineTo(c + QPointF(-s * 0.35, s * 0.45));
        tri.closeSubpath();
        p->drawPath(tri);
        return;
    }
    const QRectF frame(c.x() - s * 0.6, c.y() - s * 0.45, s * 1.2, s * 0.9);
    p->drawRoundedRect(frame, 3, 3);
    QPainterPath hills;
    hills.moveTo(frame.left() + 3, frame.bottom() - 3);
    hills.lineTo(frame.left() + frame.width() * 0.4, frame.top() + frame.height() * 0.45);
    hills.lineTo(frame.left() + frame.width() * 0.6, frame.top() + frame.height() * 0.65);
    hills.lineTo(frame.left() + frame.width() * 0.75, frame.top() + frame.height() * 0.5);
    hills.lineTo(frame.right() - 3, frame.bottom() - 3);
    p->drawPath(hills);
}

void drawCornerBadge(QPainter *p, const QRectF &anchor, const QString &text, const QFont &font)
{
    QFont f = font;
    f.setPointSizeF(font.pointSizeF() * 0.85);
    f.setBold(true);
    const QFontMetricsF fm(f);
    const QSizeF size(std::min(fm.horizontalAdvance(text) + 10, anchor.width() - 4), fm.height() + 2);
    const QRectF r(anchor.right() - size.width() - 4, anchor.bottom() - size.height() - 4, size.width(), size.height());
    p->setPen(Qt::NoPen);
    p->setBrush(QColor(0, 0, 0, 170));
    p->drawRoundedRect(r, 4, 4);
    p->setFont(f);
    p->setPen(Qt::white);
    p->drawText(r, Qt::AlignCenter, text);
}

GalleryDelegate::GalleryDelegate(QSize cell, QSize thumbBox, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_cell(cell)
    , m_box(thumbBox)
{ }

QSize GalleryDelegate::sizeHint(const QStyleOptionViewItem &, const QModelIndex &) const
{
    return m_cell;
}

void GalleryDelegate::paint(QPainter *p, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const QPalette &pal = option.palette;
    const QRectF cell = QRectF(option.rect).adjusted(kMargin, kMargin, -kMargin, -kMargin);
    const bool selected = option.state & QStyle::State_Selected;
    const bool hovered = option.state & QStyle::State_MouseOver;
    const auto state = static_cast<GalleryModel::State>(index.data(GalleryModel::StateRole).toInt());
    const auto kind = static_cast<ml::io::MediaKind>(index.data(GalleryModel::KindRole).toInt());

    p->save();
    p->setRenderHint(QPainter::Antialiasing);

    if (selected || hovered) {
        QColor fill = pal.color(QPalette::Highlight);
        fill.setAlpha(selected ? 90 : 35);
        p->setPen(selected ? QPen(pal.color(QPalette::Highlight), 1.5) : Qt::NoPen);
        p->setBrush(fill);
        p->drawRoundedRect(cell, 6, 6);
    }

    const QRectF box(
        cell.left() + (cell.width() - m_box.width()) / 2.0, cell.top() + kMargin, m_box.width(), m_box.height());
    QRectF shown = box; // where the picture (or its placeholder) is, for the badges

    if (state == GalleryModel::State::Ready) {
        const QImage image = index.data(GalleryModel::ThumbnailRole).value<QImage>();
        const QSizeF size = QSizeF(image.size()) / image.devicePixelRatio();
        shown
            = QRectF(box.center().x() - size.width() / 2.0, box.bottom() - size.height(), size.width(), size.height());
        p->drawImage(shown, image);
        p->setPen(QPen(QColor(0, 0, 0, 60), 1.0));
        p->setBrush(Qt::NoBrush);
        p->drawRect(shown.adjusted(0.5, 0.5, -0.5, -0.5));
    } else {
        const bool failed = state == GalleryModel::State::Error;
        QColor bg = pal.color(QPalette::AlternateBase);
        if (failed)
            bg = QColor::fromRgbF(0.35, 0.16, 0.17, 0.55);
        p->setPen(Qt::NoPen);
        p->setBrush(bg);
        p->drawRoundedRect(box, 4, 4);
        QColor glyph = pal.color(QPalette::PlaceholderText);
        glyph.setAlpha(failed ? 90 : 140);
        drawPlaceholderGlyph(p, box, kind, glyph);
        if (failed) {
            QFont f = option.font;
            f.setPointSizeF(f.pointSizeF() * 0.85);
            p->setFont(f);
            p->setPen(QColor(0xff, 0xb4, 0xb4));
            p->drawText(
                box.adjusted(6, 0, -6, -6), Qt::AlignHCenter | Qt::AlignBottom, GalleryModel::tr("Cannot open"));
        }
    }

    if (kind == ml::io::MediaKind::Video) {
        const double duration = index.data(GalleryModel::DurationRole).toDouble();
        const QString text = duration >= 0.0 ? QStringLiteral("▶ ") + formatDuration(duration) : QStringLiteral("▶");
        drawCornerBadge(p, shown, text, option.font);
    }

    if (state == GalleryModel::State::Error) {
        const qreal d = 20;
        const QRectF badge(box.right() - d - 4, box.top() + 4, d, d);
        p->setPen(Qt::NoPen);
        p->setBrush(kErrorRed);
        p->drawEllipse(badge);
        QFont f = option.font;
        f.setBold(true);
        p->setFont(f);
        p->setPen(Qt::white);
        p->drawText(badge, Qt::AlignCenter, QStringLiteral("!"));
    }

    const QRectF textRect(cell.left() + 4, box.bottom() + 4, cell.width() - 8, cell.bottom() - box.bottom() - 4);
    p->setFont(option.font);
    p->setPen(pal.color(QPalette::Text));
    const QString name = index.data(GalleryModel::NameRole).toString();
    p->drawText(textRect, Qt::AlignHCenter | Qt::AlignTop,
        option.fontMetrics.elidedText(name, Qt::ElideMiddle, static_cast<int>(textRect.width())));
    p->restore();
}
