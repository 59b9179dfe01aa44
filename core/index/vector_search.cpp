// Vector search: exact top-k over fp16/fp32 rows (AVX2+F16C with a scalar fallback, chunks in
// parallel) and a FAISS IVF-Flat index, trained on a sample and tuned to a measured recall@10.
// Built without FAISS (MODALLENS_HAVE_FAISS unset), the search is exact at any size.
#include "index/vector_search.h"

#include "common/error.h"

#include <ATen/Parallel.h>
#include <c10/util/Half.h>
#ifdef MODALLENS_HAVE_FAISS
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_io.h>
#endif
#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>

namespace ml::index {

struct VectorSearch::Store {
    torch::Tensor vectors; // [N, D] kHalf or kFloat, contiguous, unit rows
    std::vector<std::int64_t> ids;
};

struct VectorSearch::Approx {
#ifdef MODALLENS_HAVE_FAISS
    std::unique_ptr<faiss::IndexIVFFlat> index;
    std::unique_ptr<faiss::IndexFlatIP> quantizer; // must outlive index
#endif
    ApproxInfo info;
};

namespace {

using Candidate = std::pair<float, std::int64_t>; // score, row

// Best first; equal scores: lower row first, so results do not depend on the chunking.
bool better(const Candidate &a, const Candidate &b)
{
    return a.first > b.first || (a.first == b.first && a.second < b.second);
}

// Keeps the k best of a stream: a heap whose front is the worst kept.
class TopK {
public:
    explicit TopK(std::int64_t k) : m_k(static_cast<std::size_t>(k)) { m_heap.reserve(m_k); }
    void push(float score, std::int64_t row)
    {
        if (m_heap.size() < m_k) {
            m_heap.emplace_back(score, row);
            std::push_heap(m_heap.begin(), m_heap.end(), better);
        } else if (better({score, row}, m_heap.front())) {
            std::pop_heap(m_heap.begin(), m_heap.end(), better);
            m_heap.back() = {score, row};
            std::push_heap(m_heap.begin(), m_heap.end(), better);
        }
    }
    float worst() const { return m_heap.size() < m_k ? -INFINITY : m_heap.front().first; }
    std::vector<Candidate> &items() { return m_heap; }

private:
    std::size_t m_k;
    std::vector<Candidate> m_heap;
};

float dotF16Scalar(const std::uint16_t *v, const float *q, std::int64_t d)
{
    float s = 0.0f;
    for (std::int64_t i = 0; i < d; ++i)
        s += static_cast<float>(c10::Half(v[i], c10::Half::from_bits())) * q[i];
    return s;
}

float dotF32Scalar(const float *v, const float *q, std::int64_t d)
{
    float s = 0.0f;
    for (std::int64_t i = 0; i < d; ++i)
        s += v[i] * q[i];
    return s;
}

__attribute__((target("avx2,fma"))) float horizontalSum(__m256 a)
{
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

__attribute__((target("avx2,f16c,fma"))) float dotF16Avx2(const std::uint16_t *v, const float *q, std::int64_t d)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    std::int64_t i = 0;
    for (; i + 32 <= d; i += 32) {
        const auto *p = reinterpret_cast<const __m128i *>(v + i);
        a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(p)), _mm256_loadu_ps(q + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(p + 1)), _mm256_loadu_ps(q + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(p + 2)), _mm256_loadu_ps(q + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(p + 3)), _mm256_loadu_ps(q + i + 24), a3);
    }
    for (; i + 8 <= d; i += 8)
        a0 = _mm256_fmadd_ps(
            _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(v + i))), _mm256_loadu_ps(q + i), a0);
    return horizontalSum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)))
        + dotF16Scalar(v + i, q + i, d - i);
}

