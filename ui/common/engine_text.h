// EngineText: the English that core writes (job names, error messages) in the UI's language.
// Core stays Qt-free and English (the CLI prints it); the GUI translates what it shows.
#pragma once

#include <QCoreApplication>
#include <QString>

class EngineText {
    Q_DECLARE_TR_FUNCTIONS(EngineText)
public:
    // A job name core gave ("Classify 3 images", "Index 2 location(s)"); names it does not know
    // (the UI's own, already translated) come back unchanged.
    static QString jobName(const QString &name);
    // An error message: the generic frames and the common fixed reasons (media that cannot be
    // decoded, missing files, checkpoints that cannot be read or do not fit) are translated;
    // file paths, tensor names and system messages (strerror) stay as they are, and so does
    // anything the table does not know.
    static QString error(const QString &message);
};
