// The device and dtype policy of compute.h: cpuid, MODALLENS_CPU_KIND, and auto per workload.
#include "engine/compute.h"

#include "common/error.h"

#include <ATen/Context.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <mutex>

namespace ml {

CpuKind detectCpuKind()
{
    CpuKind k;
    k.name = "other";
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) // OSXSAVE
        return k;
    std::uint32_t xcr0Low = 0, xcr0High = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0Low), "=d"(xcr0High) : "c"(0));
    const std::uint64_t xcr0 = (static_cast<std::uint64_t>(xcr0High) << 32) | xcr0Low;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return k;
    const unsigned maxSubleaf = eax;
    const bool avx2 = (ebx & (1u << 5)) && (xcr0 & 0x6) == 0x6;
    // AVX-512 needs the OS to save its state too (XCR0 bits 1, 2, 5-7).
    const bool avx512 = (ebx & (1u << 16)) && (xcr0 & 0xE6) == 0xE6;
    // AMX-BF16: leaf 7.0 EDX bit 22, with the OS saving the tile state (XCR0 bits 17, 18).
    const bool amx = (edx & (1u << 22)) && (xcr0 & 0x60000) == 0x60000;
    // AVX512_BF16: leaf 7.1 EAX bit 5.
    bool avx512bf16 = false;
    if (avx512 && maxSubleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx))
        avx512bf16 = (eax & (1u << 5)) != 0;
    k.nativeBf16 = amx || avx512bf16;
    k.name = amx ? "amx" : avx512bf16 ? "avx512-bf16" : avx512 ? "avx512" : avx2 ? "avx2" : "other";
#endif
    return k;
}

CpuKind cpuKindFrom(const char *environment)
{
    if (!environment || !*environment)
        return detectCpuKind();
    const std::string v = environment;
    for (const char *name : {"avx2", "avx512", "avx512-bf16", "amx"})
        if (v == name) {
            CpuKind k;
            k.name = v;
            k.nativeBf16 = v == "avx512-bf16" || v == "amx";
            k.fromEnvironment = true;
            return k;
        }
    CpuKind k = detectCpuKind();
    k.warning = "MODALLENS_CPU_KIND='" + v + "' is not a CPU kind (avx2, avx512, avx512-bf16, amx); using the detected "
        + k.name;
    return k;
}

const CpuKind &cpuKind()
{
    static const CpuKind kind = [] {
        CpuKind k = cpuKindFrom(std::getenv("MODALLENS_CPU_KIND"));
        if (!k.warning.empty())
            std::cerr << "modallens: " << k.warning << std::endl;
        return k;
    }();
    return kind;
}

bool cpuHasNativeBf16()
{
    return cpuKind().nativeBf16;
}

namespace {

// "cuda", once per process with cuDNN's TF32 off: LibTorch lets cuDNN's convolutions round float32
// to TF32 by default (cuBLAS's matrix products not, since 1.12), so --dtype fp32 on CUDA would not
// be the float32 the golden fixtures and the Diffusion panel's reference process are; fp16 is the
// fast path on CUDA.
std::string cudaDevice()
{
    static std::once_flag once;
    std::call_once(once, [] { at::globalContext().setAllowTF32CuDNN(false); });
    return "cuda";
}

} // namespace

std::string resolveDevice(const ComputeOptions &c)
{
    if (c.device == "cpu")
        return "cpu";
    if (c.device == "cuda") {
        if (!at::hasCUDA())
            throw Error("--device cuda: LibTorch sees no CUDA device here; use --device cpu (or auto)");
        return cudaDevice();
    }
    if (c.device == "auto" || c.device.empty())
        return at::hasCUDA() ? cudaDevice() : "cpu";
    throw Error("unknown device '" + c.device + "' (expected auto, cpu or cuda)");
}

const char *workloadName(Workload w)
{
    switch (w) {
    case Workload::Clip:
        return "clip";
    case Workload::Explain:
        return "explain";
    case Workload::Diffusion:
        return "diffusion";
    case Workload::Language:
        return "language";
    }
    return "clip";
}

std::string resolveDtype(const ComputeOptions &c, Workload w, const CpuKind &cpu)
{
    const std::string device = resolveDevice(c);
    if (c.dtype == "auto" || c.dtype.empty()) {
        if (device == "cuda")
            return "fp16";
        return cpu.nativeBf16 && (w == Workload::Clip || w == Workload::Language) ? "bf16" : "fp32";
    }
    if (c.dtype == "fp16" && device != "cuda")
        throw Error("fp16 needs a CUDA device; use bf16 or fp32");
    if (c.dtype == "fp32" || c.dtype == "bf16" || c.dtype == "fp16")
        return c.dtype;
    throw Error("unknown dtype '" + c.dtype + "' (expected auto, fp32, bf16 or fp16)");
}

std::string resolveDtype(const ComputeOptions &c, Workload w)
{
    return resolveDtype(c, w, cpuKind());
}

} // namespace ml