__attribute__((target("avx2,fma"))) float dotF32Avx2(const float *v, const float *q, std::int64_t d)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    std::int64_t i = 0;
    for (; i + 32 <= d; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(v + i), _mm256_loadu_ps(q + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(v + i + 8), _mm256_loadu_ps(q + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(v + i + 16), _mm256_loadu_ps(q + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(v + i + 24), _mm256_loadu_ps(q + i + 24), a3);
    }
    for (; i + 8 <= d; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(v + i), _mm256_loadu_ps(q + i), a0);
    return horizontalSum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)))
        + dotF32Scalar(v + i, q + i, d - i);
}

bool haveAvx2F16c()
{
    static const bool ok
        = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
    return ok;
}

torch::Tensor normalisedRows(const torch::Tensor &x) // [N, D] float, contiguous
{
    auto f = x.to(torch::kFloat).contiguous();
    return (f / f.norm(2, 1, true).clamp_min(1e-12)).contiguous();
}

std::vector<SearchHit> toHits(std::vector<Candidate> c, std::int64_t k, const std::vector<std::int64_t> &ids)
{
    std::sort(c.begin(), c.end(), better);
    c.resize(std::min<std::size_t>(c.size(), static_cast<std::size_t>(k)));
    std::vector<SearchHit> out;
    out.reserve(c.size());
    for (const auto &[score, row] : c)
        out.push_back({ids[static_cast<std::size_t>(row)], score});
    return out;
}

// queries: [Q, D] unit rows; one matrix product per block of stored vectors.
std::vector<std::vector<SearchHit>> exactBatch(const VectorSearch::Store &store, const torch::Tensor &q, std::int64_t k)
{
    const std::int64_t n = store.vectors.size(0), numQueries = q.size(0);
    std::vector<std::vector<Candidate>> cand(static_cast<std::size_t>(numQueries));
    constexpr std::int64_t kBlock = 16384; // fp32 copy of a block: 32 MB at 512-d
    for (std::int64_t b = 0; b < n; b += kBlock) {
        const auto block = store.vectors.slice(0, b, std::min(b + kBlock, n)).to(torch::kFloat); // [B, D]
        const auto scores = q.mm(block.t());                                                     // [Q, B]
        const auto [vals, idx] = scores.topk(std::min(k, block.size(0)), 1);
        const auto v = vals.accessor<float, 2>();
        const auto ix = idx.accessor<std::int64_t, 2>();
        for (std::int64_t i = 0; i < numQueries; ++i)
            for (std::int64_t j = 0; j < vals.size(1); ++j)
                cand[static_cast<std::size_t>(i)].emplace_back(v[i][j], b + ix[i][j]);
    }
    std::vector<std::vector<SearchHit>> out;
    out.reserve(cand.size());
    for (auto &c : cand)
        out.push_back(toHits(std::move(c), k, store.ids));
    return out;
}

#ifdef MODALLENS_HAVE_FAISS
double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// FAISS checks its process-wide InterruptCallback between k-means iterations; ours asks the
// cancel function of the build running on the calling thread, so one build's cancel stops that
// build only (a training can take tens of seconds, longer than anyone should wait for a cancel).
thread_local const std::function<bool()> *t_cancelled = nullptr;

struct CancelCallback : faiss::InterruptCallback {
    bool want_interrupt() override { return t_cancelled && *t_cancelled && (*t_cancelled)(); }
};

class CancelScope {
public:
    explicit CancelScope(const std::function<bool()> &cancelled)
    {
        static const bool installed = [] {
            std::lock_guard lock(faiss::InterruptCallback::lock);
            if (!faiss::InterruptCallback::instance)
                faiss::InterruptCallback::instance = std::make_unique<CancelCallback>();
            return true;
        }();
        (void)installed;
        m_previous = t_cancelled;
        t_cancelled = &cancelled;
    }
    ~CancelScope() { t_cancelled = m_previous; }
    CancelScope(const CancelScope &) = delete;
    CancelScope &operator=(const CancelScope &) = delete;

private:
    const std::function<bool()> *m_previous = nullptr;
};
#else
[[noreturn]] void noFaiss(const std::string &what)
{
    throw Error(what + ": this build has no approximate index (FAISS was not found at configure time)");
}
#endif

