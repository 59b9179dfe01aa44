// Embedding image files in batches with decoding overlapped: batch i + 1 is decoded and
// preprocessed on a thread pool while the model runs batch i. Shared by the CLIP service
// (classify, evaluate, embed) and the library indexer.
#pragma once

#include "common/error.h"
#include "engine/thread_pool.h"
#include "models/clip/clip_runtime.h"

#include <algorithm>
#include <functional>
#include <future>
#include <string>
#include <vector>

namespace ml::clip {

// onBatch(first, errors, embeddings) per batch, in file order: errors[i] is "" for each file of
// the batch that decoded; embeddings [decoded, P] on the CPU are theirs, in order (undefined when
// none decoded). Throws ml::Cancelled between batches once cancelled() says so. A video file is
// embedded on the frame at its middle; frameTimes (optional) gets, per file, that frame's time (-1
// for an image), filled for each batch before its onBatch.
template<class OnBatch>
void embedImageFiles(const ClipRuntime &rt, const std::vector<std::string> &files, int batchSize,
    const std::function<bool()> &cancelled, OnBatch onBatch, std::vector<double> *frameTimes = nullptr)
{
    if (frameTimes)
        frameTimes->assign(files.size(), -1.0);
    if (files.empty())
        return;
    const std::size_t batch = static_cast<std::size_t>(std::max(1, batchSize));
    ThreadPool pool(0);
    const auto decode = [&](std::size_t first) {
        const std::vector<std::string> chunk(files.begin() + static_cast<std::ptrdiff_t>(first),
            files.begin() + static_cast<std::ptrdiff_t>(std::min(files.size(), first + batch)));
        return std::async(std::launch::async,
            [&, chunk] { return preprocessFiles(chunk, rt.preprocess(), rt.imageSize(), pool, cancelled); });
    };
    auto next = decode(0);
    for (std::size_t first = 0; first < files.size(); first += batch) {
        PixelBatch pixels = next.get();
        if (first + batch < files.size())
            next = decode(first + batch);
        if (cancelled && cancelled())
            throw Cancelled();
        if (frameTimes)
            std::copy(pixels.frameTimes.begin(), pixels.frameTimes.end(),
                frameTimes->begin() + static_cast<std::ptrdiff_t>(first));
        std::vector<std::int64_t> ok;
        for (std::size_t i = 0; i < pixels.errors.size(); ++i)
            if (pixels.errors[i].empty())
                ok.push_back(static_cast<std::int64_t>(i));
        torch::Tensor embeddings;
        if (!ok.empty()) {
            const auto input = ok.size() == pixels.errors.size()
                ? pixels.pixels
                : pixels.pixels.index_select(0, torch::tensor(ok, torch::kLong));
            embeddings = rt.embedPixels(input).to(torch::kCPU);
        }
        onBatch(first, pixels.errors, embeddings);
    }
}

} // namespace ml::clip
