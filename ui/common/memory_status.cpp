// MemoryStatus: refreshed on EngineBridge::modelsChanged (queued from the thread that loaded or
// dropped a model) and on a language change; reading the status only takes the cache's lock.
#include "common/memory_status.h"

#include "common/engine_bridge.h"

#include "engine/model_cache.h"

#include <QEvent>

namespace {

QString memory(std::int64_t bytes)
{
    return QString::fromStdString(ml::formatMemory(bytes));
}

} // namespace

MemoryStatus::MemoryStatus(EngineBridge *bridge, QWidget *parent) : QLabel(parent), m_bridge(bridge)
{
    setObjectName(QStringLiteral("memoryStatus"));
    setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    connect(m_bridge, &EngineBridge::modelsChanged, this, &MemoryStatus::refresh);
    refresh();
}

void MemoryStatus::refresh()
{
    const auto s = m_bridge->engine().models().status();
    const QString text = tr("Models: %1 · %2 of %3")
                             .arg(s.models.size())
                             .arg(s.models.empty() ? QStringLiteral("0 MB") : memory(s.bytes), memory(s.budget));
    setText(s.overBudget ? QStringLiteral("⚠ ") + text : text);
    QStringList lines;
    lines << tr("Memory for models: %1 (Settings)").arg(memory(s.budget));
    if (s.models.empty())
        lines << tr("No model is loaded.");
    for (const auto &m : s.models) {
        const QString what
            = QStringLiteral("%1 (%2) · %3 · %4 · %5")
                  .arg(QString::fromStdString(m.name), QString::fromStdString(m.kind),
                      QString::fromStdString(m.dtype.empty() ? std::string("-") : m.dtype),
                      QString::fromStdString(m.device.empty() ? std::string("-") : m.device), memory(m.bytes));
        lines << (m.inUse ? tr("%1 · in use").arg(what) : what);
    }
    if (s.overBudget)
        lines << tr("Over the budget: every model loaded is in use; they are unloaded when their jobs end.");
    setToolTip(lines.join(QLatin1Char('\n')));
}

void MemoryStatus::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        refresh();
    QLabel::changeEvent(event);
}
