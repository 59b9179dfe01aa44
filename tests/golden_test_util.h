// What the golden-fixture tests share: the manifest's tolerance check of a tensor against its
// expected value (|actual - expected| <= atol + rtol * |expected|, the tolerance group named per
// tensor in manifest.json), and a tensor of ids as a vector.
#pragma once

#include <QtTest>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
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

inline std::vector<std::int64_t> tensorIds(const torch::Tensor &t)
{
    const auto c = t.to(torch::kLong).contiguous();
    return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}
