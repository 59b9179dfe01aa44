// GalleryWidget: the central area: a filter bar (name, kind, sort, count) over the grid.
// Adding files or folders scans them in an engine job; entries arrive in batches.
// What was opened, the filter, the sort and the current item outlive the app (QSettings).
#pragma once

#include <QSet>
#include <QWidget>

class EngineBridge;
class GalleryFilterModel;
class GalleryModel;
class GalleryView;
class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QTimer;
class QToolButton;

class GalleryWidget : public QWidget {
    Q_OBJECT
public:
    // cacheDir empty: the thumbnail cache under QStandardPaths::CacheLocation.
    explicit GalleryWidget(EngineBridge *bridge, QWidget *parent = nullptr, const QString &cacheDir = {});

    // Files and folders (recursively); returns the scan job's id.
    quint64 addPaths(const QStringList &paths);
    bool isScanning() const { return !m_scanJobs.isEmpty(); }
    void clear();
    // The files and folders added since the last clear(), absolute, in the order they came;
    // those found missing when scanned are left out.
    QStringList openedPaths() const { return m_roots; }

    // The session in QSettings: the opened paths, the name filter, kind, sort and order, the
    // current item. It is saved a moment after each change (so a killed or crashed app keeps it)
    // and at close. restoreState() sets the filter bar at once and scans the paths as
    // addPaths() does (returns that job, 0 when there is nothing to scan); the saved current item
    // becomes current when it arrives. Paths that no longer exist come back as missingPaths().
    void saveState() const;
    quint64 restoreState();
    bool isRestoring() const { return m_restoreJob != 0; }
    // A button for `action` under the empty gallery's drop hint (File > Open Sample Gallery): it
    // follows the action's text and enabled state and shows only while the gallery is empty.
    void setEmptyAction(QAction *action);
    QToolButton *emptyActionButton() const { return m_emptyButton; }

    GalleryModel *model() const { return m_model; }
    GalleryFilterModel *proxy() const { return m_proxy; }
    GalleryView *view() const { return m_view; }
    QLineEdit *nameFilterEdit() const { return m_filter; }
    QComboBox *kindCombo() const { return m_kind; }
    QComboBox *sortCombo() const { return m_sort; }
    QToolButton *orderButton() const { return m_order; } // checked: descending

Q_SIGNALS:
    void currentChanged(const QString &path); // empty when nothing is selected
    // restored: the scan restoreState() started.
    void scanFinished(int found, int added, bool restored);
    void missingPaths(const QStringList &paths, bool restored); // as given, after scanFinished()

protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override; // the view's viewport resizing

private:
    void retranslate();
    void updateCount();
    void applySort();
    void placeEmptyButton();
    quint64 scan(const QStringList &paths, const QString &name);
    void selectRestoredCurrent(); // once it has arrived and while nothing else is current

    EngineBridge *m_bridge;
    GalleryModel *m_model;
    GalleryFilterModel *m_proxy;
    GalleryView *m_view;
    QLineEdit *m_filter;
    QComboBox *m_kind;
    QComboBox *m_sort;
    QToolButton *m_order;
    QLabel *m_count;
    QToolButton *m_emptyButton = nullptr;
    QString m_emptyHint;
    QSet<quint64> m_scanJobs;
    QHash<quint64, int> m_added;           // per scan job
    QHash<quint64, QStringList> m_missing; // per scan job
    QStringList m_roots;                   // what openedPaths() says
    quint64 m_restoreJob = 0;
    QString m_restoreCurrent;    // the saved current item, until it arrives
    QTimer *m_saveTimer;         // coalesces the saves of a burst of changes (typing a filter)
    bool m_loadingState = false; // restoreState() is setting the bar: nothing to save yet
};
