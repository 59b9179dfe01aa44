// Label sets and prompt templates for zero-shot classification: the built-in sets, parsing
// the one-label-per-line editor text, and the checks that keep a bad set out of a job.
#pragma once

#include <QCoreApplication>
#include <QString>
#include <QStringList>

class LabelSets {
    Q_DECLARE_TR_FUNCTIONS(LabelSets)

public:
    // Built-in sets, in the order the editor offers them; ids are stable (kept in QSettings).
    static QStringList ids();                      // "cifar10", "fashion-mnist", "shapes-world"
    static QString displayName(const QString &id); // "CIFAR-10", ...; empty for unknown ids
    static QStringList labels(const QString &id);  // empty for unknown ids

    // One label per line: trimmed, blank lines dropped, order kept.
    static QStringList parse(const QString &text);
    // What is wrong with a label list, as one line for the user; empty when it can be used:
    // at least two labels, none repeated.
    static QString problem(const QStringList &labels);

    static QString defaultTemplate(); // "a photo of a {}."
    // What is wrong with a prompt template; empty when fine. It must contain "{}".
    static QString templateProblem(const QString &prompt);

    // Plain text files, UTF-8, one label per line. read() returns false with a message.
    static bool read(const QString &path, QStringList *labels, QString *error);
    static bool write(const QString &path, const QStringList &labels, QString *error);
};
