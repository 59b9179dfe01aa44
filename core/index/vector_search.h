// Vector search over L2-normalised embeddings: exact top-k (our own fp16/fp32 matrix-vector
// product, multi-threaded) and, above a size threshold, a FAISS IVF index built in the background.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ml::index {

enum class VectorPrecision { Fp16, Fp32 };

struct SearchHit {
    std::int64_t id = 0;
    float score = 0.0f; // cosine similarity (inner product of unit vectors)
};

struct VectorSearchOptions {
    VectorPrecision precision = VectorPrecision::Fp16;
    std::int64_t approxThreshold = 50000;  // from this many vectors on, an approximate index pays off
    double targetRecall = 0.95;            // recall@10 against exact search that nprobe is tuned for
    int recallQueries = 200;               // sampled queries the recall is measured on
    std::int64_t maxTrainVectors = 100000; // k-means sample for the IVF centroids
    std::uint64_t seed = 1234;
};

// What the approximate index is and how good it is; the UI shows recallAt10.
struct ApproxInfo {
    std::string kind; // "IVF1265,Flat (inner product)"
    std::int64_t vectors = 0;
    std::int64_t nlist = 0;
    std::int64_t nprobe = 0;
    double recallAt10 = 0.0; // measured against exact search on recallQueries sampled queries
    double buildSeconds = 0.0;
    std::int64_t trainVectors = 0;
    bool loaded = false; // read back by loadApprox() rather than built
};

using BuildProgress = std::function<void(std::int64_t done, std::int64_t total, const std::string &stage)>;

// Thread-safe: searches may run from any thread while add() or buildApprox() run on another.
// The vectors live in an immutable snapshot that add() replaces (copy-on-write), so a search or
// a background build keeps the snapshot it started with.
// Threads: exact search splits the rows over at::parallel_for. FAISS and LibTorch share the
// system libgomp here, so FAISS follows the calling thread's at::set_num_threads too. A single
// IVF query runs on one thread (FAISS 1.7.3's parallel_mode 0 parallelises over queries only;
// at nprobe <= 8 a probe-parallel split costs more than it saves); batches use all threads.
class VectorSearch {
public:
    explicit VectorSearch(std::int64_t dim, VectorSearchOptions options = {});
    ~VectorSearch();
    VectorSearch(const VectorSearch &) = delete;
    VectorSearch &operator=(const VectorSearch &) = delete;

    std::int64_t dim() const { return m_dim; }
    std::int64_t size() const;
    const VectorSearchOptions &options() const { return m_options; }

    // vectors: [N, D] floating point, normalised here; ids.size() == N. Drops the approximate
    // index (it no longer covers every vector): rebuild it with buildApprox().
    void add(const torch::Tensor &vectors, const std::vector<std::int64_t> &ids);

    // Top-k by cosine, best first; ties broken by insertion order. query: [D].
    std::vector<SearchHit> searchExact(const torch::Tensor &query, std::int64_t k) const;
    // queries: [Q, D]; one matrix product per block of stored vectors.
    std::vector<std::vector<SearchHit>> searchExactBatch(const torch::Tensor &queries, std::int64_t k) const;
    // The approximate index if one is ready, else exact search.
    std::vector<SearchHit> search(const torch::Tensor &query, std::int64_t k) const;
    std::vector<SearchHit> searchApprox(const torch::Tensor &query, std::int64_t k) const; // throws if none
    std::vector<std::vector<SearchHit>> searchApproxBatch(const torch::Tensor &queries, std::int64_t k) const;

    // Cosine of the query with each of `rows` (positions in insertion order, not ids), in that
    // order; every row when rows is null. The exact path of a search that needs every frame's score.
    std::vector<float> scores(const torch::Tensor &query, const std::vector<std::int64_t> *rows = nullptr) const;
    // The stored (unit, fp16-rounded when Fp16) vectors at `rows` (positions), as [R, D] float.
    torch::Tensor rowsAt(const std::vector<std::int64_t> &rows) const;
    // Approximate top-k among the ids whose bit is set in idBitmap (bit i % 8 of byte i / 8): FAISS
    // skips the others while scanning, so k allowed hits come back when the probed lists hold them.
    std::vector<SearchHit> searchApprox(
        const torch::Tensor &query, std::int64_t k, const std::vector<std::uint8_t> &idBitmap) const;

    // Whether this build has the approximate index (FAISS); without it every search is exact and
    // buildApprox(), loadApprox(), saveApprox() and searchApprox() throw ml::Error saying so.
    static bool approxAvailable();
    // An approximate index pays off (and this build has one).
    bool wantsApprox() const;
    std::optional<ApproxInfo> approxInfo() const;

    // Builds an IVF index over the current snapshot, tunes nprobe for targetRecall and swaps it
    // in atomically (unless add() ran meanwhile: then it returns the info without swapping).
    // Safe to run on a worker while other threads search. Throws ml::Cancelled when cancelled()
    // returns true (checked between training, each added block and each nprobe tried).
    ApproxInfo buildApprox(const std::function<bool()> &cancelled = {}, const BuildProgress &progress = {});

    // The approximate index to `path` (faiss::write_index, written to a temporary file and renamed).
    // Throws ml::Error when there is none or the file cannot be written.
    void saveApprox(const std::string &path) const;
    // Reads an index saved by saveApprox() for exactly the vectors held now and swaps it in with
    // info's nprobe. Nothing is trusted: the file must be an inner-product IVF-Flat of this dimension
    // and info.nlist lists holding size() vectors whose ids are 0..size()-1 (the rows; add() must have
    // given those ids), and its recall@10 on sampled queries must come within 0.1 of info.recallAt10.
    // Throws ml::Error naming the file otherwise, leaving the search exact.
    ApproxInfo loadApprox(const std::string &path, ApproxInfo info);

    struct Store; // opaque, defined in the .cpp
    struct Approx;

private:
    std::shared_ptr<const Store> snapshot() const;
    std::shared_ptr<const Approx> approx() const;
    void checkQuery(const torch::Tensor &query, std::int64_t k, std::int64_t expectedDim) const;

    std::int64_t m_dim;
    VectorSearchOptions m_options;
    mutable std::mutex m_mutex; // guards the two pointers below
    std::shared_ptr<const Store> m_store;
    std::shared_ptr<const Approx> m_approx;
    std::mutex m_addMutex; // serialises add(): each copies the snapshot it extends
};

// N clustered random unit vectors, like real embeddings: `clusters` Gaussian centres, each point a
// centre plus noise, normalised. [N, D] float. For benchmarks and tests.
torch::Tensor makeClusteredVectors(std::int64_t n, std::int64_t dim, std::int64_t clusters, std::uint64_t seed);
// Queries near the data: stored points plus noise, normalised. [Q, D] float.
torch::Tensor makeNearbyQueries(const torch::Tensor &data, std::int64_t q, std::uint64_t seed);
// Mean over queries of |approx ∩ exact| / |exact| at the first k.
double recallAtK(const std::vector<std::vector<SearchHit>> &approx, const std::vector<std::vector<SearchHit>> &exact,
    std::int64_t k);

} // namespace ml::index
