// `modallens-cli --json bench index|search|shapes|media` with tiny settings: each benchmark runs
// end to end in core (JPEGs and an H.264 clip written and indexed into fresh libraries; clustered
// vectors searched; Shapes World drawn) and reports real, positive figures; bad settings exit 2.
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

    // Exact search finds what exact search finds: recall 1; the latencies are real numbers.
    void benchSearchReportsFigures()
    {
        const auto r = runCli({"--json", "--quiet", "--threads", "1", "bench", "search", "--vectors", "3000", "--dim",
                                  "64", "--queries", "20", "--exact"},
            120000);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QCOMPARE(j["mode"].get<std::string>(), std::string("exact"));
        QCOMPARE(j["vectors"].get<std::int64_t>(), std::int64_t(3000));
        QCOMPARE(j["dim"].get<std::int64_t>(), std::int64_t(64));
        QCOMPARE(j["queries"].get<std::int64_t>(), std::int64_t(20));
        QCOMPARE(j["recall_at_10"].get<double>(), 1.0);
        QVERIFY(j["p50_ms"].get<double>() > 0);
        QVERIFY(j["p99_ms"].get<double>() >= j["p50_ms"].get<double>());
        QVERIFY(!j.contains("index"));
        QCOMPARE(runCli({"bench", "search", "--dim", "8"}).exitCode, 2); // --vectors is required
        QCOMPARE(runCli({"bench", "search", "--vectors", "10", "--exact", "--approx"}).exitCode, 2);
    }

    void benchShapesReportsFigures()
    {
        const auto r = runCli({"--json", "--quiet", "bench", "shapes", "--samples", "200"}, 120000);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QCOMPARE(j["samples"].get<std::int64_t>(), std::int64_t(200));
        QCOMPARE(j["bytes"].get<std::int64_t>(), std::int64_t(200) * 64 * 64 * 3);
        QVERIFY(j["samples_per_s"].get<double>() > 0);
        QCOMPARE(runCli({"bench", "shapes", "--samples", "0"}).exitCode, 2);
    }

    void benchMediaReportsFigures()
    {
        const auto r = runCli(
            {"--json", "--quiet", "--threads", "1", "bench", "media", "--images", "3", "--seeks", "3"}, 120000);
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        const auto j = r.json();
        QCOMPARE(j["images"].get<int>(), 3);
        QCOMPARE(j["threads"].get<int>(), 1);
        for (const char *key : {"thumbnails_per_s", "cached_thumbnails_per_s", "frame_at_p50_ms", "frame_at_p99_ms",
                 "frame_at_256px_p50_ms", "sequential_decode_fps"})
            QVERIFY2(j[key].get<double>() > 0, key);
        QCOMPARE(runCli({"bench", "media", "--seeks", "0"}).exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestBenchCli)
#include "test_bench_cli.moc"