// Scores of `count` rows (positions rows[i], or i when rows is null) into out[i].
void scoreRows(const VectorSearch::Store &store, const float *qp, std::int64_t d, const std::int64_t *rows,
    std::int64_t count, float *out)
{
    const bool half = store.vectors.scalar_type() == torch::kHalf;
    const bool simd = haveAvx2F16c();
    at::parallel_for(0, count, 2048, [&](std::int64_t i0, std::int64_t i1) {
        if (half) {
            const auto *base = reinterpret_cast<const std::uint16_t *>(store.vectors.data_ptr<c10::Half>());
            for (std::int64_t i = i0; i < i1; ++i) {
                const auto *v = base + (rows ? rows[i] : i) * d;
                out[i] = simd ? dotF16Avx2(v, qp, d) : dotF16Scalar(v, qp, d);
            }
        } else {
            const float *base = store.vectors.data_ptr<float>();
            for (std::int64_t i = i0; i < i1; ++i) {
                const auto *v = base + (rows ? rows[i] : i) * d;
                out[i] = simd ? dotF32Avx2(v, qp, d) : dotF32Scalar(v, qp, d);
            }
        }
    });
}

} // namespace

VectorSearch::VectorSearch(std::int64_t dim, VectorSearchOptions options)
    : m_dim(dim)
    , m_options(options)
    , m_store(std::make_shared<Store>())
{
    if (dim <= 0)
        throw Error("vector search: dimension must be positive, got " + std::to_string(dim));
}

VectorSearch::~VectorSearch() = default;

std::shared_ptr<const VectorSearch::Store> VectorSearch::snapshot() const
{
    std::lock_guard lock(m_mutex);
    return m_store;
}

std::shared_ptr<const VectorSearch::Approx> VectorSearch::approx() const
{
    std::lock_guard lock(m_mutex);
    return m_approx;
}

std::int64_t VectorSearch::size() const
{
    return static_cast<std::int64_t>(snapshot()->ids.size());
}

bool VectorSearch::approxAvailable()
{
#ifdef MODALLENS_HAVE_FAISS
    return true;
#else
    return false;
#endif
}

bool VectorSearch::wantsApprox() const
{
    return approxAvailable() && size() >= m_options.approxThreshold;
}

std::optional<ApproxInfo> VectorSearch::approxInfo() const
{
    const auto a = approx();
    return a ? std::optional<ApproxInfo>(a->info) : std::nullopt;
}

void VectorSearch::add(const torch::Tensor &vectors, const std::vector<std::int64_t> &ids)
{
    if (vectors.dim() != 2 || vectors.size(1) != m_dim)
        throw Error("vector search: expected vectors of shape [N, " + std::to_string(m_dim) + "], got "
            + c10::str(vectors.sizes()));
    if (static_cast<std::int64_t>(ids.size()) != vectors.size(0))
        throw Error("vector search: " + std::to_string(vectors.size(0)) + " vectors but " + std::to_string(ids.size())
            + " ids");
    if (!vectors.is_floating_point())
        throw Error("vector search: vectors must be floating point");
    const auto dtype = m_options.precision == VectorPrecision::Fp16 ? torch::kHalf : torch::kFloat;
    std::lock_guard addLock(m_addMutex);
    // Normalise in blocks so adding a million vectors needs no second fp32 copy of them all.
    std::vector<torch::Tensor> parts;
    for (std::int64_t b = 0; b < vectors.size(0); b += 65536)
        parts.push_back(normalisedRows(vectors.slice(0, b, std::min(b + 65536, vectors.size(0)))).to(dtype));
    const auto old = snapshot();
    auto next = std::make_shared<Store>();
    if (old->vectors.defined())
        parts.insert(parts.begin(), old->vectors);
    next->vectors = parts.empty() ? torch::empty({0, m_dim}, dtype) : torch::cat(parts).contiguous();
    next->ids = old->ids;
    next->ids.insert(next->ids.end(), ids.begin(), ids.end());
    std::lock_guard lock(m_mutex);
    m_store = std::move(next);
    m_approx.reset();
}

