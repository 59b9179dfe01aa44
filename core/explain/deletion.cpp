// Deletion curves for relevance, rollout, raw attention and a random order.
#include "explain/deletion.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace ml::explain {

torch::Tensor relevanceMap(const ClipExplainer &explainer, const torch::Tensor &pixels, const std::string &text)
{
    const auto r = explainer.relevance(pixels, explainer.tokenIds(text));
    return r.imageRelevance.select(0, 0).slice(0, 1).clone();
}

DeletionAucs deletionAucs(const ClipExplainer &explainer, const torch::Tensor &pixels, const std::string &caption,
    const torch::Tensor &fill, std::uint64_t randomSeed, std::int64_t step, bool baselines)
{
    const auto text = explainer.fastTextEmbedding(explainer.tokenIds(caption));
    const auto P = explainer.gridSize() * explainer.gridSize();

    std::vector<std::int64_t> randomOrder(static_cast<std::size_t>(P));
    std::iota(randomOrder.begin(), randomOrder.end(), 0);
    std::mt19937_64 rng(randomSeed);
    std::shuffle(randomOrder.begin(), randomOrder.end(), rng);

    DeletionAucs out;
    out.relevanceCurve = deletionCurve(
        explainer, pixels, text, orderByDecreasing(relevanceMap(explainer, pixels, caption)), fill, step);
    out.randomCurve = deletionCurve(explainer, pixels, text, randomOrder, fill, step);
    out.relevance = curveArea(out.relevanceCurve);
    out.random = curveArea(out.randomCurve);
    if (!baselines)
        return out;
    const auto trace = explainer.vision(pixels);
    out.rollout = curveArea(deletionCurve(
        explainer, pixels, text, orderByDecreasing(clsToPatches(attentionRollout(trace.attentions))), fill, step));
    out.attention = curveArea(deletionCurve(explainer, pixels, text,
        orderByDecreasing(rawAttention(trace.attentions.back(), -1, HeadFusion::Mean)), fill, step));
    return out;
}

} // namespace ml::explain
