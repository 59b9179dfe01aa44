// The GPU tests' harness, without Qt (a GPU box has LibTorch and nothing else): checks that
// record a failure with file:line and go on, each printing its figures (max |diff|, cosine) so
// the log reads as a report; a skip (exit 77, ctest's SKIP_RETURN_CODE) without a CUDA device
// or without the fixtures. MODALLENS_REQUIRE_GPU=1 turns every skip into a failure, for a run
// that must prove CUDA was used (scripts/gpu-check.sh).
#pragma once

#include <ATen/Context.h>
#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/types.h>
#include <torch/version.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace ml::gpucheck {

constexpr int kSkipCode = 77;

struct Totals {
    int checks = 0;
    int failures = 0;
    std::string current; // the test function running
};

inline Totals &totals()
{
    static Totals t;
    return t;
}

// A check's outcome, with where it was asked and why it failed.
inline bool record(bool ok, const char *file, int line, const std::string &what)
{
    auto &t = totals();
    ++t.checks;
    if (!ok) {
        ++t.failures;
        std::printf("FAIL  %s:%d [%s] %s\n", file, line, t.current.c_str(), what.c_str());
    } else {
        std::printf("ok    %s\n", what.c_str());
    }
    std::fflush(stdout);
    return ok;
}

inline bool gpuRequired()
{
    const char *v = std::getenv("MODALLENS_REQUIRE_GPU");
    return v && *v && std::string(v) != "0";
}

// Exits 77 (skipped), or 1 where MODALLENS_REQUIRE_GPU says this run must not skip.
[[noreturn]] inline void skip(const std::string &why)
{
    if (gpuRequired()) {
        std::printf("FAIL  %s (MODALLENS_REQUIRE_GPU is set: a skip is a failure)\n", why.c_str());
        std::fflush(stdout);
        std::exit(1);
    }
    std::printf("SKIP  %s\n", why.c_str());
    std::fflush(stdout);
    std::exit(kSkipCode);
}

inline void printVersion()
{
    std::printf("LibTorch %d.%d.%d, CUDA devices: %d\n", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH,
        static_cast<int>(torch::cuda::device_count()));
}

inline void skipUnlessCuda()
{
    printVersion();
    if (!torch::cuda::is_available())
        skip("no CUDA device (torch::cuda::is_available() is false)");
}

// float32 that is float32: the parity checks compare with references computed in IEEE float32,
// and LibTorch lets cuDNN's convolutions use TF32 by default (cuBLAS's matmuls not, since 1.12).
// The legacy switches exist from 1.13 to 2.x (2.9 added a per-operator API beside them, whose
// getters refuse a mix of both: only the setters are called here).
inline void strictFloat32()
{
    auto &ctx = at::globalContext();
    ctx.setAllowTF32CuBLAS(false);
    ctx.setAllowTF32CuDNN(false);
    std::printf("TF32 off for cuBLAS and cuDNN: the float32 checks run in IEEE float32\n");
}

// The golden fixtures: the compile definition MODALLENS_FIXTURES_DIR, or the environment
// variable of that name (a copy carried to the GPU box).
inline std::filesystem::path fixturesDir()
{
    if (const char *env = std::getenv("MODALLENS_FIXTURES_DIR"); env && *env)
        return env;
#ifdef MODALLENS_FIXTURES_DIR
    return MODALLENS_FIXTURES_DIR;
#else
    return {};
#endif
}

// fixturesDir()/family, skipping (77) when its expected.safetensors is not there.
inline std::filesystem::path requireFixture(const std::string &family)
{
    const auto dir = fixturesDir() / family;
    if (!std::filesystem::exists(dir / "expected.safetensors"))
        skip("golden fixtures not found at " + dir.string() + " (set MODALLENS_FIXTURES_DIR)");
    return dir;
}

struct Figures {
    double maxAbsDiff = 0.0;
    double cosine = 1.0;
    bool shapeOk = true;
    bool finite = true;
};