void VectorSearch::checkQuery(const torch::Tensor &query, std::int64_t k, std::int64_t expectedDims) const
{
    if (query.dim() != expectedDims || query.size(-1) != m_dim)
        throw Error("vector search: query of shape " + c10::str(query.sizes()) + " does not match the library's "
            + std::to_string(m_dim) + "-d vectors (another model?)");
    if (k <= 0)
        throw Error("vector search: k must be positive, got " + std::to_string(k));
    if (size() == 0)
        throw Error("vector search: the library has no vectors yet");
}

std::vector<SearchHit> VectorSearch::searchExact(const torch::Tensor &query, std::int64_t k) const
{
    checkQuery(query, k, 1);
    const auto store = snapshot();
    const auto q = normalisedRows(query.reshape({1, m_dim}));
    const float *qp = q.data_ptr<float>();
    const std::int64_t n = store->vectors.size(0), d = m_dim;
    const bool half = store->vectors.scalar_type() == torch::kHalf;
    const bool simd = haveAvx2F16c();
    const std::int64_t numChunks = std::clamp<std::int64_t>(n / 4096, 1, 64);
    std::vector<std::vector<Candidate>> perChunk(static_cast<std::size_t>(numChunks));
    at::parallel_for(0, numChunks, 1, [&](std::int64_t c0, std::int64_t c1) {
        for (std::int64_t c = c0; c < c1; ++c) {
            const std::int64_t r0 = n * c / numChunks, r1 = n * (c + 1) / numChunks;
            TopK top(k);
            if (half) {
                const auto *base = reinterpret_cast<const std::uint16_t *>(store->vectors.data_ptr<c10::Half>());
                for (std::int64_t r = r0; r < r1; ++r)
                    top.push(simd ? dotF16Avx2(base + r * d, qp, d) : dotF16Scalar(base + r * d, qp, d), r);
            } else {
                const float *base = store->vectors.data_ptr<float>();
                for (std::int64_t r = r0; r < r1; ++r)
                    top.push(simd ? dotF32Avx2(base + r * d, qp, d) : dotF32Scalar(base + r * d, qp, d), r);
            }
            perChunk[static_cast<std::size_t>(c)] = std::move(top.items());
        }
    });
    std::vector<Candidate> all;
    for (auto &c : perChunk)
        all.insert(all.end(), c.begin(), c.end());
    return toHits(std::move(all), k, store->ids);
}

std::vector<float> VectorSearch::scores(const torch::Tensor &query, const std::vector<std::int64_t> *rows) const
{
    checkQuery(query, 1, 1);
    const auto store = snapshot();
    const std::int64_t n = store->vectors.size(0);
    const auto q = normalisedRows(query.reshape({1, m_dim}));
    if (rows)
        for (const auto r : *rows)
            if (r < 0 || r >= n)
                throw Error(
                    "vector search: row " + std::to_string(r) + " out of range (" + std::to_string(n) + " rows)");
    const std::int64_t count = rows ? static_cast<std::int64_t>(rows->size()) : n;
    std::vector<float> out(static_cast<std::size_t>(count));
    scoreRows(*store, q.data_ptr<float>(), m_dim, rows ? rows->data() : nullptr, count, out.data());
    return out;
}

torch::Tensor VectorSearch::rowsAt(const std::vector<std::int64_t> &rows) const
{
    const auto store = snapshot();
    const std::int64_t n = store->ids.size();
    for (const auto r : rows)
        if (r < 0 || r >= n)
            throw Error("vector search: row " + std::to_string(r) + " out of range (" + std::to_string(n) + " rows)");
    if (rows.empty())
        return torch::empty({0, m_dim}, torch::kFloat);
    const auto index = torch::from_blob(
        const_cast<std::int64_t *>(rows.data()), {static_cast<std::int64_t>(rows.size())}, torch::kLong);
    return store->vectors.index_select(0, index).to(torch::kFloat).contiguous();
}

