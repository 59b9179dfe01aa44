// Fixed zero-shot evaluation sets (Shapes World 24-way, Fashion-MNIST test split) and their
// scoring from embeddings, shared by the trainer's periodic evaluation and evaluateZeroShot().
#pragma once

#include "io/media.h"
#include "train/fashion_mnist.h"

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ml::train {

struct EvalSet {
    std::string name;                 // "shapes" | "fashion-mnist"
    std::vector<io::RgbImage> images; // 64 x 64 (Fashion-MNIST: `side` x `side`)
    std::vector<int> labels;
    std::vector<std::string> classes;              // shown to the user: "a red circle", "Sneaker"
    std::vector<std::vector<std::string>> prompts; // per class, ensembled (mean of normalised embeddings)
    std::vector<bool> heldOut;                     // per class: a held-out colour-shape pair
};

// perClass single-object images of each of the 24 pairs (makeZeroShotSet), prompt "a {colour} {shape}".
EvalSet shapesEvalSet(std::uint64_t seed, std::int64_t perClass, bool augmented);
// The first `limit` images of `test` (0: all), prompts: every caption template of the class.
EvalSet fashionEvalSet(const FashionMnist &test, std::int64_t limit, int side = 64);

// Flat list of every prompt and, per class, the range of it that belongs to the class.
std::vector<std::string> flatPrompts(const EvalSet &set);
// textEmbeddings: [flatPrompts().size(), P], L2-normalised -> [classes, P], ensembled, normalised.
torch::Tensor classEmbeddings(const EvalSet &set, const torch::Tensor &textEmbeddings);

struct EvalScores {
    std::vector<int> predicted;
    std::vector<float> prob; // softmax probability of the predicted class
    double accuracy = 0.0;
    double heldOutAccuracy = -1.0; // over images of held-out classes; -1 when there are none
    std::int64_t heldOutImages = 0;
    std::vector<double> perClassAccuracy;
    std::vector<std::vector<int>> confusion; // [true][predicted]
};

// imageEmbeddings: [N, P] (the first N images of the set), classEmbeddings: [L, P], both normalised.
EvalScores scoreZeroShot(
    const EvalSet &set, const torch::Tensor &imageEmbeddings, const torch::Tensor &classEmbeddings, double logitScale);

} // namespace ml::train
