#include "index/indexer.h"

#include "common/error.h"
#include "engine/thread_pool.h"
#include "index/library.h"
#include "index/vector_search.h"
#include "io/media.h"
#include "models/clip/clip_batches.h"
#include "models/clip/clip_runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <map>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ml {

VideoAggregate parseVideoAggregate(const std::string &name)
{
    if (name == "mean")
        return VideoAggregate::Mean;
    if (name == "max")
        return VideoAggregate::Max;
    if (name == "best")
        return VideoAggregate::Best;
    throw Error("unknown video aggregation '" + name + "' (mean, max or best)");
}

LibraryModelKey libraryModelKey(const std::string &model)
{
    LibraryModelKey key;
    const fs::path folder = fs::weakly_canonical(fs::path(resolveModelPath(model)));
    key.path = folder.string();
    key.name = folder.filename().string();
    key.modelId = key.name;
    // The configuration and the weights as they are on disk: any change re-indexes.
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(folder, ec))
        if (e.is_regular_file(ec)) {
            const auto ext = e.path().extension().string();
            if (ext == ".json" || ext == ".safetensors" || ext == ".bin" || ext == ".txt")
                files.push_back(e.path());
        }
    std::sort(files.begin(), files.end());
    std::string all;
    for (const auto &f : files)
        all += f.filename().string() + "=" + index::contentHash(f) + ";";
    std::uint64_t h = 1469598103934665603ull;
    for (const unsigned char c : all) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    key.configHash = buf;
    return key;
}

namespace index {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<float> rowToVector(const torch::Tensor &row)
{
    const auto r = row.to(torch::kCPU, torch::kFloat).contiguous();
    return {r.data_ptr<float>(), r.data_ptr<float>() + r.numel()};
}

struct VideoPixels {
    torch::Tensor pixels; // [n, 3, S, S]
    std::vector<double> times;
    std::string error;
};

VideoPixels decodeVideo(const std::string &file, double fps, const clip::ClipRuntime &rt)
{
    VideoPixels out;
#ifdef MODALLENS_HAVE_MEDIA
    try {
        io::VideoDecoder decoder(file);
        auto frames = decoder.sample(fps);
        if (frames.empty())
            throw Error(file + ": no frame could be decoded");
        const auto &params = rt.preprocess();
        const auto s = rt.imageSize();
        out.pixels = torch::zeros({static_cast<std::int64_t>(frames.size()), 3, s, s}, torch::kFloat);
        const auto plane = 3 * s * s;
        float *base = out.pixels.data_ptr<float>();
        for (std::size_t i = 0; i < frames.size(); ++i) {
            const auto &img = frames[i].image;
            const auto g = kernels::preprocessGeometry(img.height, img.width, params);
            if (g.outHeight != s || g.outWidth != s)
                throw Error(file + ": preprocessing gives " + std::to_string(g.outHeight) + "x"
                    + std::to_string(g.outWidth) + " frames, the model wants " + std::to_string(s));
            kernels::preprocessCpu(
                img.pixels.data(), img.height, img.width, params, base + static_cast<std::int64_t>(i) * plane);
            out.times.push_back(frames[i].timeS);
        }
    } catch (const std::exception &e) {
        out.error = e.what();
        if (out.error.find(file) == std::string::npos)
            out.error = file + ": " + out.error;
        out.pixels = torch::Tensor();
        out.times.clear();
    }
#else
    (void)fps;
    (void)rt;
    out.error = file + ": this build cannot decode videos (configured with MODALLENS_MEDIA=OFF)";
#endif
    return out;
}

} // namespace

