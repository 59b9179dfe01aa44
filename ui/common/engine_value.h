// An engine job's value or partial result out of the QVariant EngineBridge hands over.
#pragma once

#include <QVariant>

#include <any>
#include <optional>

// The std::any a QVariant holds, as T; nullopt when it holds something else.
template<class T> std::optional<T> engineValue(const QVariant &value)
{
    if (value.metaType() != QMetaType::fromType<std::any>())
        return std::nullopt;
    const std::any any = value.value<std::any>();
    if (const T *v = std::any_cast<T>(&any))
        return *v;
    return std::nullopt;
}
