// Greedy LLaVA answers: the vision tower batched per chunk, each prompt merged with its image rows
// and decoded by lm::generate (KV cache, greedy), exactly as a chat turn.
#include "train/llava_answers.h"

#include "models/llava/llava_chat.h"
#include "models/lm/generate.h"
#include "text/llama_tokenizer.h"

#include <torch/torch.h>

#include <algorithm>

namespace ml::train {

std::optional<std::vector<LlavaAnswer>> llavaGreedyAnswers(llava::LlavaModelImpl &model,
    const text::LlamaTokenizer &tokenizer, const torch::Tensor &pixels,
    const std::vector<std::vector<std::int64_t>> &promptIds, const LlavaAnswerOptions &options)
{
    TORCH_CHECK(pixels.dim() == 4 && pixels.size(0) == static_cast<std::int64_t>(promptIds.size()),
        "expected pixels [N, 3, S, S] for ", promptIds.size(), " prompts, got ", pixels.sizes());
    torch::NoGradGuard noGrad;
    model.eval();
    const auto &head = model.languageModel()->headWeight();
    lm::GenerateOptions g;
    g.sampling.greedy = true;
    g.sampling.maxNewTokens = std::max(1, options.maxNewTokens);
    g.eosId = tokenizer.eosId();
    g.decode = [&tokenizer](const std::vector<std::int64_t> &ids) { return tokenizer.decode(ids, true); };
    g.tokenText = [&tokenizer](std::int64_t id) { return tokenizer.tokenText(id); };
    const auto N = static_cast<std::int64_t>(promptIds.size());
    const std::int64_t chunk = std::max(1, options.chunk);
    std::vector<LlavaAnswer> out(promptIds.size());
    for (std::int64_t begin = 0; begin < N; begin += chunk) {
        const std::int64_t end = std::min(N, begin + chunk);
        const auto image = model.imageFeatures(pixels.slice(0, begin, end).to(head.device(), head.scalar_type()))
                               .projected; // [n, rows, H]
        for (std::int64_t i = begin; i < end; ++i) {
            if (options.cancelled && options.cancelled())
                return std::nullopt;
            const auto &ids = promptIds[static_cast<std::size_t>(i)];
            const auto merged = model.merge(ids, image.slice(0, i - begin, i - begin + 1));
            g.seenIds = ids;
            const auto gen = lm::generate(*model.languageModel(), merged.embeds, g);
            LlavaAnswer &a = out[static_cast<std::size_t>(i)];
            a.ids = gen.ids;
            a.text = llava::trimAnswer(gen.text);
            a.firstProb = gen.tokens.empty() ? 0.0f : gen.tokens.front().prob;
        }
        if (options.progress)
            options.progress(end);
    }
    return out;
}

} // namespace ml::train
