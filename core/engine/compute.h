// Where and in which number type a job computes: the user's --device / --dtype, the CPU kind
// (read from cpuid, or believed from MODALLENS_CPU_KIND) and DESIGN.md's policy per workload.
#pragma once

#include <string>

namespace ml {

// --device / --dtype, as the user gave them.
struct ComputeOptions {
    std::string device = "auto"; // auto|cpu|cuda
    std::string dtype = "auto";  // auto|fp32|bf16|fp16
};

// What the CPU offers the dtype policy. Detected once from cpuid; the environment variable
// MODALLENS_CPU_KIND=avx2|avx512|avx512-bf16|amx makes the detection believe another kind (only
// the policy changes, not the instructions LibTorch uses), so the suite can take both paths on
// any machine.
struct CpuKind {
    std::string name;        // "amx", "avx512-bf16", "avx512", "avx2", "other"
    bool nativeBf16 = false; // AVX512-BF16 or AMX: bf16 matrix products several times faster
    bool fromEnvironment = false;
    std::string warning; // MODALLENS_CPU_KIND held something unknown (then it is detected)
};
CpuKind detectCpuKind();                      // cpuid only
CpuKind cpuKindFrom(const char *environment); // MODALLENS_CPU_KIND's value (null: detect)
const CpuKind &cpuKind();                     // once per process, from the real environment
bool cpuHasNativeBf16();                      // cpuKind().nativeBf16

// What `--dtype auto` means depends on what the result is for. On CUDA it is fp16 for all; on a
// CPU with native bf16:
// - Clip: bf16 (embeddings within cosine 0.999 of fp32, ~3x the images/s);
// - Explain: fp32 (maps are compared with the fast path and between methods to 1e-4; the
//   explicit path runs in fp32 anyway);
// - Diffusion: fp32 (errors compound over hundreds of steps: a 10-step DDPM run ends 0.07 away
//   in bf16, and the panel exists to show the reference process).
// - Language: bf16 (decoding at batch 1 reads every weight once per token: half the bytes;
//   blip2-mini's Shapes VQA exact match is 87.9 % in bf16 against 88.0 % in fp32 on 1,000 items).
// Without native bf16, every workload runs in fp32. README's "Number types" has the figures.
enum class Workload { Clip, Explain, Diffusion, Language };

std::string resolveDevice(const ComputeOptions &c); // "cpu" | "cuda"; throws ml::Error for cuda without one
// "fp32" | "bf16" | "fp16"; throws ml::Error for an unknown name or fp16 on a CPU.
std::string resolveDtype(const ComputeOptions &c, Workload w = Workload::Clip);
std::string resolveDtype(const ComputeOptions &c, Workload w, const CpuKind &cpu); // with a given CPU kind
const char *workloadName(Workload w); // "clip", "explain", "diffusion", "language"

} // namespace ml
