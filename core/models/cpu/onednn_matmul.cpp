// oneDNN 2.x matmul primitives, cached by shape. User-managed scratchpads (one per thread), so
// the same primitive may run on several threads at once whatever oneDNN was built with.
#include "models/cpu/onednn_matmul.h"

#include "common/error.h"

#include <cstdio>

#ifdef MODALLENS_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>
#endif

namespace ml::onednn {

Matmul Matmul::linear(std::int64_t m, std::int64_t n, std::int64_t k, Type in, Type out)
{
    Matmul mm;
    mm.m = m;
    mm.n = n;
    mm.k = k;
    mm.srcStrides = {m * k, m * k, k, 1};
    mm.weiStrides = {n * k, n * k, 1, k}; // [k, n] read from a row-major [n, k]
    mm.dstStrides = {m * n, m * n, n, 1};
    mm.src = mm.wei = in;
    mm.dst = out;
    return mm;
}

std::string Matmul::key() const
{
    char buf[320];
    std::snprintf(buf, sizeof buf,
        "%lld %lld %lld %lld %lld|%lld %lld %lld %lld|%lld %lld %lld %lld|%lld %lld %lld %lld|%d%d%d%d %g %d %d",
        static_cast<long long>(b0), static_cast<long long>(b1), static_cast<long long>(m), static_cast<long long>(n),
        static_cast<long long>(k), static_cast<long long>(srcStrides[0]), static_cast<long long>(srcStrides[1]),
        static_cast<long long>(srcStrides[2]), static_cast<long long>(srcStrides[3]),
        static_cast<long long>(weiStrides[0]), static_cast<long long>(weiStrides[1]),
        static_cast<long long>(weiStrides[2]), static_cast<long long>(weiStrides[3]),
        static_cast<long long>(dstStrides[0]), static_cast<long long>(dstStrides[1]),
        static_cast<long long>(dstStrides[2]), static_cast<long long>(dstStrides[3]), static_cast<int>(src),
        static_cast<int>(wei), static_cast<int>(dst), static_cast<int>(bias), static_cast<double>(scale),
        static_cast<int>(act), static_cast<int>(accumulate));
    if (weiFormat >= 0)
        return std::string(buf) + " packed " + std::to_string(weiFormat);
    return buf;
}

#ifdef MODALLENS_HAVE_DNNL

namespace {

using dnnl::memory;

struct Primitive {
    dnnl::matmul prim;
    memory::desc src, wei, bias, dst, scratchpad;
    std::size_t scratchpadBytes = 0;
};

dnnl::engine &cpuEngine()
{
    static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

memory::data_type dataType(Type t)
{
    return t == Type::Bf16 ? memory::data_type::bf16 : memory::data_type::f32;
}

// dims/strides of one operand: 4-D with the batch dims, or 2-D when there are none.
memory::desc operand(
    const Matmul &mm, std::int64_t rows, std::int64_t cols, const std::array<std::int64_t, 4> &s, Type t)
{
    if (mm.b0 == 1 && mm.b1 == 1)
        return memory::desc({rows, cols}, dataType(t), memory::dims {s[2], s[3]});
    return memory::desc({mm.b0, mm.b1, rows, cols}, dataType(t), memory::dims {s[0], s[1], s[2], s[3]});
}

// The packed weights' layouts, by format number.
std::mutex formatsLock;
std::vector<memory::desc> formats;

memory::desc packedFormat(int format)
{
    std::lock_guard<std::mutex> guard(formatsLock);
    return formats.at(static_cast<std::size_t>(format));
}

std::shared_ptr<Primitive> build(const Matmul &mm)
{
    auto p = std::make_shared<Primitive>();
    p->src = operand(mm, mm.m, mm.k, mm.srcStrides, mm.src);
    p->wei = mm.weiFormat >= 0 ? packedFormat(mm.weiFormat) : operand(mm, mm.k, mm.n, mm.weiStrides, mm.wei);
    p->dst = operand(mm, mm.m, mm.n, mm.dstStrides, mm.dst);
    const bool batched = !(mm.b0 == 1 && mm.b1 == 1);
    if (mm.bias)
        p->bias = batched ? memory::desc({1, 1, 1, mm.n}, memory::data_type::f32, memory::dims {mm.n, mm.n, mm.n, 1})
                          : memory::desc({1, mm.n}, memory::data_type::f32, memory::dims {mm.n, 1});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (mm.scale != 1.0f)
        attr.set_output_scales(0, {mm.scale});
    dnnl::post_ops ops;
    switch (mm.act) {
    case kernels::Activation::None:
        break;
    case kernels::Activation::QuickGelu: // x * sigmoid(1.702 x)
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.702f, 0.0f);
        break;
    case kernels::Activation::Gelu:
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
        break;
    case kernels::Activation::GeluTanh:
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_tanh, 0.0f, 0.0f);
        break;
    }
    if (mm.accumulate)
        ops.append_sum(1.0f);
    attr.set_post_ops(ops);
    const auto desc
        = mm.bias ? dnnl::matmul::desc(p->src, p->wei, p->bias, p->dst) : dnnl::matmul::desc(p->src, p->wei, p->dst);
    const dnnl::matmul::primitive_desc pd(desc, attr, cpuEngine());
    p->scratchpad = pd.scratchpad_desc();
    p->scratchpadBytes = p->scratchpad.get_size();
    p->prim = dnnl::matmul(pd);
    return p;
}

std::shared_ptr<Primitive> primitiveFor(const Matmul &mm)
{
    static std::mutex lock;
    static std::unordered_map<std::string, std::shared_ptr<Primitive>> cache;
    const std::string key = mm.key();
    std::lock_guard<std::mutex> guard(lock);
    // Each batch size and text length is a shape of its own: bounded, so that a long session of
    // ever new shapes does not keep every JIT kernel it ever built (a running product holds its
    // own reference).
    constexpr std::size_t kMaxPrimitives = 512;
    if (cache.size() >= kMaxPrimitives && cache.find(key) == cache.end())
        cache.clear();
    auto &slot = cache[key];
    if (!slot) {
        try {
            slot = build(mm);
        } catch (const dnnl::error &e) {
            cache.erase(key);
            throw Error(std::string("oneDNN cannot run the matrix product ") + key + ": " + e.what());
        }
    }
    return slot;
}

} // namespace

