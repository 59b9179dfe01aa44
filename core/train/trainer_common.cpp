// What the CLIP and DDPM trainers share besides the loop (see trainer_common.h).
#include "train/trainer_common.h"

#include "common/error.h"
#include "engine/compute.h"
#include "engine/engine.h"
#include "engine/model_cache.h"
#include "io/safetensors.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>
#include <type_traits>
#include <utility>

namespace ml::train {

namespace {

// An optimiser's per-parameter state is keyed by the parameter's TensorImpl: LibTorch 1.13 by its
// address printed to a string (c10::guts::to_string), later versions by the pointer itself.
using StateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer &>().state())>::key_type;

template<class Key> Key stateKeyOf(const torch::Tensor &p) // a template: the branch not taken is not compiled
{
    if constexpr (std::is_same_v<Key, std::string>) {
        std::ostringstream s;
        s << p.unsafeGetTensorImpl();
        return s.str();
    } else {
        return p.unsafeGetTensorImpl();
    }
}

StateKey stateKey(const torch::Tensor &p)
{
    return stateKeyOf<StateKey>(p);
}

} // namespace

std::int64_t warmupStepsFor(double fraction, std::int64_t steps)
{
    return std::max<std::int64_t>(1, std::llround(fraction * static_cast<double>(steps)));
}

double warmupCosineLr(double lr, std::int64_t warmup, std::int64_t steps, std::int64_t step)
{
    if (step < warmup)
        return lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
    const double progress
        = static_cast<double>(step - warmup) / static_cast<double>(std::max<std::int64_t>(1, steps - warmup));
    return lr * 0.5 * (1.0 + std::cos(std::numbers::pi * std::min(1.0, progress)));
}

std::string cpuModelName()
{
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(line.find_first_not_of(' ', colon + 1));
        }
    return "unknown CPU";
}

std::string readmePercent(double fraction)
{
    std::ostringstream s;
    s.precision(1);
    s << std::fixed << 100.0 * fraction << " %";
    return fraction < 0 ? std::string("-") : s.str();
}

void checkBatchFits(const std::string &outDir, bool stored, std::int64_t batch, double bytesPerItem)
{
    const double need = static_cast<double>(batch) * bytesPerItem;
    const auto available = static_cast<double>(availableMemory());
    if (need <= available)
        return;
    const auto gb = [](double bytes) {
        std::ostringstream s;
        s.precision(3);
        s << bytes / 1e9 << " GB";
        return s.str();
    };
    const std::string source = stored
        ? (std::filesystem::path(outDir) / "trainer_state.json").string() + ": the run's batch"
        : std::string("--batch");
    throw Error(source + " of " + std::to_string(batch) + " needs at least " + gb(need)
        + " for its activations, more than the " + gb(available) + " this machine has available; use a smaller batch");
}

void setLearningRate(torch::optim::Optimizer &optimizer, double lr)
{
    for (auto &group : optimizer.param_groups())
        group.options().set_lr(lr);
}

void checkOverride(
    std::vector<std::string> &conflicts, const char *flag, bool given, bool differs, const std::string &run)
{
    if (given && differs)
        conflicts.push_back(std::string(flag) + " differs from the run's " + run);
}

std::string resolveTrainDtype(const std::string &requested)
{
    std::string dtype = requested.empty() ? "auto" : requested;
    if (dtype == "auto")
        dtype = cpuHasNativeBf16() ? "bf16" : "fp32";
    if (dtype != "fp32" && dtype != "bf16")
        throw Error("training dtype must be auto, fp32 or bf16 on the CPU (got '" + dtype + "')");
    return dtype;
}

void throwIfConflicts(const std::string &outDir, const std::vector<std::string> &conflicts)
{
    if (conflicts.empty())
        return;
    std::string msg = outDir + ": cannot resume with other settings than the run's:";
    for (const auto &s : conflicts)
        msg += "\n  " + s;
    throw Error(msg);
}

void addAdamWState(
    std::map<std::string, torch::Tensor> &state, torch::nn::Module &module, torch::optim::AdamW &optimizer)
{
    for (const auto &p : module.named_parameters()) {
        const auto it = optimizer.state().find(stateKey(p.value()));
        if (it == optimizer.state().end())
            continue;
        const auto &s = static_cast<const torch::optim::AdamWParamState &>(*it->second);
        state["exp_avg." + p.key()] = s.exp_avg();
        state["exp_avg_sq." + p.key()] = s.exp_avg_sq();
        state["step." + p.key()] = torch::tensor(s.step(), torch::kLong);
    }
}

void checkStateStep(const io::SafetensorsFile &state, std::int64_t startStep)
{
    const auto savedStep = state.tensor("trainer.step").item<std::int64_t>();
    if (savedStep != startStep)
        throw Error(state.path().string() + ": holds step " + std::to_string(savedStep)
            + " but trainer_state.json says " + std::to_string(startStep) + " (an interrupted checkpoint?)");
}

std::vector<std::string> loadAdamWState(
    const io::SafetensorsFile &state, torch::nn::Module &module, torch::optim::AdamW &optimizer)
{
    std::vector<std::string> missing;
    for (const auto &p : module.named_parameters()) {
        const std::string a = "exp_avg." + p.key(), b = "exp_avg_sq." + p.key(), s = "step." + p.key();
        if (!state.contains(a) || !state.contains(b) || !state.contains(s)) {
            missing.push_back(p.key());
            continue;
        }
        auto st = std::make_unique<torch::optim::AdamWParamState>();
        st->exp_avg(state.tensor(a).clone());
        st->exp_avg_sq(state.tensor(b).clone());
        st->step(state.tensor(s).item<std::int64_t>());
        if (st->exp_avg().sizes() != p.value().sizes() || st->exp_avg_sq().sizes() != p.value().sizes())
            throw Error(state.path().string() + ": optimiser state of '" + p.key() + "' has the wrong shape");
        optimizer.state()[stateKey(p.value())] = std::move(st);
    }
    return missing;
}

} // namespace ml::train