std::vector<std::vector<SearchHit>> VectorSearch::searchExactBatch(const torch::Tensor &queries, std::int64_t k) const
{
    checkQuery(queries, k, 2);
    return exactBatch(*snapshot(), normalisedRows(queries), k);
}

std::vector<SearchHit> VectorSearch::search(const torch::Tensor &query, std::int64_t k) const
{
    return approx() ? searchApprox(query, k) : searchExact(query, k);
}

#ifdef MODALLENS_HAVE_FAISS
std::vector<std::vector<SearchHit>> VectorSearch::searchApproxBatch(const torch::Tensor &queries, std::int64_t k) const
{
    checkQuery(queries, k, 2);
    const auto a = approx();
    if (!a)
        throw Error("vector search: no approximate index has been built");
    const auto q = normalisedRows(queries);
    const std::int64_t nq = q.size(0);
    std::vector<float> dist(static_cast<std::size_t>(nq * k));
    std::vector<faiss::Index::idx_t> labels(static_cast<std::size_t>(nq * k));
    a->index->search(nq, q.data_ptr<float>(), k, dist.data(), labels.data());
    std::vector<std::vector<SearchHit>> out(static_cast<std::size_t>(nq));
    for (std::int64_t i = 0; i < nq; ++i)
        for (std::int64_t j = 0; j < k; ++j) {
            const auto at = static_cast<std::size_t>(i * k + j);
            if (labels[at] >= 0) // fewer than k found in the probed lists
                out[static_cast<std::size_t>(i)].push_back({labels[at], dist[at]});
        }
    return out;
}

#endif

std::vector<SearchHit> VectorSearch::searchApprox(const torch::Tensor &query, std::int64_t k) const
{
    checkQuery(query, k, 1);
    return searchApproxBatch(query.reshape({1, m_dim}), k).front();
}

#ifdef MODALLENS_HAVE_FAISS

std::vector<SearchHit> VectorSearch::searchApprox(
    const torch::Tensor &query, std::int64_t k, const std::vector<std::uint8_t> &idBitmap) const
{
    checkQuery(query, k, 1);
    const auto a = approx();
    if (!a)
        throw Error("vector search: no approximate index has been built");
    const auto q = normalisedRows(query.reshape({1, m_dim}));
    faiss::IDSelectorBitmap selector(idBitmap.size(), idBitmap.data());
    faiss::SearchParametersIVF params;
    params.nprobe = a->index->nprobe;
    params.sel = &selector;
    std::vector<float> dist(static_cast<std::size_t>(k));
    std::vector<faiss::Index::idx_t> labels(static_cast<std::size_t>(k));
    a->index->search(1, q.data_ptr<float>(), k, dist.data(), labels.data(), &params);
    std::vector<SearchHit> out;
    for (std::int64_t j = 0; j < k; ++j)
        if (labels[static_cast<std::size_t>(j)] >= 0)
            out.push_back({labels[static_cast<std::size_t>(j)], dist[static_cast<std::size_t>(j)]});
    return out;
}

void VectorSearch::saveApprox(const std::string &path) const
{
    const auto a = approx();
    if (!a)
        throw Error(path + ": no approximate index to save");
    const std::string tmp = path + ".tmp" + std::to_string(::getpid()); // two processes may save at once
    try {
        faiss::write_index(a->index.get(), tmp.c_str());
    } catch (const std::exception &e) {
        std::remove(tmp.c_str());
        throw Error(path + ": cannot write the approximate index: " + e.what());
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw Error(path + ": cannot write the approximate index: " + ec.message());
    }
}

