// Per-word grounding for LLaVA-style models: for every word of an answer, a map over the image
// patches of how much it relied on them, by three methods. std value types only (the UI
// includes it); the job runs on Lane::Inference over the engine's model cache.
//
//  - attention: the attention from the position that produced the token to the image positions,
//    per layer and head as recorded (aggregate with tokenMap: heads averaged, chosen layers
//    averaged).
//  - relevancy: Chefer et al. 2021's generic rule applied to the decoder (as LVLM-Interpret):
//    R = I; for each layer R += mean_heads((dlogit/dA * A)^+) R, for the logit of the generated
//    token at the position that produced it; the map is that row of R over the image positions.
//  - corrected: the relevancy map with the part explained by the earlier words removed (after
//    Token Activation Map's estimated causal inference): the context map C averages the
//    relevancy maps of the answer's earlier tokens, each weighted by the attention the producing
//    position pays to the position that token sits at; the corrected map is max(0, M - b C) with
//    b = <M, C> / <C, C> clamped to [0, 1] (least squares: the share of M that C explains). The
//    first token has no context: its corrected map is its relevancy map. Without the gradient
//    pass (relevancy off) the same is done on the attention maps, the context being every text
//    position between the image and the producing one.
#pragma once

#include "engine/chat_service.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml {

enum class GroundingMethod { Attention, Relevancy, Corrected };
const char *groundingMethodName(GroundingMethod m); // "attention" | "relevancy" | "corrected"
std::optional<GroundingMethod> groundingMethodFromName(const std::string &name);

struct GroundingRequest {
    std::string model = "llava-mini";
    std::string image;
    std::optional<double> videoTimeS;
    std::vector<ChatTurn> history;
    std::string prompt;                  // formatted as the chat does
    std::vector<std::int64_t> promptIds; // instead of prompt: fed as given
    // The answer to explain (ChatResult's token ids); empty: generate it greedily first.
    std::vector<std::int64_t> answerIds;
    int maxNewTokens = 32;
    bool relevancy = true; // the gradient pass (one backward per answer token)
    // The probe, as ChatRequest's.
    std::vector<std::uint8_t> regionMask;
    int regionWidth = 0, regionHeight = 0;
    std::vector<int> hiddenPatches;
    ComputeOptions compute;
};

// Tokens [firstToken, endToken) of the answer form one word.
struct GroundedWord {
    std::string text;
    int firstToken = 0, endToken = 0;
};

struct GroundingResult {
    ChatResult chat; // prompt ids, the answer's tokens and probabilities, model, dtype
    int gridH = 0, gridW = 0;
    int layers = 0, heads = 0;
    int tokens = 0;               // answer tokens
    std::vector<float> attention; // [tokens, layers, heads, gridH * gridW]
    std::vector<float> relevancy; // [tokens, gridH * gridW] (empty without the gradient pass)
    std::vector<float> corrected; // [tokens, gridH * gridW] (from relevancy when it was computed)
    // Per token: the share of its relevancy (attention without the gradient pass) that lies on
    // the image rather than on the text before it, in [0, 1]: the sentence view's tint.
    std::vector<float> imageShare;
    std::vector<GroundedWord> words;
    // What the model saw: the preprocessing's resized and centre-cropped picture (the maps cover
    // it), imageSize x imageSize 8-bit RGB, the probe's hidden region included.
    std::vector<std::uint8_t> inputRgb;
    int imageSize = 0;
};
// value: GroundingResult. Progress: loading, reading prompt, generating, "relevancy" per token.
Job makeGroundingJob(GroundingRequest request);

// Words of an answer: a token that starts with a space (or the first) starts a word; a token of
// punctuation alone is a word of its own.
std::vector<GroundedWord> groupWords(const std::vector<ChatToken> &tokens);

// One token's map [gridH * gridW]. Attention: layer / head -1 = mean over them (layers: the
// given subset when not empty). Relevancy, corrected: layer and head are ignored.
std::vector<float> tokenMap(const GroundingResult &g, GroundingMethod method, int token, int layer = -1, int head = -1,
    const std::vector<int> &layers = {});
// The mean of the maps of a word's tokens.
std::vector<float> wordMap(const GroundingResult &g, GroundingMethod method, int word, int layer = -1, int head = -1,
    const std::vector<int> &layers = {});

// `eval grounding`: are the maps faithful? On fixed Shapes World images (half with one object,
// half with two), the model is asked "what color is the {shape}?" and "what shape is the
// {colour} object?" for each object the question singles out, and (two objects) for a caption:
//  - pointing game, per method: whether the top patch of the word's map touches the box of the
//    object it names (chance: the share of patches that touch it). One object: the right answers'
//    words. Two objects: the caption's words naming one object alone (a colour or shape the
//    other lacks), where a word's map must pick the right one of two;
//  - deletion, per method, every right answer: hiding the 10 % most relevant patches (the mean
//    colour) lowers the answer word's probability more than hiding as many random patches.
struct GroundingEvalOptions {
    std::string model = "llava-mini";
    int images = 200;
    std::uint64_t seed = 20261207;
    double deletionFraction = 0.1;
    // The random baseline is the mean drop over this many random sets of patches: one draw alone
    // often lands on the object by chance (10 % of the patches against an object of ~15 %).
    int randomDraws = 5;
    ComputeOptions compute;
};
struct GroundingMethodScores {
    double pointingSingle = 0.0, pointingTwo = 0.0; // fractions of the counted answers
    double deletionBeatsRandom = 0.0;
    double meanDrop = 0.0, meanRandomDrop = 0.0; // log-probability drops, averaged
};
struct GroundingEvalResult {
    int images = 0, answers = 0;
    int singleCounted = 0, twoCounted = 0; // the pointing game's trials: right answers; caption words
    double accuracy = 0.0;                 // answers that were right
    double chanceSingle = 0.0, chanceTwo = 0.0;
    GroundingMethodScores attention, relevancy, corrected;
    std::string modelName, dtype;
    double seconds = 0.0;
};
Job makeGroundingEvalJob(GroundingEvalOptions options); // value: GroundingEvalResult

} // namespace ml
