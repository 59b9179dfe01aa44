// Label sets: the three built-in sets are the datasets the embedded models are judged on
// (CIFAR-10 names, Fashion-MNIST's classes, the Shapes World's 24 colour-shape pairs).
#include "classify/label_sets.h"

#include <QFile>
#include <QSaveFile>
#include <QSet>

namespace {

const QString kCifar = QStringLiteral("cifar10");
const QString kFashion = QStringLiteral("fashion-mnist");
const QString kShapes = QStringLiteral("shapes-world");

} // namespace

QStringList LabelSets::ids()
{
    return {kCifar, kFashion, kShapes};
}

QString LabelSets::displayName(const QString &id)
{
    if (id == kCifar)
        return QStringLiteral("CIFAR-10");
    if (id == kFashion)
        return QStringLiteral("Fashion-MNIST");
    if (id == kShapes)
        return tr("Shapes World");
    return {};
}

QStringList LabelSets::labels(const QString &id)
{
    if (id == kCifar)
        return {QStringLiteral("airplane"), QStringLiteral("automobile"), QStringLiteral("bird"), QStringLiteral("cat"),
            QStringLiteral("deer"), QStringLiteral("dog"), QStringLiteral("frog"), QStringLiteral("horse"),
            QStringLiteral("ship"), QStringLiteral("truck")};
    if (id == kFashion)
        return {QStringLiteral("T-shirt/top"), QStringLiteral("Trouser"), QStringLiteral("Pullover"),
            QStringLiteral("Dress"), QStringLiteral("Coat"), QStringLiteral("Sandal"), QStringLiteral("Shirt"),
            QStringLiteral("Sneaker"), QStringLiteral("Bag"), QStringLiteral("Ankle boot")};
    if (id == kShapes) {
        // ../shared/specs/shapes-world.md: every colour with every shape.
        QStringList out;
        for (const char *colour : {"red", "green", "blue", "yellow", "purple", "white"})
            for (const char *shape : {"circle", "square", "triangle", "diamond"})
                out << QStringLiteral("%1 %2").arg(QLatin1String(colour), QLatin1String(shape));
        return out;
    }
    return {};
}

QStringList LabelSets::parse(const QString &text)
{
    QStringList out;
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        const QString label = line.trimmed();
        if (!label.isEmpty())
            out << label;
    }
    return out;
}

QString LabelSets::problem(const QStringList &labels)
{
    if (labels.size() < 2)
        return tr("Enter at least two labels, one per line.");
    QSet<QString> seen;
    for (const QString &label : labels) {
        if (seen.contains(label))
            return tr("The label “%1” appears more than once.").arg(label);
        seen.insert(label);
    }
    return {};
}

QString LabelSets::defaultTemplate()
{
    return QStringLiteral("a photo of a {}.");
}

QString LabelSets::templateProblem(const QString &prompt)
{
    if (prompt.trimmed().isEmpty())
        return tr("A prompt template cannot be empty.");
    if (!prompt.contains(QLatin1String("{}")))
        return tr("The prompt “%1” has no {} where the label goes.").arg(prompt);
    return {};
}

bool LabelSets::read(const QString &path, QStringList *labels, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = tr("Cannot read %1: %2").arg(path, file.errorString());
        return false;
    }
    *labels = parse(QString::fromUtf8(file.readAll()));
    return true;
}

bool LabelSets::write(const QString &path, const QStringList &labels, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    file.write((labels.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8());
    if (!file.commit()) {
        *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}