// max |a - b| and the cosine of the flattened tensors, in float64 on the CPU.
inline Figures compare(const torch::Tensor &actual, const torch::Tensor &expected)
{
    Figures f;
    const auto a = actual.detach().to(torch::kCPU, torch::kDouble).contiguous();
    const auto e = expected.detach().to(torch::kCPU, torch::kDouble).contiguous();
    if (a.sizes() != e.sizes()) {
        f.shapeOk = false;
        return f;
    }
    f.finite = a.isfinite().all().item<bool>();
    if (a.numel() == 0)
        return f;
    f.maxAbsDiff = (a - e).abs().max().item<double>();
    const double na = a.norm().item<double>(), ne = e.norm().item<double>();
    f.cosine = na > 0 && ne > 0 ? (a * e).sum().item<double>() / (na * ne) : (na == ne ? 1.0 : 0.0);
    return f;
}

inline std::string shapeOf(const torch::Tensor &t)
{
    return c10::str(t.sizes());
}

// |actual - expected| <= atol + rtol * |expected| everywhere (the manifests' rule), both finite.
inline bool checkClose(const torch::Tensor &actual, const torch::Tensor &expected, double atol, double rtol,
    const std::string &name, const char *file, int line)
{
    const auto f = compare(actual, expected);
    if (!f.shapeOk)
        return record(false, file, line, name + ": shape " + shapeOf(actual) + ", expected " + shapeOf(expected));
    const auto a = actual.detach().to(torch::kCPU, torch::kDouble);
    const auto e = expected.detach().to(torch::kCPU, torch::kDouble);
    const bool within = a.numel() == 0 || ((a - e).abs() <= atol + rtol * e.abs()).all().item<bool>();
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-36s max |diff| %.3g, cosine %.7f (atol %.1g, rtol %.1g)%s", name.c_str(),
        f.maxAbsDiff, f.cosine, atol, rtol, f.finite ? "" : " NOT FINITE");
    return record(within && f.finite, file, line, buf);
}

// cosine(actual, expected) >= minCosine over the flattened tensors.
inline bool checkCosine(const torch::Tensor &actual, const torch::Tensor &expected, double minCosine,
    const std::string &name, const char *file, int line)
{
    const auto f = compare(actual, expected);
    if (!f.shapeOk)
        return record(false, file, line, name + ": shape " + shapeOf(actual) + ", expected " + shapeOf(expected));
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-36s cosine %.7f (>= %g), max |diff| %.3g%s", name.c_str(), f.cosine, minCosine,
        f.maxAbsDiff, f.finite ? "" : " NOT FINITE");
    return record(f.finite && f.cosine >= minCosine, file, line, buf);
}

inline nlohmann::json readManifest(const std::filesystem::path &fixture)
{
    std::ifstream in(fixture / "manifest.json");
    return nlohmann::json::parse(in);
}

// The tolerance group the manifest names for a tensor of expected.safetensors (as
// tests/golden_test_util.h's expectGoldenClose reads it).
struct Tolerance {
    double atol = 0.0, rtol = 0.0;
};
inline Tolerance goldenTolerance(const nlohmann::json &manifest, const std::string &tensorName)
{
    const std::string group = manifest.at("tensors").at("expected.safetensors").at(tensorName).at("tolerance_group");
    const auto &t = manifest.at("tolerances").at(group);
    return {t.value("atol", 0.0), t.value("rtol", 0.0)};
}

inline bool checkGolden(const nlohmann::json &manifest, const torch::Tensor &actual, const torch::Tensor &expected,
    const std::string &tensorName, const std::string &label, const char *file, int line)
{
    const auto tol = goldenTolerance(manifest, tensorName);
    return checkClose(actual, expected, tol.atol, tol.rtol, label, file, line);
}

// Every element equal (ids, bytes).
inline bool checkEqual(
    const torch::Tensor &actual, const torch::Tensor &expected, const std::string &name, const char *file, int line)
{
    const auto a = actual.detach().to(torch::kCPU), e = expected.detach().to(torch::kCPU).to(a.scalar_type());
    if (a.sizes() != e.sizes())
        return record(false, file, line, name + ": shape " + shapeOf(actual) + ", expected " + shapeOf(expected));
    const auto differing = a.numel() ? a.ne(e).sum().item<std::int64_t>() : 0;
    return record(differing == 0, file, line,
        name + ": " + std::to_string(differing) + " of " + std::to_string(a.numel()) + " elements differ");
}

