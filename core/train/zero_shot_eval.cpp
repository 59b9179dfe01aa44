// Zero-shot scoring: cosine similarity to ensembled class prompts, argmax, accuracies.
#include "train/zero_shot_eval.h"

#include "common/error.h"
#include "train/shapes_world.h"

#include <ATen/ATen.h>

namespace ml::train {

EvalSet shapesEvalSet(std::uint64_t seed, std::int64_t perClass, bool augmented)
{
    EvalSet set;
    set.name = "shapes";
    set.classes = zeroShotLabels();
    for (std::size_t c = 0; c < set.classes.size(); ++c) {
        set.prompts.push_back({set.classes[c]});
        const int label = static_cast<int>(c);
        set.heldOut.push_back(isHeldOut(zeroShotColour(label), zeroShotShape(label)));
    }
    for (ZeroShotItem &item :
        makeZeroShotSet(seed, static_cast<int>(perClass), augmented ? Augmentations::all() : Augmentations::none())) {
        set.images.push_back(std::move(item.image));
        set.labels.push_back(item.label);
    }
    return set;
}

EvalSet fashionEvalSet(const FashionMnist &test, std::int64_t limit, int side)
{
    EvalSet set;
    set.name = "fashion-mnist";
    for (int c = 0; c < FashionMnist::kClassCount; ++c) {
        set.classes.push_back(FashionMnist::classNames()[c]);
        std::vector<std::string> prompts;
        for (std::size_t t = 0; t < FashionMnist::captionTemplates().size(); ++t)
            prompts.push_back(FashionMnist::caption(c, t));
        set.prompts.push_back(std::move(prompts));
        set.heldOut.push_back(false);
    }
    const std::size_t n = limit > 0 ? std::min<std::size_t>(static_cast<std::size_t>(limit), test.size()) : test.size();
    for (std::size_t i = 0; i < n; ++i) {
        set.images.push_back(test.image(i, side));
        set.labels.push_back(test.label(i));
    }
    return set;
}

std::vector<std::string> flatPrompts(const EvalSet &set)
{
    std::vector<std::string> out;
    for (const auto &p : set.prompts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

torch::Tensor classEmbeddings(const EvalSet &set, const torch::Tensor &textEmbeddings)
{
    std::vector<torch::Tensor> rows;
    std::int64_t at = 0;
    for (const auto &p : set.prompts) {
        const auto n = static_cast<std::int64_t>(p.size());
        auto mean = textEmbeddings.slice(0, at, at + n).to(torch::kFloat).mean(0); // [P]
        rows.push_back(mean / mean.norm());
        at += n;
    }
    TORCH_CHECK(at == textEmbeddings.size(0), "expected ", at, " prompt embeddings, got ", textEmbeddings.size(0));
    return torch::stack(rows); // [L, P]
}

EvalScores scoreZeroShot(
    const EvalSet &set, const torch::Tensor &imageEmbeddings, const torch::Tensor &classEmbeddings, double logitScale)
{
    const auto N = imageEmbeddings.size(0);
    const auto L = static_cast<std::int64_t>(set.classes.size());
    TORCH_CHECK(N <= static_cast<std::int64_t>(set.labels.size()) && classEmbeddings.size(0) == L, "scoreZeroShot: ", N,
        " images, ", classEmbeddings.size(0), " classes for a set of ", set.labels.size(), " images, ", L, " classes");
    const auto probs = torch::softmax(
        logitScale * imageEmbeddings.to(torch::kFloat).matmul(classEmbeddings.to(torch::kFloat).t()), -1); // [N, L]
    const auto [best, arg] = probs.max(-1);
    const auto bestA = best.contiguous();
    const auto argA = arg.contiguous();
    EvalScores s;
    s.confusion.assign(static_cast<std::size_t>(L), std::vector<int>(static_cast<std::size_t>(L), 0));
    std::vector<std::int64_t> perClassTotal(static_cast<std::size_t>(L), 0);
    std::int64_t correct = 0, heldOutCorrect = 0;
    for (std::int64_t i = 0; i < N; ++i) {
        const int truth = set.labels[static_cast<std::size_t>(i)];
        const int pred = static_cast<int>(argA.data_ptr<std::int64_t>()[i]);
        s.predicted.push_back(pred);
        s.prob.push_back(bestA.data_ptr<float>()[i]);
        ++s.confusion[static_cast<std::size_t>(truth)][static_cast<std::size_t>(pred)];
        ++perClassTotal[static_cast<std::size_t>(truth)];
        correct += pred == truth;
        if (set.heldOut[static_cast<std::size_t>(truth)]) {
            ++s.heldOutImages;
            heldOutCorrect += pred == truth;
        }
    }
    s.accuracy = N > 0 ? static_cast<double>(correct) / static_cast<double>(N) : 0.0;
    if (s.heldOutImages > 0)
        s.heldOutAccuracy = static_cast<double>(heldOutCorrect) / static_cast<double>(s.heldOutImages);
    for (std::int64_t c = 0; c < L; ++c) {
        const auto total = perClassTotal[static_cast<std::size_t>(c)];
        s.perClassAccuracy.push_back(total > 0 ? static_cast<double>(s.confusion[c][c]) / total : 0.0);
    }
    return s;
}

} // namespace ml::train
