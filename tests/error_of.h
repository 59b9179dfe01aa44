// The message of the ml::Error that a piece of test code throws, for tests that assert on what a
// user would read.
#pragma once

#include "common/error.h"

#include <QString>

#include <functional>

// The message of the ml::Error that fn throws; "<no error>" when it throws none.
inline QString errorOf(const std::function<void()> &fn)
{
    try {
        fn();
    } catch (const ml::Error &e) {
        return QString::fromStdString(e.what());
    }
    return QStringLiteral("<no error>");
}
