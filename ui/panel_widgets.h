// Small building blocks shared by the panels' pages.
#pragma once

class QLabel;
class QScrollArea;
class QWidget;

// A word-wrapped label in the palette's placeholder colour, for hints and secondary lines.
QLabel *dimLabel(QWidget *parent);

// A frameless, vertically scrolling area around page (resizable; never scrolls sideways, so a
// narrow dock wraps instead).
QScrollArea *verticalScrollArea(QWidget *page, QWidget *parent);
