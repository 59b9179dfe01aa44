// Vector search: exact top-k against a double-precision brute force (fp32 and fp16 storage), the
// FAISS path's recall@10 on a clustered set, clear errors, and a cancelled background build.
#include "common/error.h"
#include "index/vector_search.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
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
        const std::int64_t n = 3000, dim = 32;
        VectorSearch vs(dim);
        vs.add(torch::randn({n, dim}), iota(n, 0));
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(ml::Cancelled, vs.buildApprox([&] { return ++calls > 1; }));
        QVERIFY(!vs.approxInfo());
        QCOMPARE(vs.searchExact(torch::randn({dim}), 3).size(), std::size_t(3)); // still searchable
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
};

QTEST_GUILESS_MAIN(TestVectorSearch)
#include "test_vector_search.moc"
