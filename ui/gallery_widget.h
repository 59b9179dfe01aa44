// GalleryWidget: the central area: a filter bar (name, kind, sort, count) over the grid.
// Adding files or folders scans them in an engine job; entries arrive in batches.
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

Q_SIGNALS:
    void currentChanged(const QString &path); // empty when nothing is selected
    void scanFinished(int found, int added);

protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override; // the view's viewport resizing

private:
    void retranslate();
    void updateCount();
    void applySort();
    void placeEmptyButton();

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
    QHash<quint64, int> m_added; // per scan job
};
