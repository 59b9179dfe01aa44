// Chatting with an image (BLIP-2 or LLaVA, chosen by the folder's config) and looking inside the
// Q-Former, as the GUI and the CLI see it: std value types only; every job runs on
// Lane::Inference and the models come from the engine's model cache. Per-word grounding (LLaVA)
// is in grounding_service.h.
#pragma once

#include "engine/compute.h"
#include "engine/engine.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml {

// The stages a chat job reports (Progress::stage).
inline constexpr const char *kChatStageLoading = "loading model";
inline constexpr const char *kChatStageImage = "reading image";
inline constexpr const char *kChatStagePrompt = "reading prompt"; // the prefill
inline constexpr const char *kChatStageGenerating = "generating"; // done / total: tokens / max

// How the next token is chosen. Greedy ignores the rest; otherwise temperature, then top-k, then
// top-p (nucleus) filter the distribution and a token is drawn with the seed's generator, so the
// same seed gives the same answer. The repetition penalty (CTRL, as transformers') divides the
// positive logits of tokens already in the prompt or the answer (multiplies the negative ones).
struct SamplingSettings {
    bool greedy = true;
    double temperature = 1.0;
    int topK = 0;      // 0: off
    double topP = 1.0; // 1: off
    double repetitionPenalty = 1.0;
    std::uint64_t seed = 0;
    int maxNewTokens = 32;
    std::vector<std::string> stopStrings; // generation stops when the answer text contains one
};

struct ChatTurn {
    std::string user;
    std::string assistant;
};

struct ChatRequest {
    std::string model = "blip2-mini"; // folder or embedded name
    std::string image;                // a file (image, or a video with videoTimeS)
    std::optional<double> videoTimeS; // a video: the frame shown at this time
    std::vector<ChatTurn> history;    // earlier turns of this conversation, oldest first
    std::string prompt;               // the user's words; the family's prompt format is applied
    // When not empty, fed as they are (no tokenizer, no format): what the golden fixtures need.
    std::vector<std::int64_t> promptIds;
    bool rawPrompt = false; // prompt is passed to the tokenizer as given (`chat --prompt` for BLIP-2)
    SamplingSettings sampling;
    // Also return, per generated token, the language model's attention to the image positions
    // (the explicit path; the Q-Former inspector's "answer word -> queries -> patches").
    bool explain = false;
    // The probe: a region of the picture hidden before the model sees it (width x height bytes,
    // non-zero = hidden, scaled to the picture), filled with the preprocessing's mean colour; and
    // patches of the model's grid hidden the same way (row-major indices).
    std::vector<std::uint8_t> regionMask;
    int regionWidth = 0, regionHeight = 0;
    std::vector<int> hiddenPatches;
    ComputeOptions compute;
};

struct TokenAlternative {
    std::int64_t id = 0;
    std::string text;
    float prob = 0.0f;
};

// One generated token, streamed as PartialResult{kChatTokenPartial, ChatToken} as it comes.
struct ChatToken {
    int index = 0; // 0-based position in the answer
    std::int64_t id = 0;
    std::string text;                  // what it adds to the answer text (decoded with the tokens before it)
    float prob = 0.0f;                 // under the sampling distribution actually used (greedy: the softmax)
    std::vector<TokenAlternative> top; // the 5 most likely tokens at this step, most likely first
};
inline constexpr char kChatTokenPartial[] = "chat-token";

// The language model's attention from each generated token to the image positions (BLIP-2: the
// query tokens; LLaVA: the patches), [tokens, layers, heads, positions] row-major.
struct ImageAttention {
    int tokens = 0, layers = 0, heads = 0, positions = 0;
    std::vector<float> values;
};

struct ChatResult {
    std::string text; // the answer, trimmed
    std::vector<ChatToken> tokens;
    std::string stopReason; // "eos" | "stop-string" | "max-tokens" | "cancelled"
    std::string promptText; // the formatted prompt the model saw ("" for promptIds)
    std::vector<std::int64_t> promptIds;
    std::string modelName, family, dtype, device; // family: "blip-2" | "llava"
    std::string imageSha256;                      // of the image file's bytes
    int gridH = 0, gridW = 0;                     // LLaVA: the patch grid the image positions cover
    double firstTokenMs = 0.0, tokensPerS = 0.0;
    ImageAttention imageAttention; // when explain
};
// Cancel stops between tokens: the job then fails with JobError::cancelledError(); the tokens
// already streamed stay valid for the caller.
Job makeChatJob(ChatRequest request); // value: ChatResult; partials kChatTokenPartial

// The Q-Former of a BLIP-2 for one image.
struct QFormerRequest {
    std::string model = "blip2-mini";
    std::string image;
    std::optional<double> videoTimeS;
    ComputeOptions compute;
};

