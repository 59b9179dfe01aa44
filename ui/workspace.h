// Workspace: the main window's central area. A module bar (Library, Classify, Prompt Tuning,
// Training, Search, Attention, Diffusion) picks the feature that owns the whole area, Lightroom's
// modules being the model; each module is one page of a stack, built by its feature folder.
#pragma once

#include <QWidget>

class QStackedWidget;
class QTabBar;

class Workspace : public QWidget {
    Q_OBJECT
public:
    explicit Workspace(QWidget *parent = nullptr);

    // page's windowTitle names the module on the bar (and follows it, so it retranslates with the
    // page); its objectName is the module's id in the saved layout.
    void addModule(QWidget *page);
    void setCurrentModule(QWidget *page);
    QWidget *currentModule() const;
    QWidget *module(int index) const;
    QWidget *moduleNamed(const QString &objectName) const;
    int count() const;
    int indexOf(QWidget *page) const;
    QTabBar *moduleBar() const { return m_bar; }

Q_SIGNALS:
    void currentModuleChanged(QWidget *page);

private:
    QTabBar *m_bar;
    QStackedWidget *m_stack;
};
