// SearchDuplicatesPage: the Search main view's near-duplicate groups: how similar the vectors must
// be, Find, what was found (and what was left apart), then one row of tiles per group.
#pragma once

#include <QWidget>

class DuplicatesView;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class SearchController;
class ThumbnailStore;

class SearchDuplicatesPage : public QWidget {
    Q_OBJECT
public:
    SearchDuplicatesPage(SearchController *controller, QWidget *parent = nullptr);
    ~SearchDuplicatesPage() override; // keeps the threshold in QSettings

    DuplicatesView *view() const { return m_view; }
    double threshold() const;
    void refresh();    // the state line and the button from the controller
    void showGroups(); // the controller's groups
    void retranslate();

Q_SIGNALS:
    void findRequested();
    void openRequested(const QString &path);

private:
    SearchController *m_controller;
    QLabel *m_thresholdLabel;
    QDoubleSpinBox *m_threshold;
    QPushButton *m_find;
    QLabel *m_state;
    DuplicatesView *m_view;
};
