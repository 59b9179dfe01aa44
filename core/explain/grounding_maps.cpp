// Per-word grounding maps over one merged prompt. See grounding_maps.h and grounding_service.h.
#include "explain/grounding_maps.h"

#include "common/error.h"

#include <torch/torch.h>

#include <algorithm>

namespace ml::explain {

torch::Tensor removeContext(const torch::Tensor &m, const torch::Tensor &c)
{
    const double cc = c.dot(c).item<double>();
    if (cc <= 0)
        return m.clone();
    const double b = std::clamp(m.dot(c).item<double>() / cc, 0.0, 1.0);
    return (m - b * c).clamp_min(0);
}

namespace {

// The context of the producing position q: the attention maps of the text positions between the
// image's end and q, averaged with the weights q gives them. [N]; zeros without such positions.
torch::Tensor contextMap(const std::vector<torch::Tensor> &attentions, const torch::Tensor &fused, std::int64_t q,
    std::int64_t b0, std::int64_t b1)
{
    const auto N = b1 - b0;
    if (q <= b1)
        return torch::zeros({N});
    std::vector<torch::Tensor> maps;
    for (const auto &a : attentions)
        maps.push_back(a.detach()[0].narrow(1, b1, q - b1).narrow(2, b0, N).to(torch::kFloat));
    const auto earlier = torch::stack(maps).mean(at::IntArrayRef {0, 1}); // [q - b1, N]
    const auto w = fused.narrow(0, b1, q - b1);
    const double total = w.sum().item<double>();
    return total > 0 ? (w.unsqueeze(1) * earlier).sum(0) / total : torch::zeros({N});
}

// Chefer et al. 2021's rule over the decoder for the logit at q: R = I; R += mean_heads((dA * A)^+) R.
// Returns row q of R - I over every position up to q.
torch::Tensor relevancyRow(const std::vector<torch::Tensor> &attentions, const torch::Tensor &logit, std::int64_t q)
{
    const auto grads = torch::autograd::grad({logit}, attentions, {}, true);
    const auto eye = torch::eye(q + 1, torch::kFloat);
    auto R = eye.clone();
    for (std::size_t l = 0; l < attentions.size(); ++l) {
        const auto a = attentions[l].detach()[0].narrow(1, 0, q + 1).narrow(2, 0, q + 1).to(torch::kFloat);
        const auto g = grads[l][0].narrow(1, 0, q + 1).narrow(2, 0, q + 1).to(torch::kFloat);
        R = R + (g * a).clamp_min(0).mean(0).matmul(R);
    }
    return R[q] - eye[q];
}

} // namespace

GroundingMaps groundingMaps(llava::LlamaForCausalLmImpl &lm, const llava::MergedPrompt &prompt,
    const std::vector<std::int64_t> &answer, bool relevancy,
    const std::function<void(std::int64_t, std::int64_t)> &progress)
{
    if (prompt.imageBegin < 0)
        throw Error("grounding needs a picture in the prompt (an <image> token)");
    GroundingMaps g;
    const auto T = static_cast<std::int64_t>(answer.size());
    if (T == 0)
        return g;
    // The sequence: the prompt, then every answer token but the last (position P - 1 + t produced token t).
    const auto P = prompt.embeds.size(1), b0 = prompt.imageBegin, b1 = prompt.imageEnd, N = b1 - b0;
    torch::Tensor seq = prompt.embeds;
    if (T > 1) {
        torch::NoGradGuard noGrad;
        const auto rest = torch::tensor(std::vector<std::int64_t>(answer.begin(), answer.end() - 1), torch::kLong);
        seq = torch::cat({seq, lm.embedTokens(rest.to(seq.device()).unsqueeze(0))}, 1);
    }
    if (progress)
        progress(0, T);
    torch::AutoGradMode grad(relevancy);
    if (relevancy)
        seq = seq.detach().requires_grad_(true);
    lm::LmRequest request;
    request.attentions = true;
    const auto out = lm.forward(seq, nullptr, {}, request);
    g.layers = static_cast<int>(out.attentions.size());
    g.heads = g.layers ? static_cast<int>(out.attentions[0].size(1)) : 0;
    const auto probs = torch::softmax(out.logits.detach()[0].to(torch::kFloat), -1); // [S, V]
    std::vector<torch::Tensor> att, rel, cor;
    for (std::int64_t t = 0; t < T; ++t) {
        const auto q = P - 1 + t;
        const auto id = answer[static_cast<std::size_t>(t)];
        g.tokenProbs.push_back(probs[q][id].item<float>());
        std::vector<torch::Tensor> rows; // per layer [heads, q + 1]
        for (const auto &a : out.attentions)
            rows.push_back(a.detach()[0].select(1, q).narrow(-1, 0, q + 1).to(torch::kFloat));
        const auto stacked = torch::stack(rows);                 // [L, heads, q + 1]
        const auto fused = stacked.mean(at::IntArrayRef {0, 1}); // [q + 1]
        const auto m = fused.narrow(0, b0, N);
        att.push_back(stacked.narrow(-1, b0, N));
        if (!relevancy)
            cor.push_back(removeContext(m, contextMap(out.attentions, fused, q, b0, b1)));
        if (relevancy) {
            const auto row = relevancyRow(out.attentions, out.logits[0][q][id], q);
            const auto onImage = row.narrow(0, b0, N);
            // The earlier answer tokens' maps, weighted by the attention q pays to where each sits.
            torch::Tensor context = torch::zeros({N});
            if (t > 0) {
                const auto w = fused.narrow(0, P, t);
                const double total = w.sum().item<double>();
                if (total > 0)
                    context = (w.unsqueeze(1) * torch::stack(rel)).sum(0) / total;
            }
            cor.push_back(removeContext(onImage, context));
            rel.push_back(onImage);
            const double total = row.sum().item<double>();
            g.imageShare.push_back(total > 0 ? static_cast<float>(onImage.sum().item<double>() / total) : 0.0f);
        } else {
            const double total = fused.narrow(0, 1, q).sum().item<double>(); // position 0: the attention sink
            g.imageShare.push_back(total > 0 ? static_cast<float>(m.sum().item<double>() / total) : 0.0f);
        }
        if (progress)
            progress(t + 1, T);
    }
    g.attention = torch::stack(att);
    g.corrected = torch::stack(cor);
    if (!rel.empty())
        g.relevancy = torch::stack(rel);
    return g;
}

} // namespace ml::explain
