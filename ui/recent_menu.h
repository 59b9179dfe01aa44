// RecentMenu: File ▸ Open Recent: the files and folders opened last (newest first), kept in
// QSettings; an entry that no longer exists stays listed, disabled and marked, until cleared.
#pragma once

#include <QMenu>
#include <QStringList>

class RecentMenu : public QMenu {
    Q_OBJECT
public:
    static constexpr int kMaxEntries = 10;

    explicit RecentMenu(QWidget *parent = nullptr);

    // To the top (moved there when listed already), absolute and cleaned; the oldest drop off.
    void add(const QStringList &paths);
    QStringList paths() const; // newest first
    void clearEntries();
    // The entries as actions (path in data(), objectName "recentEntry"), then Clear; runs each
    // time the menu is about to show, so existence is checked then.
    void rebuild();

Q_SIGNALS:
    void openRequested(const QString &path);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void save(const QStringList &paths);
};