bool available()
{
    return true;
}

bool supports(Type type)
{
    static const bool bf16 = [] {
        try {
            const memory::desc md({16, 16}, memory::data_type::bf16, memory::dims {16, 1});
            dnnl::matmul::primitive_desc(dnnl::matmul::desc(md, md, md), cpuEngine());
            return true;
        } catch (const dnnl::error &) {
            return false;
        }
    }();
    return type == Type::F32 || bf16;
}

Packing packingFor(std::int64_t n, std::int64_t k, Type type)
{
    // The layout oneDNN picks for a product of a few rows (one image's 50 tokens) with this weight.
    const memory::desc src({64, k}, dataType(type), memory::dims {k, 1});
    const memory::desc any({k, n}, dataType(type), memory::format_tag::any);
    const memory::desc plain({k, n}, dataType(type), memory::dims {1, k});
    const memory::desc dst({64, n}, dataType(type), memory::dims {n, 1});
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, any, dst), cpuEngine());
    const memory::desc chosen = pd.weights_desc();
    if (chosen == plain)
        return {};
    std::lock_guard<std::mutex> guard(formatsLock);
    const auto it = std::find(formats.begin(), formats.end(), chosen);
    Packing packing;
    packing.format = static_cast<int>(it - formats.begin());
    if (it == formats.end())
        formats.push_back(chosen);
    packing.bytes = chosen.get_size();
    return packing;
}

void packWeight(const Packing &packing, const void *weight, std::int64_t n, std::int64_t k, Type type, void *out)
{
    const memory::desc plain({k, n}, dataType(type), memory::dims {1, k});
    auto &engine = cpuEngine();
    memory from(plain, engine, const_cast<void *>(weight)), to(packedFormat(packing.format), engine, out);
    dnnl::stream stream(engine);
    dnnl::reorder(from, to).execute(stream, from, to);
    stream.wait();
}

void run(const Matmul &mm, const void *src, const void *wei, const float *bias, void *dst)
{
    const auto p = primitiveFor(mm);
    auto &engine = cpuEngine();
    thread_local dnnl::stream stream(engine);
    thread_local std::vector<std::uint8_t> scratchpad;
    if (scratchpad.size() < p->scratchpadBytes)
        scratchpad.resize(p->scratchpadBytes);
    std::unordered_map<int, memory> args {{DNNL_ARG_SRC, memory(p->src, engine, const_cast<void *>(src))},
        {DNNL_ARG_WEIGHTS, memory(p->wei, engine, const_cast<void *>(wei))},
        {DNNL_ARG_DST, memory(p->dst, engine, dst)},
        {DNNL_ARG_SCRATCHPAD, memory(p->scratchpad, engine, scratchpad.data())}};
    if (mm.bias)
        args.emplace(DNNL_ARG_BIAS, memory(p->bias, engine, const_cast<float *>(bias)));
    p->prim.execute(stream, args);
    stream.wait();
}

const char *isaName()
{
    switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx2:
        return "avx2";
    case dnnl::cpu_isa::avx2_vnni:
        return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core:
        return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
        return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
        return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
        return "avx512_core_amx";
    default:
        return "other";
    }
}

#else

bool available()
{
    return false;
}

bool supports(Type)
{
    return false;
}

Packing packingFor(std::int64_t, std::int64_t, Type)
{
    return {};
}

void packWeight(const Packing &, const void *, std::int64_t, std::int64_t, Type, void *)
{
    throw Error("this build has no oneDNN (libdnnl-dev 2.x)");
}

void run(const Matmul &, const void *, const void *, const float *, void *)
{
    throw Error("this build has no oneDNN (libdnnl-dev 2.x); the CPU fast path is unavailable");
}

const char *isaName()
{
    return "none";
}

#endif

} // namespace ml::onednn
