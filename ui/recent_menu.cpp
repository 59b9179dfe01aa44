// RecentMenu: the list lives in QSettings only, so two windows (or a restart) agree on it; the
// actions are made afresh on every aboutToShow.
#include "recent_menu.h"

#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QSettings>
#include <QStyle>

namespace {

const QString kKey = QStringLiteral("recent/paths");
constexpr int kShownChars = 80; // longer paths are elided in the middle

} // namespace

RecentMenu::RecentMenu(QWidget *parent) : QMenu(parent)
{
    setObjectName(QStringLiteral("recentMenu"));
    setToolTipsVisible(true);
    connect(this, &QMenu::aboutToShow, this, &RecentMenu::rebuild);
    retranslate();
    menuAction()->setEnabled(!paths().isEmpty());
}

QStringList RecentMenu::paths() const
{
    return QSettings().value(kKey).toStringList();
}

void RecentMenu::save(const QStringList &paths)
{
    QSettings().setValue(kKey, paths);
    menuAction()->setEnabled(!paths.isEmpty());
}

void RecentMenu::add(const QStringList &added)
{
    QStringList list = paths();
    for (auto it = added.crbegin(); it != added.crend(); ++it) {
        const QString path = QDir::cleanPath(QFileInfo(*it).absoluteFilePath());
        list.removeAll(path);
        list.prepend(path);
    }
    save(list.mid(0, kMaxEntries));
}

void RecentMenu::clearEntries()
{
    save({});
}

void RecentMenu::rebuild()
{
    clear();
    const QStringList list = paths();
    for (int i = 0; i < list.size(); ++i) {
        const QString &path = list.at(i);
        const QFileInfo info(path);
        const bool exists = info.exists();
        QString shown = QDir::toNativeSeparators(path);
        if (shown.size() > kShownChars)
            shown = shown.left(kShownChars / 2 - 1) + QStringLiteral("…") + shown.right(kShownChars / 2);
        shown.replace(QLatin1Char('&'), QStringLiteral("&&"));
        QString text = i < 9 ? QStringLiteral("&%1  %2").arg(i + 1).arg(shown) : shown;
        if (!exists)
            text += QStringLiteral("  ") + tr("(not found)");
        const QStyle::StandardPixmap icon = !exists ? QStyle::SP_MessageBoxWarning
            : info.isDir()                          ? QStyle::SP_DirIcon
                                                    : QStyle::SP_FileIcon;
        QAction *action = addAction(style()->standardIcon(icon), text);
        action->setObjectName(QStringLiteral("recentEntry"));
        action->setData(path);
        action->setEnabled(exists);
        action->setToolTip(
            exists ? QDir::toNativeSeparators(path) : tr("%1 no longer exists").arg(QDir::toNativeSeparators(path)));
        connect(action, &QAction::triggered, this, [this, path] { Q_EMIT openRequested(path); });
    }
    if (!list.isEmpty())
        addSeparator();
    QAction *clearAction = addAction(tr("&Clear Menu"), this, &RecentMenu::clearEntries);
    clearAction->setObjectName(QStringLiteral("recentClear"));
    clearAction->setEnabled(!list.isEmpty());
}

void RecentMenu::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QMenu::changeEvent(event);
}

void RecentMenu::retranslate()
{
    setTitle(tr("Open &Recent"));
}
