// Ref: transformers/models/clip/modeling_clip.py (v4.40), CLIPEncoderLayer: x + attn(ln1(x)),
// then x + mlp(ln2(x)); the same maths as clip_inference.cpp's LibTorch path.
#include "models/clip/clip_cpu_forward.h"

#include "models/cpu/onednn_matmul.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <limits>

namespace ml::clip {

namespace {

using onednn::Matmul;
using onednn::Type;

// Rows split between the OpenMP team, at least `grain` rows a task.
template<class F> void forRows(std::int64_t rows, std::int64_t grain, F f)
{
    at::parallel_for(0, rows, grain, [&](std::int64_t begin, std::int64_t end) { f(begin, end - begin); });
}

struct Workspace {
    std::vector<std::uint8_t> h, qkv, attn, f, probs;
    std::vector<float> scores, mask;
};

void layerNormInto(
    const float *x, std::int64_t rows, std::int64_t C, const float *w, const float *b, float eps, void *out, bool bf16)
{
    forRows(rows, 16, [&](std::int64_t r0, std::int64_t n) {
        if (bf16)
            kernels::layerNormBf16(x + r0 * C, n, C, w, b, eps, static_cast<std::uint16_t *>(out) + r0 * C);
        else
            kernels::layerNormF32(x + r0 * C, n, C, w, b, eps, static_cast<float *>(out) + r0 * C);
    });
}

// attn [B, T, H, D] = softmax(q k^T / sqrt(D) + mask) v, reading q, k, v from qkv [B, T, 3, H, D].
void attention(const std::uint8_t *qkv, std::uint8_t *attn, Workspace &ws, std::int64_t B, std::int64_t T,
    std::int64_t H, std::int64_t C, bool causal, bool bf16)
{
    const std::int64_t D = C / H, es = bf16 ? 2 : 4;
    const Type cd = bf16 ? Type::Bf16 : Type::F32;
    Matmul qk;
    qk.b0 = B;
    qk.b1 = H;
    qk.m = T;
    qk.n = T;
    qk.k = D;
    qk.srcStrides = {T * 3 * C, D, 3 * C, 1}; // q[b, h, t, d]
    qk.weiStrides = {T * 3 * C, D, 1, 3 * C}; // k[b, h, t, d] read as [d, t]
    qk.dstStrides = {H * T * T, T * T, T, 1};
    qk.src = qk.wei = cd;
    qk.dst = Type::F32;
    onednn::run(qk, qkv, qkv + C * es, nullptr, ws.scores.data());

    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
    const float *mask = causal ? ws.mask.data() : nullptr;
    forRows(B * H * T, 64, [&](std::int64_t r0, std::int64_t n) {
        const float *s = ws.scores.data() + r0 * T;
        // Rows r0.. start at row r0 % T of the [T, T] mask.
        for (std::int64_t r = 0; r < n;) {
            const std::int64_t row = (r0 + r) % T, run = std::min(n - r, T - row);
            const float *m = mask ? mask + row * T : nullptr;
            if (bf16)
                kernels::softmaxBf16(s + r * T, run, T, scale, m, mask ? T : 0,
                    reinterpret_cast<std::uint16_t *>(ws.probs.data()) + (r0 + r) * T);
            else
                kernels::softmaxF32(s + r * T, run, T, scale, m, mask ? T : 0,
                    reinterpret_cast<float *>(ws.probs.data()) + (r0 + r) * T);
            r += run;
        }
    });

    Matmul pv = qk;
    pv.n = D;
    pv.k = T;
    pv.srcStrides = {H * T * T, T * T, T, 1};
    pv.weiStrides = {T * 3 * C, D, 3 * C, 1}; // v[b, h, t, d]
    pv.dstStrides = {T * C, D, C, 1};         // out[b, t, h, d]
    pv.src = cd;
    pv.dst = cd;
    onednn::run(pv, ws.probs.data(), qkv + 2 * C * es, nullptr, attn);
}

} // namespace

bool cpuForwardAvailable(bool bf16)
{
    return onednn::available() && onednn::supports(bf16 ? Type::Bf16 : Type::F32);
}

void runCpuEncoder(const CpuTower &tower, float *x, std::int64_t B, std::int64_t T, bool causal, bool bf16)
{
    const std::int64_t C = tower.hidden, I = tower.intermediate, H = tower.heads, M = B * T;
    const std::size_t es = bf16 ? 2 : 4;
    const Type cd = bf16 ? Type::Bf16 : Type::F32;
    thread_local Workspace ws;
    ws.h.resize(static_cast<std::size_t>(M * C) * es);
    ws.qkv.resize(static_cast<std::size_t>(M * 3 * C) * es);
    ws.attn.resize(static_cast<std::size_t>(M * C) * es);
    ws.f.resize(static_cast<std::size_t>(M * I) * es);
    ws.probs.resize(static_cast<std::size_t>(B * H * T * T) * es);
    ws.scores.resize(static_cast<std::size_t>(B * H * T * T));
    if (causal) {
        ws.mask.assign(static_cast<std::size_t>(T * T), 0.0f);
        for (std::int64_t i = 0; i < T; ++i)
            for (std::int64_t j = i + 1; j < T; ++j)
                ws.mask[static_cast<std::size_t>(i * T + j)] = -std::numeric_limits<float>::infinity();
    }

    Matmul qkv = Matmul::linear(M, 3 * C, C, cd, cd);
    qkv.bias = true;
    qkv.weiFormat = tower.qkvFormat;
    Matmul out = Matmul::linear(M, C, C, cd, Type::F32);
    out.bias = out.accumulate = true;
    out.weiFormat = tower.outFormat;
    Matmul fc1 = Matmul::linear(M, I, C, cd, cd);
    fc1.bias = true;
    fc1.act = tower.act;
    fc1.weiFormat = tower.fc1Format;
    Matmul fc2 = Matmul::linear(M, C, I, cd, Type::F32);
    fc2.bias = fc2.accumulate = true;
    fc2.weiFormat = tower.fc2Format;

    for (const CpuLayer &l : tower.layers) {
        layerNormInto(x, M, C, l.ln1Weight, l.ln1Bias, tower.eps, ws.h.data(), bf16);
        onednn::run(qkv, ws.h.data(), l.qkvWeight, l.qkvBias, ws.qkv.data());
        attention(ws.qkv.data(), ws.attn.data(), ws, B, T, H, C, causal, bf16);
        onednn::run(out, ws.attn.data(), l.outWeight, l.outBias, x);

        layerNormInto(x, M, C, l.ln2Weight, l.ln2Bias, tower.eps, ws.h.data(), bf16);
        onednn::run(fc1, ws.h.data(), l.fc1Weight, l.fc1Bias, ws.f.data());
        onednn::run(fc2, ws.f.data(), l.fc2Weight, l.fc2Bias, x);
    }
}

void cpuLinear(const void *in, const CpuWeight &w, float *out, std::int64_t m, std::int64_t k, bool bf16)
{
    Matmul mm = Matmul::linear(m, w.n, k, bf16 ? Type::Bf16 : Type::F32, Type::F32);
    mm.weiFormat = w.format;
    onednn::run(mm, in, w.data.data_ptr(), nullptr, out);
}

CpuWeight packForCpu(const torch::Tensor &w, bool bf16)
{
    const auto type = bf16 ? Type::Bf16 : Type::F32;
    const std::int64_t n = w.size(0), k = w.size(1);
    const auto packing = onednn::packingFor(n, k, type);
    if (packing.format < 0)
        return {w, n, -1};
    auto packed = at::empty({static_cast<std::int64_t>(packing.bytes)}, w.options().dtype(torch::kUInt8));
    onednn::packWeight(packing, w.data_ptr(), n, k, type, packed.data_ptr());
    return {packed, n, packing.format};
}

} // namespace ml::clip
