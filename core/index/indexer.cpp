#include "index/indexer.h"

#include "common/error.h"
#include "engine/thread_pool.h"
#include "index/library.h"
#include "io/media.h"
#include "models/clip/clip_batches.h"
#include "models/clip/clip_runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <unordered_map>
#include <unordered_set>

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

struct VideoVectors {
    std::vector<FrameVector> vectors; // in time order
    std::int64_t sceneFrames = 0;     // of which taken at scene changes
    std::string error;                // the file could not be decoded: nothing else is set
    bool upToDate = false;            // storedFrames already are what the sampling gives: nothing embedded
};

// How a video is sampled: req.videoFps, faster for a clip too short to give req.minVideoFrames.
struct VideoSampling {
    double fps = 1.0;
    int minFrames = 0;
    double sceneThreshold = 0.0;
};

// A file written to between the scan and its embedding (a download, an export still running, see
// changedSinceScan): its vectors may be of either content, so they are not kept and the next run
// takes it again.
constexpr const char *kChangedWhileIndexed
    = "changed while being indexed (its size or time is not the scan's); it is indexed again on the next run";

// An IndexFailure's error: the reason alone, since its `file` names the file. Media errors start
// with the path they were given (here the path the library stores), which is taken off.
std::string failureReason(const std::string &error, const std::string &file)
{
    const std::string prefix = file + ": ";
    return error.rfind(prefix, 0) == 0 ? error.substr(prefix.size()) : error;
}

// A video's frames decoded, preprocessed and embedded in batches as they come (memory bounded by
// one batch, however long the video). storedFrames >= 0: the file is indexed already with that
// many frames; it is left alone (upToDate) unless the sampling now gives it more. Decoding failures
// come back in `error`; the model's and cancellation propagate.
VideoVectors embedVideo(const std::string &file, const VideoSampling &sampling, std::int64_t storedFrames,
    const clip::ClipRuntime &rt, int batchSize, JobContext &ctx)
{
    VideoVectors out;
#ifdef MODALLENS_HAVE_MEDIA
    const auto &params = rt.preprocess();
    const auto s = rt.imageSize();
    const std::int64_t batch = std::max(1, batchSize);
    const auto plane = 3 * s * s;
    torch::Tensor pixels = torch::zeros({batch, 3, s, s}, torch::kFloat);
    std::vector<double> times;
    bool inModel = false; // an exception from here on is not the file's fault
    const auto flush = [&] {
        if (times.empty())
            return;
        inModel = true;
        ctx.throwIfCancelled();
        const auto n = static_cast<std::int64_t>(times.size());
        const auto emb = rt.embedPixels(pixels.slice(0, 0, n)).to(torch::kCPU, torch::kFloat);
        for (std::int64_t j = 0; j < n; ++j)
            out.vectors.push_back({times[static_cast<std::size_t>(j)], rowToVector(emb[j])});
        times.clear();
        inModel = false;
    };
    try {
        io::VideoDecoder decoder(file);
        const auto &info = decoder.info();
        if (storedFrames >= 0) {
            // At least minFrames, or every frame of a clip that has fewer (one of slack for a
            // container's count that is off by one).
            std::int64_t wanted = sampling.minFrames;
            if (info.frameCount > 0)
                wanted = std::min(wanted, info.frameCount);
            if (storedFrames + 1 >= wanted) {
                out.upToDate = true;
                return out;
            }
        }
        decoder.sampleEach(
            io::samplingRate(info, sampling.fps, sampling.minFrames),
            [&](io::VideoFrame &&frame) {
                const auto &img = frame.image;
                const auto g = kernels::preprocessGeometry(img.height, img.width, params);
                if (g.outHeight != s || g.outWidth != s)
                    throw Error(file + ": preprocessing gives " + std::to_string(g.outHeight) + "x"
                        + std::to_string(g.outWidth) + " frames, the model wants " + std::to_string(s));
                kernels::preprocessCpu(img.pixels.data(), img.height, img.width, params,
                    pixels.data_ptr<float>() + static_cast<std::int64_t>(times.size()) * plane);
                times.push_back(frame.timeS);
                out.sceneFrames += frame.sceneCut ? 1 : 0;
                if (static_cast<std::int64_t>(times.size()) == batch)
                    flush();
            },
            0, sampling.sceneThreshold);
        flush();
        if (out.vectors.empty())
            throw Error(file + ": no frame could be decoded");
    } catch (const Cancelled &) {
        throw;
    } catch (const std::exception &e) {
        if (inModel)
            throw;
        out = {};
        out.error = e.what();
    }
#else
    (void)sampling;
    (void)storedFrames;
    (void)rt;
    (void)batchSize;
    (void)ctx;
    out.error = file + ": this build cannot decode videos (configured with MODALLENS_MEDIA=OFF)";
#endif
    return out;
}

