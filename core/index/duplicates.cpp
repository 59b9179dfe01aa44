// Near-duplicate groups (engine/index_service.h's makeDuplicatesJob): one unit vector per file
// (an image's, or the normalised mean of a video's frames), grouped greedily in path order: each
// file not yet in a group starts one and takes every later ungrouped file whose cosine to it
// reaches the threshold and whose perceptual hash is close enough to its own. The similarities
// come from blocked matrix products over the later files only, so memory stays bounded (a block of
// rows by a chunk of columns) at 100k files; only files with a candidate are decoded and hashed,
// on a small pool, each once.
#include "index/duplicates.h"

#include "common/error.h"
#include "engine/thread_pool.h"
#include "index/search_cache.h"
#include "io/media.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <limits>

namespace fs = std::filesystem;

namespace ml {

namespace index {

namespace {

constexpr std::int64_t kBlockRows = 512;  // representatives compared at once
constexpr std::int64_t kChunkCols = 8192; // files they are compared with per product ([512, 8192] floats: 16 MB)
constexpr std::int64_t kMeanRows = 65536; // stored rows widened to fp32 at once for the means

// [F, D] unit rows: per file the normalised mean of its rows.
torch::Tensor fileVectors(const CachedLibrary &lib, const std::vector<std::int32_t> &files, JobContext &ctx)
{
    const auto numFiles = static_cast<std::int64_t>(files.size());
    auto out = torch::zeros({numFiles, lib.dim}, torch::kFloat);
    std::vector<std::int64_t> rows, seg;
    auto flush = [&] {
        if (rows.empty())
            return;
        const auto x = lib.vectors->rowsAt(rows);
        out.index_add_(0, torch::tensor(seg, torch::kLong), x);
        rows.clear();
        seg.clear();
        ctx.throwIfCancelled();
    };
    for (std::int64_t f = 0; f < numFiles; ++f) {
        for (const auto r : lib.fileRows[static_cast<std::size_t>(files[static_cast<std::size_t>(f)])]) {
            rows.push_back(r);
            seg.push_back(f);
        }
        if (static_cast<std::int64_t>(rows.size()) >= kMeanRows)
            flush();
    }
    flush();
    return (out / out.norm(2, 1, true).clamp_min(1e-12)).contiguous();
}

// A file's perceptual hashes: one for a picture, three for a video (at 25, 50 and 75 % of it).
struct PictureHash {
    bool done = false;
    std::vector<std::uint64_t> bits;
    std::string error; // the picture could not be read
};

#ifdef MODALLENS_HAVE_MEDIA
constexpr int kHashSide = 256; // decoded at most this big: PHash looks at 32 x 32

PictureHash hashFile(const FileRecord &file)
{
    PictureHash h;
    h.done = true;
    try {
        if (file.kind == MediaKind::Video) {
            io::VideoDecoder video(file.path);
            const double d = video.info().durationS;
            for (const double at : {0.25, 0.5, 0.75})
                h.bits.push_back(io::perceptualHash(video.frameAt(at * d, kHashSide).image));
        } else {
            h.bits.push_back(io::perceptualHash(io::makeThumbnail(file.path, kHashSide)));
        }
    } catch (const std::exception &e) {
        h.bits.clear();
        h.error = e.what();
        if (h.error.find(file.path) == std::string::npos) {
            const std::string name = fs::path(file.path).filename().string() + ": ";
            h.error = file.path + ": " + (h.error.rfind(name, 0) == 0 ? h.error.substr(name.size()) : h.error);
        }
    }
    return h;
}
#endif

// Bits that differ: two videos at their three moments (the largest), a video and a picture by the
// video's middle frame.
int pictureDistance(const PictureHash &a, const PictureHash &b)
{
    if (a.bits.size() == b.bits.size()) {
        int d = 0;
        for (std::size_t i = 0; i < a.bits.size(); ++i)
            d = std::max(d, io::hashDistance(a.bits[i], b.bits[i]));
        return d;
    }
    const auto mid = [](const PictureHash &h) { return h.bits[h.bits.size() / 2]; };
    return io::hashDistance(mid(a), mid(b));
}

} // namespace

DuplicatesResult runDuplicates(const DuplicatesRequest &req, JobContext &ctx)
{
    if (!(req.threshold > 0.0 && req.threshold <= 1.0))
        throw Error("the near-duplicate threshold must be in (0, 1], got " + std::to_string(req.threshold));
    std::error_code ec;
    if (!fs::exists(req.library, ec))
        throw Error(req.library + ": no such library (create it with `modallens-cli index`)");
    at::get_num_threads();
    c10::InferenceMode guard;
    const auto key = libraryModelKey(req.model);
    const auto lib = ctx.state().owned<SearchCache>().acquire(req.library, key, &ctx, false);
    if (lib->report.configChanged || (!lib->vectors && !lib->report.otherModels.empty()))
        throw Error(req.library + ": " + lib->report.message);
    DuplicatesResult out;
    out.modelId = key.modelId;
#ifdef MODALLENS_HAVE_MEDIA
    out.hashed = req.maxHashDistance >= 0;
#endif
    if (!lib->vectors)
        return out;

    // The files compared, in path order (lib.files is sorted by path): those the filter allows
    // that have vectors.
    const auto ok = allowedFiles(*lib, req.filter);
    std::vector<std::int32_t> files;
    for (std::size_t i = 0; i < lib->files.size(); ++i)
        if (ok[i] && !lib->fileRows[i].empty())
            files.push_back(static_cast<std::int32_t>(i));
    const auto n = static_cast<std::int64_t>(files.size());
    out.files = n;
    if (n < 2)
        return out;
    ctx.report(0, n, "averaging vectors");
    const auto m = fileVectors(*lib, files, ctx);

    const float t = static_cast<float>(req.threshold);
    std::vector<std::int64_t> owner(static_cast<std::size_t>(n), -1); // the representative of a grouped file
    std::vector<std::uint8_t> rep(static_cast<std::size_t>(n), 0);
    struct Member {
        std::int64_t file;
        float score;
        int hashDistance;
    };
    std::vector<std::vector<Member>> members(static_cast<std::size_t>(n));

    // Hashes of the files a chunk's candidate pairs name, made on the pool before the chunk is
    // decided (the decisions stay sequential, in path order).
    std::vector<PictureHash> hashes(out.hashed ? static_cast<std::size_t>(n) : 0);
    std::unique_ptr<ThreadPool> pool;
    const auto hashAll = [&](std::vector<std::int64_t> &need) {
#ifdef MODALLENS_HAVE_MEDIA
        std::sort(need.begin(), need.end());
        need.erase(std::unique(need.begin(), need.end()), need.end());
        if (need.empty())
            return;
        if (!pool)
            pool = std::make_unique<ThreadPool>();
        for (const auto f : need)
            pool->post([&, f] {
                if (!ctx.isCancelled())
                    hashes[static_cast<std::size_t>(f)]
                        = hashFile(lib->files[static_cast<std::size_t>(files[static_cast<std::size_t>(f)])]);
            });
        pool->waitIdle();
        ctx.throwIfCancelled();
#else
        (void)need;
#endif
    };
    // -1: no hashes (vectors only); past the limit when either picture could not be read.
    const auto distance = [&](std::int64_t i, std::int64_t j) {
        if (!out.hashed)
            return -1;
        const auto &a = hashes[static_cast<std::size_t>(i)], &b = hashes[static_cast<std::size_t>(j)];
        if (a.bits.empty() || b.bits.empty())
            return std::numeric_limits<int>::max();
        return pictureDistance(a, b);
    };
    for (std::int64_t b0 = 0; b0 < n; b0 += kBlockRows) {
        const std::int64_t b1 = std::min(b0 + kBlockRows, n);
        ctx.report(b0, n, "comparing");
        ctx.throwIfCancelled();
        // Only files still ungrouped can become representatives.
        std::vector<std::int64_t> cand;
        for (std::int64_t i = b0; i < b1; ++i)
            if (owner[static_cast<std::size_t>(i)] < 0)
                cand.push_back(i);
        if (cand.empty())
            continue;
        const auto rowsM = m.index_select(0, torch::tensor(cand, torch::kLong)); // [C, D]
        for (std::int64_t c0 = b0; c0 < n; c0 += kChunkCols) {
            const std::int64_t c1 = std::min(c0 + kChunkCols, n);
            const auto s = rowsM.mm(m.slice(0, c0, c1).t()).contiguous(); // [C, c1 - c0]
            const auto acc = s.accessor<float, 2>();
            if (out.hashed) {
                std::vector<std::int64_t> need;
                for (std::size_t ci = 0; ci < cand.size(); ++ci) {
                    const std::int64_t i = cand[ci];
                    for (std::int64_t j = std::max(c0, i + 1); j < c1; ++j)
                        if (acc[static_cast<std::int64_t>(ci)][j - c0] >= t && owner[static_cast<std::size_t>(j)] < 0) {
                            for (const auto f : {i, j})
                                if (!hashes[static_cast<std::size_t>(f)].done)
                                    need.push_back(f);
                        }
                }
                hashAll(need);
            }
            for (std::size_t ci = 0; ci < cand.size(); ++ci) {
                const std::int64_t i = cand[ci];
                if (c0 == b0) {
                    // The first chunk holds the block itself: decide in order whether i leads a group.
                    if (owner[static_cast<std::size_t>(i)] >= 0)
                        continue;
                    rep[static_cast<std::size_t>(i)] = 1;
                } else if (!rep[static_cast<std::size_t>(i)]) {
                    continue;
                }
                for (std::int64_t j = std::max(c0, i + 1); j < c1; ++j) {
                    const float v = acc[static_cast<std::int64_t>(ci)][j - c0];
                    if (v < t || owner[static_cast<std::size_t>(j)] >= 0)
                        continue;
                    const int d = distance(i, j);
                    ++out.candidatePairs;
                    if (d > req.maxHashDistance) {
                        ++out.rejectedPairs;
                        continue;
                    }
                    owner[static_cast<std::size_t>(j)] = i;
                    members[static_cast<std::size_t>(i)].push_back({j, v, d});
                }
            }
        }
    }
    ctx.report(n, n, "comparing");

    for (std::int64_t i = 0; i < n; ++i) {
        const auto &mem = members[static_cast<std::size_t>(i)];
        if (mem.empty())
            continue;
        DuplicateGroup g;
        g.files.push_back(lib->files[static_cast<std::size_t>(files[static_cast<std::size_t>(i)])].path);
        g.scores.push_back(1.0f);
        g.hashDistances.push_back(out.hashed ? 0 : -1);
        for (const auto &mb : mem) {
            g.files.push_back(lib->files[static_cast<std::size_t>(files[static_cast<std::size_t>(mb.file)])].path);
            g.scores.push_back(std::min(mb.score, 1.0f));
            g.hashDistances.push_back(mb.hashDistance);
        }
        out.groups.push_back(std::move(g));
    }
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(hashes.size()); ++i)
        if (!hashes[static_cast<std::size_t>(i)].error.empty())
            out.unreadable.push_back({lib->files[static_cast<std::size_t>(files[static_cast<std::size_t>(i)])].path,
                hashes[static_cast<std::size_t>(i)].error});
    // Largest first; equal sizes in their representatives' path order (stable: already so).
    std::stable_sort(out.groups.begin(), out.groups.end(),
        [](const DuplicateGroup &a, const DuplicateGroup &b) { return a.files.size() > b.files.size(); });
    return out;
}

} // namespace index

Job makeDuplicatesJob(DuplicatesRequest request)
{
    return {"Near-duplicates", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return index::runDuplicates(req, ctx); }};
}

} // namespace ml
