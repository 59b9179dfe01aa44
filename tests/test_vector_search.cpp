// Vector search: exact top-k against a double-precision brute force (fp32 and fp16 storage), the
// FAISS path's recall@10 on a clustered set, clear errors, and a cancelled background build.
// Built without FAISS: the approximate tests skip, and withoutFaiss() checks the search stays exact.
#include "common/error.h"
#include "index/vector_search.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <thread>

using ml::index::SearchHit;
using ml::index::VectorPrecision;
using ml::index::VectorSearch;
using ml::index::VectorSearchOptions;

namespace {

// Brute force in double: (score, row) best first, ties by row.
std::vector<std::pair<double, std::int64_t>> reference(const torch::Tensor &data, const torch::Tensor &query)
{
    const auto d = data.to(torch::kDouble);
    const auto q = query.to(torch::kDouble);
    const auto scores = d.matmul(q / q.norm()); // [N]
    const auto s = scores.accessor<double, 1>();
    std::vector<std::pair<double, std::int64_t>> out;
    for (std::int64_t i = 0; i < data.size(0); ++i)
        out.emplace_back(s[i], i);
    std::sort(out.begin(), out.end(),
        [](const auto &a, const auto &b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    return out;
}

std::vector<std::int64_t> iota(std::int64_t n, std::int64_t start)
{
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    std::iota(ids.begin(), ids.end(), start);
    return ids;
}

} // namespace

#define REQUIRE_FAISS()                                                                                                \
    if (!VectorSearch::approxAvailable())                                                                              \
    QSKIP("built without FAISS: exact search only")

class TestVectorSearch : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }

    void exactMatchesReference_data()
    {
        QTest::addColumn<bool>("fp16");
        QTest::addColumn<int>("dim");
        QTest::newRow("fp32 d=64") << false << 64;
        QTest::newRow("fp32 d=77 (tail)") << false << 77;
        QTest::newRow("fp16 d=64") << true << 64;
        QTest::newRow("fp16 d=77 (tail)") << true << 77;
    }
    void exactMatchesReference()
    {
        QFETCH(bool, fp16);
        QFETCH(int, dim);
        const std::int64_t n = 20000, k = 10, idBase = 1000;
        VectorSearchOptions o;
        o.precision = fp16 ? VectorPrecision::Fp16 : VectorPrecision::Fp32;
        VectorSearch vs(dim, o);
        const auto raw = torch::randn({n, dim});
        // Stored vectors are normalised and (fp16) rounded: the reference sees the same values.
        auto unit = raw / raw.norm(2, 1, true);
        if (fp16)
            unit = unit.to(torch::kHalf).to(torch::kFloat);
        vs.add(raw.slice(0, 0, n / 2), iota(n / 2, idBase)); // two adds: ids follow insertion
        vs.add(raw.slice(0, n / 2, n), iota(n - n / 2, idBase + n / 2));
        QCOMPARE(vs.size(), n);
        // fp32: our float sums vs double differ by ~1e-7; fp16: the query stays fp32, rows were
        // rounded, so only summation order differs too. Allow for that, never more.
        const double tol = 1e-5;
        const auto queries = torch::randn({12, dim});
        const auto batch = vs.searchExactBatch(queries, k);
        for (std::int64_t qi = 0; qi < queries.size(0); ++qi) {
            const auto ref = reference(unit, queries[qi]);
            for (const auto &hits : {vs.searchExact(queries[qi], k), batch[static_cast<std::size_t>(qi)]}) {
                QCOMPARE(static_cast<std::int64_t>(hits.size()), k);
                for (std::int64_t r = 0; r < k; ++r) {
                    const auto &[refScore, refRow] = ref[static_cast<std::size_t>(r)];
                    QVERIFY2(std::abs(hits[r].score - refScore) < tol,
                        qPrintable(QString("rank %1: %2 vs %3").arg(r).arg(hits[r].score).arg(refScore)));
                    const bool nearTie = std::abs(refScore - ref[r + 1].first) < tol
                        || (r > 0 && std::abs(refScore - ref[r - 1].first) < tol);
                    if (!nearTie)
                        QCOMPARE(hits[r].id, refRow + idBase);
                }
            }
        }
    }

