// ClassifyLabelsPage: the side panel's label editor, one label per line, with the built-in
// sets and Load/Save of a text file. The labels themselves live in ClassifyController.
#pragma once

#include <QWidget>

class ClassifyController;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QToolButton;

class ClassifyLabelsPage : public QWidget {
    Q_OBJECT
public:
    ClassifyLabelsPage(ClassifyController *controller, QWidget *parent = nullptr);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void showLabels(); // the controller's labels, unless the editor already says the same
    void updateStatus();
    void load();
    void save();

    ClassifyController *m_controller;
    QLabel *m_setLabel;
    QComboBox *m_labelSet;
    QToolButton *m_load;
    QToolButton *m_save;
    QPlainTextEdit *m_labels;
    QLabel *m_status;
};
