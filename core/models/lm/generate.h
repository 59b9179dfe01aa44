// The decode loop every language model shares: prefill once, then one token at a time over the
// KV cache; greedy or sampled (temperature, top-k, top-p, repetition penalty, a seed); stop at
// EOS, a stop string or the token limit; every token handed to the caller as it comes, with its
// probability and the five most likely alternatives; cancel between tokens.
#pragma once

#include "engine/chat_service.h" // SamplingSettings, ChatToken
#include "models/lm/causal_lm.h"

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ml::lm {

struct GenerateOptions {
    SamplingSettings sampling;
    std::optional<std::int64_t> eosId;
    // The answer's text for its ids (stop strings and each token's piece of text) and one token's
    // text (the alternatives). Required.
    std::function<std::string(const std::vector<std::int64_t> &)> decode;
    std::function<std::string(std::int64_t)> tokenText;
    std::function<void(const ChatToken &)> onToken; // each token as it comes (optional)
    std::function<bool()> cancelled;                // asked before every step (optional)
    std::vector<std::int64_t> seenIds;              // counted by the repetition penalty (the prompt's)
    // Keep, per generated token, the attention of the step that produced it to the positions
    // [attendBegin, attendEnd) of the prompt (BLIP-2: the query tokens).
    bool attentions = false;
    std::int64_t attendBegin = 0, attendEnd = 0;
};

struct Generation {
    std::vector<ChatToken> tokens;
    std::vector<std::int64_t> ids;
    std::string text;          // decode(ids), cut before a stop string
    std::string stopReason;    // "eos" | "stop-string" | "max-tokens" | "cancelled" | "context-full"
    double firstTokenMs = 0.0; // prefill + the first token
    double tokensPerS = 0.0;   // the tokens after the first, per second of decoding
    torch::Tensor attention;   // [tokens, layers, heads, attendEnd - attendBegin] float32, when asked
};

// prompt: [1, L, E] input embeddings of the whole prompt (image positions included).
Generation generate(CausalLm &lm, const torch::Tensor &prompt, const GenerateOptions &options);

// The positions a prompt may take: the model's, less room for the answer (up to a quarter of them).
std::int64_t promptBudget(std::int64_t maxPositions, int maxNewTokens);
// A prompt too long for the model, cut to fit budget positions: the first keepHead ids (the system
// text and the image) and the newest ids stay, the oldest between them are left out, so the question
// and "ASSISTANT:" survive. extra: positions the ids take beyond their count (an <image> id standing
// for its patches, BLIP-2's queries). Returns a warning saying what was left out, empty when it fit;
// throws ml::Error when the kept head alone does not fit.
std::string fitPrompt(std::vector<std::int64_t> &ids, std::size_t keepHead, std::int64_t extra, std::int64_t budget,
    std::int64_t maxPositions);

// Chooses the next token from logits [V] (float32) as generate() does; exposed for the tests.
// rng: the sampler's state (generate seeds it with sampling.seed once per answer).
struct TokenChoice {
    std::int64_t id = 0;
    float prob = 0.0f; // softmax of the penalised, temperature-scaled logits (before top-k/top-p)
    std::vector<std::pair<std::int64_t, float>> top; // the 5 most likely under that distribution
};
class TokenSampler {
public:
    explicit TokenSampler(const SamplingSettings &s);
    TokenChoice choose(torch::Tensor logits, const std::vector<std::int64_t> &seen);

private:
    double uniform(); // [0, 1), 53 bits of a splitmix64 stream
    SamplingSettings m_s;
    std::uint64_t m_state;
};

// log p(answer | prompt) summed over the answer's tokens, one forward without a cache.
double continuationLogProb(CausalLm &lm, const torch::Tensor &prompt, const std::vector<std::int64_t> &answer);

} // namespace ml::lm
