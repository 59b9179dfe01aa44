// Maps over the patch grid from a Q-Former result: one query's cross-attention, and an answer
// word's map through the queries it attended to. Plain arithmetic on the result's vectors.
#include "common/error.h"
#include "engine/chat_service.h"

#include <algorithm>

namespace ml {

namespace {

std::size_t cellCount(const QFormerResult &q)
{
    return static_cast<std::size_t>(q.gridH) * static_cast<std::size_t>(q.gridW);
}

// The patches of one (layer, head, query) row, the CLS position dropped.
const float *row(const QFormerResult &q, int layer, int head, int query)
{
    const std::size_t index = ((static_cast<std::size_t>(layer) * q.heads + head) * q.queries + query) * q.patches;
    return q.crossAttentions.data() + index + (q.hasCls ? 1 : 0);
}

} // namespace

std::vector<float> queryPatchMap(const QFormerResult &q, int query, int layer, int head, const std::string &fusion)
{
    const int layers = static_cast<int>(q.crossLayers.size());
    if (query < 0 || query >= q.queries)
        throw Error("query " + std::to_string(query) + " does not exist (" + std::to_string(q.queries) + " queries)");
    if (layer >= layers || head >= q.heads || layers == 0)
        throw Error("no such cross-attention layer or head");
    const std::size_t n = cellCount(q);
    std::vector<float> out(n, 0.0f);
    const int l0 = layer < 0 ? 0 : layer, l1 = layer < 0 ? layers : layer + 1;
    for (int l = l0; l < l1; ++l) {
        std::vector<float> fused(n, fusion == "max" && head < 0 ? -1.0f : 0.0f);
        const int h0 = head < 0 ? 0 : head, h1 = head < 0 ? q.heads : head + 1;
        for (int h = h0; h < h1; ++h) {
            const float *r = row(q, l, h, query);
            for (std::size_t i = 0; i < n; ++i)
                fused[i] = fusion == "max" ? std::max(fused[i], r[i]) : fused[i] + r[i] / static_cast<float>(h1 - h0);
        }
        for (std::size_t i = 0; i < n; ++i)
            out[i] += fused[i] / static_cast<float>(l1 - l0);
    }
    return out;
}

std::vector<float> wordQueryPatchMap(const QFormerResult &q, const ImageAttention &a, int token, int layer)
{
    if (token < 0 || token >= a.tokens)
        throw Error("the answer has no token " + std::to_string(token));
    if (a.positions != q.queries)
        throw Error("the answer's attention covers " + std::to_string(a.positions) + " positions, the Q-Former has "
            + std::to_string(q.queries) + " queries");
    const int l0 = layer < 0 ? 0 : layer, l1 = layer < 0 ? a.layers : layer + 1;
    if (l0 >= a.layers)
        throw Error("the language model has no layer " + std::to_string(layer));
    std::vector<float> weight(static_cast<std::size_t>(q.queries), 0.0f);
    for (int l = l0; l < l1; ++l)
        for (int h = 0; h < a.heads; ++h)
            for (int k = 0; k < q.queries; ++k)
                weight[k]
                    += a.values[((static_cast<std::size_t>(token) * a.layers + l) * a.heads + h) * a.positions + k];
    float total = 0.0f;
    for (float w : weight)
        total += w;
    std::vector<float> out(cellCount(q), 0.0f);
    for (int k = 0; k < q.queries; ++k) {
        const auto map = queryPatchMap(q, k);
        const float w = total > 0 ? weight[k] / total : 1.0f / static_cast<float>(q.queries);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] += w * map[i];
    }
    return out;
}

} // namespace ml
