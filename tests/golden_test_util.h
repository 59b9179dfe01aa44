// What the golden-fixture tests share: the manifest's tolerance check of a tensor against its
// expected value (|actual - expected| <= atol + rtol * |expected|, the tolerance group named per
// tensor in manifest.json), a tensor of ids as a vector, and the checks of a vision-language
// model's decoder (its outputs, greedy generation's choices, the KV cache) and of the model cache.
#pragma once

#include "engine/model_cache.h"
#include "golden_lm_util.h"
#include "io/safetensors.h"
#include "models/lm/causal_lm.h"
#include "models/lm/generate.h"

#include <QtTest>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

inline nlohmann::json readGoldenManifest(const std::filesystem::path &dir)
{
    std::ifstream in(dir / "manifest.json");
    return nlohmann::json::parse(in);
}

inline void expectGoldenClose(
    const nlohmann::json &manifest, const torch::Tensor &actual, const torch::Tensor &expected, const std::string &name)
{
    const std::string group = manifest["tensors"]["expected.safetensors"][name]["tolerance_group"];
    const auto &t = manifest["tolerances"][group];
    const double atol = t.value("atol", 0.0), rtol = t.value("rtol", 0.0);
    const auto a = actual.to(torch::kDouble).contiguous(), e = expected.to(torch::kDouble).contiguous();
    QVERIFY2(a.sizes() == e.sizes(), qPrintable(QString::fromStdString(name + ": shape mismatch")));
    const auto diff = (a - e).abs();
    const double maxDiff = diff.max().item<double>();
    qInfo("%-28s max |diff| %.3g (atol %.1g, rtol %.1g)", name.c_str(), maxDiff, atol, rtol);
    QVERIFY2((diff <= atol + rtol * e.abs()).all().item<bool>(),
        qPrintable(QString("%1 exceeds tolerance: max |diff| %2").arg(QString::fromStdString(name)).arg(maxDiff)));
}

// A test's expectGoldenClose with its fixture's manifest.
using ExpectClose = void (*)(const torch::Tensor &actual, const torch::Tensor &expected, const std::string &name);

// The decoder's outputs on the golden prompt: hidden states, the last position's logits, the
// top 5 (values within tolerance, indices exactly) and the logsumexp of every position.
inline void expectLmOutputsClose(
    ExpectClose expectClose, const ml::io::SafetensorsFile &expected, const ml::lm::LmOutput &out)
{
    expectClose(torch::stack(out.hiddenStates), expected.tensor("lm_hidden_states"), "lm_hidden_states");
    const auto &logits = out.logits;
    expectClose(logits.select(1, logits.size(1) - 1), expected.tensor("logits_last"), "logits_last");
    const auto top = logits.topk(5, -1);
    expectClose(std::get<0>(top), expected.tensor("logits_topk_values"), "logits_topk_values");
    QCOMPARE(tensorIds(std::get<1>(top)), tensorIds(expected.tensor("logits_topk_indices")));
    expectClose(torch::logsumexp(logits, -1), expected.tensor("logits_logsumexp"), "logits_logsumexp");
}

// Each step's top-5 token ids equal the reference's ([steps * 5]).
inline void expectStepTopIds(const ml::lm::Generation &g, const std::vector<std::int64_t> &stepIds)
{
    for (std::size_t s = 0; s < g.tokens.size(); ++s)
        for (std::size_t k = 0; k < 5; ++k)
            QCOMPARE(g.tokens[s].top[k].id, stepIds[s * 5 + k]);
}

// Prefill in two parts and one cached step give the last logits of a full forward.
inline void expectCacheEqualsFullForward(ml::lm::CausalLm &lm, const torch::Tensor &embeds)
{
    const auto L = embeds.size(1);
    const auto full = lm.forward(embeds, nullptr, {}, {}).logits;
    auto cache = lm.newCache(1, L);
    lm.forward(embeds.narrow(1, 0, L - 3), &cache, {}, {});
    lm.forward(embeds.narrow(1, L - 3, 2), &cache, {}, {});
    const auto last = lm.forward(embeds.narrow(1, L - 1, 1), &cache, {}, {}).logits;
    QVERIFY(torch::allclose(last[0][0], full[0][L - 1], 1e-5, 1e-5));
}

// A 64 KiB model cache refuses the fixture before loading it, naming config.json, and holds nothing.
inline void expectBudgetRefusal(const std::function<void(ml::ModelCache &)> &acquire)
{
    ml::ModelCache cache(64 * 1024);
    bool loaded = false;
    try {
        acquire(cache);
        loaded = true;
    } catch (const std::exception &e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.contains("config.json"), qPrintable(msg));
    }
    QVERIFY(!loaded);
    QCOMPARE(cache.status().models.size(), std::size_t(0));
}
