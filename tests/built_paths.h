// Where a program or library of this build is, for the tests that run one: the environment variable
// CTest sets (tests/CMakeLists.txt: MODALLENS_CLI_PATH, MODALLENS_GUI_PATH, MODALLENS_SOCKET_SHIM), else
// `fallback`, relative to the test executable's folder (a test run by hand from build/tests/). Found at
// run time, not compiled in: an absolute build path in the compile line makes every fresh checkout's
// test objects miss ccache, and CI builds a fresh clone.
#pragma once

#include <QCoreApplication>
#include <QDir>
#include <QString>

inline QString builtPath(const char *variable, const char *fallback)
{
    const QString set = qEnvironmentVariable(variable);
    if (!set.isEmpty())
        return set;
    return QDir::cleanPath(QCoreApplication::applicationDirPath() + QLatin1Char('/') + QLatin1String(fallback));
}

// modallens-cli of this build.
inline QString cliPath()
{
    return builtPath("MODALLENS_CLI_PATH", "../app/modallens-cli");
}