ApproxInfo VectorSearch::loadApprox(const std::string &path, ApproxInfo info)
{
    const auto store = snapshot();
    const std::int64_t n = store->vectors.size(0);
    auto fail = [&](const std::string &why) -> ApproxInfo { throw Error(path + ": " + why); };
    if (n == 0)
        return fail("the library has no vectors to match the saved index against");
    for (std::int64_t i = 0; i < n; ++i)
        if (store->ids[static_cast<std::size_t>(i)] != i)
            return fail("the vectors were not added with their rows as ids");
    std::unique_ptr<faiss::Index> raw;
    try {
        raw.reset(faiss::read_index(path.c_str()));
    } catch (const std::exception &e) {
        return fail(std::string("not a readable FAISS index (") + e.what() + ")");
    }
    auto *ivf = dynamic_cast<faiss::IndexIVFFlat *>(raw.get());
    if (!ivf || ivf->metric_type != faiss::METRIC_INNER_PRODUCT)
        return fail("not an inner-product IVF-Flat index");
    if (ivf->d != m_dim)
        return fail("index of dimension " + std::to_string(ivf->d) + ", the vectors have " + std::to_string(m_dim));
    if (ivf->ntotal != n)
        return fail("index of " + std::to_string(ivf->ntotal) + " vectors, the library has " + std::to_string(n));
    if (static_cast<std::int64_t>(ivf->nlist) != info.nlist || info.nprobe < 1
        || info.nprobe > static_cast<std::int64_t>(ivf->nlist))
        return fail("index of " + std::to_string(ivf->nlist) + " lists does not match its description");
    if (!ivf->quantizer || ivf->quantizer->ntotal != static_cast<faiss::Index::idx_t>(ivf->nlist))
        return fail("index without its " + std::to_string(ivf->nlist) + " centroids");
    // Every row exactly once.
    std::vector<std::uint8_t> seen(static_cast<std::size_t>(n), 0);
    std::int64_t count = 0;
    for (std::size_t l = 0; l < ivf->nlist; ++l) {
        const std::size_t size = ivf->invlists->list_size(l);
        faiss::InvertedLists::ScopedIds ids(ivf->invlists, l);
        for (std::size_t j = 0; j < size; ++j) {
            const auto id = ids[j];
            if (id < 0 || id >= n || seen[static_cast<std::size_t>(id)])
                return fail("index with a wrong or repeated vector id");
            seen[static_cast<std::size_t>(id)] = 1;
            ++count;
        }
    }
    if (count != n)
        return fail("index lists hold " + std::to_string(count) + " vectors, not " + std::to_string(n));
    ivf->nprobe = static_cast<std::size_t>(info.nprobe);

    // Its answers must be about as good as when it was built: a few sampled queries against exact.
    const std::int64_t k = std::min<std::int64_t>(10, n);
    const auto sample = store->vectors.index_select(0,
        torch::randint(n, {std::min<std::int64_t>(n, 64)}, at::make_generator<at::CPUGeneratorImpl>(m_options.seed + 2),
            torch::kLong));
    const auto queries = makeNearbyQueries(sample, sample.size(0), m_options.seed + 3);
    const auto exact = exactBatch(*store, queries, k);
    std::vector<float> dist(static_cast<std::size_t>(queries.size(0) * k));
    std::vector<faiss::Index::idx_t> labels(dist.size());
    ivf->search(queries.size(0), queries.data_ptr<float>(), k, dist.data(), labels.data());
    std::vector<std::vector<SearchHit>> got(static_cast<std::size_t>(queries.size(0)));
    for (std::size_t i = 0; i < labels.size(); ++i)
        got[i / static_cast<std::size_t>(k)].push_back({labels[i], dist[i]});
    const double recall = recallAtK(got, exact, k);
    if (recall < info.recallAt10 - 0.1)
        return fail("index answers with recall@10 " + std::to_string(recall) + ", it was saved with "
            + std::to_string(info.recallAt10));

    auto loaded = std::make_shared<Approx>();
    raw.release();
    loaded->index.reset(ivf); // owns its quantizer (own_fields)
    info.vectors = n;
    info.loaded = true;
    loaded->info = info;
    std::lock_guard lock(m_mutex);
    if (m_store == store)
        m_approx = loaded;
    return info;
}