struct QFormerResult {
    int queries = 0;
    int layers = 0;                     // Q-Former layers
    std::vector<int> crossLayers;       // the layers with cross-attention, ascending
    int heads = 0;                      // cross-attention heads
    int patches = 0;                    // image positions the queries attend to (the CLS included)
    bool hasCls = true;                 // position 0 is the vision tower's class token
    int gridH = 0, gridW = 0;           // the patch grid (patches - hasCls == gridH * gridW)
    std::vector<float> crossAttentions; // [crossLayers, heads, queries, patches]
    std::vector<float> selfAttentions;  // [layers, heads, queries, queries]
    std::vector<float> similarity;      // [queries, queries] cosine of the output query embeddings
    // Attention rollout of the vision tower (Abnar & Zuidema 2020: heads averaged, identity added
    // for the residual, rows renormalised, layers multiplied), [patches, patches]: row i says how
    // much output token i drew from each input position. A query attends to the tower's OUTPUT
    // tokens, which have mixed the image already (a background token may carry an object);
    // through this matrix its map lands on the input patches.
    std::vector<float> visionRollout;
    std::string modelName, dtype, device;
};
Job makeQFormerJob(QFormerRequest request); // value: QFormerResult

// "Which queries did the answer use?": the answer's log-probability given the prompt with every
// query kept, then with one query's projected embedding zeroed at a time (and, for the
// faithfulness baseline, with a given set zeroed together).
struct QueryAblationRequest {
    std::string model = "blip2-mini";
    std::string image;
    std::optional<double> videoTimeS;
    std::vector<std::int64_t> promptIds;  // ChatResult::promptIds
    std::vector<std::int64_t> answerIds;  // the answer's token ids (ChatResult::tokens' ids)
    std::vector<std::vector<int>> groups; // optional extra sets of queries zeroed together
    ComputeOptions compute;
};

struct QueryAblationResult {
    double logProb = 0.0;         // log p(answer | image, prompt), every query kept
    std::vector<double> perQuery; // logProb - log p(answer | query q zeroed): the drop
    std::vector<double> perGroup; // the same for each request group
};
Job makeQueryAblationJob(QueryAblationRequest request); // value: QueryAblationResult

// Where a map lives: the vision tower's output tokens as the Q-Former sees them (Direct), or the
// input patches, the cross-attention carried back through the tower's attention rollout.
enum class PatchSpace { Direct, ThroughVision };

// Answer word -> queries -> patches: the map over the patch grid obtained by weighting each
// query's cross-attention map (heads fused by their mean, cross-attention layers by their mean)
// with the language model's attention from the answer token to the query positions (layer
// `layer`, -1 = mean over layers; mean over heads). gridH * gridW values, the CLS position dropped.
std::vector<float> wordQueryPatchMap(const QFormerResult &qformer, const ImageAttention &attention, int token,
    int layer = -1, PatchSpace space = PatchSpace::Direct);
// The cross-attention map of one query over the patch grid: layer = index into crossLayers
// (-1 = mean over them), head (-1 = fuse with `fusion`: "mean" | "max").
std::vector<float> queryPatchMap(const QFormerResult &qformer, int query, int layer = -1, int head = -1,
    const std::string &fusion = "mean", PatchSpace space = PatchSpace::Direct);

// How faithful the inspector is (`modallens-cli bench qformer`): on fixed single-object Shapes World
// images asked "what color is the {shape}?", (1) whether the top patch of the answer word's
// word -> queries -> patches map lies on the object's box, and (2) whether zeroing the 5 queries
// whose ablation lowers the answer most lowers it more than zeroing 5 random queries.
struct QFormerFaithfulnessOptions {
    std::string model = "blip2-mini";
    int images = 100;
    std::uint64_t seed = 4242;
    int topQueries = 5;
    ComputeOptions compute;
};
struct QFormerFaithfulnessResult {
    int images = 0;
    double answerAccuracy = 0.0;                // the colour answered right
    double topPatchOnObject = 0.0;              // fraction of images
    double topPatchOnObjectThroughVision = 0.0; // the same map carried through the vision rollout
    // Control: a uniform attention over all positions through the rollout (the Q-Former left out).
    double uniformThroughVision = 0.0;
    double chanceOnObject = 0.0;                    // the fraction of patches that touch the object's box, averaged
    double ablationBeatsRandom = 0.0;               // fraction of images
    double meanTopDrop = 0.0, meanRandomDrop = 0.0; // log-probability drops, averaged
    std::string modelName, dtype;
};
Job makeQFormerFaithfulnessJob(QFormerFaithfulnessOptions options); // value: QFormerFaithfulnessResult

// `modallens-cli bench lm`: greedy decoding at batch 1, random weights of a shape or a model.
struct LmBenchOptions {
    std::string model;              // a folder / embedded name; empty when shape is set
    std::string shape = "opt-125m"; // opt-125m | opt-2.7b | llama-1b | llama-7b
    int promptTokens = 0;           // 0: 608 for LLaMA shapes and LLaVA folders (576 image rows + 32), else 32
    int newTokens = 128;
    ComputeOptions compute;
};
struct LmBenchResult {
    double firstTokenMs = 0.0;
    double tokensPerS = 0.0;
    double peakRssMb = 0.0;
    int promptTokens = 0;
    std::string dtype, shape, device;
    int threads = 0;
    std::int64_t parameters = 0;
    double weightBytesPerToken = 0.0; // what one decode step reads
    double readGBps = 0.0;            // the memory's read bandwidth measured after the run (CPU only)
};
Job makeLmBenchJob(LmBenchOptions options); // value: LmBenchResult

} // namespace ml