// checkEmbeddingHealth over every file of the library with `modelId`'s vectors: an image's vector,
// or the mean of a video's frames.
void checkLibraryHealth(const Library &lib, const std::string &modelId, IndexResult &result)
{
    std::vector<std::int64_t> ids;
    std::vector<std::vector<float>> perFile;
    std::int64_t count = 0; // vectors summed into perFile.back()
    const auto finish = [&] {
        if (count > 1)
            for (float &x : perFile.back())
                x /= static_cast<float>(count);
    };
    lib.forEachVector(modelId, [&](const StoredVector &v) {
        if (ids.empty() || ids.back() != v.fileId || perFile.back().size() != v.vector.size()) {
            if (!ids.empty())
                finish();
            ids.push_back(v.fileId);
            perFile.push_back(v.vector);
            count = 1;
            return;
        }
        auto &sum = perFile.back();
        for (std::size_t d = 0; d < sum.size(); ++d)
            sum[d] += v.vector[d];
        ++count;
    });
    if (!ids.empty())
        finish();
    result.healthChecked = static_cast<std::int64_t>(ids.size());
    const auto issues = checkEmbeddingHealth(ids, perFile);
    if (issues.empty())
        return;
    std::unordered_map<std::int64_t, std::string> paths;
    for (const auto &f : lib.files())
        paths[f.id] = f.path;
    for (const auto &issue : issues)
        result.health.push_back({paths[issue.fileId], issue.reason});
    std::sort(result.health.begin(), result.health.end(),
        [](const IndexHealthIssue &a, const IndexHealthIssue &b) { return a.file < b.file; });
}

} // namespace