// IVF-Flat rather than HNSW: on two cores HNSW at 1M x 512 takes many minutes to build and cannot
// report progress or be cancelled mid-way, while IVF trains k-means on a sample (tens of seconds)
// and adds in blocks; its one knob, nprobe, is tuned below against a measured recall@10.
ApproxInfo VectorSearch::buildApprox(const std::function<bool()> &cancelled, const BuildProgress &progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    const auto store = snapshot();
    const std::int64_t n = store->vectors.size(0);
    if (n == 0)
        throw Error("vector search: the library has no vectors yet");
    auto check = [&] {
        if (cancelled && cancelled())
            throw Cancelled();
    };
    const CancelScope cancelScope(cancelled);
    auto report = [&](std::int64_t done, std::int64_t total, const std::string &stage) {
        if (progress)
            progress(done, total, stage);
    };

    auto built = std::make_shared<Approx>();
    const std::int64_t nlist
        = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::lround(4.0 * std::sqrt(static_cast<double>(n)))), 1,
            std::max<std::int64_t>(1, n / 39));
    built->quantizer = std::make_unique<faiss::IndexFlatIP>(m_dim);
    built->index
        = std::make_unique<faiss::IndexIVFFlat>(built->quantizer.get(), m_dim, nlist, faiss::METRIC_INNER_PRODUCT);
    built->index->cp.niter = 10;
    built->index->cp.seed = static_cast<int>(m_options.seed);
    built->index->cp.max_points_per_centroid = 1 << 30; // we pick the sample ourselves

    // Training sample: a random subset, at least 39 points per centroid (FAISS's minimum).
    const std::int64_t numTrain = std::min(n, std::max(m_options.maxTrainVectors, 39 * nlist));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(m_options.seed);
    const auto rows = torch::randperm(n, gen, torch::kLong).slice(0, 0, numTrain);
    const auto train = store->vectors.index_select(0, rows).to(torch::kFloat).contiguous(); // [T, D]
    check();
    report(0, n, "training IVF centroids");
    try {
        built->index->train(numTrain, train.data_ptr<float>());
    } catch (const faiss::FaissException &) {
        check(); // interrupted by CancelCallback: Cancelled
        throw;
    }
    check();

    constexpr std::int64_t kBlock = 65536;
    for (std::int64_t b = 0; b < n; b += kBlock) {
        const std::int64_t e = std::min(b + kBlock, n);
        const auto x = store->vectors.slice(0, b, e).to(torch::kFloat).contiguous();
        built->index->add_with_ids(e - b, x.data_ptr<float>(), store->ids.data() + b);
        report(e, n, "adding vectors");
        check();
    }

    // nprobe: the smallest power of two whose recall@10 against exact search reaches the target,
    // on queries near the data (stored points plus noise).
    const std::int64_t k = std::min<std::int64_t>(10, n);
    const auto queries
        = makeNearbyQueries(train, std::min<std::int64_t>(m_options.recallQueries, numTrain), m_options.seed + 1);
    const auto exact = exactBatch(*store, queries, k);
    check();
    const auto q = queries.contiguous();
    std::vector<float> dist(static_cast<std::size_t>(q.size(0) * k));
    std::vector<faiss::Index::idx_t> labels(dist.size());
    double recall = 0.0;
    std::int64_t nprobe = 1;
    for (;; nprobe *= 2) {
        built->index->nprobe = static_cast<std::size_t>(std::min(nprobe, nlist));
        built->index->search(q.size(0), q.data_ptr<float>(), k, dist.data(), labels.data());
        std::vector<std::vector<SearchHit>> got(static_cast<std::size_t>(q.size(0)));
        for (std::size_t i = 0; i < labels.size(); ++i)
            got[i / static_cast<std::size_t>(k)].push_back({labels[i], dist[i]});
        recall = recallAtK(got, exact, k);
        report(nprobe, nlist, "tuning nprobe");
        check();
        if (recall >= m_options.targetRecall || nprobe >= nlist)
            break;
    }
    nprobe = static_cast<std::int64_t>(built->index->nprobe);

    auto &info = built->info;
    info.kind = "IVF" + std::to_string(nlist) + ",Flat (inner product)";
    info.vectors = n;
    info.nlist = nlist;
    info.nprobe = nprobe;
    info.recallAt10 = recall;
    info.trainVectors = numTrain;
    info.buildSeconds = secondsSince(t0);
    std::lock_guard lock(m_mutex);
    if (m_store == store) // add() ran meanwhile: this index misses vectors, keep searching exactly
        m_approx = built;
    return info;
}
#else // no FAISS: approx() is always null, so search() is exact; asking for the index says why
std::vector<std::vector<SearchHit>> VectorSearch::searchApproxBatch(const torch::Tensor &queries, std::int64_t k) const
{
    checkQuery(queries, k, 2);
    noFaiss("vector search");
}

