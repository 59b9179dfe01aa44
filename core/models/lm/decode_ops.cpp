// Decode-step kernels shared by OPT and LLaMA. See decode_ops.h.
#include "models/lm/decode_ops.h"

#include "gemv.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ml::lm {

torch::Tensor linearOne(
    const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b, std::optional<torch::ScalarType> outType)
{
    const auto type = w.scalar_type();
    if (!x.device().is_cpu() || x.numel() != w.size(1) || torch::GradMode::is_enabled() || !w.is_contiguous()
        || (type != torch::kFloat && type != torch::kBFloat16)) {
        auto y = b.defined() ? torch::linear(x, w, b) : torch::linear(x, w);
        return outType ? y.to(*outType) : y;
    }
    const auto N = w.size(0), K = w.size(1);
    const auto xf = x.to(torch::kFloat).contiguous();
    const auto bf = b.defined() ? b.to(torch::kFloat).contiguous() : torch::Tensor();
    auto y = torch::empty({N}, torch::kFloat);
    const float *xp = xf.data_ptr<float>();
    const float *bp = bf.defined() ? bf.data_ptr<float>() : nullptr;
    float *yp = y.data_ptr<float>();
    at::parallel_for(0, N, 128, [&](std::int64_t r0, std::int64_t r1) {
        if (type == torch::kFloat)
            kernels::gemvF32(w.data_ptr<float>(), xp, bp, yp, r0, r1, K);
        else
            kernels::gemvBf16(
                reinterpret_cast<const std::uint16_t *>(w.data_ptr<at::BFloat16>()), xp, bp, yp, r0, r1, K);
    });
    auto shape = x.sizes().vec();
    shape.back() = N;
    return y.view(shape).to(outType.value_or(x.scalar_type()));
}

torch::Tensor linearAny(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b)
{
    if (x.numel() == x.size(-1))
        return linearOne(x, w, b);
    return b.defined() ? torch::linear(x, w, b) : torch::linear(x, w);
}

bool decodeFastPath(const torch::Tensor &x, const torch::Tensor *keys, bool masked)
{
    return keys && x.size(0) == 1 && x.size(1) == 1 && keys->device().is_cpu() && keys->scalar_type() == torch::kFloat
        && !torch::GradMode::is_enabled() && !masked;
}

// For the few hundred positions of a chat, ATen's batched products cost more in dispatch than in
// arithmetic: plain SIMD loops, the heads split between the threads once the cache is long enough.
torch::Tensor attendOne(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v, torch::Tensor &keys,
    torch::Tensor &values, std::int64_t past, std::int64_t heads, std::int64_t kvHeads, torch::Tensor *probs)
{
    const auto C = q.numel(), D = C / heads, L = past + 1, cap = keys.size(2), group = heads / kvHeads;
    float *K = keys.data_ptr<float>(), *V = values.data_ptr<float>();
    const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>();
    for (std::int64_t g = 0; g < kvHeads; ++g) { // the new key and value of every key-value head
        std::copy(kp + g * D, kp + (g + 1) * D, K + (g * cap + past) * D);
        std::copy(vp + g * D, vp + (g + 1) * D, V + (g * cap + past) * D);
    }
    auto out = torch::zeros({C}, torch::kFloat);
    auto weights = torch::empty({1, heads, 1, L}, torch::kFloat);
    float *o = out.data_ptr<float>(), *P = weights.data_ptr<float>();
    at::parallel_for(0, heads, heads * L * D < (1 << 18) ? heads : 1, [&](std::int64_t h0, std::int64_t h1) {
        for (std::int64_t h = h0; h < h1; ++h) {
            const std::int64_t g = h / group;
            const float *Kh = K + g * cap * D, *Vh = V + g * cap * D, *qh = qp + h * D;
            float *p = P + h * L, *oh = o + h * D;
            float top = -std::numeric_limits<float>::infinity();
            for (std::int64_t j = 0; j < L; ++j) {
                const float *kj = Kh + j * D;
                float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
                for (std::int64_t d = 0; d < D; ++d)
                    acc += qh[d] * kj[d];
                p[j] = acc;
                top = std::max(top, acc);
            }
            float sum = 0.0f;
            for (std::int64_t j = 0; j < L; ++j) {
                p[j] = std::exp(p[j] - top);
                sum += p[j];
            }
            const float inv = 1.0f / sum;
            for (std::int64_t j = 0; j < L; ++j) {
                p[j] *= inv;
                const float pj = p[j], *vj = Vh + j * D;
#pragma omp simd
                for (std::int64_t d = 0; d < D; ++d)
                    oh[d] += pj * vj[d];
            }
        }
    });
    if (probs)
        *probs = weights;
    return out;
}

torch::Tensor causalMask(const torch::Tensor &attentionMask, std::int64_t past, std::int64_t B, std::int64_t T,
    torch::ScalarType dtype, const torch::Device &device)
{
    if (T == 1 && !attentionMask.defined())
        return {};
    const auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
    auto q = torch::arange(past, past + T, opts).unsqueeze(1);
    auto k = torch::arange(0, past + T, opts).unsqueeze(0);
    auto blocked = (k > q).view({1, 1, T, past + T}).expand({B, 1, T, past + T});
    if (attentionMask.defined())
        blocked = blocked.logical_or((attentionMask == 0).view({B, 1, 1, past + T}));
    const double minValue = dtype == torch::kFloat ? std::numeric_limits<float>::lowest() : -65504.0;
    return torch::zeros({B, 1, T, past + T}, torch::TensorOptions().dtype(dtype).device(device))
        .masked_fill(blocked, minValue);
}

} // namespace ml::lm
