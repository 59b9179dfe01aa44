// Small building blocks shared by the panels' pages.
#pragma once

#include <QStandardPaths>
#include <QString>

class QLabel;
class QScrollArea;
class QWidget;

// A word-wrapped label in the palette's placeholder colour, for hints and secondary lines.
QLabel *dimLabel(QWidget *parent);

// A frameless, vertically scrolling area around page (resizable; never scrolls sideways, so a
// narrow dock wraps instead).
QScrollArea *verticalScrollArea(QWidget *page, QWidget *parent);

// Where a file dialog for `location` (Pictures, Movies, Documents) starts: that folder when it
// exists, else the home folder (a fresh account has no ~/Videos, and Qt would fall back to the
// working directory).
QString dialogFolder(QStandardPaths::StandardLocation location);
