// Per-word grounding (grounding_service.h): one forward over the prompt and the answer with the
// attention probabilities kept, and, for the relevancy maps, one backward per answer token.
#include "common/error.h"
#include "engine/grounding_service.h"
#include "explain/grounding_maps.h"
#include "models/llava/llava_chat.h"
#include "models/lm/generate.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>

namespace ml {

namespace {

std::vector<float> toVector(const torch::Tensor &t)
{
    const auto c = t.to(torch::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// The answer: generated greedily, or the given ids with their probabilities filled in later.
std::vector<ChatToken> answerTokens(
    const GroundingRequest &req, llava::ChatInput &in, JobContext &ctx, std::string &stopReason)
{
    auto &rt = *in.rt;
    if (!req.answerIds.empty()) {
        std::vector<ChatToken> tokens;
        std::vector<std::int64_t> sofar;
        std::string before;
        for (std::size_t i = 0; i < req.answerIds.size(); ++i) {
            sofar.push_back(req.answerIds[i]);
            const auto text = rt.decode(sofar);
            ChatToken t;
            t.index = static_cast<int>(i);
            t.id = req.answerIds[i];
            t.text = text.size() >= before.size() ? text.substr(before.size()) : rt.tokenText(t.id);
            before = text;
            tokens.push_back(std::move(t));
        }
        stopReason = "given";
        return tokens;
    }
    const int maxNewTokens = std::max(1, req.maxNewTokens);
    lm::GenerateOptions o = llava::generateOptions(in, ctx, maxNewTokens);
    o.sampling.maxNewTokens = maxNewTokens;
    auto g = lm::generate(*rt.model()->languageModel(), in.merged.embeds, o);
    if (g.stopReason == "cancelled")
        throw Cancelled();
    stopReason = g.stopReason;
    return std::move(g.tokens);
}

GroundingResult runGrounding(const GroundingRequest &req, JobContext &ctx)
{
    auto in = llava::prepareChat(llava::inputSpec(req), ctx);
    if (in.merged.imageBegin < 0)
        throw Error("grounding needs a picture in the prompt (an <image> token)");
    auto &rt = *in.rt;
    GroundingResult g;
    g.chat = llava::chatResultOf(in);
    g.gridH = in.gridH;
    g.gridW = in.gridW;
    g.inputRgb = std::move(in.inputRgb);
    g.imageSize = in.imageSize;
    g.chat.tokens = answerTokens(req, in, ctx, g.chat.stopReason);
    std::vector<std::int64_t> answer;
    for (const auto &t : g.chat.tokens)
        answer.push_back(t.id);
    g.chat.text = llava::trimAnswer(rt.decode(answer));
    const auto T = static_cast<std::int64_t>(answer.size());
    g.tokens = static_cast<int>(T);
    g.words = groupWords(g.chat.tokens);
    if (T == 0)
        return g;

    const auto maps = explain::groundingMaps(
        *rt.model()->languageModel(), in.merged, answer, req.relevancy, [&](std::int64_t done, std::int64_t total) {
            ctx.throwIfCancelled();
            ctx.report(done, total, "relevancy");
        });
    g.layers = maps.layers;
    g.heads = maps.heads;
    if (!req.answerIds.empty())
        for (std::size_t t = 0; t < g.chat.tokens.size(); ++t)
            g.chat.tokens[t].prob = maps.tokenProbs[t];
    g.attention = toVector(maps.attention);
    g.corrected = toVector(maps.corrected);
    if (maps.relevancy.defined())
        g.relevancy = toVector(maps.relevancy);
    g.imageShare = maps.imageShare;
    return g;
}

bool punctuationOnly(const std::string &s)
{
    bool any = false;
    for (unsigned char c : s) {
        if (std::isspace(c))
            continue;
        if (!std::ispunct(c))
            return false;
        any = true;
    }
    return any;
}

} // namespace

const char *groundingMethodName(GroundingMethod m)
{
    switch (m) {
    case GroundingMethod::Attention:
        return "attention";
    case GroundingMethod::Relevancy:
        return "relevancy";
    case GroundingMethod::Corrected:
        return "corrected";
    }
    return "";
}

std::optional<GroundingMethod> groundingMethodFromName(const std::string &name)
{
    for (auto m : {GroundingMethod::Attention, GroundingMethod::Relevancy, GroundingMethod::Corrected})
        if (name == groundingMethodName(m))
            return m;
    return std::nullopt;
}

std::vector<GroundedWord> groupWords(const std::vector<ChatToken> &tokens)
{
    std::vector<GroundedWord> words;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const auto &text = tokens[i].text;
        const bool starts = words.empty() || (!text.empty() && std::isspace(static_cast<unsigned char>(text[0])))
            || punctuationOnly(text) || punctuationOnly(words.back().text);
        if (starts)
            words.push_back({std::string(), static_cast<int>(i), static_cast<int>(i)});
        words.back().text += text;
        words.back().endToken = static_cast<int>(i) + 1;
    }
    for (auto &w : words) {
        const auto first = w.text.find_first_not_of(" \n\t");
        w.text = first == std::string::npos ? std::string() : w.text.substr(first);
    }
    return words;
}

std::vector<float> tokenMap(
    const GroundingResult &g, GroundingMethod method, int token, int layer, int head, const std::vector<int> &layers)
{
    const std::size_t N = static_cast<std::size_t>(g.gridH) * g.gridW;
    if (token < 0 || token >= g.tokens)
        throw Error(
            "token " + std::to_string(token) + " is not in the answer (" + std::to_string(g.tokens) + " tokens)");
    std::vector<float> out(N, 0.0f);
    const auto at = static_cast<std::size_t>(token);
    if (method != GroundingMethod::Attention) {
        const auto &v = method == GroundingMethod::Relevancy ? g.relevancy : g.corrected;
        if (v.size() < (at + 1) * N)
            throw Error(std::string("no ") + groundingMethodName(method) + " maps were computed");
        std::copy(v.begin() + static_cast<std::ptrdiff_t>(at * N),
            v.begin() + static_cast<std::ptrdiff_t>((at + 1) * N), out.begin());
        return out;
    }
    std::vector<int> useLayers;
    if (layer >= 0)
        useLayers = {layer};
    else if (!layers.empty())
        useLayers = layers;
    else
        for (int l = 0; l < g.layers; ++l)
            useLayers.push_back(l);
    int count = 0;
    for (int l : useLayers) {
        if (l < 0 || l >= g.layers)
            throw Error(
                "layer " + std::to_string(l) + " does not exist (the model has " + std::to_string(g.layers) + ")");
        for (int h = 0; h < g.heads; ++h) {
            if (head >= 0 && h != head)
                continue;
            const auto base = ((at * g.layers + l) * g.heads + h) * N;
            for (std::size_t i = 0; i < N; ++i)
                out[i] += g.attention[base + i];
            ++count;
        }
    }
    if (count > 0)
        for (auto &v : out)
            v /= static_cast<float>(count);
    return out;
}

std::vector<float> wordMap(
    const GroundingResult &g, GroundingMethod method, int word, int layer, int head, const std::vector<int> &layers)
{
    if (word < 0 || word >= static_cast<int>(g.words.size()))
        throw Error("word " + std::to_string(word) + " is not in the answer");
    const auto &w = g.words[static_cast<std::size_t>(word)];
    std::vector<float> out;
    for (int t = w.firstToken; t < w.endToken; ++t) {
        const auto m = tokenMap(g, method, t, layer, head, layers);
        if (out.empty())
            out.assign(m.size(), 0.0f);
        for (std::size_t i = 0; i < m.size(); ++i)
            out[i] += m[i] / static_cast<float>(w.endToken - w.firstToken);
    }
    return out;
}

Job makeGroundingJob(GroundingRequest request)
{
    return {"Grounding", Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return runGrounding(req, ctx); }};
}

} // namespace ml
