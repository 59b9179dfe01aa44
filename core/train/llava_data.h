// LLaVA training and evaluation data: Shapes World conversations in llava-1.5's chat format (one
// to three question / answer rounds about a picture, captions among them), their tokens with
// labels on the assistant's answers only, and the two-object caption check.
#pragma once

#include "io/media.h"
#include "preprocess.h" // kernels/
#include "train/random.h"
#include "train/shapes_world.h"

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ml::text {
class LlamaTokenizer;
} // namespace ml::text

namespace ml::train {

// What llava-mini is taught to answer with a caption of the picture.
inline constexpr const char kLlavaCaptionPrompt[] = "describe the picture.";
inline constexpr const char kLlavaCaptionType[] = "caption";

struct LlavaTurn {
    std::string question, answer;
    std::string type; // questionTypeName() or kLlavaCaptionType
};

struct LlavaExample {
    io::RgbImage image; // 64 x 64
    Scene scene;
    std::vector<LlavaTurn> turns; // the conversation's rounds, in order
};

// The share of the mix and of the conversations.
struct LlavaMix {
    double single = 0.45;   // one-object scenes (the only ones asked "where"); the rest hold 2 or 3
    double captions = 0.35; // conversations with a caption round
    int maxRounds = 3;      // rounds per conversation: 1 .. maxRounds (stage 2)
};

// Batch b is a pure function of (seed, mix, b): Shapes World's training split (the held-out
// colour-shape pairs never drawn) with every augmentation of the spec.
class LlavaDataSource {
public:
    LlavaDataSource(std::uint64_t seed, LlavaMix mix);

    // captionsOnly (stage 1): one round, the caption. Otherwise 1 .. maxRounds distinct rounds
    // drawn from the scene's questions (and, for a share of the images, its caption).
    std::vector<LlavaExample> batch(std::int64_t index, std::int64_t size, bool captionsOnly) const;
    // The text of every round of the first `batches` batches (both stages), split where the
    // tokenizer splits it (around "<image>" and "</s>"): what the vocabulary is learnt from.
    std::vector<std::string> textCorpus(std::int64_t batches, std::int64_t size) const;

private:
    std::uint64_t m_seed;
    LlavaMix m_mix;
    ShapesWorld m_single, m_multi;
};

// The caption llava-mini learns: the count, then each object from left to right with its size,
// colour, shape and place, in the spec's words ("two shapes: a small red circle on the left and a
// large blue square in the center"; one object: "a small red circle on the left"). One caption per
// scene: a greedy decoder spends nothing on choosing among phrasings.
std::string llavaCaption(const Scene &scene);

// The conversation in llava-1.5's format with every answer and its "</s>".
std::string conversationText(const std::vector<LlavaTurn> &turns);
// A text's ids as LlavaRuntime::encodePrompt makes them: each "</s>" the eos id, the chunks
// between encoded on their own, bos before the first.
std::vector<std::int64_t> encodeConversation(const text::LlamaTokenizer &tokenizer, const std::string &text);

// Right-padded conversations; labels are -100 except on each answer's tokens and its eos, and
// answer numbers which answer (0-based over the batch) a label belongs to, -1 elsewhere.
struct LlavaTokens {
    torch::Tensor inputIds;      // [B, T] int64, one <image> token per row at imagePosition
    torch::Tensor attentionMask; // [B, T] int64
    torch::Tensor labels;        // [B, T] int64
    torch::Tensor answer;        // [B, T] int64
    std::int64_t imagePosition = 0;
    std::int64_t answers = 0;
};
// Throws ml::Error when a conversation is longer than maxLength tokens (its image rows counted
// as imageRows), or when a prompt's ids are not a prefix of the conversation's.
LlavaTokens tokenizeConversations(const std::vector<LlavaExample> &examples, const text::LlamaTokenizer &tokenizer,
    std::int64_t imageTokenId, std::int64_t imageRows, std::int64_t maxLength);

// The images preprocessed as the runtime's CLIPImageProcessor does: [B, 3, S, S] float32.
torch::Tensor llavaPixels(const std::vector<io::RgbImage> &images, const kernels::PreprocessParams &params);

// The caption check: two-object training-split scenes (augmented), fixed by the seed.
struct CaptionItem {
    io::RgbImage image;
    Scene scene;
};
std::vector<CaptionItem> captionSet(std::uint64_t seed, int count);
// Whether a caption names every object of the scene by its colour and shape ("red circle"), as
// many times as the scene holds that pair.
bool captionNamesEveryObject(const std::string &caption, const Scene &scene);

} // namespace ml::train
