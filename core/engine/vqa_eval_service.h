// Visual question answering accuracy of a BLIP-2 or a LLaVA (`modallens-cli eval vqa`): a folder's
// vqa.json, or fixed generated sets (Shapes World questions per type, held-out colour-shape pairs
// apart, Fashion-MNIST "what is this?"), answered greedily, scored by exact match of the answer
// word; and captions of two-object Shapes scenes, checked for every object's colour and shape.
#pragma once

#include "engine/compute.h"
#include "engine/engine.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ml {

inline constexpr std::uint64_t kVqaDefaultSeed = 0x5EEDB112u; // the trainer's evaluation sets

struct VqaEvalRequest {
    std::string model = "blip2-mini"; // folder or embedded name: a BLIP-2 or a LLaVA
    std::string folder;               // images + vqa.json [{"file", "question", "answer", "type"}]
    int shapes = 0;                   // Shapes World items (and a fifth as many with a held-out pair)
    int fashion = 0;                  // Fashion-MNIST test images
    // Two-object Shapes scenes to describe (BLIP-2: the empty prompt; LLaVA: "describe the
    // picture." in its chat format), each caption checked for every object's colour and shape.
    int captions = 0;
    std::uint64_t seed = kVqaDefaultSeed;
    bool augmented = true;       // Shapes drawn with the spec's augmentations, as in training
    std::string fashionMnistDir; // "" = /usr/share/datasets/fashion-mnist
    int batchSize = 64;          // questions per forward pass
    int maxNewTokens = 8;        // per answer; captions take at least 32
    ComputeOptions compute;
};

struct VqaEvalItem {
    std::string file;                   // --folder sets; "" for generated ones
    std::string question, answer, type; // captions: the prompt, the objects ("red circle and blue square"), "caption"
    std::string predicted;              // the model's whole answer
    bool correct = false;
    bool heldOut = false;
};

struct VqaEvalResult {
    std::string model, dtype, device;
    double overall = -1.0; // every item but the held-out-pair ones (folder sets: every item)
    std::int64_t n = 0;
    std::map<std::string, double> perType; // held-out-pair items left out
    std::map<std::string, std::int64_t> perTypeN;
    double heldOut = -1.0; // Shapes scenes holding a held-out colour-shape pair
    std::int64_t heldOutN = 0;
    double shapes = -1.0; // the generated Shapes World questions without a held-out pair
    std::int64_t shapesN = 0;
    double fashion = -1.0; // the Fashion-MNIST questions
    std::int64_t fashionN = 0;
    double captions = -1.0; // captions naming every object's colour and shape (not in overall)
    std::int64_t captionsN = 0;
    double seconds = 0.0;
    std::vector<VqaEvalItem> items;
};

// Runs on the calling thread; ctx (optional) gets progress per item and may cancel. Throws
// ml::Error naming the folder or file that is wrong, or when the request names no set.
VqaEvalResult evaluateVqa(const VqaEvalRequest &request, JobContext *ctx = nullptr);
Job makeVqaEvalJob(VqaEvalRequest request); // Lane::Inference; value: VqaEvalResult

} // namespace ml