    void fp16WithinRounding()
    {
        // Against the unrounded fp32 vectors, fp16 storage moves scores by at most ~1e-3.
        const std::int64_t n = 5000, dim = 512;
        VectorSearch vs(dim);
        const auto data = ml::index::makeClusteredVectors(n, dim, 50, 3);
        vs.add(data, iota(n, 0));
        const auto queries = ml::index::makeNearbyQueries(data, 8, 4);
        for (std::int64_t qi = 0; qi < 8; ++qi) {
            const auto hits = vs.searchExact(queries[qi], 10);
            const auto ref = reference(data, queries[qi]);
            for (std::size_t r = 0; r < hits.size(); ++r)
                QVERIFY(std::abs(hits[r].score - ref[r].first) < 2e-3);
        }
    }

    void approxRecall()
    {
        REQUIRE_FAISS();
        const std::int64_t n = 60000, dim = 512;
        VectorSearchOptions o;
        o.approxThreshold = 50000;
        o.maxTrainVectors = 20000;
        VectorSearch vs(dim, o);
        const auto data = ml::index::makeClusteredVectors(n, dim, 1000, 5);
        vs.add(data, iota(n, 0));
        QVERIFY(vs.wantsApprox());
        QVERIFY(!vs.approxInfo());
        // Built on a worker while this thread keeps searching (exactly, until the index swaps in).
        const auto queries = ml::index::makeNearbyQueries(data, 200, 99);
        std::atomic<std::int64_t> lastDone {-1};
        ml::index::ApproxInfo info;
        std::thread builder([&] {
            info = vs.buildApprox(
                [] { return false; }, [&](std::int64_t done, std::int64_t, const std::string &) { lastDone = done; });
        });
        int searchesDuringBuild = 0;
        while (!vs.approxInfo() && searchesDuringBuild < 1000) {
            QCOMPARE(vs.search(queries[0], 10).size(), std::size_t(10));
            ++searchesDuringBuild;
        }
        builder.join();
        QVERIFY(lastDone > 0);
        QVERIFY2(info.recallAt10 >= 0.95, qPrintable(QString::number(info.recallAt10)));
        QVERIFY(vs.approxInfo().has_value());
        // Independent queries (another seed) agree with the recall the build measured.
        const double recall
            = ml::index::recallAtK(vs.searchApproxBatch(queries, 10), vs.searchExactBatch(queries, 10), 10);
        qInfo("%s nprobe %lld: recall@10 %.3f at build, %.3f on fresh queries", info.kind.c_str(),
            static_cast<long long>(info.nprobe), info.recallAt10, recall);
        QVERIFY2(recall >= 0.93, qPrintable(QString::number(recall)));
        QCOMPARE(vs.search(queries[0], 10).size(), std::size_t(10));
        // Adding drops the stale index: search falls back to exact until it is rebuilt.
        vs.add(torch::randn({1, dim}), {n});
        QVERIFY(!vs.approxInfo());
        QCOMPARE(vs.search(queries[0], 10).front().id, vs.searchExact(queries[0], 10).front().id);
    }

    void buildCancel()
    {
        REQUIRE_FAISS();
        const std::int64_t n = 3000, dim = 32;
        VectorSearch vs(dim);
        vs.add(torch::randn({n, dim}), iota(n, 0));
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(ml::Cancelled, vs.buildApprox([&] { return ++calls > 1; }));
        QVERIFY(!vs.approxInfo());
        QCOMPARE(vs.searchExact(torch::randn({dim}), 3).size(), std::size_t(3)); // still searchable
    }

    void cancelInterruptsTraining()
    {
        REQUIRE_FAISS();
        // Cancelled once k-means has started: FAISS stops between its iterations (our interrupt
        // callback), before any vector is added.
        const std::int64_t n = 20000, dim = 64;
        VectorSearch vs(dim);
        vs.add(ml::index::makeClusteredVectors(n, dim, 100, 8), iota(n, 0));
        std::atomic<bool> training {false};
        std::atomic<bool> added {false};
        int asked = 0;
        QVERIFY_THROWS_EXCEPTION(ml::Cancelled,
            vs.buildApprox(
                [&] {
                    asked += training ? 1 : 0;
                    return training.load();
                },
                [&](std::int64_t, std::int64_t, const std::string &stage) {
                    training = training || stage.find("training") != std::string::npos;
                    added = added || stage.find("adding") != std::string::npos;
                }));
        QVERIFY(asked >= 1);
        QVERIFY(!added);
        QVERIFY(!vs.approxInfo());
    }

