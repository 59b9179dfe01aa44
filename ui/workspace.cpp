#include "workspace.h"

#include <QStackedWidget>
#include <QTabBar>
#include <QVBoxLayout>

Workspace::Workspace(QWidget *parent) : QWidget(parent), m_bar(new QTabBar(this)), m_stack(new QStackedWidget(this))
{
    setObjectName(QStringLiteral("workspace"));
    m_bar->setObjectName(QStringLiteral("moduleBar"));
    m_bar->setDocumentMode(true);
    m_bar->setExpanding(false);
    m_bar->setElideMode(Qt::ElideNone);
    m_bar->setUsesScrollButtons(true);
    m_bar->setDrawBase(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_bar);
    layout->addWidget(m_stack, 1);
    connect(m_bar, &QTabBar::currentChanged, this, [this](int index) {
        if (index < 0 || index >= m_stack->count())
            return;
        m_stack->setCurrentIndex(index);
        Q_EMIT currentModuleChanged(m_stack->currentWidget());
    });
}

void Workspace::addModule(QWidget *page)
{
    Q_ASSERT(page && !page->objectName().isEmpty());
    const int index = m_stack->addWidget(page);
    m_bar->insertTab(index, page->windowTitle());
    connect(page, &QWidget::windowTitleChanged, this,
        [this, page](const QString &title) { m_bar->setTabText(m_stack->indexOf(page), title); });
}

void Workspace::setCurrentModule(QWidget *page)
{
    const int index = m_stack->indexOf(page);
    if (index >= 0)
        m_bar->setCurrentIndex(index);
}

QWidget *Workspace::currentModule() const
{
    return m_stack->currentWidget();
}

QWidget *Workspace::module(int index) const
{
    return m_stack->widget(index);
}

QWidget *Workspace::moduleNamed(const QString &objectName) const
{
    for (int i = 0; i < m_stack->count(); ++i)
        if (m_stack->widget(i)->objectName() == objectName)
            return m_stack->widget(i);
    return nullptr;
}

int Workspace::count() const
{
    return m_stack->count();
}

int Workspace::indexOf(QWidget *page) const
{
    return m_stack->indexOf(page);
}
