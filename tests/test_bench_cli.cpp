// `modallens-cli --json bench index` with tiny settings: the benchmark runs end to end (JPEGs and
// an H.264 clip written, indexed into fresh libraries) and reports real, positive figures.
#include "cli_run.h"

#include <QtTest>

class TestBenchCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void benchIndexReportsFigures()
    {
        const auto r = runCli({"--json", "--quiet", "--threads", "1", "bench", "index", "--images", "6",
                                  "--video-seconds", "2", "--fps", "1"},
            120000);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        std::printf("bench index: %s\n", j.dump().c_str());
        QCOMPARE(j["images"].get<int>(), 6);
        QVERIFY(j["images_per_s"].get<double>() > 0);
        QVERIFY(j["video_x_realtime"].get<double>() > 0);
        QVERIFY(j["video_frames"].get<std::int64_t>() >= 2); // 1 frame/s over 2 s
        QCOMPARE(j["model"].get<std::string>(), std::string("clip-mini"));
    }

    void benchIndexRefusesBadSettings()
    {
        QCOMPARE(runCli({"bench", "index", "--images", "0", "--video-seconds", "0"}).exitCode, 2);
        QCOMPARE(runCli({"bench", "index", "--fps", "0"}).exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestBenchCli)
#include "test_bench_cli.moc"
