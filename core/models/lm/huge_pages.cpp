// One mapping for all the tensors, 2 MiB-aligned, madvise(MADV_HUGEPAGE) before the first touch
// so the copies fault in huge pages directly (khugepaged would take minutes to collapse them).
#include "models/lm/huge_pages.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#ifdef __linux__
#include <malloc.h>
#include <sys/mman.h>
#endif

namespace ml::lm {

namespace {

constexpr std::int64_t kHuge = std::int64_t(2) << 20;
constexpr std::int64_t kAlign = 64;

std::int64_t roundUp(std::int64_t n, std::int64_t to)
{
    return (n + to - 1) / to * to;
}

bool hugePagesOffered()
{
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string line;
    return std::getline(in, line) && line.find("[never]") == std::string::npos;
}

bool movable(const torch::Tensor &t)
{
    return t.defined() && t.device().is_cpu() && t.is_contiguous() && t.numel() > 0;
}

} // namespace

std::int64_t moveToHugePages(const std::vector<torch::Tensor> &tensors)
{
#ifdef __linux__
    if (!hugePagesOffered())
        return 0;
    std::int64_t total = 0;
    for (const auto &t : tensors)
        if (movable(t))
            total += roundUp(static_cast<std::int64_t>(t.nbytes()), kAlign);
    if (total < kHuge)
        return 0;
    const auto mapped = static_cast<std::size_t>(roundUp(total, kHuge) + kHuge);
    void *raw = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return 0;
    auto arena = std::shared_ptr<void>(raw, [mapped](void *p) { munmap(p, mapped); });
    const auto address = reinterpret_cast<std::uintptr_t>(raw);
    char *base = static_cast<char *>(raw) + (roundUp(static_cast<std::int64_t>(address), kHuge) - address);
    madvise(base, static_cast<std::size_t>(roundUp(total, kHuge)), MADV_HUGEPAGE);
    std::int64_t offset = 0, untrimmed = 0;
    for (auto t : tensors) {
        if (!movable(t))
            continue;
        char *to = base + offset;
        std::memcpy(to, t.data_ptr(), t.nbytes());
        offset += roundUp(static_cast<std::int64_t>(t.nbytes()), kAlign);
        untrimmed += static_cast<std::int64_t>(t.nbytes());
        t.set_data(torch::from_blob(
            to, t.sizes(), t.strides(), [arena](void *) {}, t.options()));
        // The old storage is free now; give it back to the system before the next copy (glibc
        // keeps freed heap blocks, so without this the peak would be twice the model).
        if (untrimmed >= (std::int64_t(64) << 20)) {
            malloc_trim(0);
            untrimmed = 0;
        }
    }
    malloc_trim(0);
    return offset;
#else
    (void)tensors;
    return 0;
#endif
}

double measureReadBandwidth(std::int64_t bytes, int passes)
{
    const auto words = std::max<std::int64_t>(bytes / 8, 1 << 20);
    auto buffer = at::ones({words}, at::kLong);
    moveToHugePages({buffer});
    const auto *data = buffer.data_ptr<std::int64_t>();
    double best = 0.0;
    for (int p = 0; p < std::max(passes, 1); ++p) {
        std::vector<std::int64_t> sums(static_cast<std::size_t>(at::get_num_threads()) + 1, 0);
        const auto t0 = std::chrono::steady_clock::now();
        at::parallel_for(0, words, 1 << 16, [&](std::int64_t b, std::int64_t e) {
            std::int64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0; // four chains: the adds keep up with the loads
            std::int64_t i = b;
            for (; i + 4 <= e; i += 4) {
                s0 += data[i];
                s1 += data[i + 1];
                s2 += data[i + 2];
                s3 += data[i + 3];
            }
            for (; i < e; ++i)
                s0 += data[i];
            sums[static_cast<std::size_t>(at::get_thread_num())] += s0 + s1 + s2 + s3;
        });
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::int64_t total = 0;
        for (auto v : sums)
            total += v;
        if (total != words) // every word is 1: a short read would show here
            return 0.0;
        best = std::max(best, static_cast<double>(words * 8) / s / 1e9);
    }
    return best;
}

} // namespace ml::lm
