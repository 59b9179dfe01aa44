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

} // namespace index

Job makeIndexJob(IndexRequest request)
{
    return {"Index " + std::to_string(request.folders.size()) + " location(s)", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return index::runIndex(req, ctx); }};
}

} // namespace ml
