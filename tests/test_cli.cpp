// modallens-cli as a script sees it: --help, --version, exit codes, and `info` JSON on good,
// corrupt and missing files (../shared/specs/cli.md).
#include "built_paths.h"
#include "io/media.h"
#include "io/media_encode.h"
#include "modallens_version.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <fstream>

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
};

Run cli(const QStringList &args, const QString &workingDir = {})
{
    QProcess p;
    if (!workingDir.isEmpty())
        p.setWorkingDirectory(workingDir);
    p.start(cliPath(), args);
    p.waitForFinished(60000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const auto dir = std::filesystem::path(m_dir.path().toStdString());
        ml::io::RgbImage img {64, 48, std::vector<std::uint8_t>(64 * 48 * 3, 128)};
        ml::io::saveImage(img, dir / "photo.png");
        ml::io::VideoEncoder enc;
        enc.open(dir / "clip.mp4", "h264", 64, 48, 10.0);
        for (int i = 0; i < 20; ++i)
            enc.write(img);
        enc.finish();
        std::ofstream(dir / "broken.jpg") << "this is not a jpeg";
    }

    void helpAndVersion()
    {
        const Run help = cli({"--help"});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains("info FILE"));
        QVERIFY(help.out.contains("--json"));
        // Options that take several values say how (embed --image PATH...).
        QVERIFY(help.out.contains("--image PATH..."));
        QVERIFY(help.out.contains("takes every argument after it up to the next\n--option"));
        const Run version = cli({"--version"});
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.out.split(QLatin1Char('\n')).front(), QStringLiteral("modallens-cli " MODALLENS_VERSION));
        QVERIFY2(version.out.contains(QLatin1String("dtype: clip ")), qPrintable(version.out));
        const Run jsonVersion = cli({"--version", "--json"});
        QCOMPARE(nlohmann::json::parse(jsonVersion.out.toStdString())["version"], MODALLENS_VERSION);
    }

    void badUsageExitsWithTwo()
    {
        QCOMPARE(cli({}).exitCode, 2);
        const Run unknown = cli({"frobnicate"});
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.err.contains("unknown command 'frobnicate'"));
        QCOMPARE(cli({"info", "--no-such-option", "x"}).exitCode, 2);
        QCOMPARE(cli({"info"}).exitCode, 2);
        QCOMPARE(cli({"--device", "tpu", "info", "x"}).exitCode, 2);
        QCOMPARE(cli({"--threads", "many", "info", "x"}).exitCode, 2);
    }

    void infoOnGoodFiles()
    {
        const Run r = cli({"--json", "--quiet", "info", m_dir.filePath("photo.png"), m_dir.filePath("clip.mp4")});
        QCOMPARE(r.exitCode, 0);
        const auto doc = nlohmann::json::parse(r.out.toStdString()); // stdout is exactly one JSON document
        QVERIFY(doc.is_array());
        QCOMPARE(doc.size(), std::size_t(2));
        QCOMPARE(doc[0]["kind"], "image");
        QCOMPARE(doc[0]["width"], 64);
        QCOMPARE(doc[0]["height"], 48);
        QVERIFY(!doc[0].contains("duration_s"));
        QCOMPARE(doc[1]["kind"], "video");
        QCOMPARE(doc[1]["codec"], "h264");
        QCOMPARE(doc[1]["width"], 64);
        QVERIFY(std::abs(doc[1]["duration_s"].get<double>() - 2.0) < 0.11);
        QVERIFY(std::abs(doc[1]["fps"].get<double>() - 10.0) < 0.01);
        QVERIFY(r.err.isEmpty());
    }

    void infoReportsEveryBadFileAndKeepsGoing()
    {
        const QString missing = m_dir.filePath("missing.jpg");
        const Run r = cli({"--json", "info", m_dir.filePath("broken.jpg"), m_dir.filePath("photo.png"), missing});
        QCOMPARE(r.exitCode, 1);
        const auto doc = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(doc.size(), std::size_t(3));
        QVERIFY(doc[0].contains("error"));
        QVERIFY(QString::fromStdString(doc[0]["error"]).contains("broken.jpg"));
        QVERIFY(!doc[1].contains("error"));
        QVERIFY(QString::fromStdString(doc[2]["error"]).contains("missing.jpg"));
        // Each error names the file by the path given, once.
        QVERIFY2(
            r.err.contains("error: " + m_dir.filePath("broken.jpg") + ": not a decodable image"), qPrintable(r.err));
        QVERIFY2(r.err.contains("error: " + missing + ": no such file\n"), qPrintable(r.err));
        QCOMPARE(r.err.count("missing.jpg"), 1);
    }

    void errorsKeepRelativePathsRelative()
    {
        QDir parent(m_dir.path());
        const QString name = parent.dirName();
        QVERIFY(parent.cdUp());
        const QString broken = name + "/broken.jpg", missing = name + "/missing.jpg";
        const Run r = cli({"--json", "info", broken, missing}, parent.path());
        QCOMPARE(r.exitCode, 1);
        const auto doc = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(QString::fromStdString(doc[0]["file"]), broken);
        QVERIFY2(
            QString::fromStdString(doc[0]["error"]).startsWith(broken + ": not a decodable image"), qPrintable(r.out));
        QVERIFY2(r.err.contains("error: " + broken + ": not a decodable image"), qPrintable(r.err));
        QVERIFY2(r.err.contains("error: " + missing + ": no such file\n"), qPrintable(r.err));
    }

    void humanOutput()
    {
        const Run r = cli({"info", m_dir.filePath("clip.mp4")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("video 64x48 h264"));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