IndexResult runIndex(const IndexRequest &req, JobContext &ctx)
{
    const auto t0 = Clock::now();
    if (req.folders.empty())
        throw Error("nothing to index: give at least one folder or file");
    if (!(req.videoFps > 0))
        throw Error("the video frame rate must be positive");
    if (req.minVideoFrames < 0)
        throw Error("the minimum number of frames per video must be 0 (none) or positive");
    if (!(req.sceneThreshold >= 0) || !std::isfinite(req.sceneThreshold))
        throw Error("the scene-change threshold must be 0 (off) or positive");
    at::get_num_threads();
    c10::InferenceMode guard;
    IndexResult result;

    auto lib = Library::open(req.library);
    if (lib->isReadOnly())
        throw Error(req.library + ": cannot index into a read-only library (" + lib->readOnlyReason()
            + "); nothing was changed");

    ctx.report(0, 0, "loading model");
    const auto key = libraryModelKey(req.model);
    const auto device = resolveDevice(req.compute);
    const auto dtype = resolveDtype(req.compute);
    const auto rt = clip::acquireClipRuntime(ctx.models(), key.path, dtype, device);
    ctx.warn(key.path, rt->warnings());
    const auto dim = rt->inference().config().projection_dim;
    result.modelId = key.modelId;
    result.modelChanged = lib->registerModel({key.modelId, key.name, key.path, key.configHash, static_cast<int>(dim)});

    ctx.report(0, 0, "scanning");
    // planScan refuses a path that is neither a folder, a media file nor a file the library knows
    // (gone now, so removed) before anything is written; a file is a root of its own (library.cpp).
    const std::vector<fs::path> roots(req.folders.begin(), req.folders.end());
    auto plan = lib->planScan(roots, key.modelId);
    for (const auto &root : roots) {
        std::error_code ec;
        if (fs::exists(root, ec))
            lib->addFolder(root); // so that an empty folder is a root too
    }
    std::unordered_map<std::string, bool> known; // paths already in the library before apply
    for (const auto &f : lib->files())
        known[f.path] = true;
    lib->apply(plan);
    result.unchanged = static_cast<std::int64_t>(plan.unchanged.size());
    result.touched = static_cast<std::int64_t>(plan.touched.size());
    result.moved = static_cast<std::int64_t>(plan.moved.size());
    result.removed = static_cast<std::int64_t>(plan.removed.size());

    // Videos to embed: the plan's (storedFrames -1), then the short ones the scan left alone that
    // have fewer vectors than minVideoFrames (indexed by an older, sparser sampling): sampled again
    // if the clip has more frames to give.
    std::vector<const ScannedFile *> images;
    std::vector<std::pair<const ScannedFile *, std::int64_t>> videos;
    for (const auto &f : plan.toEmbed)
        if (f.kind == MediaKind::Video)
            videos.push_back({&f, -1});
        else
            images.push_back(&f);
    std::vector<ScannedFile> resample;
    const std::unordered_set<std::int64_t> unchangedIds(plan.unchanged.begin(), plan.unchanged.end());
#ifdef MODALLENS_HAVE_MEDIA
    constexpr bool canDecodeVideos = true;
#else
    constexpr bool canDecodeVideos = false; // an indexed video is not a failure here
#endif
    if (canDecodeVideos && req.minVideoFrames > 0) {
        std::unordered_set<std::int64_t> kept = unchangedIds;
        for (const auto &f : plan.touched)
            kept.insert(f.fileId);
        for (const auto &m : plan.moved)
            kept.insert(m.fileId);
        std::vector<std::int64_t> stored;
        for (const auto &f : lib->files()) {
            if (f.kind != MediaKind::Video || !f.error.empty() || !kept.count(f.id))
                continue;
            const auto n = lib->vectorCount(key.modelId, f.id);
            if (n > 0 && n < req.minVideoFrames) {
                resample.push_back({f.id, f.path, f.folderRoot, f.size, f.mtimeNs, f.contentHash, f.kind});
                stored.push_back(n);
            }
        }
        for (std::size_t i = 0; i < resample.size(); ++i)
            videos.push_back({&resample[i], stored[i]});
    }
    const auto total = static_cast<std::int64_t>(plan.toEmbed.size() + resample.size());
    std::int64_t done = 0;
    const auto countEmbedded = [&](const ScannedFile &f) {
        if (known.count(f.path))
            ++result.updated;
        else
            ++result.added;
    };
    const auto fail = [&](const ScannedFile &f, const std::string &error) {
        const std::string reason = failureReason(error, f.path);
        lib->setFileError(f.fileId, reason);
        result.failed.push_back({f.path, reason});
    };
    const auto changed = [&](const ScannedFile &f) { // not the file's fault: no error is stored
        result.failed.push_back({f.path, kChangedWhileIndexed});
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
                std::vector<bool> moved(errors.size(), false);
                std::int64_t row = 0;
                for (std::size_t i = 0; i < errors.size(); ++i) {
                    const auto &f = *images[first + i];
                    moved[i] = changedSinceScan(f); // a half-written file's decode error is no error either
                    if (!errors[i].empty())
                        continue;
                    const auto vector = embeddings[row++];
                    if (!moved[i])
                        commit.push_back({f.fileId, {{-1.0, rowToVector(vector)}}});
                }
                lib->commitEmbeddings(key.modelId, commit);
                for (std::size_t i = 0; i < errors.size(); ++i) {
                    const auto &f = *images[first + i];
                    if (moved[i])
                        changed(f);
                    else if (errors[i].empty())
                        countEmbedded(f);
                    else
                        fail(f, errors[i]);
                }
                embeddedVectors += static_cast<std::int64_t>(commit.size());
                done += static_cast<std::int64_t>(errors.size());
                ctx.report(done, total, "embedding");
            });
    }

    // Videos: one file at a time, frames at req.videoFps (faster for short clips) plus scene
    // changes, embedded in batches as they are decoded, committed per file (a file's vectors are
    // replaced as a whole, so a partial video is never stored).
    const VideoSampling sampling {req.videoFps, req.minVideoFrames, req.sceneThreshold};
    for (const auto &[vf, stored] : videos) {
        ctx.throwIfCancelled();
        auto v = embedVideo(vf->path, sampling, stored, *rt, req.batchSize, ctx);
        if (!v.error.empty() && changedSinceScan(*vf)) {
            changed(*vf);
        } else if (!v.error.empty()) {
            fail(*vf, v.error);
        } else if (!v.upToDate && changedSinceScan(*vf)) {
            changed(*vf);
        } else if (!v.upToDate) {
            const auto n = static_cast<std::int64_t>(v.vectors.size());
            lib->commitEmbeddings(key.modelId, {{vf->fileId, std::move(v.vectors)}});
            countEmbedded(*vf);
            if (stored >= 0) {
                ++result.resampled;
                result.unchanged -= unchangedIds.count(vf->fileId) ? 1 : 0;
            }
            embeddedVectors += n;
            result.frames += n;
            result.sceneFrames += v.sceneFrames;
        }
        ++done;
        ctx.report(done, total, "embedding");
    }
    const double embedSeconds = secondsSince(tEmbed);
    result.imagesPerS = embedSeconds > 0 ? static_cast<double>(embeddedVectors) / embedSeconds : 0.0;

    ctx.report(total, total, "checking embedding health");
    checkLibraryHealth(*lib, key.modelId, result);
    result.seconds = secondsSince(t0);
    return result;
}

} // namespace index

Job makeIndexJob(IndexRequest request)
{
    return {"Index " + std::to_string(request.folders.size()) + " location(s)", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return index::runIndex(req, ctx); }};
}

} // namespace ml