IndexResult runIndex(const IndexRequest &req, JobContext &ctx)
{
    const auto t0 = Clock::now();
    if (req.folders.empty())
        throw Error("nothing to index: give at least one folder or file");
    if (!(req.videoFps > 0))
        throw Error("the video frame rate must be positive");
    at::get_num_threads();
    c10::InferenceMode guard;
    IndexResult result;

    auto lib = Library::open(req.library);
    if (lib->isReadOnly())
        throw Error(req.library + ": " + lib->readOnlyReason());

    ctx.report(0, 0, "loading model");
    const auto key = libraryModelKey(req.model);
    const auto device = resolveDevice(req.compute);
    const auto dtype = resolveDtype(req.compute);
    const auto rt = clip::acquireClipRuntime(key.path, dtype, device);
    const auto dim = rt->inference().config().projection_dim;
    result.modelId = key.modelId;
    result.modelChanged = lib->registerModel({key.modelId, key.name, key.path, key.configHash, static_cast<int>(dim)});

    ctx.report(0, 0, "scanning");
    std::vector<fs::path> roots;
    for (const auto &f : req.folders) {
        std::error_code ec;
        if (!fs::exists(f, ec))
            throw Error(f + ": no such file or folder");
        roots.emplace_back(f);
        if (fs::is_directory(f, ec))
            lib->addFolder(f);
    }
    auto plan = lib->planScan(roots, key.modelId);
    std::unordered_map<std::string, bool> known; // paths already in the library before apply
    for (const auto &f : lib->files())
        known[f.path] = true;
    lib->apply(plan);
    result.unchanged = static_cast<std::int64_t>(plan.unchanged.size());
    result.touched = static_cast<std::int64_t>(plan.touched.size());
    result.moved = static_cast<std::int64_t>(plan.moved.size());
    result.removed = static_cast<std::int64_t>(plan.removed.size());

    std::vector<const ScannedFile *> images, videos;
    for (const auto &f : plan.toEmbed)
        (f.kind == MediaKind::Video ? videos : images).push_back(&f);
    const auto total = static_cast<std::int64_t>(plan.toEmbed.size());
    std::int64_t done = 0;
    const auto countEmbedded = [&](const ScannedFile &f) {
        if (known.count(f.path))
            ++result.updated;
        else
            ++result.added;
    };
    const auto fail = [&](const ScannedFile &f, const std::string &error) {
        lib->setFileError(f.fileId, error);
        result.failed.push_back({f.path, error});
    };
    const auto cancelled = [&ctx] { return ctx.isCancelled(); };

    const auto tEmbed = Clock::now();
    std::int64_t embeddedVectors = 0;
    ctx.report(0, total, "embedding");

    // Images: batch i + 1 decodes on the pool while the model runs batch i; each batch is committed.
    {
        std::vector<std::string> paths;
        for (const auto *f : images)
            paths.push_back(f->path);
        clip::embedImageFiles(*rt, paths, req.batchSize, cancelled,
            [&](std::size_t first, const std::vector<std::string> &errors, const torch::Tensor &embeddings) {
                std::vector<FileVectors> commit;
                std::int64_t row = 0;
                for (std::size_t i = 0; i < errors.size(); ++i)
                    if (errors[i].empty())
                        commit.push_back({images[first + i]->fileId, {{-1.0, rowToVector(embeddings[row++])}}});
                lib->commitEmbeddings(key.modelId, commit);
                for (std::size_t i = 0; i < errors.size(); ++i) {
                    const auto &f = *images[first + i];
                    if (errors[i].empty())
                        countEmbedded(f);
                    else
                        fail(f, errors[i]);
                }
                embeddedVectors += row;
                done += static_cast<std::int64_t>(errors.size());
                ctx.report(done, total, "embedding");
            });
    }

    // Videos: one file at a time, frames at req.videoFps, embedded in batches, committed per file
    // (a file's vectors are replaced as a whole, so a partial video is never stored).
    for (const auto *vf : videos) {
        ctx.throwIfCancelled();
        const auto v = decodeVideo(vf->path, req.videoFps, *rt);
        if (!v.error.empty()) {
            fail(*vf, v.error);
        } else {
            FileVectors fv {vf->fileId, {}};
            const auto n = v.pixels.size(0);
            for (std::int64_t s = 0; s < n; s += req.batchSize) {
                ctx.throwIfCancelled();
                const auto emb = rt->embedPixels(v.pixels.slice(0, s, std::min(n, s + req.batchSize)))
                                     .to(torch::kCPU, torch::kFloat);
                for (std::int64_t j = 0; j < emb.size(0); ++j)
                    fv.vectors.push_back({v.times[static_cast<std::size_t>(s + j)], rowToVector(emb[j])});
            }
            lib->commitEmbeddings(key.modelId, {fv});
            countEmbedded(*vf);
            embeddedVectors += n;
            result.frames += n;
        }
        ++done;
        ctx.report(done, total, "embedding");
    }
    const double embedSeconds = secondsSince(tEmbed);
    result.imagesPerS = embedSeconds > 0 ? static_cast<double>(embeddedVectors) / embedSeconds : 0.0;
    result.seconds = secondsSince(t0);
    return result;
}

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

Job makeIndexJob(IndexRequest request)
{
    return {"Index " + std::to_string(request.folders.size()) + " location(s)", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return index::runIndex(req, ctx); }};
}

Job makeSearchJob(SearchRequest request)
{
    return {"Search", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return index::runSearch(req, ctx); }};
}

} // namespace ml