// A tensor that must be on the GPU (the result of a CUDA run, not a silent CPU fallback).
inline bool checkOnCuda(const torch::Tensor &t, const std::string &name, const char *file, int line)
{
    return record(t.defined() && t.device().is_cuda(), file, line,
        name + " on " + (t.defined() ? t.device().str() : std::string("(undefined)")));
}

// Every parameter of a model on CUDA in `dtype` (a model left on the CPU, or half of it, fails).
inline bool checkParameters(const std::vector<torch::Tensor> &parameters, torch::ScalarType dtype,
    const std::string &name, const char *file, int line)
{
    std::size_t wrong = 0;
    std::string first;
    for (const auto &p : parameters)
        if (!p.device().is_cuda() || p.scalar_type() != dtype) {
            if (!wrong++)
                first = " (first: " + p.device().str() + ", " + c10::toString(p.scalar_type()) + ")";
        }
    return record(!parameters.empty() && wrong == 0, file, line,
        name + ": " + std::to_string(parameters.size() - wrong) + " of " + std::to_string(parameters.size())
            + " parameters on cuda in " + c10::toString(dtype) + first);
}

inline std::string idsText(const std::vector<std::int64_t> &ids)
{
    std::string s = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i)
            s.push_back(' ');
        s.append(std::to_string(ids[i])); // append, not "a" + b: GCC 12 -O3 flags that (-Wrestrict)
    }
    s.push_back(']');
    return s;
}

// A figure for a message: printf's %.4g (std::to_string prints 6 decimals, 1e-7 as 0.000000).
inline std::string fig(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

// One test function: run, exceptions counted as failures (with their message).
inline void run(const std::string &name, const std::function<void()> &f)
{
    auto &t = totals();
    t.current = name;
    std::printf("--- %s\n", name.c_str());
    std::fflush(stdout);
    try {
        f();
    } catch (const std::exception &e) {
        ++t.checks;
        ++t.failures;
        std::printf("FAIL  [%s] threw: %s\n", name.c_str(), e.what());
    }
    std::fflush(stdout);
}

// The exit code: 0 when every check passed (and there was one), 1 otherwise.
inline int finish()
{
    const auto &t = totals();
    std::printf("=== %d checks, %d failed\n", t.checks, t.failures);
    std::fflush(stdout);
    return t.failures == 0 && t.checks > 0 ? 0 : 1;
}

} // namespace ml::gpucheck

#define GPU_CHECK(cond, what) ::ml::gpucheck::record(static_cast<bool>(cond), __FILE__, __LINE__, (what))
#define GPU_CHECK_CLOSE(actual, expected, atol, rtol, name)                                                            \
    ::ml::gpucheck::checkClose((actual), (expected), (atol), (rtol), (name), __FILE__, __LINE__)
#define GPU_CHECK_COSINE(actual, expected, minCosine, name)                                                            \
    ::ml::gpucheck::checkCosine((actual), (expected), (minCosine), (name), __FILE__, __LINE__)
// actual against expected.safetensors' tensorName within the manifest's tolerance for it.
#define GPU_CHECK_GOLDEN(manifest, actual, expected, tensorName, label)                                                \
    ::ml::gpucheck::checkGolden((manifest), (actual), (expected), (tensorName), (label), __FILE__, __LINE__)
#define GPU_CHECK_EQUAL(actual, expected, name)                                                                        \
    ::ml::gpucheck::checkEqual((actual), (expected), (name), __FILE__, __LINE__)
#define GPU_CHECK_PARAMETERS(parameters, dtype, name)                                                                  \
    ::ml::gpucheck::checkParameters((parameters), (dtype), (name), __FILE__, __LINE__)
#define GPU_CHECK_ON_CUDA(t, name) ::ml::gpucheck::checkOnCuda((t), (name), __FILE__, __LINE__)
