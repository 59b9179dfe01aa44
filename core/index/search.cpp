// Search over a library (engine/index_service.h's makeSearchJob): the query embedded by the
// library's model, the vectors the filter allows scored (all of them, or those of the files an
// approximate index proposes), video frames aggregated into a score per video.
#include "index/indexer.h"

#include "common/error.h"
#include "engine/thread_pool.h"
#include "index/library.h"
#include "index/search_cache.h"
#include "index/vector_search.h"
#include "models/clip/clip_batches.h"
#include "models/clip/clip_runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ml {

namespace index {

namespace {

// A file's score from its frames' similarities (time, similarity), sorted by time.
SearchResultItem aggregate(const FileRecord &rec, std::vector<std::pair<double, float>> &frames, VideoAggregate how)
{
    SearchResultItem it;
    it.file = rec.path;
    it.kind = rec.kind == MediaKind::Video ? "video" : "image";
    std::sort(frames.begin(), frames.end());
    if (rec.kind != MediaKind::Video || (frames.size() == 1 && frames[0].first < 0)) {
        it.score = frames.front().second;
        return it;
    }
    double sum = 0;
    std::size_t best = 0;
    for (std::size_t j = 0; j < frames.size(); ++j) {
        sum += frames[j].second;
        if (frames[j].second > frames[best].second)
            best = j;
        it.times.push_back(frames[j].first);
        it.series.push_back(frames[j].second);
    }
    const float mean = static_cast<float>(sum / static_cast<double>(frames.size()));
    const float mx = frames[best].second;
    it.bestS = frames[best].first;
    // The best moment: the run of frames around the best one that stay within 0.5 of the way from
    // the mean to the best similarity.
    const float floor = mean + 0.5f * (mx - mean);
    std::size_t lo = best, hi = best;
    while (lo > 0 && frames[lo - 1].second >= floor)
        --lo;
    while (hi + 1 < frames.size() && frames[hi + 1].second >= floor)
        ++hi;
    const double step = frames.size() > 1 ? frames[1].first - frames[0].first : 1.0;
    it.startS = frames[lo].first;
    it.endS = frames[hi].first + step;
    switch (how) {
    case VideoAggregate::Mean:
        it.score = mean;
        break;
    case VideoAggregate::Max:
        it.score = mx;
        break;
    case VideoAggregate::Best: { // the mean over the moment's frames
        double m = 0;
        for (std::size_t j = lo; j <= hi; ++j)
            m += frames[j].second;
        it.score = static_cast<float>(m / static_cast<double>(hi - lo + 1));
        break;
    }
    }
    return it;
}

torch::Tensor embedQuery(const clip::ClipRuntime &rt, const SearchRequest &req)
{
    torch::Tensor query;
    if (!req.text.empty()) {
        std::string text = req.text;
        const auto at = req.textTemplate.find("{}");
        if (!req.textTemplate.empty() && at != std::string::npos)
            text = req.textTemplate.substr(0, at) + req.text + req.textTemplate.substr(at + 2);
        query = rt.embedTexts({text}).to(torch::kCPU, torch::kFloat)[0];
    }
    if (!req.image.empty()) {
        ThreadPool pool(1);
        auto px = clip::preprocessFiles({req.image}, rt.preprocess(), rt.imageSize(), pool);
        if (!px.errors[0].empty())
            throw Error(px.errors[0]);
        const auto img = rt.embedPixels(px.pixels).to(torch::kCPU, torch::kFloat)[0];
        if (query.defined()) {
            const double w = std::clamp(req.textWeight, 0.0, 1.0);
            query = query * w + img * (1.0 - w);
            query = query / query.norm().clamp_min(1e-12);
        } else {
            query = img;
        }
    }
    return query;
}

} // namespace

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
    ctx.report(0, 0, "loading model");
    const auto key = libraryModelKey(req.model);
    const auto lib = ctx.state().owned<SearchCache>().acquire(req.library, key, &ctx);
    // A changed model, or vectors from other models only: refuse rather than return garbage.
    // Files without vectors alone (new files not indexed yet) still leave the rest searchable.
    if (lib->report.configChanged || (!lib->vectors && !lib->report.otherModels.empty()))
        throw Error(req.library + ": " + lib->report.message);

    SearchResult out;
    out.modelId = key.modelId;
    if (!lib->vectors)
        return out;
    const auto rt
        = clip::acquireClipRuntime(ctx.models(), key.path, resolveDtype(req.compute), resolveDevice(req.compute));
    ctx.warn(key.path, rt->warnings());
    const auto dim = rt->inference().config().projection_dim;
    if (lib->dim != dim)
        throw Error(req.library + ": the stored vectors have " + std::to_string(lib->dim)
            + " dimensions, the model gives " + std::to_string(dim) + "; re-index the library");
    const auto query = embedQuery(*rt, req);
    ctx.throwIfCancelled();

