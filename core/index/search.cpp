// Search over a library (engine/index_service.h's makeSearchJob): the query embedded by the
// library's model, every stored vector scored, video frames aggregated into a score per video.
#include "index/indexer.h"

#include "common/error.h"
#include "engine/thread_pool.h"
#include "index/library.h"
#include "index/vector_search.h"
#include "models/clip/clip_batches.h"
#include "models/clip/clip_runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ml {

namespace index {

SearchResult runSearch(const SearchRequest &req, JobContext &ctx)
{
    if (req.text.empty() && req.image.empty())
        throw Error("search needs a text or an image query");
    if (req.k <= 0)
        throw Error("k must be positive");
    std::error_code ec;
    if (!fs::exists(req.library, ec))
        throw Error(req.library + ": no such library (create it with `modallens-cli index`)");
    at::get_num_threads();
    c10::InferenceMode guard;
    auto lib = Library::open(req.library, Library::Mode::ReadOnly);
    ctx.report(0, 0, "loading model");
    const auto key = libraryModelKey(req.model);
    // A changed model, or vectors from other models only: refuse rather than return garbage.
    // Files without vectors alone (new files not indexed yet) still leave the rest searchable.
    const auto report = lib->needsReindex(key.modelId, key.configHash);
    auto stored = lib->vectors(key.modelId);
    if (report.configChanged || (stored.empty() && !report.otherModels.empty()))
        throw Error(req.library + ": " + report.message);

    const auto rt = clip::acquireClipRuntime(key.path, resolveDtype(req.compute), resolveDevice(req.compute));
    const auto dim = rt->inference().config().projection_dim;

    // The query.
    torch::Tensor query;
    if (!req.text.empty()) {
        std::string text = req.text;
        const auto at = req.textTemplate.find("{}");
        if (!req.textTemplate.empty() && at != std::string::npos)
            text = req.textTemplate.substr(0, at) + req.text + req.textTemplate.substr(at + 2);
        query = rt->embedTexts({text}).to(torch::kCPU, torch::kFloat)[0];
    }
    if (!req.image.empty()) {
        ThreadPool pool(1);
        auto px = clip::preprocessFiles({req.image}, rt->preprocess(), rt->imageSize(), pool);
        if (!px.errors[0].empty())
            throw Error(px.errors[0]);
        const auto img = rt->embedPixels(px.pixels).to(torch::kCPU, torch::kFloat)[0];
        if (query.defined()) {
            const double w = std::clamp(req.textWeight, 0.0, 1.0);
            query = query * w + img * (1.0 - w);
            query = query / query.norm().clamp_min(1e-12);
        } else {
            query = img;
        }
    }
    ctx.throwIfCancelled();

    // Every stored vector: images one each, videos one per frame.
    ctx.report(0, 0, "loading vectors");
    SearchResult out;
    out.modelId = key.modelId;
    out.vectors = static_cast<std::int64_t>(stored.size());
    if (stored.empty())
        return out;
    auto matrix = torch::empty({static_cast<std::int64_t>(stored.size()), dim}, torch::kFloat);
    std::vector<std::int64_t> rows(stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (static_cast<std::int64_t>(stored[i].vector.size()) != dim)
            throw Error(req.library + ": a stored vector has " + std::to_string(stored[i].vector.size())
                + " dimensions, the model gives " + std::to_string(dim) + "; re-index the library");
        std::copy(
            stored[i].vector.begin(), stored[i].vector.end(), matrix[static_cast<std::int64_t>(i)].data_ptr<float>());
        rows[i] = static_cast<std::int64_t>(i);
    }
    VectorSearch vs(dim);
    vs.add(matrix, rows);

    // Scores of every vector (exact) — videos need all their frames' similarities for the mean and
    // the series. With many vectors, the approximate index picks the candidates' files first.
    std::vector<float> sim(stored.size(), 0.0f);
    std::vector<bool> have(stored.size(), false);
    if (vs.wantsApprox()) {
        out.approximate = true;
        vs.buildApprox([&ctx] { return ctx.isCancelled(); });
        const auto hits = vs.searchApprox(query, std::min<std::int64_t>(vs.size(), std::max(100, req.k * 20)));
        std::unordered_map<std::int64_t, bool> files;
        for (const auto &h : hits)
            files[stored[static_cast<std::size_t>(h.id)].fileId] = true;
        const auto q = query.contiguous();
        for (std::size_t i = 0; i < stored.size(); ++i)
            if (files.count(stored[i].fileId)) {
                sim[i] = matrix[static_cast<std::int64_t>(i)].dot(q).item<float>();
                have[i] = true;
            }
    } else {
        const auto all = vs.searchExact(query, vs.size());
        for (const auto &h : all) {
            sim[static_cast<std::size_t>(h.id)] = h.score;
            have[static_cast<std::size_t>(h.id)] = true;
        }
    }

    struct Acc {
        std::vector<std::pair<double, float>> frames; // (time, similarity)
    };
    std::map<std::int64_t, Acc> perFile;
    for (std::size_t i = 0; i < stored.size(); ++i)
        if (have[i])
            perFile[stored[i].fileId].frames.push_back({stored[i].timestampS, sim[i]});

    std::vector<SearchResultItem> items;
    for (auto &[fileId, acc] : perFile) {
        const auto rec = lib->file(fileId);
        SearchResultItem it;
        it.file = rec.path;
        it.kind = rec.kind == MediaKind::Video ? "video" : "image";
        std::sort(acc.frames.begin(), acc.frames.end());
        if (rec.kind != MediaKind::Video || (acc.frames.size() == 1 && acc.frames[0].first < 0)) {
            it.score = acc.frames.front().second;
        } else {
            double sum = 0;
            std::size_t best = 0;
            for (std::size_t j = 0; j < acc.frames.size(); ++j) {
                sum += acc.frames[j].second;
                if (acc.frames[j].second > acc.frames[best].second)
                    best = j;
                it.times.push_back(acc.frames[j].first);
                it.series.push_back(acc.frames[j].second);
            }
            const float mean = static_cast<float>(sum / static_cast<double>(acc.frames.size()));
            const float mx = acc.frames[best].second;
            it.bestS = acc.frames[best].first;
            // The best moment: the run of frames around the best one that stay within 0.5 of the
            // way from the mean to the best similarity.
            const float floor = mean + 0.5f * (mx - mean);
            std::size_t lo = best, hi = best;
            while (lo > 0 && acc.frames[lo - 1].second >= floor)
                --lo;
            while (hi + 1 < acc.frames.size() && acc.frames[hi + 1].second >= floor)
                ++hi;
            const double step = acc.frames.size() > 1 ? acc.frames[1].first - acc.frames[0].first : 1.0;
            it.startS = acc.frames[lo].first;
            it.endS = acc.frames[hi].first + step;
            switch (req.videoAggregate) {
            case VideoAggregate::Mean:
                it.score = mean;
                break;
            case VideoAggregate::Max:
                it.score = mx;
                break;
            case VideoAggregate::Best: {
                // Best moment: the mean over the moment's frames.
                double s = 0;
                for (std::size_t j = lo; j <= hi; ++j)
                    s += acc.frames[j].second;
                it.score = static_cast<float>(s / static_cast<double>(hi - lo + 1));
                break;
            }
            }
        }
        items.push_back(std::move(it));
    }
    std::stable_sort(items.begin(), items.end(),
        [](const SearchResultItem &a, const SearchResultItem &b) { return a.score > b.score; });
    if (items.size() > static_cast<std::size_t>(req.k))
        items.resize(static_cast<std::size_t>(req.k));
    out.results = std::move(items);
    return out;
}

} // namespace index

Job makeSearchJob(SearchRequest request)
{
    return {"Search", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return index::runSearch(req, ctx); }};
}

} // namespace ml
