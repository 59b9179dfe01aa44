// Near-duplicate groups (engine/index_service.h's makeDuplicatesJob): one unit vector per file
// (an image's, or the normalised mean of a video's frames), grouped greedily in path order: each
// file not yet in a group starts one and takes every later ungrouped file whose cosine to it
// reaches the threshold. The similarities come from blocked matrix products over the later
// files only, so memory stays bounded (a block of rows by a chunk of columns) at 100k files.
#include "index/duplicates.h"

#include "common/error.h"
#include "index/search_cache.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

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
    const auto lib = SearchCache::instance().acquire(req.library, key, &ctx, false);
    if (lib->report.configChanged || (!lib->vectors && !lib->report.otherModels.empty()))
        throw Error(req.library + ": " + lib->report.message);
    DuplicatesResult out;
    out.modelId = key.modelId;
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
    std::vector<std::vector<std::pair<std::int64_t, float>>> members(static_cast<std::size_t>(n));
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
                    if (v >= t && owner[static_cast<std::size_t>(j)] < 0) {
                        owner[static_cast<std::size_t>(j)] = i;
                        members[static_cast<std::size_t>(i)].push_back({j, v});
                    }
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
        for (const auto &[j, v] : mem) {
            g.files.push_back(lib->files[static_cast<std::size_t>(files[static_cast<std::size_t>(j)])].path);
            g.scores.push_back(std::min(v, 1.0f));
        }
        out.groups.push_back(std::move(g));
    }
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
