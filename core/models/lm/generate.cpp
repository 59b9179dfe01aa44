// The shared decode loop. The cache is sized once for prompt + max new tokens; a step runs the
// model on one embedding and reads the last logits only.
#include "models/lm/generate.h"

#include "common/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace ml::lm {

TokenSampler::TokenSampler(const SamplingSettings &s) : m_s(s), m_state(s.seed ^ 0x9e3779b97f4a7c15ULL)
{ }

double TokenSampler::uniform()
{
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

TokenChoice TokenSampler::choose(torch::Tensor logits, const std::vector<std::int64_t> &seen)
{
    // On the host: the loop below reads and writes the logits through a raw pointer (a CUDA
    // model's logits would be device memory there).
    logits = logits.to(torch::kCPU, torch::kFloat).contiguous().clone();
    float *l = logits.data_ptr<float>();
    const auto V = logits.numel();
    if (m_s.repetitionPenalty != 1.0 && m_s.repetitionPenalty > 0.0) {
        std::vector<std::int64_t> ids = seen;
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        const auto p = static_cast<float>(m_s.repetitionPenalty);
        for (auto id : ids)
            if (id >= 0 && id < V)
                l[id] = l[id] > 0 ? l[id] / p : l[id] * p;
    }
    if (!m_s.greedy && m_s.temperature > 0.0 && m_s.temperature != 1.0)
        logits.div_(m_s.temperature);
    const auto probs = torch::softmax(logits, 0);
    const float *p = probs.data_ptr<float>();
    const auto top = std::get<1>(probs.topk(std::min<std::int64_t>(5, V)));
    TokenChoice choice;
    for (std::int64_t i = 0; i < top.numel(); ++i) {
        const auto id = top[i].item<std::int64_t>();
        choice.top.emplace_back(id, p[id]);
    }
    if (m_s.greedy || m_s.temperature <= 0.0) {
        choice.id = logits.argmax().item<std::int64_t>();
        choice.prob = p[choice.id];
        return choice;
    }
    // Candidates in descending probability; top-k, then the smallest prefix whose mass reaches top-p.
    std::vector<std::int64_t> order(static_cast<std::size_t>(V));
    std::iota(order.begin(), order.end(), 0);
    std::int64_t keep = m_s.topK > 0 ? std::min<std::int64_t>(m_s.topK, V) : V;
    std::partial_sort(order.begin(), order.begin() + keep, order.end(),
        [&](std::int64_t a, std::int64_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    if (m_s.topP < 1.0) {
        double mass = 0.0;
        std::int64_t n = 0;
        while (n < keep && (n == 0 || mass < m_s.topP))
            mass += p[order[static_cast<std::size_t>(n++)]];
        keep = n;
    }
    double total = 0.0;
    for (std::int64_t i = 0; i < keep; ++i)
        total += p[order[static_cast<std::size_t>(i)]];
    double u = uniform() * total;
    choice.id = order[static_cast<std::size_t>(keep - 1)];
    for (std::int64_t i = 0; i < keep; ++i) {
        u -= p[order[static_cast<std::size_t>(i)]];
        if (u < 0) {
            choice.id = order[static_cast<std::size_t>(i)];
            break;
        }
    }
    choice.prob = p[choice.id];
    return choice;
}

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// The attention rows of the step's last position to the kept positions: [layers, heads, n].
torch::Tensor keptAttention(const LmOutput &out, std::int64_t begin, std::int64_t end)
{
    std::vector<torch::Tensor> rows;
    for (const auto &a : out.attentions) // [1, heads, T, past + T]
        rows.push_back(a[0].select(1, a.size(2) - 1).narrow(1, begin, end - begin));
    return torch::stack(rows);
}

} // namespace

std::int64_t promptBudget(std::int64_t maxPositions, int maxNewTokens)
{
    return maxPositions - std::clamp<std::int64_t>(maxNewTokens, 1, std::max<std::int64_t>(1, maxPositions / 4));
}

std::string fitPrompt(std::vector<std::int64_t> &ids, std::size_t keepHead, std::int64_t extra, std::int64_t budget,
    std::int64_t maxPositions)
{
    const auto length = static_cast<std::int64_t>(ids.size()) + extra;
    if (length <= budget)
        return {};
    const auto over = static_cast<std::size_t>(length - budget);
    keepHead = std::min(keepHead, ids.size());
    if (ids.size() - keepHead <= over + 1) // nothing of the question would be left
        throw Error("the prompt is " + std::to_string(length) + " positions long and its start alone (the image and "
            + std::to_string(keepHead) + " tokens) leaves no room in the " + std::to_string(maxPositions)
            + " this model reads");
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(keepHead),
        ids.begin() + static_cast<std::ptrdiff_t>(keepHead + over));
    return "the prompt is " + std::to_string(length) + " positions long, more than the " + std::to_string(budget)
        + " this model reads beside its answer (" + std::to_string(maxPositions) + " in all): the oldest "
        + std::to_string(over) + " tokens of the conversation were left out";
}

Generation generate(CausalLm &lm, const torch::Tensor &prompt, const GenerateOptions &options)
{
    torch::NoGradGuard noGrad;
    const auto start = Clock::now();
    const auto L = prompt.size(1);
    const auto maxNew = std::max(0, options.sampling.maxNewTokens);
    const auto capacity = std::min<std::int64_t>(L + maxNew, lm.maxPositions());
    if (L >= lm.maxPositions())
        throw Error("the prompt is " + std::to_string(L) + " positions long; this model reads at most "
            + std::to_string(lm.maxPositions()));
    KvCache cache = lm.newCache(1, capacity);
    LmRequest request;
    request.attentions = options.attentions;
    request.lastLogitsOnly = true;

    Generation g;
    TokenSampler sampler(options.sampling);
    std::vector<std::int64_t> seen = options.seenIds;
    std::vector<torch::Tensor> attention;
    std::string previousText;
    auto out = lm.forward(prompt, &cache, {}, request);
    Clock::time_point decodeStart;
    g.stopReason = "max-tokens";
    for (int step = 0; step < maxNew; ++step) {
        if (options.cancelled && options.cancelled()) {
            g.stopReason = "cancelled";
            break;
        }
        const auto choice = sampler.choose(out.logits[0][0], seen);
        if (options.attentions)
            attention.push_back(keptAttention(out, options.attendBegin, options.attendEnd));
        if (step == 0) {
            g.firstTokenMs = msSince(start);
            decodeStart = Clock::now();
        }
        if (options.eosId && choice.id == *options.eosId) {
            if (options.attentions)
                attention.pop_back();
            g.stopReason = "eos";
            break;
        }
        g.ids.push_back(choice.id);
        seen.push_back(choice.id);
        std::string text = options.decode(g.ids);
        ChatToken token;
        token.index = step;
        token.id = choice.id;
        token.prob = choice.prob;
        token.text = text.compare(0, previousText.size(), previousText) == 0 ? text.substr(previousText.size()) : text;
        for (const auto &[id, prob] : choice.top)
            token.top.push_back({id, options.tokenText(id), prob});
        previousText = text;
        g.tokens.push_back(token);
        if (options.onToken)
            options.onToken(token);
        bool stopped = false;
        for (const auto &stop : options.sampling.stopStrings)
            if (!stop.empty() && text.find(stop) != std::string::npos)
                stopped = true;
        if (stopped) {
            g.stopReason = "stop-string";
            break;
        }
        if (step + 1 == maxNew)
            break;
        if (cache.length >= capacity) {
            g.stopReason = "context-full";
            break;
        }
        const auto next
            = torch::full({1, 1}, choice.id, torch::TensorOptions().dtype(torch::kLong).device(prompt.device()));
        out = lm.forward(lm.embedTokens(next), &cache, {}, request);
    }
    g.text = options.decode(g.ids);
    for (const auto &stop : options.sampling.stopStrings) {
        const auto at = stop.empty() ? std::string::npos : g.text.find(stop);
        if (at != std::string::npos)
            g.text.resize(at);
    }
    if (g.tokens.size() > 1)
        g.tokensPerS = static_cast<double>(g.tokens.size() - 1) / (msSince(decodeStart) / 1000.0);
    if (options.attentions && !attention.empty())
        g.attention = torch::stack(attention);
    return g;
}

double continuationLogProb(CausalLm &lm, const torch::Tensor &prompt, const std::vector<std::int64_t> &answer)
{
    torch::NoGradGuard noGrad;
    if (answer.empty())
        return 0.0;
    const auto L = prompt.size(1);
    const auto ids = torch::tensor(answer, torch::TensorOptions().dtype(torch::kLong)).to(prompt.device()).unsqueeze(0);
    const auto embeds = torch::cat({prompt, lm.embedTokens(ids).to(prompt.scalar_type())}, 1);
    const auto logits = lm.forward(embeds, nullptr, {}, {}).logits[0].to(torch::kFloat); // [L + A, V]
    const auto logp = torch::log_softmax(logits.narrow(0, L - 1, static_cast<std::int64_t>(answer.size())), -1);
    return logp.gather(1, ids[0].unsqueeze(1).to(logp.device())).sum().item<double>();
}

} // namespace ml::lm
