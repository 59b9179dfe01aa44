// Batched greedy decoding over Blip2ModelImpl::lmLogits: right-padded prompts grow one token per
// pass; causal attention and the padding mask keep each row's logits those of the row alone.
#include "models/blip2/vqa_eval.h"

#include "common/error.h"
#include "text/gpt2_tokenizer.h"

#include <algorithm>

namespace ml::blip2 {

namespace {

std::string trimmed(const std::string &s)
{
    const auto b = s.find_first_not_of(" \t\n");
    const auto e = s.find_last_not_of(" \t\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

} // namespace

std::optional<std::vector<GreedyAnswer>> greedyAnswers(Blip2ModelImpl &model, const text::Gpt2Tokenizer &tokenizer,
    const torch::Tensor &pixels, const std::vector<std::vector<std::int64_t>> &promptIds, const GreedyOptions &options)
{
    TORCH_CHECK(pixels.dim() == 4 && pixels.size(0) == static_cast<std::int64_t>(promptIds.size()),
        "expected pixels [N, 3, S, S] for ", promptIds.size(), " prompts, got ", pixels.sizes());
    const int maxNewTokens = std::max(1, options.maxNewTokens);
    const std::int64_t chunk = std::max(1, options.chunk);
    const std::int64_t eos = tokenizer.eosId().value_or(2), pad = tokenizer.padId().value_or(1);
    torch::NoGradGuard noGrad;
    model.eval();
    const torch::Device device = model.parameters().front().device();
    const torch::ScalarType dtype = model.parameters().front().scalar_type();
    std::vector<GreedyAnswer> out(promptIds.size());
    const auto N = static_cast<std::int64_t>(promptIds.size());
    for (std::int64_t begin = 0; begin < N; begin += chunk) {
        if (options.cancelled && options.cancelled())
            return std::nullopt;
        const std::int64_t end = std::min(N, begin + chunk), n = end - begin;
        std::vector<std::vector<std::int64_t>> ids(promptIds.begin() + begin, promptIds.begin() + end);
        std::size_t longest = 0;
        for (const auto &row : ids) {
            if (row.empty())
                throw Error("greedyAnswers: an empty prompt (it needs at least the bos token)");
            longest = std::max(longest, row.size());
        }
        const auto T = static_cast<std::int64_t>(longest) + maxNewTokens;
        auto input = torch::full({n, T}, pad, torch::kLong); // [n, T]
        auto mask = torch::zeros({n, T}, torch::kLong);      // [n, T]
        std::vector<std::int64_t> length(static_cast<std::size_t>(n));
        for (std::int64_t r = 0; r < n; ++r) {
            const auto &row = ids[static_cast<std::size_t>(r)];
            for (std::size_t t = 0; t < row.size(); ++t) {
                input[r][static_cast<std::int64_t>(t)] = row[t];
                mask[r][static_cast<std::int64_t>(t)] = 1;
            }
            length[static_cast<std::size_t>(r)] = static_cast<std::int64_t>(row.size());
        }
        const auto prefix
            = model.projectQueries(model.queryOutputs(model.imageEmbeds(pixels.slice(0, begin, end).to(device, dtype)))
                                       .lastHiddenState); // [n, Q, H]
        const std::int64_t Q = prefix.size(1);
        std::vector<char> done(static_cast<std::size_t>(n), 0);
        for (int step = 0; step < maxNewTokens; ++step) {
            const std::int64_t width = *std::max_element(length.begin(), length.end());
            const auto logits = model.lmLogits(
                prefix, input.slice(1, 0, width).to(device), mask.slice(1, 0, width).to(device)); // [n, Q + width, V]
            const auto V = logits.size(2);
            const auto at = (torch::tensor(length, torch::kLong) + (Q - 1)).view({n, 1, 1}).expand({n, 1, V});
            const auto last = logits.gather(1, at.to(device)).squeeze(1).to(torch::kFloat).cpu(); // [n, V]
            const auto probs = torch::softmax(last, -1);
            const auto best = probs.argmax(-1);
            bool any = false;
            for (std::int64_t r = 0; r < n; ++r) {
                char &rowDone = done[static_cast<std::size_t>(r)];
                if (rowDone)
                    continue;
                const std::int64_t token = best[r].item<std::int64_t>();
                GreedyAnswer &a = out[static_cast<std::size_t>(begin + r)];
                if (step == 0)
                    a.firstProb = probs[r][token].item<float>();
                if (token == eos) {
                    rowDone = 1;
                    continue;
                }
                a.ids.push_back(token);
                auto &len = length[static_cast<std::size_t>(r)];
                input[r][len] = token;
                mask[r][len] = 1;
                ++len;
                any = true;
            }
            if (!any)
                break;
        }
        for (std::int64_t r = 0; r < n; ++r) {
            GreedyAnswer &a = out[static_cast<std::size_t>(begin + r)];
            a.text = trimmed(tokenizer.decode(a.ids, true));
        }
        if (options.progress)
            options.progress(end);
    }
    return out;
}

} // namespace ml::blip2
