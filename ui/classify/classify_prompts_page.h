// ClassifyPromptsPage: the side panel's prompt templates ("a photo of a {}.", ensembled when
// there are several) or, instead of them, a learnt CoOp prompt and what it was learnt on.
#pragma once

#include <QWidget>

class ClassifyController;
class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QPushButton;
class QToolButton;

class ClassifyPromptsPage : public QWidget {
    Q_OBJECT
public:
    ClassifyPromptsPage(ClassifyController *controller, QWidget *parent = nullptr);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void showTemplates();
    void showLearntPrompt();
    void updateHint();
    void onItemChanged(QListWidgetItem *item);
    void chooseLearntPrompt();

    ClassifyController *m_controller;
    QListWidget *m_templates;
    QLineEdit *m_newTemplate;
    QToolButton *m_add;
    QToolButton *m_remove;
    QToolButton *m_reset;
    QLabel *m_hint;
    QToolButton *m_useLearnt;
    QWidget *m_learntBox; // shown while a learnt prompt is used
    QLabel *m_learntInfo;
    QPushButton *m_useTemplates;
};