    // The rows the filter allows; every row when there is no filter.
    const auto &vs = *lib->vectors;
    const std::int64_t total = vs.size();
    const bool filtered = !req.filter.empty();
    std::vector<std::uint8_t> fileOk;
    std::vector<std::int64_t> allowed;
    if (filtered) {
        fileOk = allowedFiles(*lib, req.filter);
        for (std::int64_t r = 0; r < total; ++r)
            if (fileOk[static_cast<std::size_t>(lib->rowFile[static_cast<std::size_t>(r)])])
                allowed.push_back(r);
    }
    const std::int64_t numAllowed = filtered ? static_cast<std::int64_t>(allowed.size()) : total;
    out.vectors = numAllowed;
    out.indexBuilding = lib->approxState() == CachedLibrary::ApproxState::Building;
    if (numAllowed == 0)
        return out;

    // Scores of the rows to aggregate: videos need all their frames' similarities for the mean and
    // the series. With an approximate index and enough allowed rows it picks the candidates' files
    // first (FAISS skipping the rows the filter excludes); a selective filter leaves few rows,
    // which exact search scores faster than an index could, and always completely.
    std::vector<std::int64_t> rows;
    std::vector<float> sim;
    const auto info = vs.approxInfo();
    bool exact = true;
    if (info && numAllowed >= vs.options().approxThreshold) {
        const std::int64_t want = std::min<std::int64_t>(numAllowed, std::max(100, req.k * 20));
        std::vector<SearchHit> hits;
        if (filtered) {
            std::vector<std::uint8_t> bitmap(static_cast<std::size_t>((total + 7) / 8), 0);
            for (const auto r : allowed)
                bitmap[static_cast<std::size_t>(r / 8)] |= static_cast<std::uint8_t>(1u << (r % 8));
            hits = vs.searchApprox(query, want, bitmap);
        } else {
            hits = vs.searchApprox(query, want);
        }
        std::vector<std::int32_t> files;
        for (const auto &h : hits)
            files.push_back(lib->rowFile[static_cast<std::size_t>(h.id)]);
        std::sort(files.begin(), files.end());
        files.erase(std::unique(files.begin(), files.end()), files.end());
        // Fewer candidate files than asked for while the filter allows more: the probed lists
        // held too few allowed rows; exact search then.
        if (static_cast<std::int64_t>(files.size()) >= std::min<std::int64_t>(req.k, numAllowed)
            || static_cast<std::int64_t>(hits.size()) == numAllowed) {
            for (const auto f : files)
                for (const auto r : lib->fileRows[static_cast<std::size_t>(f)])
                    rows.push_back(r);
            sim = vs.scores(query, &rows);
            exact = false;
            out.approximate = true;
            out.approxKind = info->kind;
            out.recallAt10 = info->recallAt10;
        }
    }
    if (exact) {
        if (filtered) {
            rows = std::move(allowed);
            sim = vs.scores(query, &rows);
        } else {
            sim = vs.scores(query);
            rows.resize(sim.size());
            std::iota(rows.begin(), rows.end(), std::int64_t {0});
        }
    }
    ctx.throwIfCancelled();

    std::unordered_map<std::int32_t, std::vector<std::pair<double, float>>> perFile;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto r = static_cast<std::size_t>(rows[i]);
        perFile[lib->rowFile[r]].push_back({lib->rowTime[r], sim[i]});
    }
    std::vector<std::pair<std::int32_t, SearchResultItem>> items;
    items.reserve(perFile.size());
    for (auto &[file, frames] : perFile)
        items.emplace_back(file, aggregate(lib->files[static_cast<std::size_t>(file)], frames, req.videoAggregate));
    // Best first; equal scores in the library's path order, so results do not depend on hashing.
    const auto k = std::min<std::size_t>(items.size(), static_cast<std::size_t>(req.k));
    std::partial_sort(
        items.begin(), items.begin() + static_cast<std::ptrdiff_t>(k), items.end(), [](const auto &a, const auto &b) {
            return a.second.score > b.second.score || (a.second.score == b.second.score && a.first < b.first);
        });
    items.resize(k);
    for (auto &[file, item] : items)
        out.results.push_back(std::move(item));
    return out;
}

} // namespace index

Job makeSearchJob(SearchRequest request)
{
    return {"Search", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return index::runSearch(req, ctx); }};
}

} // namespace ml
