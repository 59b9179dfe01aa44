// `bench search`: single-query top-10 latency over N clustered unit vectors (exact fp16 or the
// FAISS IVF path), with recall@10 against exact search on the same queries.
#include "common/error.h"
#include "common/percentile.h"
#include "engine/bench_service.h"
#include "index/vector_search.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>

namespace ml {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

SearchBenchResult runSearchBench(const SearchBenchRequest &req, JobContext &job)
{
    if (req.vectors <= 0 || req.dim <= 0 || req.queries <= 0)
        throw Error("bench search: --vectors, --dim and --queries must be positive");
    const index::VectorSearchOptions options;
    const bool approx = req.mode == SearchBenchRequest::Mode::Approx
        || (req.mode == SearchBenchRequest::Mode::Auto && req.vectors >= options.approxThreshold
            && index::VectorSearch::approxAvailable()); // without FAISS: exact at any size
    constexpr std::int64_t k = 10;

    index::VectorSearch vs(req.dim, options);
    torch::Tensor queries;
    SearchBenchResult r;
    {
        job.report(0, 1, "generating vectors");
        const auto data = index::makeClusteredVectors(req.vectors, req.dim, 1000, 42); // [N, D]
        queries = index::makeNearbyQueries(data, req.queries, 43);                     // [Q, D]
        std::vector<std::int64_t> ids(static_cast<std::size_t>(req.vectors));
        std::iota(ids.begin(), ids.end(), 0);
        job.throwIfCancelled();
        const auto t0 = Clock::now();
        vs.add(data, ids);
        r.buildSeconds = secondsSince(t0);
    }
    std::optional<index::ApproxInfo> info;
    if (approx) {
        info = vs.buildApprox([&] { return job.isCancelled(); },
            [&](std::int64_t done, std::int64_t total, const std::string &stage) { job.report(done, total, stage); });
        r.buildSeconds += info->buildSeconds;
    }
    auto once = [&](std::int64_t i) { return approx ? vs.searchApprox(queries[i], k) : vs.searchExact(queries[i], k); };
    for (std::int64_t i = 0; i < std::min<std::int64_t>(3, req.queries); ++i)
        once(i); // warm caches and the thread pool
    std::vector<double> ms;
    std::vector<std::vector<index::SearchHit>> got;
    for (std::int64_t i = 0; i < req.queries; ++i) {
        job.throwIfCancelled();
        const auto t0 = Clock::now();
        got.push_back(once(i));
        ms.push_back(secondsSince(t0) * 1000.0);
        job.report(i + 1, req.queries, "searching");
    }
    r.recallAt10 = approx ? index::recallAtK(got, vs.searchExactBatch(queries, k), k) : 1.0;
    r.p50Ms = percentile(ms, 50);
    r.p99Ms = percentile(ms, 99);
    r.mode = approx ? "approx" : "exact";
    r.vectors = req.vectors;
    r.dim = req.dim;
    r.queries = req.queries;
    r.threads = at::get_num_threads();
    if (info) {
        r.index = info->kind;
        r.nlist = info->nlist;
        r.nprobe = info->nprobe;
        r.trainVectors = info->trainVectors;
        r.recallAt10AtBuild = info->recallAt10;
    }
    return r;
}

} // namespace

Job makeSearchBenchJob(SearchBenchRequest request)
{
    Job job;
    job.name = "Search benchmark";
    job.lane = Lane::Inference;
    job.run = [req = std::move(request)](JobContext &ctx) -> std::any { return runSearchBench(req, ctx); };
    return job;
}

} // namespace ml
