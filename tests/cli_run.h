// Runs modallens-cli (built_paths.h finds it) as a user would and keeps
// its exit status, stdout and stderr. Shared by the tests that drive the CLI.
#pragma once

#include "built_paths.h"

#include <QProcess>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <string>

struct CliRun {
    int exitCode = -1; // -1: crashed or timed out
    std::string out, err;
    nlohmann::json json() const { return nlohmann::json::parse(out); }
};

// Runs `program args`: exit status (-1 when it crashed or ran past timeoutMs, then killed), stdout
// and stderr. workingDir: where it runs (empty: the test's own working directory).
inline CliRun runProgram(
    const QString &program, const QStringList &args, int timeoutMs = 300000, const QString &workingDir = {})
{
    QProcess p;
    if (!workingDir.isEmpty())
        p.setWorkingDirectory(workingDir);
    p.start(program, args);
    CliRun r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput().toStdString();
    r.err = p.readAllStandardError().toStdString();
    return r;
}

// modallens-cli with args, as a user would run it (relative paths from workingDir).
inline CliRun runCli(const QStringList &args, int timeoutMs = 300000, const QString &workingDir = {})
{
    return runProgram(cliPath(), args, timeoutMs, workingDir);
}
