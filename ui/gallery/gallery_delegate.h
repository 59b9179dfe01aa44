// GalleryDelegate: one gallery tile: the thumbnail (or a placeholder while it loads), the
// file name elided in the middle, a duration badge on videos and a red badge on failures.
#pragma once

#include <QSize>
#include <QStyledItemDelegate>

#include "io/media.h"

class QPainter;

// Shared with the search results' tiles: the photo or play glyph drawn while a thumbnail loads
// (or when it failed), and a dark rounded badge with text in the bottom-right corner of anchor.
void drawPlaceholderGlyph(QPainter *p, const QRectF &box, ml::io::MediaKind kind, const QColor &color);
void drawCornerBadge(QPainter *p, const QRectF &anchor, const QString &text, const QFont &font);

class GalleryDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    GalleryDelegate(QSize cell, QSize thumbBox, QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    void setCellSize(QSize cell) { m_cell = cell; }

private:
    QSize m_cell;
    QSize m_box;
};