    void scoresAndFilteredApprox()
    {
        const std::int64_t n = 4000, dim = 48;
        VectorSearchOptions o;
        o.precision = VectorPrecision::Fp32;
        VectorSearch vs(dim, o);
        const auto data = ml::index::makeClusteredVectors(n, dim, 20, 11);
        vs.add(data, iota(n, 0));
        const auto q = ml::index::makeNearbyQueries(data, 1, 12)[0];
        const auto ref = reference(data, q);
        std::vector<double> byRow(static_cast<std::size_t>(n));
        for (const auto &[score, row] : ref)
            byRow[static_cast<std::size_t>(row)] = score;
        const auto all = vs.scores(q);
        QCOMPARE(all.size(), std::size_t(n));
        for (std::int64_t r = 0; r < n; r += 97)
            QVERIFY(std::abs(all[static_cast<std::size_t>(r)] - byRow[static_cast<std::size_t>(r)]) < 1e-5);
        const std::vector<std::int64_t> some {3999, 0, 17, 17};
        const auto part = vs.scores(q, &some);
        QCOMPARE(part.size(), some.size());
        for (std::size_t i = 0; i < some.size(); ++i)
            QCOMPARE(part[i], all[static_cast<std::size_t>(some[i])]);
        const std::vector<std::int64_t> outside {n};
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.scores(q, &outside));
        // rowsAt gives the stored unit vectors back.
        const auto rows = vs.rowsAt({5, 6});
        QVERIFY(torch::allclose(rows, data.slice(0, 5, 7), 1e-5, 1e-5));

