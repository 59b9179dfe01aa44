// Raw attention, rollout and gradient-weighted relevance over attention probabilities.
// Ref: jacobgil/vit-explain vit_rollout.py; hila-chefer/Transformer-MM-Explainability (CLIP notebook).
#include "explain/attention_maps.h"

#include "common/error.h"

#include <ATen/ATen.h>

namespace ml::explain {

namespace {

void checkLayer(const torch::Tensor &a, const char *what)
{
    if (!a.defined() || a.dim() != 3 || a.size(1) != a.size(2))
        throw Error(std::string(what) + ": expected one layer's attention [heads, tokens, tokens]"
            + (a.defined() ? ", got " + c10::str(a.sizes()) : std::string(", got nothing")));
}

} // namespace

HeadFusion headFusionFromName(const std::string &name)
{
    if (name == "mean")
        return HeadFusion::Mean;
    if (name == "max")
        return HeadFusion::Max;
    if (name == "min")
        return HeadFusion::Min;
    throw Error("unknown head fusion '" + name + "' (expected mean, max or min)");
}

const char *headFusionName(HeadFusion fusion)
{
    switch (fusion) {
    case HeadFusion::Mean:
        return "mean";
    case HeadFusion::Max:
        return "max";
    case HeadFusion::Min:
        return "min";
    }
    return "mean";
}

torch::Tensor fuseHeads(const torch::Tensor &attention, HeadFusion fusion)
{
    checkLayer(attention, "fuseHeads");
    const auto a = attention.detach().to(torch::kCPU, torch::kDouble);
    switch (fusion) {
    case HeadFusion::Max:
        return std::get<0>(a.max(0));
    case HeadFusion::Min:
        return std::get<0>(a.min(0));
    case HeadFusion::Mean:
        break;
    }
    return a.mean(0);
}

torch::Tensor rawAttention(
    const torch::Tensor &attention, std::int64_t head, HeadFusion fusion, std::int64_t queryToken)
{
    checkLayer(attention, "rawAttention");
    const auto H = attention.size(0), T = attention.size(1);
    if (head >= H)
        throw Error("head " + std::to_string(head) + " does not exist (the layer has " + std::to_string(H)
            + " heads, 0.." + std::to_string(H - 1) + ")");
    if (queryToken < 0 || queryToken >= T)
        throw Error("query token " + std::to_string(queryToken) + " is outside 0.." + std::to_string(T - 1)
            + " (0 = CLS, then the patches row by row)");
    const auto fused
        = head >= 0 ? attention.detach().select(0, head).to(torch::kCPU, torch::kDouble) : fuseHeads(attention, fusion);
    return fused.select(0, queryToken).slice(0, 1).clone();
}

torch::Tensor attentionRollout(const std::vector<torch::Tensor> &attentions, HeadFusion fusion, double discardRatio)
{
    if (attentions.empty())
        throw Error("attention rollout: no layers");
    if (discardRatio < 0.0 || discardRatio >= 1.0)
        throw Error("discard ratio must be in [0, 1), got " + std::to_string(discardRatio));
    const auto T = attentions.front().size(-1);
    const auto eye = torch::eye(T, torch::kDouble);
    auto joint = eye.clone();
    for (const auto &layer : attentions) {
        checkLayer(layer, "attention rollout");
        if (layer.size(-1) != T)
            throw Error("attention rollout: layers have different token counts");
        auto fused = fuseHeads(layer, fusion).contiguous();
        const auto drop = static_cast<std::int64_t>(static_cast<double>(T * T) * discardRatio);
        if (drop > 0) {
            auto flat = fused.view({-1});
            auto lowest = std::get<1>(flat.topk(drop, 0, /*largest=*/false));
            lowest = lowest.masked_select(lowest != 0); // CLS -> CLS is never dropped
            flat.index_fill_(0, lowest, 0.0);
        }
        auto a = (fused + eye) / 2.0;
        a = a / a.sum(-1, true);
        joint = a.matmul(joint);
    }
    return joint;
}

torch::Tensor clsToPatches(const torch::Tensor &joint)
{
    return joint.select(0, 0).slice(0, 1).clone();
}

torch::Tensor gradientRelevance(
    const std::vector<torch::Tensor> &attentions, const std::vector<torch::Tensor> &gradients, std::int64_t startLayer)
{
    if (attentions.empty() || attentions.size() != gradients.size())
        throw Error("relevance: need one gradient per attention layer (got " + std::to_string(attentions.size())
            + " layers, " + std::to_string(gradients.size()) + " gradients)");
    const auto T = attentions.front().size(-1);
    auto R = torch::eye(T, torch::kDouble);
    for (std::size_t l = static_cast<std::size_t>(std::max<std::int64_t>(startLayer, 0)); l < attentions.size(); ++l) {
        checkLayer(attentions[l], "relevance");
        const auto a = attentions[l].detach().to(torch::kCPU, torch::kDouble);
        const auto g
            = gradients[l].defined() ? gradients[l].detach().to(torch::kCPU, torch::kDouble) : torch::zeros_like(a);
        if (g.sizes() != a.sizes())
            throw Error(
                "relevance: gradient " + c10::str(g.sizes()) + " does not match attention " + c10::str(a.sizes()));
        const auto abar = (g * a).clamp_min(0.0).mean(0);
        R = R + abar.matmul(R);
    }
    return R;
}

} // namespace ml::explain
