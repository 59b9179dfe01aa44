#include "common/feature_layout.h"

#include <QScrollArea>

#include "common/panel_widgets.h"

FeatureLayout::FeatureLayout(QWidget *parent) : QSplitter(Qt::Horizontal, parent)
{
    setChildrenCollapsible(false);
    setHandleWidth(6);
}

void FeatureLayout::setMainView(QWidget *view)
{
    Q_ASSERT(!m_main);
    m_main = view;
    insertWidget(0, view);
    setStretchFactor(indexOf(view), 1);
}

void FeatureLayout::setSidePanel(QWidget *panel)
{
    Q_ASSERT(!m_side);
    m_side = panel;
    m_sideScroll = verticalScrollArea(panel, this);
    m_sideScroll->setObjectName(
        objectName().isEmpty() ? QStringLiteral("sidePanelScroll") : objectName() + QStringLiteral("SideScroll"));
    m_sideScroll->setMinimumWidth(240);
    addWidget(m_sideScroll);
    setStretchFactor(indexOf(m_sideScroll), 0);
}

bool FeatureLayout::restoreLayout(const QByteArray &state)
{
    if (state.isEmpty() || !restoreState(state))
        return false;
    m_sized = true;
    return true;
}

void FeatureLayout::resetLayout()
{
    const int total = qMax(width(), 2 * kSideWidth);
    if (m_main && m_sideScroll)
        setSizes({total - kSideWidth - handleWidth(), kSideWidth});
    m_sized = true;
}

void FeatureLayout::showEvent(QShowEvent *event)
{
    QSplitter::showEvent(event);
    if (!m_sized)
        resetLayout();
}