        // Approximate search among odd ids only: every hit odd, the best odd row first.
        REQUIRE_FAISS();
        vs.buildApprox();
        std::vector<std::uint8_t> odd(static_cast<std::size_t>((n + 7) / 8), 0xaa);
        const auto hits = vs.searchApprox(q, 10, odd);
        QVERIFY(!hits.empty());
        for (const auto &h : hits)
            QCOMPARE(h.id % 2, std::int64_t(1));
        std::int64_t bestOdd = -1;
        for (const auto &[score, row] : ref)
            if (row % 2) {
                bestOdd = row;
                break;
            }
        QCOMPARE(hits.front().id, bestOdd);
    }

    void saveAndLoad()
    {
        REQUIRE_FAISS();
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const std::string file = tmp.filePath("index.faiss").toStdString();
        const std::int64_t n = 8000, dim = 64;
        const auto data = ml::index::makeClusteredVectors(n, dim, 80, 21);
        VectorSearch built(dim);
        built.add(data, iota(n, 0));
        QVERIFY_THROWS_EXCEPTION(ml::Error, built.saveApprox(file)); // nothing built yet
        const auto info = built.buildApprox();
        built.saveApprox(file);
        QVERIFY(std::filesystem::file_size(file) > static_cast<std::uintmax_t>(n * dim * 4));

        VectorSearch again(dim);
        again.add(data, iota(n, 0));
        const auto loaded = again.loadApprox(file, info);
        QVERIFY(loaded.loaded);
        QCOMPARE(loaded.nprobe, info.nprobe);
        const auto queries = ml::index::makeNearbyQueries(data, 20, 22);
        const auto a = built.searchApproxBatch(queries, 10), b = again.searchApproxBatch(queries, 10);
        for (std::size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].size(), b[i].size());
            for (std::size_t j = 0; j < a[i].size(); ++j)
                QCOMPARE(a[i][j].id, b[i][j].id);
        }

        // Not trusted blindly: other vectors, another description, a truncated or foreign file.
        VectorSearch fewer(dim);
        fewer.add(data.slice(0, 0, n - 1), iota(n - 1, 0));
        QVERIFY_THROWS_EXCEPTION(ml::Error, fewer.loadApprox(file, info));
        QVERIFY(!fewer.approxInfo());
        VectorSearch wider(dim + 1);
        wider.add(torch::randn({n, dim + 1}), iota(n, 0));
        QVERIFY_THROWS_EXCEPTION(ml::Error, wider.loadApprox(file, info));
        VectorSearch shifted(dim);
        shifted.add(data, iota(n, 1)); // ids are not the rows
        QVERIFY_THROWS_EXCEPTION(ml::Error, shifted.loadApprox(file, info));
        auto otherLists = info;
        otherLists.nlist += 1;
        VectorSearch fresh(dim);
        fresh.add(data, iota(n, 0));
        QVERIFY_THROWS_EXCEPTION(ml::Error, fresh.loadApprox(file, otherLists));
        // Other vectors of the same count and dimension: its answers miss, the recall check refuses.
        VectorSearch different(dim);
        different.add(ml::index::makeClusteredVectors(n, dim, 80, 99), iota(n, 0));
        QVERIFY_THROWS_EXCEPTION(ml::Error, different.loadApprox(file, info));
        const auto size = std::filesystem::file_size(file);
        std::filesystem::resize_file(file, size / 2);
        QVERIFY_THROWS_EXCEPTION(ml::Error, fresh.loadApprox(file, info));
        {
            std::ofstream out(file, std::ios::binary | std::ios::trunc);
            out << "IwFlnot an index at all";
        }
        try {
            fresh.loadApprox(file, info);
            QFAIL("a foreign file was loaded");
        } catch (const ml::Error &e) {
            QVERIFY(std::string(e.what()).find(file) != std::string::npos);
        }
        QVERIFY(!fresh.approxInfo());
        QCOMPARE(fresh.search(queries[0], 5).size(), std::size_t(5)); // still exact
    }

    void errors()
    {
        VectorSearch vs(16);
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.searchExact(torch::randn({16}), 5)); // empty
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.buildApprox());
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.add(torch::randn({4, 8}), iota(4, 0)));  // dim
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.add(torch::randn({4, 16}), iota(3, 0))); // ids
        vs.add(torch::randn({4, 16}), iota(4, 0));
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.searchExact(torch::randn({8}), 5));
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.searchExactBatch(torch::randn({2, 8}), 5));
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.searchExact(torch::randn({16}), 0));
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.searchApprox(torch::randn({16}), 3)); // none built
        try {
            vs.searchExact(torch::randn({8}), 5);
        } catch (const ml::Error &e) {
            QVERIFY(std::string(e.what()).find("16-d") != std::string::npos);
        }
        QCOMPARE(vs.searchExact(torch::randn({16}), 10).size(), std::size_t(4)); // k > N: all of them
        QVERIFY_THROWS_EXCEPTION(ml::Error, VectorSearch(0));
    }

    // A build without FAISS: never wants an approximate index, says why when asked for one, and
    // search() is the exact search at any size.
    void withoutFaiss()
    {
        if (VectorSearch::approxAvailable())
            QSKIP("built with FAISS");
        const std::int64_t n = 600, dim = 16;
        VectorSearchOptions o;
        o.approxThreshold = 500;
        VectorSearch vs(dim, o);
        const auto data = torch::randn({n, dim});
        vs.add(data, iota(n, 0));
        QVERIFY(!vs.wantsApprox());
        try {
            vs.buildApprox();
            QFAIL("buildApprox() did not throw");
        } catch (const ml::Error &e) {
            QVERIFY2(std::string(e.what()).find("FAISS") != std::string::npos, e.what());
        }
        QVERIFY(!vs.approxInfo());
        QVERIFY_THROWS_EXCEPTION(ml::Error, vs.saveApprox("/nonexistent/index.faiss"));
        const auto q = torch::randn({dim});
        const auto got = vs.search(q, 5), want = vs.searchExact(q, 5);
        QCOMPARE(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i)
            QCOMPARE(got[i].id, want[i].id);
        QCOMPARE(got.front().id, reference(data, q).front().second);
    }
};

QTEST_GUILESS_MAIN(TestVectorSearch)
#include "test_vector_search.moc"
