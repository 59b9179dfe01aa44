// ClassifyBatchPage: the main view's batch page. One sortable row per classified file of a
// folder or the whole gallery (top two labels), CSV/JSON export, and a summary line.
#pragma once

#include <QWidget>

class ClassifyController;
class QAction;
class QLabel;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

class ClassifyBatchPage : public QWidget {
    Q_OBJECT
public:
    ClassifyBatchPage(ClassifyController *controller, QWidget *parent = nullptr);

Q_SIGNALS:
    void fileActivated(const QString &path); // a double-clicked row

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void updateSummary();
    void exportDialog(bool json);

    ClassifyController *m_controller;
    QLabel *m_title;
    QToolButton *m_export;
    QAction *m_exportCsv;
    QAction *m_exportJson;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLabel *m_summary;
};