std::vector<SearchHit> VectorSearch::searchApprox(
    const torch::Tensor &query, std::int64_t k, const std::vector<std::uint8_t> & /*idBitmap*/) const
{
    checkQuery(query, k, 1);
    noFaiss("vector search");
}

void VectorSearch::saveApprox(const std::string &path) const
{
    noFaiss(path);
}

ApproxInfo VectorSearch::loadApprox(const std::string &path, ApproxInfo /*info*/)
{
    noFaiss(path);
}

ApproxInfo VectorSearch::buildApprox(const std::function<bool()> & /*cancelled*/, const BuildProgress & /*progress*/)
{
    noFaiss("vector search");
}
#endif

torch::Tensor makeClusteredVectors(std::int64_t n, std::int64_t dim, std::int64_t clusters, std::uint64_t seed)
{
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto centres = normalisedRows(torch::randn({clusters, dim}, gen)); // [C, D]
    const auto which = torch::randint(clusters, {n}, gen, torch::kLong);
    // Noise of norm ~1: a point's cosine to its centre ~0.7 (CLIP-like within a concept), ~0
    // to other clusters.
    auto x = centres.index_select(0, which) + torch::randn({n, dim}, gen) * (1.0 / std::sqrt(static_cast<double>(dim)));
    return normalisedRows(x);
}

torch::Tensor makeNearbyQueries(const torch::Tensor &data, std::int64_t q, std::uint64_t seed)
{
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto rows = torch::randint(data.size(0), {q}, gen, torch::kLong);
    const auto base = data.index_select(0, rows).to(torch::kFloat);
    return normalisedRows(
        base + torch::randn(base.sizes(), gen) * (0.3 / std::sqrt(static_cast<double>(data.size(1)))));
}

double recallAtK(
    const std::vector<std::vector<SearchHit>> &approx, const std::vector<std::vector<SearchHit>> &exact, std::int64_t k)
{
    if (exact.empty())
        return 0.0;
    double sum = 0.0;
    for (std::size_t i = 0; i < exact.size(); ++i) {
        const auto ke = std::min<std::size_t>(static_cast<std::size_t>(k), exact[i].size());
        const auto ka = std::min<std::size_t>(static_cast<std::size_t>(k), i < approx.size() ? approx[i].size() : 0);
        if (ke == 0)
            continue;
        std::size_t found = 0;
        for (std::size_t j = 0; j < ke; ++j)
            for (std::size_t a = 0; a < ka; ++a)
                found += approx[i][a].id == exact[i][j].id ? 1 : 0;
        sum += static_cast<double>(found) / static_cast<double>(ke);
    }
    return sum / static_cast<double>(exact.size());
}

} // namespace ml::index
