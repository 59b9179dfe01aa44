// BLIP-2 training and evaluation data: Shapes World questions and captions and Fashion-MNIST
// "what is this?", as prompts and answer targets for the OPT decoder, and images preprocessed as
// Hugging Face's BlipImageProcessor does.
#pragma once

#include "io/media.h"
#include "train/clip_data.h"
#include "train/fashion_mnist.h"
#include "train/shapes_world.h"

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ml::text {
class ClipTokenizer;
class Gpt2Tokenizer;
} // namespace ml::text

namespace ml::train {

inline constexpr int kBlip2ImageSize = 64;
inline constexpr const char kFashionQuestion[] = "what is this?";
inline constexpr const char kFashionQuestionType[] = "fashion";
inline constexpr const char kCaptionType[] = "caption";

// BLIP-2's VQA prompt: "Question: {question} Answer:".
std::string vqaPrompt(const std::string &question);

// Whether `predicted` answers `expected`: its first words (lower case, punctuation around them
// stripped) are expected's words; for the one-word Shapes answers, the spec's "first answer word".
bool answerMatches(const std::string &predicted, const std::string &expected);

// One text the decoder learns: prompt -> " " + target (the prompt "" for a caption).
struct Blip2Text {
    std::string prompt; // "Question: what color is the circle? Answer:", or "" (caption)
    std::string target; // "red", or the caption
    std::string type;   // questionTypeName(), kFashionQuestionType or kCaptionType
};

// An image with its caption (stage 1 compares them) and the texts of stage 2. item.image is the
// picture as drawn: Shapes 64 x 64, Fashion-MNIST 28 x 28 RGB (blipPixels resizes both).
struct Blip2Example {
    ClipItem item;
    std::vector<Blip2Text> texts; // every question the spec allows for the scene, then maybe the caption
};

// Fractions of a batch's images; renormalised, Fashion's share goes to Shapes without its files.
struct Blip2Mix : DataMix {
    // Images whose caption is also a decoder target (prompt ""): captions are the longest texts,
    // and every text of a batch is padded to the longest, so a few go a long way.
    double captions = 0.25;
};

// Batch b is a pure function of (seed, mix, b): Shapes World's training split (the held-out
// colour-shape pairs never drawn) with every augmentation of the spec, Fashion-MNIST's training split.
class Blip2DataSource {
public:
    // fashion: the training split, or null (its share then goes to Shapes).
    Blip2DataSource(std::uint64_t seed, Blip2Mix mix, std::shared_ptr<const FashionMnist> fashion);

    std::vector<Blip2Example> batch(std::int64_t index, std::int64_t size) const;
    // Captions, prompts and answers of the first `batches` batches, and every Fashion-MNIST
    // caption and class name: what the BPE vocabulary is learnt from.
    std::vector<std::string> textCorpus(std::int64_t batches, std::int64_t size) const;

private:
    std::uint64_t m_seed;
    std::shared_ptr<const FashionMnist> m_fashion;
    ShapesWorld m_single, m_multi;
    MixCuts m_cuts; // after m_fashion: computed from it
    double m_captions = 0;
};

// BlipImageProcessor: each image resized to size x size (PIL bicubic), rescaled by 1/255 and
// normalised with the CLIP mean / std. [B, 3, size, size] float32.
torch::Tensor blipPixels(const std::vector<io::RgbImage> &images, int size = kBlip2ImageSize);

// Decoder inputs for (prompt, target) pairs: bos + prompt ids, then target ids and eos when
// `withTarget`; right-padded with the pad id. labels are -100 except on the target and its eos
// (the loss is on the answer only).
struct LmTokens {
    torch::Tensor inputIds;      // [N, T] int64
    torch::Tensor attentionMask; // [N, T] int64, 1 = token, 0 = padding
    torch::Tensor labels;        // [N, T] int64
};
LmTokens tokenizeForLm(
    const std::vector<Blip2Text> &texts, const text::Gpt2Tokenizer &tokenizer, bool withTarget, std::int64_t maxLength);

struct Blip2Batch {
    std::int64_t index = 0;
    torch::Tensor pixels;     // [B, 3, 64, 64]
    torch::Tensor imageIndex; // [N] int64: the image of each text
    LmTokens lm;              // [N, T]
    std::vector<std::string> types;
    torch::Tensor captionIds; // [B, Tc] clip-mini's tokens of each image's caption (stage 1)
    torch::Tensor truth;      // [B, B] caption j true of image i
};

// Batch `index`: the images, every text of each (stage 2) and, when clipTokenizer is given, the
// captions for the contrastive stage.
Blip2Batch makeBlip2Batch(const Blip2DataSource &source, const text::Gpt2Tokenizer &tokenizer,
    const text::ClipTokenizer *clipTokenizer, std::int64_t index, std::int64_t size, std::int64_t maxLength);

// One VQA item of an evaluation set.
struct VqaItem {
    io::RgbImage image;
    std::string question, answer, type;
    bool heldOut = false; // a Shapes scene holding a held-out colour-shape pair
    std::string file;     // --folder sets: relative to the folder
};

// `count` fixed Shapes World VQA items from seed: images alternate single and multi-object
// scenes (training split, augmented like training unless augmented is false), each giving its
// questions in turn; then heldOutCount items from scenes holding a held-out pair.
std::vector<VqaItem> shapesVqaSet(std::uint64_t seed, int count, int heldOutCount, bool augmented = true);
// The first `count` images of Fashion-MNIST (a split), "what is this?" -> its class name.
std::vector<VqaItem> fashionVqaSet(const FashionMnist &fashion, int count);

// Exact match (answerMatches) over a set; a figure is -1 where it has no item.
struct VqaScores {
    double all = -1.0; // every item
    std::int64_t allN = 0;
    double shapes = -1.0; // Shapes items without a held-out pair (not "fashion")
    std::int64_t shapesN = 0;
    double heldOut = -1.0; // items of scenes with a held-out pair
    std::int64_t heldOutN = 0;
    double fashion = -1.0; // "fashion" items
    std::int64_t fashionN = 0;
    std::map<std::string, double> perType; // every type, held-out items left out
    std::map<std::string, std::int64_t> perTypeN;
    std::vector<bool> correct; // per item
};
VqaScores scoreVqa(const std::vector<VqaItem> &items, const std::vector<std::string> &predicted);

} // namespace ml::train
