// SearchResultsPage: the Search main view's hits as a grid of tiles (thumbnails, full names, the
// score, a video's best moment), under the line that says how many and how found, with the
// "Why did this match?" toggle and its progress. Clicking a tile opens it (the controller says
// where); the selection is the hit whose similarity strip shows.
#pragma once

#include <QWidget>

class QLabel;
class QToolButton;
class SearchController;
class SearchResultsView;

class SearchResultsPage : public QWidget {
    Q_OBJECT
public:
    explicit SearchResultsPage(SearchController *controller, QWidget *parent = nullptr);

    SearchResultsView *view() const { return m_view; }
    int currentRow() const;
    void refresh(); // the state line and the toggle from the controller
    void retranslate();

Q_SIGNALS:
    void currentHitChanged(int row); // -1: none
    void findSimilarRequested(const QString &path);

private:
    SearchController *m_controller;
    QLabel *m_state;
    QToolButton *m_whyButton;
    QLabel *m_whyState;
    QLabel *m_empty;
    SearchResultsView *m_view;
};
